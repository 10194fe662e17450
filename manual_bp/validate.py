"""Input checks: each raises one sentence naming the argument — ValueError for a bad value, WrongType for a wrong type.

WrongType is a TypeError and, as every check raised before it existed, a ValueError too.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Sequence

import numpy as np

from .activations import OUTPUT_ONLY, get_activation
from .costs import get_cost

FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


class WrongType(TypeError, ValueError):
    """An argument of the wrong type (a TypeError that ``except ValueError`` also catches)."""


def check_dtype(dtype):
    """float32 or float64 (a name numpy knows, the numpy type or a dtype), as a numpy dtype.

    None, numbers and the like are refused: numpy would coerce them to float64 silently.
    """
    if not isinstance(dtype, (str, np.dtype, type)):
        raise WrongType(f"dtype must be 'float32', 'float64' or a numpy float dtype, got {type(dtype).__name__} "
                        f"{dtype!r}")  # fmt: skip
    try:
        dt = np.dtype(dtype)
    except TypeError:
        dt = None
    if dt is None or not any(dt == f for f in FLOAT_DTYPES):
        raise ValueError(f"dtype must be float32 or float64, got {dtype!r}")
    return dt


def check_int(name, v, lo):
    """An integer ≥ lo (bools refused)."""
    if isinstance(v, bool) or not isinstance(v, numbers.Integral):
        raise WrongType(f"{name} must be an integer >= {lo}, got {type(v).__name__} {v!r}")
    if v < lo:
        raise ValueError(f"{name} must be an integer >= {lo}, got {v!r}")
    return int(v)


def check_bool(name, v):
    """True or False."""
    if not isinstance(v, (bool, np.bool_)):
        raise WrongType(f"{name} must be True or False, got {type(v).__name__} {v!r}")
    return bool(v)


def check_seed(seed):
    """A seed for numpy's default_rng: an integer ≥ 0."""
    return check_int("seed", seed, 0)


def check_sizes(sizes):
    """At least two layers, every width an integer ≥ 1."""
    if isinstance(sizes, (str, bytes)) or not isinstance(sizes, Iterable):
        raise WrongType(f"sizes must be a list of layer widths [n_1, …, n_L], got {type(sizes).__name__} {sizes!r}")
    sizes = list(sizes)
    if len(sizes) < 2:
        raise ValueError(f"sizes needs at least 2 layers (input and output), got {sizes!r}")
    for l, n in enumerate(sizes, start=1):
        check_int(f"width of layer l = {l}", n, 1)
    return [int(n) for n in sizes]


def check_activations(activations, L):
    """One name per layer l = 2 … L (or one name for all); softmax only at the output."""
    if isinstance(activations, str):
        activations = [activations] * (L - 1)
    if not isinstance(activations, (list, tuple)):
        raise WrongType(f"activations must be a name or a list of names for l = 2 … {L}, got "
                        f"{type(activations).__name__} {activations!r}")  # fmt: skip
    activations = list(activations)
    for l, name in enumerate(activations, start=2):
        if not isinstance(name, str):
            raise WrongType(f"activations must be names such as 'sigmoid', got {type(name).__name__} {name!r} "
                            f"for l = {l}")  # fmt: skip
    if len(activations) != L - 1:
        raise ValueError(f"got {len(activations)} activations for {L - 1} layers with weights (l = 2 … {L})")
    acts = {l: get_activation(name) for l, name in enumerate(activations, start=2)}
    for l, act in acts.items():
        if act.name in OUTPUT_ONLY and l != L:
            raise ValueError(f"{act.name} is allowed only at the output layer L = {L}, not at l = {l}")
    return acts


def check_cost(cost, out_act):
    """A known cost whose required output activation, if any, is the one used."""
    if not isinstance(cost, str):
        raise WrongType(f"cost must be a name such as 'squared_error', got {type(cost).__name__} {cost!r}")
    cost = get_cost(cost)
    if cost.link is not None and out_act.name != cost.link:
        raise ValueError(f"cost {cost.name} needs a {cost.link} output layer, got {out_act.name}")
    return cost


