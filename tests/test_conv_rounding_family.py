"""The conv rounding model of a family (G networks of one architecture stacked on a leading axis) gives every member
its own values and S: member g's are the reference's (TorchCNNFamily's) on member g, they do not move when the other
members change, exactness is each member's own, and a family of one is the single network."""

import dataclasses

import numpy as np
import pytest
import torch

from comparisons.common.convnet import featured_spec, make_conv_problem, sample_conv_specs
from comparisons.sweep.conv.rounding import Magnitudes

SEEDS = (101, 202, 303)  # the members' make_conv_problem seeds
RTOL = 1e-12


def specs(dtype):
    return sample_conv_specs(10, 5, dtype, steps=2) + [featured_spec(dtype)]


CASES = [(dtype, at, i) for dtype, ats in (("float64", ("float64",)), ("float32", ("float64", "float32")))
         for at in ats for i in range(11)]  # fmt: skip


def problems(members):
    """Each member's own (W, b, X, T), from make_conv_problem on its spec."""
    return [make_conv_problem(m)[:4] for m in members]


def stack(probs):
    """The members' (W, b, X, T) stacked on a leading axis G."""
    W, b = ({l: np.stack([p[i][l] for p in probs]) for l in probs[0][i]} for i in (0, 1))
    return W, b, np.stack([p[2] for p in probs]), np.stack([p[3] for p in probs])


def leaves(tree, path=()):
    """(path, array) of every array in nested dicts."""
    for key, v in tree.items():
        if isinstance(v, dict):
            yield from leaves(v, (*path, key))
        else:
            yield (*path, key), v


def at(tree, path):
    for key in path:
        tree = tree[key]
    return tree


def assert_member(family, one, g):
    """Member g of the family's tree equals the single network's: same keys and shapes, within RTOL (NaN where NaN,
    inf where inf), and exactly 0 wherever the single one is."""
    assert sorted(p for p, _ in leaves(family)) == sorted(p for p, _ in leaves(one))
    for path, v in leaves(one):
        f = np.asarray(at(family, path), np.float64)[g]
        v = np.asarray(v, np.float64)
        assert f.shape == v.shape, (path, f.shape, v.shape)
        np.testing.assert_allclose(f, v, rtol=RTOL, atol=0, err_msg=str(path))
        assert (f[v == 0] == 0).all(), path


def models(spec, members, dtype, at_, others=(404, 505)):
    """(the family's Magnitudes, the same family with every member but g drawn anew, for each g)."""
    probs = problems(members)
    with np.errstate(all="ignore"):
        fam = Magnitudes(spec.layers, *stack(probs), spec.cost, dtype, at=at_)
        moved = []
        for g in range(len(probs)):
            new = iter(problems([dataclasses.replace(members[g], seed=s, exact=False) for s in others]))
            moved.append(Magnitudes(spec.layers, *stack([p if h == g else next(new) for h, p in enumerate(probs)]),
                                    spec.cost, dtype, at=at_))  # fmt: skip
    return fam, moved


def assert_family(fam, moved):
    """Member g's values, S, z and a are the same whatever the other members are."""
    G = len(moved)
    with np.errstate(all="ignore"):
        S_fam = fam.scales()
        for g, other in enumerate(moved):
            assert_member(fam.values, pick(other.values, g), g)
            assert_member(S_fam, pick(other.scales(), g), g)
            assert_member({"z": fam.z, "a": fam.a}, {"z": pick(other.z, g), "a": pick(other.a, g)}, g)
    assert S_fam["C_T"].shape == fam.values["C_T"].shape == fam.tail.S_CT.shape == (G,)
    assert all(v.shape[0] == G for _, v in leaves(fam.values))


def pick(tree, g):
    return {k: pick(v, g) if isinstance(v, dict) else np.asarray(v)[g] for k, v in tree.items()}


