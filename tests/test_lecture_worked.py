"""The report's worked example and 微分地獄 numbers, recomputed here in plain NumPy, without manual_bp.

The weights come from the documented initialisation (numpy Generator(seed): W^l ~ N(0, 1/n_{l-1}),
then b^l ~ N(0, 0.1²), layer by layer), the images from the project's data set; every number
of the hand computation is then derived here line by line and compared with what the report prints.
"""

import re

import numpy as np
import pytest

from comparisons import cli
from comparisons.lecture import data as lecture_data
from comparisons.lecture import enumeration_cost as paths_cost

HAND_RTOL = 1e-9  # the worked example prints 10 significant digits: a relative rounding of ≤ 5e-10
FULL_RTOL = 1e-13  # 15 significant digits, and sums over 64 images in another order


def independent(seed=0, k=1):
    """Every number of the worked example for image k and the 微分地獄 totals, from scratch."""
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
    return {
        **{f"z2_{j}": z2[i, j - 1] for j in (1, 2, 3)},
        **{f"a2_{j}": a2[i, j - 1] for j in (1, 2, 3)},
        **{f"z3_{j}": z3[i, j - 1] for j in (1, 2)},
        **{f"a3_{j}": a3[i, j - 1] for j in (1, 2)},
        **{f"d3_{j}": d3[i, j - 1] for j in (1, 2)},
        **{f"d2_{j}": d2[i, j - 1] for j in (1, 2, 3)},
        "C": 0.5 * np.sum((T[i] - a3[i]) ** 2),
        "dCk": d2[i, 0] * x1[i],
        "factored": (d3[i, 0] * W[3][0, 0] + d3[i, 1] * W[3][1, 0]) * sp2[i, 0] * x1[i],
        "total": np.sum(d2[:, 0] * x1),
        "sum term 1": term1.sum(),
        "sum term 2 printed": term2_printed.sum(),
        "sum term 2 corrected": term2.sum(),
        "total printed": (term1 + term2_printed).sum(),
        "dC1": d2[0, 0] * x1[0],
    }


NUM = r"(-?\d+(?:\.\d+)?(?:e[+-]?\d+)?)"


def printed(md):
    """The same numbers as the report prints them (section 5, then section 3's totals and slip)."""
    five = md[md.index("## 5. One image by hand") : md.index("## 6.")]
    out = {}
    for layer, j, z, a in re.findall(rf"^\| ([23]) \| (\d) \| {NUM} \| {NUM} \|", five, flags=re.M):
        out[f"z{layer}_{j}"], out[f"a{layer}_{j}"] = float(z), float(a)
    for layer in (3, 2):
        for j, v in re.findall(rf"^- δ_(\d)\^{layer} = .* = {NUM}$", five, flags=re.M):
            out[f"d{layer}_{j}"] = float(v)
    out["C"] = float(re.search(rf"C_1 = ½ Σ_j \(t_j − a_j\^3\)² = {NUM}\.", five).group(1))
    out["dCk"] = float(re.search(rf"^δ_1\^2 x_1 = {NUM} × 1 = {NUM}$", five, flags=re.M).group(2))
    out["factored"] = float(re.search(rf"^\(δ_1\^3 w_11\^3 .* = {NUM}$", five, flags=re.M).group(1))
    out["total"] = float(re.search(rf"gives ∂C_T/∂w_11\^2 = {NUM},", five).group(1))
    sums = re.search(rf"^\| Σ over the 64 images \| {NUM} \| {NUM} \| {NUM} \|$", md, flags=re.M)
    out["sum term 1"], out["sum term 2 printed"], out["sum term 2 corrected"] = map(float, sums.groups())
    out["total printed"] = float(re.search(rf"^\| total, as printed \| {NUM} \|", md, flags=re.M).group(1))
    out["dC1"] = float(re.search(rf"∂C_1/∂w_11\^2 = {NUM} \(image 1", md).group(1))
    return out


def mismatches(md, expected):
    """The names whose printed value is missing or differs from ``expected`` beyond its printed precision."""
    got = printed(md)
    full = {"total", "sum term 1", "sum term 2 printed", "sum term 2 corrected", "total printed", "dC1"}
    bad = []
    for name, v in expected.items():
        rtol = FULL_RTOL if name in full else HAND_RTOL
        if name not in got or not np.isclose(got[name], v, rtol=rtol, atol=1e-15):
            bad.append(name)
    return bad


@pytest.fixture(scope="module")
def md(tmp_path_factory):
    out = tmp_path_factory.mktemp("worked")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(paths_cost, "DEPTHS", range(1, 2))
        mp.setattr(paths_cost, "WIDTHS", (2,))
        assert cli.main(["lecture", "--out", str(out), "--steps", "2", "--lang", "en"]) == 0
    return (out / "lecture.md").read_text(encoding="utf-8")


def test_every_number_of_the_worked_example_matches_an_independent_computation(md):
    expected = independent()
    assert len(expected) == 24
    assert mismatches(md, expected) == []
    assert expected["dC1"] != 0  # the slip is shown on an image whose ∂C_1/∂w_11^2 is not 0
    assert np.isclose(expected["factored"], expected["dCk"], rtol=1e-14)  # the chain rule = the recurrence


def test_the_comparison_catches_a_wrong_number_in_the_report(md):
    expected = independent()
    d21 = re.search(rf"^- δ_1\^2 = .* = {NUM}$", md, flags=re.M).group(1)
    assert mismatches(md.replace(f"= {d21}\n", "= 0.0123456789\n", 1), expected) == ["d2_1"]
    assert "total" in mismatches(md, {**expected, "total": expected["total"] * (1 + 1e-6)})
    # a report that had kept the printed second term as the corrected one would be caught too
    assert mismatches(md, {**expected, "sum term 2 corrected": expected["sum term 2 printed"]})
