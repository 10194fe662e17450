"""The bench's targets, each met or missed at 1 thread (the headline).

A ratio target is judged by the ratio of the fastest runs (``best_ratio``): manual_bp's fastest run over the
baseline's, both from the same interleaved rounds — a limit against a limit, as the GEMM share.  The ratio of
the medians stays in the report's tables beside it."""

from __future__ import annotations

from comparisons.bench.run import FLOOR_TARGET, GEMM_SHARE_SIZES, GEMM_SHARE_TARGET

BEST = "manual_ratio_best"  # the column a ratio target is judged by (see above)
BEST_TORCH = "manual_over_fastest_torch_best"


def _list(g, column, fmt, extra=None):
    """'sigmoid 0.3, relu 0.28 (noisy)' over the rows of g."""
    return ", ".join(
        f"{r['activation']} {fmt.format(r[column])}"
        + (f" {extra(r)}" if extra else "")
        + (" (noisy)" if r["noisy"] else "")
        for _, r in g.iterrows()
    )


def targets(df):
    """A list of dicts (target, measured, status), status "met", "missed" or "not measured".

    - manual / the fastest plain torch step (eager or compiled) ≤ target_ratio, per size and dtype (fastest runs);
    - manual / the NumPy floor ≤ FLOOR_TARGET, per size and dtype (fastest runs);
    - manual_bp's GEMMs at ≥ GEMM_SHARE_TARGET % of NumPy's GEMM peak of the same run, at GEMM_SHARE_SIZES;
    - the memory of one step within its bound, in every case."""
    manual = df[(df["side"] == "manual") & (df["threads"] == 1)]
    floor = df[(df["side"] == "numpy_floor") & (df["threads"] == 1)].set_index(["sizes", "K", "dtype", "activation"])
    goals = []
    if manual.empty:
        return [dict(target="the targets are set at 1 thread", measured="no 1-thread run", status="not measured")]
    for (sizes, K, dtype), g in manual.groupby(["sizes", "K", "dtype"], sort=False):
        target = g["target_ratio"].iloc[0]
        goals.append(
            dict(
                target=f"manual / fastest plain torch ≤ {target:g} at {sizes} K={K}, {dtype}",
                measured=_list(g, BEST_TORCH, "{:.3g}", lambda r: f"(vs {r['fastest_torch'].replace('_', ' ')})"),
                status="met" if (g[BEST_TORCH] <= target).all() else "missed",
            )
        )
    for (sizes, K, dtype), g in manual.groupby(["sizes", "K", "dtype"], sort=False):
        f = floor.loc[[(sizes, K, dtype, a) for a in g["activation"]]].reset_index()
        if "median_ms" not in f or f["median_ms"].isna().any():
            continue
        goals.append(
            dict(
                target=f"manual / NumPy floor ≤ {FLOOR_TARGET:g} at {sizes} K={K}, {dtype}",
                measured=_list(f, BEST, "{:.3g}"),
                status="met" if (f[BEST] <= FLOOR_TARGET).all() else "missed",
            )
        )
    for dtype in manual["dtype"].unique():
        g = manual[manual["sizes"].isin(GEMM_SHARE_SIZES) & (manual["dtype"] == dtype)]
        goals.append(
            dict(
                target=f"manual_bp's GEMMs ≥ {GEMM_SHARE_TARGET:.0f}% of NumPy's GEMM peak at "
                f"{' and '.join(GEMM_SHARE_SIZES)}, {dtype}",
                measured=", ".join(
                    f"{r['sizes']} {r['activation']} {r['gemm_share_pct']:.0f}%"
                    + (" (noisy)" if r["split_noisy"] else "")
                    for _, r in g.iterrows()
                )
                or "not in this run's ladder",
                status="not measured"
                if g.empty
                else "met"
                if (g["gemm_share_pct"] >= GEMM_SHARE_TARGET).all()
                else "missed",
            )
        )
    worst = (manual["mem_peak_mib"] / manual["mem_bound_mib"]).max()
    goals.append(
        dict(
            target="memory: peak ≤ bound in every case (see Memory)",
            measured=f"{int(manual['mem_ok'].sum())} of {len(manual)} cases; highest peak/bound {worst:.0%}",
            status="met" if manual["mem_ok"].all() else "missed",
        )
    )
    return goals
