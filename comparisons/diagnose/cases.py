"""The networks a user's backprop is run on: the lecture's, then random ones of several depths.

Random widths are all different within a network (and from K), so that a transposed matrix or
a wrong layer index cannot fit by accident; every other network has all widths equal, so that
such a mistake also runs silently and shows in the values.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from comparisons.common.argtypes import widths
from comparisons.common.errors import UsageError
from comparisons.common.spec import ArchSpec
from manual_bp import COSTS, validate

LECTURE_SIZES = (12, 3, 2)  # the lecture's 4×3-pixel digits, 3 hidden units, 2 outputs
LECTURE_K = 64
SIZES_K = (LECTURE_K, 1, 10)  # --sizes: the lecture's K, a single example, and a small batch
MAX_LAYERS, MAX_SIZE = 32, 4096  # --sizes: far past a hand-written backprop's test
MAX_PARAMS = 10_000_000  # --sizes: 80 MB of float64 weights, each copied a few times: seconds, not minutes
# (L, square, K > 1) for random network i, cycled: equal widths first, so that a transposed W or a wrong layer
# index runs and is named by its values even with --archs 1; L ≥ 4 too, so that eq (5) is applied twice.
PLAN = [(4, True, True), (4, False, True), (5, False, False), (3, True, False), (2, False, True), (5, True, True)]


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


def activations_for(L, activation, cost, output=None):
    """One name per layer l = 2 … L: ``activation`` throughout, the output fixed by a cross-entropy, else ``output``."""
    out = COSTS[cost].link if cost in COSTS and COSTS[cost].link else output or activation  # the cost's own σ
    return [activation] * (L - 2) + [out]


def check_settings(activation, cost, output=None):
    """UsageError unless ``activation`` and ``cost`` make a network (``output``: the output layer's σ, where said)."""
    if activation == "softmax":
        raise UsageError(
            "activation softmax can only be the output layer's: --cost cross_entropy gives a softmax output"
        )
    try:
        acts = validate.check_activations(activations_for(3, activation, cost, output), 3)
        validate.check_cost(cost, acts[3])
    except ValueError as e:
        raise UsageError(str(e)) from None


def check_output_name(name):
    """UsageError unless ``name`` is an activation an output layer may have."""
    try:
        validate.check_activations(["sigmoid", name], 3)
    except (TypeError, ValueError) as e:
        raise UsageError(str(e)) from None


def check_flags(activation, cost, output=None):
    """UsageError naming --activation, --cost or --output-activation when one is wrong on its own (beside the
    lecture's other)."""
    if output is not None:
        try:
            check_output_name(output)
        except UsageError as e:
            raise UsageError(f"--output-activation {output}: {e}") from None
    for flag, pair in (("activation", (activation, "squared_error")), ("cost", ("sigmoid", cost))):
        if pair[0] is not None and pair[1] is not None:
            try:
                check_settings(*pair)
            except UsageError as e:
                raise UsageError(f"--{flag} {activation if flag == 'activation' else cost}: {e}") from None


def _case(sizes, K, activation, cost, seed, square, output=None):
    acts = activations_for(len(sizes), activation, cost, output)
    return Case(ArchSpec(sizes=tuple(sizes), activations=tuple(acts), cost=cost, K=K, steps=0, seed=seed), square)


def plan(n_archs, seed, activation, cost, sizes=(), depth=0, output=None, n_out=0):
    """The networks to run: ``sizes`` each with K = 64, 1 and 10; else the lecture's network (K = 64
    and 1) and ``n_archs`` random ones from ``seed``, all of depth ``depth`` when the user's class fixes it, and of
    ``n_out`` output units when the user's code fixes that (deeplearning.ai's one sigmoid output)."""
    check_settings(activation, cost)
    if sizes:
        return [
            _case(s, K, activation, cost, seed + i, len(set(s)) == 1, output)
            for i, (s, K) in enumerate((s, K) for s in sizes for K in SIZES_K)
        ]
    rng = np.random.default_rng([seed, 5])
    lecture = LECTURE_SIZES if depth in (0, len(LECTURE_SIZES)) else (12,) + (3,) * (depth - 2) + (2,)
    lecture = lecture[:-1] + (n_out,) if n_out else lecture
    cases = [
        _case(lecture, LECTURE_K, activation, cost, seed, False, output),
        _case(lecture, 1, activation, cost, seed + 1, False, output),
    ]
    for i in range(n_archs):
        L, square, many = PLAN[i % len(PLAN)]
        L = depth or L
        if square:
            widths = [int(rng.integers(3, 6))] * L
        else:
            widths = [int(n) for n in rng.choice(np.arange(2, 10), size=L, replace=False)]
        K = int(rng.integers(10, 17)) if many else 1
        if n_out:
            widths, square = widths[:-1] + [n_out], False
        cases.append(_case(widths, K, activation, cost, int(rng.integers(0, 2**31 - 1)), square, output))
    return cases


def parse_sizes(texts, depth=0, signature="", flag="--sizes"):
    """'12-3-2' (repeatable, or comma-separated) -> [(12, 3, 2), …]; UsageError naming the bad one."""
    out = []
    for text in texts:
        for item in str(text).split(","):
            item = item.strip()
            try:
                s = widths(item)
            except ValueError as e:
                raise UsageError(f"{flag} {e}") from None
            if len(s) > MAX_LAYERS or max(s) > MAX_SIZE:
                raise UsageError(f"{flag} {item}: at most {MAX_LAYERS} layers of at most {MAX_SIZE} units")
            n_params = sum(m * n + n for m, n in zip(s[:-1], s[1:]))
            if n_params > MAX_PARAMS:
                raise UsageError(f"{flag} {item}: {n_params:,} parameters, more than the {MAX_PARAMS:,} diagnose runs")
            if depth and len(s) != depth:
                raise UsageError(
                    f"{flag} {item}: {signature} fixes the depth at L = {depth} layers; give {depth} widths"
                )
            out.append(s)
    return out
