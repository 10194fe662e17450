"""The sweep's report: gradients.csv, trajectories.csv, summary.md and two plots."""

from __future__ import annotations

import platform

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch

from comparisons.common import rounding
from comparisons.common.reportio import FLOAT_FORMAT, save_png, write_text
from comparisons.sweep.aggregate import N_LOSS_CURVES, Tally
from comparisons.sweep.budget import CHUNK_ROWS
from comparisons.sweep.harness import GRAD_COLUMNS, STEP_COLUMNS

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
        _append(tf, pd.DataFrame(columns=STEP_COLUMNS), header=True)
        for lo, hi, grad_rows, traj_rows in _chunks(results):
            grads = spec_table(specs[lo:hi], lo)[LABELS].merge(pd.DataFrame(grad_rows, columns=GRAD_COLUMNS), on="arch")
            grads["spec"] = grads["arch"].map({i: s.to_json() for i, s in enumerate(specs[lo:hi], lo)})
            traj = pd.DataFrame(traj_rows, columns=STEP_COLUMNS)
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


def _caught(tally):
    """How many failing rows each check caught."""
    rows = [dict(check=k, failing_rows=int(n)) for k, n in sorted(tally.caught_by().items())]
    return pd.DataFrame(rows or [dict(check="none", failing_rows=0)])


def plural(n, one, many=None):
    """'1 family', '3 families'."""
    return f"{n} {one if n == 1 else many or one + 's'}"


def shapes(specs):
    """How many distinct shapes (sizes, activations, cost) the architectures cover."""
    return len({(s.sizes, s.activations, s.cost) for s in specs})


def _drift(tally, steps):
    """The free runs' drift, as information: its median growth per step and where rounding alone decides."""
    if not tally.growth:
        return ["No free-running drift was measurable (no steps, or the free runs stayed identical).", ""]
    g = np.array(tally.growth)
    return [
        f"Information, not a verdict: train()'s free-running trajectory and torch's drift apart by rounding that the "
        f"update map carries on (column `drift`: max |θ_manual − θ_torch| / max |θ_torch| after each step). Over "
        f"{len(g)} architectures with a measurable drift, it grows by a median factor of {np.median(g):.3g} per "
        f"step (90th percentile {np.quantile(g, 0.9):.3g}); {tally_decided_text(tally, steps, len(g))}.",
        "",
    ]


def tally_decided_text(tally, steps, n):
    """The sentence part on where rounding alone decides the free runs, of ``n`` architectures with a drift."""
    from comparisons.sweep.aggregate import DECIDED

    size = f"{DECIDED:g} of the parameters' size"
    if not tally.decided:
        return f"in all {n} the two free runs stay closer than {size} over all {steps} steps"
    at = int(np.median(tally.decided))
    return (f"in {len(tally.decided)} the two free runs end up {size} apart or more (rounding alone decides their "
            f"course from there), first at step {at} in the median; the others stay closer")  # fmt: skip


