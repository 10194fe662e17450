"""The bench's report: bench.csv (one row per case, thread count and side) and bench.md (targets met or
missed, the ratios at 1 and 2 threads, where manual_bp's step goes, the GEMM peaks, how it was measured)."""

from __future__ import annotations

import os
import platform

import numpy as np
import pandas as pd
import torch

from comparisons.bench.memory import PYTHON_SLACK
from comparisons.bench.run import SIDES
from comparisons.bench.targets import targets
from comparisons.bench.timing import NOISY_IQR, STALL
from comparisons.common.reportio import write_csv, write_text

COLUMNS = [
    *("sizes", "K", "dtype", "activation", "threads", "side", "blas_threads"),
    *("median_ms", "q25_ms", "q75_ms", "min_ms", "runs", "stalls", "remeasured", "noisy", "error"),
    *("manual_ratio", "manual_ratio_best"),
    *("fastest_torch", "manual_over_fastest_torch", "manual_over_fastest_torch_best", "target_ratio"),
    *("gemm_ms", "elementwise_ms", "update_ms", "gemm_flops", "gemm_gflops", "gemm_best_gflops", "gemm_peak_gflops"),
    *("gemm_share_pct", "gemm_share_median_pct"),
    *("split_noisy", "mem_peak_mib", "mem_needed_mib", "mem_bound_mib", "mem_ok"),
]
BLAS_ENV = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
SIDE_NAMES = {
    "manual": "manual_bp",
    "torch_plain": "torch plain",
    "torch_compiled": "torch.compile",
    "torch_module": "TorchMLP.step",
    "numpy_floor": "NumPy floor",
}


def write_bench(stage, command, settings_name, rows, peaks, load=None):
    """bench.csv and bench.md into the directory ``stage``; returns (the table, the targets)."""
    df = pd.DataFrame(rows).reindex(columns=COLUMNS)
    goals = targets(df)
    write_csv(df, stage / "bench.csv")
    write_text(stage / "bench.md", _markdown(command, settings_name, df, goals, peaks, load))
    return df, goals


def _env_line():
    set_vars = [f"`{v}={os.environ[v]}`" for v in BLAS_ENV if v in os.environ]
    return ", ".join(set_vars) if set_vars else "none set"


def _load_line(load):
    fmt = lambda la: "unavailable" if la is None else ", ".join(f"{x:.2f}" for x in la)  # noqa: E731
    load, cpus = load or {}, os.cpu_count() or 1
    busy = any(la is not None and la[0] >= cpus / 2 for la in load.values())
    return (
        ("- **Loaded machine: treat the timings below as rough, the 2-thread ones most.** " if busy else "- ")
        + f"Load average (1, 5, 15 min) at start: **{fmt(load.get('start'))}**, at end: "
        f"**{fmt(load.get('end'))}**, on {cpus} CPUs. Another process on a core shows up most at 2 threads, "
        "where the BLAS libraries stall; the 1-thread ratios are the stable part."
    )


def _step(df):
    return df["sizes"] + " K=" + df["K"].astype(str)


def _ratio(median, best, noisy):
    return "" if pd.isna(median) else f"{median:.3g} ({best:.3g})" + (" *" if noisy else "")


def _ratio_table(df, threads):
    """manual / each baseline at one thread count, one row per case."""
    manual = df[(df["side"] == "manual") & (df["threads"] == threads)]
    out = pd.DataFrame(
        {"step": _step(manual), "dtype": manual["dtype"], "activation": manual["activation"]}
    ).reset_index(drop=True)
    out["manual_bp ms"] = manual["median_ms"].map("{:.3g}".format).to_numpy()
    key = ["sizes", "K", "dtype", "activation"]
    for side in SIDES[1:]:
        s = manual[key].merge(df[(df["side"] == side) & (df["threads"] == threads)], on=key, how="left")
        out[f"÷ {SIDE_NAMES[side]}"] = [
            _ratio(m, r, n) if not e else "not run" if e.startswith("not run") else "failed"
            for m, r, n, e in zip(s["manual_ratio"], s["manual_ratio_best"], s["noisy"], s["error"].fillna(""))
        ]
    out["target ÷ fastest plain torch"] = manual["target_ratio"].map("≤ {:g}".format).to_numpy()
    return out.to_markdown(index=False, disable_numparse=True)


