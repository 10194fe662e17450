r"""One 6×6 digit through a small CNN, every number of its δ: the lecture's worked example, one chapter on.

Network (the lecture's σ and 2乗誤差 throughout): a^1 = the image x (1 × 6 × 6); layer 2 convolves it with
two 3×3 filters (stride 1, no padding) into two 4×4 maps, a^2 = σ(z^2); layer 3 takes the maximum of each 2×2
block (2 × 2 × 2); layer 4 is dense, two output units for the digits 0 and 1, a^4 = σ(z^4).

.. math::
    z^F_{ij} = \sum_{u,v} w^F_{uv} x_{i+u,j+v} + b^F,\quad z^{3,F}_{ij} = \max_{u,v<2} a^F_{2i+u,2j+v},\quad
    z^4_j = \sum_i w^4_{ji} a^3_i + b^4_j

    \delta^4_j = (a^4_j - t_j)\,\sigma'(z^4_j)\ (4),\quad \delta^3_i = \sum_j \delta^4_j w^4_{ji}\ (5, σ' = 1),

    \delta^F_{mn} = [\text{(m, n) won its block}]\,\delta^{3,F}\,\sigma'(z^F_{mn})\ (5')

    \partial C/\partial w^F_{uv} = \sum_{i,j} \delta^F_{ij} x_{i+u,j+v},\qquad
    \partial C/\partial b^F = \sum_{i,j} \delta^F_{ij}

The numbers come from manual_bp.conv (the vectorised code) and are checked against autograd on the same image.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from manual_bp.conv import CNN, Conv, Dense, Pool
from torch_ref import TorchCNN

DIGITS = {
    0: (".####.", "#....#", "#....#", "#....#", "#....#", ".####."),
    1: ("..##..", ".###..", "..##..", "..##..", "..##..", ".####."),
}
LAYERS = [Conv(2, 3, 1, 0, "sigmoid"), Pool("max", 2, 2), Dense(2, "sigmoid")]
SEED = 3


def image(digit):
    """The 6×6 bitmap of ``digit``: 1 for '#', 0 for '.'."""
    return np.array([[c == "#" for c in row] for row in DIGITS[digit]], dtype=np.float64)


@dataclass(frozen=True)
class ConvWorked:
    """Every number of the worked example for one image: maps (F, 4, 4) or (F, 2, 2), vectors (2,)."""

    digit: int
    x: np.ndarray  # (6, 6)
    t: np.ndarray  # (2,)
    w: np.ndarray  # (2, 3, 3): w^F_{uv}
    b: np.ndarray  # (2,): b^F
    W4: np.ndarray  # (2, 8)
    b4: np.ndarray  # (2,)
    z2: np.ndarray  # (2, 4, 4)
    a2: np.ndarray  # (2, 4, 4)
    z3: np.ndarray  # (2, 2, 2): the block maxima
    win: np.ndarray  # (2, 2, 2): index u·2 + v of each block's winner
    z4: np.ndarray  # (2,)
    a4: np.ndarray  # (2,)
    delta4: np.ndarray  # (2,)
    delta3: np.ndarray  # (2, 2, 2)
    delta2: np.ndarray  # (2, 4, 4)
    dw: np.ndarray  # (2, 3, 3)
    db: np.ndarray  # (2,)
    C: float
    autograd_err: float  # max |manual_bp − autograd| over every δ and gradient above


def network():
    """The CNN with its seeded weights."""
    return CNN.init((1, 6, 6), LAYERS, "squared_error", seed=SEED)


def work(digit=0):
    """The worked example for the image of ``digit``."""
    net = network()
    X = image(digit)[None, None]  # (1, 1, 6, 6): K = 1
    T = np.eye(2)[[digit]]  # (1, 2)
    z, a, win = net.forward(X)
    delta = net.deltas(X, T)
    gW, gb = net.gradients(X, T)
    layers = [dict(kind=type(x).__name__.lower(), **dataclasses.asdict(x)) for x in LAYERS]
    rW, rb, rdelta = TorchCNN((1, 6, 6), layers, net.W, net.b, "squared_error").gradients(X, T)
    err = max(
        *(float(np.abs(delta[l] - rdelta[l]).max()) for l in rdelta),
        *(float(np.abs(gW[l] - rW[l]).max()) for l in rW),
        *(float(np.abs(gb[l] - rb[l]).max()) for l in rb),
    )
    return ConvWorked(
        digit=digit, x=X[0, 0], t=T[0], w=net.W[2][:, 0], b=net.b[2], W4=net.W[4], b4=net.b[4],
        z2=z[2][0], a2=a[2][0], z3=z[3][0], win=win[3][0], z4=z[4][0], a4=a[4][0], delta4=delta[4][0],
        delta3=delta[3][0], delta2=delta[2][0], dw=gW[2][:, 0], db=gb[2], C=float(net.costs(X, T)[0]),
        autograd_err=err,
    )  # fmt: skip
