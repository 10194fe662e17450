"""`deltacheck diagnose` and `gallery`: every classic mistake named by its equation, bad input exit 2."""

import functools
import textwrap
from pathlib import Path

import pytest

from comparisons import cli
from comparisons.diagnose import gallery
from comparisons.diagnose.cases import plan
from comparisons.diagnose.session import Session, parse_target
from comparisons.diagnose.settings import resolve
from comparisons.diagnose.verdict import diagnose, judge

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
MISTAKES = sorted((EXAMPLES / "mistakes").glob("*.py"))  # the lecture's convention
TEXTBOOK_MISTAKES = sorted((EXAMPLES / "mistakes").glob("*/*.py"))  # Nielsen's and ゼロから作る's conventions
ALL_MISTAKES = MISTAKES + TEXTBOOK_MISTAKES
CORRECT = (EXAMPLES / "correct.py").read_text(encoding="utf-8")
diagnose_file = functools.cache(gallery.diagnose_file)  # each gallery file diagnosed once per session


def run(capsys, *argv):
    """(exit code, stdout, stderr) of `deltacheck diagnose ARGV`, in process."""
    rc = cli.main(["diagnose", *map(str, argv)])
    out, err = capsys.readouterr()
    return rc, out, err


def diagnose_on(path, keep):
    """The verdict on ``path`` over the default plan's cases for which ``keep(case)`` holds."""
    with Session(parse_target(path)) as session:
        settings = resolve(session)
        cases = [c for c in plan(6, 0, settings.activation, settings.cost) if keep(c)]
        return diagnose(session, cases, settings)


def user_file(tmp_path, source, name="mine.py"):
    p = tmp_path / name
    p.write_text(textwrap.dedent(source), encoding="utf-8")
    return p


def test_gallery_has_the_classic_mistakes():
    assert len(MISTAKES) >= 10
    for conv in ("nielsen", "dlfs"):
        assert len([f for f in TEXTBOOK_MISTAKES if f.parent.name == conv]) >= 3, conv
    for f in ALL_MISTAKES:
        text = f.read_text(encoding="utf-8")
        assert '"""MISTAKE: ' in text and "EXPECTED_EQUATION = " in text, f.name


@pytest.mark.parametrize("path", ALL_MISTAKES, ids=lambda p: p.relative_to(EXAMPLES / "mistakes").as_posix())
def test_every_gallery_mistake_is_named_by_its_equation(path):
    row = diagnose_file(path)
    assert row.verdict is not None, row.error
    assert not row.verdict.passed
    assert row.verdict.eq == row.expected, row.verdict.headline
    assert row.verdict.headline.startswith(f"FAIL: eq ({row.expected}) fails at")
    assert row.verdict.layer >= 2 and row.verdict.hint


def test_correct_passes_with_its_largest_error(capsys):
    rc, out, err = run(capsys, EXAMPLES / "correct.py")
    assert rc == 0 and err == ""
    assert "PASS: dW, db and δ agree with PyTorch autograd on all 8 networks" in out
    assert "closest to its tolerance: rel err" in out and "L = 2 … 5" in out
    # "rel err" is not the sweep's element-wise max_rel_err: the output says what it is, once
    assert out.count("max|yours − autograd's| / max|autograd's| over the whole tensor") == 1


@pytest.mark.parametrize("stem", ["w_not_transposed_eq5", "sigma_prime_wrong_layer_eq5", "off_by_one_weight_index_eq5"])
def test_transposed_mistakes_are_named_by_the_networks_where_they_run_and_crashes_by_their_line(stem):
    path = EXAMPLES / "mistakes" / f"{stem}.py"
    crashing = diagnose_on(path, lambda c: not c.square)  # unequal widths: the shapes do not fit
    silent = diagnose_on(path, lambda c: c.square)  # equal widths: it runs and the numbers are wrong
    assert silent.eq == "5" and "differs from ∂C/∂z^" in silent.headline
    # a crash alone names no equation: its line and the shapes on it, which the traceback shows
    assert crashing.status == "fail" and crashing.eq == "" and "raises ValueError at line" in crashing.headline
    assert ", with " in crashing.headline and "traceback (your code only):" in crashing.notes
    assert diagnose_file(path).verdict.eq == "5"  # together, the values decide


