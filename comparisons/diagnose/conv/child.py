"""The process that runs a student's conv and pooling layers: ``isolation.Child(module=...)`` starts it.

Same limits, parent watch and exception records as ``comparisons.diagnose.child``; requests are
("load", path), ("conv", x, w, b, stride, pad, dout) and ("pool", x, q, stride, dout).  Never imports torch.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import warnings
from pathlib import Path

import numpy as np

from comparisons.common.lifeline import tie_to_parent
from comparisons.diagnose.child import State, raised, set_limits
from comparisons.diagnose.conv import styles
from comparisons.diagnose.conv.detect import conv_style
from comparisons.diagnose.conventions.base import Unusable
from comparisons.diagnose.wire import Called, Closed, Corrupt, Failed, Loaded, plain, recv, send


def load(state, path, forced):
    """Import the file; a Loaded naming the style and which layers it has, or Failed in one line."""
    path = Path(path)
    style = forced or conv_style(path)
    if style is None:
        return Failed(f"{path.name} defines neither conv_backward_naive / max_pool_backward_naive (CS231n) nor "
                      "Convolution / Pooling classes (ゼロから作るDeep Learning)")  # fmt: skip
    sys.path.insert(0, str(path.parent))
    spec = importlib.util.spec_from_file_location("deltacheck_user", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["deltacheck_user"] = module
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            spec.loader.exec_module(module)
        except SyntaxError as e:
            return Failed(f"{path.name} does not import: line {e.lineno}: SyntaxError: {e.msg}")
        except BaseException as e:
            return Failed(f"{path.name} does not import: {raised(e, state).error}")
    state.runner = (module, style)
    kinds = [k for k in ("conv", "pool") if styles.has(module, style, k)]
    if not kinds:
        return Failed(f"{path.name}: no {styles_needed(style)} to diagnose")
    return Loaded(style, ",".join(kinds), {}, module.__doc__ or "")


def styles_needed(style):
    return "conv_backward_naive or max_pool_backward_naive" if style == "cs231n-conv" else "Convolution or Pooling"


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
