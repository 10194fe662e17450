"""The networks a student's conv and pooling layers are tried on, and autograd's numbers for each layer.

Network: a^1 (K, 2, 6, 6) → conv l = 2 (3 filters 3×3, stride 1, pad 1) → relu → max pooling l = 3 (2×2,
stride 2) → conv l = 4 (2 filters 3×3, stride 2, pad 1) → tanh → flatten → dense → squared error.  Every
layer of the student's is run alone on autograd's input to it and autograd's ∂C/∂(its output), so a wrong
equation shows at its own layer and nowhere else.  A second draw has integer images (max pooling ties),
a third other sizes (stride 2 with pad 0, 3×3 windows with stride 1: overlapping pools).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F


@dataclass
class Layer:
    """One layer of a case: what the student's code gets and what autograd says it must give."""

    l: int
    kind: str  # conv or pool
    args: tuple  # conv: (x, w, b, stride, pad, dout); pool: (x, q, stride, dout)
    expect: dict  # out, dx (and dw, db for conv)
    label: str


@dataclass
class Case:
    name: str
    layers: list  # in the order backprop reaches them: the top layer first


CONFIGS = {
    "6×6 images": dict(K=2, C=2, H=6, F1=3, k1=3, s1=1, p1=1, q=2, qs=2, F2=2, k2=3, s2=2, p2=1, integer=False),
    "6×6 integer images (ties in max pooling)": dict(
        K=2, C=1, H=6, F1=2, k1=1, s1=1, p1=0, q=2, qs=2, F2=2, k2=3, s2=2, p2=1, integer=True
    ),  # fmt: skip
    "7×7 images, stride 2 unpadded, overlapping pools": dict(
        K=3, C=3, H=7, F1=2, k1=3, s1=2, p1=0, q=2, qs=1, F2=3, k2=2, s2=1, p2=0, integer=False
    ),  # fmt: skip
}


def case(name, cfg, seed=0):
    """One Case from autograd: each layer's input, upstream gradient and expected results."""
    rng = np.random.default_rng(seed)
    g = cfg
    x = rng.integers(-2, 3, (g["K"], g["C"], g["H"], g["H"])).astype(float) if g["integer"] else rng.standard_normal(
        (g["K"], g["C"], g["H"], g["H"]))  # fmt: skip
    w1 = rng.integers(-1, 2, (g["F1"], g["C"], g["k1"], g["k1"])).astype(float) if g["integer"] else (
        rng.standard_normal((g["F1"], g["C"], g["k1"], g["k1"])) * 0.5)  # fmt: skip
    b1 = np.zeros(g["F1"]) if g["integer"] else rng.standard_normal(g["F1"]) * 0.1
    w2, b2 = rng.standard_normal((g["F2"], g["F1"], g["k2"], g["k2"])) * 0.5, rng.standard_normal(g["F2"]) * 0.1
    t = [torch.tensor(v, requires_grad=True) for v in (x, w1, b1, w2, b2)]
    z2 = F.conv2d(t[0], t[1], t[2], stride=g["s1"], padding=g["p1"])
    a2 = torch.relu(z2) if not g["integer"] else z2  # integer case: the maps stay integers, ties stay exact
    a2.retain_grad()
    z3 = F.max_pool2d(a2, g["q"], g["qs"])
    z3.retain_grad()
    z4 = F.conv2d(z3, t[3], t[4], stride=g["s2"], padding=g["p2"])
    z4.retain_grad()
    a4 = torch.tanh(z4).flatten(1)
    dense = torch.tensor(rng.standard_normal((3, a4.shape[1])))
    T = torch.tensor(rng.random((g["K"], 3)))
    C = 0.5 * ((a4 @ dense.T - T) ** 2).sum()
    z2.retain_grad()
    C.backward()
    n = lambda v: v.detach().numpy().copy()  # noqa: E731
    layers = [
        Layer(4, "conv", (n(z3), w2, b2, g["s2"], g["p2"], n(z4.grad)),
              dict(out=n(z4), dx=n(z3.grad), dw=n(t[3].grad), db=n(t[4].grad)),
              f"conv layer l = 4 ({g['F2']} filters {g['k2']}×{g['k2']}, stride {g['s2']}, pad {g['p2']})"),
        Layer(3, "pool", (n(a2), g["q"], g["qs"], n(z3.grad)), dict(out=n(z3), dx=n(a2.grad)),
              f"max pooling layer l = 3 ({g['q']}×{g['q']}, stride {g['qs']})"),
        Layer(2, "conv", (x, w1, b1, g["s1"], g["p1"], n(z2.grad)),
              dict(out=n(z2), dx=n(t[0].grad), dw=n(t[1].grad), db=n(t[2].grad)),
              f"conv layer l = 2 ({g['F1']} filters {g['k1']}×{g['k1']}, stride {g['s1']}, pad {g['p1']})"),
    ]  # fmt: skip
    return Case(name, layers)


def cases(seed=0):
    """Every case, in order."""
    return [case(name, cfg, seed + i) for i, (name, cfg) in enumerate(CONFIGS.items())]