def test_wrong_backprop_exits_1_with_the_layer_and_hint(capsys):
    rc, out, _ = run(capsys, EXAMPLES / "mistakes" / "sigma_prime_missing_eq5.py", "--archs", "2")
    assert rc == 1
    assert "FAIL: eq (5) fails at layer l = 2: δ^2 differs from ∂C/∂z^2 (rel err" in out
    assert "max rel err" not in out and out.count("rel err = max|yours − autograd's| / max|autograd's|") == 1
    assert "while δ^3 agrees — the recurrence from layer 3 to 2 is wrong" in out
    assert "hint: your numbers match σ'(z^2) left out of eq (5)" in out


@pytest.mark.parametrize(
    "stem, phrase",
    [
        ("gradient_averaged_eq2", "exactly 1/K = 1/64 ×"),
        ("wrong_sign_eq4", "exactly −1 ×"),
        ("bias_first_example_only_eq3", "It fails only with several examples (K > 1)"),
        ("output_weights_hardwired_eq5", "It fails only for depth L ≥ 4"),
        ("no_delta_sigma_prime_missing_eq5", "(inferred from dW and db: no δ returned)"),
        ("no_delta_transposed_eq2", "is the transpose of ∂C_T/∂W^"),
        ("bias_not_summed_eq3", "not summed over the examples k"),
        ("a_l_instead_of_a_prev_eq2", "your numbers match a^3 where a^2 belongs in eq (2)"),
        ("cross_entropy_extra_sigma_prime_eq4", "an extra σ'(z^L)"),
        # the textbooks' conventions: the hint names the real mistake, the user's names stand beside the lecture's
        ("nielsen/bias_before_sigma_prime_eq3", "your numbers match the bias gradient taken before the ⊙ σ'(z^2)"),
        ("nielsen/bias_before_sigma_prime_eq3", "db^2 (nabla_b[-2]) differs"),
        ("nielsen/sigma_prime_of_activation_eq5", "your numbers match σ' applied to a^2 instead of z^2 in eq (5)"),
        ("nielsen/cost_delta_sign_eq4", "dW^3 (nabla_w[-1]) and db^3 (nabla_b[-1]) are both exactly −1 ×"),
        ("nielsen/cost_delta_sign_eq4", "the sign is flipped"),
        ("nielsen/cross_entropy_extra_sigma_prime_eq4", "your numbers match an extra σ'(z^L) in eq (4)"),
        ("nielsen/weights_updated_inside_backprop_eq5", "W^3 (self.weights[-1]) updated inside backprop before"),
        ("nielsen/weights_updated_inside_backprop_eq5", "Network.backprop changes self.weights[-1] while it runs"),
        ("nielsen/off_by_one_weight_index_eq5", "W^3 (self.weights[-2]) where W^4 (self.weights[-1]) belongs"),
        ("dlfs/mean_taken_twice_eq2", "dW^3 (grads['W2']) is exactly 1/K = 1/64 ×"),
        ("dlfs/mean_taken_twice_eq2", "the mean is taken twice"),
        ("dlfs/softmax_loss_sign_eq4", "are both exactly −1 ×"),
        ("dlfs/relu_mask_not_applied_eq5", "your numbers match σ'(z^2) left out of eq (5)"),
        ("dlfs/dw_product_order_eq2", "dW^3 (grads['W2']) is the transpose of ∂C_T/∂W^3"),
        ("dlfs/w_not_transposed_eq5", "your numbers match W^3 (params['W2']) not transposed in eq (5)"),
        ("dlfs/bias_summed_over_units_eq3", "grads['b2'] has shape (64,), expected (2,)"),
        ("dlfs/bias_summed_over_units_eq3", "summed over the units where eq (3) sums over the examples k"),
        # the hint speaks the course's orientation and names where its code divides by the batch size
        ("no_delta_transposed_eq2", "delta[l].T @ a[l - 1]"),
        ("dlfs/dw_product_order_eq2", "np.dot(self.x.T, dout)"),
        ("cs231n/dw_product_order_eq2", "(n_{l−1}, n_l) as the course's W"),
        ("dlai/dw_product_order_eq2", "dW = np.dot(dZ, A_prev.T) / m"),
        ("dlfs/mean_taken_twice_eq2", "(SoftmaxWithLoss.backward's / batch_size)"),
        ("dlai/mean_taken_twice_eq2", "(linear_backward's 1/m in dW and db; dAL has none)"),
        ("dlai/sigma_prime_of_a_eq4", "your numbers match σ' applied to a^L instead of z^L in eq (4)"),
        ("w_not_transposed_eq5", "(with examples as rows: delta[4] @ W[4].T where delta[4] @ W[4] belongs)"),
        ("dlai/w_not_transposed_eq5", "(np.dot(W, dZ) where np.dot(W.T, dZ) belongs)"),
        ("cs231n/w_not_transposed_eq5", "(dout.dot(w) where dout.dot(w.T) belongs"),
        ("dlfs/w_not_transposed_eq5", "(np.dot(dout, self.W) where np.dot(dout, self.W.T) belongs"),
    ],
)
def test_verdict_details(stem, phrase):
    v = diagnose_file(EXAMPLES / "mistakes" / f"{stem}.py").verdict
    assert phrase in "\n".join([v.headline, v.hint] + v.notes), v.text()


