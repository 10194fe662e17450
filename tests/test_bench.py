"""`deltacheck bench`: every side takes the same step as manual_bp, stalls are seen and measured again, the
report is well formed and says met or missed for each target (timings are never asserted), and the
training step stays within its memory bound (tracemalloc counts bytes, not time)."""

import time

import numpy as np
import pandas as pd
import pytest
import torch

from comparisons.bench import run as bench
from comparisons.bench import sides, timing
from comparisons.bench.split import gemm_flops
from comparisons.bench.targets import targets
from comparisons.cli import build_parser, main

TINY = timing.Settings(
    warmup=1, min_reps=2, min_time=0.0, peak_sizes=(32,), rounds=2, target_reps=4, max_time=0.02, peak_reps=2, pause=0
)


@pytest.fixture
def tiny(monkeypatch):
    monkeypatch.setattr(timing, "QUICK", TINY)


def after_one_step(make, activation, dtype="float64", eta=0.05):
    """The parameters of one side after one step from the shared start, as NumPy arrays."""
    net, X, T = sides.problem((6, 5, 4, 3), 7, dtype, activation, seed=2)
    side = make(net, X, T, eta)
    side.step()
    return [p.detach().numpy() if isinstance(p, torch.Tensor) else p for p in side.params]


@pytest.mark.parametrize("activation", ["sigmoid", "relu"])
@pytest.mark.parametrize("make", [sides.torch_plain, sides.torch_module, sides.numpy_floor])
def test_every_baseline_takes_the_same_step_as_manual_bp(make, activation):
    for got, want in zip(after_one_step(make, activation), after_one_step(sides.manual, activation)):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)


def test_the_step_comparison_catches_a_wrong_baseline(monkeypatch):
    """A floor that forgets σ' in eq (5) no longer takes manual_bp's step: the check above has teeth."""
    monkeypatch.setitem(sides.FLOOR_ACT, "sigmoid", (sides.FLOOR_ACT["sigmoid"][0], lambda z, a: 1.0))
    got, want = after_one_step(sides.numpy_floor, "sigmoid"), after_one_step(sides.manual, "sigmoid")
    assert not all(np.allclose(g, w, rtol=1e-12, atol=1e-14) for g, w in zip(got, want))


def test_the_compiled_step_is_the_plain_step(monkeypatch):
    """torch_compiled runs torch_plain's cost through torch.compile (replaced here: inductor takes ~30 s cold)."""
    monkeypatch.setattr(torch, "compile", lambda f, **kw: f)
    for got, want in zip(after_one_step(sides.torch_compiled, "relu"), after_one_step(sides.manual, "relu")):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)


def test_a_compile_failure_is_reported_not_fatal(monkeypatch):
    def broken(*a, **k):
        raise RuntimeError("no C++ compiler\nsecond line")

    monkeypatch.setattr(torch, "compile", broken)
    net, X, T = sides.problem((5, 4, 3), 8, "float64", "sigmoid")
    steps, errors = sides.baselines(net, X, T, 1e-3)
    assert set(steps) == {"torch_plain", "torch_module", "numpy_floor"}
    assert errors == {"torch_compiled": "RuntimeError: no C++ compiler"}
    assert sides.baselines(net, X, T, 1e-3, skip_compile="--quick")[1] == {"torch_compiled": "not run (--quick)"}


def test_stalled_blocks_are_judged_against_the_best_block_and_the_reference():
    blocks = [[1.0, 1.1], [1.0, 1.0], [2.0, 2.2]]
    assert timing.stalled_blocks(blocks) == [2]
    assert timing.stalled_blocks(blocks, reference=0.5) == [0, 1, 2]  # every block slow: seen by the reference
    assert timing.stalled_blocks([[1.0], [1.4]]) == []


