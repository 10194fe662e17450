"""The one-line hint: which classic mistake reproduces the user's numbers, else the usual causes.

Each hypothesis rebuilds the failing tensor with one classic mistake from the reference's own
δ, z and a; the first that matches the user's tensor names the mistake.  σ' comes from
manual_bp's activations; the verdict itself rests on torch_ref alone.
"""

from __future__ import annotations

import numpy as np

from comparisons.common.checks import compare
from comparisons.diagnose.compare import TOL, factor_text
from manual_bp.activations import get_activation
from manual_bp.costs import get_cost

GENERIC = {
    "4": "usual causes: σ'(z^L) left out, (t − a) in place of (a − t), or, for a cross-entropy cost, "
    "an extra σ'(z^L) (σ' cancels and δ^L = a^L − t)",
    "5": "usual causes: W^{l+1} not transposed, σ'(z^l) left out or taken at the wrong layer, "
    "or an off-by-one layer index",
    "2": "usual causes: a^l where a^{l−1} belongs, the product in the wrong order (transposed), "
    "or the mean over k where C_T sums",
    "3": "usual causes: the bias gradient not summed over the examples k, or averaged where C_T sums",
    "": "fix the exception first: the traceback below points at the line",
}
FACTOR = {
    "−1": "the sign is flipped: eq (4) starts from ∂C/∂a^L = a^L − t (squared error), and with a cross-entropy "
    "δ^L = a^L − t; not t − a^L",
    "1/K": "averaged over the K examples where the lecture's C_T = Σ_k C_k sums them: use the sum, not the mean",
    "2": "off by a factor 2: C = ½ Σ (t − a)², so ∂C/∂a^L = a^L − t, without a 2",
    "1/2": "off by a factor 1/2: C = ½ Σ (t − a)² already has the ½ cancelled in ∂C/∂a^L = a^L − t",
    "K": "the mean is missing: your loss is averaged over the K examples, so its gradients carry 1/K too",
}
# Where each course divides by the batch size once (a mean missing or taken twice is named there), and which product
# is dW^l in its own orientation.
MEAN_ONCE = {
    "dlfs": "SoftmaxWithLoss.backward's / batch_size",
    "cs231n": "softmax_loss's dx / N",
    "dlai": "linear_backward's 1/m in dW and db; dAL has none",
}
DW_PRODUCT = {
    "lecture": "dW^l = (δ^l)ᵀ a^{l−1}, (n_l, n_{l−1}), with examples as rows: delta[l].T @ a[l - 1]",
    "nielsen": "nabla_w = np.dot(delta, activations[-l-1].transpose()), (n_l, n_{l−1}), the example a column",
    "dlai": "dW = np.dot(dZ, A_prev.T) / m, (n_l, n_{l−1}), with examples as columns",
    "cs231n": "dW = (a^{l−1})ᵀ δ^l, (n_{l−1}, n_l) as the course's W, with examples as rows: X.T.dot(dscores)",
    "dlfs": "dW = (a^{l−1})ᵀ δ^l, (n_{l−1}, n_l) as the book's W, with examples as rows: np.dot(self.x.T, dout)",
}


def mean_where(conv):
    """' (where conv's code divides by the batch size)', or '' for a convention whose C_T sums."""
    return f" ({MEAN_ONCE[conv]})" if conv in MEAN_ONCE else ""


def mean_twice(conv):
    """The hint for a gradient divided by K twice, naming where ``conv``'s code divides once."""
    return (f"the mean is taken twice: the loss already divides by the batch size{mean_where(conv)}, so a second "
            "division makes every gradient 1/K too small — divide once")  # fmt: skip


SIGN_WHERE = {
    "nielsen": " (Nielsen's cost_derivative returns output_activations − y, network2's CrossEntropyCost.delta a − y)",
    "dlfs": " (ゼロから作る's SoftmaxWithLoss.backward returns (y − t) / batch_size)",
}


SHAPE_ERRORS = ("shape", "aligned", "broadcast", "dimension", "size")


