"""Path enumeration against backprop, and `deltacheck lecture`: its reports, languages and bad input."""

import re
from collections import Counter

import numpy as np
import pytest
from hypothesis import given
from strategies import specs

from comparisons import cli
from comparisons.common.checks import compare
from comparisons.common.spec import make_problem
from comparisons.common.tolerances import PATHS_F64
from comparisons.lecture import path_cost as paths_cost
from comparisons.lecture import path_sum as paths
from manual_bp import MLP

small = specs(max_depth=3, max_width=3, max_K=3, costs=["squared_error"]).filter(
    lambda s: s.activations[-1] != "softmax"
)


# --- path enumeration ----------------------------------------------------------------------


@given(small)
def test_path_enumeration_matches_backprop_on_random_small_networks(spec):
    W, b, X, T, _ = make_problem(spec)
    net = MLP(W, b, list(spec.activations), spec.cost)
    pg, terms = paths.path_gradients(net, X, T)
    gW, _ = net.gradients(X, T)
    assert terms == paths.n_path_terms(list(spec.sizes))
    for l in gW:
        r = compare(pg[l], gW[l], PATHS_F64)
        assert r.passed, f"layer {l}: {r}"


def test_path_counts_grow_exponentially_and_backprop_linearly():
    for n in (2, 3, 5):
        terms = [paths.n_path_terms([n] * (D + 1)) for D in range(1, 8)]
        bp = [paths.madds_backprop([n] * (D + 1)) for D in range(1, 8)]
        assert all(b - a == bp[1] - bp[0] for a, b in zip(bp, bp[1:]))  # constant increment: linear
        assert all(b > n * a for a, b in zip(terms, terms[1:]))  # at least ×n per layer: exponential


def test_path_enumeration_refuses_large_networks_with_one_sentence():
    with pytest.raises(ValueError, match=r"path enumeration refused for 8-8-8-8-8-8: it needs 299,584 path terms"):
        paths.path_gradients(MLP.init([8] * 6, "sigmoid", "squared_error"), np.zeros((1, 8)), np.zeros((1, 8)))
    with pytest.raises(ValueError, match="elementwise"):
        paths.path_gradients(MLP.init([2, 2], "softmax", "cross_entropy"), np.zeros((1, 2)), np.eye(2)[:1])


# --- the command ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    """One short run of `deltacheck lecture` with a smaller cost table; (exit code, out dir)."""
    out = tmp_path_factory.mktemp("lecture")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(paths_cost, "DEPTHS", range(1, 4))
        mp.setattr(paths_cost, "WIDTHS", (2, 3))
        mp.setattr(paths, "MAX_PATH_TERMS", 100)  # so that 3-3-3-3 (117 terms) is refused
        code = cli.main(["lecture", "--out", str(out), "--steps", "20", "--eta", "0.5"])
    return code, out


NUMBER = re.compile(r"\d+(?:[.,]\d+)*(?:e[+-]?\d+)?")


def test_the_run_passes_and_writes_every_file(report):
    code, out = report
    assert code == 0
    names = {p.name for p in out.iterdir()}
    assert {
        "lecture.md",
        "lecture.ja.md",
        "lecture_training.csv",
        "lecture_equations.csv",
        "lecture_paths.csv",
        "lecture_training.png",
        "lecture_paths.png",
        "lecture_dataset.png",
    } <= names
    assert not any(n.startswith(".") for n in names)  # nothing staged is left behind
    md = (out / "lecture.md").read_text(encoding="utf-8")
    assert "ALL PASS" in md and "path enumeration refused for 3-3-3-3" in md and "relu, leaky_relu" in md


def test_japanese_report_renders_the_same_numbers_as_the_english(report):
    _, out = report
    en = (out / "lecture.md").read_text(encoding="utf-8")
    ja = (out / "lecture.ja.md").read_text(encoding="utf-8")
    assert Counter(NUMBER.findall(en)) == Counter(NUMBER.findall(ja))
    tables = lambda s: [NUMBER.findall(line) for line in s.splitlines() if line.startswith("|")]  # noqa: E731
    assert tables(en) == tables(ja)  # row by row, in the same order
    for term in ("ユニットの誤差", "誤差逆伝播法", "勾配降下法", "学習係数", "2乗誤差", "出力層", "漸化式"):
        assert term in ja, term


@pytest.fixture(scope="module")
def saturated(tmp_path_factory):
    """`deltacheck lecture --eta 50 --steps 20`: the trained network saturates (∂C_T/∂w_11^2 ≈ 1e-140)."""
    out = tmp_path_factory.mktemp("saturated")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(paths_cost, "DEPTHS", range(1, 2))
        mp.setattr(paths_cost, "WIDTHS", (2,))
        code = cli.main(["lecture", "--out", str(out), "--steps", "20", "--eta", "50"])
    return code, out


