"""MISTAKE: relu_backward passes dout through unchanged, where eq (5)'s ⊙ σ'(z^l) zeroes it wherever x <= 0.

A CS231n FullyConnectedNet, otherwise correct.
"""

import numpy as np

EXPECTED_EQUATION = "5"


def affine_forward(x, w, b):
    """out = x w + b, one row per example: eq (1)."""
    out = x.reshape(x.shape[0], -1).dot(w) + b
    cache = (x, w, b)
    return out, cache


def affine_backward(dout, cache):
    """dx, dw, db of the affine layer: eqs (2), (3) and the (W^l)ᵀ δ^l of eq (5)."""
    x, w, b = cache
    dx = dout.dot(w.T).reshape(x.shape)
    dw = x.reshape(x.shape[0], -1).T.dot(dout)
    db = np.sum(dout, axis=0)
    return dx, dw, db


def relu_forward(x):
    """max(0, x)."""
    out = np.maximum(0, x)
    cache = x
    return out, cache


def relu_backward(dout, cache):
    """dout where x > 0: the ⊙ σ'(z) of eq (5)."""
    x = cache
    dx = dout  # MISTAKE: the relu mask is missing
    return dx


def softmax_loss(x, y):
    """The softmax cross-entropy averaged over the N rows, and its gradient: eq (4) divided by N."""
    shifted = x - np.max(x, axis=1, keepdims=True)
    log_probs = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    probs = np.exp(log_probs)
    N = x.shape[0]
    loss = -np.sum(log_probs[np.arange(N), y]) / N
    dx = probs.copy()
    dx[np.arange(N), y] -= 1
    dx /= N
    return loss, dx


class FullyConnectedNet:
    """{affine - relu} x (L - 1) - affine - softmax, with params W1, b1, … ."""

    def __init__(
        self,
        hidden_dims,
        input_dim=3 * 32 * 32,
        num_classes=10,
        dropout_keep_ratio=1,
        normalization=None,
        reg=0.0,
        weight_scale=1e-2,
        dtype=np.float32,
        seed=None,
    ):
        self.reg = reg
        self.num_layers = 1 + len(hidden_dims)
        self.dtype = dtype
        self.params = {}
        dims = [input_dim] + list(hidden_dims) + [num_classes]
        for i in range(self.num_layers):
            self.params["W%d" % (i + 1)] = weight_scale * np.random.randn(dims[i], dims[i + 1])
            self.params["b%d" % (i + 1)] = np.zeros(dims[i + 1])
        for k, v in self.params.items():
            self.params[k] = v.astype(dtype)

    def loss(self, X, y=None):
        """The scores when y is None, else (loss, grads)."""
        X = X.astype(self.dtype)
        caches = {}
        out = X
        for i in range(1, self.num_layers):
            out, caches["affine%d" % i] = affine_forward(out, self.params["W%d" % i], self.params["b%d" % i])
            out, caches["relu%d" % i] = relu_forward(out)
        last = self.num_layers
        scores, caches["affine%d" % last] = affine_forward(out, self.params["W%d" % last], self.params["b%d" % last])
        if y is None:
            return scores

        loss, grads = 0.0, {}
        loss, dscores = softmax_loss(scores, y)
        for i in range(1, self.num_layers + 1):
            loss += 0.5 * self.reg * np.sum(self.params["W%d" % i] ** 2)

        dout, grads["W%d" % last], grads["b%d" % last] = affine_backward(dscores, caches["affine%d" % last])
        for i in range(self.num_layers - 1, 0, -1):
            dout = relu_backward(dout, caches["relu%d" % i])
            dout, grads["W%d" % i], grads["b%d" % i] = affine_backward(dout, caches["affine%d" % i])
        for i in range(1, self.num_layers + 1):
            grads["W%d" % i] += self.reg * self.params["W%d" % i]
        return loss, grads