@pytest.mark.parametrize("path", ALL_MISTAKES, ids=lambda p: p.relative_to(EXAMPLES / "mistakes").as_posix())
def test_archs_1_never_blames_an_equation_that_holds(path):
    """`--archs 1` runs the first 3 of the default networks: judged alone, they name the planted equation or none."""
    v = diagnose_file(path).verdict
    alone = judge(v.session, v.results[:3])
    assert alone.status == "fail" and alone.eq in (v.loaded.constants["EXPECTED_EQUATION"], ""), alone.headline


def test_archs_1_runs_a_network_of_equal_widths_where_a_wrong_index_is_named_by_its_values(capsys):
    # the lecture's 12-3-2 raises; --archs 1's network has equal widths, where the off-by-one index runs
    rc, out, _ = run(capsys, EXAMPLES / "mistakes" / "nielsen" / "off_by_one_weight_index_eq5.py", "--archs", "1")
    assert rc == 1
    assert "FAIL: eq (5) fails at layer l = 3: dW^3 (nabla_w[-2]) and db^3 (nabla_b[-2]) both differ" in out
    assert "your numbers match off-by-one layer index in eq (5)" in out
    assert "it raises instead (12-3-2 (L = 3, K = 64), 12-3-2 (L = 3, K = 1)) — all have unequal widths" in out


BAD = {
    "syntax": ("def backprop(W, b, X, T)\n    return 1\n", "does not import: line 1: SyntaxError"),
    "import": ("x = undefined_name\n", "does not import: line 1: NameError"),
    "missing": ("def back_prop(W, b, X, T):\n    pass\n", "mine.py:back_prop"),
    "not_callable": ("backprop = 3\n", "backprop is not a function"),
    "arity": ("def backprop(W, b, X):\n    pass\n", "does not take four arguments (W, b, X, T)"),
    "none": (
        "def backprop(W, b, X, T):\n    dW = {}\n",
        "returned NoneType; it must return (dW, db) or (dW, db, delta)",
    ),
    "four": ("def backprop(W, b, X, T):\n    return 1, 2, 3, 4\n", "returned tuple of 4"),
    "list": ("def backprop(W, b, X, T):\n    return [1], {}\n", "returned dW as list"),
    "keys": ("def backprop(W, b, X, T):\n    return {0: 1.0}, {0: 1.0}\n", "keyed [0]; the lecture keys layers l = 2"),
    "str": ("def backprop(W, b, X, T):\n    return {l: 'x' for l in W}, {}\n", "returned dW[2] as str"),
    "bad_cost_constant": (
        "COST = 'hinge'\ndef backprop(W, b, X, T):\n    pass\n",
        "mine.py sets COST: unknown cost 'hinge'",
    ),
    "bad_activation_constant": (
        "COST = 'squared_error'\nACTIVATION = 'swish'\ndef backprop(W, b, X, T):\n    pass\n",
        "mine.py sets ACTIVATION: unknown activation 'swish'",
    ),
}


