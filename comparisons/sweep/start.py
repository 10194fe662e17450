"""The shared start: every manual_bp output against autograd's before any training step.

Each W^l, b^l, δ^l, C_k and C_T of each member is checked for, in order: presence and shape, dtype
(the network's, which is torch's), finiteness, value (the rounding model, two sides), and in float32
against a float64 oracle (the rounding model, manual_bp's side alone).  A row's ``caught_by`` names
the first check that failed, "" when all pass.
"""

from __future__ import annotations

import numpy as np
import torch

from comparisons.common import rounding, scales
from comparisons.common.checks import agree
from comparisons.sweep.flat import f64
from comparisons.sweep.kinks import pinned_member
from torch_ref import TorchFamily

GRAD_COLUMNS = ["arch", "tensor", "layer", "shape", "max_abs_err", "max_rel_err", "ref_norm", "tol_used",
                "oracle_used", "passed", "caught_by", "error"]  # fmt: skip
TENSORS = ("W", "b", "delta")
ORACLE = "the float64 oracle"  # the reference float32 is also judged against, as a kink's text names it


def row(arch, tensor, layer, shape="", caught_by="", error="", **values):
    """One gradients.csv row; a failing row when ``caught_by`` names a check."""
    fail = dict(max_abs_err=np.inf, max_rel_err=np.inf, ref_norm=np.nan, tol_used=np.inf)
    base = fail if caught_by else dict(max_abs_err=0.0, max_rel_err=0.0, ref_norm=0.0, tol_used=0.0)
    out = dict(arch=arch, tensor=tensor, layer=layer, shape=shape, **base, oracle_used=np.nan)
    out.update(values)
    out.update(passed=not caught_by, caught_by=caught_by, error=error)
    return out


def member_of(x, g, G):
    """Member g's part of a stacked result; a result not stacked G deep is passed whole (the shape check sees it)."""
    if x is None:
        return None
    a = np.asarray(x)
    return a[g] if a.ndim and a.shape[0] == G else a


def outputs(net, X, T):
    """manual_bp's W, b, delta (dicts), C_k and C_T of a Family, through its public methods."""
    gW, gb = net.gradients(X, T)
    return dict(W=gW, b=gb, delta=net.deltas(X, T), C_k=net.costs(X, T), C_T=net.total_cost(X, T))


def torch_outputs(ref, X, T):
    """The same from autograd, with the forward pass (z, a) the rounding model needs; float64 arrays."""
    rW, rb, rdelta = ref.gradients(X, T)
    with torch.no_grad():
        C_k, z, a = ref.costs(X, T)
        C_T = ref.total_cost(X, T)
    out = dict(W=rW, b=rb, delta=rdelta, C_k=C_k.cpu().numpy(), C_T=np.asarray(C_T))
    return out, f64({l: v.cpu().numpy() for l, v in z.items()}), f64({l: v.cpu().numpy() for l, v in a.items()})


def limits(spec, net, X, T, values, z, a, sides, oracle_dtype=None):
    """The rounding model's allowed difference for every start tensor, from ``values`` (the reference's)."""
    with np.errstate(all="ignore"):
        S = scales.Scales(f64(net.W), f64(net.b), list(spec.activations), spec.cost, spec.reduction,
                            np.asarray(X, np.float64), np.asarray(T, np.float64), z, a, f64(values["delta"]),
                            spec.dtype)  # fmt: skip
        lim = lambda V: rounding.bound(V, spec.dtype, sides, oracle_dtype)  # noqa: E731
        return dict(W={l: lim(x) for l, x in S.S_W.items()}, b={l: lim(x) for l, x in S.S_b.items()},
                    delta={l: lim(x) for l, x in S.S_delta.items()}, C_k=lim(S.S_Ck), C_T=lim(S.S_CT),
                    undetermined=S.undetermined)  # fmt: skip


def oracle(spec, net, X, T):
    """autograd in float64 on the float32 problem's numbers (upcast exactly): values, limits for float32, and z."""
    ref = TorchFamily(f64(net.W), f64(net.b), list(spec.activations), spec.cost, spec.reduction)
    X64, T64 = np.asarray(X, np.float64), np.asarray(T, np.float64)
    values, z, a = torch_outputs(ref, X64, T64)
    return values, limits(spec, net, X64, T64, values, z, a, sides=1, oracle_dtype=np.float64), z


