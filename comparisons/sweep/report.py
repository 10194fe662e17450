"""The sweep's report: gradients.csv, trajectories.csv, summary.md and two plots."""

from __future__ import annotations

import platform

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch

from comparisons.common import tolerances
from comparisons.common.reportio import FLOAT_FORMAT, save_png, write_text
from comparisons.sweep.aggregate import N_LOSS_CURVES, Tally
from comparisons.sweep.budget import CHUNK_ROWS
from comparisons.sweep.harness import GRAD_COLUMNS, TRAJ_COLUMNS

LABELS = ["arch", "depth", "activations", "cost", "optimizer", "dtype"]  # gradients.csv's first columns


def spec_table(specs, start=0):
    """One row per architecture, numbered from ``start``: its labels (a column at a time: no dict per row)."""
    return pd.DataFrame(
        dict(
            arch=range(start, start + len(specs)),
            depth=[len(s.sizes) - 1 for s in specs],
            sizes=["-".join(map(str, s.sizes)) for s in specs],
            activations=[",".join(s.activations) for s in specs],
            cost=[s.cost for s in specs],
            optimizer=[s.optimizer for s in specs],
            K=[s.K for s in specs],
            dtype=[s.dtype for s in specs],
        )
    )


def arch_verdicts(specs, grads, traj):
    """Per architecture: gradient checks passed, trajectory passed, worst tol_used of each."""
    table = spec_table(specs)
    g = grads.groupby("arch").agg(grad_ok=("passed", "all"), grad_worst=("tol_used", "max"))
    t = traj.groupby("arch").agg(traj_ok=("passed", "all"), traj_worst=("tol_used", "max"))
    v = table.join(g, on="arch").join(t, on="arch")
    v["traj_ok"] = v["traj_ok"].fillna(True).astype(bool)
    v["traj_worst"] = v["traj_worst"].fillna(0.0)
    v["passed"] = v["grad_ok"].astype(bool) & v["traj_ok"]
    return v


def breakdown(v, column, explode=False):
    """Pass counts grouped by one column (for activations: every layer's name counts)."""
    d = v.assign(**{column: v[column].str.split(",")}).explode(column) if explode else v
    d = d.drop_duplicates(["arch", column]) if explode else d
    out = d.groupby(column).agg(
        archs=("arch", "count"),
        passed=("passed", "sum"),
        worst_grad_tol_used=("grad_worst", "max"),
        worst_traj_tol_used=("traj_worst", "max"),
    )
    out["pass_rate"] = out["passed"] / out["archs"]
    return out.reset_index()


def _md(df):
    """A table as Markdown; integer columns kept as integers (an all-number frame would upcast them)."""
    return df.astype(dict.fromkeys(df.select_dtypes("integer").columns, object)).to_markdown(
        index=False, floatfmt=".3g"
    )


def write_report(stage, command, args, specs, results):
    """Write the report into ``stage`` from each spec's (gradient rows, trajectory rows); return the verdict table."""
    tally = Tally(args.dtype)
    with open(stage / "gradients.csv", "w", encoding="utf-8", newline="") as gf, \
         open(stage / "trajectories.csv", "w", encoding="utf-8", newline="") as tf:  # fmt: skip
        _append(gf, pd.DataFrame(columns=[*LABELS, *GRAD_COLUMNS[1:], "spec"]), header=True)
        _append(tf, pd.DataFrame(columns=TRAJ_COLUMNS), header=True)
        for lo, hi, grad_rows, traj_rows in _chunks(results):
            grads = spec_table(specs[lo:hi], lo)[LABELS].merge(pd.DataFrame(grad_rows, columns=GRAD_COLUMNS), on="arch")
            grads["spec"] = grads["arch"].map({i: s.to_json() for i, s in enumerate(specs[lo:hi], lo)})
            traj = pd.DataFrame(traj_rows, columns=TRAJ_COLUMNS)
            _append(gf, grads)
            _append(tf, traj)
            tally.add(grads, traj)
    v = arch_verdicts(specs, *tally.verdict_rows())
    _plot_losses(tally.curves, stage / "loss_curves.png")
    _plot_errors(tally, args.dtype, stage / "relative_errors.png")
    write_text(stage / "summary.md", _summary(command, args, specs, tally, v))
    return v


def _chunks(results):
    """(first arch, last arch + 1, gradient rows, trajectory rows) of consecutive architectures, CHUNK_ROWS or so."""
    lo, hi, grads, traj = 0, 0, [], []
    for hi, (g, t) in enumerate(results, 1):
        grads += g
        traj += t
        if len(grads) + len(traj) >= CHUNK_ROWS:
            yield lo, hi, grads, traj
            lo, grads, traj = hi, [], []
    if lo < hi:
        yield lo, hi, grads, traj


def _append(f, df, header=False):
    """``df``'s rows onto the open CSV ``f``, formatted as reportio.write_csv formats a whole table."""
    df.to_csv(f, index=False, header=header, float_format=FLOAT_FORMAT, lineterminator="\n")