def _split_table(df):
    m = df[df["side"] == "manual"]
    pct = lambda c: [f"{x:.3g} ({100 * x / t:.0f}%)" for x, t in zip(m[c], m["median_ms"])]  # noqa: E731
    return pd.DataFrame(
        {
            "step": _step(m),
            "dtype": m["dtype"],
            "activation": m["activation"],
            "threads": m["threads"],
            "step ms": m["median_ms"].map("{:.3g}".format),
            "GEMM ms": pct("gemm_ms"),
            "elementwise ms": pct("elementwise_ms"),
            "update ms": pct("update_ms"),
            "GEMM GFLOP/s (best run)": [f"{a:.3g} ({b:.3g})" for a, b in zip(m["gemm_gflops"], m["gemm_best_gflops"])],
            "of NumPy's peak: best run (median)": [
                f"{a:.0f}% ({b:.0f}%)" + (" *" if n == True else "")  # noqa: E712
                for a, b, n in zip(m["gemm_share_pct"], m["gemm_share_median_pct"], m["split_noisy"])
            ],
        }
    ).to_markdown(index=False, disable_numparse=True)


def _timing_table(df):
    return pd.DataFrame(
        {
            "step": _step(df),
            "dtype": df["dtype"],
            "activation": df["activation"],
            "threads": df["threads"],
            "side": df["side"].map(SIDE_NAMES),
            "ms: median (IQR; min)": [
                (e if e.startswith("not run") else f"failed: {e}") if e else f"{m:.3g} ({a:.3g}–{b:.3g}; {lo:.3g})"
                for m, a, b, lo, e in zip(
                    df["median_ms"], df["q25_ms"], df["q75_ms"], df["min_ms"], df["error"].fillna("")
                )
            ],
            "runs": df["runs"].map(lambda x: "" if pd.isna(x) else f"{x:.0f}"),
            "stalls left / rounds re-measured": [
                "" if pd.isna(s) else f"{s:.0f} / {r:.0f}" for s, r in zip(df["stalls"], df["remeasured"])
            ],
        }
    ).to_markdown(index=False, disable_numparse=True)


def _memory_table(df):
    m = df[(df["side"] == "manual") & (df["threads"] == df["threads"].min())]
    return pd.DataFrame(
        {
            "step": _step(m),
            "dtype": m["dtype"],
            "activation": m["activation"],
            "needed MiB": m["mem_needed_mib"].map("{:.3g}".format),
            "peak MiB": m["mem_peak_mib"].map("{:.3g}".format),
            "bound MiB": m["mem_bound_mib"].map("{:.3g}".format),
            "peak ≤ bound": m["mem_ok"].map({True: "yes", False: "**no**"}),
        }
    ).to_markdown(index=False, disable_numparse=True)


