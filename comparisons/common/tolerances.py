"""Named tolerances for the lecture's fixed example and for diagnose; the sweep uses ``rounding`` instead.

A check passes elementwise when |m − r| ≤ atol·s + rtol·|r|, numpy.isclose's rule
(``r`` is torch's value), where s = max(1, max|r|) is the scale of the tensor being
compared.  Why scale atol: an entry of ∂C_T/∂W is a sum over k of terms whose size is
bounded by the tensor's largest entries, and when those terms cancel, the rounding
error left behind is of the order eps·(size of the terms), not eps·(size of the
result).  A fixed atol would be too loose for a tensor of 1e−6 gradients and too
tight for one of 1e3.  The floor of 1 keeps tiny tensors compared in absolute terms.

How the numbers were chosen: both sides compute the same sums in a different order
(BLAS blocking, fused kernels), so they differ by rounding alone.  For a network of
depth D ≤ 6 and width n ≤ 16 with K ≤ 32 examples, a gradient entry goes through
about D matrix products of length ≤ max(n, K), each adding ≲ length·eps of relative
error: ≲ 6·32·eps ≈ 200·eps in the worst case, ≈ 4e−14 in float64, ≈ 2.5e−5 in
float32, before amplification by σ' ratios.  The bounds below leave a margin of
about 100–1000× over the largest error measured across the property tests and a
10,000-architecture sweep (see the README), while a real mistake (a missing σ', a
transposed W, a wrong sign) gives relative errors of order 1e−2 to 1: no overlap.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Tolerance:
    """|m − r| ≤ atol·max(1, max|r|) + rtol·|r|, elementwise."""

    rtol: float
    atol: float


# float64: eps = 2.2e−16 and the bound above is ≈ 4e−14; measured: at most 3.4e−5 of
# this tolerance over 300 random architectures (≈ 3e−16 relative to scale).
GRAD_F64 = Tolerance(rtol=1e-10, atol=1e-12)
# float32: eps = 1.2e−7 and the bound above is ≈ 2.5e−5; measured: at most 3.6e−2 of
# this tolerance over 300 random architectures (≈ 4e−7 relative to scale).
GRAD_F32 = Tolerance(rtol=1e-4, atol=1e-5)

# The sweep, selftest and check no longer use these: they judge every comparison by the rounding model of
# comparisons/common/rounding.py.  The lecture's fixed 12-3-2 example and diagnose still compare with them.
TRAJ_PER_STEP_F64 = Tolerance(rtol=1e-11, atol=1e-13)  # the lecture's 300-step run: n × this after n steps
TRAJ_PER_STEP_F32 = Tolerance(rtol=1e-5, atol=1e-6)
COST_F64, COST_F32 = GRAD_F64, GRAD_F32

GRADIENT = {np.dtype(np.float64): GRAD_F64, np.dtype(np.float32): GRAD_F32}
TRAJECTORY = {np.dtype(np.float64): TRAJ_PER_STEP_F64, np.dtype(np.float32): TRAJ_PER_STEP_F32}


def gradient_tolerance(dtype):
    """The gradient tolerance for arrays of ``dtype``."""
    return GRADIENT[np.dtype(dtype)]


def cost_tolerance(dtype):
    """The tolerance for C_T at the shared start."""
    return {np.dtype(np.float64): COST_F64, np.dtype(np.float32): COST_F32}[np.dtype(dtype)]


def trajectory_tolerance(dtype, steps):
    """The allowed parameter difference after ``steps`` steps: the per-step bound × steps."""
    t = TRAJECTORY[np.dtype(dtype)]
    n = max(1, steps)
    return Tolerance(rtol=t.rtol * n, atol=t.atol * n)


# Central finite differences (float64, h = 1e−6): truncation ≈ h²|f'''|/6 ≈ 1e−13 and
# cancellation ≈ eps·|C|/h ≈ 2e−10·|C| with |C| ≲ 50 here, so ≈ 1e−8 absolute at worst;
# 1e−6 relative / 1e−7 absolute leaves a margin of 10× and more, while a wrong
# equation is off by 1e−2 … 1.
FD_F64 = Tolerance(rtol=1e-6, atol=1e-7)

# Complex step (float64, h = 1e−20): Im f(x + ih)/h has no subtraction, so its truncation
# error h²|f'''|/6 ≈ 1e−40 vanishes and what is left is the rounding of the forward pass
# carried along in the imaginary part, exactly as in forward-mode autodiff.  That is the
# same rounding-only difference as between manual_bp and autograd, so the same bound as
# GRAD_F64 holds (measured on the lecture's 12-3-2 network: ≲ 1e−15 relative to scale).
COMPLEX_STEP_F64 = Tolerance(rtol=1e-10, atol=1e-12)

# Path enumeration against backprop (float64): both sum exactly the same products, in a
# different order, so only rounding separates them: at worst (number of paths)·eps times the
# sum of |path terms|.  Enumeration is refused above 50,000 paths (paths.MAX_PATH_TERMS),
# so that is ≲ 1e−11 of the terms' size, inside GRAD_F64's bound.  Measured in the lecture
# report's cost table (up to 37,440 paths, sigmoid): ≤ 6e−17 absolute; on 12-3-2: 3e−16.
PATHS_F64 = Tolerance(rtol=1e-10, atol=1e-12)
