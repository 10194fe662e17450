"""CNN families: G CNNs of one architecture stacked on a leading axis must be G CNNs computed alone.

For each member g, the stack's forward pass, costs, C_T, δ, gradients and training equal ``CNN`` run on member
g's data alone (to a tight rtol, and bit for bit on sampled specs); every comparison is shown able to fail on a
planted bug that touches the stack only.
"""

import dataclasses
import re

import numpy as np
import pytest

from comparisons.common.convnet import make_conv_problem, sample_conv_specs
from manual_bp import MLP, SGD, validate
from manual_bp.conv import CNN, CNNFamily, Conv, ConvTrainStep, Dense, Pool, train
from manual_bp.conv import conv as vconv
from manual_bp.conv import pool as vpool
from manual_bp.conv import step as cstep

G = 3
RTOL = {"float64": 1e-12, "float32": 1e-5}
FEATURED = ((2, 8, 8), (Conv(3, 3, 1, 1, "relu"), Pool("max", 2, 2), Conv(2, 2, 2, 1, "tanh"), Pool("avg", 2, 1),
                        Dense(4, "sigmoid"), Dense(3, "softmax")), "cross_entropy")  # fmt: skip
ARCHS = {
    "s1 p0, max pooling, no hidden dense": (
        (1, 8, 8),
        (Conv(3, 3, 1, 0, "relu"), Pool("max", 2, 2), Dense(4, "softmax")),
        "cross_entropy",
    ),
    "s2 p1, overlapping avg pooling, 1 hidden": (
        (2, 9, 10),
        (Conv(4, 3, 2, 1, "tanh"), Pool("avg", 3, 1), Dense(5, "sigmoid"), Dense(2, "sigmoid")),
        "binary_cross_entropy",
    ),
    "overlapping max pooling on the input, p2, 2 hidden": (
        (2, 9, 9),
        (
            Pool("max", 3, 2),
            Conv(3, 2, 1, 2, "leaky_relu"),
            Pool("avg", 2, 2),
            Dense(6, "relu"),
            Dense(4, "softplus"),
            Dense(3, "identity"),
        ),
        "squared_error",
    ),
    "two convs s2 then s1 p1, overlapping max": (
        (3, 11, 10),
        (Conv(2, 1, 2, 0, "sigmoid"), Conv(3, 3, 1, 1, "relu"), Pool("max", 2, 1), Dense(3, "softmax")),
        "cross_entropy",
    ),
    "featured: conv, max, padded s2 conv, avg, 1 hidden": FEATURED,
}


def targets(cost, rng, shape, dtype):
    """One-hot rows for cross-entropy, 0/1 for binary cross-entropy, real numbers for the squared error."""
    if cost == "cross_entropy":
        return np.eye(shape[-1], dtype=dtype)[rng.integers(0, shape[-1], shape[:-1])]
    if cost == "binary_cross_entropy":
        return rng.integers(0, 2, shape).astype(dtype)
    return rng.standard_normal(shape).astype(dtype)


def family_problem(arch, dtype="float64", reduction="sum", K=5, seed=0):
    """G CNNs of one architecture with their own weights, and their own data X (G, K, C, H, W), T (G, K, n_L)."""
    image, layers, cost = arch
    nets = [CNN.init(image, list(layers), cost, seed=seed + g, dtype=dtype, reduction=reduction) for g in range(G)]
    rng = np.random.default_rng([seed, 99])
    X = rng.standard_normal((G, K, *image)).astype(dtype)
    return nets, X, targets(cost, rng, (G, K, layers[-1].units), dtype)


def same(x, y, rtol):
    """Shape, dtype and values of x and y agree: to rtol (an atol of rtol times y's scale), or exactly for rtol 0."""
    x, y = np.asarray(x), np.asarray(y)
    if x.shape != y.shape or x.dtype != y.dtype:
        return False
    try:
        np.testing.assert_allclose(x, y, rtol=rtol, atol=rtol * float(np.max(np.abs(y), initial=0.0)))
    except AssertionError:
        return False
    return True


def stacked(x, dtype):
    """x is one number per member: an array (G,) of the network's dtype."""
    return isinstance(x, np.ndarray) and x.shape == (G,) and x.dtype == dtype


