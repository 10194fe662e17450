"""Architecture specs: a typed config that serialises to one line of JSON, and its sampler."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields, replace

import numpy as np

from manual_bp import ACTIVATIONS, COSTS, init_params, validate

HIDDEN_ACTIVATIONS = tuple(a for a in ACTIVATIONS if a != "softmax")
# Which output activations each cost is sampled with: the one its ``link`` requires, else any.
OUTPUT_ACTIVATIONS = {name: (c.link,) if c.link else tuple(ACTIVATIONS) for name, c in COSTS.items()}
OPTIMIZERS = ("gd", "sgd", "momentum")
TARGETS = ("hard", "soft", "unnormalized")
REDUCTIONS = ("sum", "mean")
MAX_WEIGHT_SCALE = 1000.0
# The sampler's stated shares of the harder corners (each drawn independently per spec):
SOFT_TARGET_SHARE = 0.25  # of the cross-entropy specs: soft targets (and as many whose rows do not sum to 1)
MEAN_SHARE = 0.25  # of all specs: C_T / K (reduction "mean") instead of the lecture's sum
LARGE_WEIGHT_SHARE = 0.1  # of all specs: W^2 × 30, so |z| > 20 somewhere (saturation, large exponents)
ZERO_ROW_SHARE = 0.25  # of specs with a relu or leaky_relu layer: zero rows of X, zero biases: z = 0 exactly
DIVERGE_SHARE = 0.02  # of all specs: η × 1000, a run that may overflow on both sides (the `diverged` finding)
DTYPES = ("float64", "float32")
MAX_DEPTH, MAX_WIDTH, MAX_K = 6, 16, 32


@dataclass(frozen=True)
class ArchSpec:
    """Everything that defines one comparison: network, data, optimizer, seed."""

    sizes: tuple  # [n_1, …, n_L]
    activations: tuple  # one name per layer l = 2 … L
    cost: str
    K: int  # number of examples (rows of X)
    dtype: str = "float64"
    optimizer: str = "gd"  # gd: full batch; sgd: mini-batches of batch_size; momentum: full batch, μ
    batch_size: int = 0  # sgd only; 0 means K
    momentum: float = 0.0  # momentum only
    eta: float = 0.01
    steps: int = 100
    seed: int = 0
    targets: str = (
        "hard"  # hard: one-hot / {0, 1} / uniform rows; soft: rows on the simplex (cross_entropy) or in [0, 1]
    )
    weight_scale: float = 1.0  # W^2 multiplied by it at the start: > 1 drives |z^2| past 20 (saturation, overflow)
    zero_rows: int = 0  # the first rows of X are 0 and every b^l is 0: exact zeros in z^2 (relu'(0) = 0 exercised)
    order_seed: int | None = None  # seed of sgd's batch order; None: ``seed``'s (a family's members share one)
    reduction: str = "sum"  # sum: the lecture's C_T = Σ_k C_k; mean: C_T / K

    def __post_init__(self):
        object.__setattr__(self, "sizes", tuple(validate.check_sizes(self.sizes)))
        object.__setattr__(self, "activations", tuple(self.activations))
        acts = validate.check_activations(list(self.activations), len(self.sizes))
        validate.check_cost(self.cost, acts[len(self.sizes)])
        validate.check_dtype(self.dtype)
        if self.dtype not in DTYPES:
            raise ValueError(f"dtype must be one of {', '.join(DTYPES)}, got {self.dtype!r}")
        _check_int("K", self.K, 1)
        _check_int("steps", self.steps, 0)
        _check_int("seed", self.seed, 0)
        _check_int("batch_size", self.batch_size, 0)
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {', '.join(OPTIMIZERS)}, got {self.optimizer!r}")
        validate.check_eta(self.eta)
        validate.check_momentum(self.momentum)
        if self.optimizer == "momentum" and self.momentum == 0:
            raise ValueError("optimizer momentum needs momentum > 0")
        if self.optimizer != "momentum" and self.momentum != 0:
            raise ValueError(f"momentum is only used with optimizer momentum, got optimizer {self.optimizer}")
        if self.targets not in TARGETS:
            raise ValueError(f"targets must be one of {', '.join(TARGETS)}, got {self.targets!r}")
        if self.targets == "unnormalized" and self.cost != "cross_entropy":
            raise ValueError("targets unnormalized (rows not summing to 1) are for the cross_entropy cost only")
        if self.reduction not in REDUCTIONS:
            raise ValueError(f"reduction must be one of {', '.join(REDUCTIONS)}, got {self.reduction!r}")
        if isinstance(self.weight_scale, bool) or not isinstance(self.weight_scale, (int, float)):
            raise ValueError(f"weight_scale must be a number, got {self.weight_scale!r}")
        if not (0 < self.weight_scale <= MAX_WEIGHT_SCALE):
            raise ValueError(f"weight_scale must be in (0, {MAX_WEIGHT_SCALE:g}], got {self.weight_scale!r}")
        _check_int("zero_rows", self.zero_rows, 0)
        if self.order_seed is not None:
            _check_int("order_seed", self.order_seed, 0)
        if self.zero_rows > self.K:
            raise ValueError(f"zero_rows {self.zero_rows} exceeds K = {self.K}")
        if self.batch_size > self.K:
            raise ValueError(f"batch_size {self.batch_size} exceeds K = {self.K}")

    @property
    def batch(self):
        """The examples per step: batch_size for sgd, else all K."""
        return self.batch_size if self.optimizer == "sgd" and self.batch_size else self.K

    def to_json(self):
        """One line of JSON with sorted keys."""
        d = asdict(self)
        if self.order_seed is None:
            del d["order_seed"]  # the default, left out: a spec without a family reads as it always did
        if self.reduction == "sum":
            del d["reduction"]  # likewise
        d["sizes"], d["activations"] = list(self.sizes), list(self.activations)
        return json.dumps(d, sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_json(cls, text):
        """The spec a line of JSON describes; ValueError naming the problem otherwise."""
        try:
            d = json.loads(text)
        except json.JSONDecodeError as e:
            raise ValueError(f"spec is not valid JSON: {e.msg} at position {e.pos}") from None
        except RecursionError:
            raise ValueError("spec is JSON nested too deep to be a spec") from None
        if not isinstance(d, dict):
            raise ValueError("spec must be a JSON object")
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(d) - names)
        if unknown:
            raise ValueError(f"spec has unknown field(s): {', '.join(unknown)}")
        missing = [n for n in ("sizes", "activations", "cost", "K") if n not in d]
        if missing:
            raise ValueError(f"spec is missing field(s): {', '.join(missing)}")
        if not isinstance(d["sizes"], list) or not isinstance(d["activations"], list):
            raise ValueError("spec fields sizes and activations must be JSON lists")
        try:
            return cls(**d)
        except TypeError as e:
            raise ValueError(f"spec is malformed: {e}") from None

    def label(self):
        """A short human-readable name: 12-3-2 sigmoid,sigmoid squared_error."""
        return f"{'-'.join(map(str, self.sizes))} {','.join(self.activations)} {self.cost}"


def _check_int(name, v, lo):
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < lo:
        raise ValueError(f"{name} must be an integer >= {lo}, got {v!r}")


def sample_spec(rng, dtype="float64", steps=100):
    """One random spec from ``rng`` (a numpy Generator) over the whole supported space."""
    depth = int(rng.integers(1, MAX_DEPTH + 1))  # number of weight layers, L − 1
    sizes = [int(n) for n in rng.integers(1, MAX_WIDTH + 1, size=depth + 1)]
    cost = str(rng.choice(list(COSTS)))
    out = str(rng.choice(OUTPUT_ACTIVATIONS[cost]))
    if out == "softmax" and sizes[-1] == 1:
        sizes[-1] = int(rng.integers(2, MAX_WIDTH + 1))  # a 1-unit softmax is constant: nothing to learn
    acts = [str(a) for a in rng.choice(HIDDEN_ACTIVATIONS, size=depth - 1)] + [out]
    K = int(rng.integers(1, MAX_K + 1))
    optimizer = str(rng.choice(OPTIMIZERS))
    batch_size = int(rng.integers(1, K + 1)) if optimizer == "sgd" else 0
    momentum = float(np.round(rng.uniform(0.5, 0.95), 2)) if optimizer == "momentum" else 0.0
    batch = batch_size or K
    reduction = "mean" if rng.random() < MEAN_SHARE else "sum"
    # η per example of the batch: C_T sums over the batch, so its gradient grows with it (not its mean).
    eta = float(f"{10 ** rng.uniform(-3, -1) / (1 if reduction == 'mean' else batch):.3g}")
    if optimizer == "momentum":
        eta = float(f"{eta * (1 - momentum):.3g}")  # momentum multiplies the step by up to 1/(1 − μ)
    seed = int(rng.integers(0, 2**31 - 1))
    targets = "soft" if cost != "squared_error" and rng.random() < SOFT_TARGET_SHARE else "hard"
    if cost == "cross_entropy" and targets == "hard" and rng.random() < SOFT_TARGET_SHARE:
        targets = "unnormalized"
    weight_scale = 30.0 if rng.random() < LARGE_WEIGHT_SHARE else 1.0
    kinked = any(a in ("relu", "leaky_relu") for a in acts)
    zero_rows = min(2, K) if kinked and rng.random() < ZERO_ROW_SHARE else 0
    if rng.random() < DIVERGE_SHARE:
        eta = float(f"{eta * 1000:.3g}")
    return ArchSpec(
        sizes=tuple(sizes),
        activations=tuple(acts),
        cost=cost,
        K=K,
        dtype=dtype,
        optimizer=optimizer,
        batch_size=batch_size,
        momentum=momentum,
        eta=eta,
        steps=steps,
        seed=seed,
        targets=targets,
        weight_scale=weight_scale,
        zero_rows=zero_rows,
        reduction=reduction,
    )


def sample_specs(n, seed, dtype="float64", steps=100, family=1, progress=None):
    """``n`` specs from numpy.random.default_rng(seed), in order; ``progress(k)`` told of every k sampled.

    With ``family`` G > 1 they come in families of G (the last one maybe shorter): each sampled spec
    is followed by G − 1 that differ from it in their seed alone (``family_of``).
    """
    rng = np.random.default_rng(seed)
    specs = []
    while len(specs) < n:
        spec = sample_spec(rng, dtype, steps)
        new = family_of(spec, min(family, n - len(specs)), rng) if family > 1 else [spec]
        specs += new
        if progress is not None:
            progress(len(new))
    return specs


def family_of(spec, G, rng):
    """``spec`` and G − 1 specs with seeds drawn from ``rng``: new weights and data, the same shapes and
    schedule (each keeps ``spec``'s batch order through ``order_seed``)."""
    seeds = [spec.seed] + [int(rng.integers(0, 2**31 - 1)) for _ in range(G - 1)]
    return [replace(spec, seed=s, order_seed=spec.seed) for s in seeds]


def make_problem(spec):
    """The shared start: (W, b, X, T, batches), drawn once in NumPy from spec.seed."""
    dtype = np.dtype(spec.dtype)
    W, b = init_params(spec.sizes, spec.seed, dtype)
    # Only the first weight layer is scaled: |z^2| > 20 without compounding through the depth, where
    # a product of large W^l makes the gradients' sums cancel beyond any rounding bound (measured:
    # scaling every layer by 30 gave 4 false alarms in 10,000 float64 architectures, tol_used up to 248).
    W[2] = (W[2] * spec.weight_scale).astype(dtype)
    rng = np.random.default_rng([spec.seed, 1])
    n_1, n_L = spec.sizes[0], spec.sizes[-1]
    X = rng.standard_normal((spec.K, n_1))  # (K, n_1)
    if spec.zero_rows:
        X[: spec.zero_rows] = 0.0  # with every b^l = 0, z^2 of these rows is exactly 0
        b = {l: np.zeros_like(v) for l, v in b.items()}
    T = make_targets(spec, rng, n_L)
    return W, b, X.astype(dtype), T.astype(dtype), batch_order(spec)


def make_targets(spec, rng, n_L):
    """T (K, n_L) in float64 for ``spec``'s cost and targets, drawn from ``rng``."""
    soft = spec.targets == "soft"
    if spec.targets == "unnormalized":  # torch accepts any rows; C_k = (Σ_j t_j) logsumexp(z) − Σ_j t_j z_j
        return rng.uniform(0, 1, size=(spec.K, n_L))  # (K, n_L) in [0, 1], rows summing to anything
    if spec.cost == "cross_entropy" and soft:
        return rng.dirichlet(np.ones(n_L), size=spec.K)  # (K, n_L) rows on the simplex
    if spec.cost == "cross_entropy":
        return np.eye(n_L)[rng.integers(0, n_L, size=spec.K)]  # (K, n_L) one-hot
    if spec.cost == "binary_cross_entropy" and not soft:
        return rng.integers(0, 2, size=(spec.K, n_L)).astype(float)  # (K, n_L) in {0, 1}
    return rng.uniform(0, 1, size=(spec.K, n_L))  # (K, n_L) in [0, 1]


def batch_order(spec):
    """The index array of each step: all K for gd/momentum, shuffled mini-batches for sgd."""
    if spec.batch == spec.K:
        return [np.arange(spec.K)] * spec.steps
    rng = np.random.default_rng([spec.seed if spec.order_seed is None else spec.order_seed, 2])
    order, out = np.empty(0, dtype=np.int64), []
    for _ in range(spec.steps):
        if len(order) < spec.batch:  # a new epoch: reshuffle; a short tail is dropped
            order = rng.permutation(spec.K)
        out.append(np.sort(order[: spec.batch]))
        order = order[spec.batch :]
    return out
