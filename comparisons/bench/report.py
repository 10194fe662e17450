"""The bench's report: bench.csv (one row per case) and bench.md (targets met or missed, the tables, how
it was measured)."""

from __future__ import annotations

import os
import platform

import numpy as np
import pandas as pd
import torch

from comparisons.bench.timing import NOISY_IQR, NOISY_MIN, PYTHON_SLACK, SHARE_DTYPE, SHARE_SIZES, SHARE_TARGET
from comparisons.common.reportio import write_csv, write_text

COLUMNS = [
    "sizes",
    "K",
    "dtype",
    "activation",
    "threads",
    "manual_ms",
    "manual_q25_ms",
    "manual_q75_ms",
    "manual_min_ms",
    "torch_ms",
    "torch_q25_ms",
    "torch_q75_ms",
    "torch_min_ms",
    "noisy",
    "ratio",
    "target_ratio",
    "meets_ratio",
    "flops",
    "manual_gflops",
    "torch_gflops",
    "peak_gflops",
    "share_of_peak_pct",
    "reps_manual",
    "reps_torch",
    "mem_peak_mib",
    "mem_needed_mib",
    "mem_allowed_extra_mib",
    "mem_bound_mib",
    "mem_ok",
]
BLAS_ENV = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")


def write_bench(stage, command, settings_name, rows, peaks, threads, source, load=None):
    """bench.csv and bench.md into the directory ``stage``; returns (the table, the targets)."""
    df = pd.DataFrame(rows)[COLUMNS]
    goals = targets(df)
    write_csv(df, stage / "bench.csv")
    write_text(stage / "bench.md", _markdown(command, settings_name, df, goals, peaks, threads, source, load))
    return df, goals


def targets(df):
    """Each target with what was measured and whether it is met: a list of dicts (target, measured, status),
    status "met", "missed" or "not measured".  Medians decide; the IQRs in the timing table say how firmly."""
    goals = []
    for (sizes, K, dtype), g in df.groupby(["sizes", "K", "dtype"], sort=False):
        target = g["target_ratio"].iloc[0]
        goals.append(
            dict(
                target=f"manual/torch ≤ {target:g} at {sizes} K={K}, {dtype}",
                measured=", ".join(
                    f"{a} {r:.3g}" + (" (noisy)" if n else "")
                    for a, r, n in zip(g["activation"], g["ratio"], g["noisy"])
                ),
                status="met" if g["meets_ratio"].all() else "missed",
            )
        )
    wide = df[(df["sizes"] == SHARE_SIZES) & (df["dtype"] == SHARE_DTYPE)]
    share = wide["share_of_peak_pct"]
    goals.append(
        dict(
            target=f"manual_bp ≥ {SHARE_TARGET:.0f}% of the GEMM peak at {SHARE_SIZES}, {SHARE_DTYPE}",
            measured=", ".join(
                f"{a} {p:.0f}%" + (" (noisy)" if n else "") for a, p, n in zip(wide["activation"], share, wide["noisy"])
            )
            + (" (above 100%: the peak was measured low, most likely under load)" if (share > 100).any() else "")
            or "not in this run's ladder",
            status="not measured" if wide.empty else "met" if (share >= SHARE_TARGET).all() else "missed",
        )
    )
    worst = (df["mem_peak_mib"] / df["mem_bound_mib"]).max()
    goals.append(
        dict(
            target="memory: peak ≤ bound in every case (see Memory)",
            measured=f"{int(df['mem_ok'].sum())} of {len(df)} cases; highest peak/bound {worst:.0%}",
            status="met" if df["mem_ok"].all() else "missed",
        )
    )
    return goals


def _env_line():
    set_vars = [f"`{v}={os.environ[v]}`" for v in BLAS_ENV if v in os.environ]
    return ", ".join(set_vars) if set_vars else "none set"


def _load_line(load):
    fmt = lambda la: "unavailable" if la is None else ", ".join(f"{x:.2f}" for x in la)  # noqa: E731
    load, cpus = load or {}, os.cpu_count() or 1
    busy = any(la is not None and la[0] >= cpus for la in load.values())
    return (
        ("- **Busy machine: the timings below are unreliable.** " if busy else "- ")
        + f"Load average (1, 5, 15 min) at start: **{fmt(load.get('start'))}**, at end: "
        f"**{fmt(load.get('end'))}**, on {cpus} CPUs. A 1-minute load near or above the CPU count "
        "means other processes competed for the cores: treat the timings as rough and rerun on a quiet machine."
    )


def _ms(median, q25, q75, fastest):
    return f"{median:.3g} ({q25:.3g}–{q75:.3g}; {fastest:.3g})"


