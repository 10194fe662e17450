"""The layers of a convolutional network, each a small description, numbered l = 2 … L as the lecture's.

Layer 1 is the input image a^1 (K, C, H, W); then conv and pooling layers, then dense layers
(the lecture's, eqs (2)–(5) as they are).  The first dense layer reads a^{l-1} flattened to
(K, C·H·W) in C-order (torch's nn.Flatten), which is the only place the shapes change kind.
"""

from __future__ import annotations

from dataclasses import dataclass

from manual_bp import validate


@dataclass(frozen=True)
class Conv:
    """F filters of k × k over every input map, stride s, zero padding p, then σ."""

    filters: int
    size: int
    stride: int = 1
    pad: int = 0
    activation: str = "relu"

    def __post_init__(self):
        for name, lo in (("filters", 1), ("size", 1), ("stride", 1), ("pad", 0)):
            validate.check_int(f"Conv {name}", getattr(self, name), lo)


@dataclass(frozen=True)
class Pool:
    """Max or average pooling over q × q windows with stride s: no weights, z^l = a^l."""

    mode: str = "max"
    size: int = 2
    stride: int = 2

    def __post_init__(self):
        if self.mode not in ("max", "avg"):
            raise ValueError(f"Pool mode must be 'max' or 'avg', got {self.mode!r}")
        for name in ("size", "stride"):
            validate.check_int(f"Pool {name}", getattr(self, name), 1)


@dataclass(frozen=True)
class Dense:
    """n_l units, z^l = W^l a^{l-1} + b^l, a^l = σ(z^l): the lecture's layer."""

    units: int
    activation: str = "sigmoid"

    def __post_init__(self):
        validate.check_int("Dense units", self.units, 1)


def shapes(image, layers):
    """{l: shape of a^l for one example}: (C, H, W) for maps, (n_l,) for dense layers; ValueError if one is empty."""
    out = {1: tuple(image)}
    for l, layer in enumerate(layers, start=2):
        prev = out[l - 1]
        if isinstance(layer, Dense):
            out[l] = (layer.units,)
            continue
        if len(prev) != 3:
            raise ValueError(f"layer l = {l} ({type(layer).__name__}) follows a dense layer: maps come first")
        C, H, W = prev
        k, s, p = (layer.size, layer.stride, layer.pad) if isinstance(layer, Conv) else (layer.size, layer.stride, 0)
        Ho, Wo = (H + 2 * p - k) // s + 1, (W + 2 * p - k) // s + 1
        if Ho < 1 or Wo < 1:
            raise ValueError(f"layer l = {l}: a {k}×{k} window does not fit a {H}×{W} map with padding {p}")
        out[l] = (layer.filters if isinstance(layer, Conv) else C, Ho, Wo)
    return out


def param_shapes(image, layers):
    """{l: (shape of W^l, shape of b^l)} for the conv and dense layers."""
    a = shapes(image, layers)
    out = {}
    for l, layer in enumerate(layers, start=2):
        if isinstance(layer, Conv):
            out[l] = ((layer.filters, a[l - 1][0], layer.size, layer.size), (layer.filters,))
        elif isinstance(layer, Dense):
            n_prev = 1
            for n in a[l - 1]:
                n_prev *= n  # the flattened maps
            out[l] = ((layer.units, n_prev), (layer.units,))
    return out
