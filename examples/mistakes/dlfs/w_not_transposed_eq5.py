"""MISTAKE: W not transposed in Affine.backward's dx = dout W, the sum of eq (5) (runs only where n_l = n_{l+1}).

dx must be dout Wᵀ: with params['W…'] of shape (n_{l−1}, n_l), only the transpose maps the
layer's n_l errors back onto its n_{l−1} inputs.

Breaks eq (5).  Run it with:  deltacheck diagnose examples/mistakes/dlfs/w_not_transposed_eq5.py
"""

from collections import OrderedDict

import numpy as np

EXPECTED_EQUATION = "5"


def softmax(x):
    """Softmax over each row, shifted by the row's maximum."""
    x = x - np.max(x, axis=-1, keepdims=True)
    return np.exp(x) / np.sum(np.exp(x), axis=-1, keepdims=True)


def cross_entropy_error(y, t):
    """The mean over the batch of −Σ_j t_j log y_j, for one-hot t."""
    batch_size = y.shape[0]
    return -np.sum(t * np.log(y + 1e-7)) / batch_size


class Affine:
    """out = x W + b, one row per example; backward gives dx, and keeps dW and db."""

    def __init__(self, W, b):
        self.W = W
        self.b = b
        self.x = None
        self.dW = None
        self.db = None

    def forward(self, x):
        self.x = x
        return np.dot(x, self.W) + self.b

    def backward(self, dout):
        dx = np.dot(dout, self.W)  # the sum of eq (5) MISTAKE: W where W.T belongs
        self.dW = np.dot(self.x.T, dout)  # (2), summed over the rows
        self.db = np.sum(dout, axis=0)  # (3), summed over the rows
        return dx


class Relu:
    """max(0, x); backward lets dout through where x > 0: the ⊙ σ'(z) of eq (5)."""

    def __init__(self):
        self.mask = None

    def forward(self, x):
        self.mask = x <= 0
        out = x.copy()
        out[self.mask] = 0
        return out

    def backward(self, dout):
        dout[self.mask] = 0
        return dout


class SoftmaxWithLoss:
    """Softmax and the cross-entropy averaged over the batch; backward is eq (4) divided by K."""

    def __init__(self):
        self.loss = None
        self.y = None
        self.t = None

    def forward(self, x, t):
        self.t = t
        self.y = softmax(x)
        self.loss = cross_entropy_error(self.y, self.t)
        return self.loss

    def backward(self, dout=1):
        batch_size = self.t.shape[0]
        return (self.y - self.t) / batch_size  # (4): δ^L = a^L − t, for the mean over the batch


class TwoLayerNet:
    """Affine, Relu, Affine, SoftmaxWithLoss."""

    def __init__(self, input_size, hidden_size, output_size, weight_init_std=0.01):
        rng = np.random.default_rng(0)
        self.params = {}
        self.params["W1"] = weight_init_std * rng.standard_normal((input_size, hidden_size))
        self.params["b1"] = np.zeros(hidden_size)
        self.params["W2"] = weight_init_std * rng.standard_normal((hidden_size, output_size))
        self.params["b2"] = np.zeros(output_size)
        self.layers = OrderedDict()
        self.layers["Affine1"] = Affine(self.params["W1"], self.params["b1"])
        self.layers["Relu1"] = Relu()
        self.layers["Affine2"] = Affine(self.params["W2"], self.params["b2"])
        self.lastLayer = SoftmaxWithLoss()

    def predict(self, x):
        for layer in self.layers.values():
            x = layer.forward(x)
        return x

    def loss(self, x, t):
        return self.lastLayer.forward(self.predict(x), t)

    def gradient(self, x, t):
        self.loss(x, t)
        dout = self.lastLayer.backward(1)
        for layer in reversed(list(self.layers.values())):
            dout = layer.backward(dout)
        grads = {}
        grads["W1"], grads["b1"] = self.layers["Affine1"].dW, self.layers["Affine1"].db
        grads["W2"], grads["b2"] = self.layers["Affine2"].dW, self.layers["Affine2"].db
        return grads
