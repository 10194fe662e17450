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
    present: object = None  # spec -> whether the bug can show on that architecture at all (None: on every one)

    def applies(self, spec):
        """Whether this bug is present in ``spec``'s computation (its dtype, its layers, its cost, its optimizer)."""
        return self.dtype in ("any", spec.dtype) and (self.present is None or self.present(spec))

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
    """The largest entry of ∂C_T/∂W^L multiplied by ``factor`` wherever manual_bp computes it: in
    MLP.gradients, and in the gradients the training step hands to the optimizer."""
    orig, orig_step = network.MLP.gradients, optim.SGD.step

    def off(gW):
        g = gW[max(gW)]  # (n_L, n_{L-1}), or (G, n_L, n_{L-1}) for a stack: each network's largest entry
        flat = np.abs(g).reshape(-1, g.shape[-2] * g.shape[-1]).argmax(axis=1)
        lead = np.unravel_index(np.arange(len(flat)), g.shape[:-2]) if g.ndim > 2 else ()
        g[(*lead, *np.unravel_index(flat, g.shape[-2:]))] *= factor

    def gradients(self, X, T, per_example=False):
        gW, gb = orig(self, X, T, per_example)
        off(gW)
        return gW, gb

    def step(self, net, gW, gb):
        off(gW)  # in place: the arrays the step computed, as a wrong weight_gradient would leave them
        return orig_step(self, net, gW, gb)

    return ((network.MLP, "gradients", gradients), (optim.SGD, "step", step))


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


def _hidden(spec):
    return spec.activations[:-1]


def _uses(name):
    """σ' of ``name`` is used: in a hidden layer, or at the output where the cost does not cancel it."""
    return lambda s: name in _hidden(s) or (s.activations[-1] == name and s.cost == "squared_error")


def _deep(s):
    return len(s.sizes) > 2


def _never(self, net, gW, gb):
    """SGD.step that updates nothing."""


def _reversed_train():
    return rewritten(optim.train, "for idx in batches:", "for idx in batches[::-1]:")


