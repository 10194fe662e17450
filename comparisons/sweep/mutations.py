"""Planted bugs for ``deltacheck selftest``: each replaces one piece of manual_bp for the run.

Nothing is edited on disk: a mutation swaps a function or method for a wrong one (written
here, or compiled from the original's source with one expression changed) and restores the
original afterwards.  Each names the checks expected to catch it.  Like manual_bp's own code, the
wrong ones index examples and units from the end (axis −2, −1), so that they are the same bug
in a family's stacked arrays as in one network's.
"""

from __future__ import annotations

import contextlib
import inspect
import textwrap
from dataclasses import dataclass

import numpy as np

import manual_bp
from manual_bp import activations, backprop, costs, network, optim, step


@dataclass(frozen=True)
class Mutation:
    """One planted bug: what it breaks, where, and which checks should see it."""

    name: str
    what: str
    patches: tuple  # ((owner, attribute, replacement), …)
    expected: tuple  # checks that may catch it: value, oracle, dtype, input, path, trajectory, crash, …
    dtype: str = "any"  # "float64" or "float32" where the bug only exists (or only matters) in one

    @contextlib.contextmanager
    def applied(self):
        """The bug in place for the duration of the block."""
        saved = [(owner, attr, owner.__dict__[attr]) for owner, attr, _ in self.patches]
        try:
            for owner, attr, new in self.patches:
                setattr(owner, attr, new)
            yield self
        finally:
            for owner, attr, old in saved:
                setattr(owner, attr, old)


def rewritten(func, old, new):
    """``func`` compiled again from its source with ``old`` replaced by ``new`` (exactly once)."""
    src = textwrap.dedent(inspect.getsource(func))
    if src.count(old) != 1:
        raise ValueError(f"{func.__qualname__}: {old!r} occurs {src.count(old)} times")
    namespace = {}
    exec(compile(src.replace(old, new), f"<mutated {func.__qualname__}>", "exec"), func.__globals__, namespace)
    return namespace[func.__name__]


def _prime(cls, wrong):
    return ((cls, "prime", lambda self, z, a: wrong(z, a)),)


def _one_entry(factor):
    """MLP.gradients with the largest entry of ∂C_T/∂W^L multiplied by ``factor``."""
    orig = network.MLP.gradients

    def gradients(self, X, T, per_example=False):
        gW, gb = orig(self, X, T, per_example)
        g = gW[self.L]
        g[np.unravel_index(np.argmax(np.abs(g)), g.shape)] *= factor
        return gW, gb

    return ((network.MLP, "gradients", gradients),)


def _in_place_centring():
    orig = backprop.forward

    def forward(W, b, act, X):
        X -= X.mean(axis=-2)  # "normalise" the data in place (each column over the examples): changes the caller's X
        return orig(W, b, act, X)

    return ((backprop, "forward", forward),)


def _upcast():
    orig = backprop.weight_gradient
    return ((backprop, "weight_gradient", lambda d, a, per_example=False: orig(d, a, per_example).astype(np.float64)),)


def _skip_bias(self, net, gW, gb):
    for l in net.W:
        self.update(("W", l), net.W[l], gW[l])


def _dampened(self, key, p, g):
    if self.momentum:
        v = self.v.get(key)
        if v is None:
            self.v[key] = v = g.copy()
        else:
            v *= self.momentum
            v += (1 - self.momentum) * g  # dampening = μ: not torch's rule with dampening 0
        g = v
    p -= self.eta * g


def _not_in_place(self, key, p, g):
    p = p - self.eta * g  # a new array: the network keeps the old one


_train_short = rewritten(optim.train, "for idx in batches:", "for idx in batches[:-1]:")


def _cross_entropy_wrong_axis(self, a, t, z):
    m = z.max(axis=-1, keepdims=True)
    lse = m[..., 0] + np.log(np.sum(np.exp(z - m), axis=-1))  # (K,)
    return (
        lse * t.sum(axis=-1) - np.sum(t * z, axis=(-2, -1))[..., None] / z.shape[-2]
    )  # Σ_j t_j z_j over the wrong axis


