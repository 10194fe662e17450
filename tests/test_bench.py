"""`deltacheck bench` runs and writes well-formed files (timings are never asserted), and the
training step stays within its memory bound (tracemalloc counts bytes, not time)."""
import pandas as pd
import pytest

from comparisons import bench
from comparisons.cli import main

TINY_LADDER = [((5, 4, 3), 8), ((12, 3, 2), 16)]
TINY = bench.Settings(warmup=1, min_reps=2, min_time=0.0, peak_sizes=(32,), rounds=2)


def test_bench_quick_writes_a_well_formed_report(tmp_path, monkeypatch):
    monkeypatch.setattr(bench, "QUICK_LADDER", TINY_LADDER)
    monkeypatch.setattr(bench, "QUICK", TINY)
    assert main(["bench", "--quick", "--out", str(tmp_path)]) == 0
    df = pd.read_csv(tmp_path / "bench.csv")
    assert len(df) == len(TINY_LADDER) * len(bench.DTYPES) * len(bench.ACTIVATIONS)
    assert set(df["sizes"]) == {"5-4-3", "12-3-2"}
    assert (df[["manual_ms", "torch_ms", "ratio", "manual_gflops", "peak_gflops"]] > 0).all().all()
    assert (df["flops"] == [bench.flops(tuple(map(int, s.split("-"))), k) for s, k in zip(df["sizes"], df["K"])]).all()
    md = (tmp_path / "bench.md").read_text()
    assert "6·K·Σ_l n_l·n_{l−1}" in md and "deltacheck bench --quick" in md and "Threads:" in md
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
    assert peak <= needed + allowed, (peak, needed, allowed)


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