# The lecture's shapes in each course's orientation, for a hint about shapes that do not fit.
SHAPES = {
    "lecture": "with the examples as rows δ^l and z^l are (K, n_l), a^{l−1} is (K, n_{l−1}), W^l is (n_l, n_{l−1}), "
    "so eq (5) is δ^{l+1} W^{l+1} ⊙ σ'(z^l) and eq (2) is (δ^l)ᵀ a^{l−1}",
    "nielsen": "with one example as a column δ^l and z^l are (n_l, 1), a^{l−1} is (n_{l−1}, 1), W^l is "
    "(n_l, n_{l−1}), so eq (5) is np.dot(self.weights[-l+1].transpose(), delta) * sp and eq (2) is "
    "np.dot(delta, activations[-l-1].transpose())",
    "dlai": "with the examples as columns dZ^l is (n_l, m), A^{l−1} is (n_{l−1}, m), W^l is (n_l, n_{l−1}), so "
    "eq (5) is np.dot(W.T, dZ) then ⊙ g'(Z) and eq (2) is np.dot(dZ, A_prev.T) / m",
    "cs231n": "with the examples as rows dout is (N, n_l), x is (N, n_{l−1}) and the course's w is (n_{l−1}, n_l), "
    "so eq (5) is dout.dot(w.T) then ⊙ σ' and eq (2) is x.T.dot(dout)",
    "dlfs": "with the examples as rows dout is (N, n_l), x is (N, n_{l−1}) and the book's W is (n_{l−1}, n_l), "
    "so eq (5) is np.dot(dout, self.W.T) then ⊙ σ' and eq (2) is np.dot(self.x.T, dout)",
}
# eq (5)'s W^{l+1} not transposed, written as each course writes the product.
NOT_TRANSPOSED = {
    "lecture": "with examples as rows: delta[{n}] @ W[{n}].T where delta[{n}] @ W[{n}] belongs",
    "nielsen": "np.dot(self.weights[-l+1], delta) where np.dot(self.weights[-l+1].transpose(), delta) belongs",
    "dlai": "np.dot(W, dZ) where np.dot(W.T, dZ) belongs",
    "cs231n": "dout.dot(w) where dout.dot(w.T) belongs, the course's w being (n_{{l−1}}, n_l)",
    "dlfs": "np.dot(dout, self.W) where np.dot(dout, self.W.T) belongs, the book's W being (n_{{l−1}}, n_l)",
}


def crash_hint(finding, raised, ref, conv="lecture"):
    """The hint for an exception: the shapes of the lecture's tensors on this network, when shapes did not fit; the
    layers a dict keyed by l holds, when a layer's key was missing."""
    key = raised.error.split(":", 1)[-1].strip()
    if raised.type == "KeyError" and key.lstrip("-").isdigit():
        return (
            f"no entry for layer {key}: the lecture's dicts are keyed by l = 2 … L = {ref.L} (a[1] is X); a loop "
            "that stops one layer early leaves one out — range(L - 1, 2, -1) never computes δ^2 of eq (5), "
            "range(L - 1, 1, -1) does"
        )
    if raised.type != "ValueError" or not any(w in raised.error for w in SHAPE_ERRORS):
        return GENERIC[""]
    n = [ref.W[2].shape[1]] + [ref.W[l].shape[0] for l in sorted(ref.W)]
    return (
        f"the shapes do not fit: on this network n = {tuple(n)} and K = {ref.K}; {SHAPES.get(conv, SHAPES['lecture'])}"
        "; shapes that fit only when n_l = n_{l+1} mean a W not transposed or a layer index off by one"
    )


def _prime(case, l, ref):
    """σ'(z^l) of layer l's activation, or None where it has none (softmax)."""
    act = get_activation(case.spec.activations[l - 2])
    return act.prime(ref.z[l], ref.a[l]) if act.elementwise else None


def _delta_hypotheses(case, l, ref, conv="lecture"):
    """(mistake, δ^l with that mistake) for eq (4) at l = L or eq (5) at l < L."""
    L, A, T = ref.L, ref.a, ref.T
    if l == L:
        sp = _prime(case, L, ref)
        hyps = [("σ'(z^L) left out of eq (4): δ^L = a^L − t", A[L] - T)]
        if sp is not None:
            hyps.append(("an extra σ'(z^L) in eq (4): with this cost σ' cancels and δ^L = a^L − t", (A[L] - T) * sp))
            G = _before_prime(case, L, ref)  # ∂C/∂a^L, whatever the cost (a − t for the squared error)
            hyps.append(("σ' applied to a^L instead of z^L in eq (4)", G * _prime_at(case, L, A[L])))
        return hyps + _formula_at_z(case, L, ref) + _other_output(case, ref)
    D, Wn, sp = ref.delta[l + 1], ref.W[l + 1], _prime(case, l, ref)
    hyps = [(f"σ'(z^{l}) left out of eq (5): δ^{l} = (W^{l + 1})ᵀ δ^{l + 1} without ⊙ σ'(z^{l})", D @ Wn)]
    if Wn.shape[0] == Wn.shape[1]:
        hyps.append(
            (
                f"W^{l + 1} not transposed in eq (5): W^{l + 1} δ^{l + 1} where (W^{l + 1})ᵀ δ^{l + 1} belongs "
                f"({NOT_TRANSPOSED.get(conv, NOT_TRANSPOSED['lecture']).format(n=l + 1)})",
                (D @ Wn.T) * sp,
            )
        )
        sp_next = _prime(case, l + 1, ref)
        if sp_next is not None:
            hyps.append((f"σ'(z^{l + 1}) where σ'(z^{l}) belongs in eq (5)", (D @ Wn) * sp_next))
    if ref.W[l].shape == Wn.shape:
        hyps.append((f"off-by-one layer index in eq (5): W^{l} where W^{l + 1} belongs", (D @ ref.W[l]) * sp))
    if l + 1 < L and ref.W[L].shape == Wn.shape:
        hyps.append(
            (f"W^L where W^{l + 1} belongs in eq (5): right only when l + 1 = L, i.e. for L = 3", (D @ ref.W[L]) * sp)
        )
    hyps.append((f"σ' applied to a^{l} instead of z^{l} in eq (5)", (D @ Wn) * _prime_at(case, l, A[l])))
    return hyps + _formula_at_z(case, l, ref)