def as_array(x, what):
    """x as a numpy array; WrongType for what cannot be one, ValueError naming ``what`` for a ragged one."""
    if x is None or isinstance(x, (str, bytes, dict, set)):
        raise WrongType(f"{what} must be an array of real numbers, got {type(x).__name__}")
    try:
        return np.asarray(x)
    except ValueError:  # numpy's two sentences about an inhomogeneous shape
        raise ValueError(f"{what} is ragged: its rows have different lengths") from None


def _as_float_array(x, what, dtype):
    """x as an array of ``dtype``: integers and bools are cast, other floats refused."""
    arr = as_array(x, what)
    if arr.dtype.kind in "biu":
        arr = arr.astype(dtype)
    elif arr.dtype.kind != "f":
        raise ValueError(f"{what} must hold real numbers, got dtype {arr.dtype}")
    elif arr.dtype != dtype:
        raise ValueError(f"{what} has dtype {arr.dtype} but the network is {dtype}; cast it first")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{what} contains NaN or inf")
    return arr


def check_params(weights, biases):
    """W[l] (n_l, n_{l-1}) and b[l] (n_l,) for l = 2 … L, one float dtype, all finite."""
    for name, d in (("weights", weights), ("biases", biases)):
        if not isinstance(d, dict):
            raise WrongType(f"{name} must be a dict keyed by the layer number l = 2 … L, got {type(d).__name__}")
    if not weights:
        raise ValueError("weights is empty: a network needs at least the layers l = 1 and 2")
    L = len(weights) + 1
    expected = list(range(2, L + 1))
    if sorted(weights, key=repr) != sorted(expected, key=repr) or sorted(biases, key=repr) != sorted(
        expected, key=repr
    ):
        raise ValueError(
            f"weights and biases must both be keyed l = 2 … {L}, got {sorted(weights, key=repr)} and "
            f"{sorted(biases, key=repr)}"
        )
    dtype = as_array(weights[2], "W[2]").dtype
    if dtype not in FLOAT_DTYPES:
        raise ValueError(f"W[2] must be float32 or float64, got dtype {dtype}")
    W, b = {}, {}
    for l in expected:
        W[l] = _as_float_array(weights[l], f"W[{l}]", dtype)
        b[l] = _as_float_array(biases[l], f"b[{l}]", dtype)
        if W[l].ndim != 2 or min(W[l].shape) < 1:
            raise ValueError(f"W[{l}] must be a 2-D array (n_{l}, n_{l - 1}) with widths >= 1, got shape {W[l].shape}")
        if l > 2 and W[l].shape[1] != W[l - 1].shape[0]:
            raise ValueError(f"W[{l}] has shape {W[l].shape} but layer {l - 1} has {W[l - 1].shape[0]} units")
        if b[l].shape != (W[l].shape[0],):
            raise ValueError(f"b[{l}] must have shape ({W[l].shape[0]},), got {b[l].shape}")
    return W, b, dtype


NO_T = object()  # check_data's T when only X is wanted (the forward pass): None is refused as a T


def check_data(X, T, n_1, n_L, dtype):
    """X (K, n_1) and T (K, n_L), K ≥ 1, real and finite; T NO_T for X alone (then None comes back)."""
    X = _as_float_array(X, "X", dtype)
    if X.ndim != 2 or X.shape[1] != n_1 or X.shape[0] < 1:
        raise ValueError(f"X must have shape (K, {n_1}) with K >= 1 (one row per example), got {X.shape}")
    if T is NO_T:
        return X, None
    T = _as_float_array(T, "T", dtype)
    if T.shape != (X.shape[0], n_L):
        raise ValueError(f"T must have shape ({X.shape[0]}, {n_L}) to match X, got {T.shape}")
    return X, T


def check_eta(eta):
    """A finite learning rate η > 0."""
    if isinstance(eta, bool) or not isinstance(eta, numbers.Real):
        raise WrongType(f"eta must be a finite number > 0, got {type(eta).__name__} {eta!r}")
    if not np.isfinite(eta) or eta <= 0:
        raise ValueError(f"eta must be a finite number > 0, got {eta!r}")
    return float(eta)


def check_momentum(mu):
    """A momentum μ in [0, 1)."""
    if isinstance(mu, bool) or not isinstance(mu, numbers.Real):
        raise WrongType(f"momentum must be a number in [0, 1), got {type(mu).__name__} {mu!r}")
    if not 0 <= mu < 1:
        raise ValueError(f"momentum must be a number in [0, 1), got {mu!r}")
    return float(mu)