@pytest.mark.parametrize("kind", sorted(BAD))
def test_unusable_file_exits_2_with_one_line(capsys, tmp_path, kind):
    source, message = BAD[kind]
    rc, out, err = run(capsys, user_file(tmp_path, source), "--archs", "1")
    assert rc == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("error: ") and message in err, err


@pytest.mark.parametrize(
    "argv, message",
    [
        (["nothere.py"], "nothere.py: no such file"),
        ([".", "--archs", "1"], ": not a file"),
        (["{correct}:nope"], "has no function or class 'nope'"),
        (
            ["{correct}", "--activation", "swish"],
            "error: --activation swish: unknown activation 'swish'; choose one of",
        ),
        (
            ["{correct}", "--activation", "softmax"],
            "error: --activation softmax: activation softmax can only be the output layer's",
        ),
        (["{correct}", "--cost", "hinge"], "error: --cost hinge: unknown cost 'hinge'; choose one of"),
        (["{correct}", "--archs", "-1"], "--archs: must be an integer >= 0"),
    ],
)
def test_unusable_arguments_exit_2_with_one_line(capsys, argv, message):
    argv = [a.format(correct=EXAMPLES / "correct.py") for a in argv]
    rc, out, err = run(capsys, *argv)
    assert rc == 2 and err.count("\n") == 1 and message in err, err
    assert " sets " not in err  # a flag's bad value is never blamed on the file's ACTIVATION / COST


def test_a_bad_flag_is_blamed_on_the_flag_even_when_the_file_sets_the_other(capsys, tmp_path):
    p = user_file(tmp_path, "ACTIVATION = 'swish'\ndef backprop(W, b, X, T):\n    pass\n")
    rc, _, err = run(capsys, p, "--cost", "hinge")  # a flag wrong on its own is named before the file is run
    assert rc == 2 and err.startswith("error: --cost hinge: unknown cost 'hinge'"), err
    rc, _, err = run(capsys, p, "--cost", "cross_entropy")  # the file's value is named as the file's
    assert rc == 2 and "mine.py sets ACTIVATION: unknown activation 'swish'" in err, err
    rc, _, err = run(capsys, p, "--activation", "tanh", "--cost", "hinge")
    assert rc == 2 and err.startswith("error: --cost hinge: unknown cost 'hinge'"), err


def test_exception_inside_user_code_shows_their_traceback_only(capsys, tmp_path):
    p = user_file(
        tmp_path,
        """\
        def helper(x):
            return x @ undefined

        def backprop(W, b, X, T):
            return helper(X)
        """,
    )
    rc, out, err = run(capsys, p, "--archs", "1")
    assert rc == 1 and err == ""
    assert "FAIL: backprop raises NameError at line 2 in helper (`return x @ undefined`)" in out
    assert f'File "{p}", line 5, in backprop' in out and f'File "{p}", line 2, in helper' in out
    assert "comparisons" not in out.split("traceback (your code only):")[1].split("networks")[0]


PREFILLED = """\
import numpy as np


def backprop(W, b, X, T):
    L, K = max(W), X.shape[0]
    s = lambda z: 1 / (1 + np.exp(-z))
    delta = {l: np.zeros((K, W[l].shape[0])) for l in W}
    for k in range(K):
        a = {1: X[k]}
        for l in range(2, L + 1):
            a[l] = s(W[l] @ a[l - 1] + b[l])
        delta[L][k] = (a[L] - T[k]) * a[L] * (1 - a[L])
        for l in range(L - 1, 1, -1):
            delta[l][k] = (W[l + 1] @ delta[l + 1][k]) * a[l] * (1 - a[l])
    return {}, {}
"""
GRADS = """\
import numpy as np


def backprop(W, b, X, T):
    L = max(W)
    a = {1: X}
    for l in range(2, L + 1):
        a[l] = 1 / (1 + np.exp(-(a[l - 1] @ W[l].T + b[l])))
    delta = {L: (a[L] - T) * a[L] * (1 - a[L])}
    for l in range(L - 1, 1, -1):
        delta[l] = (delta[l + 1] @ W[l + 1]) * a[l] * (1 - a[l])
    grads = {}
    for l in range(L, 1, -1):
        grads[l] = delta[l] @ a[l - 1]
    return grads, {l: delta[l].sum(0) for l in delta}
"""