def _other_output(case, ref):
    """A squared error's δ^L as an output layer of another σ computes it: a setting (OUTPUT_ACTIVATION), not a bug."""
    L, now = ref.L, case.spec.activations[-1]
    if case.spec.cost != "squared_error":
        return []  # a cross-entropy fixes the output layer's σ
    hyps = []
    for name in ("identity", "sigmoid", "tanh", "relu", "softplus"):
        if name != now:
            act = get_activation(name)
            with np.errstate(all="ignore"):
                a = act.fn(ref.z[L])
                delta = get_cost(case.spec.cost).grad_a(a, ref.T) * act.prime(ref.z[L], a)  # eq (4) with that σ
            said = f"OUTPUT_ACTIVATION = {name!r} in the file, or --output-activation {name}"
            hyps.append((f"an output layer of {name}, not {now} (a setting, not a mistake: if it is meant, say so with "
                         f"{said})", delta))  # fmt: skip
    return hyps


def _formula_at_z(case, l, ref):
    """σ' written in terms of a (a(1 − a), 1 − a²) but given z: the cache holds Z, not σ(Z)."""
    act, G = get_activation(case.spec.activations[l - 2]), _before_prime(case, l, ref)
    if G is None or not act.elementwise:
        return []
    with np.errstate(all="ignore"):
        H = G * act.prime(ref.z[l], ref.z[l])
    what = f"σ'(z^{l}) written with a^{l} = σ(z^{l}) but given z^{l} (z(1 − z) where a(1 − a) belongs)"
    return [(what + f" in eq ({4 if l == ref.L else 5})", H)]


def _prime_at(case, l, x):
    """σ'(x) for layer l's activation, at any x (for 'σ' at the wrong argument')."""
    act = get_activation(case.spec.activations[l - 2])
    if not act.elementwise:
        return np.full_like(x, np.nan)
    return act.prime(x, act.fn(x))


def _before_prime(case, l, ref):
    """∂C/∂a^l: δ^l before its ⊙ σ'(z^l), (K, n_l); None where σ' is not elementwise."""
    if l == ref.L:
        if not get_activation(case.spec.activations[l - 2]).elementwise:
            return None
        with np.errstate(all="ignore"):
            return get_cost(case.spec.cost).grad_a(ref.a[l], ref.T)
    return ref.delta[l + 1] @ ref.W[l + 1]


def _grad_hypotheses(name, l, case, ref):
    """(mistake, dW^l or db^l with that mistake) for eq (2) or (3)."""
    D, A = ref.delta[l], ref.a
    G = _before_prime(case, l, ref)
    before = f"taken before the ⊙ σ'(z^{l}) of eq ({4 if l == ref.L else 5})"
    if name == "db":
        hyps = [("the bias gradient of the first example only: db^l = δ^l[1] where Σ_k δ^l[k] belongs", D[0])]
        if G is not None:
            hyps.append((f"the bias gradient {before}: Σ_k ∂C/∂a^{l}[k] where Σ_k δ^{l}[k] belongs", G.sum(axis=0)))
        return hyps
    hyps = [(f"a^{l} where a^{l - 1} belongs in eq (2)", D.T @ A[l])]
    if G is not None:
        what = f"the weight gradient {before}: (∂C/∂a^{l})ᵀ a^{l - 1} where (δ^{l})ᵀ a^{l - 1} belongs"
        hyps.append((what, G.T @ A[l - 1]))
    if l > 2:
        hyps.append((f"z^{l - 1} where a^{l - 1} belongs in eq (2)", D.T @ ref.z[l - 1]))
    hyps.append(
        (
            f"the gradient of the first example only: δ^{l}[1] a^{l - 1}[1]ᵀ where Σ_k belongs",
            np.outer(D[0], A[l - 1][0]),
        )
    )
    return hyps


