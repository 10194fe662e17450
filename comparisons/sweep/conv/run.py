"""Many conv architectures through the checker, in one process or several, with identical results; the report."""

from __future__ import annotations

import multiprocessing
import os

import numpy as np
import pandas as pd

from comparisons.common.progress import Bar
from comparisons.sweep.budget import POOL_CHUNK as CHUNK
from comparisons.sweep.console import quiet
from comparisons.sweep.runner import init_worker

from .check import COLUMNS
from .harness import check_conv_family

EXACT, MAXPOOL = '"exact":true', '"mode":"max"'  # as a spec's JSON writes them


def _check_chunk(job):
    first, families = job
    out = []
    with quiet():
        for specs in families:
            out += check_conv_family(first, specs)
            first += len(specs)
    return out


def iter_rows(specs, jobs=1, progress=None, family=1):
    """The rows of each spec, in order, from ``jobs`` processes (1 torch thread each), ``family`` at a time."""
    families = [specs[i : i + family] for i in range(0, len(specs), family)]
    per = max(1, CHUNK // family)  # architectures per round trip to a worker: at least one family
    work = [(i * family, families[i : i + per]) for i in range(0, len(families), per)]
    with Bar(total=len(specs), desc="conv sweep", unit="arch", show=progress) as bar:
        if jobs == 1:
            init_worker()
            results = map(_check_chunk, work)
        else:
            pool = multiprocessing.get_context("fork").Pool(jobs, initializer=init_worker, initargs=(os.getpid(),))
            results = pool.imap(_check_chunk, work)
        try:
            for chunk in results:
                for rows in chunk:
                    bar.update()
                    yield rows
        finally:
            if jobs > 1:
                pool.terminate()
                pool.join()


def verdicts(specs, all_rows, family=1):
    """(one row per architecture, every failing check row): the per-architecture verdict and its evidence."""
    archs, failing = [], []
    for spec, rows in zip(specs, all_rows):
        df = pd.DataFrame(rows, columns=COLUMNS)
        bad = df[~df["passed"].astype(bool)]
        failing.append(bad)
        edge = df["status"] == "not compared"
        compared = df[~edge]
        ok = compared[compared["passed"].astype(bool)]  # the margins of values that passed
        arch = int(df["arch"].iloc[0])
        archs.append(dict(arch=arch, family=arch // family, label=spec.label(), dtype=spec.dtype, passed=bad.empty,
                          caught_by=", ".join(sorted(set(bad["caught_by"]))), checks=len(compared),
                          steps=int(df["step"].max()), not_compared=df.loc[edge, "step"].nunique(),
                          worst_bound_used=ok["bound_used"].max(), worst_oracle_used=ok["oracle_used"].max(),
                          spec=spec.to_json()))  # fmt: skip
    failing = [f for f in failing if len(f)]
    return pd.DataFrame(archs), (pd.concat(failing) if failing else pd.DataFrame(columns=COLUMNS))


def markdown(command, archs, failing, family=1):
    """conv_summary.md: the verdict, what was checked, the worst margins, the failures."""
    n, n_fail = len(archs), int((~archs["passed"]).sum())
    worst = archs.sort_values("worst_bound_used", ascending=False).head(1)
    lines = [
        "# deltacheck sweep --conv: convolutional networks, manual_bp against autograd",
        "",
        f"**{'PASS' if not n_fail else 'FAIL'}** — {n - n_fail} of {n} architectures pass every check.",
        "",
        f"Command: `{command}`",
        "",
        "Each architecture (image, conv layers with stride 1 or 2 and valid or zero padding, max or average "
        "pooling, dense layers, a cost; a quarter with integer images and kernels, so that max pooling meets "
        "exact ties) is checked at the start — every ∂C_T/∂W^l, ∂C_T/∂b^l, δ^l (pooling layers included), C_k "
        "and C_T — and then at every training step from torch's state after the step before (parameters, "
        "momentum buffers, C_T). A value passes within the dense sweep's rounding model, c·u·√2·S (S from the same "
        "equations on magnitudes; docs/conv.md); in float32 also against the float64 result within c·u·S (`oracle`). "
        "Where a relu z or a max-pooling winner differs between the two sides, manual_bp is recomputed with the "
        "reference's branch there and must then agree; nothing else excuses a difference. Then `manual_bp.conv.train`, "
        "as a user calls it, runs the whole schedule: it must follow ConvTrainStep's path bit for bit and its C_T "
        "history must agree with torch's at the same parameters (`path`).",
        "",
        f"Families of up to {family}: architectures that differ only in their seed (weights, data) are trained as one "
        "stack on each side (manual_bp's CNNFamily, torch_ref's TorchCNNFamily: a grouped nn.Conv2d), each member "
        f"judged by its own rows; {archs['label'].nunique()} distinct shapes."
        if family > 1
        else f"Each architecture trained alone; {archs['label'].nunique()} distinct shapes.",
        "",
        f"Largest share of a bound used by a passing value: {archs['worst_bound_used'].max():.3g} "
        f"(`{worst['label'].iloc[0]}`); against the float64 oracle: "
        + (
            f"{archs['worst_oracle_used'].max():.3g}."
            if archs["worst_oracle_used"].notna().any()
            else "none (float64 has no higher-precision oracle here)."
        ),  # fmt: skip
        "",
        "In the tables, a row of step 0 compares ∂C_T/∂W^l, ∂C_T/∂b^l (`W`, `b`), δ^l, C_k and C_T; a row of step "
        "n ≥ 1 the parameters after that step (`W`, `b`), the momentum buffers (`v_W`, `v_b`) and C_T before it; "
        "step −1 the whole run (`train()`, `train() C_T`, the inputs `X`, `T`). `family` in conv_archs.csv numbers "
        "the stack an architecture was trained in.",
        "",
        f"Checks: {int(archs['checks'].sum())} over {n} architectures; with integer images: "
        f"{int(archs['spec'].str.contains(EXACT).sum())}; with max pooling: "
        f"{int(archs['spec'].str.contains(MAXPOOL).sum())}.",
        "",
    ]
    n_edge = int((archs["not_compared"] > 0).sum())
    if n_edge:
        lines += [f"Not compared: {int(archs['not_compared'].sum())} steps of {n_edge} architectures, where torch's "
                  "state or the magnitudes of the step reached the dtype's largest number (a diverging run: an "
                  "intermediate may overflow on one side only, or in float32 and not in its float64 oracle). They are "
                  "counted apart, never as passes; every step before them was compared.", ""]  # fmt: skip
    if n_fail:
        lines += ["## Failing architectures", "", archs[~archs["passed"]][["arch", "label", "dtype", "caught_by"]]
                  .to_markdown(index=False), "", "First failing checks:", "",
                  failing.head(20).drop(columns=["passed"]).dropna(axis=1, how="all")
                  .to_markdown(index=False, floatfmt=".3g"), ""]  # fmt: skip
    return "\n".join(lines) + "\n"


def teeth(mutations, groups, progress=None):
    """(clean failures, one row per mutation, the architectures that let a bug through): each planted bug over the
    families of ``groups`` (lists of specs, each trained as one stack, as the sweep trains them) where it applies."""
    init_worker()
    firsts = np.cumsum([0] + [len(g) for g in groups[:-1]])  # architectures numbered across the families
    with quiet():
        unmutated = [rows for f, g in zip(firsts, groups) for rows in check_conv_family(int(f), g)]
    specs = [s for g in groups for s in g]
    clean = [s for s, rows in zip(specs, unmutated) if not all(r["passed"] for r in rows)]
    out, through = [], []
    with Bar(total=len(mutations), desc="selftest --conv", unit="bug", show=progress) as bar:
        for m in mutations:
            fit = [(int(f), g) for f, g in zip(firsts, groups) if m.applies(g[0]) and m.dtype in ("any", g[0].dtype)]
            caught, by, missed = 0, set(), []
            with m.applied(), quiet(), np.errstate(all="ignore"):
                for f, g in fit:
                    for i, (s, rows) in enumerate(zip(g, check_conv_family(f, g)), start=f):
                        bad = {r["caught_by"] for r in rows if not r["passed"]}
                        caught += bool(bad)
                        by |= bad
                        if not bad:
                            missed.append(f"#{i} {s.dtype}")
                            through.append(dict(mutation=m.name, arch=i, dtype=s.dtype, label=s.label(),
                                                why=why_missed(rows, unmutated[i]), spec=s.to_json()))  # fmt: skip
            n = sum(len(g) for _, g in fit)
            out.append(dict(mutation=m.name, planted=m.what, applicable=n, caught=caught,
                            share=caught / n if n else np.nan, caught_by=", ".join(sorted(by)),
                            expected=", ".join(m.expected), missed=", ".join(missed)))  # fmt: skip
            bar.update()
    columns = ["mutation", "arch", "dtype", "label", "why", "spec"]
    return clean, pd.DataFrame(out), pd.DataFrame(through, columns=columns)


def why_missed(rows, unmutated):
    """Why a planted bug passed on one architecture: it changed no value at all there, or only within the bounds."""
    if [r["max_abs_err"] for r in rows] == [r["max_abs_err"] for r in unmutated]:
        return "the bug changes nothing here: every difference from torch is the unmutated code's, bit for bit"
    used = max((r["bound_used"] for r in rows if r["bound_used"] == r["bound_used"]), default=0.0)
    return f"the bug moves values by less than rounding here: the largest share of a bound used is {used:.3g}"


def teeth_markdown(command, clean, table, n, through=None):
    """selftest_conv.md."""
    every = bool((table["caught"] > 0).all() and (table["applicable"] > 0).all())
    ok = every and not clean
    lines = [
        "# deltacheck selftest --conv: does the conv checker catch the classic conv and pooling bugs?",
        "",
        f"**{'PASS' if ok else 'FAIL'}** — {int((table['caught'] > 0).sum())} of {len(table)} planted bugs caught; "
        f"the unmutated manual_bp {'passes' if not clean else f'FAILS on {len(clean)} architecture(s) of'} "
        f"the same {n} architectures (float64 and float32: a hand-built one with every feature in each, the "
        "float64 one again trained by mini-batches, then the sampler's, in families as the sweep trains them).",
        "",
        f"Command: `{command}`",
        "",
        "Each bug replaces one function of manual_bp.conv for the run. `applicable` counts the architectures "
        "where the bug exists at all (a max-pooling bug needs a max-pooling layer; a tie rule needs exact ties, "
        "i.e. integer images); `caught` how many of them fail a check, `share` their fraction; `caught_by` the "
        "checks that failed (`value`: against torch within the rounding bound, `oracle`: float32 against float64, "
        "`path`: train() over the whole schedule, `shape`, `dtype`, `finite`, `input`, `crash`), `expected` those "
        "the bug should trip; `missed` the architectures (numbered as below) that let it through, each listed "
        "with the reason under the table.",
        "",
        table.to_markdown(index=False, floatfmt=".3g"),
        "",
    ]
    if through is not None and len(through):
        lines += ["## Architectures that let a bug through", "",
                  through.drop(columns=["spec"]).to_markdown(index=False), ""]  # fmt: skip
    lines += [f"- unmutated run failed: `{s.to_json()}`" for s in clean]
    return "\n".join(lines) + "\n"
