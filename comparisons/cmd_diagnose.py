"""`deltacheck diagnose FILE.py[:FUNCTION]`: run your own backprop against autograd; name the equation that fails.

FUNCTION (default backprop) takes (W, b, X, T) and returns (dW, db) or (dW, db, delta), dicts
keyed by the layer l = 2 … L.  Exit 0: it agrees; 1: a wrong backprop; 2: unusable input.
"""
from __future__ import annotations

from .argtypes import int_at_least

DEFAULT_ARCHS = 6


def register(sub):
    p = sub.add_parser("diagnose", help="run your own backprop(W, b, X, T) against autograd and name the equation that fails",
                       description=__doc__)
    p.add_argument("target", metavar="FILE.py[:FUNCTION]", help="your file, and the function in it (default backprop)")
    p.add_argument("--activation", default=None,
                   help="σ of your function's layers (default: the file's ACTIVATION, else sigmoid)")
    p.add_argument("--cost", default=None, help="C of your function: squared_error, binary_cross_entropy (sigmoid output) "
                   "or cross_entropy (softmax output) (default: the file's COST, else squared_error)")
    p.add_argument("--archs", type=int_at_least(1), default=DEFAULT_ARCHS,
                   help=f"random networks besides the lecture's 12-3-2 (default {DEFAULT_ARCHS})")
    p.add_argument("--seed", type=int_at_least(0), default=0, help="seed of the random networks and data (default 0)")
    p.set_defaults(run=run)


def settings(user, activation=None, cost=None):
    """(activation, cost): the command line's, else the file's ACTIVATION / COST, else the lecture's."""
    from .diag_cases import check_settings
    from .errors import UsageError
    from .userfn import setting

    chosen = {}  # key -> (value, where it comes from: '--cost hinge', 'FILE sets COST' or '' for the default)
    for key, flag, default in (("ACTIVATION", activation, "sigmoid"), ("COST", cost, "squared_error")):
        if flag is not None:
            chosen[key] = (flag, f"--{key.lower()} {flag}")
        elif setting(user, key):
            chosen[key] = (setting(user, key), f"{user.shown} sets {key}")
        else:
            chosen[key] = (default, "")
    (activation, act_from), (cost, cost_from) = chosen["ACTIVATION"], chosen["COST"]
    # Each value alone (beside the lecture's default for the other), then the two together:
    # an error names where the offending value came from.
    for where, pair in ((act_from, (activation, "squared_error")), (cost_from, ("sigmoid", cost)),
                        (" and ".join(w for w in (act_from, cost_from) if w), (activation, cost))):
        try:
            check_settings(*pair)
        except UsageError as e:
            raise UsageError(f"{where}: {e}" if where else str(e)) from None
    return activation, cost


def run(args):
    from .diag_cases import plan
    from .diagnose import diagnose
    from .userfn import load

    user = load(args.target)
    activation, cost = settings(user, args.activation, args.cost)
    cases = plan(args.archs, args.seed, activation, cost)
    verdict = diagnose(user, cases)
    print(f"deltacheck diagnose {user.shown}:{user.name} (activation {activation}, cost {cost})")
    print(verdict.text())
    return 0 if verdict.passed else 1
