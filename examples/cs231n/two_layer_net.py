"""A TwoLayerNet written the way CS231n's assignment 1 has students write it: forward and backward inline, correct.

Written for deltacheck, not copied from the course.  params['W1'] is (D, H), the transpose of
the lecture's W^2; loss(X, y) returns (loss, grads) of the softmax cross-entropy averaged over
the N examples plus reg · Σ W² (deltacheck builds it with reg = 0).

Run it with:  deltacheck diagnose examples/cs231n/two_layer_net.py
"""

import numpy as np


class TwoLayerNet:
    """input - fully connected - ReLU - fully connected - softmax."""

    def __init__(self, input_size, hidden_size, output_size, std=1e-4, reg=0.0):
        self.params = {
            "W1": std * np.random.randn(input_size, hidden_size),
            "b1": np.zeros(hidden_size),
            "W2": std * np.random.randn(hidden_size, output_size),
            "b2": np.zeros(output_size),
        }
        self.reg = reg

    def loss(self, X, y=None):
        """The scores when y is None, else (loss, grads)."""
        W1, b1 = self.params["W1"], self.params["b1"]
        W2, b2 = self.params["W2"], self.params["b2"]
        N = X.shape[0]

        z1 = X.dot(W1) + b1  # (N, H)
        h1 = np.maximum(0, z1)  # (N, H)
        scores = h1.dot(W2) + b2  # (N, C)
        if y is None:
            return scores

        shifted = scores - scores.max(axis=1, keepdims=True)
        probs = np.exp(shifted) / np.sum(np.exp(shifted), axis=1, keepdims=True)
        loss = -np.mean(np.log(probs[np.arange(N), y])) + self.reg * (np.sum(W1 * W1) + np.sum(W2 * W2))

        grads = {}
        dscores = probs
        dscores[np.arange(N), y] -= 1
        dscores /= N  # (N, C): eq (4) averaged over N
        grads["W2"] = h1.T.dot(dscores) + 2 * self.reg * W2
        grads["b2"] = np.sum(dscores, axis=0)
        dh1 = dscores.dot(W2.T)
        dz1 = dh1 * (z1 > 0)  # eq (5)
        grads["W1"] = X.T.dot(dz1) + 2 * self.reg * W1
        grads["b1"] = np.sum(dz1, axis=0)
        return loss, grads
