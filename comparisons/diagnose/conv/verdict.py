"""A student's conv and pooling layers against autograd: the first equation that fails, at which layer, with a hint."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from comparisons.common.checks import compare
from comparisons.common.tolerances import GRAD_F64
from comparisons.diagnose.compare import nonfinite_text
from comparisons.diagnose.verdict import NO_RESULT_HINTS

# What each returned array is, in the lecture's notation extended to feature maps, checked in this order:
# a wrong forward pass makes every gradient's inputs wrong, so it is named first.
EQUATIONS = {
    "out": ("the forward pass", "z^F_{ij} = Σ_{c,u,v} w^F_{c,uv} ã_{c,si+u,sj+v} + b^F"),
    "db": ("the bias gradient", "∂C/∂b^F = Σ_{i,j} δ^F_{ij}"),
    "dw": ("the weight gradient", "∂C/∂w^F_{c,uv} = Σ_{i,j} δ^F_{ij} ã_{c,si+u,sj+v}"),
    "dx": ("the conv δ (input gradient)", "∂C/∂a_{c,mn} = Σ_F Σ_{u,v} δ̂^F_{m+u,n+v} w^F_{c,k−1−u,k−1−v}: a full "
           "correlation of δ (dilated by the stride) with the flipped kernel, then eq (5') δ^{l−1} = ∂C/∂a ⊙ σ'"),
    "pool": ("the pooling routing", "∂C/∂a_{mn} = Σ_{i,j} δ_{ij} [(m, n) is the first maximum of window (i, j)]"),
}  # fmt: skip
HINTS = {
    "db": "Sum δ over the examples and every position (i, j) of the map: the bias is shared by all of them.",
    "dw": "Each w^F_{c,uv} is used at every output position: sum δ^F_{ij} × the input it multiplied there, "
    "ã_{c, s·i+u, s·j+v} — with the stride s, and without flipping (a correlation, as the forward pass).",
    "dx": "Every output unit sends δ back to the inputs its window read, times the weight it used there: no "
    "extra flip in that scatter form (the flip appears only when it is written as a full correlation), the "
    "stride's step between windows, and the padding's border cut off at the end (dx_pad[:, :, p:p + H, p:p + W]; "
    "p:-p keeps nothing when p = 0).",
    "pool": "δ of a window goes to the unit that was its maximum only (the first one, where several tie: "
    "sending it to every tied unit multiplies the gradient by their number); the others get 0.",
    "out": "Check the forward pass first: stride, padding and the sum over the input channels.",
}


@dataclass
class Finding:
    """One array of one layer of one case: compared, agreed or not."""

    case: str
    layer: str
    key: str
    passed: bool
    detail: str


@dataclass
class Verdict:
    """What the user reads: a header, the first failing equation and layer, and every finding."""

    header: str
    findings: list = field(default_factory=list)
    error: str = ""  # a crash inside the user's code, or the layer that gave no result
    no_result: bool = False  # nothing came back (a hang, the process ended, memory): NO RESULT, exit 2
    reason: str = ""  # why nothing came back: isolation.NoResult's reason (timeout, memory, exit, …)
    notes: list = field(default_factory=list)  # notebook cells that raised
    trace: list = field(default_factory=list)  # the user's traceback of a no result (memory, sys.exit, recursion)
    output: str = ""  # what the user's code printed, trimmed and fenced

    @property
    def failed(self):
        return [f for f in self.findings if not f.passed]

    @property
    def exit_code(self):
        """As for dense code: 1 once an array is wrong (whatever came after it), else 2 for no result, 1 for an
        exception in the user's layer, 0."""
        return 1 if self.failed else 2 if self.no_result else 1 if self.error else 0

    def first(self):
        """(equation name, formula, layer label) of the first failure, or None."""
        f = self.failed[0] if self.failed else None
        return None if f is None else (*EQUATIONS[f.key], f.layer)

    @property
    def headline(self):
        """The verdict's own line: PASS, FAIL or NO RESULT (a wrong array first, as for dense code)."""
        if self.failed:
            f = self.failed[0]
            return f"FAIL: {EQUATIONS[f.key][0]} of the {f.layer} ({f.case}): {f.detail}"
        if self.no_result:
            return f"NO RESULT: {self.error}"
        if self.error:
            return f"FAIL: {self.error}"
        return f"PASS: every compared array ({len(self.findings)}) agrees with PyTorch autograd on every layer and case"

    def text(self):
        lines = [self.headline]
        if self.failed:
            f = self.failed[0]
            lines += [f"  equation: {EQUATIONS[f.key][1]}", f"  hint: {HINTS[f.key]}"]
            if self.no_result:  # what stopped the run after the wrong array: the checks below are the ones made
                lines.append(f"then {self.error}; the rest were not run")
            elif self.error:
                lines.append(f"also, {self.error}")
            lines.append("every check:")
            lines += [f"  {'ok  ' if x.passed else 'FAIL'} {x.case}: {x.layer}: {x.detail}" for x in self.findings]
        elif self.error and not self.no_result and self.findings:  # the other kind of layer was still judged
            lines.append("every check of your other layers:")
            lines += [f"  {'ok  ' if x.passed else 'FAIL'} {x.case}: {x.layer}: {x.detail}" for x in self.findings]
        elif self.no_result:
            lines += [f"hint: {NO_RESULT_HINTS[self.reason]}"] if self.reason in NO_RESULT_HINTS else []
            lines += [f"  {ln}" for ln in self.trace]
        return "\n".join(lines + self.notes + ([self.output] if self.output else []))


