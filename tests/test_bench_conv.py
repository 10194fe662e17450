"""bench --conv times the same step on both sides."""

import numpy as np
import pytest

from comparisons.bench.conv import CASES, problem, same_step

pytestmark = pytest.mark.usefixtures("one_torch_thread")  # tests/conftest.py


def test_both_sides_of_the_conv_bench_take_the_same_step():
    for image, layers, K in CASES.values():
        net, X, T = problem(image, layers, min(K, 8))
        assert same_step(net, X, T) < 1e-5  # float32 rounding of one step
        net.W[max(net.W)] *= 1.01  # a different start on the manual side only: told apart
        net_t = problem(image, layers, min(K, 8))[0]
        assert not np.array_equal(net.W[max(net.W)], net_t.W[max(net_t.W)])
