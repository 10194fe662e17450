r"""A lecturer's network file, in the lecture's notation; every problem is one sentence (ValueError).

TOML (or JSON with the same keys)::

    title = "Mazur's 2-2-2 example"
    sizes = [2, 2, 2]              # n_1 … n_L
    activations = "sigmoid"        # one name, or one per layer l = 2 … L
    cost = "squared_error"         # C_k = ½ Σ_j (t_j − a_j^L)²
    cost_scale = 1                 # optional: C_k = cost_scale × that (2: Σ_j (t_j − a_j^L)², no ½)
    reduction = "sum"              # optional: C_T = Σ_k C_k (the lecture's), or "mean": (1/K) Σ_k C_k
    eta = 0.5                      # η
    steps = 1                      # updates shown, each on C_T = Σ_k C_k (full batch)
    X = [[0.05, 0.10]]             # (K, n_1): row k is example k
    T = [[0.01, 0.99]]             # (K, n_L)
    weight = "w_11^2"              # optional: the weight whose chain rule is written out
    update_biases = true           # optional: false keeps every b^l as given (only the weights learn)
    [W]                            # W^l as (n_l, n_{l−1}): row j, column i is w_ji^l
    2 = [[0.15, 0.20], [0.25, 0.30]]
    3 = [[0.40, 0.45], [0.50, 0.55]]
    [b]
    2 = [0.35, 0.35]
    3 = [0.60, 0.60]
    [claims]                       # optional: the lecturer's own numbers, each checked to its printed digits
    "C_T" = 0.298371109
    "w_11^3 after 1 step" = 0.35891648

Numbers are read as decimals, so a claim keeps the digits it was written with.
"""

from __future__ import annotations

import json
import pathlib
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np

from manual_bp import ACTIVATIONS, COSTS

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

from comparisons.lecture.net.claims import Claim, parse_name

KEYS = {
    "title",
    "sizes",
    "activations",
    "cost",
    "cost_scale",
    "reduction",
    "eta",
    "steps",
    "X",
    "T",
    "W",
    "b",
    "weight",
}
KEYS |= {"claims", "update_biases"}
REQUIRED = ["sizes", "activations", "cost", "eta", "steps", "X", "T", "W", "b"]
MAX_UNITS = 16  # a network one writes out by hand: at most 16 units in a layer …
MAX_LAYERS = 6  # … 6 layers …
MAX_EXAMPLES = 64  # … 64 examples …
MAX_STEPS = 100  # … and 100 updates shown


@dataclass
class NetFile:
    """A lecturer's network: its parameters W^l (n_l, n_{l−1}), b^l, data X (K, n_1), T (K, n_L), η and steps."""

    name: str
    title: str
    sizes: list
    activations: list  # names for l = 2 … L
    cost: str
    W: dict
    b: dict
    X: np.ndarray
    T: np.ndarray
    eta: float
    steps: int
    weight: tuple  # (l, j, i), 1-based
    claims: list = field(default_factory=list)
    scale: float = 1.0  # C_k = scale × the cost: 2 for Σ_j (t_j − a_j)² without ½, 2/n_L for the mean over units
    reduction: str = "sum"  # C_T = Σ_k C_k (the lecture's), or "mean": (1/K) Σ_k C_k
    update_biases: bool = True  # False: the biases stay as given (as in Mazur's example), only W^l is trained

    @property
    def L(self):
        """The output layer's number."""
        return len(self.sizes)


def read(path):
    """The file at ``path`` as a NetFile; ValueError naming the file and the problem."""
    path = pathlib.Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise ValueError(f"{path}: cannot be read ({e.strerror})") from None
    except UnicodeDecodeError:
        raise ValueError(f"{path}: cannot be read (not UTF-8 text)") from None
    try:
        if path.suffix.lower() == ".json":
            raw = json.loads(text, parse_float=Decimal, parse_int=Decimal)
        else:
            raw = tomllib.loads(text, parse_float=Decimal)
    except (ValueError, tomllib.TOMLDecodeError) as e:
        kind = "JSON" if path.suffix.lower() == ".json" else "TOML"
        raise ValueError(f"{path}: not valid {kind}: {str(e).splitlines()[0]}") from None
    try:
        return parse(raw, path.stem)
    except ValueError as e:
        raise ValueError(f"{path}: {e}") from None


def _int(raw, key, low, high):
    v = raw[key]
    if isinstance(v, bool) or not isinstance(v, (int, Decimal)) or v != int(v) or not low <= int(v) <= high:
        raise ValueError(f"{key} = {v!r}: expected a whole number from {low} to {high}")
    return int(v)


def _number(v, where):
    if isinstance(v, bool) or not isinstance(v, (int, Decimal)):
        raise ValueError(f"{where}: {v!r} is not a number")
    x = float(v)
    if not np.isfinite(x):
        raise ValueError(f"{where}: {v} is not finite")
    return x


def _array(v, shape, where, meaning):
    """A nested list of numbers of exactly ``shape``, as float64."""

    def walk(x, dims, at):
        if not dims:
            return _number(x, f"{where}{at}")
        if not isinstance(x, list) or len(x) != dims[0]:
            got = f"{len(x)} entries" if isinstance(x, list) else repr(x)
            raise ValueError(f"{where}{at}: expected {dims[0]} entries ({meaning}), got {got}")
        return [walk(e, dims[1:], f"{at}[{n}]") for n, e in enumerate(x)]

    return np.array(walk(v, list(shape), ""), dtype=np.float64).reshape(shape)


