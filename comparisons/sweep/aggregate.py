"""What the sweep's summary and plots need from its rows, gathered a chunk of architectures at a time.

Each chunk holds whole architectures, in arch order, and is read with the same pandas expressions
the whole table would be; what is kept grows by a few numbers per architecture (its verdict), by the
rows the summary lists (failures, findings), and not at all otherwise (counts, the five worst rows,
a histogram's bin counts, the first few loss curves).
"""

from __future__ import annotations

import collections

import numpy as np
import pandas as pd

N_LOSS_CURVES = 4
N_WORST = 5
HIST_TENSORS = ["W", "b", "delta", "C_T"]
DECIDED = 1e-2  # free runs this far apart (relative): rounding alone decides where they go from there
WORST_GRAD_COLUMNS = ["arch", "activations", "cost", "tensor", "layer", "max_abs_err", "max_rel_err", "ref_norm",
                      "tol_used"]  # fmt: skip
WORST_TRAJ_COLUMNS = ["arch", "step", "grad_used", "param_used", "velocity_used", "cost_used", "tol_used"]
BAD_GRAD_COLUMNS = ["arch", "tensor", "layer", "caught_by", "error"]
VERDICT_COLUMNS = ["arch", "passed", "tol_used"]


def top(df, by, n=N_WORST):
    """The ``n`` rows largest in by[0], ties in ascending order of the rest, as a stable sort gives them."""
    return df.sort_values(by, ascending=[False] + [True] * (len(by) - 1), kind="stable").head(n)


def error_bins(dtype):
    """(floor, bin edges) of relative_errors.png: log10 of the errors, exact zeros drawn at ``floor``."""
    floor = np.log10(float(np.finfo(np.dtype(dtype)).eps)) - 4
    return floor, np.linspace(floor - 0.5, 0, 60)


def log_rel_errors(d, floor):
    """log10 of max|m − r| / ‖r‖ for each row of ``d`` with ‖r‖ > 0; ``floor`` where the two agree exactly."""
    rel = (d["max_abs_err"] / d["ref_norm"].where(d["ref_norm"] > 0)).replace([np.inf], np.nan).dropna()
    return np.where(rel > 0, np.log10(rel.clip(lower=10 ** (floor + 0.5))), floor)


def merge_top(kept, new, by):
    """The N_WORST rows of ``kept`` and ``new`` together: ``new`` holds only later architectures."""
    new = top(new, by)
    if kept is None or not len(kept):
        return new
    return top(pd.concat([kept, new]), by) if len(new) else kept  # no empty frame in concat: it could change dtypes


