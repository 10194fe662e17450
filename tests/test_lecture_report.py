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
from comparisons.lecture import enumeration_cost as paths_cost
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
DECIMAL = re.compile(r"-?\d+\.\d+(?:e[+-]?\d+)?|-?\d+e[+-]?\d+")  # a computed value, not a count or a label


def test_the_run_passes_and_writes_every_file(report):
    code, out = report
    assert code == 0
    names = {p.name for p in out.iterdir()}
    from comparisons.lecture.report import CSV, MD, pngs

    assert names == {*MD.values(), *CSV, *pngs(["en", "ja"])}
    assert not any(n.startswith(".") for n in names)  # nothing staged is left behind
    md = (out / "lecture.md").read_text(encoding="utf-8")
    assert "All 12 checks pass." in md and "path enumeration refused for 3-3-3-3" in md and "relu, leaky_relu" in md


def test_japanese_report_renders_the_same_numbers_as_the_english(report):
    _, out = report
    en = (out / "lecture.md").read_text(encoding="utf-8")
    ja = (out / "lecture.ja.md").read_text(encoding="utf-8")
    assert Counter(DECIMAL.findall(en)) == Counter(DECIMAL.findall(ja))
    tables = lambda s: [DECIMAL.findall(line) for line in s.splitlines() if line.startswith("|")]  # noqa: E731
    assert tables(en) == tables(ja)  # row by row, in the same order
    for term in (
        "ユニットの誤差",
        "誤差逆伝播法",
        "勾配降下法",
        "学習係数",
        "2乗誤差",
        "重み",
        "バイアス（閾値）",
        "活性化関数",
        "シグモイド関数",
        "微分地獄",
        "第2項",
        "出力層",
        "漸化式",
    ):
        assert term in ja, term
    # the headings of (2) and (3) in the lecture's own words
    assert "### (2) 重みに関する2乗誤差の偏微分を δ_j^l で表現" in ja
    assert "### (3) バイアスに関する2乗誤差の偏微分を δ_j^l で表現" in ja
    for stiff in ("例 k", "印刷どおり"):  # the translated report's phrases
        assert stiff not in ja, stiff


# The slides' own LaTeX, copied from lecture-slides-ja.txt: each must appear as printed, in both reports.
SLIDE_TEX = [
    r"\delta_j^l \triangleq \frac{\partial C}{\partial z_j^l} \tag{1}",
    r"\frac{\partial C}{\partial w_{ji}^l} = \delta_j^l a_i^{l-1} \quad (l \ge 2). \tag{2}",
    r"\frac{\partial C}{\partial b_j^l} = \delta_j^l \quad (l \ge 2). \tag{3}",
    r"\delta_j^L = \frac{\partial C}{\partial a_j^L} \frac{\mathrm{d}a_j^L}{\mathrm{d}z_j^L} \tag{4}",
    r"\frac{\partial C_k}{\partial a_2^3[k]} \frac{\partial a_2^3[k]}{\partial z_2^3[k]} "
    r"\frac{\partial z_1^3[k]}{\partial a_1^2[k]} \frac{\partial a_1^2[k]}{\partial w_{11}^2} \right\}",
]


@pytest.mark.parametrize("name", ["lecture.md", "lecture.ja.md"])
def test_both_reports_quote_the_slides_and_say_what_is_this_projects(report, name):
    _, out = report
    md = (out / name).read_text(encoding="utf-8")
    for tex in SLIDE_TEX:
        assert tex in md, tex
    from comparisons.lecture import formulas

    assert md.count(formulas.RECURRENCE) == 1  # (5) once, under its own heading, not as a slide's
    assert md.index("\\tag{4}") < md.index(formulas.RECURRENCE)
    assert formulas.TERM2_PRINTED in md and formulas.TERM2_CORRECTED in md
    assert "12·3 + 3 + 3·2 + 2 = 47" in md
    for l in (2, 3):
        assert f"∂C_T/∂w_1i^{l}" in md
    assert "`lecture_parameters.csv`" in md


