"""Child side: how each style's conv and pooling layers are called, forward then backward, on given numbers.

cs231n-conv: ``conv_forward_naive(x, w, b, conv_param) -> out, cache``, ``conv_backward_naive(dout, cache)
-> dx, dw, db``, ``max_pool_forward_naive(x, pool_param) -> out, cache``, ``max_pool_backward_naive(dout,
cache) -> dx``; x (N, C, H, W), w (F, C, HH, WW), conv_param {'stride', 'pad'}, pool_param {'pool_height',
'pool_width', 'stride'}.  Without a forward function the cache is CS231n's own: (x, w, b, conv_param) or
(x, pool_param).
dlfs-conv: ``Convolution(W, b, stride=1, pad=0)`` and ``Pooling(pool_h, pool_w, stride=1, pad=0)`` with
``forward(x)`` and ``backward(dout) -> dx``; the conv layer leaves ∂C/∂W in ``.dW`` and ∂C/∂b in ``.db``.
"""

from __future__ import annotations

import inspect

import numpy as np

from comparisons.diagnose.conventions.base import Unusable


def has(module, style, kind):
    """Whether ``module`` defines the ``kind`` ('conv' or 'pool') layer in ``style``."""
    if style == "cs231n-conv":
        return callable(getattr(module, {"conv": "conv_backward_naive", "pool": "max_pool_backward_naive"}[kind], None))
    cls = getattr(module, {"conv": "Convolution", "pool": "Pooling"}[kind], None)
    return inspect.isclass(cls) and callable(getattr(cls, "backward", None))


def run_conv(module, style, x, w, b, stride, pad, dout):
    """{'out', 'dx', 'dw', 'db'} of the user's conv layer on copies of the numbers."""
    x, w, b, dout = (np.array(v, copy=True) for v in (x, w, b, dout))
    if style == "cs231n-conv":
        param = {"stride": stride, "pad": pad}
        fwd = getattr(module, "conv_forward_naive", None)
        out, cache = fwd(x, w, b, param) if callable(fwd) else (None, (x, w, b, param))
        res = module.conv_backward_naive(dout, cache)
        if not (isinstance(res, tuple) and len(res) == 3):
            raise Unusable("conv_backward_naive must return (dx, dw, db)")
        dx, dw, db = res
        return dict(dx=dx, dw=dw, db=db) | (dict(out=out) if callable(fwd) else {})  # no forward: no out to judge
    layer = module.Convolution(w, b, stride=stride, pad=pad)
    out = layer.forward(x)
    dx = layer.backward(dout)
    return dict(out=out, dx=dx, dw=getattr(layer, "dW", None), db=getattr(layer, "db", None))


def run_pool(module, style, x, q, stride, dout):
    """{'out', 'dx'} of the user's max pooling on copies of the numbers."""
    x, dout = np.array(x, copy=True), np.array(dout, copy=True)
    if style == "cs231n-conv":
        param = {"pool_height": q, "pool_width": q, "stride": stride}
        fwd = getattr(module, "max_pool_forward_naive", None)
        out, cache = fwd(x, param) if callable(fwd) else (None, (x, param))
        return dict(dx=module.max_pool_backward_naive(dout, cache)) | (dict(out=out) if callable(fwd) else {})
    layer = module.Pooling(q, q, stride=stride)
    out = layer.forward(x)
    return dict(out=out, dx=layer.backward(dout))
