"""The bench's report: bench.csv (one row per case) and bench.md (the table and how it was measured)."""
from __future__ import annotations

import os
import platform

import numpy as np
import pandas as pd
import torch

from .reportio import write_csv, write_text

COLUMNS = ["sizes", "K", "dtype", "activation", "threads", "manual_ms", "torch_ms", "ratio", "target_ratio",
           "meets_ratio", "flops", "manual_gflops", "torch_gflops", "peak_gflops", "share_of_peak",
           "reps_manual", "reps_torch", "mem_peak_mb", "mem_needed_mb", "mem_allowed_extra_mb", "mem_ok"]
BLAS_ENV = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")
SHARE_TARGET = 0.75  # manual_bp's share of the GEMM peak at width 1024 in float64


def write_bench(stage, command, settings_name, rows, peaks, threads, source):
    """bench.csv and bench.md into the directory ``stage``."""
    df = pd.DataFrame(rows)[COLUMNS]
    write_csv(df, stage / "bench.csv")
    write_text(stage / "bench.md", _markdown(command, settings_name, df, peaks, threads, source))
    return df


def _env_line():
    set_vars = [f"`{v}={os.environ[v]}`" for v in BLAS_ENV if v in os.environ]
    return ", ".join(set_vars) if set_vars else "none set"


def _markdown(command, settings_name, df, peaks, threads, source):
    t = df.assign(step=df["sizes"] + " K=" + df["K"].astype(str))
    table = t[["step", "dtype", "activation", "manual_ms", "torch_ms", "ratio", "target_ratio", "manual_gflops",
               "share_of_peak", "mem_peak_mb", "mem_needed_mb"]].rename(columns={
        "manual_ms": "manual ms", "torch_ms": "torch ms", "ratio": "manual/torch", "target_ratio": "target",
        "manual_gflops": "manual GFLOP/s", "share_of_peak": "share of peak", "mem_peak_mb": "mem peak MiB",
        "mem_needed_mb": "needed MiB"})
    wide = df[(df["sizes"] == "1024-1024-1024-1024") & (df["dtype"] == "float64")]
    n_ratio = int(df["meets_ratio"].sum())
    share = (f"{wide['share_of_peak'].min():.0%}–{wide['share_of_peak'].max():.0%} (target ≥ {SHARE_TARGET:.0%})"
             if len(wide) else "not measured in this run")
    lines = [
        "# deltacheck bench: one training step of manual_bp against torch_ref, and against the GEMM peak",
        "",
        f"- Ratio manual/torch within target in **{n_ratio} of {len(df)}** cases; manual_bp at width 1024, "
        f"float64: **{share}** of NumPy's GEMM peak; memory within bound in {int(df['mem_ok'].sum())} of {len(df)}.",
        f"- Command: `{command}` ({settings_name} settings). Timings are wall time on a possibly shared machine:",
        "  other processes may have been running; rerun on a quiet machine before quoting a number.",
        f"- Machine: {platform.machine()}, {os.cpu_count()} CPUs, {platform.platform()}; Python "
        f"{platform.python_version()}, NumPy {np.__version__}, PyTorch {torch.__version__}.",
        f"- Threads: **{threads}** for both sides — NumPy's BLAS ({source}) and `torch.set_num_threads({threads})`.",
        f"- BLAS environment variables: {_env_line()}. `make report` runs the bench with OPENBLAS_CORETYPE and "
        "OPENBLAS_L2_SIZE unset (a forced core type can slow NumPy several-fold); nothing else changes them.",
        "",
        "## GEMM peak (NumPy, `np.matmul` of two n×n matrices, best run, measured before and after the cases)",
        "",
        "| dtype | GFLOP/s | at n |",
        "|---|---|---|",
        *[f"| {dt} | {g:.1f} | {n} |" for dt, (g, n) in peaks.items()],
        "",
        "## One training step: forward, δ, gradients, update",
        "",
        "Median wall time over repeated runs after warm-up, the two sides taking turns in blocks (so that load from",
        "other processes falls on both alike). Same network (weights copied bit for bit), same X and T",
        "(shared memory), same dtype, cost ½Σ(t − a)² summed over the K examples, plain SGD.",
        "manual: `manual_bp.TrainStep(net, SGD(η))`, data checked once before timing.",
        "torch: `zero_grad`, `TorchMLP.forward`, `F.mse_loss`, `backward`, `torch.optim.SGD.step`.",
        "GFLOP/s counts **6·K·Σ_l n_l·n_{l−1} flops per step** (three matrix products per layer); δ^1 is never",
        "formed, so the count — and the share of peak — is slightly flattering, by the first layer's third.",
        "",
        table.to_markdown(index=False, floatfmt=".3g"),
        "",
        "Memory: tracemalloc's peak during one manual step from fresh buffers (`mem peak`), against what the",
        "equations need (`needed`: z^l, a^l, δ^l, ∂C/∂W^l, ∂C/∂b^l and η·∂C/∂W for the largest W). The bound",
        "allows one activation-sized temporary per layer on top, plus 64 KiB for Python's own objects",
        "(`mem_allowed_extra_mb` in bench.csv).",
        "",
    ]
    return "\n".join(lines)
