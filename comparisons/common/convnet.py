"""Convolutional architecture specs: a typed config (one line of JSON), its sampler, and both sides built from it.

A spec's ``layers`` is a tuple of dicts, numbered l = 2 … L in order, as torch_ref.TorchCNN takes them:
{"kind": "conv", "filters", "size", "stride", "pad", "activation"}, {"kind": "pool", "mode", "size",
"stride"}, {"kind": "dense", "units", "activation"}.  manual_bp gets the same as its dataclasses.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields

import numpy as np

from comparisons.common.spec import (
    HIDDEN_ACTIVATIONS,
    OPTIMIZERS,
    OUTPUT_ACTIVATIONS,
    batch_order,
    family_of,
    make_targets,
)
from manual_bp import COSTS, validate
from manual_bp.conv import CNN, Conv, Dense, Pool
from manual_bp.conv.layers import shapes

KINDS = {"conv": Conv, "pool": Pool, "dense": Dense}
EXACT_SHARE = 0.25  # of all specs: integer inputs and conv kernels of small integers, so max pooling meets exact ties
MAX_K = 16


@dataclass(frozen=True)
class ConvSpec:
    """One convolutional comparison: image, layers, cost, data, optimizer, seed."""

    image: tuple  # (C, H, W)
    layers: tuple  # dicts, l = 2 … L
    cost: str
    K: int
    dtype: str = "float64"
    optimizer: str = "gd"
    batch_size: int = 0
    momentum: float = 0.0
    eta: float = 0.01
    steps: int = 10
    seed: int = 0
    targets: str = "hard"
    exact: bool = False  # X and every conv kernel of small integers, conv biases 0: exact sums, exact ties
    order_seed: int | None = None  # batch_order's: ``seed``'s when None

    def __post_init__(self):
        object.__setattr__(self, "image", tuple(int(n) for n in self.image))
        object.__setattr__(self, "layers", tuple(dict(x) for x in self.layers))
        net = self.manual_layers()  # ValueError naming a bad layer
        shapes(self.image, net)
        CNN.init(self.image, net, self.cost, dtype=self.dtype)  # activations, cost, shapes: ValueError if wrong
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {', '.join(OPTIMIZERS)}, got {self.optimizer!r}")
        validate.check_eta(self.eta)
        validate.check_momentum(self.momentum)
        for name in ("K", "steps", "seed", "batch_size"):
            validate.check_int(name, getattr(self, name), 1 if name == "K" else 0)
        if self.batch_size > self.K:
            raise ValueError(f"batch_size {self.batch_size} exceeds K = {self.K}")

    def manual_layers(self):
        """The layers as manual_bp.conv's Conv / Pool / Dense."""
        out = []
        for l, d in enumerate(self.layers, start=2):
            d = dict(d)
            kind = d.pop("kind", None)
            if kind not in KINDS:
                raise ValueError(f"layer l = {l}: kind must be one of {', '.join(KINDS)}, got {kind!r}")
            try:
                out.append(KINDS[kind](**d))
            except TypeError as e:
                raise ValueError(f"layer l = {l}: {e}") from None
        return out

    @property
    def batch(self):
        """The examples per step: batch_size for sgd, else all K."""
        return self.batch_size if self.optimizer == "sgd" and self.batch_size else self.K

    def to_json(self):
        """One line of JSON with sorted keys."""
        d = asdict(self)
        if self.order_seed is None:
            del d["order_seed"]
        d["image"], d["layers"] = list(self.image), [dict(x) for x in self.layers]
        return json.dumps(d, sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_json(cls, text):
        """The spec a line of JSON describes; ValueError naming the problem otherwise."""
        try:
            d = json.loads(text)
        except json.JSONDecodeError as e:
            raise ValueError(f"spec is not valid JSON: {e.msg} at position {e.pos}") from None
        if not isinstance(d, dict):
            raise ValueError("spec must be a JSON object")
        unknown = sorted(set(d) - {f.name for f in fields(cls)})
        if unknown:
            raise ValueError(f"spec has unknown field(s): {', '.join(unknown)}")
        try:
            return cls(**d)
        except TypeError as e:
            raise ValueError(f"spec is malformed: {e}") from None

    def label(self):
        """6x6x1 conv3x3/1/0-relu maxpool2/2 dense10-softmax cross_entropy."""
        parts = []
        for d in self.layers:
            if d["kind"] == "conv":
                parts.append(f"conv{d['filters']}@{d['size']}x{d['size']}/s{d['stride']}p{d['pad']}-{d['activation']}")
            elif d["kind"] == "pool":
                parts.append(f"{d['mode']}pool{d['size']}/s{d['stride']}")
            else:
                parts.append(f"dense{d['units']}-{d['activation']}")
        return f"{'x'.join(map(str, self.image))} {' '.join(parts)} {self.cost}"


def sample_conv_spec(rng, dtype="float64", steps=10):
    """One random conv spec from ``rng``: image, 1–2 conv layers each maybe pooled, 0–2 hidden dense layers, output."""
    image = (int(rng.integers(1, 4)), int(rng.integers(3, 11)), int(rng.integers(3, 11)))  # (C, H, W)
    layers = []
    last = lambda: shapes(image, _as_layers(layers))[len(layers) + 1]  # noqa: E731  (C, H', W') of the last layer
    if rng.random() < 0.1:  # pooling straight on the input: exact ties on integer images
        layers.append(_pool(rng, *image[1:]))
    for _ in range(int(rng.integers(1, 3))):
        _, h, w = last()
        k = int(rng.integers(1, min(4, h, w) + 1))
        p = int(rng.integers(0, k)) if rng.random() < 0.5 else 0  # zero padding or valid
        layers.append(dict(kind="conv", filters=int(rng.integers(1, 5)), size=k, stride=int(rng.integers(1, 3)),
                           pad=p, activation=str(rng.choice(HIDDEN_ACTIVATIONS))))  # fmt: skip
        _, h, w = last()
        if rng.random() < 0.6 and min(h, w) >= 2:
            layers.append(_pool(rng, h, w))
    cost = str(rng.choice(list(COSTS)))
    out = str(rng.choice(OUTPUT_ACTIVATIONS[cost]))
    for _ in range(int(rng.integers(0, 3))):
        layers.append(
            dict(kind="dense", units=int(rng.integers(1, 13)), activation=str(rng.choice(HIDDEN_ACTIVATIONS)))
        )
    n_L = int(rng.integers(2 if out == "softmax" else 1, 6))
    layers.append(dict(kind="dense", units=n_L, activation=out))
    K = int(rng.integers(1, MAX_K + 1))
    optimizer = str(rng.choice(OPTIMIZERS))
    batch_size = int(rng.integers(1, K + 1)) if optimizer == "sgd" else 0
    momentum = float(np.round(rng.uniform(0.5, 0.95), 2)) if optimizer == "momentum" else 0.0
    eta = float(f"{10 ** rng.uniform(-3, -1) / (batch_size or K):.3g}")
    if optimizer == "momentum":
        eta = float(f"{eta * (1 - momentum):.3g}")  # momentum multiplies the step by up to 1/(1 − μ)
    targets = "soft" if cost != "squared_error" and rng.random() < 0.25 else "hard"
    seed, exact = int(rng.integers(0, 2**31 - 1)), bool(rng.random() < EXACT_SHARE)
    return ConvSpec(image=image, layers=tuple(layers), cost=cost, K=K, dtype=dtype, optimizer=optimizer,
                    batch_size=batch_size, momentum=momentum, eta=eta, steps=steps, seed=seed, targets=targets,
                    exact=exact)  # fmt: skip


def _pool(rng, h, w):
    q = int(rng.integers(2, min(3, h, w) + 1))
    return dict(kind="pool", mode=str(rng.choice(["max", "avg"])), size=q, stride=int(rng.choice([1, q])))


def _as_layers(layers):
    return [KINDS[d["kind"]](**{k: v for k, v in d.items() if k != "kind"}) for d in layers]


def sample_conv_specs(n, seed, dtype="float64", steps=10, family=1):
    """``n`` conv specs from numpy.random.default_rng([seed, 21]), in order; with ``family`` G > 1 in families of G
    (the last one maybe shorter) that differ in their seed alone, as the dense sampler's (``family_of``)."""
    rng = np.random.default_rng([seed, 21])
    specs = []
    while len(specs) < n:
        spec = sample_conv_spec(rng, dtype, steps)
        specs += family_of(spec, min(family, n - len(specs)), rng) if family > 1 else [spec]
    return specs


def featured_spec(dtype="float64", steps=2):
    """One hand-built spec with every feature a conv bug needs to show: integer images (exact ties), a padded
    conv, max pooling after the first conv, a padded stride-2 conv, average pooling, momentum."""
    layers = (
        dict(kind="conv", filters=3, size=3, stride=1, pad=1, activation="relu"),
        dict(kind="pool", mode="max", size=2, stride=2),
        dict(kind="conv", filters=2, size=2, stride=2, pad=1, activation="tanh"),
        dict(kind="pool", mode="avg", size=2, stride=1),
        dict(kind="dense", units=4, activation="sigmoid"),
        dict(kind="dense", units=3, activation="softmax"),
    )
    return ConvSpec(image=(2, 8, 8), layers=layers, cost="cross_entropy", K=5, dtype=dtype, optimizer="momentum",
                    momentum=0.9, eta=0.05, steps=steps, seed=3, exact=True)  # fmt: skip


def make_conv_problem(spec):
    """The shared start (W, b, X, T, batches), drawn once in NumPy from spec.seed."""
    dtype = np.dtype(spec.dtype)
    net = CNN.init(spec.image, spec.manual_layers(), spec.cost, seed=spec.seed, dtype=dtype)
    W, b = net.params()
    rng = np.random.default_rng([spec.seed, 1])
    X = rng.standard_normal((spec.K, *spec.image))  # (K, C, H, W)
    if spec.exact:
        X = rng.integers(-2, 3, X.shape).astype(float)  # small integers: every conv sum exact, many ties
        for l, d in enumerate(spec.layers, start=2):
            if d["kind"] == "conv":
                W[l] = rng.integers(-1, 2, W[l].shape).astype(dtype)  # kernels in {−1, 0, 1}
                b[l] = np.zeros_like(b[l])
    T = make_targets(spec, rng, spec.layers[-1]["units"])
    return W, b, X.astype(dtype), T.astype(dtype), batch_order(spec)


def build_conv(spec):
    """manual_bp's CNN and torch_ref's TorchCNN from the same NumPy start, with the data and batch order."""
    from torch_ref import TorchCNN

    W, b, X, T, batches = make_conv_problem(spec)
    net = CNN(spec.image, spec.manual_layers(), W, b, spec.cost)
    ref = TorchCNN(spec.image, [dict(x) for x in spec.layers], W, b, spec.cost)
    return net, ref, X, T, batches
