"""The process that runs a student's conv and pooling layers: ``isolation.Child(module=...)`` starts it.

Same limits, parent watch and exception records as ``comparisons.diagnose.child``; requests are
("load", path, name, forced style, the path as the user wrote it), ("conv", x, w, b, stride, pad, dout) and
("pool", x, q, stride, dout).  The file, or notebook, is imported as the dense child imports it.  Never imports
torch.
"""

from __future__ import annotations

import os
import sys
import warnings
from pathlib import Path

import numpy as np

from comparisons.common.lifeline import tie_to_parent
from comparisons.diagnose.child import State, import_user, raised, set_limits
from comparisons.diagnose.conv import styles
from comparisons.diagnose.conv.detect import LAYERS, STYLES, conv_style, style_of_name
from comparisons.diagnose.conventions.base import Unusable
from comparisons.diagnose.wire import Called, Closed, Corrupt, Failed, Loaded, plain, recv, send


def load(state, path, name, forced, shown):
    """Import the file (or notebook) as the dense child does; a Loaded naming the style and the layers to check
    (only the one ``name`` selects, when given), or Failed in one line."""
    path = Path(path)
    style = forced or style_of_name(name) or conv_style(path)
    if style is None:
        return Failed(f"{shown} defines neither conv_backward_naive / max_pool_backward_naive (CS231n) nor "
                      "Convolution / Pooling classes (ゼロから作るDeep Learning)")  # fmt: skip
    imported = import_user(state, path, shown)
    if isinstance(imported, Failed):
        return imported
    module, notes = imported
    state.runner = (module, style)
    kinds = [k for k in ("conv", "pool") if styles.has(module, style, k)]
    if name:
        if getattr(module, name, None) is None:
            return Failed(f"{shown} has no function or class {name!r}")
        if name not in LAYERS[style]:
            layers = ", ".join(LAYERS[style])
            return Failed(f"{shown}: {name} is not a layer of {style} ({layers}): name one of them, or leave :NAME "
                          "out to check every conv and pooling layer the file defines")  # fmt: skip
        kinds = [k for k in kinds if k == LAYERS[style][name]]
    if not kinds:
        return Failed(f"{shown}: no {needed(style, LAYERS[style].get(name))} to diagnose" + (
            f", as --convention {forced} expects{other_style(module, style)}" if forced else ""))  # fmt: skip
    return Loaded(style, ",".join(kinds), {}, module.__doc__ or "", names={"notebook": notes} if notes else {})


NEEDED = {
    "cs231n-conv": {"conv": "conv_backward_naive", "pool": "max_pool_backward_naive",
                    None: "conv_backward_naive or max_pool_backward_naive"},
    "dlfs-conv": {"conv": "Convolution class with backward", "pool": "Pooling class with backward",
                  None: "Convolution or Pooling class with backward"},
}  # fmt: skip


def needed(style, kind=None):
    """What ``style`` diagnoses: its two layers, or the one of ``kind``."""
    return NEEDED[style][kind]


def other_style(module, style):
    """'; it defines …: leave --convention out' when the module is written in the other conv style."""
    other = next(s for s in STYLES if s != style)
    if any(styles.has(module, other, k) for k in ("conv", "pool")):
        return f"; it defines {STYLES[other]} ({other}): leave --convention out"
    return ""


def call(state, op, args):
    """Run one layer of the user's, forward and backward, on the numbers given."""
    module, style = state.runner
    state.stage = "call"
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        res = (styles.run_conv if op == "conv" else styles.run_pool)(module, style, *args)
    return Called(plain(res))


def serve(req, rep):
    state = State()
    while True:
        try:
            seq, (op, args) = recv(req)
        except (Closed, Corrupt, ValueError, TypeError):
            os._exit(0)
        try:
            reply = load(state, *args) if op == "load" else call(state, op, args)
        except Unusable as e:
            reply = Failed(str(e))
        except BaseException as e:
            reply = raised(e, state)
        try:
            send(rep, reply, seq)
        except BaseException:
            os._exit(71)


def main():
    req, rep, max_memory, cpu = map(int, sys.argv[1:5])
    tie_to_parent(os.getppid())  # the keeper: where prctl is missing, the child still ends with it
    set_limits(max_memory, cpu)
    serve(req, rep)


if __name__ == "__main__":
    main()
