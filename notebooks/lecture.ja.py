# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 誤差逆伝播法を手で追う — 第3回 人工知能勉強会のノートブック
#
# 講義「ディープラーニングの仕組みを知ろう!」の例（12-3-2 のネットワーク、4×3 画素の数字 0 と 1、
# 2乗誤差、シグモイド関数）を、このリポジトリのライブラリで一歩ずつ計算します。
# `manual_bp` は講義の式 (1)〜(5) をそのまま NumPy で書いたもの、`torch_ref` は同じネットワークを
# PyTorch の自動微分で計算するものです。
#
# *The lecture's example, step by step with this repository: `manual_bp` is equations (1)–(5) by hand in
# NumPy, `torch_ref` the same network under PyTorch autograd. (Japanese first, English in italics.)*

# %%
import matplotlib.pyplot as plt
import numpy as np

from comparisons.lecture import chain_rule_slide, data
from manual_bp import MLP, SGD, full_batch, train
from torch_ref import TorchMLP

np.set_printoptions(precision=6, suppress=True)

# %% [markdown]
# ## 1. データ: 64 枚の画像
#
# 教科書の 64 枚はスライドに載っていないので、このプロジェクトが規則で作った 64 枚を使います
# （`comparisons/lecture/data.py`）。きれいな 0 と 1 に加えて、1 を左右にずらした画像と、画素を 1 つ反転させた
# ノイズ入りの画像があるので、どの画素も一つだけでは 0 と 1 を見分けられません。
#
# *The textbook's 64 images are not in the slides: these are the project's own, with shifted 1s and one-pixel
# noise, so that no single pixel separates the digits.*

# %%
X, T, digits = data.dataset()  # X: (64, 12), T: (64, 2), digits: (64,)
print(X.shape, T.shape)
print(data.side_by_side([X[0], X[16], X[32], X[40], X[42]], ["k=1: 0", "k=17: 0", "k=33: 1", "k=41: 1", "k=43: 1"]))
print("1 画素だけの規則の最高正解率 / best single-pixel rule:", data.single_pixel_accuracy(X, digits).max())

# %%
fig, axes = plt.subplots(4, 16, figsize=(12, 3.6))
for k, ax in enumerate(axes.flat):
    ax.imshow(X[k].reshape(4, 3), cmap="gray_r", vmin=0, vmax=1)
    ax.set_title(f"{k + 1}:{digits[k]}", fontsize=7)
    ax.set_axis_off()
plt.show()

# %% [markdown]
# ## 2. ネットワークと 1 回の順伝播
#
# 層は l = 1（入力層）, 2（隠れ層）, 3（出力層）。パラメータは重み w_ji^l とバイアス（閾値）b_j^l で、
# 12·3 + 3 + 3·2 + 2 = 47 個あります。`W[l]` の形は (n_l, n_{l−1}) で、`W[l][j−1, i−1]` が w_ji^l です。
#
# *Layers l = 1, 2, 3; 47 parameters; `W[l][j−1, i−1]` is w_ji^l.*

# %%
net = MLP.init(sizes=[12, 3, 2], activations="sigmoid", cost="squared_error", seed=0)
print("parameters:", sum(net.W[l].size + net.b[l].size for l in net.W))

k = 1  # 画像 1（x_1 = 1）
fwd = net.forward(X[k - 1 : k])  # one image as a (1, 12) matrix
for l in (2, 3):
    print(f"z^{l} =", fwd.z[l][0], f"  a^{l} =", fwd.a[l][0])
print("C_1 =", net.costs(X[k - 1 : k], T[k - 1 : k])[0])

# %% [markdown]
# ## 3. 画像 1 枚のユニットの誤差 δ
#
# 出力層は式 (4): δ_j^3 = ∂C/∂a_j^3 · da_j^3/dz_j^3 = (a_j^3 − t_j) a_j^3 (1 − a_j^3)。
# 隠れ層は逆向きの漸化式 (5): δ_i^2 = (δ_1^3 w_1i^3 + δ_2^3 w_2i^3) σ'(z_i^2)。
# 手で計算した値を `manual_bp` の `net.deltas` と比べます。
#
# *δ^3 by (4), δ^2 by the recurrence (5), by hand, against `net.deltas`.*