FINDINGS = {
    "chaotic": "Where a run started one ulp away drifts as far as the two sides differ, rounding alone decides "
    "the parameters and a pointwise comparison means nothing from that step on.",
    "diverged": "Both sides overflowed at the same step (C_T or a parameter became inf or NaN on each): the "
    "run diverged alike on both sides, which is agreement, not a failure. Only one side overflowing fails.",
    "kink": "The difference jumped where a relu or leaky_relu pre-activation lay within rounding of 0, so the "
    "two sides took different branches of σ' there; later steps are compared with an allowance for the jump.",
}


def _caught(tally):
    """How many failing rows each check caught."""
    rows = [dict(check=k, failing_rows=int(n)) for k, n in sorted(tally.caught_by().items())]
    return pd.DataFrame(rows or [dict(check="none", failing_rows=0)])


def _findings(tally, v, specs, device):
    """Markdown sections for chaotic, diverged and kinked trajectories: reported, neither passed nor failed."""
    lines = []
    for status, text in FINDINGS.items():
        lines += [f"## {status.capitalize()} trajectories", "", text + " Every step before was compared as usual.", ""]
        if not tally.hits[status]:
            lines += ["None.", ""]
        for arch, first, d in tally.hits[status]:
            row = v.set_index("arch").loc[arch]
            lines.append(
                f"- arch {arch} ({row['sizes']} {row['activations']} {row['cost']}, {row['optimizer']}): from step "
                f"{int(first)}, difference {d['max_param_diff']:.3g}"
                + (f", a one-ulp run's drift {d['shadow_drift']:.3g}" if status == "chaotic" else "")
                + (f"; {d['detail']}" if d["detail"] else "")
                + f"; reproduce: `deltacheck check --device {device} --spec '{specs[arch].to_json()}'`"
            )
        lines += [""]
    return lines


def _summary(command, args, specs, tally, v):
    gt = tolerances.gradient_tolerance(args.dtype)
    tt = tolerances.TRAJECTORY[np.dtype(args.dtype)]
    n_fail = int((~v["passed"]).sum())
    lines = [
        "# deltacheck sweep: manual_bp against PyTorch autograd",
        "",
        f"**{'ALL PASS' if n_fail == 0 else f'{n_fail} ARCHITECTURE(S) FAILED'}** — "
        f"{int(v['passed'].sum())} of {len(v)} architectures agree in every gradient, every δ, every cost, "
        "every dtype, every training path and every training step, with their inputs left untouched.",
        "",
        "## What was run",
        "",
        f"- Command: `{command}`",
        f"- Python {platform.python_version()}, NumPy {np.__version__}, PyTorch {torch.__version__}, "
        f"device `{args.device}`",
        f"- {args.archs} random architectures from seed {args.seed}, dtype {args.dtype}, "
        f"{args.steps} training steps each"
        + (
            f", in {-(-args.archs // args.family)} families of up to {args.family} that differ only in their seed "
            "(so as many distinct shapes; the breakdowns below count architectures, not shapes), each family "
            "trained as one stack on both sides (every member's spec still reproduces alone with `deltacheck check`)"
            if (getattr(args, "family", None) or 1) > 1
            else ""
        ),
        f"- Gradient tolerance ({args.dtype}): |m − r| ≤ {gt.atol:g}·max(1, max|r|) + {gt.rtol:g}·|r| "
        "(see `comparisons/common/tolerances.py` for why); float32 also against a float64 oracle "
        "(column `oracle_used`, ≤ 1 passes)",
        f"- Trajectory tolerance after n steps: n × ({tt.atol:g}·max(1, max|w|) + {tt.rtol:g}·|w|), "
        f"plus {tolerances.SHADOW_FACTOR:g} × the measured drift of a run nudged by rounding errors "
        "where the trajectory "
        "expands (column `shadow_drift`; docs/tolerances.md); C_T after each step: manual_bp's cost "
        "function at torch's parameters against torch's C_T, with the gradient tolerance (column `cost_tol_used`)",
        "- Columns: `max_abs_err` = max |m − r| over the tensor (m manual_bp, r autograd); `max_rel_err` = "
        "max |m − r| / |r| over its entries with r ≠ 0 (an entry near zero can exceed rtol and still pass "
        "through atol); `ref_norm` = ‖r‖, the Frobenius norm; `tol_used` = max |m − r| / (allowed difference), "
        "≤ 1 passes; `caught_by` names the check a failing row failed: shape, dtype, finite, value, oracle "
        "(float32 against float64), input (X or T changed), path (train() or MLP.gradients + SGD.step "
        "off TrainStep's trajectory), crash.",
        "",
        "## Totals",
        "",
        _md(
            pd.DataFrame(
                [
                    dict(check="architectures", total=len(v), passed=int(v["passed"].sum())),
                    dict(
                        check="start checks (W, b, δ, C_T, X, T, paths)",
                        total=tally.rows["grads"],
                        passed=tally.rows["grads_passed"],
                    ),
                    dict(check="training steps", total=tally.rows["traj"], passed=tally.rows["traj_passed"]),
                ]
            ).assign(pass_rate=lambda d: [f"{p / t:.2%}" if t else "—" for p, t in zip(d["passed"], d["total"])])
        ),
        "",
        *([] if tally.rows["traj"] else [f"No training steps (--steps {args.steps}): gradient and δ checks only.", ""]),
        f"Expanding trajectories, judged with a shadow run: {tally.archs['shadow']}; "
        f"chaotic from some step on: {tally.archs['chaotic']}; diverged (both sides "
        f"overflowed): {tally.archs['diverged']}; kink crossings: "
        f"{tally.archs['kink']} (all listed below, none a failure).",
        "",
        "Failing rows by the check that caught them:",
        "",
        _md(_caught(tally)),
        "",
        "## Worst cases",
        "",
        "Largest gradient/δ differences (as a fraction of the tolerance):",
        "",
        _md(tally.worst_grads),
        "",
    ]
    if tally.rows["traj"]:  # chaotic, diverged and kinked steps are listed below
        lines += [
            "Largest parameter differences along a trajectory (steps with status pass):",
            "",
            _md(tally.worst_traj),
            "",
        ]
    lines += ["## Breakdowns", ""]
    for col, title, explode in (
        ("activations", "activation (an architecture counts once for each it uses)", True),
        ("cost", "cost", False),
        ("depth", "depth (weight layers)", False),
        ("optimizer", "optimizer", False),
    ):
        lines += [f"By {title}:", "", _md(breakdown(v, col, explode)), ""]
    shown = ", ".join(str(a) for a, _ in tally.curves) or "none"
    lines += [
        "## Plots",
        "",
        f"C_T during training for the first {N_LOSS_CURVES} architectures ({shown}), both sides "
        "overlaid (all of them in trajectories.csv):",
        "",
        "![loss curves](loss_curves.png)",
        "",
        "Normwise relative difference max|m − r| / ‖r‖ of every tensor checked; exact agreement (0) is "
        "drawn in its own bar at the left:",
        "",
        "![relative errors](relative_errors.png)",
        "",
    ]
    lines += ["## Failing architectures", ""]
    fails, failing = v[~v["passed"]], tally.failing_grads()
    if fails.empty:
        lines += ["None.", ""]
    for _, row in fails.iterrows():
        bad = failing[failing["arch"] == row["arch"]]
        what = ", ".join(
            f"{t}^{l} ({c})" if l else f"{t if t != '-' else 'crash'} ({c})"
            for t, l, c in zip(bad["tensor"], bad["layer"], bad["caught_by"])
        )
        errs = "; ".join(e for e in bad["error"] if e)
        first_bad, spec = tally.first_bad.get(row["arch"]), specs[row["arch"]].to_json()
        lines += [
            f"### arch {row['arch']}: {row['sizes']} {row['activations']} {row['cost']} ({row['optimizer']})",
            "",
            f"- gradient checks failing: {what or 'none'}" + (f" ({errs})" if errs else ""),
            f"- trajectory: {'passes' if row['traj_ok'] else f'first fails at step {int(first_bad)}'}",
            f"- spec: `{spec}`",
            f"- reproduce: `deltacheck check --device {args.device} --spec '{spec}'`",
            "",
        ]
    lines += _findings(tally, v, specs, args.device)
    lines += [
        "## Files",
        "",
        "- [gradients.csv](gradients.csv): one row per architecture × tensor (W^l, b^l, δ^l)",
        "- [trajectories.csv](trajectories.csv): one row per architecture × training step",
        "",
    ]
    return "\n".join(lines)


