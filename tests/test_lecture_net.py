"""`deltacheck lecture --net FILE`: a lecturer's network, its lesson and the numbers the lecturer states.

Every number is held against a plain computation written here (math for Mazur's published example,
NumPy for the rest), never against the code's own output; every stated number that is wrong must be
named with its right value, and the slip that gives it where it is one of the usual ones.
"""

import json
import math
import pathlib
import re

import numpy as np
import pytest

from comparisons import cli
from comparisons.lecture.net import claims, lesson, slips
from comparisons.lecture.net import file as net_file

MAZUR = "examples/lectures/mazur_2_2_2.toml"


def mazur_by_hand():
    """Mazur's 2-2-2 example in scalar arithmetic, as his post computes it."""
    s = lambda z: 1 / (1 + math.exp(-z))  # noqa: E731
    x, t = (0.05, 0.10), (0.01, 0.99)
    W2, W3, b2, b3 = ((0.15, 0.20), (0.25, 0.30)), ((0.40, 0.45), (0.50, 0.55)), 0.35, 0.60
    h = [s(W2[j][0] * x[0] + W2[j][1] * x[1] + b2) for j in range(2)]
    o = [s(W3[j][0] * h[0] + W3[j][1] * h[1] + b3) for j in range(2)]
    E = sum(0.5 * (t[j] - o[j]) ** 2 for j in range(2))
    d3 = [(o[j] - t[j]) * o[j] * (1 - o[j]) for j in range(2)]
    d2 = [(d3[0] * W3[0][i] + d3[1] * W3[1][i]) * h[i] * (1 - h[i]) for i in range(2)]
    w3 = [[W3[j][i] - 0.5 * d3[j] * h[i] for i in range(2)] for j in range(2)]
    w2 = [[W2[j][i] - 0.5 * d2[j] * x[i] for i in range(2)] for j in range(2)]
    h1 = [s(w2[j][0] * x[0] + w2[j][1] * x[1] + b2) for j in range(2)]  # the biases stay, as in Mazur's post
    o1 = [s(w3[j][0] * h1[0] + w3[j][1] * h1[1] + b3) for j in range(2)]
    E1 = sum(0.5 * (t[j] - o1[j]) ** 2 for j in range(2))
    return dict(h=h, o=o, E=E, w3=w3, w2=w2, E1=E1)