class Tally:
    """Counts, verdicts, worst rows, findings and plot data of the chunks added so far."""

    def __init__(self, dtype):
        self.floor, self.bins = error_bins(dtype)
        self.rows = collections.Counter()  # grads, grads passed, steps, steps passed, steps not compared
        self.archs = collections.Counter()  # architectures with a kink, with steps not compared, decided by rounding
        self.caught = collections.Counter()  # failing gradient rows by caught_by
        self.failed_steps = collections.Counter()  # failing step rows by caught_by
        self.verdicts = {"grads": [], "traj": []}  # per chunk: arrays of arch, passed (all), tol_used (the worst)
        self.worst_grads = self.worst_traj = None
        self.curves = []  # the step rows of the first N_LOSS_CURVES architectures that have any
        self.hist = {}  # tensor: bin counts of log_rel_errors
        self.bad_grads = []  # failing gradient rows
        self.first_bad = {}  # arch: the first step whose row fails, and the checks it failed
        self.kinks = []  # (arch, step, detail) of the first kink of each architecture that has one
        self.growth = []  # per architecture with a measurable drift: the median factor per step
        self.decided = []  # per architecture whose free runs part by DECIDED: the step

    def add(self, grads, traj):
        """Take in one chunk: ``grads`` as gradients.csv has them, ``traj`` as trajectories.csv."""
        self.rows.update(grads=len(grads), grads_passed=int(grads["passed"].sum()))
        self.verdicts["grads"].append(per_arch(grads))
        self.caught.update(grads.loc[~grads["passed"], "caught_by"].value_counts().to_dict())
        self.worst_grads = merge_top(self.worst_grads, grads[WORST_GRAD_COLUMNS], ["tol_used", "arch"])
        if not grads["passed"].all():
            self.bad_grads.append(grads.loc[~grads["passed"], BAD_GRAD_COLUMNS])
        for tensor, d in grads[grads["tensor"].isin(HIST_TENSORS)].groupby("tensor"):
            counts = np.histogram(log_rel_errors(d, self.floor), self.bins)[0]
            self.hist[tensor] = self.hist.get(tensor, 0) + counts
        if len(traj):
            self.add_traj(traj)

    def add_traj(self, traj):
        """The step rows of one chunk, at least one."""
        compared = traj[traj["status"] != "not compared"]
        self.rows.update(traj=len(traj), traj_passed=int((traj["status"] == "pass").sum()),
                         not_compared=len(traj) - len(compared))  # fmt: skip
        self.verdicts["traj"].append(per_arch(traj))
        self.failed_steps.update(traj.loc[~traj["passed"], "caught_by"].value_counts().to_dict())
        kink_ok = (traj["status"] == "pass") & traj["detail"].str.startswith("kink", na=False)  # recomputed, agreed
        rounding_alone = traj[(traj["status"] != "not compared") & ~kink_ok]  # its tol_used is the verdict's own
        self.worst_traj = merge_top(self.worst_traj, rounding_alone[WORST_TRAJ_COLUMNS], ["tol_used", "arch", "step"])
        bad = traj[~traj["passed"]].groupby("arch").first()
        self.first_bad.update({a: (int(r["step"]), r["caught_by"]) for a, r in bad.iterrows()})
        self.archs.update(not_compared=traj.loc[traj["status"] == "not compared", "arch"].nunique())
        kinked = traj[traj["detail"].str.startswith("kink", na=False)].groupby("arch").first()
        self.kinks += [(a, int(r["step"]), r["detail"]) for a, r in kinked.iterrows()]
        for _, t in traj.groupby("arch"):
            d = t["drift"].to_numpy()
            with np.errstate(all="ignore"):
                ratios = d[1:] / d[:-1]
            ratios = ratios[np.isfinite(ratios) & (ratios > 0)]
            if len(ratios):
                self.growth.append(float(np.median(ratios)))
            far = np.flatnonzero(d >= DECIDED)
            if len(far):
                self.decided.append(int(t["step"].iloc[far[0]]))
        for arch in traj["arch"].unique()[: N_LOSS_CURVES - len(self.curves)]:
            self.curves.append((arch, traj[traj["arch"] == arch]))

    def verdict_rows(self):
        """(gradient, trajectory) verdicts, one row per architecture: arch, passed (all), tol_used (the worst)."""
        return tuple(
            pd.DataFrame(dict(zip(VERDICT_COLUMNS, map(np.concatenate, zip(*v)))))
            if v
            else pd.DataFrame(columns=VERDICT_COLUMNS)
            for v in self.verdicts.values()
        )

    def failing_grads(self):
        """Every failing gradient row: arch, tensor, layer, caught_by, error."""
        return pd.concat(self.bad_grads) if self.bad_grads else pd.DataFrame(columns=BAD_GRAD_COLUMNS)

    def caught_by(self):
        """How many failing rows each check caught: the start's, and the steps' by the checks they failed."""
        counts = dict(self.caught)
        for checks, n in self.failed_steps.items():
            counts[f"step: {checks}"] = n
        return counts


def per_arch(rows):
    """Arrays of arch, whether all its rows passed, its worst tol_used: a few bytes per architecture."""
    v = rows.groupby("arch").agg(passed=("passed", "all"), tol_used=("tol_used", "max"))
    return v.index.to_numpy(), v["passed"].to_numpy(), v["tol_used"].to_numpy()
