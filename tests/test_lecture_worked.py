"""The lesson's numbers, recomputed here in plain NumPy, without manual_bp, and read back from the report.

The weights come from the documented initialisation (numpy Generator(seed): W^l ~ N(0, 1/n_{l-1}),
then b^l ~ N(0, 0.1²), layer by layer), the images from the project's data set; every number of the
hand computation — the weights it prints, the forward pass of image 1, δ, the 微分地獄 terms, the
contribution of every image, the sum over k and the update of w_11^2 — is derived here line by line
and compared with what the report prints: the 4-digit numbers of the lesson must be the true values
correctly rounded, the appendix's full-precision ones must agree to rounding.
"""

import math
import re

import numpy as np
import pytest

from comparisons import cli
from comparisons.lecture import data as lecture_data
from comparisons.lecture import enumeration_cost as paths_cost

FULL_RTOL = 1e-13  # 15 significant digits, and sums over 64 images in another order
ETA = 0.2


def independent(seed=0, k=1):
    """Every number of the worked example for image k, the 微分地獄 totals and the update, from scratch."""
    rng = np.random.default_rng(seed)
    W, b = {}, {}
    for l, (n, m) in zip((2, 3), ((3, 12), (2, 3))):
        W[l] = rng.standard_normal((n, m)) / np.sqrt(m)
        b[l] = 0.1 * rng.standard_normal(n)
    X, T, _ = lecture_data.dataset()
    sig = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731  (|z| < 5 here)
    z2 = X @ W[2].T + b[2]  # (64, 3)
    a2 = sig(z2)
    z3 = a2 @ W[3].T + b[3]  # (64, 2)
    a3 = sig(z3)
    sp2, sp3 = a2 * (1 - a2), a3 * (1 - a3)
    d3 = (a3 - T) * sp3
    d2 = (d3 @ W[3]) * sp2
    x1 = X[:, 0]
    term1 = (a3[:, 0] - T[:, 0]) * sp3[:, 0] * W[3][0, 0] * sp2[:, 0] * x1
    term2_printed = (a3[:, 1] - T[:, 1]) * sp3[:, 1] * W[3][0, 0] * sp2[:, 0] * x1
    term2 = (a3[:, 1] - T[:, 1]) * sp3[:, 1] * W[3][1, 0] * sp2[:, 0] * x1
    i = k - 1
    total = np.sum(d2[:, 0] * x1)
    return {
        **{f"w2_{j}_{c}": W[2][j - 1, c - 1] for j in (1, 2, 3) for c in range(1, 13)},
        **{f"b2_{j}": b[2][j - 1] for j in (1, 2, 3)},
        **{f"w3_{j}_{c}": W[3][j - 1, c - 1] for j in (1, 2) for c in (1, 2, 3)},
        **{f"z2_{j}": z2[i, j - 1] for j in (1, 2, 3)},
        **{f"a2_{j}": a2[i, j - 1] for j in (1, 2, 3)},
        **{f"z3_{j}": z3[i, j - 1] for j in (1, 2)},
        **{f"a3_{j}": a3[i, j - 1] for j in (1, 2)},
        **{f"d3_{j}": d3[i, j - 1] for j in (1, 2)},
        **{f"d2_{j}": d2[i, j - 1] for j in (1, 2, 3)},
        **{f"contribution_{kk + 1}": d2[kk, 0] for kk in np.flatnonzero(x1)},
        "C": 0.5 * np.sum((T[i] - a3[i]) ** 2),
        "dCk": d2[i, 0] * x1[i],
        "factored": (d3[i, 0] * W[3][0, 0] + d3[i, 1] * W[3][1, 0]) * sp2[i, 0] * x1[i],
        "total": total,
        "w11_new": W[2][0, 0] - ETA * total,
        "sum term 1": term1.sum(),
        "sum term 2 printed": term2_printed.sum(),
        "sum term 2 corrected": term2.sum(),
        "total printed": (term1 + term2_printed).sum(),
        "dC1": d2[0, 0] * x1[0],
        "full total": total,
        "full w11_new": W[2][0, 0] - ETA * total,
        "full sum term 1": term1.sum(),
        "full total printed": (term1 + term2_printed).sum(),
        "full dC1": d2[0, 0] * x1[0],
    }


NUM = r"(−?-?\d+(?:\.\d+)?(?:e[+-]?\d+)?)"


def number(s):
    return float(s.replace("−", "-"))


def section(md, head, end):
    return md[md.index(head) : md.index(end)]


