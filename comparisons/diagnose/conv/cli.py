"""`deltacheck diagnose FILE.py` for conv and pooling layers: the style is read from the file, or --convention."""

from __future__ import annotations

from pathlib import Path

from comparisons.common.errors import UsageError

from .detect import STYLES, conv_style


def wants_conv(target, convention):
    """Whether TARGET is a conv diagnosis: --convention says so, or the file defines conv layers."""
    return convention in STYLES or (convention is None and conv_style(target.split(":")[0]) is not None)


def run_conv_diagnose(args):
    from comparisons.diagnose.conv.run import diagnose_conv

    path = Path(args.target.split(":")[0])
    if not path.is_file():
        raise UsageError(f"{path}: no such file")
    verdict = diagnose_conv(path, args.convention, args.seed, args.timeout, args.max_memory)
    print(verdict.header)
    print(verdict.text())
    return verdict.exit_code
