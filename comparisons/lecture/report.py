"""The lecture report's files: two Markdown texts, seven CSVs and five figures per language, written into a stage."""

from __future__ import annotations

import platform

import numpy as np
import pandas as pd
import torch

from comparisons.common.reportio import write_csv, write_text
from comparisons.lecture import diagrams
from comparisons.lecture import plots as lecture_plots
from comparisons.lecture.markdown import png
from comparisons.lecture.text import render

MD = {"en": "lecture.md", "ja": "lecture.ja.md"}
CSV = [
    "lecture_dataset.csv",
    "lecture_parameters.csv",
    "lecture_training.csv",
    "lecture_hell.csv",
    "lecture_hell_factors.csv",
    "lecture_equations.csv",
    "lecture_paths.csv",
]
FIGURES = ["lecture_dataset", "lecture_training", "lecture_paths", "lecture_network", "lecture_graph"]


def pngs(langs):
    """The figure files of ``langs``: name.png for English, name.ja.png (Japanese labels) for Japanese."""
    return [png(name, lang) for lang in langs for name in FIGURES]


def images_table(r):
    """Every image, training and held out: k, set, digit, kind, source, flipped pixel, x_1 … x_12, t_1, t_2."""
    parts = []
    for name, im in (("training", r.images), ("held out", r.held)):
        cols = {f"x_{i + 1}": im.X[:, i] for i in range(im.X.shape[1])}  # x_i: pixel ((i−1)//3, (i−1)%3)
        parts.append(
            pd.DataFrame(
                {
                    "k": np.arange(1, len(im.X) + 1),
                    "set": name,
                    "digit": im.digits,
                    "kind": im.kind,
                    "source": im.source,
                    "flipped_pixel": im.flipped,
                    **cols,
                    "t_1": im.T[:, 0],
                    "t_2": im.T[:, 1],
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


def parameters_table(r):
    """The 47 parameters in the slides' order (W^2, W^3, b^2, b^3): initial value and ∂C_T there."""
    gW, gb = r.gradient
    net = r.initial
    rows = [
        dict(parameter=f"w_{j + 1},{i + 1}^{l}", l=l, j=j + 1, i=i + 1, initial=net.W[l][j, i], dC_T=gW[l][j, i])
        for l in net.W
        for j, i in np.ndindex(net.W[l].shape)
    ]
    rows += [
        dict(parameter=f"b_{j + 1}^{l}", l=l, j=j + 1, i=0, initial=net.b[l][j], dC_T=gb[l][j])
        for l in net.b
        for j in range(len(net.b[l]))
    ]
    return pd.DataFrame(rows)


def write(stage, r, langs):
    """Every file of the report into ``stage``; returns the file names."""
    files = [MD[lang] for lang in langs] + CSV + pngs(langs)
    write_csv(images_table(r), stage / "lecture_dataset.csv")
    write_csv(parameters_table(r), stage / "lecture_parameters.csv")
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
    factors = {"k": np.arange(1, len(r.X) + 1), **r.hell_initial.factors, "δ_1^2 x_1": r.worked.contributions}
    write_csv(pd.DataFrame(factors), stage / "lecture_hell_factors.csv")
    write_csv(r.equations, stage / "lecture_equations.csv")
    write_csv(r.cost_table, stage / "lecture_paths.csv")
    w = r.worked
    for lang in langs:
        lecture_plots.dataset(r.X, r.digits, stage / png("lecture_dataset", lang), lang)
        lecture_plots.training(r.training.costs, r.eta, stage / png("lecture_training", lang), lang)
        lecture_plots.path_cost(r.cost_table, r.times, stage / png("lecture_paths", lang), lang)
        a, delta = {1: w.x, 2: w.a2, 3: w.a3}, {2: w.delta2, 3: w.delta3}
        diagrams.network(r.initial.sizes, r.initial.W, a, delta, stage / png("lecture_network", lang), lang, k=w.k)
        diagrams.computational_graph(stage / png("lecture_graph", lang), lang)
    versions = dict(py=platform.python_version(), np=np.__version__, torch=torch.__version__)
    for lang in langs:
        write_text(stage / MD[lang], render(r, lang, versions, files))
    return files