def _plot_losses(curves, path):
    fig, ax = plt.subplots(figsize=(7, 4))
    for i, (arch, t) in enumerate(curves):
        color = f"C{i}"
        ax.plot(t["step"], t["cost_manual"], color=color, lw=2.5, alpha=0.5, label=f"arch {arch} manual_bp")
        ax.plot(t["step"], t["cost_torch"], color=color, lw=1, ls="--", label=f"arch {arch} torch")
    ax.set_xlabel("step")
    ax.set_ylabel("C_T")
    ax.set_yscale("log")
    ax.set_title("C_T during training: manual_bp (thick) and torch.optim.SGD (dashed)")
    if curves:
        ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    save_png(fig, path)
    plt.close(fig)


def _plot_errors(tally, dtype, path):
    fig, ax = plt.subplots(figsize=(7, 4))
    floor, bins = tally.floor, tally.bins
    for tensor, counts in sorted(tally.hist.items()):  # each bin's count drawn as its left edge's weight
        ax.hist(bins[:-1], bins=bins, weights=counts, alpha=0.5, label=tensor)
    eps = float(np.finfo(np.dtype(dtype)).eps)
    ax.axvline(np.log10(eps), color="grey", ls=":", label=f"machine eps ({dtype})")
    ax.set_xticks([floor] + list(range(int(np.ceil(floor + 1)), 1, 2)))
    ax.set_xticklabels(["exact"] + [str(t) for t in range(int(np.ceil(floor + 1)), 1, 2)])
    ax.set_xlabel("log10 of max|m − r| / ‖r‖ per tensor (manual_bp m vs autograd r)")
    ax.set_ylabel("tensors")
    ax.legend()
    fig.tight_layout()
    save_png(fig, path)
    plt.close(fig)