MUTATIONS = (
    Mutation(
        "sigmoid σ' = a",
        "the sigmoid's derivative without (1 − a)",
        _prime(SIG, lambda z, a: a.copy()),
        ("value",),
        present=_uses("sigmoid"),
    ),
    Mutation(
        "tanh σ' = 1 − a",
        "tanh's derivative as 1 − a instead of 1 − a²",
        _prime(TANH, lambda z, a: 1.0 - a),
        ("value",),
        present=_uses("tanh"),
    ),
    Mutation(
        "relu σ'(0) = 1",
        "relu's derivative 1 at z = 0 (torch takes 0)",
        _prime(RELU, lambda z, a: (z >= 0).astype(z.dtype)),
        ("value",),
        present=lambda s: "relu" in _hidden(s) and s.zero_rows > 0,
    ),
    Mutation(
        "leaky_relu slope 0.1",
        "leaky_relu's derivative 0.1 for z < 0 instead of 0.01",
        _prime(LEAKY, lambda z, a: np.where(z > 0, 1.0, 0.1).astype(z.dtype)),
        ("value",),
        present=_uses("leaky_relu"),
    ),
    Mutation(
        "softplus σ' = σ(−z)",
        "softplus's derivative taken at −z",
        _prime(activations.Softplus, lambda z, a: activations.SIGMOID.fn(-z)),
        ("value",),
        present=_uses("softplus"),
    ),
    Mutation(
        "identity σ' = 0",
        "the identity's derivative 0",
        _prime(activations.Identity, lambda z, a: np.zeros_like(z)),
        ("value",),
        present=_uses("identity"),
    ),
    Mutation(
        "softmax Jacobian diagonal only",
        "softmax's vjp as a(1 − a) ⊙ g, its Jacobian's diagonal",
        ((activations.Softmax, "vjp", lambda self, z, a, g: a * (1 - a) * g),),
        ("value",),
        present=lambda s: s.activations[-1] == "softmax" and s.cost == "squared_error",
    ),
    Mutation(
        "squared error δ^L sign",
        "∂C/∂a^L = t − a for the squared error",
        ((costs.SquaredError, "grad_a", lambda self, a, t: t - a),),
        ("value",),
        present=lambda s: s.cost == "squared_error",
    ),
    Mutation(
        "binary cross-entropy extra σ'",
        "δ^L = (a − t) σ'(z) for sigmoid + binary cross-entropy",
        ((costs.BinaryCrossEntropy, "linked_delta", lambda self, a, t: (a - t) * a * (1 - a)),),
        ("value",),
        present=lambda s: s.cost == "binary_cross_entropy",
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
        present=lambda s: s.cost == "cross_entropy" and s.targets != "hard",
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
        present=lambda s: s.cost == "squared_error" and s.activations[-1] != "identity",
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
        present=lambda s: s.K > 1,
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
        present=_deep,
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
        present=_deep,
    ),
    Mutation(
        "eq (5) without ⊙ σ'(z^l)",
        "the recurrence without σ'",
        ((backprop, "hidden_delta", lambda dn, Wn, act, z, a: dn @ Wn),),
        ("value",),
        present=lambda s: _deep(s) and set(_hidden(s)) != {"identity"},
    ),
    Mutation(
        "momentum with dampening",
        "v ← μv + (1 − μ)∇C, not torch.optim.SGD's rule",
        ((optim.SGD, "update", _dampened),),
        ("step",),
        present=lambda s: s.optimizer == "momentum",
    ),
    Mutation(
        "learning rate off by 0.1 %",
        "w ← w − 1.001·η∇C",
        ((optim.SGD, "update", lambda self, k, p, g: p.__isub__(self.eta * 1.001 * g)),),
        ("step",),
    ),
    Mutation("bias never updated", "SGD.step updates W^l only", ((optim.SGD, "step", _skip_bias),), ("step",)),
    Mutation(
        "never updates", "SGD.step returns without touching W^l or b^l", ((optim.SGD, "step", _never),), ("step",)
    ),
    Mutation(
        "learning rate off by 1 %",
        "w ← w − 1.01·η∇C",
        ((optim.SGD, "update", lambda self, k, p, g: p.__isub__(self.eta * 1.01 * g)),),
        ("step",),
    ),
    Mutation(
        "train() walks its batches in reverse",
        "train() takes the schedule's index arrays last to first",
        ((optim, "train", _reversed_train()), (manual_bp, "train", _reversed_train())),
        ("path",),
        present=lambda s: s.optimizer == "sgd" and s.batch < s.K and s.steps > 1,
    ),
    Mutation(
        "update into a new array",
        "w = w − η∇C rebinds instead of updating in place",
        ((optim.SGD, "update", _not_in_place),),
        ("step",),
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
        present=lambda s: s.cost == "squared_error",
    ),
    Mutation(
        "cross-entropy C_k summed over the wrong axis",
        "Σ_j t_j z_j taken over the examples, then spread evenly: C_T right, every C_k wrong",
        ((costs.CrossEntropy, "fn", _cross_entropy_wrong_axis),),
        ("value",),
        present=lambda s: s.cost == "cross_entropy" and s.K > 1,
    ),
    Mutation(
        "1e-9 in one entry (float64)",
        "the largest entry of ∂C_T/∂W^L off by a factor 1 + 1e−9",
        _one_entry(1 + 1e-9),
        ("value", "step"),
        "float64",
    ),
    Mutation(
        "1e-5 in one entry (float32)",
        "the largest entry of ∂C_T/∂W^L off by a factor 1 + 1e−5",
        _one_entry(np.float32(1 + 1e-5)),
        ("value", "oracle", "step"),
        "float32",
    ),
    Mutation(
        "train() skips the last batch",
        "train() drops its last index array",
        ((optim, "train", _train_short), (manual_bp, "train", _train_short)),
        ("path",),
        present=lambda s: s.steps > 0,
    ),
)
