"""Input checks for TorchMLP and TorchFamily: one sentence naming the argument — ValueError for a bad value,
WrongType (a TypeError that is also a ValueError) for a wrong type.

The messages are manual_bp's, word for word, where the same thing is wrong (a test holds
the two sides to that); the checks are written again here because torch_ref never
imports manual_bp.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Sequence

import numpy as np
import torch

FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
# Each cost with the output activation it is built for (None: any).
COST_LINKS = {"squared_error": None, "binary_cross_entropy": "sigmoid", "cross_entropy": "softmax"}
OUTPUT_ONLY = frozenset({"softmax"})
NO_T = object()  # check_data's T when only X is wanted (the forward pass): None is refused as a T


class WrongType(TypeError, ValueError):
    """An argument of the wrong type (a TypeError that ``except ValueError`` also catches)."""


def check_activations(activations, L, known):
    """One name per layer l = 2 … L (or one name for all), each in ``known``; softmax only at the output."""
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
    for name in activations:
        if name not in known:
            raise ValueError(f"unknown activation {name!r}; choose one of {', '.join(known)}")
    for l, name in enumerate(activations, start=2):
        if name in OUTPUT_ONLY and l != L:
            raise ValueError(f"{name} is allowed only at the output layer L = {L}, not at l = {l}")
    return activations


def check_cost(cost, out_act):
    """A known cost whose required output activation, if any, is the one used."""
    if not isinstance(cost, str):
        raise WrongType(f"cost must be a name such as 'squared_error', got {type(cost).__name__} {cost!r}")
    if cost not in COST_LINKS:
        raise ValueError(f"unknown cost {cost!r}; choose one of {', '.join(COST_LINKS)}")
    link = COST_LINKS[cost]
    if link is not None and out_act != link:
        raise ValueError(f"cost {cost} needs a {link} output layer, got {out_act}")
    return cost


def check_reduction(reduction):
    """'sum' (C_T, the lecture's) or 'mean' (C_T / K)."""
    if not isinstance(reduction, str):
        raise WrongType(f"reduction must be 'sum' or 'mean', got {type(reduction).__name__} {reduction!r}")
    if reduction not in ("sum", "mean"):
        raise ValueError(f"reduction must be 'sum' or 'mean', got {reduction!r}")
    return reduction


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
    """W[l] (n_l, n_{l-1}) and b[l] (n_l,) for l = 2 … L as NumPy arrays, one float dtype, all finite."""
    for name, d in (("weights", weights), ("biases", biases)):
        if not isinstance(d, dict):
            raise WrongType(f"{name} must be a dict keyed by the layer number l = 2 … L, got {type(d).__name__}")
    if not weights:
        raise ValueError("weights is empty: a network needs at least the layers l = 1 and 2")
    L = len(weights) + 1
    expected = list(range(2, L + 1))
    if set(weights) != set(expected) or set(biases) != set(expected):
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


def check_shapes(X_shape, T_shape, n_1, n_L):
    """X (K, n_1) with K ≥ 1, and T (K, n_L) when given."""
    if len(X_shape) != 2 or X_shape[1] != n_1 or X_shape[0] < 1:
        raise ValueError(f"X must have shape (K, {n_1}) with K >= 1 (one row per example), got {X_shape}")
    if T_shape is not None and T_shape != (X_shape[0], n_L):
        raise ValueError(f"T must have shape ({X_shape[0]}, {n_L}) to match X, got {T_shape}")


def check_data(X, T, n_1, n_L, dtype):
    """X (K, n_1) and T (K, n_L) as NumPy arrays of ``dtype``, K ≥ 1, real and finite."""
    X = _as_float_array(X, "X", dtype)
    check_shapes(X.shape, None, n_1, n_L)
    if T is NO_T:
        return X, None
    T = _as_float_array(T, "T", dtype)
    check_shapes(X.shape, T.shape, n_1, n_L)
    return X, T


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
    arr = np.asarray(idx.cpu() if hasattr(idx, "cpu") else idx)
    if arr.ndim != 1 or arr.size == 0 or arr.dtype.kind not in "iu":
        raise ValueError(
            f"batches[{i}] must be a non-empty 1-D array of integer row indices, got shape {arr.shape} "
            f"dtype {arr.dtype}"
        )
    lo, hi = int(arr.min()), int(arr.max())
    if lo < 0 or hi >= K:
        raise ValueError(f"batches[{i}] holds row {hi if hi >= K else lo} but X has {K} rows (0 … {K - 1})")
    return arr


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


def check_optimizer(optimizer):
    """A torch.optim optimizer, as ``optimizer(eta)`` gives."""
    if not isinstance(optimizer, torch.optim.Optimizer):
        raise WrongType(f"optimizer must be a torch.optim optimizer, as .optimizer(eta) gives, got "
                        f"{type(optimizer).__name__}")  # fmt: skip
    return optimizer


def check_device(device):
    """A torch device that is there."""
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError):
        raise ValueError(f"unknown device {device!r}") from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device {device!r}: CUDA is not available here (torch {torch.__version__})")
    return dev


def check_stacks(weights, biases):
    """W[l] (G, n_l, n_{l-1}) and b[l] (G, n_l) for l = 2 … L, one G ≥ 1 for every stack; G as well."""
    for name, d in (("weights", weights), ("biases", biases)):
        if not isinstance(d, dict):
            raise WrongType(f"{name} must be a dict keyed by the layer number l = 2 … L, got {type(d).__name__}")
    if not weights:
        raise ValueError("weights is empty: a network needs at least the layers l = 1 and 2")
    stacks = {}
    for name, d, ndim, shape in (("W", weights, 3, "(G, n_l, n_{l-1})"), ("b", biases, 2, "(G, n_l)")):
        for l, v in d.items():
            stacks[name, l] = as_array(v, f"{name}[{l}]")
            if stacks[name, l].ndim != ndim:
                raise ValueError(f"{name}[{l}] must be a stack of shape {shape}, got shape {stacks[name, l].shape}")
    sizes = {f"{name}[{l}]": a.shape[0] for (name, l), a in stacks.items()}
    G = sizes[min(sizes)]
    if G < 1:
        raise ValueError(f"{min(sizes)} holds G = 0 networks: a family needs at least one")
    odd = next((k for k, n in sizes.items() if n != G), None)
    if odd is not None:
        raise ValueError(
            f"{odd} stacks {sizes[odd]} networks but {min(sizes)} stacks {G}: every stack needs the same G"
        )
    return {l: stacks["W", l] for l in weights}, {l: stacks["b", l] for l in biases}, G
