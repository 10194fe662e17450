"""TorchCNNFamily: G convolutional networks stacked (one grouped nn.Conv2d, one optim.SGD) are G TorchCNNs alone.

Member g's z, a, costs, total cost, gradients (W, b, δ) and, after momentum steps, parameters and
velocities equal TorchCNN's on member g's own weights and data, to rounding; a family whose
convolutions mix the members (groups = 1), or that reads member 0's data for all, fails the check.
"""

import dataclasses

import numpy as np
import pytest
import torch

from comparisons.common.convnet import ConvSpec, featured_spec, make_conv_problem, sample_conv_specs
from torch_ref import TorchCNN, TorchCNNFamily

pytestmark = pytest.mark.usefixtures("one_torch_thread")  # tests/conftest.py

G = 3
TOL = {"float64": dict(rtol=1e-12, atol=1e-12), "float32": dict(rtol=1e-5, atol=1e-5)}


def conv(F, k, s, p, act):
    return dict(kind="conv", filters=F, size=k, stride=s, pad=p, activation=act)


def pool(mode, q, s):
    return dict(kind="pool", mode=mode, size=q, stride=s)


def dense(n, act):
    return dict(kind="dense", units=n, activation=act)


# (image, layers, cost): stride 1 and 2, padding 0 and > 0, max and average pooling (s < q overlapping, and on the
# input), 0–2 hidden dense layers, each cost with its output activation.
ARCHS = {
    "pad1-overlapping-max-softmax": (
        (2, 8, 8), (conv(3, 3, 1, 1, "relu"), pool("max", 3, 2), dense(2, "softmax")), "cross_entropy"),
    "stride2-overlapping-avg-two-convs-sigmoid": (
        (1, 9, 9),
        (conv(2, 3, 2, 0, "tanh"), pool("avg", 2, 1), conv(3, 2, 1, 1, "sigmoid"), pool("max", 2, 2),
         dense(5, "relu"), dense(1, "sigmoid")),
        "binary_cross_entropy"),
    "avg-on-input-stride2-pad2-two-hidden": (
        (3, 7, 6),
        (pool("avg", 2, 1), conv(2, 3, 2, 2, "leaky_relu"), dense(6, "tanh"), dense(4, "softplus"),
         dense(3, "identity")),
        "squared_error"),
    "max-on-input-1x1": ((2, 6, 6), (pool("max", 2, 2), conv(4, 1, 1, 0, "relu"), dense(3, "sigmoid")),
                         "squared_error"),
}  # fmt: skip


def specs(dtype):
    """The hand-built architectures, the featured one (integer data: exact max-pooling ties) and sampled ones."""
    out = [ConvSpec(image=i, layers=layers, cost=c, K=4, dtype=dtype, seed=5) for i, layers, c in ARCHS.values()]
    return out + [featured_spec(dtype)] + sample_conv_specs(4, 11, dtype)


CASES = [
    pytest.param(spec, reduction, id=f"{spec.dtype}-{reduction}-{i}")
    for dtype in ("float64", "float32")
    for i, spec in enumerate(specs(dtype))
    for reduction in ("sum", "mean")
]


def members(spec, reduction, G=G):
    """A family of G members with their own weights and data, and each member's TorchCNN: (family, nets, X, T)."""
    problems = [make_conv_problem(dataclasses.replace(spec, seed=spec.seed + 7 * g)) for g in range(G)]
    layers = [dict(x) for x in spec.layers]
    W = {l: np.stack([p[0][l] for p in problems]) for l in problems[0][0]}
    b = {l: np.stack([p[1][l] for p in problems]) for l in problems[0][1]}
    X, T = np.stack([p[2] for p in problems]), np.stack([p[3] for p in problems])  # (G, K, C, H, W), (G, K, n_L)
    nets = [TorchCNN(spec.image, layers, w, v, spec.cost, reduction) for w, v, *_ in problems]
    return TorchCNNFamily(spec.image, layers, W, b, spec.cost, reduction), nets, X, T


def close(mine, ref, dtype):
    """Same shape, same dtype, equal to rounding."""
    torch.testing.assert_close(torch.as_tensor(np.asarray(mine)), torch.as_tensor(np.asarray(ref)), **TOL[dtype])


def check_members(family, nets, X, T, dtype, fed=None):
    """Every quantity of member g against TorchCNN alone on member g's data (the family fed ``fed``, else (X, T)):
    AssertionError at the first miss."""
    K = X.shape[1]
    Xf, Tf = fed or (X, T)
    z, a = family.forward(Xf)
    fC_k, fC = family.costs(Xf, Tf), family.total_cost(Xf, Tf)
    fW, fb, fdelta = family.gradients(Xf, Tf)
    assert fC_k.shape == (G, K) and fC.shape == (G,) and fC.dtype == fC_k.dtype == np.dtype(dtype)
    for g, net in enumerate(nets):
        rz, ra = net.forward(X[g])
        close(a[1][g].detach(), ra[1].detach(), dtype)
        for l in rz:
            close(z[l][g].detach(), rz[l].detach(), dtype)
            close(a[l][g].detach(), ra[l].detach(), dtype)
        close(fC_k[g], net.costs(X[g], T[g]), dtype)
        np.testing.assert_allclose(fC[g], net.total_cost(X[g], T[g]), **TOL[dtype])
        rW, rb, rdelta = net.gradients(X[g], T[g])
        assert sorted(fW) == sorted(rW) and sorted(fdelta) == sorted(rdelta)
        for mine, ref in ((fW, rW), (fb, rb), (fdelta, rdelta)):
            for l in ref:
                close(mine[l][g], ref[l], dtype)