def test_the_reports_say_the_textbooks_images_are_not_reproduced(report):
    _, out = report
    en = (out / "lecture.md").read_text(encoding="utf-8")
    ja = (out / "lecture.ja.md").read_text(encoding="utf-8")
    assert "**not reproduced here**" in en and "no single pixel tells the digits apart" in en
    assert "**ここではその 64 枚を再現していません。**" in ja and "見分けられません" in ja
    assert "held-out flips (224)" in en and "テスト用画像（224 枚）" in ja


def test_the_factor_table_has_one_column_per_term_and_the_slip_on_a_nonzero_image(report):
    _, out = report
    en = (out / "lecture.md").read_text(encoding="utf-8")
    assert "| factor | term 1 | term 2 as printed | term 2 corrected |" in en
    row3 = next(line for line in en.splitlines() if line.startswith("| 3 | ∂z_1^3/∂a_1^2"))
    printed, corrected = row3.split(" | ")[2:4]
    assert printed.startswith("∂z_1^3/∂a_1^2 = ") and corrected.startswith("∂z_2^3/∂a_1^2 = ")
    c1 = float(re.search(r"∂C_1/∂w_11\^2 = (\S+) \(image 1 has x_1 = 1\)", en).group(1))
    assert c1 != 0.0


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
    assert "All 12 checks pass. (1 of them not distinguishable at these weights" in en
    assert "| 微分地獄 after training | not distinguishable at these weights |" in en
    assert "| 微分地獄 at the initial weights | yes |" in en  # there the printed total is detected as different
    assert "At the weights after training: the printed and corrected totals coincide within the tolerance" in en
    assert "**NOT detected as different**" not in en and "**NO**" not in en
    assert "| 微分地獄: 学習後の重み | この重みでは区別できない |" in ja
    assert Counter(DECIMAL.findall(en)) == Counter(DECIMAL.findall(ja))


def test_report_states_the_pass_rule_labels_the_sums_and_answers_pass_fail_in_japanese(report):
    _, out = report
    en = (out / "lecture.md").read_text(encoding="utf-8")
    ja = (out / "lecture.ja.md").read_text(encoding="utf-8")
    rule = "|m − r| ≤ atol·max(1, max|r|) + rtol·|r|"
    assert f"An entry passes when {rule}" in en and "near-zero entry that still passes through atol" in en
    assert en.index(f"An entry passes when {rule}") > en.index("### Σ_k")  # under the equation tables
    assert f"各要素は {rule}" in ja
    assert "| sums over k (C_T = Σ_k C_k) | yes |" in en and "equation Σ_k" not in en
    assert "| 画像についての和 (C_T = Σ_k C_k) | 合格 |" in ja
    assert "| 検査 | 合否 |" in ja and "はい" not in ja and "いいえ" not in ja


def test_the_same_arguments_give_the_same_bytes(report):
    _, out = report
    first = {p.name: p.read_bytes() for p in out.iterdir() if p.suffix in (".csv", ".md")}
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(paths_cost, "DEPTHS", range(1, 4))
        mp.setattr(paths_cost, "WIDTHS", (2, 3))
        mp.setattr(paths, "MAX_PATH_TERMS", 100)
        assert cli.main(["lecture", "--out", str(out), "--steps", "20", "--eta", "0.5"]) == 0
    assert len(first) == 9
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
    assert "**2 of the 12 checks FAILED** (10 pass)." in md and "**does not agree**" in md
    head = md[: md.index("## 1.")]  # the failure is announced before the lesson, not only in the appendix
    assert "**2 of the 12 checks FAILED**: 微分地獄 at the initial weights, 微分地獄 after training" in head


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
    ["--steps", "1000000000"],
    ["--steps", "200", "--max-steps", "100"],
    ["--max-steps", "0"],
    ["--max-steps", "x"],
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