def _summary(command, args, specs, tally, v):
    n_fail = int((~v["passed"]).sum())
    fam = getattr(args, "family", None) or 1
    lines = [
        "# deltacheck sweep: manual_bp against PyTorch autograd",
        "",
        f"**{'ALL PASS' if n_fail == 0 else f'{n_fail} ARCHITECTURE(S) FAILED'}** — "
        f"{int(v['passed'].sum())} of {len(v)} architectures agree in every gradient, every δ, every cost, "
        "every dtype and every training step they were compared in, with their inputs left untouched"
        + (f"; {tally.rows['not_compared']} steps of {tally.archs['not_compared']} architectures could not be "
           "compared (torch's state overflowed) and are counted apart." if tally.rows["not_compared"] else ".")
        + "",
        "",
        "## What was run",
        "",
        f"- Command: `{command}`",
        f"- Python {platform.python_version()}, NumPy {np.__version__}, PyTorch {torch.__version__}, "
        f"device `{args.device}`",
        f"- {args.archs} random architectures from seed {args.seed}, dtype {args.dtype}, {args.steps} training steps "
        f"each, covering {plural(shapes(specs), 'distinct shape')} (sizes, activations, cost)"
        + (f", in {plural(-(-args.archs // fam), 'family', 'families')} of up to {fam} that differ only in their seed, "
           "each trained as "
           "one stack on both sides (every member's spec still reproduces alone with `deltacheck check`)"
           if fam > 1 else ""),  # fmt: skip
        f"- Every bound is the rounding model's c·u·S (`comparisons/common/rounding.py`, docs/tolerances.md): "
        f"c = {rounding.C:.3g}, u the unit roundoff of {args.dtype}, S from the network's equations run on magnitudes. "
        "`tol_used` is the largest |m − r| as a fraction of it (≤ 1 passes); float32 is also judged against a "
        "float64 oracle (`oracle_used`).",
        "- Training: at every step manual_bp starts from torch's state before it (parameters and velocity) and takes "
        "the same batch; its gradients (`grad_used`), parameters (`param_used`), velocity (`velocity_used`) and "
        "batch cost (`cost_used`) are compared with torch's under the bound of that one step. `torch_moved` says "
        "how far torch's own update rose above that bound. A kink (a relu z on different sides of 0 in the two "
        "libraries, or softmax logits tied within rounding) is recomputed with torch's branch and must then agree; "
        "nothing else excuses a difference.",
        "- train() runs over the whole schedule (rows `train()` and `train() C_T`): bit for bit TrainStep's run, "
        "and its C_T history against torch's C_T at the parameters it reached.",
        "",
        "## Totals",
        "",
        _md(pd.DataFrame([
            dict(check="architectures", total=len(v), passed=int(v["passed"].sum())),
            dict(check="start and train() checks (W, b, δ, C_k, C_T, X, T, train())", total=tally.rows["grads"],
                 passed=tally.rows["grads_passed"]),
            dict(check="training steps compared", total=tally.rows["traj"] - tally.rows["not_compared"],
                 passed=tally.rows["traj_passed"]),
        ]).assign(pass_rate=lambda d: [f"{p / t:.2%}" if t else "—" for p, t in zip(d["passed"], d["total"])])),
        "",
        *([] if tally.rows["traj"] else [f"No training steps (--steps {args.steps}): start checks only.", ""]),
        "Failing rows by the check that caught them:",
        "",
        _md(_caught(tally)),
        "",
        "## Worst cases",
        "",
        "Largest start differences (as a fraction of the bound):",
        "",
        _md(tally.worst_grads),
        "",
    ]  # fmt: skip
    if tally.rows["traj"]:
        lines += ["Largest step differences (as a fraction of the bound; a step a kink explains, whose "
                  "recomputation with torch's branch agreed, is listed under Kinks instead):", "",
                  _md(tally.worst_traj), ""]  # fmt: skip
    lines += ["## Free-running drift", "", *_drift(tally, args.steps)]
    lines += ["## Kinks", ""]
    lines += [f"- arch {a}, step {n}: {d}" for a, n, d in tally.kinks] or ["None."]
    lines += ["", "## Breakdowns", ""]
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
        f"C_T before each step (torch's, and manual_bp's at the same parameters) and the free runs' drift for the "
        f"first {N_LOSS_CURVES} architectures ({shown}):",
        "",
        "![loss curves](loss_curves.png)",
        "",
        "Normwise relative difference max|m − r| / ‖r‖ of every start tensor; exact agreement (0) is drawn in its "
        "own bar at the left:",
        "",
        "![relative errors](relative_errors.png)",
        "",
        "## Failing architectures",
        "",
    ]
    fails, failing = v[~v["passed"]], tally.failing_grads()
    if fails.empty:
        lines += ["None.", ""]
    for _, r in fails.iterrows():
        bad = failing[failing["arch"] == r["arch"]]
        what = ", ".join(f"{t}^{l} ({c})" if l else f"{t if t != '-' else 'crash'} ({c})"
                         for t, l, c in zip(bad["tensor"], bad["layer"], bad["caught_by"]))  # fmt: skip
        errs = "; ".join(e for e in bad["error"] if e)
        first_bad, spec = tally.first_bad.get(r["arch"]), specs[r["arch"]].to_json()
        lines += [
            f"### arch {r['arch']}: {r['sizes']} {r['activations']} {r['cost']} ({r['optimizer']})",
            "",
            f"- start checks failing: {what or 'none'}" + (f" ({errs})" if errs else ""),
            "- steps: "
            + ("all agree" if first_bad is None else f"first fails at step {first_bad[0]} ({first_bad[1]})"),
            f"- spec: `{spec}`",
            f"- reproduce: `deltacheck check --device {args.device} --spec '{spec}'`",
            "",
        ]
    lines += [
        "## Files",
        "",
        "- [gradients.csv](gradients.csv): one row per architecture × start tensor (W^l, b^l, δ^l, C_k, C_T), "
        "train()'s two rows, X and T",
        "- [trajectories.csv](trajectories.csv): one row per architecture × training step",
        "",
    ]
    return "\n".join(lines)


def _plot_losses(curves, path):
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(10, 4))
    for i, (arch, t) in enumerate(curves):
        color = f"C{i}"
        ax.plot(t["step"], t["cost_torch"], color=color, lw=2.5, alpha=0.5, label=f"arch {arch} torch")
        ax.plot(t["step"], t["cost_manual"], color=color, lw=1, ls="--", label=f"arch {arch} manual_bp")
        bx.plot(t["step"], t["drift"], color=color, label=f"arch {arch}")
    ax.set_xlabel("step")
    ax.set_ylabel("C before the step")
    ax.set_yscale("log")
    ax.set_title("C at torch's state: torch (thick), manual_bp (dashed)", fontsize=9)
    bx.set_xlabel("step")
    bx.set_ylabel("max|θ_manual − θ_torch| / max|θ_torch|")
    bx.set_yscale("log")
    bx.set_title("free runs (train() and torch): drift, information only", fontsize=9)
    if curves:
        ax.legend(fontsize=7, ncol=2)
        bx.legend(fontsize=7)
    fig.tight_layout()
    save_png(fig, path)
    plt.close(fig)


def _plot_errors(tally, dtype, path):
    fig, ax = plt.subplots(figsize=(7, 4))
    floor, bins = tally.floor, tally.bins
    for tensor, counts in sorted(tally.hist.items()):  # each bin's count drawn as its left edge's weight
        ax.hist(bins[:-1], bins=bins, weights=counts, alpha=0.5, label=tensor, histtype="stepfilled")
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