def printed(md):
    """The same numbers as the report prints them: sections 3, 4 and 6 to 4 digits, the appendix in full."""
    three, four = section(md, "## 3.", "## 4."), section(md, "## 4.", "## 5.")
    six, app = section(md, "## 6.", "## 7."), md[md.index("## Appendix A") :]
    out = {}
    for j, layer, cells in re.findall(r"^\| w_(\d)i\^([23]) \| (.*) \|$", three, flags=re.M):
        vals = [number(c) for c in cells.split(" | ")]
        for c, v in enumerate(vals[:-1], 1):
            out[f"w{layer}_{j}_{c}"] = v
        if layer == "2":
            out[f"b2_{j}"] = vals[-1]
    for j, v in re.findall(rf"^z_(\d)\^2 = .*\n      = .* = {NUM}$", three, flags=re.M):
        out[f"z2_{j}"] = number(v)
    for layer in (2, 3):
        for j, v in re.findall(rf"^a_(\d)\^{layer} = σ\(.*\) = {NUM}$", three, flags=re.M):
            out[f"a{layer}_{j}"] = number(v)
        for j, v in re.findall(rf"^δ_(\d)\^{layer} = .* = {NUM}$", six, flags=re.M):
            out[f"d{layer}_{j}"] = number(v)
    for j, v in re.findall(rf"^z_(\d)\^3 = .* = {NUM}$", three, flags=re.M):
        out[f"z3_{j}"] = number(v)
    out["C"] = number(re.search(rf"^C_1 = ½ \{{.*\}} = {NUM}$", three, flags=re.M).group(1))
    out["dCk"] = number(re.search(rf"^δ_1\^2 x_1 = {NUM} × 1 = {NUM}$", six, flags=re.M).group(2))
    out["factored"] = number(re.search(rf"^\(δ_1\^3 w_11\^3 .* = {NUM}$", six, flags=re.M).group(1))
    for kk, v in re.findall(rf"k=\s*(\d+):\s+{NUM}", six):
        out[f"contribution_{kk}"] = number(v)
    out["total"] = number(re.search(rf"^Σ_k δ_1\^2\[k\] x_1\[k\] = ∂C_T/∂w_11\^2 = {NUM}$", six, flags=re.M).group(1))
    out["w11_new"] = number(re.search(rf"^w_11\^2 ← .* = {NUM}$", six, flags=re.M).group(1))
    sums = re.search(rf"^\| Σ over the 64 images \| {NUM} \| {NUM} \| {NUM} \|$", four, flags=re.M)
    out["sum term 1"], out["sum term 2 printed"], out["sum term 2 corrected"] = map(number, sums.groups())
    out["total printed"] = number(re.search(rf"the printed formula gives ∂C_T/∂w_11\^2 = {NUM},", four).group(1))
    out["dC1"] = number(re.search(rf"∂C_1/∂w_11\^2 = {NUM} \(image 1", four).group(1))
    check = re.search(rf"Σ_k δ_1\^2\[k\] x_1\[k\] = {NUM} and the updated w_11\^2 = {NUM} equal", app)
    out["full total"], out["full w11_new"] = number(check.group(1)), number(check.group(2))
    out["full sum term 1"] = number(re.search(rf"^\| Σ_k term 1 \| {NUM} \|", app, flags=re.M).group(1))
    out["full total printed"] = number(re.search(rf"^\| total, as printed \| {NUM} \|", app, flags=re.M).group(1))
    out["full dC1"] = number(re.search(rf"update vector, ∂C_1/∂w_11\^2 = {NUM};", app).group(1))
    return out


def rounded_right(p, v, digits=4):
    """``p`` is ``v`` correctly rounded to ``digits`` significant digits."""
    if v == 0:
        return p == 0
    half = 0.5 * 10 ** (math.floor(math.log10(abs(v))) - digits + 1)
    return abs(p - v) <= half * (1 + 1e-9)


def mismatches(md, expected):
    """The names whose printed value is missing or not the expected one at its printed precision."""
    got = printed(md)
    bad = []
    for name, v in expected.items():
        if name not in got:
            bad.append(name)
        elif name.startswith("full "):
            if not np.isclose(got[name], v, rtol=FULL_RTOL, atol=1e-15):
                bad.append(name)
        elif not rounded_right(got[name], v):
            bad.append(name)
    return bad


@pytest.fixture(scope="module")
def md(tmp_path_factory):
    out = tmp_path_factory.mktemp("worked")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(paths_cost, "DEPTHS", range(1, 2))
        mp.setattr(paths_cost, "WIDTHS", (2,))
        assert cli.main(["lecture", "--out", str(out), "--steps", "2", "--lang", "en", "--eta", str(ETA)]) == 0
    return (out / "lecture.md").read_text(encoding="utf-8")


