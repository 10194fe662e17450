"""Pictures for a student: the network with δ flowing backward, and a small computational graph.

Japanese labels use the IPAex Gothic font that the matplotlib-fontja package ships.
"""

from __future__ import annotations

import contextlib

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from comparisons.common.reportio import save_png

MAX_LABELLED_EDGES = 9  # a layer with more edges than this is drawn without a number on each


def _register_japanese_font():
    """Make IPAex Gothic known to matplotlib without changing the default font (importing it would)."""
    family = matplotlib.rcParams["font.family"]
    import matplotlib_fontja  # noqa: F401  (registers the font and sets it as the default …)

    matplotlib.rcParams["font.family"] = family  # … which is put back: only `font("ja")` uses it


@contextlib.contextmanager
def font(lang):
    """Labels in ``lang``: IPAex Gothic for Japanese, matplotlib's default otherwise."""
    if lang != "ja":
        with plt.rc_context({"font.family": "DejaVu Sans"}):
            yield
        return
    _register_japanese_font()
    with plt.rc_context({"font.family": ["IPAexGothic", "DejaVu Sans"]}):
        yield


def _positions(sizes):
    """(x, y) of unit j of layer l: layers left to right, units top to bottom, each layer spread and centred on 0.

    The widest layer has its units 1 apart; a narrower one spreads over 60 % of that height (at most 3 apart),
    so that the edges into it fan out and their numbers do not pile up.
    """
    top = max(sizes)
    gap = {n: 1.0 if n == top or n == 1 else min(3.0, 0.6 * (top - 1) / (n - 1)) for n in sizes}
    return {(l, j): (l - 1, gap[n] * ((n - 1) / 2 - j)) for l, n in enumerate(sizes, 1) for j in range(n)}


def network(sizes, W, a, delta, path, lang="en", k=1):
    """Units with a_j^l and δ_j^l of example k, and on each edge its share δ_j^l w_ji^l of δ flowing back.

    ``a`` {l: (n_l,)} with a[1] = x, ``delta`` {l: (n_l,)} for l ≥ 2, ``W`` {l: (n_l, n_{l−1})}.
    """
    pos = _positions(sizes)
    L = len(sizes)
    height = max(3.2, 0.6 * max(sizes) + 1.6)
    with font(lang):
        fig, ax = plt.subplots(figsize=(2.6 * L + 1, height))
        for l in range(2, L + 1):
            labelled = sizes[l - 1] * sizes[l - 2] <= MAX_LABELLED_EDGES
            for j in range(sizes[l - 1]):
                for i in range(sizes[l - 2]):
                    (x1, y1), (x0, y0) = pos[(l, j)], pos[(l - 1, i)]
                    share = delta[l][j] * W[l][j, i]
                    ax.annotate(
                        "",
                        xy=(x0, y0),
                        xytext=(x1, y1),
                        arrowprops=dict(
                            shrinkA=12,
                            shrinkB=12,
                            arrowstyle="->" if l > 2 else "-",
                            color="C3" if l > 2 else "0.6",
                            lw=0.8 if l > 2 else 0.4,
                        ),
                    )
                    if l > 2 and labelled:
                        t = 0.3  # nearer the unit it leaves, before the edges cross
                        ax.text(
                            x1 + t * (x0 - x1),
                            y1 + t * (y0 - y1),
                            f"{share:.3g}",
                            fontsize=7,
                            color="C3",
                            ha="center",
                            va="bottom" if y0 >= y1 else "top",
                        )
        for (l, j), (x, y) in pos.items():
            ax.plot(x, y, "o", ms=22, mfc="white", mec="k", zorder=3)
            name = f"$x_{{{j + 1}}}$" if l == 1 else f"$a_{{{j + 1}}}^{{{l}}}$"
            ax.text(x, y, name, ha="center", va="center", fontsize=7, zorder=4)
            above = dict(textcoords="offset points", ha="center", fontsize=7)
            ax.annotate(f"{a[l][j]:.3g}", (x, y), xytext=(0, 13), va="bottom", color="0.3", **above)
            if l >= 2:
                ax.annotate(f"δ={delta[l][j]:.3g}", (x, y), xytext=(0, -13), va="top", color="C3", **above)
        if lang == "ja":
            title = (
                f"δ は出力層から入力層へ逆向きに伝わる(k = {k})\n"
                r"赤い矢印の数値 $\delta_j^{l+1} w_{ji}^{l+1}$ を足して $\sigma'(z_i^l)$ を掛けると $\delta_i^l$"
            )
        else:
            title = (
                f"δ flows backward (example k = {k})\n"
                r"the red numbers $\delta_j^{l+1} w_{ji}^{l+1}$ into unit i, summed, "
                r"times $\sigma'(z_i^l)$: $\delta_i^l$"
            )
        ax.set_title(title, fontsize=9)
        ax.set_xlim(-0.5, L - 0.5)
        ys = [y for _, y in pos.values()]
        ax.set_ylim(min(ys) - 0.6, max(ys) + 0.5)
        ax.set_axis_off()
        fig.tight_layout()
        save_png(fig, path)
        plt.close(fig)