def _markdown(command, settings_name, df, goals, peaks, threads, source, load):
    step = df["sizes"] + " K=" + df["K"].astype(str)
    timing = pd.DataFrame(
        {
            "step": step,
            "dtype": df["dtype"],
            "activation": df["activation"],
            **{
                f"{side} ms (IQR; min)": [
                    _ms(*r)
                    for r in df[[f"{side}_ms", f"{side}_q25_ms", f"{side}_q75_ms", f"{side}_min_ms"]].itertuples(False)
                ]
                for side in ("manual", "torch")
            },
            "runs manual/torch": df["reps_manual"].astype(str) + "/" + df["reps_torch"].astype(str),
            "noisy": df["noisy"].map({True: "yes", False: ""}),
            "manual/torch": df["ratio"].map("{:.3g}".format),
            "target": df["target_ratio"].map("≤ {:g}".format),
            "manual GFLOP/s": df["manual_gflops"].map("{:.3g}".format),
            "share of peak": df["share_of_peak_pct"].map("{:.0f}%".format),
        }
    )
    memory = pd.DataFrame(
        {
            "step": step,
            "dtype": df["dtype"],
            "activation": df["activation"],
            "needed MiB": df["mem_needed_mib"].map("{:.3g}".format),
            "peak MiB": df["mem_peak_mib"].map("{:.3g}".format),
            "bound MiB": df["mem_bound_mib"].map("{:.3g}".format),
            "peak ≤ bound": df["mem_ok"].map({True: "yes", False: "**no**"}),
        }
    )
    table = pd.DataFrame(goals).rename(columns={"target": "target", "measured": "measured (median)", "status": "met?"})
    table["met?"] = table["met?"].map(lambda s: "**missed**" if s == "missed" else s)
    n_met = sum(g["status"] == "met" for g in goals)
    n_noisy = int(df["noisy"].sum())
    lines = [
        "# deltacheck bench: one training step of manual_bp against torch_ref, and against the GEMM peak",
        "",
        f"- Targets met: **{n_met} of {len(goals)}** (table below). Noisy cases (either side's IQR over "
        f"{NOISY_IQR:.0%} of its median, or its median over {NOISY_MIN:g}× its fastest run): "
        f"**{n_noisy} of {len(df)}**; a target met or missed on noisy timings needs a rerun.",
        f"- Command: `{command}` ({settings_name} settings). Timings are wall time on a possibly shared machine:",
        "  other processes may have been running; rerun on a quiet machine before quoting a number.",
        _load_line(load),
        f"- Machine: {platform.machine()}, {os.cpu_count()} CPUs, {platform.platform()}; Python "
        f"{platform.python_version()}, NumPy {np.__version__}, PyTorch {torch.__version__}.",
        f"- Threads: **{threads}** for both sides — NumPy's BLAS ({source}) and `torch.set_num_threads({threads})`.",
        f"- BLAS environment variables: {_env_line()}. `make report` runs the bench with OPENBLAS_CORETYPE and "
        "OPENBLAS_L2_SIZE unset (a forced core type can slow NumPy several-fold); nothing else changes them.",
        "",
        "## Targets",
        "",
        "Each target is met or missed by the medians (a ratio target by every activation at that size and dtype).",
        "",
        table.to_markdown(index=False),
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
        "other processes falls on both alike); in brackets the IQR (the range of the middle half of the runs) and",
        "the fastest run — a wide IQR, or a median far above the fastest run, marks a noisy measurement (`noisy`).",
        "Same network (weights copied bit for bit), same X and T",
        "(shared memory), same dtype, cost ½Σ(t − a)² summed over the K examples, plain SGD.",
        "manual: `manual_bp.TrainStep(net, SGD(η))`, data checked once before timing.",
        "torch: `zero_grad`, `TorchMLP.forward`, `F.mse_loss`, `backward`, `torch.optim.SGD.step`.",
        "GFLOP/s counts **6·K·Σ_l n_l·n_{l−1} flops per step** (three matrix products per layer); δ^1 is never",
        "formed, so the count — and the share of peak — is slightly flattering, by the first layer's third.",
        "Share of peak: manual GFLOP/s as a percentage of the GEMM peak of the same dtype.",
        "",
        timing.to_markdown(index=False, disable_numparse=True),
        "",
        *(
            ["Shares above 100% mean the GEMM peak was measured low: load during both of its measurements.", ""]
            if (df["share_of_peak_pct"] > 100).any()
            else []
        ),
        "## Memory of one manual step",
        "",
        "- `needed MiB`: what the equations hold at once — z^l and a^l of every layer (kept for δ), ∂C/∂W^l and "
        "∂C/∂b^l of every layer (no update before the backward pass ends), and the larger of two adjacent δ's "
        "(δ^l is formed from δ^{l+1}) and η·∂C/∂W for the largest W (the update's product).",
        "- `peak MiB`: tracemalloc's peak of the bytes allocated during one manual step from fresh buffers "
        "(allocated inside that step); W, b, X and T exist beforehand and count in neither column.",
        f"- `bound MiB`: needed + one activation-sized temporary per layer (Σ_l K·n_l elements) + "
        f"{PYTHON_SLACK // 2**10} KiB for Python's own objects; the check is peak ≤ bound.",
        "",
        memory.to_markdown(index=False, disable_numparse=True),
        "",
    ]
    return "\n".join(lines)