# %%
a2, a3, t = fwd.a[2][0], fwd.a[3][0], T[k - 1]
delta3 = (a3 - t) * a3 * (1 - a3)  # (4)
delta2 = (net.W[3].T @ delta3) * a2 * (1 - a2)  # (5)
bp = net.deltas(X[k - 1 : k], T[k - 1 : k])
print("δ^3 by hand:", delta3, " manual_bp:", bp[3][0])
print("δ^2 by hand:", delta2, " manual_bp:", bp[2][0])
print("∂C_1/∂w_11^2 = δ_1^2 x_1 =", delta2[0] * X[k - 1, 0])
assert np.allclose(delta3, bp[3][0], rtol=1e-12) and np.allclose(delta2, bp[2][0], rtol=1e-12)

# %% [markdown]
# 同じ勾配を PyTorch の自動微分でも求めます。式 (2), (3) を k について足した ∂C_T/∂W^l, ∂C_T/∂b^l が一致します。
#
# *The same gradients from autograd: (2) and (3) summed over k.*

# %%
gW, gb = net.gradients(X, T)
ref = TorchMLP(weights=net.W, biases=net.b, activations=net.activations, cost="squared_error")
rW, rb, rdelta = ref.gradients(X, T)
for l in (2, 3):
    print(f"layer {l}: max |manual_bp − autograd| =", np.abs(gW[l] - rW[l]).max(), np.abs(gb[l] - rb[l]).max())
print("∂C_T/∂w_11^2 =", gW[2][0, 0])

# %% [markdown]
# ## 4. 微分地獄を確かめる
#
# スライドの連鎖律の式では、第2項が ∂z_1^3/∂a_1^2（= w_11^3）を使っていますが、出力層のユニット 2 を通る経路に
# 必要なのは ∂z_2^3/∂a_1^2（= w_21^3）です。印刷どおりの和と訂正した和を自動微分と比べます。
#
# *The slide's second term uses ∂z_1^3/∂a_1^2 where ∂z_2^3/∂a_1^2 is needed: printed and corrected totals
# against autograd.*

# %%
hell = chain_rule_slide.evaluate(net, X, T, rW)
for name in ("total (printed)", "total (corrected)"):
    print(f"{name:18s} {hell.sums[name]: .15f}")
print(f"{'autograd':18s} {hell.autograd: .15f}")
print("印刷どおりは違う / printed differs:", hell.verdict.printed_differs)
print("訂正すれば一致 / corrected agrees:", hell.verdict.corrected_agrees)

# %% [markdown]
# ## 5. 勾配降下法で学習する
#
# Δw = −η ∂C_T/∂w、Δb = −η ∂C_T/∂b を繰り返します。η は学習係数（モデルを作る人が決める正の小さな定数）。
# manual_bp と `torch.optim.SGD` を同じ初期値から動かし、C_T の減り方を比べます。
#
# *Gradient descent with learning rate η, by manual_bp and by torch.optim.SGD from the same start.*

# %%
eta, steps = 0.2, 300
net = MLP.init(sizes=[12, 3, 2], activations="sigmoid", cost="squared_error", seed=0)
ref = TorchMLP(weights=net.W, biases=net.b, activations=net.activations, cost="squared_error")
C0 = net.total_cost(X, T)
hist_m = [C0] + train(net, X, T, SGD(eta), full_batch(len(X), steps))
hist_t = [C0] + ref.train_steps(X, T, ref.optimizer(eta), full_batch(len(X), steps))

fig, ax = plt.subplots(figsize=(6, 3.5))
ax.semilogy(hist_m, lw=3, alpha=0.5, label="manual_bp")
ax.semilogy(hist_t, "--", label="torch.optim.SGD")
ax.set(xlabel="step", ylabel="C_T", title=f"gradient descent, η = {eta}")  # DejaVu has no kana
ax.legend()
plt.show()
print("max |C_T manual_bp − C_T torch| =", np.abs(np.array(hist_m) - np.array(hist_t)).max())

# %%
held = data.held_out_images()
print("正解率 / accuracy, training:", data.accuracy(net.forward(X).a[3], digits))
print("正解率 / accuracy, held out:", data.accuracy(net.forward(held.X).a[3], held.digits), f"({len(held.X)} images)")

# %% [markdown]
# すべての数値と検査は `deltacheck lecture` のレポート（`reports/lecture.ja.md`）にもあります。
#
# *Every number and check is also in the report of `deltacheck lecture` (`reports/lecture.md`).*
