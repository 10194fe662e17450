"""σ, the cost and the loss's reduction of the user's code: from the flags, the file, or what the class computes.

Priority: --activation / --output-activation / --cost, then the file's ACTIVATION /
OUTPUT_ACTIVATION / COST, then detection (a class's forward pass and cost run once on a small
network and matched against each candidate), then the convention's default.  The output layer's σ
is ACTIVATION's unless a cross-entropy fixes it (sigmoid, softmax) or OUTPUT_ACTIVATION says
otherwise (a linear output under a tanh layer: "identity").  Detection only chooses what the
reference computes; the verdict still rests on the gradients alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from comparisons.common.errors import UsageError
from comparisons.diagnose.cases import check_settings
from manual_bp import COSTS, MLP
from manual_bp.activations import ACTIVATIONS

HIDDEN = [a for a in ACTIVATIONS if a != "softmax"]
MATCH = 1e-6  # relative: the user's forward pass against a candidate's (both float64, same formula up to rounding)
LOSS_MATCH = 1e-4  # relative: a loss computed as log(y + 1e-7), as ゼロから作る's cross_entropy_error, still matches
PROBE_SIZES = (5, 4, 3)
PROBE_K = 4


@dataclass
class Settings:
    """What the reference computes, and how the user's numbers are brought to C_T = Σ_k C_k."""

    activation: str
    cost: str
    mean: bool = False  # the user's loss is the mean over the batch: gradients × K
    output: str = None  # σ of the output layer where it differs from ``activation`` (found by detection)
    found: list = field(default_factory=list)  # how each was decided, when not by flag or default
    n_out: int = 0  # output units every network must have, where the user's code runs with no other (dlai's 1)

    def scale(self, K):
        """The factor that turns the user's gradient into ∂C_T/∂θ."""
        return float(K) if self.mean else 1.0

    def text(self):
        """'activation relu, cost cross_entropy' and how they were found."""
        how = f"; {', '.join(self.found)}" if self.found else ""
        out = f" (output {self.output})" if self.output else ""
        return f"activation {self.activation}{out}, cost {self.cost}{how}"


def _probe_problem(depth, n_out=0):
    sizes = PROBE_SIZES if depth in (0, 3) else (5,) + (4,) * (depth - 2) + (3,)
    sizes = sizes[:-1] + (n_out,) if n_out else sizes  # a convention whose code has n_L fixed (dlai: 1)
    rng = np.random.default_rng(12345)
    W = {l: rng.standard_normal((sizes[l - 1], sizes[l - 2])) for l in range(2, len(sizes) + 1)}
    b = {l: 0.5 * rng.standard_normal(sizes[l - 1]) for l in range(2, len(sizes) + 1)}
    X = rng.standard_normal((PROBE_K, sizes[0]))
    T = np.eye(sizes[-1])[rng.integers(0, sizes[-1], size=PROBE_K)]
    return W, b, X, T


def _close(m, r, rtol):
    try:
        m = np.asarray(m, dtype=np.float64).reshape(np.shape(r))
    except (TypeError, ValueError):
        return False
    return bool(np.all(np.isfinite(m)) and np.allclose(m, r, rtol=rtol, atol=rtol * max(1.0, np.abs(r).max())))


def _forward(W, b, X, acts):
    fwd = MLP(W, b, acts, "squared_error").forward(X)
    return fwd.z, fwd.a


def _detect_activation(forward, W, b, X):
    """The hidden σ whose forward pass reproduces the user's output, or None."""
    L = max(W)
    for h in HIDDEN:
        for out in ("same", "sigmoid", "identity", "softmax"):
            o = h if out == "same" else out
            z, a = _forward(W, b, X, [h] * (L - 2) + [o])
            if _close(forward, a[L], MATCH):
                return h, o
    return None, None


def resolve(session, activation=None, cost=None, output=None):
    """The Settings for ``session``; UsageError naming where a bad value came from (``output``: the output layer's σ
    where it differs from ``activation``)."""
    loaded, conv = session.loaded, session.convention
    shown = session.target.shown
    found = []
    chosen = {}
    for key, flag in (("ACTIVATION", activation), ("COST", cost), ("OUTPUT_ACTIVATION", output)):
        const = loaded.constants.get(key)
        if const is not None and not isinstance(const, str):
            raise UsageError(f"{shown}: {key} must be a string, got {const!r}")
        if flag is not None:
            chosen[key] = (flag, f"--{key.lower().replace('_', '-')} {flag}")
        elif const:
            chosen[key] = (const, f"{shown} sets {key}")
        else:
            chosen[key] = (None, "")
    mean, detected = conv.MEAN, {}
    if conv.NAME != "lecture" and (chosen["ACTIVATION"][0] is None or chosen["COST"][0] is None or mean):
        detected, mean_found, how = _detect(session)
        for key in ("ACTIVATION", "COST"):
            if chosen[key][0] is None and detected.get(key):
                chosen[key] = (detected[key], "")
        found += how
        mean = mean_found if mean_found is not None else mean
    output = detected.get("OUTPUT") if conv.NAME != "lecture" and chosen["ACTIVATION"][1] == "" else None
    for key, default in (("ACTIVATION", conv.DEFAULT_ACTIVATION), ("COST", conv.DEFAULT_COST)):
        if chosen[key][0] is None:
            chosen[key] = (default, "")
    (act, act_from), (cst, cost_from) = chosen["ACTIVATION"], chosen["COST"]
    for where, pair in (
        (act_from, (act, "squared_error")),
        (cost_from, ("sigmoid", cst)),
        (" and ".join(w for w in (act_from, cost_from) if w), (act, cst)),
    ):
        try:
            check_settings(*pair)
        except UsageError as e:
            raise UsageError(f"{where}: {e}" if where else str(e)) from None
    if output is not None and cst != "squared_error":
        output = None  # a cross-entropy fixes the output layer's σ itself
    n_out = detected.get("N_OUT", 0)
    said, said_from = chosen["OUTPUT_ACTIVATION"]
    if said is not None:
        output = check_output(act, cst, said, said_from)
    return Settings(act, cst, mean, output, found, n_out)