SIG, TANH, RELU, LEAKY = activations.Sigmoid, activations.Tanh, activations.ReLU, activations.LeakyReLU

MUTATIONS = (
    Mutation(
        "sigmoid σ' = a", "the sigmoid's derivative without (1 − a)", _prime(SIG, lambda z, a: a.copy()), ("value",)
    ),
    Mutation(
        "tanh σ' = 1 − a",
        "tanh's derivative as 1 − a instead of 1 − a²",
        _prime(TANH, lambda z, a: 1.0 - a),
        ("value",),
    ),
    Mutation(
        "relu σ'(0) = 1",
        "relu's derivative 1 at z = 0 (torch takes 0)",
        _prime(RELU, lambda z, a: (z >= 0).astype(z.dtype)),
        ("value",),
    ),
    Mutation(
        "leaky_relu slope 0.1",
        "leaky_relu's derivative 0.1 for z < 0 instead of 0.01",
        _prime(LEAKY, lambda z, a: np.where(z > 0, 1.0, 0.1).astype(z.dtype)),
        ("value",),
    ),
    Mutation(
        "softplus σ' = σ(−z)",
        "softplus's derivative taken at −z",
        _prime(activations.Softplus, lambda z, a: activations.SIGMOID.fn(-z)),
        ("value",),
    ),
    Mutation(
        "identity σ' = 0",
        "the identity's derivative 0",
        _prime(activations.Identity, lambda z, a: np.zeros_like(z)),
        ("value",),
    ),
    Mutation(
        "softmax Jacobian diagonal only",
        "softmax's vjp as a(1 − a) ⊙ g, its Jacobian's diagonal",
        ((activations.Softmax, "vjp", lambda self, z, a, g: a * (1 - a) * g),),
        ("value",),
    ),
    Mutation(
        "squared error δ^L sign",
        "∂C/∂a^L = t − a for the squared error",
        ((costs.SquaredError, "grad_a", lambda self, a, t: t - a),),
        ("value",),
    ),
    Mutation(
        "binary cross-entropy extra σ'",
        "δ^L = (a − t) σ'(z) for sigmoid + binary cross-entropy",
        ((costs.BinaryCrossEntropy, "linked_delta", lambda self, a, t: (a - t) * a * (1 - a)),),
        ("value",),
    ),
    Mutation(
        "cross-entropy assumes one-hot targets",
        "δ^L = a − onehot(argmax t): wrong for soft targets",
        (
            (
                costs.CrossEntropy,
                "linked_delta",
                lambda self, a, t: a - np.eye(t.shape[-1], dtype=a.dtype)[t.argmax(axis=-1)],
            ),
        ),
        ("value",),
    ),
    Mutation(
        "eq (4) without σ'",
        "δ^L = ∂C/∂a^L, σ'(z^L) left out (unlinked costs)",
        (
            (
                backprop,
                "output_delta",
                rewritten(backprop.output_delta, "act.vjp(z_L, a_L, cost.grad_a(a_L, t))", "cost.grad_a(a_L, t)"),
            ),
        ),
        ("value",),
    ),
    Mutation(
        "eq (2) with a^l",
        "∂C/∂W^l = (δ^l)ᵀ a^l instead of a^{l−1}",
        (
            (network.MLP, "gradients", rewritten(network.MLP.gradients, "fwd.a[l - 1]", "fwd.a[l]")),
            (
                step.TrainStep,
                "__call__",
                rewritten(step.TrainStep.__call__, "weight_gradient(delta, a[l - 1])", "weight_gradient(delta, a[l])"),
            ),
        ),
        ("value", "shape", "crash"),
    ),
    Mutation(
        "eq (3) from one example",
        "∂C_T/∂b^l = δ^l[1], the first example's only",
        ((backprop, "bias_gradient", lambda d, per_example=False: d if per_example else d[..., 0, :].copy()),),
        ("value",),
    ),
    Mutation(
        "eq (5) with W^l",
        "δ^l from W^l instead of W^{l+1}",
        (
            (backprop, "deltas", rewritten(backprop.deltas, "W[l + 1], act[l]", "W[l], act[l]")),
            (
                step.TrainStep,
                "__call__",
                rewritten(
                    step.TrainStep.__call__,
                    "hidden_delta(delta, W[l], act[l - 1]",
                    "hidden_delta(delta, W[l - 1], act[l - 1]",
                ),
            ),
        ),
        ("value", "shape", "crash"),
    ),
    Mutation(
        "eq (5) with σ'(z^{l+1})",
        "δ^l multiplied by σ' of the layer above",
        (
            (
                backprop,
                "deltas",
                rewritten(backprop.deltas, "act[l], fwd.z[l], fwd.a[l]", "act[l + 1], fwd.z[l + 1], fwd.a[l + 1]"),
            ),
            (
                step.TrainStep,
                "__call__",
                rewritten(step.TrainStep.__call__, "act[l - 1], z[l - 1], a[l - 1]", "act[l], z[l], a[l]"),
            ),
        ),
        ("value", "crash"),
    ),
    Mutation(
        "eq (5) without ⊙ σ'(z^l)",
        "the recurrence without σ'",
        ((backprop, "hidden_delta", lambda dn, Wn, act, z, a: dn @ Wn),),
        ("value",),
    ),
    Mutation(
        "momentum with dampening",
        "v ← μv + (1 − μ)∇C, not torch.optim.SGD's rule",
        ((optim.SGD, "update", _dampened),),
        ("trajectory",),
    ),
    Mutation(
        "learning rate off by 0.1 %",
        "w ← w − 1.001·η∇C",
        ((optim.SGD, "update", lambda self, k, p, g: p.__isub__(self.eta * 1.001 * g)),),
        ("trajectory",),
    ),
    Mutation("bias never updated", "SGD.step updates W^l only", ((optim.SGD, "step", _skip_bias),), ("trajectory",)),
    Mutation(
        "update into a new array",
        "w = w − η∇C rebinds instead of updating in place",
        ((optim.SGD, "update", _not_in_place),),
        ("trajectory",),
    ),
    Mutation(
        "float32 silently upcast", "∂C/∂W computed in float64 for a float32 network", _upcast(), ("dtype",), "float32"
    ),
    Mutation(
        "X centred in place", "the forward pass subtracts the mean from X in place", _in_place_centring(), ("input",)
    ),
    Mutation(
        "C_k without ½",
        "the squared error's value Σ (t − a)², its gradient unchanged",
        ((costs.SquaredError, "fn", lambda self, a, t, z: np.sum((t - a) ** 2, axis=-1)),),
        ("value",),
    ),
    Mutation(
        "cross-entropy C_k summed over the wrong axis",
        "Σ_j t_j z_j taken over the examples, then spread evenly: C_T right, every C_k wrong",
        ((costs.CrossEntropy, "fn", _cross_entropy_wrong_axis),),
        ("value",),
    ),
    Mutation(
        "1e-9 in one entry (float64)",
        "the largest entry of ∂C_T/∂W^L off by a factor 1 + 1e−9",
        _one_entry(1 + 1e-9),
        ("value", "path"),
        "float64",
    ),
    Mutation(
        "1e-5 in one entry (float32)",
        "the largest entry of ∂C_T/∂W^L off by a factor 1 + 1e−5",
        _one_entry(np.float32(1 + 1e-5)),
        ("oracle", "path"),
        "float32",
    ),
    Mutation(
        "train() skips the last batch",
        "train() drops its last index array",
        ((optim, "train", _train_short), (manual_bp, "train", _train_short)),
        ("path",),
    ),
)