def test_every_number_of_the_worked_example_matches_an_independent_computation(md):
    expected = independent()
    assert len(expected) == (3 * 12 + 3 + 6) + 15 + 32 + 10 + 5  # weights, forward and δ, Σ_k terms, the rest
    assert mismatches(md, expected) == []
    assert expected["dC1"] != 0  # the slip is shown on an image whose ∂C_1/∂w_11^2 is not 0
    assert np.isclose(expected["factored"], expected["dCk"], rtol=1e-14)  # the chain rule = the recurrence


def test_the_comparison_catches_a_wrong_number_in_the_report(md):
    expected = independent()
    d21 = re.search(rf"^δ_1\^2 = .* = {NUM}$", md, flags=re.M).group(1)
    wrong = f"{number(d21) * 1.001:#.4g}"
    assert mismatches(md.replace(f"= {d21}\n", f"= {wrong}\n", 1), expected) == ["d2_1"]
    assert "total" in mismatches(md, {**expected, "total": expected["total"] * 1.001})
    assert "full total" in mismatches(md, {**expected, "full total": expected["full total"] * (1 + 1e-6)})
    # a report that had kept the printed second term as the corrected one would be caught too
    assert mismatches(md, {**expected, "sum term 2 corrected": expected["sum term 2 printed"]})
    # and an update with the sign of η wrong
    assert mismatches(md, {**expected, "w11_new": expected["w11_new"] + 2 * ETA * expected["total"]}) == ["w11_new"]


def test_a_pocket_calculator_reproduces_the_update_from_the_printed_digits(md):
    """From the 4-digit numbers the report prints, by hand: the sum over k and the update agree to 3 digits."""
    got = printed(md)
    total = sum(v for name, v in got.items() if name.startswith("contribution_"))
    assert abs(total - got["total"]) <= 5e-3 * abs(got["total"])
    assert abs((got["w2_1_1"] - ETA * got["total"]) - got["w11_new"]) <= 5e-4
    z = sum(got[f"w2_1_{i}"] for i in (1, 2, 3, 4, 6, 7, 9, 10, 11, 12)) + got["b2_1"]  # image 1's black pixels
    assert abs(z - got["z2_1"]) <= 1e-3


def test_the_training_and_speed_numbers_of_the_lesson_match_a_plain_computation():
    """Section 7's jumps of C_T and δ's shrinking, section 8's operation counts, recomputed here."""
    from comparisons.lecture import dynamics
    from comparisons.lecture.training import lecture_net, run

    rng = np.random.default_rng(0)
    W, b = {}, {}
    for l, (n, m) in zip((2, 3), ((3, 12), (2, 3))):
        W[l] = rng.standard_normal((n, m)) / np.sqrt(m)
        b[l] = 0.1 * rng.standard_normal(n)
    X, T, digits = lecture_data.dataset()
    sig = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731  (|z| < 10 here)
    history = []
    for step in range(61):
        a2 = sig(X @ W[2].T + b[2])
        a3 = sig(a2 @ W[3].T + b[3])
        history.append(0.5 * np.sum((T - a3) ** 2))
        d3 = (a3 - T) * a3 * (1 - a3)
        d2 = (d3 @ W[3]) * a2 * (1 - a2)
        if step == 0:
            shrink = np.abs(d2).mean() / np.abs(d3).mean()
        W[3], b[3] = W[3] - ETA * d3.T @ a2, b[3] - ETA * d3.sum(0)
        W[2], b[2] = W[2] - ETA * d2.T @ X, b[2] - ETA * d2.sum(0)
    up = [n for n in range(1, 61) if history[n] > history[n - 1]]
    worst = max(up, key=lambda n: history[n] / history[n - 1])
    held = lecture_data.held_out_images()
    r = dynamics.rises(run(0, ETA, 60, X, T, digits, (held.X, held.digits)).costs["C_T_manual_bp"])
    assert (r.count, r.first, r.last, r.worst_step) == (len(up), up[0], up[-1], worst) and r.count > 0
    assert np.isclose(r.worst_ratio, history[worst] / history[worst - 1], rtol=1e-9)
    s0 = dynamics.saturation(lecture_net(0), X, T)
    assert np.isclose(s0.mean_abs_delta[2] / s0.mean_abs_delta[3], shrink, rtol=1e-12) and shrink < 1
    g = dynamics.gradient_cost([12, 3, 2])
    forward = 12 * 3 + 3 * 2
    assert (g.params, g.forward, g.finite_differences) == (47, forward, 2 * 47 * forward)
    assert g.backprop == forward + 2 + (2 * 3 + 3) + (3 * 12 + 2 * 3)  # + (4), (5), (2)