def test_mazurs_published_figures_come_out_to_the_printed_digits(tmp_path, capsys):
    m = mazur_by_hand()
    # Mazur's post, to its printed digits: E_total, w5+ … w8+, w1+ … w4+.
    assert f"{m['E']:.9f}" == "0.298371109"
    assert [f"{m['w3'][0][0]:.8f}", f"{m['w3'][0][1]:.9f}"] == ["0.35891648", "0.408666186"]
    assert [f"{m['w3'][1][0]:.9f}", f"{m['w3'][1][1]:.9f}"] == ["0.511301270", "0.561370121"]
    assert [f"{m['w2'][0][0]:.9f}", f"{m['w2'][0][1]:.8f}"] == ["0.149780716", "0.19956143"]
    ls = lesson.run(net_file.read(MAZUR))
    assert ls.passed and len(ls.verdicts) == 14 and all(v.ok for v in ls.verdicts)
    np.testing.assert_allclose(ls.sol.a[2][0], m["h"], rtol=1e-14)
    np.testing.assert_allclose(ls.sol.a[3][0], m["o"], rtol=1e-14)
    np.testing.assert_allclose(ls.C_T[0], m["E"], rtol=1e-14)
    W, _ = ls.sol.params[1]
    np.testing.assert_allclose(W[3], m["w3"], rtol=1e-14)
    np.testing.assert_allclose(W[2], m["w2"], rtol=1e-14)
    np.testing.assert_allclose(ls.C_T[1], m["E1"], rtol=1e-14)  # update_biases = false: only W^l moved
    np.testing.assert_array_equal(ls.sol.params[1][1][2], [0.35, 0.35])
    assert cli.main(["lecture", "--net", MAZUR, "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "16 of 16 numbers agree with autograd, 14 of 14 stated numbers right" in out
    md = (tmp_path / "mazur_2_2_2.md").read_text()
    assert "w_11^3 = 0.4 − 0.5 × 0.0821670406 = 0.35891648" in md  # the update, written out
    assert "C_1 = ½(0.01 − 0.75136507)² + ½(0.99 − 0.772928465)² = 0.298371109" in md
    assert "![" in md and (tmp_path / "mazur_2_2_2_network.png").exists()
    ja = (tmp_path / "mazur_2_2_2.ja.md").read_text()
    assert "順伝播" in ja and "0.35891648" in ja and (tmp_path / "mazur_2_2_2_network.ja.png").exists()


def plain(sizes, W, b, X, T, eta, steps, scale=1.0, mean=False):
    """A sigmoid network with scale × ½ squared error, written out here: z, a, δ, ∂C_T, the parameters per step.

    C_T = Σ_k C_k, or its mean over k with ``mean``.
    """
    sig = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731  (|z| < 10 here)
    L = len(sizes)
    W, b, hist = {l: w.copy() for l, w in W.items()}, {l: v.copy() for l, v in b.items()}, []
    for _n in range(steps + 1):
        a, z = {1: X}, {}
        for l in range(2, L + 1):
            z[l] = np.einsum("ji,ki->kj", W[l], a[l - 1]) + b[l]
            a[l] = sig(z[l])
        r = 1 / len(X) if mean else 1.0
        d = {L: scale * (a[L] - T) * a[L] * (1 - a[L])}
        for l in range(L - 1, 1, -1):
            d[l] = np.einsum("kj,ji->ki", d[l + 1], W[l + 1]) * a[l] * (1 - a[l])
        gW = {l: r * np.einsum("kj,ki->ji", d[l], a[l - 1]) for l in d}
        gb = {l: r * d[l].sum(0) for l in d}
        hist.append(
            dict(
                z=z,
                a=a,
                d=d,
                gW=gW,
                gb=gb,
                C_T=r * scale * 0.5 * ((T - a[L]) ** 2).sum(),
                W={l: w.copy() for l, w in W.items()},
            )
        )
        for l in W:
            W[l] = W[l] - eta * gW[l]
            b[l] = b[l] - eta * gb[l]
    return hist


def random_file(tmp_path, sizes=(3, 4, 3, 2), K=3, steps=3, seed=1, claims_=None, suffix=".json", **extra):
    rng = np.random.default_rng(seed)
    W = {str(l): rng.normal(0, 1, (sizes[l - 1], sizes[l - 2])).round(3).tolist() for l in range(2, len(sizes) + 1)}
    b = {str(l): rng.normal(0, 0.5, sizes[l - 1]).round(3).tolist() for l in range(2, len(sizes) + 1)}
    raw = dict(
        sizes=list(sizes),
        activations="sigmoid",
        cost="squared_error",
        eta=0.7,
        steps=steps,
        X=rng.random((K, sizes[0])).round(2).tolist(),
        T=np.eye(sizes[-1])[rng.integers(0, sizes[-1], K)].tolist(),
        W=W,
        b=b,
        claims=claims_ or {},
        **extra,
    )
    p = tmp_path / f"net{suffix}"
    p.write_text(json.dumps(raw))
    return p, raw


def test_every_number_of_a_deeper_lesson_matches_a_plain_computation(tmp_path):
    p, raw = random_file(tmp_path)
    nf = net_file.read(p)
    ls = lesson.run(nf)
    hist = plain(nf.sizes, nf.W, nf.b, nf.X, nf.T, nf.eta, nf.steps)
    h0 = hist[0]
    for l in range(2, 5):
        np.testing.assert_allclose(ls.sol.z[l], h0["z"][l], rtol=1e-13)
        np.testing.assert_allclose(ls.sol.delta[l], h0["d"][l], rtol=1e-12, atol=1e-16)
        np.testing.assert_allclose(ls.gW[l], h0["gW"][l], rtol=1e-12, atol=1e-16)
    for n in range(nf.steps + 1):
        np.testing.assert_allclose(ls.C_T[n], hist[n]["C_T"], rtol=1e-13)
        for l in range(2, 5):
            np.testing.assert_allclose(ls.sol.params[n][0][l], hist[n]["W"][l], rtol=1e-13)
    assert ls.passed and all(c[3] for c in ls.checks)
    # the chain-rule expansion of w_11^2 in a 3-4-3-2 network: 3·2 paths, summing to δ_1^2 x_1
    assert len(ls.paths) == 6
    np.testing.assert_allclose(sum(t for _, t in ls.paths), h0["d"][2][0, 0] * nf.X[0, 0], rtol=1e-12)


def test_cost_scale_and_the_mean_over_examples_follow_a_plain_computation(tmp_path, capsys):
    """Σ_j (t_j − a_j)² without ½ (cost_scale = 2) and C_T as the mean over k, as some published examples write."""
    p, raw = random_file(tmp_path, cost_scale=2, reduction="mean")
    nf = net_file.read(p)
    ls = lesson.run(nf)
    hist = plain(nf.sizes, nf.W, nf.b, nf.X, nf.T, nf.eta, nf.steps, scale=2.0, mean=True)
    for n in range(nf.steps + 1):
        np.testing.assert_allclose(ls.C_T[n], hist[n]["C_T"], rtol=1e-13)
        np.testing.assert_allclose(ls.sol.params[n][0][2], hist[n]["W"][2], rtol=1e-13)
    np.testing.assert_allclose(ls.sol.delta[2], hist[0]["d"][2], rtol=1e-12)
    np.testing.assert_allclose(ls.gW[3], hist[0]["gW"][3], rtol=1e-12)
    assert ls.passed
    right = slips.solve(nf, None)  # the slip engine, with nothing slipped, under the same conventions
    np.testing.assert_allclose(right.C.sum() * right.reduce, hist[0]["C_T"], rtol=1e-13)
    np.testing.assert_allclose(right.params[-1][0][2], hist[-1]["W"][2], rtol=1e-13)
    # a lecturer who summed where the file says mean is told so
    raw["claims"] = {"C_T": round(3 * hist[0]["C_T"], 6), "w_11^3 after 1 step": round(float(hist[1]["W"][3][0, 0]), 6)}
    p.write_text(json.dumps(raw))
    v_sum, v_ok = lesson.run(net_file.read(p)).verdicts
    assert not v_sum.ok and ("mean_for_sum", {}) in v_sum.slips and v_ok.ok
    assert cli.main(["lecture", "--net", str(p), "--out", str(tmp_path / "o"), "--lang", "en"]) == 1
    md = (tmp_path / "o" / "net.md").read_text()
    assert "C_T = (1/3) Σ_k C_k = " in md and "Here C_k is 2 times the cost above" in md


def test_the_slip_engine_without_a_slip_is_the_lesson_and_each_slip_changes_it(tmp_path):
    p, _ = random_file(tmp_path, sizes=(3, 3, 3, 2))
    nf = net_file.read(p)
    ls = lesson.run(nf)
    right = slips.solve(nf, None)
    for l in range(2, 5):
        np.testing.assert_allclose(right.delta[l], ls.sol.delta[l], rtol=1e-13, atol=1e-17)
        np.testing.assert_allclose(right.params[-1][0][l], ls.sol.params[-1][0][l], rtol=1e-13)
    for key, s in slips.all_slips(nf).items():
        assert not np.allclose(s.params[-1][0][2], right.params[-1][0][2]), key


def _claim_of(nf, ls, text, slip=None, q=None):
    """The value of ``text`` as a slip would give it, to 6 decimals."""
    quantity = q or claims.parse_name(text, nf.sizes, len(nf.X), nf.steps)
    s = ls.sol if slip is None else slips.solve(nf, slip)
    return round(claims.value(quantity, s), 6)


PLANTED = [  # (claim, the slip that gives the wrong number, the words the report must use)
    ("δ_1^4", "no_sigma_prime_4", "σ'(z^L) left out of (4)"),
    ("δ_2^2", "no_sigma_prime_5", "σ'(z^l) left out of (5)"),
    ("w_11^2 after 1 step", "no_sigma_prime_5", "σ'(z^l) left out of (5)"),
    ("w_12^2 after 2 steps", "C_1_for_C_T", "C_1 for C_T"),
    ("w_21^3 after 1 step", "plus_eta", "the sign of the update"),
    ("C_T", "no_half", "without ½"),
]


@pytest.mark.parametrize("text,slip,words", PLANTED, ids=[p[0] for p in PLANTED])
def test_a_planted_wrong_number_is_named_with_its_right_value_and_slip(text, slip, words, tmp_path, capsys):
    p, raw = random_file(tmp_path)
    nf = net_file.read(p)
    ls = lesson.run(nf)
    wrong = _claim_of(nf, ls, text, slip)
    right = _claim_of(nf, ls, text)
    assert wrong != right
    raw["claims"] = {text: wrong, "C_1": _claim_of(nf, ls, "C_1")}
    p.write_text(json.dumps(raw))
    out = tmp_path / "out"
    assert cli.main(["lecture", "--net", str(p), "--out", str(out), "--lang", "en"]) == 1
    assert f"1 of 2 stated numbers right; wrong: {text}" in capsys.readouterr().out
    row = next(r for r in (out / "net.md").read_text().splitlines() if r.startswith(f"| `{text}`"))
    assert "**wrong**" in row and words in row and f"{right:.6f}" in row


def test_a_wrong_index_c1_for_ct_and_a_wrong_sign_are_named(tmp_path):
    p, raw = random_file(tmp_path)
    nf = net_file.read(p)
    ls = lesson.run(nf)
    swapped = _claim_of(nf, ls, "", q=claims.Quantity("dw", l=3, j=2, i=1))
    c1 = _claim_of(nf, ls, "C_1")
    flipped = -_claim_of(nf, ls, "δ_2^3[2]")
    raw["claims"] = {"∂C_T/∂w_12^3": swapped, "C_T": c1, "δ_2^3[2]": flipped}
    p.write_text(json.dumps(raw))
    v1, v2, v3 = lesson.run(net_file.read(p)).verdicts
    assert not v1.ok and ("swapped", dict(l=3, j=1, i=2)) in v1.slips
    assert not v2.ok and ("C_1_cost", {}) in v2.slips
    assert not v3.ok and v3.slips == [("sign", {})]


def test_a_claim_one_unit_off_in_its_last_digit_is_wrong_and_one_rounded_right_is_right():
    assert claims.agrees(claims.Decimal("0.35891648"), 0.35891647971788465)
    assert not claims.agrees(claims.Decimal("0.35891649"), 0.35891647971788465)
    assert not claims.agrees(claims.Decimal("0.3589164"), 0.35891647971788465)  # truncated, not rounded
    assert claims.agrees(claims.Decimal("0.3589"), 0.35891647971788465)


def test_toml_and_json_files_give_the_same_lesson(tmp_path):
    nf_toml = net_file.read(MAZUR)
    raw = dict(net_file.tomllib.loads(pathlib.Path(MAZUR).read_text()).items())
    p = tmp_path / "mazur_2_2_2.json"
    p.write_text(json.dumps(raw, ensure_ascii=False))
    nf_json = net_file.read(p)
    for l in (2, 3):
        np.testing.assert_array_equal(nf_toml.W[l], nf_json.W[l])
    assert [c.text for c in nf_json.claims] == [c.text for c in nf_toml.claims]


BAD_FILES = [
    ('sizes = [2, 2]\nactivations = "sigmoid"\n', "missing key 'cost'"),
    ("sizes = [2, 2", "not valid TOML"),
    (
        'sizes=[2,2]\nactivations="sigmoid"\ncost="squared_error"\neta=0.5\nsteps=1\nX=[[1,2]]\nT=[[1,0]]\n'
        "[W]\n2=[[1,2,3],[4,5,6]]\n[b]\n2=[0,0]\n",
        "W^2[0]: expected 2 entries (W^2 is (n_2, n_1) = (2, 2)), got 3 entries",
    ),
    (
        'sizes=[2,2]\nactivations="sigmoid"\ncost="squared_error"\neta=0.5\nsteps=1\nX=[[1,2]]\nT=[[1,0]]\n'
        '[W]\n2=[[1,2],[4,5]]\n[b]\n2=[0,0]\n[claims]\n"w_13^2 after 1 step"=0.1\n',
        "unit i = 3, but layer 1 has 2 units",
    ),
    (
        'sizes=[2,2]\nactivations="sigmoid"\ncost="squared_error"\neta=0.5\nsteps=1\nX=[[1,2]]\nT=[[1,0]]\n'
        '[W]\n2=[[1,2],[4,5]]\n[b]\n2=[0,0]\n[claims]\n"the answer"=0.1\n',
        "names no quantity",
    ),
    (
        'sizes=[2,2]\nactivations="sigmoid"\ncost="squared_error"\neta=-1\nsteps=1\nX=[[1,2]]\nT=[[1,0]]\n'
        "[W]\n2=[[1,2],[4,5]]\n[b]\n2=[0,0]\n",
        "must be > 0",
    ),
    (
        'sizes=[2,2]\nactivations="sigmoid"\ncost="cross_entropy"\neta=1\nsteps=1\nX=[[1,2]]\nT=[[1,0]]\n'
        "[W]\n2=[[1,2],[4,5]]\n[b]\n2=[0,0]\n",
        "needs a softmax output layer",
    ),
    ("\xff\xfe", "cannot be read"),
]


@pytest.mark.parametrize("text,message", BAD_FILES, ids=[m for _, m in BAD_FILES])
def test_a_bad_file_is_one_line_exit_2_and_writes_nothing(text, message, tmp_path, capsys):
    p = tmp_path / "bad.toml"
    p.write_bytes(text.encode("latin-1") if text.startswith("\xff") else text.encode())
    out = tmp_path / "out"
    assert cli.main(["lecture", "--net", str(p), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: --net ") and message in err, err
    assert not out.exists()


def test_a_missing_file_is_exit_2(tmp_path, capsys):
    assert cli.main(["lecture", "--net", str(tmp_path / "none.toml"), "--out", str(tmp_path / "o")]) == 2
    assert re.search(r"none\.toml: cannot be read", capsys.readouterr().err)


def test_the_shipped_own_example_states_numbers_a_plain_computation_confirms():
    nf = net_file.read("examples/lectures/own_2_2_2.toml")
    hist = plain(nf.sizes, nf.W, nf.b, nf.X, nf.T, nf.eta, nf.steps)
    stated = {c.text: float(c.value) for c in nf.claims}
    assert abs(stated["C_T"] - hist[0]["C_T"]) <= 5e-7
    assert abs(stated["w_11^3 after 2 steps"] - hist[2]["W"][3][0, 0]) <= 5e-7
    assert abs(stated["δ_2^2[2]"] - hist[0]["d"][2][1, 1]) <= 5e-7
    ls = lesson.run(nf)
    assert ls.passed and len(ls.verdicts) == 12 and all(v.ok for v in ls.verdicts)


def test_a_bad_file_is_refused_before_torch_is_imported(tmp_path):
    import subprocess
    import sys

    p = tmp_path / "bad.toml"
    p.write_text("sizes = [2, 2")
    code = (
        "import sys; from comparisons.cli import main; "
        f"rc = main(['lecture', '--net', {str(p)!r}, '--out', {str(tmp_path / 'o')!r}]); "
        "print(rc, 'torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["2", "False"]