def check_output(activation, cost, output, where):
    """``output`` as the output layer's σ under ``activation`` and ``cost`` (None: ``activation`` itself); UsageError
    naming ``where`` otherwise."""
    link = COSTS[cost].link if cost in COSTS else None
    if link and output != link:
        raise UsageError(f"{where}: cost {cost} fixes the output layer's σ at {link}")
    try:
        check_settings(activation, cost, output)
    except UsageError as e:
        raise UsageError(f"{where}: {e}") from None
    return None if output == activation else output


def _detect(session):
    """({'ACTIVATION': …, 'COST': …}, mean or None, how) from one probe of the user's class."""
    loaded, name = session.loaded, session.loaded.name
    W, b, X, T = _probe_problem(loaded.depth)
    L = max(W)
    got = session.probe(W, b, X, T)
    out, how, mean = {}, [], None
    fixed = getattr(session.convention, "OUTPUTS", 0)  # the output width the course's own code asserts
    if got.get("error") and fixed:
        W1, b1, X1, T1 = _probe_problem(loaded.depth, fixed)
        again = session.probe(W1, b1, X1, T1)
        if not again.get("error"):  # it runs with that many outputs only: every network has them
            (W, b, X, T), got, out["N_OUT"] = (W1, b1, X1, T1), again, fixed
            how.append(f"n_L = {fixed}: L_model_forward runs with {fixed} output unit only (the course asserts it)")
    if got.get("error"):
        why = f"could not run {name} to detect them, so the convention's defaults where nothing else says"
        return out, None, [f"{why}: {got['error']}"]
    forward = got.get("forward")
    if isinstance(forward, list):  # Nielsen: one column per example
        try:
            forward = np.hstack([np.asarray(f, dtype=np.float64).reshape(-1, 1) for f in forward]).T
        except (TypeError, ValueError):
            forward = None
    if forward is not None:
        h, o = _detect_activation(forward, W, b, X)
        if h:
            out["ACTIVATION"] = h
            # ゼロから作る's predict gives the scores z^L (softmax is in the loss): only Nielsen's output σ is his own
            out["OUTPUT"] = o if o != h and session.convention.NAME == "nielsen" else None
            method = {"nielsen": "feedforward", "dlfs": "predict", "cs231n": "loss(X)"}.get(
                session.convention.NAME, "L_model_forward"
            )
            src = method if session.convention.NAME == "dlai" else f"{name}.{method}"
            how.append(f"σ = {h}{f' and {o} at the output' if out['OUTPUT'] else ''} found from {src}")
    if "cost_fn" in got:
        cost = _nielsen_cost(got, T)
        if cost:
            out["COST"] = cost
            how.append(f"the cost from {name}.cost = {got.get('cost_name')}")
    if "loss" in got and session.convention.DEFAULT_COST == "cross_entropy":
        h = out.get("ACTIVATION") or session.convention.DEFAULT_ACTIVATION
        z, a = _forward(W, b, X, [h] * (L - 2) + ["softmax"])
        per_example = np.logaddexp.reduce(z[L], axis=1) - np.sum(T * z[L], axis=1)  # C_k, cross-entropy
        if _close(got["loss"], per_example.mean(), LOSS_MATCH):
            mean = True
            how.append(f"{name}.loss is the mean over the batch, so its gradients are multiplied by K")
        elif _close(got["loss"], per_example.sum(), LOSS_MATCH):
            mean = False
            how.append(f"{name}.loss is the sum over the batch, as C_T")
    if mean is None and session.convention.MEAN:
        how.append("the loss taken as the mean over the batch, as the course has it, so gradients × K")
    return out, mean, how


def _nielsen_cost(got, T):
    """The cost whose C_x matches network2's cost.fn(a, y) at the probe's a and y, else the class's name's."""
    A = np.asarray(got["cost_at"], dtype=np.float64)  # (K, n_L)
    values = got["cost_fn"]
    candidates = {
        "squared_error": 0.5 * np.sum((T - A) ** 2, axis=1),
        "binary_cross_entropy": -np.sum(T * np.log(A) + (1 - T) * np.log(1 - A), axis=1),
    }
    for cost, want in candidates.items():
        if _close(values, want, MATCH):
            return cost
    name = str(got.get("cost_name", "")).lower()
    if "crossentropy" in name.replace("_", ""):
        return "binary_cross_entropy"
    if "quadratic" in name:
        return "squared_error"
    return None


__all__ = ["Settings", "resolve"]
