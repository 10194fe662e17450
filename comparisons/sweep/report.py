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
from comparisons.common.reportio import save_png, write_csv, write_text

N_LOSS_CURVES = 4


def spec_table(specs):
    """One row per architecture: its labels and its JSON."""
    return pd.DataFrame(
        [
            dict(
                arch=i,
                depth=len(s.sizes) - 1,
                sizes="-".join(map(str, s.sizes)),
                activations=",".join(s.activations),
                cost=s.cost,
                optimizer=s.optimizer,
                K=s.K,
                dtype=s.dtype,
                spec=s.to_json(),
            )
            for i, s in enumerate(specs)
        ]
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


def _n_archs(traj, mask):
    """How many architectures have a row where ``mask`` holds."""
    return int(traj.loc[mask, "arch"].nunique()) if len(traj) else 0


def _md(df):
    """A table as Markdown; integer columns kept as integers (an all-number frame would upcast them)."""
    return df.astype(dict.fromkeys(df.select_dtypes("integer").columns, object)).to_markdown(
        index=False, floatfmt=".3g"
    )


def write_report(stage, command, args, specs, grads, traj):
    """Write every file of the report into the directory ``stage``; return the verdict table."""
    table = spec_table(specs)
    grads = table[["arch", "depth", "activations", "cost", "optimizer", "dtype"]].merge(grads, on="arch")
    grads["spec"] = grads["arch"].map(table.set_index("arch")["spec"])
    write_csv(grads, stage / "gradients.csv")
    write_csv(traj, stage / "trajectories.csv")
    v = arch_verdicts(specs, grads, traj)
    _plot_losses(traj, specs, stage / "loss_curves.png")
    _plot_errors(grads, args.dtype, stage / "relative_errors.png")
    write_text(stage / "summary.md", _summary(command, args, specs, grads, traj, v))
    return v


FINDINGS = {
    "chaotic": "Where a run started one ulp away drifts as far as the two sides differ, rounding alone decides "
    "the parameters and a pointwise comparison means nothing from that step on.",
    "diverged": "Both sides overflowed at the same step (C_T or a parameter became inf or NaN on each): the "
    "run diverged alike on both sides, which is agreement, not a failure. Only one side overflowing fails.",
    "kink": "The difference jumped where a relu or leaky_relu pre-activation lay within rounding of 0, so the "
    "two sides took different branches of σ' there; later steps are compared with an allowance for the jump.",
}


def _caught(grads, traj):
    """How many failing rows each check caught."""
    counts = grads.loc[~grads["passed"], "caught_by"].value_counts().to_dict()
    if len(traj):
        for detail, n in traj.loc[~traj["passed"], "detail"].value_counts().items():
            counts[f"trajectory: {detail}"] = int(n)
    rows = [dict(check=k, failing_rows=int(n)) for k, n in sorted(counts.items())]
    return pd.DataFrame(rows or [dict(check="none", failing_rows=0)])


def _findings(traj, v, device):
    """Markdown sections for chaotic, diverged and kinked trajectories: reported, neither passed nor failed."""
    lines = []
    for status, text in FINDINGS.items():
        lines += [f"## {status.capitalize()} trajectories", "", text + " Every step before was compared as usual.", ""]
        hits = traj[traj["status"] == status].groupby("arch")["step"].min() if len(traj) else pd.Series(dtype=int)
        if hits.empty:
            lines += ["None.", ""]
        for arch, first in hits.items():
            row = v.set_index("arch").loc[arch]
            d = traj[(traj["arch"] == arch) & (traj["step"] == first)].iloc[0]
            lines.append(
                f"- arch {arch} ({row['sizes']} {row['activations']} {row['cost']}, {row['optimizer']}): from step "
                f"{int(first)}, difference {d['max_param_diff']:.3g}"
                + (f", a one-ulp run's drift {d['shadow_drift']:.3g}" if status == "chaotic" else "")
                + (f"; {d['detail']}" if d["detail"] else "")
                + f"; reproduce: `deltacheck check --device {device} --spec '{row['spec']}'`"
            )
        lines += [""]
    return lines


def _summary(command, args, specs, grads, traj, v):
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
        f"{args.steps} training steps each",
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
                        total=len(grads),
                        passed=int(grads["passed"].sum()),
                    ),
                    dict(check="training steps", total=len(traj), passed=int(traj["passed"].sum())),
                ]
            ).assign(pass_rate=lambda d: [f"{p / t:.2%}" if t else "—" for p, t in zip(d["passed"], d["total"])])
        ),
        "",
        *([f"No training steps (--steps {args.steps}): gradient and δ checks only.", ""] if not len(traj) else []),
        f"Expanding trajectories, judged with a shadow run: {_n_archs(traj, traj['shadow_drift'].notna())}; "
        f"chaotic from some step on: {_n_archs(traj, traj['status'] == 'chaotic')}; diverged (both sides "
        f"overflowed): {_n_archs(traj, traj['status'] == 'diverged')}; kink crossings: "
        f"{_n_archs(traj, traj['status'] == 'kink')} (all listed below, none a failure).",
        "",
        "Failing rows by the check that caught them:",
        "",
        _md(_caught(grads, traj)),
        "",
        "## Worst cases",
        "",
        "Largest gradient/δ differences (as a fraction of the tolerance):",
        "",
        _md(
            grads.sort_values(["tol_used", "arch"], ascending=[False, True], kind="stable").head(5)[
                ["arch", "activations", "cost", "tensor", "layer", "max_abs_err", "max_rel_err", "ref_norm", "tol_used"]
            ]
        ),
        "",
    ]
    if len(traj):
        compared = traj[traj["status"] == "pass"]  # chaotic, diverged and kinked steps are listed below
        worst_t = compared.sort_values(["tol_used", "arch", "step"], ascending=[False, True, True], kind="stable")
        lines += [
            "Largest parameter differences along a trajectory (steps with status pass):",
            "",
            _md(worst_t.head(5)[["arch", "step", "cost_manual", "cost_torch", "max_param_diff", "tol_used"]]),
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
    shown = ", ".join(str(a) for a in sorted(traj["arch"].unique())[:N_LOSS_CURVES]) if len(traj) else "none"
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
    fails = v[~v["passed"]]
    if fails.empty:
        lines += ["None.", ""]
    for _, row in fails.iterrows():
        bad = grads[(grads["arch"] == row["arch"]) & ~grads["passed"]]
        what = ", ".join(
            f"{t}^{l} ({c})" if l else f"{t if t != '-' else 'crash'} ({c})"
            for t, l, c in zip(bad["tensor"], bad["layer"], bad["caught_by"])
        )
        errs = "; ".join(e for e in bad["error"] if e)
        first_bad = traj[(traj["arch"] == row["arch"]) & ~traj["passed"]]["step"].min()
        lines += [
            f"### arch {row['arch']}: {row['sizes']} {row['activations']} {row['cost']} ({row['optimizer']})",
            "",
            f"- gradient checks failing: {what or 'none'}" + (f" ({errs})" if errs else ""),
            f"- trajectory: {'passes' if row['traj_ok'] else f'first fails at step {int(first_bad)}'}",
            f"- spec: `{row['spec']}`",
            f"- reproduce: `deltacheck check --device {args.device} --spec '{row['spec']}'`",
            "",
        ]
    lines += _findings(traj, v, args.device)
    lines += [
        "## Files",
        "",
        "- [gradients.csv](gradients.csv): one row per architecture × tensor (W^l, b^l, δ^l)",
        "- [trajectories.csv](trajectories.csv): one row per architecture × training step",
        "",
    ]
    return "\n".join(lines)


def _plot_losses(traj, specs, path):
    fig, ax = plt.subplots(figsize=(7, 4))
    shown = sorted(traj["arch"].unique())[:N_LOSS_CURVES]
    for i, arch in enumerate(shown):
        t = traj[traj["arch"] == arch]
        color = f"C{i}"
        ax.plot(t["step"], t["cost_manual"], color=color, lw=2.5, alpha=0.5, label=f"arch {arch} manual_bp")
        ax.plot(t["step"], t["cost_torch"], color=color, lw=1, ls="--", label=f"arch {arch} torch")
    ax.set_xlabel("step")
    ax.set_ylabel("C_T")
    ax.set_yscale("log")
    ax.set_title("C_T during training: manual_bp (thick) and torch.optim.SGD (dashed)")
    if shown:
        ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    save_png(fig, path)
    plt.close(fig)


def _plot_errors(grads, dtype, path):
    fig, ax = plt.subplots(figsize=(7, 4))
    eps = float(np.finfo(np.dtype(dtype)).eps)
    floor = np.log10(eps) - 4  # exact zeros are drawn here, in a bar of their own
    bins = np.linspace(floor - 0.5, 0, 60)
    for tensor, d in grads[grads["tensor"].isin(["W", "b", "delta", "C_T"])].groupby("tensor"):
        rel = (d["max_abs_err"] / d["ref_norm"].where(d["ref_norm"] > 0)).replace([np.inf], np.nan).dropna()
        x = np.where(rel > 0, np.log10(rel.clip(lower=10 ** (floor + 0.5))), floor)
        ax.hist(x, bins=bins, alpha=0.5, label=tensor)
    ax.axvline(np.log10(eps), color="grey", ls=":", label=f"machine eps ({dtype})")
    ax.set_xticks([floor] + list(range(int(np.ceil(floor + 1)), 1, 2)))
    ax.set_xticklabels(["exact"] + [str(t) for t in range(int(np.ceil(floor + 1)), 1, 2)])
    ax.set_xlabel("log10 of max|m − r| / ‖r‖ per tensor (manual_bp m vs autograd r)")
    ax.set_ylabel("tensors")
    ax.legend()
    fig.tight_layout()
    save_png(fig, path)
    plt.close(fig)
