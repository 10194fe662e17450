"""The lecture report's figures: the 64 images, C_T per step, and path enumeration's cost."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from comparisons.common.reportio import save_png
from comparisons.lecture.data import COLS, ROWS


def dataset(X, digits, path):
    """The 64 images as one 8×8 mosaic (one pixel of white between them), each labelled with k and its digit."""
    n = int(np.ceil(np.sqrt(len(X))))
    mosaic = np.full((n * (ROWS + 2), n * (COLS + 1)), np.nan)  # white gaps; a row of room for the label
    fig, ax = plt.subplots(figsize=(6, 8))
    for k in range(len(X)):
        r, c = divmod(k, n)
        top, left = r * (ROWS + 2) + 1, c * (COLS + 1)
        mosaic[top : top + ROWS, left : left + COLS] = X[k].reshape(ROWS, COLS)  # (4, 3)
        ax.text(left + 1, top - 0.7, f"{k + 1}: {digits[k]}", fontsize=6, ha="center")
    ax.imshow(mosaic, cmap="gray_r", vmin=0, vmax=1)
    ax.set_axis_off()
    ax.set_title("the 64 images (k: digit)")
    fig.tight_layout()
    save_png(fig, path)
    plt.close(fig)


def training(costs, eta, path):
    """C_T per step for manual_bp and torch.optim.SGD, and their difference."""
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(10, 4))
    a1.semilogy(costs["step"], costs["C_T_manual_bp"], label="manual_bp (SGD)", lw=3, alpha=0.5)
    a1.semilogy(costs["step"], costs["C_T_torch"], "--", label="torch.optim.SGD")
    a1.set(xlabel="step", ylabel="C_T", title=f"gradient descent, η = {eta:g}")
    a1.legend()
    a2.plot(costs["step"], costs["abs_diff"])
    a2.set(xlabel="step", ylabel="|C_T manual_bp − C_T torch|", title="difference (rounding only)")
    fig.tight_layout()
    save_png(fig, path)
    plt.close(fig)


def path_cost(table, times, path):
    """Multiply-adds and measured seconds against depth, per width: paths (solid) and backprop (dashed)."""
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 4))
    for i, (n, sub) in enumerate(table.groupby("width")):
        c = f"C{i}"
        a1.semilogy(sub["depth"], sub["madds_paths"], "o-", color=c, label=f"paths, width {n}")
        a1.semilogy(sub["depth"], sub["madds_backprop"], "s--", color=c, label=f"backprop, width {n}")
        ds = [d for d in sub["depth"] if (n, d) in times]
        a2.semilogy(ds, [times[(n, d)][0] for d in ds], "o-", color=c, label=f"paths, width {n}")
        a2.semilogy(ds, [times[(n, d)][1] for d in ds], "s--", color=c, label=f"backprop, width {n}")
    a1.set(xlabel="depth (weight layers)", ylabel="multiply-adds per example", title="exponential against linear")
    a2.set(xlabel="depth (weight layers)", ylabel="seconds (this run)", title="measured time")
    a1.legend(fontsize=7), a2.legend(fontsize=7)
    fig.tight_layout()
    save_png(fig, path)
    plt.close(fig)