def test_a_saturated_net_is_not_distinguishable_rather_than_failed(saturated):
    code, out = saturated
    assert code == 0
    en = (out / "lecture.md").read_text(encoding="utf-8")
    ja = (out / "lecture.ja.md").read_text(encoding="utf-8")
    assert "**ALL PASS** — 11 of 11 checks pass. (1 of them not distinguishable at these weights" in en
    assert "| 微分地獄 after training | not distinguishable at these weights |" in en
    assert "| 微分地獄 at the initial weights | yes |" in en  # there the printed total is detected as different
    assert "At the weights after training: the printed and corrected totals coincide within the tolerance" in en
    assert "**NOT detected as different**" not in en and "**NO**" not in en
    assert "| 微分地獄: 学習後 | この重みでは区別できない |" in ja
    assert Counter(NUMBER.findall(en)) == Counter(NUMBER.findall(ja))


def test_report_explains_the_shorthand_factor_with_computed_values(report):
    from comparisons.lecture import chain_rule_slide as hell
    from comparisons.lecture import data as lecture_data
    from comparisons.lecture.text import val
    from comparisons.lecture.training import lecture_net

    _, out = report
    X, T, _ = lecture_data.dataset()
    f = hell.factors(lecture_net(0), X, T)
    k = int(np.flatnonzero(X[:, 0] > 0.5)[0])
    sp, x1, prod = (val(f[n][k]) for n in ("∂a_1^2/∂z_1^2", "∂z_1^2/∂w_11^2", "∂a_1^2/∂w_11^2"))
    assert x1 == "1" and sp == prod
    formula = f"∂a_1^2/∂z_1^2 · ∂z_1^2/∂w_11^2 = σ'(z_1^2) · x_1 = {sp} × {x1} = {prod}"
    en = (out / "lecture.md").read_text(encoding="utf-8")
    ja = (out / "lecture.ja.md").read_text(encoding="utf-8")
    assert f"The slide's ∂a_1^2/∂w_11^2 is shorthand for {formula}: example k = {k + 1} has x_1 = {x1}" in en
    assert f"スライドの ∂a_1^2/∂w_11^2 は {formula} の略記" in ja


def test_report_states_the_pass_rule_labels_the_sums_and_answers_pass_fail_in_japanese(report):
    _, out = report
    en = (out / "lecture.md").read_text(encoding="utf-8")
    ja = (out / "lecture.ja.md").read_text(encoding="utf-8")
    rule = "|m − r| ≤ atol·max(1, max|r|) + rtol·|r|"
    assert f"An entry passes when {rule}" in en and "near-zero entry that still passes through atol" in en
    assert en.index(f"An entry passes when {rule}") > en.index("### Σ_k")  # under the equation tables
    assert f"各要素は {rule}" in ja
    assert "| sums over k (C_T = Σ_k C_k) | yes |" in en and "equation Σ_k" not in en
    assert "| 例 k についての和 (C_T = Σ_k C_k) | 合格 |" in ja
    assert "| 検査 | 合否 |" in ja and "はい" not in ja and "いいえ" not in ja


def test_the_same_arguments_give_the_same_bytes(report):
    _, out = report
    first = {p.name: p.read_bytes() for p in out.iterdir() if p.suffix in (".csv", ".md")}
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(paths_cost, "DEPTHS", range(1, 4))
        mp.setattr(paths_cost, "WIDTHS", (2, 3))
        mp.setattr(paths, "MAX_PATH_TERMS", 100)
        assert cli.main(["lecture", "--out", str(out), "--steps", "20", "--eta", "0.5"]) == 0
    assert len(first) == 8
    for name, data in first.items():
        assert (out / name).read_bytes() == data, name


def test_a_failing_check_gives_exit_1_and_says_so(tmp_path):
    """Evaluate the slide's printed second term as if it were the corrected one: the run must fail."""
    from comparisons.lecture import chain_rule_slide as hell

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(paths_cost, "DEPTHS", range(1, 2))
        mp.setattr(paths_cost, "WIDTHS", (2,))
        mp.setattr(hell, "SECOND_CORRECTED", hell.SECOND_PRINTED)
        assert cli.main(["lecture", "--out", str(tmp_path), "--steps", "2", "--lang", "en"]) == 1
    md = (tmp_path / "lecture.md").read_text(encoding="utf-8")
    assert "2 CHECK(S) FAILED" in md and "**does not agree**" in md


BAD = [
    ["--eta", "-1"],
    ["--eta", "abc"],
    ["--eta", "nan"],
    ["--steps", "0"],
    ["--seed", "-2"],
    ["--lang", "fr"],
    ["--paths", "12-x-2"],
    ["--paths", "12"],
    ["--paths", "12-0-2"],
    ["--paths", "12-16-16-16-16-16-2"],
]


@pytest.mark.parametrize("argv", BAD, ids=" ".join)
def test_bad_input_is_one_line_exit_2_and_writes_nothing(argv, tmp_path, capsys):
    out = tmp_path / "new"
    assert cli.main(["lecture", "--out", str(out), *argv]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: ")
    assert not out.exists()


def test_out_that_is_a_file_is_exit_2(tmp_path, capsys):
    f = tmp_path / "file"
    f.write_text("x")
    assert cli.main(["lecture", "--out", str(f)]) == 2
    assert "is a file" in capsys.readouterr().err
