"""The lecture report's figures: the 64 images, C_T per step, and path enumeration's cost, labelled per language."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.collections import LineCollection, PatchCollection
from matplotlib.patches import Rectangle

from comparisons.common.reportio import save_png
from comparisons.lecture.data import COLS, ROWS
from comparisons.lecture.diagrams import font

LABELS = {
    "en": dict(
        images="the {K} images (k: digit); every pixel framed, black = 1",
        manual="manual_bp (SGD)",
        step="step",
        gd="gradient descent on C_T, η = {eta:g}",
        rises="C_T went up ({n} steps)",
        ratio="C_T[n] / C_T[n−1]",
        ratio_title="above 1: the step overshot",
        paths="paths, width {n}",
        backprop="backprop, width {n}",
        depth="depth (weight layers)",
        madds="multiply-adds per example",
        exp="exponential against linear",
        seconds="seconds (this run)",
        measured="measured time",
    ),
    "ja": dict(
        images="{K} 枚の画像(k: 数字)。枠は画素、黒が 1",
        manual="manual_bp(SGD)",
        step="更新回数",
        gd="C_T に対する勾配降下法、η = {eta:g}",
        rises="C_T が増えた回({n} 回)",
        ratio="C_T[n] / C_T[n−1]",
        ratio_title="1 より上: 更新が行き過ぎた",
        paths="経路の列挙、幅 {n}",
        backprop="誤差逆伝播法、幅 {n}",
        depth="深さ(重みの層数)",
        madds="データ 1 個あたりの積和の回数",
        exp="指数的な増加と線形の増加",
        seconds="秒(この実行)",
        measured="計測時間",
    ),
}


def dataset(X, digits, path, lang="en"):
    """The images as an 8×8 mosaic, every pixel framed so that a shifted 1 is told from a centred one."""
    L = LABELS[lang]
    n = int(np.ceil(np.sqrt(len(X))))
    mosaic = np.full((n * (ROWS + 2), n * (COLS + 1)), np.nan)  # white gaps; a row of room for the label
    cells, frames = [], []
    with font(lang):
        fig, ax = plt.subplots(figsize=(6, 8))
        for k in range(len(X)):
            r, c = divmod(k, n)
            top, left = r * (ROWS + 2) + 1, c * (COLS + 1)
            mosaic[top : top + ROWS, left : left + COLS] = X[k].reshape(ROWS, COLS)  # (4, 3)
            x0, y0 = left - 0.5, top - 0.5  # pixel (i, j) covers [left + j ± ½] × [top + i ± ½]
            cells += [[(x0, y0 + i), (x0 + COLS, y0 + i)] for i in range(1, ROWS)]
            cells += [[(x0 + j, y0), (x0 + j, y0 + ROWS)] for j in range(1, COLS)]
            frames.append(Rectangle((x0, y0), COLS, ROWS, fill=False, ec="k", lw=0.8))
            ax.text(left + 1, top - 0.8, f"{k + 1}: {digits[k]}", fontsize=6, ha="center")
        ax.imshow(mosaic, cmap="gray_r", vmin=0, vmax=1)
        ax.add_collection(LineCollection(cells, colors="0.6", linewidths=0.4))
        ax.add_collection(PatchCollection(frames, match_original=True))
        ax.set_axis_off()
        ax.set_title(L["images"].format(K=len(X)))
        fig.tight_layout()
        save_png(fig, path)
        plt.close(fig)


def training(costs, eta, path, lang="en"):
    """C_T per step (log scale) with the steps at which it went up marked, and C_T[n] / C_T[n−1]."""
    L = LABELS[lang]
    c = costs["C_T_manual_bp"].to_numpy()
    step = costs["step"].to_numpy()
    up = np.flatnonzero(c[1:] > c[:-1]) + 1
    with font(lang):
        fig, (a1, a2) = plt.subplots(1, 2, figsize=(10, 4))
        a1.semilogy(step, c, label=L["manual"])
        a1.semilogy(step, costs["C_T_torch"], "--", label="torch.optim.SGD")
        a1.plot(step[up], c[up], "o", color="C3", ms=4, label=L["rises"].format(n=len(up)))
        a1.set(xlabel=L["step"], ylabel="C_T", title=L["gd"].format(eta=eta))
        a1.legend()
        a2.plot(step[1:], c[1:] / c[:-1])
        a2.axhline(1.0, color="0.5", lw=0.8)
        a2.set(xlabel=L["step"], ylabel=L["ratio"], title=L["ratio_title"])
        fig.tight_layout()
        save_png(fig, path)
        plt.close(fig)


def path_cost(table, times, path, lang="en"):
    """Multiply-adds and measured seconds against depth, per width: paths (solid) and backprop (dashed)."""
    L = LABELS[lang]
    with font(lang):
        fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 4))
        for i, (n, sub) in enumerate(table.groupby("width")):
            c = f"C{i}"
            a1.semilogy(sub["depth"], sub["madds_paths"], "o-", color=c, label=L["paths"].format(n=n))
            a1.semilogy(sub["depth"], sub["madds_backprop"], "s--", color=c, label=L["backprop"].format(n=n))
            ds = [d for d in sub["depth"] if (n, d) in times]
            a2.semilogy(ds, [times[(n, d)][0] for d in ds], "o-", color=c, label=L["paths"].format(n=n))
            a2.semilogy(ds, [times[(n, d)][1] for d in ds], "s--", color=c, label=L["backprop"].format(n=n))
        a1.set(xlabel=L["depth"], ylabel=L["madds"], title=L["exp"])
        a2.set(xlabel=L["depth"], ylabel=L["seconds"], title=L["measured"])
        a1.legend(fontsize=7), a2.legend(fontsize=7)
        fig.tight_layout()
        save_png(fig, path)
        plt.close(fig)