def _markdown(command, settings_name, df, goals, peaks, load):
    table = pd.DataFrame(goals).rename(columns={"measured": "measured (fastest runs, 1 thread)", "status": "met?"})
    table["met?"] = table["met?"].map(lambda s: "**missed**" if s == "missed" else s)
    n_met = sum(g["status"] == "met" for g in goals)
    ratios = df[df["side"] != "manual"]
    noisy = int(ratios["noisy"].fillna(False).astype(bool).sum())
    threads = sorted(df["threads"].unique())
    blas = sorted(df["blas_threads"].dropna().astype(int).unique())
    lines = [
        "# deltacheck bench: one training step of manual_bp against three baselines, and against the GEMM peak",
        "",
        f"- Targets met: **{n_met} of {len(goals)}** (table below), all at 1 thread. Noisy ratios (either side's "
        f"IQR over {NOISY_IQR:.0%} of its median, or a stall left after re-measuring): **{noisy} of {len(ratios)}**, "
        "marked `*`; a target met or missed on noisy timings needs a rerun.",
        f"- Command: `{command}` ({settings_name} settings). Timings are wall time on a possibly shared machine.",
        _load_line(load),
        f"- Machine: {platform.machine()}, {os.cpu_count()} CPUs, {platform.platform()}; Python "
        f"{platform.python_version()}, NumPy {np.__version__}, PyTorch {torch.__version__}.",
        f"- Threads: {', '.join(map(str, threads))} — NumPy's BLAS by threadpoolctl (it reported "
        f"{', '.join(map(str, blas))}) and `torch.set_num_threads` for torch, the same for every side.",
        f"- BLAS environment variables: {_env_line()}. `make bench` runs with OPENBLAS_CORETYPE and "
        "OPENBLAS_L2_SIZE unset (a forced core type can slow NumPy several-fold).",
        "",
        "## Targets",
        "",
        table.to_markdown(index=False),
        "",
    ]
    for n in threads:
        lines += [
            f"## manual_bp ÷ each baseline, {n} thread{'s' if n > 1 else ''}",
            "",
            "Each cell: the ratio of the medians, then in brackets the ratio of the two sides' fastest runs (the "
            "targets' measure); below 1, manual_bp is faster. `*`: noisy.",
            "",
            _ratio_table(df, n),
            "",
        ]
    lines += [
        "## Where manual_bp's step goes",
        "",
        "GEMM: the step's matrix products alone (z^l, ∂C/∂W^l = (δ^l)ᵀ a^{l−1} at every layer, δ^l W^l above",
        "layer 2), on the operands of one step, allocating their results as the step does. Update: `SGD.step` alone.",
        "Elementwise: the rest of the step's median (σ, σ', the bias, δ^L, the sums, Python). GFLOP/s counts",
        "2K·(2·Σ_l n_l·n_{l−1} + Σ_{l≥3} n_l·n_{l−1}) flops, at the GEMMs' median (and fastest run). The share",
        "is of NumPy's GEMM peak at the same thread count and dtype, measured in this run: the GEMMs' fastest",
        "run against the peak's (a limit against a limit; the target uses it), and in brackets their median.",
        "",
        _split_table(df),
        "",
        "## GEMM peaks (`np.matmul` and `torch.mm` of two n×n matrices, the best run before and after the cases)",
        "",
        "| library | dtype | threads | GFLOP/s | at n |",
        "|---|---|---|---|---|",
        *[f"| {lib} | {dt} | {n} | {g:.1f} | {at} |" for (lib, dt, n), (g, at) in peaks.items()],
        "",
        "manual_bp's matrix products are NumPy's (OpenBLAS here); torch's are its own BLAS (MKL in the PyPI",
        "CPU wheel): where the step is mostly GEMM, manual ÷ torch tends to NumPy's peak ÷ torch's.",
        "",
        "## Timings of every side",
        "",
        "Median wall time of a step after warm-up, the sides taking turns in rounds (the order rotating), so that",
        "load from other processes falls on all of them alike; in brackets the IQR and the fastest run. A block",
        f"whose median is over {STALL:g}× the side's best block median is a stall; the rounds holding one are",
        "measured again.",
        "",
        _timing_table(df),
        "",
        "## Memory of one manual step",
        "",
        "- `needed MiB`: what the equations hold at once — z^l and a^l of every layer (kept for δ), ∂C/∂W^l and "
        "∂C/∂b^l of every layer (no update before the backward pass ends), and the larger of two adjacent δ's "
        "and η·∂C/∂W for the largest W (the update's product).",
        "- `peak MiB`: tracemalloc's peak of the bytes allocated during one manual step; W, b, X and T exist "
        "beforehand and count in neither column.",
        f"- `bound MiB`: needed + one activation-sized temporary per layer (Σ_l K·n_l elements) + "
        f"{PYTHON_SLACK // 2**10} KiB for Python's own objects; the check is peak ≤ bound.",
        "",
        _memory_table(df),
        "",
    ]
    return "\n".join(lines)