def differences(fam, nets, X, T, rtol):
    """The names of the quantities where member g of the family differs from ``nets[g]`` alone on X[g], T[g]."""
    bad = set()
    z, a, winners = fam.forward(X)
    delta, (gW, gb) = fam.deltas(X, T), fam.gradients(X, T)
    C_k, C_T = fam.costs(X, T), fam.total_cost(X, T)
    if not stacked(C_T, fam.dtype):
        bad.add("C_T")
        C_T = np.full(G, np.nan)
    for g, net in enumerate(nets):
        mz, ma, mwinners = net.forward(X[g])
        mdelta, (mW, mb) = net.deltas(X[g], T[g]), net.gradients(X[g], T[g])
        for name, ours, theirs in (("z", z, mz), ("a", a, ma), ("winners", winners, mwinners), ("delta", delta, mdelta),
                                   ("gW", gW, mW), ("gb", gb, mb)):  # fmt: skip
            if sorted(ours) != sorted(theirs) or not all(same(ours[l][g], theirs[l], rtol) for l in theirs):
                bad.add(name)
        if not same(C_k[g], net.costs(X[g], T[g]), rtol):
            bad.add("C_k")
        if not same(float(C_T[g]), net.total_cost(X[g], T[g]), rtol):
            bad.add("C_T")
    return bad


def training_differences(fam, nets, X, T, batches, momentum, rtol, eta=0.05):
    """Where ``train`` of the family differs from each member's ``train`` alone: history, final W or b."""
    history = cstep.train(fam, X, T, SGD(eta, momentum), batches)
    bad = set()
    if len(history) != len(batches) or not all(stacked(h, fam.dtype) for h in history):
        bad.add("history")
        history = [np.full(G, np.nan)] * len(batches)
    for g, net in enumerate(nets):
        alone = cstep.train(net, X[g], T[g], SGD(eta, momentum), batches)
        if not all(same(float(h[g]), c, rtol) for h, c in zip(history, alone)):
            bad.add("history")
        bad |= {name for name, ours, theirs in (("W", fam.W, net.W), ("b", fam.b, net.b))
                if not all(same(ours[l][g], theirs[l], rtol) for l in theirs)}  # fmt: skip
    return bad


@pytest.mark.parametrize("reduction", ["sum", "mean"])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("arch", ARCHS.values(), ids=ARCHS.keys())
def test_each_member_of_a_family_is_the_cnn_alone(arch, dtype, reduction):
    nets, X, T = family_problem(arch, dtype, reduction)
    fam = CNNFamily(nets)
    assert differences(fam, nets, X, T, RTOL[dtype]) == set()
    gW, gb = fam.gradients(X, T)
    for l, net_W in nets[0].W.items():
        assert gW[l].shape == (G, *net_W.shape) and gW[l].dtype == fam.W[l].dtype == np.dtype(dtype)
        assert gb[l].shape == fam.b[l].shape == (G, *nets[0].b[l].shape)
    assert fam.costs(X, T).shape == (G, X.shape[1]) and fam.total_cost(X, T).shape == (G,)
    assert all(d.shape[:2] == (G, X.shape[1]) for d in fam.deltas(X, T).values())


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("arch", ARCHS.values(), ids=ARCHS.keys())
def test_training_a_family_trains_each_member_as_alone(arch, dtype):
    nets, X, T = family_problem(arch, dtype, "mean", K=6, seed=4)
    fam = CNNFamily(nets)
    batches = [np.arange(6), np.array([4, 0, 2]), np.array([5]), np.array([1, 1, 3, 2])]
    assert training_differences(fam, nets, X, T, batches, 0.9, RTOL[dtype]) == set()
    history = train(CNNFamily([fam.member(g) for g in range(G)]), X, T, SGD(0.1), batches[:2])
    assert len(history) == 2 and all(isinstance(h, np.ndarray) and h.shape == (G,) for h in history)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_sampled_conv_specs_are_their_members_bit_for_bit(dtype):
    """Sampled architectures (exact ties in max pooling included), each a family of G seeds: rtol 0."""
    for spec in sample_conv_specs(12, 5, dtype=dtype):
        problems = [make_conv_problem(dataclasses.replace(spec, seed=spec.seed + g)) for g in range(G)]
        reduction = "mean" if spec.seed % 2 else "sum"
        nets = [CNN(spec.image, spec.manual_layers(), W, b, spec.cost, reduction) for W, b, *_ in problems]
        X, T = np.stack([p[2] for p in problems]), np.stack([p[3] for p in problems])
        assert differences(CNNFamily(nets), nets, X, T, 0.0) == set(), spec.label()
        batches, fam = problems[0][4][:3], CNNFamily(nets)
        assert training_differences(fam, nets, X, T, batches, spec.momentum, 0.0, spec.eta) == set(), spec.label()


