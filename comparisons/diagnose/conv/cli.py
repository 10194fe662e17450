"""`deltacheck diagnose FILE[:NAME]` for conv and pooling layers: the style is read from the file (a .py or a .ipynb
notebook), or --convention; NAME picks one layer.  Output and exit codes as for dense code."""

from __future__ import annotations

from pathlib import Path

from comparisons.common.errors import UsageError
from comparisons.diagnose.limits import START_SECONDS

from .detect import STYLES, conv_style

# the flags of `diagnose` that shape the dense networks a dense file is run on: a conv file has its own network
DENSE_ONLY = {"sizes": "--sizes", "archs": "--archs", "activation": "--activation", "cost": "--cost"}


def wants_conv(target, convention):
    """Whether TARGET is a conv diagnosis: --convention says so, or the file defines conv layers (and no dense
    --convention is given)."""
    if convention in STYLES:
        return True
    if convention is not None:
        return False
    from comparisons.diagnose.session import split_target

    try:
        file, name = split_target(target)
    except UsageError:
        return False  # the dense path says what is wrong with it, in its own order
    from comparisons.diagnose.conventions import cs231n

    if name in cs231n.LAYERS + cs231n.FUSED:  # FILE:affine_backward in a layers.py with conv layers: a dense target
        return False
    return conv_style(file) is not None


def refuse_dense_flags(args, shown):
    """UsageError for the first dense-only flag given: a conv file is not run on dense networks."""
    for attr, flag in DENSE_ONLY.items():
        if getattr(args, attr, None) not in (None, []):
            raise UsageError(f"{flag} applies to dense networks; {shown} is checked as conv layers, on deltacheck's "
                             "own small conv network (conv, max pooling, conv), drawn three ways")  # fmt: skip
    t = args.timeout
    if t < START_SECONDS:
        raise UsageError(f"--timeout {t:g}: starting the process that runs your layers takes about {START_SECONDS:g} "
                         f"s, more than --timeout {t:g} s covers; raise --timeout")  # fmt: skip


def run_conv_diagnose(args):
    from comparisons.common.screen import visible
    from comparisons.diagnose.session import split_target

    file, name = split_target(args.target)
    path = Path(file)
    if not path.is_file():
        raise UsageError(f"{file}: no such file" if not path.exists() else f"{file}: not a file")
    if path.suffix not in (".py", ".ipynb"):
        raise UsageError(f"{file}: cannot be imported as Python source (a .py file or a .ipynb notebook)")
    refuse_dense_flags(args, file)
    from comparisons.diagnose.conv.run import diagnose_conv  # torch: only once the arguments are known good

    verdict = diagnose_conv(path, args.convention, args.seed, args.timeout, args.max_memory, name, file)
    # everything made inert: the user's exception messages, printed lines and file names are in it too
    print(visible(verdict.header))
    text = visible(verdict.text(), keep="\n")
    print(text)
    last = visible(verdict.headline)
    if text.splitlines()[-1] != last:
        print(last)  # the verdict is the last line, as for dense code
    return verdict.exit_code
