"""Path enumeration against backprop as networks grow deeper and wider: counts, time, agreement."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from comparisons.common.checks import compare
from comparisons.common.tolerances import PATHS_F64
from comparisons.lecture import path_sum as paths
from manual_bp import MLP

DEPTHS = range(1, 7)  # weight layers L − 1
WIDTHS = (2, 4, 8)  # every layer, input and output included
K = 8  # examples per network


def random_problem(sizes, seed):
    """A sigmoid, squared-error network of ``sizes`` with K random inputs and targets in (0, 1)."""
    net = MLP.init(sizes=sizes, activations="sigmoid", cost="squared_error", seed=seed)
    rng = np.random.default_rng(seed + 1)
    return net, rng.random((K, sizes[0])), rng.random((K, sizes[-1]))  # (K, n_1), (K, n_L)


def agree(net, X, T):
    """Path enumeration against backprop on one network: (worst CheckResult, terms, seconds each)."""
    t0 = time.perf_counter()
    pg, terms = paths.path_gradients(net, X, T)
    t1 = time.perf_counter()
    gW, _ = net.gradients(X, T)
    t2 = time.perf_counter()
    res = [compare(pg[l], gW[l], PATHS_F64) for l in gW]
    worst = max(res, key=lambda r: (not r.passed, r.tol_used))
    return worst, terms, t1 - t0, t2 - t1


def table(seed):
    """Deterministic columns (counts, agreement) and a separate dict of measured times.

    Times vary from run to run, so they are kept out of the table, which must be byte-identical
    for the same arguments; the report plots them and prints them on stderr.
    """
    rows, times = [], {}
    for n in WIDTHS:
        for D in DEPTHS:
            sizes = [n] * (D + 1)
            row = dict(
                depth=D,
                width=n,
                sizes="-".join(map(str, sizes)),
                path_terms=paths.n_path_terms(sizes),
                madds_paths=paths.madds_paths(sizes),
                madds_backprop=paths.madds_backprop(sizes),
            )
            row["ratio"] = row["madds_paths"] / row["madds_backprop"]
            if row["path_terms"] > paths.MAX_PATH_TERMS:
                row.update(enumerated=False, max_abs_err=float("nan"), passed=True)
            else:
                net, X, T = random_problem(sizes, seed)
                worst, terms, t_p, t_b = agree(net, X, T)
                assert terms == row["path_terms"], "the counted path terms must match the formula"
                row.update(enumerated=True, max_abs_err=worst.max_abs_err, passed=worst.passed)
                times[(n, D)] = (t_p, t_b)
            rows.append(row)
    return pd.DataFrame(rows), times