def _first_members(x, core):
    """Member 0's array in place of every member's, where x carries a member axis (more than ``core`` axes)."""
    return x[:1] if x.ndim > core else x


ORIG = {"forward": vconv.conv_forward, "input": vconv.conv_input_gradient, "weight": vconv.conv_weight_gradient,
        "max_pool": vpool.max_pool, "costs": CNNFamily.costs, "gradients": CNNFamily.gradients}  # fmt: skip


def _forward_first_filters(W, b, a_prev, s, p):
    return ORIG["forward"](_first_members(W, 4), _first_members(b, 1), a_prev, s, p)


def _input_first_filters(delta, W, in_shape, s, p):
    return ORIG["input"](delta, _first_members(W, 4), in_shape, s, p)


def _weight_summed_over_members(delta, a_prev, k, s, p):
    g = ORIG["weight"](delta, a_prev, k, s, p)
    return np.broadcast_to(g.sum(axis=0), g.shape).copy() if delta.ndim == 5 else g


def _bias_single_network_axes(delta):
    return delta.sum(axis=(0, 2, 3))  # right for (K, F, H', W'), not for a stack: member and F axes summed


def _winners_of_member_0(a, q, s):
    z, arg = ORIG["max_pool"](a, q, s)
    return z, (np.broadcast_to(arg[:1], arg.shape) if a.ndim == 5 else arg)


def _costs_reversed(self, X, T):
    return ORIG["costs"](self, X, T)[::-1]


def _gradients_in_float64(self, X, T):
    gW, gb = ORIG["gradients"](self, X, T)
    return {l: g.astype(np.float64) for l, g in gW.items()}, {l: g.astype(np.float64) for l, g in gb.items()}


def _mean_over_members(self, K):
    return 1.0 if self.reduction == "sum" else 1.0 / getattr(self, "G", K)  # CNN's len(X): G for a stack


@pytest.mark.parametrize(
    "target, name, wrong, caught",
    [
        (vconv, "conv_forward", _forward_first_filters, {"z", "a", "winners", "C_k", "C_T", "delta", "gW", "gb"}),
        (vconv, "conv_input_gradient", _input_first_filters, {"delta", "gW", "gb"}),
        (vconv, "conv_weight_gradient", _weight_summed_over_members, {"gW"}),
        (vconv, "conv_bias_gradient", _bias_single_network_axes, {"gb"}),
        (vpool, "max_pool", _winners_of_member_0, {"winners", "delta", "gW", "gb"}),
        (CNNFamily, "costs", _costs_reversed, {"C_k"}),
        (CNNFamily, "total_cost", CNN.total_cost, {"C_T"}),  # one float for the whole stack, not (G,)
        (CNNFamily, "gradients", _gradients_in_float64, {"gW", "gb"}),  # float32 family: only the dtype is wrong
        (CNNFamily, "scale", _mean_over_members, {"C_T", "gW", "gb"}),
    ],
    ids=lambda x: getattr(x, "__name__", None),
)
def test_a_planted_bug_in_the_stack_is_caught(monkeypatch, target, name, wrong, caught):
    nets, X, T = family_problem(FEATURED, "float32", "mean")
    fam = CNNFamily(nets)
    monkeypatch.setattr(target, name, wrong)
    assert differences(fam, nets, X, T, RTOL["float32"]) == caught


def _rows_from_axis_0(net, X, T, optimizer, batches):
    """train with X[idx]: the examples of one CNN, but the members of a family."""
    X, T = net.check_data(X, T)
    step, history = ConvTrainStep(net, optimizer), []
    for idx in batches:
        step(X[idx], T[idx])
        history.append(net.total_cost(X, T, check=False))
    return history