@pytest.mark.parametrize("dtype, at_, i", CASES, ids=lambda x: str(x))
def test_every_member_gets_its_own_values_and_scales(dtype, at_, i):
    spec = specs(dtype)[i]
    fam, moved = models(spec, [dataclasses.replace(spec, seed=s) for s in SEEDS], dtype, at_)
    assert_family(fam, moved)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_exactness_is_each_members_own(dtype):
    """An exact member (integer images and kernels: every conv sum exact, S = 0 there) beside inexact ones."""
    spec = featured_spec(dtype)
    members = [dataclasses.replace(spec, seed=s, exact=e) for s, e in zip(SEEDS, (True, False, True))]
    fam, moved = models(spec, members, dtype, dtype)
    assert_family(fam, moved)
    assert (fam.Sa[2][0] == 0).all() and (fam.Sa[2][2] == 0).all()  # the first conv's sums: exact in members 0, 2
    assert (fam.Sa[2][1] > 0).any()  # … not in member 1


def test_the_comparison_fails_where_a_member_is_not_its_own():
    """Member 0's weights for every member: member 1's values and S then move with member 0."""
    spec = specs("float64")[0]
    probs = problems([dataclasses.replace(spec, seed=s) for s in SEEDS])
    W, b, X, T = stack(probs)
    first = lambda P: {l: np.broadcast_to(v[:1], v.shape) for l, v in P.items()}  # noqa: E731
    fam = Magnitudes(spec.layers, first(W), first(b), X, T, spec.cost, spec.dtype)
    W2 = {l: v.copy() for l, v in W.items()}
    for v in W2.values():
        v[0] *= 1.5  # member 0 moves: a leak carries it into member 1
    leak = Magnitudes(spec.layers, first(W2), first(b), X, T, spec.cost, spec.dtype)
    with pytest.raises(AssertionError):
        assert_member(fam.values, pick(leak.values, 1), 1)
    with pytest.raises(AssertionError):
        assert_member(fam.scales(), pick(leak.scales(), 1), 1)


def test_a_family_of_one_is_the_single_network():
    """X with the G axis (G = 1) gives the single call's results with that axis; without it, none (C_T a float)."""
    spec = featured_spec("float32")
    p = problems([dataclasses.replace(spec, exact=False)])[0]
    one = Magnitudes(spec.layers, *p, spec.cost, spec.dtype)
    fam = Magnitudes(spec.layers, *stack([p]), spec.cost, spec.dtype)
    S, S1 = one.scales(), fam.scales()
    assert type(one.values["C_T"]) is float and type(S["C_T"]) is float and one.tail.S_CT.shape == (1,)
    for f, o in ((fam.values, one.values), (S1, S), ({"z": fam.z, "a": fam.a}, {"z": one.z, "a": one.a})):
        for path, v in leaves(o):
            assert np.array_equal(at(f, path)[0], v, equal_nan=True), path


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_the_values_are_the_references_own_bit_for_bit(dtype):
    """Every member's values are the sweep's reference's (a TorchCNNFamily on the same stack), bit for bit, in the
    computation's dtype: the bound against torch takes its branches from them."""
    from torch_ref import TorchCNNFamily

    spec = specs(dtype)[1]
    W, b, X, T = stack(problems([dataclasses.replace(spec, seed=s) for s in SEEDS]))
    fam = Magnitudes(spec.layers, W, b, X, T, spec.cost, dtype, at=dtype)
    ref = TorchCNNFamily(spec.image, [dict(d) for d in spec.layers], W, b, spec.cost)
    gW, gb, delta = ref.gradients(X, T)
    with torch.no_grad():
        z, a = ref.forward(ref.tensor(X), retain=False)
    for name, d in (("W", gW), ("b", gb), ("delta", delta)):
        for l, v in d.items():
            assert np.array_equal(fam.values[name][l], v), (name, l)
    for l in z:
        assert np.array_equal(fam.z[l], z[l].numpy()) and np.array_equal(fam.a[l], a[l].numpy()), l
    assert np.array_equal(fam.values["C_k"], ref.costs(X, T))
    assert np.array_equal(fam.values["C_T"], ref.total_cost(X, T))


def test_stacks_of_different_sizes_are_refused():
    spec = specs("float64")[0]
    W, b, X, T = stack(problems([dataclasses.replace(spec, seed=s) for s in SEEDS]))
    with pytest.raises(ValueError, match=r"X stacks 3 networks but W\[2\] stacks 2"):
        Magnitudes(spec.layers, {l: v[:2] for l, v in W.items()}, b, X, T, spec.cost, spec.dtype)