def computational_graph(path, lang="en"):
    """One sigmoid unit as a graph, ゼロから作る ch. 5 style: small numbers forward (above), gradients back (below).

    z = w·x + b with w = 2, x = 1, b = −1 → z = 1, a = σ(1), C = ½(a − t)² with t = 1.
    """
    w, x, b, t = 2.0, 1.0, -1.0, 1.0
    z = w * x + b
    a = 1 / (1 + np.exp(-z))
    C = 0.5 * (a - t) ** 2
    dC_da = a - t
    dC_dz = dC_da * a * (1 - a)  # δ
    nodes = {"×": (2.0, 0.0), "+": (4.5, 0.0), "σ": (7.0, 0.0), "C": (9.5, 0.0)}
    inputs = {"w": (0.0, 0.9, w), "x": (0.0, -0.9, x), "b": (4.5, -1.7, b)}
    with font(lang):
        fig, ax = plt.subplots(figsize=(10, 3.6))
        for name, (nx, ny) in nodes.items():
            ax.add_patch(plt.Circle((nx, ny), 0.3, fc="white", ec="k", zorder=3))
            ax.text(nx, ny, name, ha="center", va="center", fontsize=13, zorder=4)
        for name, (ix, iy, v) in inputs.items():
            ax.text(ix, iy, f"${name} = {v:g}$", ha="center", va="center", fontsize=11)
        edges = [  # (from, to, forward value, backward derivative)
            ((0.4, 0.8), (1.75, 0.15), f"w = {w:g}", f"∂C/∂w = δ·x = {dC_dz * x:.4f}", (0.55, 0.3)),
            ((0.4, -0.8), (1.75, -0.15), f"x = {x:g}", f"∂C/∂x = δ·w = {dC_dz * w:.4f}", (0.15, -0.55)),
            ((2.3, 0.0), (4.2, 0.0), f"wx = {w * x:g}", f"{dC_dz:.4f}", (0.18, -0.35)),
            ((4.5, -1.45), (4.5, -0.3), f"b = {b:g}", f"∂C/∂b = δ = {dC_dz:.4f}", (0.18, -0.35)),
            ((4.8, 0.0), (6.7, 0.0), f"z = {z:g}", f"δ = ∂C/∂z = {dC_dz:.4f}", (0.18, -0.35)),
            ((7.3, 0.0), (9.2, 0.0), f"a = σ(z) = {a:.4f}", f"∂C/∂a = a − t = {dC_da:.4f}", (0.18, -0.35)),
        ]
        for (x0, y0), (x1, y1), fwd, bwd, (up, down) in edges:
            ax.annotate("", xy=(x1, y1), xytext=(x0, y0), arrowprops=dict(arrowstyle="->", color="k"))
            mx, my = (x0 + x1) / 2, (y0 + y1) / 2
            if x0 == x1:  # the vertical edge from b: values beside it
                ax.text(mx - 0.15, my, fwd, ha="right", va="center", fontsize=8)
                ax.text(mx + 0.15, my, bwd, ha="left", va="center", fontsize=8, color="C3")
            else:
                ax.text(mx, my + 0.18, fwd, ha="center", fontsize=8)
                ax.text(mx, my + down if down < -0.4 else my - 0.35, bwd, ha="center", fontsize=8, color="C3")
                if up > 0.3:  # the edge from w: its derivative above it, clear of the edge from x
                    ax.texts[-1].set_position((mx - 0.3, my + up))
        ax.text(9.5, -0.5, f"C = ½(a − t)²\n= {C:.4f}  (t = {t:g})", ha="center", va="top", fontsize=8)
        if lang == "ja":
            title = (
                "計算グラフ: 黒は順伝播の値、赤は逆伝播で右から運ばれる微分\n"
                "σ のノードで σ'(z) = a(1 − a) を掛けたものが δ、× のノードで相手の入力を掛けると ∂C/∂w"
            )
        else:
            title = (
                "computational graph: black, the forward values; red, the derivatives carried back from the right\n"
                "the σ node multiplies by σ'(z) = a(1 − a), giving δ; the × node multiplies by the other input"
            )
        ax.set_title(title, fontsize=9)
        ax.set_xlim(-0.6, 10.4)
        ax.set_ylim(-2.0, 1.3)
        ax.set_aspect("equal")
        ax.set_axis_off()
        fig.tight_layout()
        save_png(fig, path)
        plt.close(fig)