@pytest.mark.parametrize("spec, reduction", CASES)
def test_every_member_is_its_torch_cnn_alone(spec, reduction):
    family, nets, X, T = members(spec, reduction)
    check_members(family, nets, X, T, spec.dtype)
    z, a = family.forward(family.tensor(X))  # a tensor is taken as it is
    assert z[2].shape[:2] == (G, spec.K) and z[family.L].shape == (G, spec.K, spec.layers[-1]["units"])
    assert all(v.dtype == torch.float64 if spec.dtype == "float64" else torch.float32 for v in a.values())


@pytest.mark.parametrize("spec, reduction", CASES)
def test_momentum_steps_move_every_member_as_its_own_sgd(spec, reduction):
    family, nets, X, T = members(spec, reduction)
    eta, mu = 0.01, 0.9
    opt, alone = family.optimizer(eta, mu), [net.optimizer(eta, mu) for net in nets]
    assert family.velocities(opt) == {}
    for _ in range(4):
        C = family.step(opt, X, T)
        assert C.shape == (G,) and C.dtype == np.dtype(spec.dtype)
        for g, net in enumerate(nets):
            np.testing.assert_allclose(C[g], net.step(alone[g], X[g], T[g]), **TOL[spec.dtype])
    W, b, v = family.weights(), family.biases(), family.velocities(opt)
    assert sorted(v) == sorted([("W", l) for l in W] + [("b", l) for l in b])
    for g, net in enumerate(nets):
        rv = net.velocities(alone[g])
        for mine, ref in ((W, net.weights()), (b, net.biases())):
            for l in ref:
                close(mine[l][g], ref[l], spec.dtype)
        for key in rv:
            close(v[key][g], rv[key], spec.dtype)


def test_parameters_are_copied_bit_for_bit_and_given_back_stacked():
    spec = featured_spec()
    problems = [make_conv_problem(dataclasses.replace(spec, seed=g)) for g in range(G)]
    W = {l: np.stack([p[0][l] for p in problems]).astype(np.float32) for l in problems[0][0]}
    b = {l: np.stack([p[1][l] for p in problems]).astype(np.float32) for l in problems[0][1]}
    family = TorchCNNFamily(spec.image, [dict(x) for x in spec.layers], W, b, spec.cost)
    assert (family.G, family.L, family.image, family.cost, family.reduction) == (G, 7, (2, 8, 8), spec.cost, "sum")
    assert family.layer["2"].groups == G and family.layer["2"].weight.shape == (G * 3, 2, 3, 3)
    for mine, given in ((family.weights(), W), (family.biases(), b)):
        assert sorted(mine) == [2, 4, 6, 7]
        for l in given:
            assert mine[l].dtype == np.float32 and np.array_equal(mine[l], given[l])
    assert family.velocities(family.optimizer(0.1)) == {}  # no momentum: no buffers
    with pytest.raises(ValueError, match=r"X must have shape \(G, K, 2, 8, 8\) with G = 3, got \(5, 2, 8, 8\)"):
        family.forward(np.zeros((5, 2, 8, 8)))
    with pytest.raises(ValueError, match=r"W\[4\] stacks 3 networks but W\[2\] stacks 2: every stack needs one G"):
        TorchCNNFamily(spec.image, [dict(x) for x in spec.layers], {**W, 2: W[2][:2]}, b, spec.cost)


# The check has teeth: a family that is not G networks side by side fails it.


def test_a_family_whose_convolutions_mix_the_members_fails(monkeypatch):
    spec = ConvSpec(image=(2, 8, 8), layers=ARCHS["pad1-overlapping-max-softmax"][1], cost="cross_entropy", K=4)
    family, nets, X, T = members(spec, "sum")
    check_members(family, nets, X, T, "float64")  # grouped: passes
    Conv2d = torch.nn.Conv2d

    class Ungrouped(Conv2d):
        """groups = 1: every filter reads every member's channels (member g's filter repeated over the G blocks)."""

        def forward(self, x):
            w = self.weight.repeat(1, self.groups, 1, 1)  # (G·F, G·C, k, k)
            return torch.nn.functional.conv2d(x, w, self.bias, self.stride, self.padding)

    monkeypatch.setattr(torch.nn, "Conv2d", Ungrouped)
    mixed, *_ = members(spec, "sum")
    assert isinstance(mixed.layer["2"], Ungrouped)
    with pytest.raises(AssertionError):
        check_members(mixed, nets, X, T, "float64")


def test_a_family_fed_member_0s_data_for_all_fails():
    family, nets, X, T = members(specs("float64")[1], "mean")
    check_members(family, nets, X, T, "float64")
    with pytest.raises(AssertionError):
        check_members(family, nets, X, T, "float64", fed=(np.repeat(X[:1], G, axis=0), np.repeat(T[:1], G, axis=0)))