def _member_0_steps_all(self, X, T):
    gW, gb = self.net.gradients(X, T)
    if isinstance(self.net, CNNFamily):
        gW = {l: np.broadcast_to(g[:1], g.shape).copy() for l, g in gW.items()}
    self.optimizer.step(self.net, gW, gb)


def test_a_planted_bug_in_family_training_is_caught(monkeypatch):
    nets, X, T = family_problem(FEATURED, "float64", "sum", K=5)
    batches = [np.array([0, 1, 2]), np.array([2, 0, 1])]  # G rows below G: X[idx] is a valid, wrong, stack
    with monkeypatch.context() as m:
        m.setattr(cstep, "train", _rows_from_axis_0)
        assert training_differences(CNNFamily(nets), nets, X, T, batches, 0.0, 1e-12) == {"history", "W", "b"}
    nets, X, T = family_problem(FEATURED, "float64", "sum", K=5)
    with monkeypatch.context() as m:
        m.setattr(ConvTrainStep, "__call__", _member_0_steps_all)
        assert training_differences(CNNFamily(nets), nets, X, T, batches, 0.0, 1e-12) == {"history", "W", "b"}
    nets, X, T = family_problem(FEATURED, "float64", "sum", K=5)
    monkeypatch.setattr(CNNFamily, "total_cost", CNN.total_cost)  # one float for the whole stack
    assert training_differences(CNNFamily(nets), nets, X, T, batches, 0.0, 1e-12) == {"history"}


def roundtrip_differences(fam, nets):
    """Where ``member(g)`` is not ``nets[g]`` again: its type and settings, W, b, or copies of the stack's arrays."""
    bad = set()
    for g, net in enumerate(nets):
        m = fam.member(g)
        if type(m) is not CNN or (m.image, m.layers, m.cost, m.reduction, m.dtype) != (
            net.image, net.layers, net.cost, net.reduction, net.dtype):  # fmt: skip
            bad.add("settings")
        for name, ours, theirs in (("W", m.W, net.W), ("b", m.b, net.b)):
            if sorted(ours) != sorted(theirs) or not all(same(ours[l], theirs[l], 0.0) for l in theirs):
                bad.add(name)
        if any(np.shares_memory(m.W[l], fam.W[l]) or np.shares_memory(m.b[l], fam.b[l]) for l in fam.W):
            bad.add("copy")
    return bad


def test_member_round_trips_and_can_be_told_apart(monkeypatch):
    nets, X, T = family_problem(FEATURED, "float32", "mean")
    fam = CNNFamily(nets)
    assert roundtrip_differences(fam, nets) == set()
    again = CNNFamily([fam.member(g) for g in range(G)])
    assert all(np.array_equal(again.W[l], fam.W[l]) and np.array_equal(again.b[l], fam.b[l]) for l in fam.W)
    assert not any(np.shares_memory(fam.W[l], n.W[l]) for n in nets for l in fam.W)  # the family holds copies too
    with pytest.raises(ValueError, match=r"g must be a member index 0 … 2 of this family of 3, got 3"):
        fam.member(G)
    with monkeypatch.context() as m:
        m.setattr(validate, "check_member", lambda g, n: 0)
        assert roundtrip_differences(fam, nets) == {"W", "b"}
    member = CNNFamily.member

    def summed(self, g):
        out = member(self, g)
        out.reduction = "sum"
        return out

    def views(self, g):
        out = member(self, g)
        out.W = {l: w[g] for l, w in self.W.items()}
        return out

    with monkeypatch.context() as m:
        m.setattr(CNNFamily, "member", summed)
        assert roundtrip_differences(fam, nets) == {"settings"}
    monkeypatch.setattr(CNNFamily, "member", views)
    assert roundtrip_differences(fam, nets) == {"copy"}


