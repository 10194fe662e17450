"""The conv sweep's rows and their one comparator: what a check compares, and how a kink may be explained.

Each row checks, in order: presence and shape, dtype, finiteness, the value within the rounding model's bound
(``comparisons.common.rounding.bound``, c·u·√2·S), and in float32 the value against the float64 result within c·u·S
(``oracle``); its ``caught_by`` names the first check that failed.  Where a value fails and the sides took
different branches (a relu z on the other side of 0, another max-pooling winner), manual_bp's computation repeated
with the reference's branch there must agree (``explained``); nothing else turns a failure into a pass.

Where torch's state before a step is not finite, or the magnitudes of that step reach the dtype's largest number (a
diverging run: an intermediate may overflow on one side only, or in float32 and not in its float64 oracle), no
rounding bound describes the step: its rows are ``not compared``, counted apart, as the dense sweep's — never a
pass, and every step before it is judged.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import torch

from comparisons.common import rounding
from comparisons.common.checks import agree

from .rounding import Magnitudes

COLUMNS = ["arch", "step", "tensor", "layer", "shape", "max_abs_err", "bound_used", "oracle_used", "status",
           "passed", "caught_by", "error"]  # fmt: skip
NOT_COMPARED = (
    "torch's state or the rounding scale reached the dtype's largest number (the run overflowed): nothing to compare"
)


def row(arch, step, tensor, layer, shape="", caught_by="", error="", **values):
    """One check's row; failing when ``caught_by`` names a check."""
    out = dict(arch=arch, step=step, tensor=tensor, layer=layer, shape=shape, max_abs_err=np.nan,
               bound_used=np.nan, oracle_used=np.nan)  # fmt: skip
    out.update(values)
    out.update(status="fail" if caught_by else "pass", passed=not caught_by, caught_by=caught_by, error=error)
    return out


def at_edge(dtype, *scales):
    """True where no bound describes the computation: a scale (or torch's state) not finite or at the dtype's max."""
    fmax = float(np.finfo(np.dtype(dtype)).max)
    return not all(np.all(np.asarray(E, np.float64) < fmax) for E in scales)


def not_compared(rows):
    """The rows of a step at the edge of the range: not compared, whatever their values (counted apart)."""
    return [dict(r, status="not compared", passed=True, caught_by="", error=NOT_COMPARED) for r in rows]


def scales_of(tree):
    """Every array of nested lists and dicts of scales or values, as |x|."""
    if isinstance(tree, dict | list | tuple):
        return [a for v in (tree.values() if isinstance(tree, dict) else tree) for a in scales_of(v)]
    return [np.abs(np.asarray(tree, np.float64))]


def used(m, r, bound):
    """(max |m − r| / bound, max |m − r|) over the entries, by the sweep's one comparator (checks.agree): ≤ 1 passes."""
    r = np.asarray(r, np.float64)
    flat = lambda x: np.broadcast_to(np.asarray(x, np.float64), r.shape).reshape(1, -1)  # noqa: E731  one row
    ratio, err = agree(flat(m), flat(r), flat(bound))
    return float(ratio[0]), float(err[0])