MULTILINE = CORRECT.replace(
    "        delta[l] = (delta[l + 1] @ W[l + 1]) * a[l] * (1 - a[l])",
    "        delta[l] = (\n            (delta[l + 1] @ W[l + 1].T)\n"
    "            * a[l]\n            * (1 - a[l])\n        )",
)


@pytest.mark.parametrize(
    "source, named",
    [
        # the line that raised is the second of a statement over five: the whole statement's shapes are read
        (MULTILINE, "FAIL: backprop raises ValueError at line 28 (`(delta[l + 1] @ W"),
        (PREFILLED, "FAIL: backprop raises ValueError at line 14 (`delta[l][k] = "),
        (GRADS, "FAIL: backprop raises ValueError at line 14 (`grads[l] = "),
    ],
    ids=["statement over several lines", "prefilled per-example loop", "gradient under another name"],
)
def test_a_crash_alone_names_its_line_and_shapes_never_a_guessed_equation(capsys, tmp_path, source, named):
    rc, out, _ = run(capsys, user_file(tmp_path, source), "--archs", "0")  # 12-3-2 alone: every run raises
    assert rc == 1 and named in out, out
    assert "), with " in out and "eq (" not in out.split("hint:")[0]


@pytest.mark.parametrize(
    "old, new, hint",
    [
        (
            "    for l in range(L - 1, 1, -1):\n",
            "    W[L] -= 0.5 * delta[L].T @ a[L - 1]\n    for l in range(L - 1, 1, -1):\n",
            "hint: your numbers match W^3 updated inside backprop before the recurrence uses it",
        ),
        (
            "db = {l: delta[l].sum(axis=0) for l in delta}",
            "db = {l: (delta[l + 1] @ W[l + 1] if l < L else a[L] - T).sum(axis=0) for l in delta}",
            "hint: your numbers match the bias gradient taken before the ⊙ σ'(z^3) of eq (4)",
        ),
        (
            "delta = {L: (a[L] - T) * a[L] * (1 - a[L])}",
            "delta = {L: (a[L] - T) * sigma(a[L]) * (1 - sigma(a[L]))}",
            "hint: your numbers match σ' applied to a^L instead of z^L in eq (4)",
        ),
    ],
    ids=["parameters updated inside backprop", "bias gradient before sigma prime", "sigma prime of a at the output"],
)
def test_specific_hints_for_the_common_real_bugs(capsys, tmp_path, old, new, hint):
    assert CORRECT.count(old) == 1
    rc, out, _ = run(capsys, user_file(tmp_path, CORRECT.replace(old, new)), "--archs", "1")
    assert rc == 1 and hint in out, out


def test_nan_is_a_wrong_backprop(capsys, tmp_path):
    p = user_file(
        tmp_path,
        CORRECT.replace("    return dW, db, delta", "    dW[2] = dW[2] * float('nan')\n    return dW, db, delta"),
    )
    rc, out, _ = run(capsys, p, "--archs", "1")
    assert rc == 1 and "eq (2) fails at layer l = 2: dW^2 contains NaN in 36 of 36 entries" in out


def test_all_nan_dw_without_delta_says_nan_and_where(capsys, tmp_path):
    p = user_file(
        tmp_path,
        """\
        import numpy as np

        def backprop(W, b, X, T):
            return {l: np.full_like(w, np.nan) for l, w in W.items()}, {l: np.zeros_like(v) for l, v in b.items()}
        """,
    )
    rc, out, _ = run(capsys, p, "--archs", "1")
    assert rc == 1
    head, hint = out.splitlines()[1:3]
    assert head.startswith(
        "FAIL: eq (4) fails at the output layer l = 3: dW^3 and db^3 are both wrong: "
        "dW^3 contains NaN in 6 of 6 entries; db^3 differs"
    ), head
    assert "inf)" not in head and hint.startswith("hint: NaN or inf:")
    assert "the result also contains NaN or inf: dW^2 (NaN in 36 of 36 entries)" in out
    rows = out.split("networks")[1].splitlines()[:-1]  # the last line repeats the verdict
    assert "FAIL: eq (4) at l = 3 (contains NaN)" in out and "rel err 1)" not in "\n".join(rows)