def judge(case, layer, got):
    """Findings for one layer: each array the user returned against autograd's, in EQUATIONS' order."""
    out = []
    keys = ["out", "db", "dw", "dx"] if layer.kind == "conv" else ["out", "dx"]
    for key in keys:
        ref = layer.expect[key]
        if key not in got:
            continue  # no forward function of the student's (CS231n's cache was built instead): no out to judge
        mine = got[key]
        name = "pool" if layer.kind == "pool" and key == "dx" else key
        arr = np.asarray(mine, dtype=np.float64) if isinstance(mine, (np.ndarray, list, float, int)) else None
        if arr is None:
            out.append(Finding(case.name, layer.label, name, False, f"{key} is missing or not numbers ({mine!r:.40})"))
            continue
        res = compare(arr, ref, GRAD_F64)
        if arr.shape != ref.shape:
            detail = f"{key} has shape {arr.shape}, autograd's {ref.shape}"
        elif not np.isfinite(arr).all():
            detail = f"{key} contains {nonfinite_text(arr)}"
        else:
            scale = max(float(np.abs(ref).max(initial=0.0)), 1e-300)
            rel = res.max_abs_err / scale
            detail = f"{key}: max|yours − autograd's| = {res.max_abs_err:.3g} ({rel:.2g} of max|autograd's|)"
            if name == "pool" and not res.passed:
                detail += tie_note(layer, arr)
        out.append(Finding(case.name, layer.label, name, res.passed, detail))
    return out


def tie_note(layer, dx):
    """Say so when the difference is confined to windows whose maximum is shared."""
    x, q, s, _ = layer.args
    ref = layer.expect["dx"]
    diff = ~np.isclose(dx, ref, rtol=1e-10, atol=1e-12)
    tied = np.zeros_like(diff)
    Ho, Wo = layer.expect["out"].shape[2:]
    for i in range(Ho):
        for j in range(Wo):
            win = x[:, :, s * i : s * i + q, s * j : s * j + q]
            many = (win == win.max(axis=(2, 3), keepdims=True)).sum(axis=(2, 3)) > 1  # (K, C)
            tied[:, :, s * i : s * i + q, s * j : s * j + q] |= many[:, :, None, None]
    if diff.any() and not (diff & ~tied).any():
        return "; only in windows whose maximum is shared by several units (torch sends δ to the first only)"
    return ""
