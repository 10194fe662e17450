"""Planted bugs in manual_bp.conv for `deltacheck selftest --conv`: the classic convolution and pooling mistakes.

Each swaps one function of manual_bp.conv for a wrong one for the run (``Mutation.applied``), and says
on which architectures it can show (``applies``): a bug in max pooling cannot show in a net without one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

import manual_bp.conv
from comparisons.sweep.mutations import Mutation, rewritten
from manual_bp.conv import conv, pool, step


@dataclass(frozen=True)
class ConvMutation(Mutation):
    """A Mutation with the architectures it can show on."""

    applies: Callable = lambda spec: True


def _kinds(spec, below=False, **want):
    """Whether some layer of ``spec`` has every field of ``want`` (a callable value is a predicate); ``below``: a layer
    with something below it whose δ is compared (not one reading the input, whose δ no check sees)."""
    layers = spec.layers[1:] if below else spec.layers
    return any(all(v(d.get(k)) if callable(v) else d.get(k) == v for k, v in want.items()) for d in layers)


def _not_flipped(delta, W, in_shape, s, p):
    return ORIG["input"](delta, W[..., ::-1, ::-1], in_shape, s, p)  # correlation with the unflipped kernel


def _every_unit(delta, arg, in_shape, q, s):
    return pool.avg_pool_delta(delta, in_shape, q, s) * (q * q)  # δ to every unit of the window, undivided


def _last_max(delta, arg, in_shape, q, s):
    return ORIG["max_delta"](delta, LAST["arg"], in_shape, q, s)


def _max_pool_last(a, q, s):
    win = pool.windows(a, q, s)
    arg = (q * q - 1) - win[..., ::-1].argmax(axis=-1)  # the last maximum in scan order
    LAST["arg"] = arg
    return np.take_along_axis(win, arg[..., None], axis=-1)[..., 0], arg


def _stride_ignored(delta, a_prev, k, s, p):
    cols = conv.patches(a_prev, k, 1, p)[..., : delta.shape[-2], : delta.shape[-1], :]  # at i + u, not si + u
    F, lead = delta.shape[-3], delta.shape[:-4]
    d = np.moveaxis(delta, -3, -1).reshape(*lead, -1, F)  # (..., K·H'·W', F)
    return (d.mT @ cols.reshape(*d.shape[:-1], -1)).reshape(*lead, F, -1, k, k)


def _bias_one_position(delta):
    return delta[..., 0, 0].sum(axis=-2)  # ∂C/∂b^F from unit (0, 0) alone, not Σ_{i,j}


def _avg_undivided(delta, in_shape, q, s):
    return ORIG["avg_delta"](delta * (q * q), in_shape, q, s)


def _weight_as_convolution(delta, a_prev, k, s, p):
    return ORIG["weight"](delta, a_prev, k, s, p)[..., ::-1, ::-1]  # Σ δ a_{i−u, j−v}: a convolution, flipped


def _padding_not_cropped(delta, W, in_shape, s, p):
    *KC, H, Wd = in_shape
    full = ORIG["input"](delta, W, (*KC, H + 2 * p, Wd + 2 * p), s, 0)  # on the padded map
    return full[..., :H, :Wd]  # the top-left corner kept instead of the inside


def _reversed_train(net, X, T, optimizer, batches):
    return ORIG["train"](net, X, T, optimizer, list(batches)[::-1])  # the schedule taken last to first


def _conv_frozen(self, X, T):
    gW, gb = self.net.gradients(X, T)
    for l in gW:
        if self.net.layers[l - 2].__class__.__name__ == "Conv":
            gW[l], gb[l] = np.zeros_like(gW[l]), np.zeros_like(gb[l])  # conv kernels never updated
    self.optimizer.step(self.net, gW, gb)


ORIG = {"input": conv.conv_input_gradient, "weight": conv.conv_weight_gradient, "max_delta": pool.max_pool_delta,
        "avg_delta": pool.avg_pool_delta, "train": step.train}  # fmt: skip
LAST = {}
_eta_off = rewritten(step.ConvTrainStep.__call__, "gW, gb = self.net.gradients(X, T)",
                     "gW, gb = self.net.gradients(X, T); gW = {l: 1.01 * g for l, g in gW.items()}")  # fmt: skip

CONV_MUTATIONS = (
    ConvMutation(
        "kernel not flipped",
        "the input gradient correlates δ with the kernel unflipped",
        ((conv, "conv_input_gradient", _not_flipped),),
        ("value",),
        applies=lambda s: _conv_below(s, lambda d: d["size"] > 1),
    ),  # fmt: skip
    ConvMutation(
        "padding not cropped",
        "the input gradient keeps the padded map's corner, not its inside",
        ((conv, "conv_input_gradient", _padding_not_cropped),),
        ("value", "crash"),
        applies=lambda s: _conv_below(s, lambda d: d["pad"] > 0),
    ),  # fmt: skip
    ConvMutation(
        "pooling δ to every unit",
        "max pooling sends δ to every unit of its window, not the maximum",
        ((pool, "max_pool_delta", _every_unit),),
        ("value",),
        applies=lambda s: _kinds(s, mode="max", size=lambda q: q and q > 1, below=True),
    ),  # fmt: skip
    ConvMutation(
        "ties to the last maximum",
        "max pooling picks the last maximum of a tie (torch: the first)",
        ((pool, "max_pool", _max_pool_last), (pool, "max_pool_delta", _last_max)),
        ("value",),
        applies=lambda s: s.exact and _kinds(s, mode="max", below=True),
    ),  # fmt: skip
    ConvMutation(
        "avg pooling δ undivided",
        "average pooling spreads δ without the 1/q²",
        ((pool, "avg_pool_delta", _avg_undivided),),
        ("value",),
        applies=lambda s: any(d.get("mode") == "avg" for d in s.layers[1:]),  # on the input, its δ is not compared
    ),
    ConvMutation(
        "stride ignored in ∂C/∂w",
        "the weight gradient reads ã_{i+u, j+v} instead of ã_{si+u, sj+v}",
        ((conv, "conv_weight_gradient", _stride_ignored),),
        ("value",),
        applies=lambda s: _kinds(s, kind="conv", stride=2),
    ),  # fmt: skip
    ConvMutation(
        "∂C/∂w as a convolution",
        "the weight gradient flipped: Σ δ a_{i−u, j−v}",
        ((conv, "conv_weight_gradient", _weight_as_convolution),),
        ("value",),
        applies=lambda s: _kinds(s, kind="conv", size=lambda k: k and k > 1),
    ),  # fmt: skip
    ConvMutation(
        "∂C/∂b from one position",
        "the bias gradient takes δ^F_{00} instead of Σ_{i,j} δ^F_{ij}",
        ((conv, "conv_bias_gradient", _bias_one_position),),
        ("value",),
        applies=lambda s: _kinds(s, kind="conv"),
    ),
    ConvMutation(
        "conv kernels never updated",
        "the training step drops the conv layers' gradients",
        ((step.ConvTrainStep, "__call__", _conv_frozen),),
        ("value",),
    ),  # fmt: skip
    ConvMutation(
        "train() walks its batches in reverse",
        "manual_bp.conv.train takes the schedule's index arrays last to first",
        ((step, "train", _reversed_train), (manual_bp.conv, "train", _reversed_train)),
        ("path",),
        applies=lambda s: s.optimizer == "sgd" and s.batch < s.K and s.steps > 1,
    ),
    ConvMutation(
        "η off by 1 %",
        "the training step uses 1.01 η for the weights",
        ((step.ConvTrainStep, "__call__", _eta_off),),
        ("value", "oracle"),
    ),  # fmt: skip
)


def _conv_below(spec, want):
    """Whether a conv layer satisfying ``want`` has something below it whose δ is compared (not the input)."""
    return any(d["kind"] == "conv" and want(d) for d in spec.layers[1:])