def test_user_function_gets_copies_and_a_note_when_it_mutates(capsys, tmp_path):
    p = user_file(
        tmp_path,
        CORRECT.replace(
            "    return dW, db, delta",
            "    for l in W:\n        W[l][...] = 0\n    X[...] = 0\n    return dW, db, delta",
        ),
    )
    rc, out, _ = run(capsys, p, "--archs", "2")
    assert rc == 0 and "PASS" in out
    assert "note: backprop modifies its argument(s) W, X in place" in out


def test_cost_and_activation_flags_cross_entropy_softmax(capsys, tmp_path):
    p = user_file(
        tmp_path,
        """\
        import numpy as np

        def backprop(W, b, X, T):
            L = max(W)
            a, z = {1: X}, {}
            for l in range(2, L + 1):
                z[l] = a[l - 1] @ W[l].T + b[l]
                if l < L:
                    a[l] = np.tanh(z[l])
                else:
                    e = np.exp(z[l] - z[l].max(axis=1, keepdims=True))
                    a[l] = e / e.sum(axis=1, keepdims=True)
            delta = {L: a[L] - T}  # (4) for softmax + cross-entropy
            for l in range(L - 1, 1, -1):
                delta[l] = (delta[l + 1] @ W[l + 1]) * (1 - a[l] ** 2)  # (5)
            return {l: delta[l].T @ a[l - 1] for l in delta}, {l: delta[l].sum(0) for l in delta}
        """,
    )
    rc, out, _ = run(capsys, p, "--cost", "cross_entropy", "--activation", "tanh", "--archs", "3")
    assert rc == 0, out
    assert "PASS: dW and db (no δ returned) agree" in out
    rc, out, _ = run(capsys, p, "--archs", "1")  # the lecture's sigmoid + squared error: wrong for this function
    assert rc == 1


def test_committed_gallery_report_is_what_the_gallery_gives_now():
    # the verdicts computed file by file in this session give, byte for byte, the committed report
    text = gallery.markdown([diagnose_file(f) for f in gallery.gallery_files()], 6, 0)
    assert text == (ROOT / "reports" / "mistakes.md").read_text(encoding="utf-8"), "stale: run make report"
    assert str(ROOT) not in text
    n = len(ALL_MISTAKES) + len(gallery.CORRECT)  # and the correct base files
    assert f"{n} of {n} files are diagnosed as intended" in text
    for f in ALL_MISTAKES:
        assert f"`{f.relative_to(ROOT).as_posix()}`" in text


def test_gallery_command_is_atomic_deterministic_and_relative(capsys, tmp_path, monkeypatch):
    examples = tmp_path / "repo" / "examples"
    (examples / "mistakes" / "nielsen").mkdir(parents=True)
    for f in ("correct.py", "mistakes/wrong_sign_eq4.py", "mistakes/nielsen/cost_delta_sign_eq4.py"):
        (examples / f).write_bytes((EXAMPLES / f).read_bytes())
    monkeypatch.setattr(gallery, "EXAMPLES", examples)
    assert cli.main(["gallery", "--archs", "1", "--out", str(tmp_path / "a")]) == 0
    assert cli.main(["gallery", "--archs", "1", "--out", str(tmp_path / "b")]) == 0
    assert "3 of 3 gallery files diagnosed as intended" in capsys.readouterr().out
    a = (tmp_path / "a" / "mistakes.md").read_bytes()
    assert a == (tmp_path / "b" / "mistakes.md").read_bytes()
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == ["mistakes.md"]
    assert str(tmp_path) not in a.decode("utf-8") and "`examples/mistakes/nielsen/cost_delta_sign_eq4.py`" in a.decode()
    (examples / "mistakes" / "wrong_sign_eq4.py").write_text(
        CORRECT.replace("EXPECTED_EQUATION = None", "EXPECTED_EQUATION = '4'")
    )
    assert cli.main(["gallery", "--archs", "1", "--out", str(tmp_path / "c")]) == 1  # a mistake that passes: not caught
    assert "| NO |" in (tmp_path / "c" / "mistakes.md").read_text(encoding="utf-8")