def test_steps_above_the_limit_name_the_argument_the_limit_and_the_way_to_raise_it(tmp_path, capsys):
    out = tmp_path / "new"
    assert cli.main(["lecture", "--out", str(out), "--steps", "1000000000"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "--steps 1000000000: more than the limit of 100,000 steps" in err and "--max-steps 1000000000" in err
    assert not out.exists()


@pytest.mark.parametrize("eta", ["200", "500"])
def test_a_large_eta_passes_with_no_warning_and_no_oracle_blamed(eta, tmp_path, capsys):
    """Issue 13: η = 200 and 500 saturate the net; the oracles must not overflow into a failure."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(paths_cost, "DEPTHS", range(1, 2))
        mp.setattr(paths_cost, "WIDTHS", (2,))
        assert cli.main(["lecture", "--out", str(tmp_path), "--eta", eta, "--steps", "100", "--lang", "en"]) == 0
    out, err = capsys.readouterr()
    assert "Warning" not in err and err == "" and out.count("\n") == 1 and "12 of 12 lecture checks pass" in out


def test_timings_only_with_verbose_and_a_progress_bar_for_long_training(tmp_path, capsys):
    from comparisons.common import progress

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(paths_cost, "DEPTHS", range(1, 2))
        mp.setattr(paths_cost, "WIDTHS", (2,))
        argv = ["lecture", "--out", str(tmp_path), "--steps", "5", "--lang", "en"]
        mp.setattr(progress, "DELAY", 0.0)  # as if training had already run for a while
        assert cli.main(argv) == 0
        quiet = capsys.readouterr().err  # capsys is no terminal: no bar without --progress
        assert cli.main([*argv, "--verbose", "--progress"]) == 0
        loud = capsys.readouterr().err
    assert "path enumeration" not in quiet and "training" not in quiet
    assert "width 2 depth 1: path enumeration" in loud and "training (manual_bp, then torch)" in loud


def test_each_report_embeds_the_figures_labelled_in_its_language(report):
    _, out = report
    en = (out / "lecture.md").read_text(encoding="utf-8")
    ja = (out / "lecture.ja.md").read_text(encoding="utf-8")
    for name in ("lecture_dataset", "lecture_training", "lecture_paths", "lecture_network", "lecture_graph"):
        assert f"]({name}.png)" in en and f"]({name}.ja.png)" in ja, name
        assert f"]({name}.ja.png)" not in en and f"]({name}.png)" not in ja, name
    from matplotlib import font_manager

    from comparisons.lecture.diagrams import font

    with font("ja"):  # matplotlib-fontja's IPAex Gothic, found without falling back to a font without kana
        assert font_manager.findfont("IPAexGothic", fallback_to_default=False).endswith("ipaexg.ttf")


def test_the_lesson_says_what_a_saturating_eta_did(tmp_path, capsys):
    """η = 500 saturates every output at the wrong end in one step: C_T rises once and then stands still at
    chance accuracy; the lesson says so (in both languages), never 'falling steadily' or 'close to their targets'."""
    from comparisons import cli

    assert cli.main(["lecture", "--out", str(tmp_path), "--lang", "both", "--eta", "500", "--steps", "20"]) == 0
    capsys.readouterr()
    en = (tmp_path / "lecture.md").read_text(encoding="utf-8")
    ja = (tmp_path / "lecture.ja.md").read_text(encoding="utf-8")
    assert "it rose once, at step 1" in en and "and then stood still at 32.00" in en
    assert "the outputs are not near their targets (accuracy 50.0 %)" in en
    assert "sit close to their targets" not in en and "falling" not in en.split("### Why C_T sometimes")[1][:400]
    assert "一度だけ増え" in ja and "32.00 のまま変わりません" in ja and "出力は正解に近づいていません" in ja
    assert "張り付き" not in ja
