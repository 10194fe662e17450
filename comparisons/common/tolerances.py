"""Named tolerances for comparing manual_bp with torch_ref, each with its reason.

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

# Trajectories: each step adds a rounding difference ε of the per-step size to the
# parameters, and the update map w ↦ w − η∇C carries earlier differences forward,
# multiplying them by ‖I − ηH‖ per step (H the Hessian of C).  Where ‖ηH‖ ≲ 1, differences
# grow at most linearly in the number of steps n: the allowed difference after n steps is
# n × (the per-step bound) × max(1, max|w|).
#
# Where a trajectory is expanding (large η, single-example SGD: 1 of 1,000 float32 runs),
# rounding is amplified by a factor no a-priori bound knows.  The harness then measures
# it: a second manual_bp run started one ulp away (``harness.Shadow``) drifts from the main
# run by D_n, the growth of a single rounding error; the two implementations, which differ
# by a few rounding errors per step, may then differ by SHADOW_FACTOR × D_n more.  Measured
# on that float32 run: the manual–torch difference stayed at 3–7 × D_n over 100 steps.
TRAJ_PER_STEP_F64 = Tolerance(rtol=1e-11, atol=1e-13)
TRAJ_PER_STEP_F32 = Tolerance(rtol=1e-5, atol=1e-6)

SHADOW_FACTOR = 100.0  # ≈ 15–30 × the measured 3–7: rounding per step varies between steps
# Past this relative size, an allowance could hide a real mistake of 1 % (η off by 1 %, say).
# A trajectory whose measured sensitivity would need more is chaotic there: two runs of the
# same code one ulp apart already differ by more than 1e-4 of the parameters.  If the two
# sides differ by no more than SHADOW_FACTOR × that, the steps from there on are reported as
# not comparable (2 of 10,000 float64 runs: plain GD whose rounding grew 1e13-fold in 30
# steps); if they differ by more, the step fails.
MAX_TRAJECTORY_RTOL = 1e-2

# C_T at the shared start: one forward pass and a sum over k and the output units, the same
# kind of sums as the gradients' and fewer of them, so the gradient bounds hold for it too.
COST_F64, COST_F32 = GRAD_F64, GRAD_F32

# C_T along a trajectory is compared at the same parameters: manual_bp's cost function at
# torch's parameters after each step against torch's C_T there, so that only rounding separates
# them and COST_F64 / COST_F32 apply.  (A bound derived from the parameters' allowance, 100 ×
# it relative to C_T, raised 7 false alarms in 10,000 float64 runs: ‖∇C‖·max|w|/|C| reaches
# thousands where η is large.)

# float32 judged against a float64 oracle (autograd in float64 on the same numbers, upcast
# exactly).  Each side's float32 rounding error is measured against the oracle o; manual_bp's
# may be F32_ORACLE_RATIO × autograd's largest error over the tensor, plus F32_ORACLE_FLOOR units
# of eps32 times the entry's rounding scale |o| + s: s = Σ_k d_j a_i for ∂C/∂w_ji, the sum of the
# magnitudes the entry adds up, where d is δ's own rounding scale (eqs (4), (5) on magnitudes,
# with σ' = 1 − a² or a(1 − a) counted by the terms it cancels: near saturation one ulp of a moves
# it by far more than eps·σ'; comparisons/sweep/start.py:delta_terms).  Two float32
# implementations of the same sums differ in rounding order only, so their errors against the
# oracle are of one size.  Measured on the sampler (soft targets, W^2 × 30 and exact zeros
# included), every W^l, b^l, δ^l of the start (`python -m comparisons.sweep.oracle_power N SEED`):
# - with s from |δ| itself, RATIO = 8 raised 2 false alarms in 10,000 (1.0 and 1.3 of the bound,
#   behind a saturated tanh); RATIO = 16 raised 2 in 20,000 (1.43, a saturated sigmoid; 1.09);
# - with δ's rounding scale, RATIO = 16: 1 in 20,000 (1.09 at W^L after a relu layer whose z
#   cancels: a^{L−1}'s forward rounding, which the scale leaves out, since putting the forward
#   pass's magnitudes in too cost a third of the detections below), at most 0.35 over 3,000.
# A systematic relative error of 1e−5 in one entry is ~100 eps32: planted in the largest entry
# of ∂C_T/∂W^L it is caught in 95.1 % of 2,978 architectures (97.6 % with s from |δ|); in a random
# nonzero entry in about half (an entry small against the terms it sums, or 0 for a dead relu
# unit, is within rounding: no float32 check can see 1e−5 of it).  An elementwise rule
# (autograd's error at the same entry) caught more but raised a false alarm at 3.6× its bound.
F32_ORACLE_RATIO = 16.0
F32_ORACLE_FLOOR = 8.0

# A kink crossing: relu / leaky_relu change slope at z = 0, and where a pre-activation lies
# within rounding of 0 the two sides may take different branches of σ' there, so the update
# differs by a finite amount — not a mistake.  |z| counts as within rounding when it is below
# KINK_ROUNDING × (n_{l−1} + 1)·eps·(Σ_i |w_ji a_i| + |b_j|), the forward error bound of the
# dot product with a margin of 4.  The step where the difference jumps is reported as `kink`;
# later steps may differ by KINK_CARRY × that jump more (the update map carries it on, growing
# at most linearly where ‖I − ηH‖ ≲ 1, as for rounding; the shadow run covers expansion).
# The last KINK_LOOKBACK forward passes are searched, since a jump may take a step to show.
KINK_ROUNDING = 4.0
KINK_CARRY = 10.0
KINK_LOOKBACK = 3

# Divergence: where both sides overflow (a non-finite parameter or C_T) the run has diverged;
# where one side is non-finite and the other within OVERFLOW_NEAR of the dtype's largest
# number, one more rounding separates them, and it has diverged too.  Only one side
# overflowing while the other stays moderate fails.
OVERFLOW_NEAR = 1e-6
# A run blowing up grows by orders of magnitude per step in the last few steps before it
# overflows, and amplifies rounding past any measured bound there: failures confined to the
# DIVERGE_LOOKBACK steps before both sides overflow belong to the divergence (measured: at most
# 1 such step in the 10,000-architecture float64 sweep; a failure that begins earlier still fails).
DIVERGE_LOOKBACK = 3

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
