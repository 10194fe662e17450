"""The worked conv example as a page for students: lecture_conv.md (English) and lecture_conv.ja.md (日本語)."""

from __future__ import annotations

import numpy as np

from .worked import LAYERS, SEED


def grid(m, digits=4):
    """A 2-D array as a Markdown table, rows i and columns j numbered from 0."""
    head = "| i \\ j | " + " | ".join(str(j) for j in range(m.shape[1])) + " |"
    rule = "|---|" + "---|" * m.shape[1]
    rows = [f"| {i} | " + " | ".join(f"{v:.{digits}f}" for v in row) + " |" for i, row in enumerate(m)]
    return "\n".join([head, rule, *rows])


def vec(v, digits=4):
    return "(" + ", ".join(f"{x:.{digits}f}" for x in np.atleast_1d(v)) + ")"


def maps(name, m, digits=4):
    """One table per filter F."""
    return "\n\n".join(f"{name.format(F=F + 1)}\n\n{grid(m[F], digits)}" for F in range(len(m)))


def winners(w):
    """'(0, 1)' style positions, in a^2's coordinates, of each block's winner, per filter."""
    out = []
    for F in range(w.win.shape[0]):
        cells = [f"({2 * i + int(w.win[F, i, j]) // 2}, {2 * j + int(w.win[F, i, j]) % 2})"
                 for i in range(2) for j in range(2)]  # fmt: skip
        out.append(", ".join(cells))
    return out


def ties(w):
    """How many blocks have their maximum at more than one unit (exactly equal values)."""
    n = 0
    for F in range(w.a2.shape[0]):
        for i in range(2):
            for j in range(2):
                block = w.a2[F, 2 * i : 2 * i + 2, 2 * j : 2 * j + 2]
                n += int((block == block.max()).sum() > 1)
    return n


EN = """# δ through a convolutional network: one 6×6 digit worked by hand

Command: `{command}`

The lecture stops at dense layers; this page takes its unit error δ^l ≜ ∂C/∂z^l one chapter on, to a
small convolutional network, and writes out every number for one image, as the lecture does for its
12-3-2 network. Every number below is computed by manual_bp.conv and checked against PyTorch autograd on
the same image: the largest difference over every δ and gradient is {err:.1e} (rounding alone).

**The network.** a^1 = the image x, 6×6 pixels (1 = black). Layer 2: two 3×3 filters w^F_{{uv}} with biases
b^F (F = 1, 2), stride 1, no padding, so z^F_{{ij}} = Σ_{{u,v}} w^F_{{uv}} x_{{i+u,j+v}} + b^F on a 4×4 map, and
a^F_{{ij}} = σ(z^F_{{ij}}). Layer 3: max pooling, the largest a^F of each 2×2 block (a 2×2 map per filter; no
weights, so z^3 = a^3). Layer 4: dense, 2 output units (digit 0, digit 1) reading the 8 pooled values, with
σ and the 2乗誤差 C = ½ Σ_j (t_j − a^4_j)². Weights from seed {seed}. Positions are numbered from 0 here (as
in the code), so that the window of unit (i, j) starts at pixel (i, j).

## The image and the filters

Digit {digit}, target t = {t}:

{x}

{w}

Biases b = {b}.

## Forward pass

{z2}

{a2}

Max pooling keeps, per 2×2 block, the largest a^F; the winners (in a^2's positions, block by block):
filter 1: {win1}; filter 2: {win2}. {tie_text}

{z3}

Flattened in the order (F, i, j), these 8 values are a^3; z^4 = W^4 a^3 + b^4 = {z4}, a^4 = {a4}, C = {C:.6f}.

## δ, from the output down

**Eq (4), output layer.** δ^4_j = (a^4_j − t_j) σ'(z^4_j) = {d4}.

**Eq (5) into the pooling layer.** δ^3_i = Σ_j δ^4_j w^4_{{ji}} (pooling has no σ: z^3 = a^3, σ' = 1),
unflattened into the two 2×2 maps:

{d3}

**Through max pooling (5').** Each block passed on only its maximum, so ∂z^3/∂a^2 is 1 at the winner and 0
elsewhere: δ^3 of a block goes to its winner alone, then eq (5)'s factor σ'(z^2) = a^2(1 − a^2) applies:

{d2}

Every unit that lost its block has δ^2 = 0: a small change of it would not change C at all.

## The gradients of the filters

**Eq (2)'s analogue.** w^F_{{uv}} is used at every position (i, j) of map F, so its derivative sums them:
∂C/∂w^F_{{uv}} = Σ_{{i,j}} δ^F_{{ij}} x_{{i+u,j+v}} — the image correlated with the δ map.

{dw}

**Eq (3)'s analogue.** ∂C/∂b^F = Σ_{{i,j}} δ^F_{{ij}} = {db}.

Only the positions whose block won carry a nonzero δ, so only the pixels under them shape ∂C/∂w. Going
further down (a second conv layer), ∂C/∂x_{{mn}} = Σ_F Σ_{{u,v}} δ^F_{{m−u,n−v}} w^F_{{uv}}: a full correlation
of δ with the kernel flipped — the same sum over "every unit that read this one" as eq (5).
"""