def test_gallery_refuses_a_file_as_out_dir(capsys, tmp_path):
    f = tmp_path / "f"
    f.write_text("x")
    assert cli.main(["gallery", "--out", str(f)]) == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_empty_result_is_unusable_and_transposed_delta_is_named(capsys, tmp_path):
    p = user_file(tmp_path, "def backprop(W, b, X, T):\n    return {}, {}\n")
    rc, _, err = run(capsys, p, "--archs", "1")
    assert rc == 2 and "returned an empty dW" in err
    p = user_file(
        tmp_path, CORRECT.replace("return dW, db, delta", "return dW, db, {l: d.T for l, d in delta.items()}"), "t.py"
    )
    rc, out, _ = run(capsys, p, "--archs", "1")
    assert rc == 1 and "eq (4) fails at the output layer l = 3: δ^3 is the transpose of ∂C/∂z^3" in out
    assert "only the returned δ is off" in out


def test_docs_example_file_passes(capsys, tmp_path):
    import re

    blocks = re.findall(r"```python\n(.*?)```", (ROOT / "docs" / "diagnose.md").read_text(encoding="utf-8"), flags=re.S)
    source = next(b for b in blocks if "def backprop(W, b, X, T)" in b)
    rc, out, _ = run(capsys, user_file(tmp_path, source), "--archs", "2")
    assert rc == 0 and "PASS: dW, db and δ agree" in out


@pytest.mark.parametrize("stem", ["nielsen/sigma_prime_of_activation_eq5", "dlai/sigma_prime_of_a_eq4"])
def test_the_table_gives_the_headlines_rel_err_for_the_same_network(stem):
    """dW and db both wrong (δ inferred): the headline's rel err is the larger of the two, and so is the table's."""
    import re

    v = diagnose_file(EXAMPLES / "mistakes" / f"{stem}.py").verdict
    err, label = re.search(r"rel err ([0-9.e+-]+)\).*\[on (.+)\]$", v.headline).groups()
    row = next(line for line in v.text().splitlines() if line.strip().startswith(label))
    assert f"(rel err {err})" in row, (v.headline, row)


def test_a_multiple_is_named_only_where_being_one_says_something():
    """Two classes' db^L both sum to 0, so any two are multiples: 0.076 × is a value difference there; −1 × (a
    classic mistake's factor) is still named, and any factor of a tensor of 3 entries or more."""
    import numpy as np

    from comparisons.diagnose.compare import check

    r = np.array([0.3, -0.3])
    assert check(0.076 * r, r, K=64).status == "value"
    assert (check(-r, r, K=64).status, check(r / 64, r, K=64).factor) == ("factor", 1 / 64)
    r3 = np.array([0.3, -0.1, -0.2])
    assert check(0.076 * r3, r3, K=64).status == "factor"


def test_a_missing_layer_key_is_named_with_the_loop_that_leaves_it_out(tmp_path, capsys):
    """The recurrence stops one layer early and the gradients' loop then asks for δ^2: a KeyError, whose hint says
    which layers the dicts hold and which range reaches δ^2."""
    source = CORRECT.replace("range(L - 1, 1, -1)", "range(L - 1, 2, -1)").replace("for l in delta}", "for l in W}")
    assert source.count("range(L - 1, 2, -1)") == 1 and source.count("for l in W}") == 2
    rc, out, _ = run(capsys, user_file(tmp_path, source), "--archs", "0")
    assert rc == 1 and "raises KeyError" in out
    assert "hint: no entry for layer 2: the lecture's dicts are keyed by l = 2 … L = 3" in out


def test_shapes_that_do_not_fit_are_explained_in_the_courses_orientation(capsys):
    """Nielsen's code holds one example as a column: the hint gives his shapes and products, not the lecture's rows."""
    rc, out, _ = run(capsys, EXAMPLES / "mistakes" / "nielsen" / "off_by_one_weight_index_eq5.py", "--archs", "0")
    assert rc == 1 and "raises ValueError" in out
    assert "with one example as a column δ^l and z^l are (n_l, 1)" in out and "with the examples as rows" not in out
