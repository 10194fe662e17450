"""The networks a user's backprop is run on: the lecture's, then random ones of several depths.

Random widths are all different within a network (and from K), so that a transposed matrix or
a wrong layer index cannot fit by accident; every other network has all widths equal, so that
such a mistake also runs silently and shows in the values.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from comparisons.common.errors import UsageError
from comparisons.common.spec import ArchSpec
from comparisons.diagnose.user_code import setting
from manual_bp import validate

LECTURE_SIZES = (12, 3, 2)  # the lecture's 4×3-pixel digits, 3 hidden units, 2 outputs
LECTURE_K = 64
# (L, square, K > 1) for random network i, cycled: L ≥ 4 comes first, so --archs 1 has one.
PLAN = [(4, False, True), (4, True, True), (5, False, False), (3, True, False), (2, False, True), (5, True, True)]


@dataclass(frozen=True)
class Case:
    """One network and data set the user's function is run on."""

    spec: ArchSpec
    square: bool  # all widths equal

    @property
    def L(self):
        """Number of layers."""
        return len(self.spec.sizes)

    @property
    def K(self):
        """Number of examples."""
        return self.spec.K

    def label(self):
        """'12-3-2 (L = 3, K = 64)'."""
        return f"{'-'.join(map(str, self.spec.sizes))} (L = {self.L}, K = {self.K})"


def activations_for(L, activation, cost):
    """One name per layer l = 2 … L: ``activation`` throughout, the output fixed by a cross-entropy."""
    out = {"binary_cross_entropy": "sigmoid", "cross_entropy": "softmax"}.get(cost, activation)
    return [activation] * (L - 2) + [out]


def check_settings(activation, cost):
    """UsageError unless ``activation`` and ``cost`` make a network."""
    if activation == "softmax":
        raise UsageError(
            "activation softmax can only be the output layer's: --cost cross_entropy gives a softmax output"
        )
    try:
        acts = validate.check_activations(activations_for(3, activation, cost), 3)
        validate.check_cost(cost, acts[3])
    except ValueError as e:
        raise UsageError(str(e)) from None


def _case(sizes, K, activation, cost, seed, square):
    acts = activations_for(len(sizes), activation, cost)
    return Case(ArchSpec(sizes=tuple(sizes), activations=tuple(acts), cost=cost, K=K, steps=0, seed=seed), square)


def plan(n_archs, seed, activation, cost):
    """The lecture's network with K = 64 and K = 1, then ``n_archs`` random networks from ``seed``."""
    check_settings(activation, cost)
    rng = np.random.default_rng([seed, 5])
    cases = [
        _case(LECTURE_SIZES, LECTURE_K, activation, cost, seed, False),
        _case(LECTURE_SIZES, 1, activation, cost, seed + 1, False),
    ]
    for i in range(n_archs):
        L, square, many = PLAN[i % len(PLAN)]
        if square:
            sizes = [int(rng.integers(3, 6))] * L
        else:
            sizes = [int(n) for n in rng.choice(np.arange(2, 10), size=L, replace=False)]
        K = int(rng.integers(10, 17)) if many else 1
        cases.append(_case(sizes, K, activation, cost, int(rng.integers(0, 2**31 - 1)), square))
    return cases


def settings(user, activation=None, cost=None):
    """(activation, cost): the command line's, else the file's ACTIVATION / COST, else the lecture's."""
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
    for where, pair in (
        (act_from, (activation, "squared_error")),
        (cost_from, ("sigmoid", cost)),
        (" and ".join(w for w in (act_from, cost_from) if w), (activation, cost)),
    ):
        try:
            check_settings(*pair)
        except UsageError as e:
            raise UsageError(f"{where}: {e}" if where else str(e)) from None
    return activation, cost