def check_reduction(reduction):
    """'sum' (C_T, the lecture's) or 'mean' (C_T / K)."""
    if not isinstance(reduction, str):
        raise WrongType(f"reduction must be 'sum' or 'mean', got {type(reduction).__name__} {reduction!r}")
    if reduction not in ("sum", "mean"):
        raise ValueError(f"reduction must be 'sum' or 'mean', got {reduction!r}")
    return reduction


def check_batches(batches, K):
    """Each entry a non-empty 1-D array of row indices 0 … K−1 into X.

    A list or tuple is checked in full before any batch is used, so that a refused call
    changes nothing (a batch object that repeats, as in ``full_batch``, is checked once);
    any other iterable (a generator that moves a progress bar) one batch before its step.
    """
    if isinstance(batches, (str, bytes)) or not isinstance(batches, Iterable):
        raise WrongType(f"batches must be a list of row-index arrays, as full_batch(K, steps) gives, got {batches!r}")
    if not isinstance(batches, Sequence):
        return (_check_batch(i, idx, K) for i, idx in enumerate(batches))
    out, seen = [], {}
    for i, idx in enumerate(batches):
        if id(idx) not in seen:  # ids stay unique: ``batches`` keeps every batch alive
            seen[id(idx)] = _check_batch(i, idx, K)
        out.append(seen[id(idx)])
    return out


def _check_batch(i, idx, K):
    arr = np.asarray(idx)
    if arr.ndim != 1 or arr.size == 0 or arr.dtype.kind not in "iu":
        raise ValueError(
            f"batches[{i}] must be a non-empty 1-D array of integer row indices, got shape {arr.shape} "
            f"dtype {arr.dtype}"
        )
    lo, hi = int(arr.min()), int(arr.max())
    if lo < 0 or hi >= K:
        raise ValueError(f"batches[{i}] holds row {hi if hi >= K else lo} but X has {K} rows (0 … {K - 1})")
    return arr


def check_net(net, what="net"):
    """A manual_bp network: an MLP, a Family of them, or a CNN — parameters in the dicts ``W`` and ``b``."""
    if not (isinstance(getattr(net, "W", None), dict) and isinstance(getattr(net, "b", None), dict)):
        raise WrongType(f"{what} must be a manual_bp network (MLP, Family or CNN), got {type(net).__name__}")
    return net


def parameters(net):
    """(net.W, net.b) of a manual_bp network, as ``check_net`` checks it, at the cost of one attribute lookup each."""
    W, b = getattr(net, "W", None), getattr(net, "b", None)
    if type(W) is not dict or type(b) is not dict:
        check_net(net)  # the usual message (or a dict subclass, which it accepts)
    return W, b


def check_optimizer(optimizer):
    """An optimizer with ``step(net, gW, gb)``, as SGD."""
    if not callable(getattr(optimizer, "step", None)):
        raise WrongType(f"optimizer must be an optimizer such as SGD(eta=0.1), got {type(optimizer).__name__}")
    return optimizer


def check_member(g, G):
    """A member index 0 … G−1 of a family of G."""
    g = check_int("g", g, 0)
    if g >= G:
        raise ValueError(f"g must be a member index 0 … {G - 1} of this family of {G}, got {g}")
    return g


def check_members(members, kind, family, shared, name, title="family"):
    """The members a ``family`` is made from, as a list: ``kind`` networks (none itself a family) that agree on every
    field of ``shared``; WrongType or ValueError naming the member and the field otherwise."""
    if not isinstance(members, (list, tuple)):
        raise WrongType(f"members must be a list of {name} networks, got {type(members).__name__}")
    members = list(members)
    if not members:
        raise ValueError(f"members is empty: a {title} is made of one or more {name} networks")
    for g, m in enumerate(members):
        if not isinstance(m, kind) or isinstance(m, family):
            raise WrongType(f"members[{g}] must be a {name}, got {type(m).__name__}")
    for g, m in enumerate(members[1:], start=1):
        for field in shared:
            mine, theirs = str(getattr(m, field)), str(getattr(members[0], field))
            if mine != theirs:
                raise ValueError(f"{title} member {g} has {field} {mine}, member 0 has {theirs}: the members of a "
                                 "family share all but their weights")  # fmt: skip
    return members