def tensor_row(arch, tensor, l, m, r, limit, dtype, fmax, oracle_value=None, oracle_limit=None):
    """One tensor of one member: shape, dtype, finiteness, value, then (float32) the oracle; the first failure named."""
    shape = "x".join(map(str, np.shape(r)))
    if m is None:
        return row(arch, tensor, l, shape, "shape", f"{tensor}^{l} missing")
    m_arr = np.asarray(m)
    if m_arr.shape != np.shape(r):
        return row(arch, tensor, l, shape, "shape", f"shape {m_arr.shape}, expected {np.shape(r)}")
    if tensor != "C_T" and m_arr.dtype != dtype:
        return row(arch, tensor, l, shape, "dtype", f"dtype {m_arr.dtype}, expected {np.dtype(dtype)} (torch's)")
    if not np.all(np.isfinite(m_arr)):
        return row(arch, tensor, l, shape, "finite", "NaN or inf")
    used, err = agree(m_arr[None], np.asarray(r)[None], np.asarray(limit)[None], fmax)
    r64 = np.abs(np.asarray(r, np.float64))
    with np.errstate(all="ignore"):
        rel = np.abs(m_arr - r64 * np.sign(r)) / r64
    values = dict(max_abs_err=float(err[0]), max_rel_err=float(np.nanmax(np.where(r64 > 0, rel, 0.0), initial=0.0)),
                  ref_norm=float(np.linalg.norm(r64)), tol_used=float(used[0]))  # fmt: skip
    if oracle_value is not None:
        values["oracle_used"] = float(agree(m_arr[None], np.asarray(oracle_value)[None], oracle_limit[None])[0][0])
    caught = "value" if not used[0] <= 1.0 else "oracle" if values.get("oracle_used", 0.0) > 1.0 else ""
    return row(arch, tensor, l, shape, caught, "", **values) | dict(passed=not caught)


def start_rows(spec, archs, net, ref, X, T, Xt, Tt):
    """Rows for W^l, b^l, δ^l, C_k and C_T of each member of ``net`` (a Family), manual_bp against autograd."""
    G, dtype = len(archs), np.dtype(spec.dtype)
    fmax = float(np.finfo(dtype).max)
    reference, z, a = torch_outputs(ref, Xt, Tt)
    lim = limits(spec, net, X, T, reference, z, a, sides=2)
    orc, orc_lim, z64 = oracle(spec, net, X, T) if dtype == np.float32 else (None, None, None)
    manual = outputs(net, X, T)
    rows = []
    for g, arch in enumerate(archs):
        part = lambda d, name, l: None if d is None else (d[name].get(l) if name in TENSORS else d[name])  # noqa: E731

        def judged(values, own=False, g=g, arch=arch, part=part):
            """The rows of ``values``: the family's stacked outputs, or (``own``) member g's alone."""
            out = []
            for name in (*TENSORS, "C_k", "C_T"):
                for l in sorted(reference[name]) if name in TENSORS else [0]:
                    o = part(orc, name, l)
                    m = part(values, name, l)
                    out.append(tensor_row(arch, name, l, m if own else member_of(m, g, G),
                                          np.asarray(part(reference, name, l))[g], np.asarray(part(lim, name, l))[g],
                                          dtype, fmax, None if o is None else np.asarray(o)[g],
                                          None if o is None else np.asarray(part(orc_lim, name, l))[g]))  # fmt: skip
            return out

        member_rows = judged(manual)
        if any(r["caught_by"] in ("value", "oracle") and r["tensor"] in TENSORS for r in member_rows):
            zs = {"torch": ({l: v[g] for l, v in z.items()}, lim["undetermined"][g])}
            if z64 is not None:
                zs[ORACLE] = ({l: v[g] for l, v in z64.items()}, orc_lim["undetermined"][g])
            member_rows = kinked(member_rows, net, g, X, T, zs, judged)
        rows.append(member_rows)
    return rows


def kinked(rows, net, g, X, T, zs, judged):
    """Member g's rows again where a kink lies between manual_bp and a reference (``zs``: torch's z, and in float32
    the float64 oracle's, each with its examples whose logits the model leaves undetermined): its values recomputed
    with that reference's branch there, and compared with that reference again.  A row that fails but agrees with
    every reference, each recomputed with its own branch, passes, naming the kink."""
    W, b = {l: w[g] for l, w in net.W.items()}, {l: v[g] for l, v in net.b.items()}
    redo, notes = {}, []
    for ref, (z_ref, loose) in zs.items():
        member, where = pinned_member(W, b, np.asarray(X)[g], z_ref, net.activations, net.cost.name, net.reduction, ref,
                                      loose)  # fmt: skip
        if member is None:
            continue
        with np.errstate(all="ignore"):
            again = outputs(member, X[g], T[g])
        redo[ref] = {(r["tensor"], r["layer"]): r for r in judged(again, own=True)}
        notes.append(where)
    if not redo:
        return rows
    out = []
    for r in rows:
        key = (r["tensor"], r["layer"])
        if r["caught_by"] in ("value", "oracle") and r["tensor"] in TENSORS:
            value = redo.get("torch", {}).get(key, r)  # judged against torch: with torch's branch
            orc = redo.get(ORACLE, {}).get(key, r)  # against the oracle: with the oracle's branch
            ok = value["tol_used"] <= 1.0 and not orc["oracle_used"] > 1.0
            verdict = "agrees" if ok else "still differs"
            text = "; ".join(notes) + f"; recomputed with the reference's branch there, it {verdict}"
            new = value | dict(oracle_used=orc["oracle_used"], caught_by="", passed=True) if ok else r
            r = new | dict(error=text)
        out.append(r)
    return out