def _matches(m, h, tol=TOL):
    with np.errstate(all="ignore"):
        return (
            m is not None
            and h is not None
            and m.shape == h.shape
            and np.all(np.isfinite(h))
            and compare(m, h, tol).passed
        )


def hint(finding, case, ref, out, session=None, settings=None, called=None):
    """The hint for ``finding`` on ``case``: the mistake that reproduces the numbers, else GENERIC."""
    dW, db, delta = out
    c, l, eq = finding.check, finding.layer, finding.eq
    conv = session.convention.NAME if session is not None else "lecture"
    if c is not None and c.status == "factor":
        key = factor_text(c.factor, ref.K).split(" =")[0]  # "1/K = 1/64" -> "1/K"
        if key == "1/K" and settings is not None and settings.mean:
            return mean_twice(conv)
        if key in FACTOR:
            return FACTOR[key] + SIGN_WHERE.get(conv, "") * (key == "−1") + mean_where(conv) * (key == "K")
    updated = _updated(finding, case, ref, out, session, called)
    if updated:
        return updated
    if c is not None and c.status == "transposed" and finding.tensor == "delta":
        return "δ^l has one row per example k: shape (K, n_l), as X and T"
    if c is not None and c.status == "transposed":
        product = DW_PRODUCT.get(conv, DW_PRODUCT["lecture"])
        return f"the product is taken in the wrong order: ∂C/∂w_ji^l = δ_j^l a_i^{{l−1}}, so {product}"
    if c is not None and c.status == "shape" and finding.tensor == "db" and c.shape == (ref.K,) + ref.db[l].shape:
        return "sum eq (3) over the examples: ∂C_T/∂b^l = Σ_k δ^l[k], i.e. delta[l].sum(axis=0)"
    by_units = c is not None and c.status == "shape" and finding.tensor == "db" and np.prod(c.shape) == ref.K > 1
    if by_units and _matches(db.get(l).reshape(-1), ref.delta[l].sum(axis=1), ref.tol):
        return (
            "summed over the units where eq (3) sums over the examples k: over axis 0 with the examples as rows "
            "(np.sum(dout, axis=0)), over axis 1 with the examples as columns (np.sum(dZ, axis=1, keepdims=True))"
        )
    if c is not None and c.status == "nonfinite":
        return "NaN or inf: look for an exponential that overflows, a division by zero or a log(0) in that quantity"
    if c is not None and c.status == "value" and c.err < 1e-4 and ref.tol is TOL:
        return (
            f"the error is small ({c.err:.1g} relative) but far above float64 rounding: a float32 array or "
            "a low-precision step somewhere in the computation"
        )
    if c is not None and c.status == "missing" and eq == "5":
        return f"δ^{l} is never computed: the recurrence must run l = L − 1, …, 2, e.g. for l in range(L - 1, 1, -1)"
    try:
        if eq in ("4", "5"):
            for what, H in _delta_hypotheses(case, l, ref, conv):
                got = delta.get(l) if delta is not None else None
                if _matches(got, H, ref.tol) or (
                    delta is None
                    and _matches(db.get(l), H.sum(axis=0), ref.tol)
                    and _matches(dW.get(l), H.T @ ref.a[l - 1], ref.tol)
                ):
                    return f"your numbers match {what}"
        elif eq in ("2", "3") and c is not None:
            name = "db" if eq == "3" else "dW"
            for what, H in _grad_hypotheses(name, l, case, ref):
                if _matches((db if name == "db" else dW).get(l), H, ref.tol):
                    return f"your numbers match {what}"
    except (TypeError, ValueError):
        pass
    return GENERIC.get(eq, GENERIC[""])


def _updated(finding, case, ref, out, session, called):
    """The hint for parameters changed inside backprop before eq (5) uses them, where that is what happened."""
    l, post = finding.layer, getattr(called, "post", {})
    if finding.eq != "5" or not l or (l + 1) not in post:
        return ""
    dW, db, delta = out
    sp = _prime(case, l, ref)
    H = (ref.delta[l + 1] @ post[l + 1]) * sp if sp is not None and post[l + 1].shape == ref.W[l + 1].shape else None
    got = delta.get(l) if delta is not None else None
    matched = H is not None and (
        _matches(got, H, ref.tol) or (delta is None and _matches(db.get(l), H.sum(axis=0), ref.tol))
    )
    lead = "your numbers match" if matched else "backprop changes the parameters while it runs:"
    return (
        f"{lead} W^{l + 1} updated inside backprop before the recurrence uses it — eq (5) needs "
        f"the W^{l + 1} of the forward pass: update the parameters after backprop has returned"
    )
