"""The lecture report's files: two Markdown texts, six CSVs and three plots, written into a stage."""

from __future__ import annotations

import platform

import numpy as np
import pandas as pd
import torch

from comparisons.common.reportio import write_csv, write_text
from comparisons.lecture import plots as lecture_plots
from comparisons.lecture.text import render

MD = {"en": "lecture.md", "ja": "lecture.ja.md"}
CSV = [
    "lecture_dataset.csv",
    "lecture_training.csv",
    "lecture_hell.csv",
    "lecture_hell_factors.csv",
    "lecture_equations.csv",
    "lecture_paths.csv",
]
PNG = ["lecture_dataset.png", "lecture_training.png", "lecture_paths.png"]


def write(stage, r, langs):
    """Every file of the report into ``stage``; returns the file names."""
    files = [MD[lang] for lang in langs] + CSV + PNG
    cols = {f"x_{i + 1}": r.X[:, i] for i in range(r.X.shape[1])}  # x_i: pixel ((i−1)//3, (i−1)%3)
    data = pd.DataFrame(
        {"k": np.arange(1, len(r.X) + 1), "digit": r.digits, **cols, "t_1": r.T[:, 0], "t_2": r.T[:, 1]}
    )
    write_csv(data, stage / "lecture_dataset.csv")
    write_csv(r.training.costs, stage / "lecture_training.csv")
    hell_rows = [
        dict(weights=pt, quantity=q, value=v)
        for pt, h in (("initial", r.hell_initial), ("trained", r.hell_trained))
        for q, v in {
            **h.sums,
            "autograd": h.autograd,
            "backprop": h.backprop,
            "dC_1/dw_11^2": h.dC1,
            "printed rel diff": h.verdict.printed_rel,
            "corrected rel diff": h.verdict.corrected_rel,
        }.items()
    ]
    write_csv(pd.DataFrame(hell_rows), stage / "lecture_hell.csv")
    write_csv(
        pd.DataFrame({"k": np.arange(1, len(r.X) + 1), **r.hell_initial.factors}), stage / "lecture_hell_factors.csv"
    )
    write_csv(r.equations, stage / "lecture_equations.csv")
    write_csv(r.cost_table, stage / "lecture_paths.csv")
    lecture_plots.dataset(r.X, r.digits, stage / "lecture_dataset.png")
    lecture_plots.training(r.training.costs, r.eta, stage / "lecture_training.png")
    lecture_plots.path_cost(r.cost_table, r.times, stage / "lecture_paths.png")
    versions = dict(py=platform.python_version(), np=np.__version__, torch=torch.__version__)
    for lang in langs:
        write_text(stage / MD[lang], render(r, lang, versions, files))
    return files
