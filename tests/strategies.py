"""Hypothesis strategies over the same space as the spec sampler (for the tests)."""

from __future__ import annotations

from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from comparisons.common.spec import HIDDEN_ACTIVATIONS, MAX_DEPTH, MAX_WIDTH, OUTPUT_ACTIVATIONS, ArchSpec


@st.composite
def specs(draw, dtype="float64", max_depth=MAX_DEPTH, max_width=MAX_WIDTH, max_K=16, steps=0, costs=None):
    """An ArchSpec; shrinks towards 1 weight layer, width 1, K = 1 and the first names."""
    depth = draw(st.integers(1, max_depth))
    cost = draw(st.sampled_from(costs or list(OUTPUT_ACTIVATIONS)))
    out = draw(st.sampled_from(OUTPUT_ACTIVATIONS[cost]))
    sizes = draw(st.lists(st.integers(1, max_width), min_size=depth + 1, max_size=depth + 1))
    if out == "softmax":
        sizes[-1] = max(sizes[-1], 2)
    acts = draw(st.lists(st.sampled_from(HIDDEN_ACTIVATIONS), min_size=depth - 1, max_size=depth - 1)) + [out]
    K = draw(st.integers(1, max_K))
    seed = draw(st.integers(0, 2**31 - 2))
    return ArchSpec(sizes=tuple(sizes), activations=tuple(acts), cost=cost, K=K, dtype=dtype, steps=steps, seed=seed)


def float_arrays(shape, dtype="float64", bound=1000.0):
    """Finite arrays of ``shape`` with entries in [−bound, bound]."""
    return hnp.arrays(
        dtype,
        shape,
        elements=st.floats(
            -bound, bound, allow_nan=False, allow_infinity=False, width=32 if dtype == "float32" else 64
        ),
    )