def test_a_stall_lasting_a_whole_block_is_seen_and_measured_again():
    calls = []

    def stalls_in_its_first_block():
        calls.append(1)
        time.sleep(0.02 if len(calls) <= 4 else 0.001)  # warm-up + the first block of 3 runs: 20× slower

    settings = timing.Settings(warmup=1, min_reps=9, min_time=0.0, peak_sizes=(), rounds=3, remeasure=1)
    t = timing.measure({"f": stalls_in_its_first_block}, settings)["f"]
    assert t.remeasured == 1 and t.stalls == 0  # the first round was measured again, and the stall is gone
    assert max(t.times) < 0.015
    always_slow = timing.measure({"f": lambda: time.sleep(0.002)}, settings, reference={"f": 1e-4})["f"]
    assert always_slow.stalls == 3 and always_slow.noisy  # stalled everywhere against the 1-thread reference


def test_bench_quick_writes_a_well_formed_report(tmp_path, tiny, capsys):
    assert main(["bench", "--quick", "--case", "12-3-2:16", "--out", str(tmp_path)]) == 0
    out, err = capsys.readouterr()  # the verdict on stdout, one line per timed case on stderr
    assert out.startswith("targets met: ") and out.splitlines()[-1] == f"report in {tmp_path}/bench.md"
    assert err.count("\n") == len(bench.DTYPES) * len(bench.ACTIVATIONS) * len(bench.THREADS) and "targets" not in err
    df = pd.read_csv(tmp_path / "bench.csv")
    assert len(df) == len(bench.DTYPES) * len(bench.ACTIVATIONS) * len(bench.THREADS) * len(bench.SIDES)
    assert set(df["sizes"]) == {"12-3-2"} and set(df["threads"]) == {1, 2}
    assert (df["blas_threads"] == df["threads"]).all()  # threadpoolctl did set NumPy's BLAS
    timed = df[df["side"] != "torch_compiled"]
    assert (timed[["median_ms", "min_ms", "manual_ratio", "manual_ratio_best"]] > 0).all().all()
    assert (timed["q25_ms"] <= timed["median_ms"]).all() and (timed["median_ms"] <= timed["q75_ms"]).all()
    assert (timed["runs"] >= TINY.min_reps).all()
    assert (df[df["side"] == "torch_compiled"]["error"] == "not run (--quick)").all()
    manual = df[df["side"] == "manual"]
    assert (manual["fastest_torch"] == "torch_plain").all()
    assert np.allclose(manual["gemm_ms"] + manual["elementwise_ms"] + manual["update_ms"], manual["median_ms"])
    sizes = [tuple(map(int, s.split("-"))) for s in manual["sizes"]]
    assert (manual["gemm_flops"] == [gemm_flops(s, k) for s, k in zip(sizes, manual["K"])]).all()
    assert (manual["gemm_share_pct"] >= manual["gemm_share_median_pct"]).all()  # the best run against the median
    assert (manual["mem_bound_mib"] >= manual["mem_needed_mib"]).all()
    md = (tmp_path / "bench.md").read_text()
    for heading in ("## Targets", "## manual_bp ÷ each baseline, 1 thread", "## manual_bp ÷ each baseline, 2 threads"):
        assert heading in md, heading
    assert "deltacheck bench --quick" in md and "Load average (1, 5, 15 min) at start:" in md
    head = md.split("## manual_bp ÷")[0]
    rows = [l for l in head.splitlines() if l.startswith(("| manual", "| memory"))]
    # per size and dtype: one torch target and one floor target; per dtype the GEMM share; memory
    assert len(rows) == 2 * len(bench.DTYPES) + len(bench.DTYPES) + 1, rows
    assert "not measured" in rows[-2] and "| met" in rows[-1]  # no GEMM-share size here; memory within bound
    assert all(l.rstrip(" |").endswith(("met", "**missed**", "not measured")) for l in rows), rows
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")], "staging directory left behind"