def _layered(raw, key, L):
    """The table W or b keyed by the layer numbers 2 … L."""
    t = raw[key]
    if not isinstance(t, dict):
        raise ValueError(f"{key}: expected a table keyed by the layer numbers l = 2 … {L}")
    want = {str(l) for l in range(2, L + 1)}
    if set(t) != want:
        raise ValueError(f"{key}: expected layers {', '.join(sorted(want))}, got {', '.join(sorted(t)) or 'none'}")
    return {l: t[str(l)] for l in range(2, L + 1)}


def parse(raw, name="net"):
    """A NetFile from the decoded table ``raw``; ValueError (one sentence) for anything off."""
    if not isinstance(raw, dict):
        raise ValueError("expected a table of keys (sizes, activations, cost, eta, steps, X, T, W, b)")
    unknown = sorted(set(raw) - KEYS)
    if unknown:
        raise ValueError(f"unknown key {unknown[0]!r}; the keys are {', '.join(sorted(KEYS))}")
    missing = [k for k in REQUIRED if k not in raw]
    if missing:
        raise ValueError(f"missing key {missing[0]!r}")
    sizes = raw["sizes"]
    if not isinstance(sizes, list) or not 2 <= len(sizes) <= MAX_LAYERS:
        raise ValueError(f"sizes = {sizes!r}: expected a list of 2 to {MAX_LAYERS} layer sizes n_1 … n_L")
    sizes = [_int({"sizes": s}, "sizes", 1, MAX_UNITS) for s in sizes]
    L = len(sizes)
    acts = raw["activations"]
    acts = [acts] * (L - 1) if isinstance(acts, str) else acts
    if not isinstance(acts, list) or len(acts) != L - 1:
        raise ValueError(f"activations: expected one name or {L - 1} (one per layer l = 2 … {L})")
    for a in acts:
        if a not in ACTIVATIONS:
            raise ValueError(f"activations: {a!r} is not one of {', '.join(ACTIVATIONS)}")
    if "softmax" in acts[:-1]:
        raise ValueError("activations: softmax only in the output layer")
    if raw["cost"] not in COSTS:
        raise ValueError(f"cost = {raw['cost']!r}: not one of {', '.join(COSTS)}")
    W = {
        l: _array(
            w, (sizes[l - 1], sizes[l - 2]), f"W^{l}", f"W^{l} is (n_{l}, n_{l - 1}) = ({sizes[l - 1]}, {sizes[l - 2]})"
        )
        for l, w in _layered(raw, "W", L).items()
    }
    b = {l: _array(v, (sizes[l - 1],), f"b^{l}", f"n_{l} = {sizes[l - 1]}") for l, v in _layered(raw, "b", L).items()}
    if not isinstance(raw["X"], list) or not 1 <= len(raw["X"]) <= MAX_EXAMPLES:
        raise ValueError(f"X: expected a list of 1 to {MAX_EXAMPLES} examples, one row x[k] of n_1 numbers each")
    K = len(raw["X"])
    X = _array(raw["X"], (K, sizes[0]), "X", f"K = {K} examples of n_1 = {sizes[0]}")
    T = _array(raw["T"], (K, sizes[-1]), "T", f"one target row of n_{L} = {sizes[-1]} per example, K = {K}")
    eta = _number(raw["eta"], "eta")
    if eta <= 0:
        raise ValueError(f"eta = {raw['eta']}: the learning rate η must be > 0")
    steps = _int(raw, "steps", 1, MAX_STEPS)
    weight = parse_name(str(raw.get("weight", "w_11^2")), sizes, K, steps, what="weight")
    if weight.kind != "w" or weight.after is not None:
        raise ValueError(f"weight = {raw['weight']!r}: expected a weight such as w_11^2")
    claims = raw.get("claims", {})
    if not isinstance(claims, dict):
        raise ValueError('claims: expected a table such as [claims] "C_T" = 0.2984')
    parsed = []
    for text, v in claims.items():
        if isinstance(v, bool) or not isinstance(v, (int, Decimal)):
            raise ValueError(f"claims: {text!r} = {v!r} is not a number")
        parsed.append(Claim(text, parse_name(text, sizes, K, steps), Decimal(v)))
    title = str(raw.get("title", name))
    scale = _number(raw.get("cost_scale", 1), "cost_scale")
    if scale <= 0:
        raise ValueError(f"cost_scale = {raw['cost_scale']}: must be > 0")
    reduction = raw.get("reduction", "sum")
    if reduction not in ("sum", "mean"):
        raise ValueError(f'reduction = {reduction!r}: expected "sum" (C_T = Σ_k C_k) or "mean"')
    update_biases = raw.get("update_biases", True)
    if not isinstance(update_biases, bool):
        raise ValueError(f"update_biases = {update_biases!r}: expected true or false")
    where = (weight.l, weight.j, weight.i)
    return NetFile(
        name, title, sizes, acts, raw["cost"], W, b, X, T, eta, steps, where, parsed, scale, reduction, update_biases
    )