JA = """# 畳み込みニューラルネットワークのユニットの誤差 δ ― 6×6 の数字画像 1 枚で手計算する

コマンド: `{command}`

講義では全結合層までを扱いました。ここではユニットの誤差 δ^l ≜ ∂C/∂z^l の考え方を、小さな畳み込み
ニューラルネットワークにそのまま当てはめてみます。12-3-2 のネットワークで行ったのと同じように、画像 1 枚に
ついてすべての数値を書き出します。以下の数値は manual_bp.conv で計算し、同じ画像で PyTorch の自動微分と
突き合わせてあります。δ と勾配のすべてについて、差は最大でも {err:.1e}(丸め誤差の範囲)です。

**ネットワークの構成** 入力層 a^1 は 6×6 ピクセルの画像 x(黒が 1)です。第 2 層は 3×3 のフィルター
w^F_{{uv}} とバイアス b^F を 2 組(F = 1, 2)持つ畳み込み層で、ストライド 1、パディングなしです。したがって
z^F_{{ij}} = Σ_{{u,v}} w^F_{{uv}} x_{{i+u,j+v}} + b^F は 4×4 の特徴マップになり、a^F_{{ij}} = σ(z^F_{{ij}}) です。
第 3 層は最大プーリング層で、2×2 のブロックごとに a^F の最大値だけを残します(重みはなく、z^3 = a^3)。
第 4 層は全結合の出力層で、ユニットは 2 個(数字の 0 と 1)、活性化関数は σ、コストは 2乗誤差
C = ½ Σ_j (t_j − a^4_j)² です。重みはシード {seed} から作りました。添字はコードに合わせて 0 から数えています。
こうすると、ユニット (i, j) の窓がちょうど画素 (i, j) から始まります。

## 画像とフィルター

数字 {digit} の画像、正解 t = {t}:

{x}

{w}

バイアス b = {b}

## 順伝播

{z2}

{a2}

最大プーリングでは 2×2 のブロックごとに最大の a^F だけが次の層へ進みます。各ブロックで選ばれたユニット
(a^2 上の位置):フィルター 1: {win1}、フィルター 2: {win2}。{tie_text_ja}

{z3}

この 8 個の値を (F, i, j) の順に並べたものが a^3 です。z^4 = W^4 a^3 + b^4 = {z4}、a^4 = {a4}、C = {C:.6f}。

## ユニットの誤差 δ を出力層から順に求める

**式 (4) 出力層** δ^4_j = (a^4_j − t_j) σ'(z^4_j) = {d4}

**式 (5) プーリング層へ** δ^3_i = Σ_j δ^4_j w^4_{{ji}}。プーリング層には活性化関数がないので
(z^3 = a^3)σ' = 1 です。2 枚の 2×2 マップに戻すと:

{d3}

**最大プーリングを通す (5')** 各ブロックは最大値だけを次へ渡したので、∂z^3/∂a^2 は選ばれたユニットで 1、
それ以外で 0 です。つまりブロックの δ^3 は選ばれたユニットだけに戻り、そこに式 (5) の σ'(z^2) = a^2(1 − a^2)
が掛かります:

{d2}

選ばれなかったユニットの δ^2 は 0 です。そのユニットを少し動かしても C はまったく変わらないからです。

## フィルターの勾配

**式 (2) に相当する式** 重み w^F_{{uv}} は特徴マップ F のすべての位置 (i, j) で使われるので、偏微分はその
和になります:∂C/∂w^F_{{uv}} = Σ_{{i,j}} δ^F_{{ij}} x_{{i+u,j+v}}。画像と δ のマップの相関です。

{dw_ja}

**式 (3) に相当する式** ∂C/∂b^F = Σ_{{i,j}} δ^F_{{ij}} = {db}

δ が 0 でないのはブロックで選ばれた位置だけなので、∂C/∂w を決めるのはその下にある画素だけです。さらに下の
層(2 層目の畳み込み層)へ進むときは ∂C/∂x_{{mn}} = Σ_F Σ_{{u,v}} δ^F_{{m−u,n−v}} w^F_{{uv}} となり、これは
フィルターを上下左右に反転させた「フル」の相関です。「このユニットを読んだユニットすべてについて和をとる」
という点で、式 (5) と同じ形をしています。
"""


