"""Nielsen-style, written for deltacheck's tests: ReLU hidden layers and a sigmoid output, one example at a time."""

import numpy as np


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


class Network:
    def __init__(self, sizes):
        self.num_layers = len(sizes)
        self.biases = [np.zeros((n, 1)) for n in sizes[1:]]
        self.weights = [np.zeros((n, m)) for m, n in zip(sizes[:-1], sizes[1:])]

    def feedforward(self, a):
        for i, (b, w) in enumerate(zip(self.biases, self.weights)):
            z = w @ a + b
            a = sigmoid(z) if i == len(self.weights) - 1 else np.maximum(z, 0)
        return a

    def backprop(self, x, y):
        nb = [None] * len(self.biases)
        nw = [None] * len(self.weights)
        acts, zs = [x], []
        for i, (b, w) in enumerate(zip(self.biases, self.weights)):
            zs.append(w @ acts[-1] + b)
            acts.append(sigmoid(zs[-1]) if i == len(self.weights) - 1 else np.maximum(zs[-1], 0))
        delta = (acts[-1] - y) * acts[-1] * (1 - acts[-1])
        nb[-1], nw[-1] = delta, delta @ acts[-2].T
        for l in range(2, self.num_layers):
            delta = (self.weights[-l + 1].T @ delta) * (zs[-l] > 0)
            nb[-l], nw[-l] = delta, delta @ acts[-l - 1].T
        return nb, nw
