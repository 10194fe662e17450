"""`deltacheck bench` runs and writes well-formed files (timings are never asserted), and the
training step stays within its memory bound (tracemalloc counts bytes, not time)."""

import pandas as pd
import pytest

from comparisons.bench import report as bench_report
from comparisons.bench import timing as bench
from comparisons.cli import build_parser, main

TINY_LADDER = [((5, 4, 3), 8), ((12, 3, 2), 16)]
TINY = bench.Settings(
    warmup=1, min_reps=2, min_time=0.0, peak_sizes=(32,), rounds=2, target_reps=4, max_time=0.05, peak_reps=2
)


def test_bench_quick_writes_a_well_formed_report(tmp_path, monkeypatch):
    monkeypatch.setattr(bench, "QUICK_LADDER", TINY_LADDER)
    monkeypatch.setattr(bench, "QUICK", TINY)
    assert main(["bench", "--quick", "--out", str(tmp_path)]) == 0
    df = pd.read_csv(tmp_path / "bench.csv")
    assert len(df) == len(TINY_LADDER) * len(bench.DTYPES) * len(bench.ACTIVATIONS)
    assert set(df["sizes"]) == {"5-4-3", "12-3-2"}
    assert (df[["manual_ms", "torch_ms", "ratio", "manual_gflops", "peak_gflops"]] > 0).all().all()
    assert (df["flops"] == [bench.flops(tuple(map(int, s.split("-"))), k) for s, k in zip(df["sizes"], df["K"])]).all()
    assert (df["manual_q25_ms"] <= df["manual_ms"]).all() and (df["manual_ms"] <= df["manual_q75_ms"]).all()
    assert (df["torch_q25_ms"] <= df["torch_ms"]).all() and (df["torch_ms"] <= df["torch_q75_ms"]).all()
    assert (df[["reps_manual", "reps_torch"]] >= TINY.min_reps).all().all()
    assert (df["manual_min_ms"] <= df["manual_q25_ms"]).all() and (df["torch_min_ms"] <= df["torch_q25_ms"]).all()
    assert (df["mem_bound_mib"] >= df["mem_needed_mib"]).all()
    md = (tmp_path / "bench.md").read_text()
    assert "6·K·Σ_l n_l·n_{l−1}" in md and "deltacheck bench --quick" in md and "Threads:" in md
    assert "Load average (1, 5, 15 min) at start:" in md and "## Targets" in md
    for line in ("`needed MiB`:", "`peak MiB`:", "`bound MiB`:"):
        assert line in md, line
    head = md.split("## GEMM peak")[0]
    targets = [l for l in head.splitlines() if l.startswith(("| manual", "| memory"))]
    # one ratio target per size and dtype, the share of peak (not in TINY_LADDER), memory: each says met or not
    assert len(targets) == len(TINY_LADDER) * len(bench.DTYPES) + 2, targets
    assert all(l.rstrip(" |").endswith(("met", "**missed**", "not measured")) for l in targets), targets
    assert "not measured" in targets[-2] and "| met" in targets[-1]  # TINY steps stay within their memory bound
    timing = md.split("## One training step")[1].split("## Memory")[0]
    assert "%" in timing and "0." not in "".join(l.split("|")[-2] for l in timing.splitlines() if l.startswith("| "))
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")], "staging directory left behind"


def test_bench_refuses_a_file_as_out(tmp_path, capsys):
    (tmp_path / "f").write_text("x")
    assert main(["bench", "--quick", "--out", str(tmp_path / "f")]) == 2
    assert "is a file" in capsys.readouterr().err


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("activation", ["sigmoid", "relu", "tanh"])
def test_training_step_memory_within_one_activation_temporary_per_layer(activation, dtype):
    net, _, X, T = bench.problem((100, 200, 200, 50), 64, dtype, activation)
    peak, needed, allowed = bench.step_memory(net, X, T)
    assert needed <= peak <= needed + allowed, (peak, needed, allowed)  # needed is a floor: the step holds it all


def test_summary_says_met_or_missed_for_each_target():
    """targets() decides by the medians: a ratio target per size and dtype, the share of peak, memory."""
    row = dict(
        K=512,
        dtype="float64",
        ratio=0.5,
        target_ratio=1.0,
        meets_ratio=True,
        share_of_peak_pct=80.0,
        mem_peak_mib=1.0,
        mem_bound_mib=2.0,
        mem_ok=True,
        noisy=False,
    )
    df = pd.DataFrame(
        [
            dict(row, sizes=bench.SHARE_SIZES, activation="sigmoid"),
            dict(row, sizes=bench.SHARE_SIZES, activation="relu", ratio=1.5, meets_ratio=False, share_of_peak_pct=70.0),
        ]
    )
    goals = bench_report.targets(df)
    assert [g["status"] for g in goals] == ["missed", "missed", "met"]
    assert "sigmoid 80%, relu 70%" in goals[1]["measured"]


def test_every_bench_option_has_help():
    sub = next(a for a in build_parser()._actions if a.dest == "command").choices["bench"]
    assert all(a.help for a in sub._actions), [a.dest for a in sub._actions if not a.help]


def test_bench_threads_option(tmp_path, monkeypatch):
    """--threads sets both sides through threadpoolctl; without threadpoolctl it is refused in one line."""
    monkeypatch.setattr(bench, "QUICK_LADDER", TINY_LADDER[:1])
    monkeypatch.setattr(bench, "QUICK", TINY)
    try:
        import threadpoolctl  # noqa: F401
    except ImportError:
        assert main(["bench", "--quick", "--threads", "1", "--out", str(tmp_path)]) == 2
        return
    assert main(["bench", "--quick", "--threads", "1", "--out", str(tmp_path)]) == 0
    assert (pd.read_csv(tmp_path / "bench.csv")["threads"] == 1).all()


def test_noisy_means_a_wide_iqr_or_a_median_far_above_the_fastest_run():
    assert not bench.is_noisy(dict(median=1.0, q25=0.95, q75=1.05, min=0.9))
    assert bench.is_noisy(dict(median=1.0, q25=0.7, q75=1.3, min=0.6))  # wide IQR
    assert bench.is_noisy(dict(median=50.0, q25=49.0, q75=51.0, min=0.3))  # a slow stretch filled the IQR too
