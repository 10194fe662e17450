"""The worked CNN example: every number recomputed here with plain NumPy loops, independently of manual_bp."""

import subprocess
import sys

import numpy as np
import pytest

from comparisons.lecture.conv.markdown import render
from comparisons.lecture.conv.worked import image, work

pytestmark = pytest.mark.usefixtures("one_torch_thread")  # tests/conftest.py


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def by_hand(x, t, w, b, W4, b4):
    """The forward pass, δ and the filter gradients, unit by unit, as on paper (positions from 0)."""
    z2 = np.zeros((2, 4, 4))
    for F in range(2):
        for i in range(4):
            for j in range(4):
                z2[F, i, j] = sum(w[F, u, v] * x[i + u, j + v] for u in range(3) for v in range(3)) + b[F]
    a2 = sigmoid(z2)
    z3, won = np.zeros((2, 2, 2)), {}
    for F in range(2):
        for i in range(2):
            for j in range(2):
                cells = [(2 * i + u, 2 * j + v) for u in range(2) for v in range(2)]
                best = cells[0]
                for c in cells[1:]:
                    if a2[F][c] > a2[F][best]:  # strictly larger: a tie keeps the first, as torch
                        best = c
                won[F, i, j], z3[F, i, j] = best, a2[F][best]
    a3 = z3.reshape(8)
    z4 = W4 @ a3 + b4
    a4 = sigmoid(z4)
    d4 = (a4 - t) * a4 * (1 - a4)  # (4)
    d3 = (W4.T @ d4).reshape(2, 2, 2)  # (5) with σ' = 1
    d2 = np.zeros((2, 4, 4))
    for (F, i, j), (m, n) in won.items():
        d2[F, m, n] += d3[F, i, j] * a2[F, m, n] * (1 - a2[F, m, n])  # (5')
    dw = np.zeros((2, 3, 3))
    for F in range(2):
        for u in range(3):
            for v in range(3):
                dw[F, u, v] = sum(d2[F, i, j] * x[i + u, j + v] for i in range(4) for j in range(4))
    return dict(z2=z2, a2=a2, z3=z3, z4=z4, a4=a4, delta4=d4, delta3=d3, delta2=d2, dw=dw, db=d2.sum(axis=(1, 2)),
                C=0.5 * np.sum((t - a4) ** 2))  # fmt: skip


def test_every_number_of_the_worked_example_matches_a_hand_computation():
    w = work(0)
    assert np.array_equal(w.x, image(0)) and list(w.t) == [1.0, 0.0]
    mine = by_hand(w.x, w.t, w.w, w.b, w.W4, w.b4)
    for name, value in mine.items():
        np.testing.assert_allclose(getattr(w, name), value, rtol=1e-12, atol=1e-15, err_msg=name)
    assert w.autograd_err < 1e-15
    assert np.count_nonzero(w.delta2) <= 8  # one winner per block: at most 2 filters × 4 blocks


def test_the_hand_computation_can_tell_a_wrong_routing_apart():
    w = work(0)
    mine = by_hand(w.x, w.t, w.w, w.b, w.W4, w.b4)
    spread = np.kron(w.delta3, np.ones((2, 2))) * w.a2 * (1 - w.a2)  # δ to every unit of the block
    assert not np.allclose(spread, mine["delta2"])


def test_both_pages_show_the_numbers():
    w = work(0)
    en, ja = render(w, "cmd", "en"), render(w, "cmd", "ja")
    for page in (en, ja):
        assert f"{w.dw[0, 0, 0]:.6f}" in page and f"{w.delta4[1]:.6f}" in page and f"{w.C:.6f}" in page
    assert "Eq (4), output layer" in en and "ユニットの誤差" in ja and "フィルター" in ja and "Eq (" not in ja


@pytest.mark.parametrize("flag", [["--seed", "5"], ["--eta", "0.1"], ["--steps", "10"], ["--paths", "4-2"],
                                  ["--net", "lesson.toml"], ["--verbose"]])  # fmt: skip
def test_the_dense_lessons_options_are_refused_with_conv(tmp_path, flag):
    cmd = [sys.executable, "-m", "comparisons", "lecture", "--conv", *flag, "--out", str(tmp_path / "x")]
    bad = subprocess.run(cmd, capture_output=True, text=True)
    assert bad.returncode == 2 and f"{flag[0]} does not apply to --conv" in bad.stderr and not bad.stdout
    assert bad.stderr.count("\n") == 1 and not (tmp_path / "x").exists()