def test_family_attributes_and_repr():
    nets, X, T = family_problem(FEATURED, "float32", "mean")
    fam = CNNFamily(tuple(nets))
    assert (fam.G, fam.image, fam.layers, fam.L, fam.cost.name, fam.reduction, fam.dtype) == (
        G, (2, 8, 8), list(FEATURED[1]), 7, "cross_entropy", "mean", np.float32)  # fmt: skip
    assert sorted(fam.W) == sorted(fam.b) == [2, 4, 6, 7] and fam.W[2].shape == (G, 3, 2, 3, 3)
    assert fam.act[7].name == "softmax" and fam.act[3].name == "identity"  # pooling: z^l = a^l
    W, b = fam.params()
    W[2][0] += 1
    assert not np.array_equal(W[2], fam.W[2])
    assert repr(fam).startswith("CNNFamily(G=3, image=(2, 8, 8), layers=[Conv, Pool, Conv, Pool, Dense, Dense]")
    a_1 = fam.forward(X.astype(int))[1][1]  # integers are cast to the network's dtype
    assert a_1.dtype == np.float32 and np.array_equal(a_1, X.astype(int))


def _other(field):
    """A CNN that differs from FEATURED's first member in ``field`` alone."""
    image, layers, cost = FEATURED
    kw = dict(image=image, layers=list(layers), cost=cost, dtype="float64", reduction="sum")
    kw[field] = {"image": (2, 9, 8), "layers": [Conv(4, 3, 1, 1, "relu"), *layers[1:]], "cost": "squared_error",
                 "dtype": "float32", "reduction": "mean"}[field]  # fmt: skip
    return CNN.init(kw["image"], kw["layers"], kw["cost"], seed=1, dtype=kw["dtype"], reduction=kw["reduction"])


@pytest.mark.parametrize(
    "field, message",
    [
        ("image", r"CNN family member 1 has image \(2, 9, 8\), member 0 has \(2, 8, 8\)"),
        ("layers", r"CNN family member 1 has layers \[Conv\(filters=4.*member 0 has \[Conv\(filters=3.*"),
        ("cost", "CNN family member 1 has cost squared_error, member 0 has cross_entropy"),
        ("dtype", "CNN family member 1 has dtype float32, member 0 has float64"),
        ("reduction", "CNN family member 1 has reduction mean, member 0 has sum"),
    ],
)
def test_members_that_differ_in_more_than_weights_are_refused(field, message):
    first = CNN.init(FEATURED[0], list(FEATURED[1]), FEATURED[2], seed=0)
    with pytest.raises(ValueError, match=message + ": the members of a family share all but their weights"):
        CNNFamily([first, _other(field)])


def test_what_is_not_a_list_of_cnns_is_refused():
    nets, _, _ = family_problem(FEATURED)
    with pytest.raises(ValueError, match="members is empty: a CNN family is made of one or more"):
        CNNFamily([])
    with pytest.raises(validate.WrongType, match="members must be a list of manual_bp.conv.CNN networks, got CNN"):
        CNNFamily(nets[0])
    mlp = MLP.init([3, 2], "sigmoid", "squared_error")
    for bad, kind in ((mlp, "MLP"), (CNNFamily(nets), "CNNFamily"), ("cnn", "str")):
        with pytest.raises(TypeError, match=rf"members\[1\] must be a manual_bp.conv.CNN, got {kind}$"):
            CNNFamily([nets[0], bad])


def test_data_of_a_wrong_shape_or_value_is_refused():
    nets, X, T = family_problem(FEATURED, "float32")
    fam = CNNFamily(nets)
    for bad in (X[0], X[:2], X[..., :7], X[:, :0]):
        with pytest.raises(ValueError, match=re.escape(f"X must have shape (G, K, 2, 8, 8) with G = 3, K >= 1, "
                                                       f"got {bad.shape}")):  # fmt: skip
            fam.gradients(bad, T)
    with pytest.raises(ValueError, match=r"T must have shape \(3, 5, 3\) to match X, got \(3, 4, 3\)"):
        fam.total_cost(X, T[:, :4])
    nan = X.copy()
    nan[1, 2, 0, 0, 0] = np.nan
    with pytest.raises(ValueError, match="member 1: X contains NaN or inf"):
        fam.costs(nan, T)
    with pytest.raises(ValueError, match="member 0: T has dtype float64 but the network is float32; cast it first"):
        fam.deltas(X, T.astype(np.float64))
    with pytest.raises(ValueError, match=r"batches\[0\] holds row 5 but X has 5 rows"):
        train(fam, X, T, SGD(0.1), [np.array([5])])