def tensor_row(arch, step, tensor, l, m, r, E, dtype, oracle=None, E_oracle=None):
    """Shape, dtype, finiteness, value within c·u·√2·S, then (float32) the float64 ``oracle`` within c·u·S: E is S at
    torch's values, E_oracle at the oracle's (E where not given)."""
    shape = "x".join(map(str, np.shape(r)))
    if m is None:
        return row(arch, step, tensor, l, shape, "shape", f"{tensor}^{l} missing")
    m_arr = np.asarray(m)
    if m_arr.shape != np.shape(r):
        return row(arch, step, tensor, l, shape, "shape", f"shape {m_arr.shape}, expected {np.shape(r)}")
    if tensor != "C_T" and m_arr.dtype != dtype:
        return row(arch, step, tensor, l, shape, "dtype", f"dtype {m_arr.dtype}, expected {np.dtype(dtype)} (torch's)")
    if not np.all(np.isfinite(m_arr) | ~np.isfinite(r)):  # both sides overflowing alike is agree's to judge
        return row(arch, step, tensor, l, shape, "finite", "NaN or inf where torch's is finite")
    S = np.asarray(E, np.float64)
    bound_used, err = used(m_arr, r, rounding.bound(S, dtype))
    values = dict(max_abs_err=err, bound_used=bound_used)
    caught = "value" if not bound_used <= 1.0 else ""
    if oracle is not None:
        S_o = S if E_oracle is None else np.asarray(E_oracle, np.float64)
        values["oracle_used"] = used(m_arr, oracle, rounding.bound(S_o, dtype, 1, np.float64))[0]
        caught = caught or ("oracle" if not values["oracle_used"] <= 1.0 else "")
    share = values["oracle_used"] if caught == "oracle" else bound_used
    error = f"{tensor}^{l} off by up to {err:.3g}, {share:.3g}× its {caught} bound" if caught else ""
    return row(arch, step, tensor, l, shape, caught, error, **values)


class Model(NamedTuple):
    """The rounding model at one state: S at torch's own values for the bound against torch, at the float64
    oracle's for the bound against the oracle (the same in float64)."""

    values: dict  # float64 autograd's: the oracle
    S: dict  # at torch's own values and branches
    S_oracle: dict  # at the oracle's
    own: dict  # torch's own values (float64 upcast)
    fwd64: tuple  # the oracle's (z, a): its branches


def magnitudes(spec, W, b, X, T):
    """The Model of one network at parameters W, b on (X, T)."""
    mag = Magnitudes(spec.layers, W, b, X, T, spec.cost, spec.dtype)
    S64 = mag.scales()
    if np.dtype(spec.dtype) == np.float64:
        return Model(mag.values, S64, S64, mag.values, (mag.z, mag.a))
    own = Magnitudes(spec.layers, W, b, X, T, spec.cost, spec.dtype, at=spec.dtype)
    return Model(mag.values, own.scales(), S64, own.values, (mag.z, mag.a))


def pick(x, g):
    """Member g of a family's result: of each array of a dict, or of an array; what has no such member as it is (its
    shape is then the shape check's to judge)."""
    if isinstance(x, dict):
        return {k: pick(v, g) for k, v in x.items()}
    if x is None:
        return None
    arr = np.asarray(x)
    return arr[g] if arr.ndim and g < arr.shape[0] else arr


def forward(ref, X):
    """torch's z and a (a[1] = X) on X, in its dtype: its branches (a family's, stacked)."""
    with torch.no_grad():
        z, a = ref.forward(ref.tensor(np.array(X)), retain=False)
    return {l: v.numpy() for l, v in z.items()}, {1: np.asarray(X)} | {l: v.numpy() for l, v in a.items() if l > 1}


def failed(rows):
    return any(r["caught_by"] in ("value", "oracle") for r in rows)


def explained(rows, again, notes):
    """``rows`` again where manual_bp took other branches: a failing row whose recomputation agrees — with torch's
    branches against torch (``again["torch"]``), with the float64 oracle's against the oracle (``again["oracle"]``),
    each keyed (tensor, layer) — passes, naming the kinks; any other keeps its failure."""
    if not again:
        return rows
    out = []
    for r in rows:
        key = (r["tensor"], r["layer"])
        if r["caught_by"] in ("value", "oracle") and any(key in d for d in again.values()):
            v, o = again.get("torch", {}).get(key, r), again.get("oracle", {}).get(key, r)
            ok = v["bound_used"] <= 1.0 and not o["oracle_used"] > 1.0
            text = (
                "; ".join(notes)
                + f"; recomputed with the reference's branch there, it {'agrees' if ok else 'still differs'}"
            )
            r = dict(v, oracle_used=o["oracle_used"], status="pass", passed=True, caught_by="", error=text) if ok else (
                dict(r, error=f"{r['error']}; {text}"))  # fmt: skip
        out.append(r)
    return out