def render(w, command, lang="en"):
    """The page in ``lang`` ('en' or 'ja')."""
    ja = lang == "ja"
    label = lambda en, jp: jp if ja else en  # noqa: E731
    n_ties = ties(w)
    fields = dict(
        command=command, err=w.autograd_err, seed=SEED, digit=w.digit, t=vec(w.t, 0), b=vec(w.b),
        x=label("x (the image):", "x(画像):") + "\n\n" + grid(w.x, 0),
        w=maps(label("w^F_uv, filter F = {F}:", "w^F_uv、フィルター F = {F}:"), w.w),
        z2=maps("z^F_ij, F = {F}:", w.z2), a2=maps("a^F_ij = σ(z^F_ij), F = {F}:", w.a2),
        z3=maps(label("z^3 = a^3, F = {F} (the block maxima):", "z^3 = a^3、F = {F}(ブロックの最大値):"), w.z3),
        win1=winners(w)[0], win2=winners(w)[1], z4=vec(w.z4), a4=vec(w.a4), C=w.C, d4=vec(w.delta4, 6),
        d3=maps("δ^3, F = {F}:", w.delta3, 6), d2=maps("δ^2 = δ^F_ij, F = {F}:", w.delta2, 6),
        dw=maps("∂C/∂w^F_uv, F = {F}:", w.dw, 6), dw_ja=maps("∂C/∂w^F_uv、F = {F}:", w.dw, 6), db=vec(w.db, 6),
        tie_text=(f"In {n_ties} block(s) the maximum is shared by units of exactly equal value (the digit is "
                  "symmetric, so equal patches give equal sums); as in PyTorch, the first one in reading order "
                  "(row by row) is the winner and takes all of δ." if n_ties else ""),
        tie_text_ja=(f"{n_ties} 個のブロックでは、最大値をとるユニットが複数あります(数字が左右対称なので、同じ"
                     "パッチからはまったく同じ和が出ます)。PyTorch と同じく、行ごとに左から読んで最初のユニットを"
                     "選び、δ はすべてそこへ戻します。" if n_ties else ""),
    )  # fmt: skip
    return (JA if ja else EN).format(**fields)


__all__ = ["LAYERS", "render"]