def test_bench_refuses_bad_arguments_in_one_line(tmp_path, capsys):
    (tmp_path / "f").write_text("x")
    for argv, says in [
        (["--out", str(tmp_path / "f")], "is a file"),
        (["--threads", "0"], "--threads"),
        (["--threads", "1,1"], "--threads"),
        (["--case", "12-3-2"], "--case"),
        (["--case", "12-0-2:5"], "--case"),
        (["--case", "12-3-2:0"], "--case"),
    ]:
        assert main(["bench", *argv]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and says in err, err


@pytest.mark.parametrize("ratio, status", [(1.0, "met"), (bench.FLOOR_TARGET, "met"), (1.12, "missed")])
def test_the_floor_target_is_manual_within_1_1_of_the_floor(ratio, status):
    base = dict(sizes="12-3-2", K=64, dtype="float64", threads=1, noisy=False, split_noisy=False, mem_ok=True)
    df = pd.DataFrame(
        [
            dict(base, side="manual", activation="relu", target_ratio=0.25, fastest_torch="torch_plain",
                 manual_over_fastest_torch_best=0.2, gemm_share_pct=90.0, mem_peak_mib=1.0, mem_bound_mib=2.0),
            dict(base, side="numpy_floor", activation="relu", median_ms=1.0, manual_ratio=9.0,
                 manual_ratio_best=ratio),
        ]
    )  # fmt: skip
    floor = [g for g in targets(df) if "NumPy floor" in g["target"]]
    assert [g["status"] for g in floor] == [status] and "≤ 1.1 at 12-3-2 K=64" in floor[0]["target"]


def test_summary_says_met_or_missed_for_each_target():
    """targets() decides by the paired ratios at 1 thread: torch ratio and floor ratio per size and dtype, GEMM share.

    The medians' ratios are set the other way round: the verdict must not read them."""
    base = dict(K=512, dtype="float64", threads=1, noisy=False, split_noisy=False, mem_ok=True)
    manual = dict(base, side="manual", sizes="1024-1024-1024-1024", target_ratio=1.0, fastest_torch="torch_plain")
    manual.update(mem_peak_mib=1.0, mem_bound_mib=2.0)
    df = pd.DataFrame(
        [
            dict(manual, activation="sigmoid", manual_over_fastest_torch_best=0.9, manual_over_fastest_torch=1.5,
                 gemm_share_pct=85.0),
            dict(manual, activation="relu", manual_over_fastest_torch_best=1.2, manual_over_fastest_torch=0.5,
                 gemm_share_pct=70.0),
            dict(manual, activation="sigmoid", threads=2, manual_over_fastest_torch_best=9.0, gemm_share_pct=1.0),
            dict(base, side="numpy_floor", sizes=manual["sizes"], activation="sigmoid", median_ms=1.0,
                 manual_ratio=2.0, manual_ratio_best=0.9),
            dict(base, side="numpy_floor", sizes=manual["sizes"], activation="relu", median_ms=1.0,
                 manual_ratio=2.0, manual_ratio_best=0.95),
        ]
    )  # fmt: skip
    goals = targets(df)
    assert [g["status"] for g in goals] == ["missed", "met", "missed", "met"]
    assert "sigmoid 0.9 (vs torch plain), relu 1.2" in goals[0]["measured"]
    assert "sigmoid 85%" in goals[2]["measured"] and "relu 70%" in goals[2]["measured"]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("activation", ["sigmoid", "relu", "tanh"])
def test_training_step_memory_within_one_activation_temporary_per_layer(activation, dtype):
    from comparisons.bench.memory import step_memory

    net, X, T = sides.problem((100, 200, 200, 50), 64, dtype, activation)
    peak, needed, allowed = step_memory(net, X, T)
    assert needed <= peak <= needed + allowed, (peak, needed, allowed)  # needed is a floor: the step holds it all


def test_every_bench_option_has_help():
    sub = next(a for a in build_parser()._actions if a.dest == "command").choices["bench"]
    assert all(a.help for a in sub._actions), [a.dest for a in sub._actions if not a.help]


def test_gemm_flops_counts_three_products_per_layer_but_no_delta_1():
    assert gemm_flops((12, 3, 2), 64) == 2 * 64 * (2 * (36 + 6) + 6)
