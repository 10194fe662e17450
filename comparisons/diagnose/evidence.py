"""Values the user's code had already written when it raised, compared with autograd.

{('delta', l): (agrees, ' (where)')}, from what each convention fills in a known place: the
lecture's δ dict keyed by l (only the rows already written — a per-example loop pre-fills zeros),
Nielsen's nabla_b[i] (δ^l of the example being run), ゼロから作る's grads entries and the dout
an Affine layer holding params['W{l−1}'] receives.  Any array equal to a δ^l of autograd's is
evidence that δ^l agrees; only a known place can say that one differs.
"""

from __future__ import annotations

import numpy as np

from comparisons.common.checks import compare
from comparisons.diagnose.compare import TOL
from comparisons.diagnose.conventions import dlfs, nielsen
from comparisons.diagnose.placement import keyed_by_layer, name_kind


def _agrees(m, r):
    return bool(compare(np.asarray(m, dtype=np.float64), r, TOL).passed)


def _rows(v, r):
    """Whether the rows of ``v`` that were written (not all zero) agree with ``r``; None if none were."""
    if not isinstance(v, np.ndarray) or v.shape != r.shape or v.ndim != 2:
        return None
    written = np.any(v != 0, axis=1)
    if not written.any():
        return None
    return _agrees(v[written], r[written])


def _by_value(frame, ref, k, scale):
    """('delta', l) for every array of the frame that is exactly autograd's δ^l (or its row k)."""
    out = {}
    arrays = []
    for name, v in frame.locals.items():
        if isinstance(v, np.ndarray):
            arrays.append((name, v))
        elif isinstance(v, (list, dict)):
            items = v.items() if isinstance(v, dict) else enumerate(v)
            arrays += [(f"{name}[{i!r}]", a) for i, a in items if isinstance(a, np.ndarray)]
    for _, v in arrays:
        if v.dtype.kind not in "biuf" or not np.any(v):
            continue
        for l in range(2, ref.L + 1):
            r = ref.delta[l]
            whole = v.shape == r.shape and _agrees(v * scale, r)
            row = 0 <= k < ref.K and v.size == r.shape[1] and v.ndim <= 2 and _agrees(v.reshape(-1) * scale, r[k])
            if whole or row:
                out["delta", l] = (True, "")
    return out


def _lecture(frame, ref):
    out = {}
    for name, v in frame.locals.items():
        if keyed_by_layer(v, ref.L) and name_kind(name) == "delta":
            for l in range(2, ref.L + 1):
                agrees = _rows(v.get(l), ref.delta[l])
                if agrees is not None:
                    out["delta", l] = (agrees, f" ({name}[{l}])" if not agrees else "")
    return out


def _nielsen(frame, ref, session, k):
    out = {}
    for l, (v, where) in nielsen.written_deltas(frame, session.loaded, ref, k).items():
        out["delta", l] = (_agrees(v, ref.delta[l][k]), f" ({where}, example {k + 1})")
    return out


def _dlfs(frame, ref, session, scale):
    out = {}
    grads = frame.locals.get(session.loaded.names.get("returns", ["grads"])[0])
    for key, v in grads.items() if isinstance(grads, dict) else ():
        hit = dlfs.layer_of_param(key)
        if hit and isinstance(v, np.ndarray) and hit[1] <= ref.L:
            sym, l = hit
            r = ref.dW[l] if sym == "W" else ref.db[l]
            m = v.T if sym == "W" else v
            if m.shape == r.shape:
                out["d" + sym, l] = (_agrees(m * scale, r), f" (grads[{key!r}])")
    layer = next((dlfs.layer_of_param(p)[1] for p in frame.params.values() if dlfs.layer_of_param(p)), 0)
    dout = frame.locals.get("dout")
    if layer and layer <= ref.L and isinstance(dout, np.ndarray) and dout.shape == ref.delta[layer].shape:
        out["delta", layer] = (_agrees(dout * scale, ref.delta[layer]), f" (the dout Affine{layer - 1} receives)")
    return out


def evidence(raised, ref, session, settings=None):
    """{('delta'|'dW'|'db', l): (agrees, where)} from every frame of the user's code at the exception."""
    scale = settings.scale(ref.K) if settings is not None else 1.0
    conv = session.convention.NAME if session is not None else "lecture"
    out = {}
    for frame in raised.frames:
        out.update(_by_value(frame, ref, raised.k, scale))
    for frame in raised.frames:
        if conv == "lecture":
            out.update(_lecture(frame, ref))
        elif conv == "nielsen":
            out.update(_nielsen(frame, ref, session, raised.k))
        else:
            out.update(_dlfs(frame, ref, session, scale))
    return out
