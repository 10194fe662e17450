"""MISTAKE: the sign of the output error flipped in eq (4): CrossEntropyCost.delta returns y − a.

Breaks eq (4).  Run it with:  deltacheck diagnose examples/mistakes/nielsen/cost_delta_sign_eq4.py
"""

import numpy as np

EXPECTED_EQUATION = "4"


def sigmoid(z):
    """σ(z) = 1 / (1 + e^{−z})."""
    return 1.0 / (1.0 + np.exp(-z))


def sigmoid_prime(z):
    """σ'(z) = σ(z)(1 − σ(z))."""
    s = sigmoid(z)
    return s * (1.0 - s)


class QuadraticCost:
    """C_x = ½ ‖a − y‖², the lecture's 2乗誤差."""

    @staticmethod
    def fn(a, y):
        return 0.5 * float(np.sum((a - y) ** 2))

    @staticmethod
    def delta(z, a, y):
        """Eq (4): δ^L = (a − y) ⊙ σ'(z^L)."""
        return (a - y) * sigmoid_prime(z)


class CrossEntropyCost:
    """C_x = −Σ_j [y_j ln a_j + (1 − y_j) ln(1 − a_j)] over sigmoid outputs."""

    @staticmethod
    def fn(a, y):
        return float(np.sum(np.nan_to_num(-y * np.log(a) - (1 - y) * np.log(1 - a))))

    @staticmethod
    def delta(z, a, y):
        """Eq (4): δ^L = a − y (σ'(z^L) cancels against ∂C/∂a^L)."""
        return y - a  # MISTAKE: the sign flipped


class Network:
    """A fully connected sigmoid network, one example at a time."""

    def __init__(self, sizes, cost=CrossEntropyCost):
        self.num_layers = len(sizes)
        self.sizes = sizes
        self.cost = cost
        rng = np.random.default_rng(0)
        self.biases = [rng.standard_normal((n, 1)) for n in sizes[1:]]
        self.weights = [rng.standard_normal((n, m)) / np.sqrt(m) for m, n in zip(sizes[:-1], sizes[1:])]

    def feedforward(self, a):
        """a^L for the column a^1 = x."""
        for b, w in zip(self.biases, self.weights):
            a = sigmoid(np.dot(w, a) + b)
        return a

    def backprop(self, x, y):
        """(nabla_b, nabla_w): ∂C_x/∂b^l and ∂C_x/∂W^l, lists like self.biases and self.weights."""
        nabla_b = [np.zeros(b.shape) for b in self.biases]
        nabla_w = [np.zeros(w.shape) for w in self.weights]
        activation = x
        activations = [x]  # a^1 … a^L, columns
        zs = []  # z^2 … z^L
        for b, w in zip(self.biases, self.weights):
            z = np.dot(w, activation) + b
            zs.append(z)
            activation = sigmoid(z)
            activations.append(activation)
        delta = self.cost.delta(zs[-1], activations[-1], y)  # (4)
        nabla_b[-1] = delta  # (3)
        nabla_w[-1] = np.dot(delta, activations[-2].transpose())  # (2)
        # Here l counts layers from the end, as in Nielsen's code: index -l is the lecture's layer L + 1 - l.
        for l in range(2, self.num_layers):
            z = zs[-l]
            sp = sigmoid_prime(z)
            delta = np.dot(self.weights[-l + 1].transpose(), delta) * sp  # (5)
            nabla_b[-l] = delta  # (3)
            nabla_w[-l] = np.dot(delta, activations[-l - 1].transpose())  # (2)
        return (nabla_b, nabla_w)

    def update_mini_batch(self, mini_batch, eta):
        """One gradient-descent step on the mean cost of ``mini_batch``, a list of (x, y)."""
        nabla_b = [np.zeros(b.shape) for b in self.biases]
        nabla_w = [np.zeros(w.shape) for w in self.weights]
        for x, y in mini_batch:
            delta_nabla_b, delta_nabla_w = self.backprop(x, y)
            nabla_b = [nb + dnb for nb, dnb in zip(nabla_b, delta_nabla_b)]
            nabla_w = [nw + dnw for nw, dnw in zip(nabla_w, delta_nabla_w)]
        self.weights = [w - (eta / len(mini_batch)) * nw for w, nw in zip(self.weights, nabla_w)]
        self.biases = [b - (eta / len(mini_batch)) * nb for b, nb in zip(self.biases, nabla_b)]
