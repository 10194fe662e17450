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
# # 誤差逆伝播法を NumPy で一から組み立てる — 第3回 人工知能勉強会
#
# 講義「ディープラーニングの仕組みを知ろう!」の例（12-3-2 のネットワーク、4×3 画素の数字 0 と 1 の画像 64 枚、
# シグモイド関数、2乗誤差）を、NumPy だけで一歩ずつ計算します。ライブラリに頼るのはデータと初期値の用意だけで、
# 順伝播、ユニットの誤差 δ、勾配、更新はすべてこのノートブックのセルに書きます。各ステップの最後の 1 行で、
# 同じ量を PyTorch の自動微分（`torch_ref`）で求めた値と比べます。
#
# 記号は講義のとおりです。層は l = 1（入力層）, 2（隠れ層）, 3（出力層）。w_ji^l は第 l−1 層のユニット i から
# 第 l 層のユニット j への重みで、`W[l][j-1, i-1]` に入っています（`W[l]` の形は (n_l, n_{l−1})）。64 枚の
# 画像は行列の行として並べるので、z^l などは (64, n_l) の行列になり、k 行目が画像 k の値です。
#
# *A student's notebook: the forward pass, δ, the gradients and the update in plain NumPy, each checked against
# PyTorch autograd in one line; exercises at the end.*

# %%
import matplotlib.pyplot as plt
import matplotlib_fontja  # noqa: F401  (図の日本語のラベル)
import numpy as np

from comparisons.lecture.data import dataset, side_by_side
from manual_bp import init_params
from torch_ref import TorchMLP

np.set_printoptions(precision=4, suppress=True)

# %% [markdown]
# ## 1. データ
#
# 画像 k の画素 x_1, …, x_12（黒が 1）が `X` の k 行目、正解 t（0 なら (1, 0)、1 なら (0, 1)）が `T` の k 行目です。
# 教科書の画像はスライドにないので、このプロジェクトが規則で作った 64 枚を使います。

# %%
X, T, digits = dataset()  # X: (64, 12), T: (64, 2)
print(X.shape, T.shape)
print(side_by_side([X[0], X[16], X[32], X[40]], ["k=1: 0", "k=17: 0", "k=33: 1", "k=41: 1"]))

# %%
fig, axes = plt.subplots(2, 16, figsize=(12, 2.2))
for k, ax in enumerate(axes.flat):
    ax.imshow(X[2 * k].reshape(4, 3), cmap="gray_r", vmin=0, vmax=1)
    ax.set_title(f"{2 * k + 1}: {digits[2 * k]}", fontsize=7)
    ax.set_xticks([]), ax.set_yticks([])
fig.suptitle("画像の一部（番号: 数字）")
plt.show()

# %% [markdown]
# ## 2. 初期の重みとバイアス
#
# レポート（`reports/lecture.ja.md`）と同じ初期値です。`ref` は同じネットワークを PyTorch で作ったもので、
# これ以降の答え合わせに使います。

# %%
W, b = init_params([12, 3, 2], seed=0)  # W[2]: (3, 12), W[3]: (2, 3), b[2]: (3,), b[3]: (2,)
ref = TorchMLP(W, b, activations="sigmoid", cost="squared_error")
print("W^3 =\n", W[3])
print("パラメータの数:", sum(W[l].size + b[l].size for l in W))

# %% [markdown]
# ## 3. 順伝播
#
# z_j^l = Σ_i w_ji^l a_i^{l−1} + b_j^l、a_j^l = σ(z_j^l)。行列で書くと、画像を行に並べているので
# z^l = a^{l−1} (W^l)ᵀ + b^l です。


# %%
def sigmoid(z):
    return 1 / (1 + np.exp(-z))


z2 = X @ W[2].T + b[2]  # (64, 3)
a2 = sigmoid(z2)
z3 = a2 @ W[3].T + b[3]  # (64, 2)
a3 = sigmoid(z3)
print("画像 1: z^2 =", z2[0], " a^2 =", a2[0], " a^3 =", a3[0])
np.testing.assert_allclose(a3, ref.forward(X, retain=False)[1][3].detach().numpy(), rtol=1e-12)  # 答え合わせ

# %% [markdown]
# ## 4. コスト
#
# 画像 k の2乗誤差 C_k = ½ Σ_j (t_j − a_j^3)² と、その和 C_T = Σ_k C_k。

# %%
C = 0.5 * np.sum((T - a3) ** 2, axis=1)  # (64,)
C_T = C.sum()
print(f"C_1 = {C[0]:.10g}  C_T = {C_T:.10g}")
np.testing.assert_allclose(C_T, ref.total_cost(X, T), rtol=1e-12)  # 答え合わせ

# %% [markdown]
# ## 5. 出力層のユニットの誤差: 式 (4)
#
# δ_j^3 = ∂C/∂a_j^3 · σ'(z_j^3) = (a_j^3 − t_j) · a_j^3 (1 − a_j^3)。

# %%
delta3 = (a3 - T) * a3 * (1 - a3)  # (64, 2)
rW, rb, rdelta = ref.gradients(X, T)  # 自動微分による ∂C_T/∂W^l, ∂C_T/∂b^l, δ^l
print("画像 1 の δ^3 =", delta3[0])
np.testing.assert_allclose(delta3, rdelta[3], rtol=1e-12)  # 答え合わせ

# %% [markdown]
# ## 6. 隠れ層のユニットの誤差: 逆向きの漸化式 (5)
#
# δ_i^2 = (Σ_j δ_j^3 w_ji^3) · σ'(z_i^2)。j について足すのは W^3 の i 列目です。行列では δ^2 = (δ^3 W^3) ⊙ σ'(z^2)。

# %%
delta2 = (delta3 @ W[3]) * a2 * (1 - a2)  # (64, 3)
print("画像 1 の δ^2 =", delta2[0])
np.testing.assert_allclose(delta2, rdelta[2], rtol=1e-12)  # 答え合わせ

# %% [markdown]
# ## 7. 勾配: 式 (2) と (3)
#
# ∂C_k/∂w_ji^l = δ_j^l a_i^{l−1}、∂C_k/∂b_j^l = δ_j^l を画像 k について足すと ∂C_T になります。
# 64 枚分の和は行列の積 (δ^l)ᵀ a^{l−1} ひとつで計算できます。

# %%
gW = {3: delta3.T @ a2, 2: delta2.T @ X}  # (2, 3), (3, 12): Σ_k δ_j^l[k] a_i^{l−1}[k]
gb = {3: delta3.sum(axis=0), 2: delta2.sum(axis=0)}
print(f"∂C_T/∂w_11^2 = {gW[2][0, 0]:.10g}")
for l in (2, 3):  # 答え合わせ
    np.testing.assert_allclose(gW[l], rW[l], rtol=1e-12), np.testing.assert_allclose(gb[l], rb[l], rtol=1e-12)

# %% [markdown]
# ## 8. 微分地獄と比べる
#
# スライドの式では第2項に ∂z_1^3/∂a_1^2（= w_11^3）が掛かっていますが、出力層のユニット 2 を通る経路に必要なのは
# ∂z_2^3/∂a_1^2（= w_21^3）です。両方を計算して、δ から求めた値と比べます。

# %%
x1, sp2, sp3 = X[:, 0], a2 * (1 - a2), a3 * (1 - a3)
term1 = (a3[:, 0] - T[:, 0]) * sp3[:, 0] * W[3][0, 0] * sp2[:, 0] * x1
term2_slide = (a3[:, 1] - T[:, 1]) * sp3[:, 1] * W[3][0, 0] * sp2[:, 0] * x1  # スライドの式
term2 = (a3[:, 1] - T[:, 1]) * sp3[:, 1] * W[3][1, 0] * sp2[:, 0] * x1  # 訂正した式
print(
    f"スライドの式: {(term1 + term2_slide).sum():.10g}  訂正した式: {(term1 + term2).sum():.10g}  δ から: {gW[2][0, 0]:.10g}"
)
np.testing.assert_allclose((term1 + term2).sum(), rW[2][0, 0], rtol=1e-12)  # 答え合わせ

# %% [markdown]
# ## 9. 勾配降下法
#
# Δw = −η ∂C_T/∂w で全パラメータを更新し、これを繰り返します。ここまでのセルを一つの関数にまとめます。


# %%
def gradients(W, b, X, T):
    """順伝播、式 (4)、(5)、(2)、(3): (C_T, ∂C_T/∂W, ∂C_T/∂b)。"""
    a2 = sigmoid(X @ W[2].T + b[2])
    a3 = sigmoid(a2 @ W[3].T + b[3])
    delta3 = (a3 - T) * a3 * (1 - a3)
    delta2 = (delta3 @ W[3]) * a2 * (1 - a2)
    C_T = 0.5 * np.sum((T - a3) ** 2)
    return C_T, {3: delta3.T @ a2, 2: delta2.T @ X}, {3: delta3.sum(axis=0), 2: delta2.sum(axis=0)}


def train(eta, steps, W, b):
    """``steps`` 回の更新。更新前の C_T の列と、更新後の重みとバイアスを返す。"""
    W, b = {l: w.copy() for l, w in W.items()}, {l: v.copy() for l, v in b.items()}
    history = []
    for _ in range(steps):
        C_T, gW, gb = gradients(W, b, X, T)
        history.append(C_T)
        for l in W:
            W[l] -= eta * gW[l]  # w ← w − η ∂C_T/∂w
            b[l] -= eta * gb[l]  # b ← b − η ∂C_T/∂b
    return np.array(history), W, b


eta = 0.2
_, W1, _ = train(eta, 1, W, b)
print(f"1 回更新した w_11^2 = {W[2][0, 0]:.10g} − {eta} × {gW[2][0, 0]:.10g} = {W1[2][0, 0]:.10g}")
opt = ref.optimizer(eta)
ref.step(opt, X, T)  # torch.optim.SGD で 1 回更新
np.testing.assert_allclose(W1[2], ref.weights()[2], rtol=1e-12)  # 答え合わせ

# %%
history, W300, b300 = train(eta, 300, W, b)
print(f"C_T: 最初 {history[0]:.10g}, 300 回目の更新の前 {history[-1]:.10g}")
print("C_T が前の回より増えた回数:", int(np.sum(history[1:] > history[:-1])))
fig, ax = plt.subplots(figsize=(6, 3))
ax.semilogy(history)
ax.set(xlabel="更新回数", ylabel="C_T", title=f"勾配降下法（η = {eta}）")
plt.show()

# %%
a3_after = sigmoid(sigmoid(X @ W300[2].T + b300[2]) @ W300[3].T + b300[3])
print("正解率:", np.mean(a3_after.argmax(axis=1) == digits))

# %% [markdown]
# ## 演習
#
# **演習 1（学習係数 η）。** C_T は 64 個のコストの和なので、η = 0.2 の 1 歩は平均のコストに対しては 12.8 の 1 歩に
# あたります。η を 0.05、0.2、0.5 と変えて、C_T が増えた回数と 300 回後の C_T を比べてください。C_T が増えるのは
# どんなときでしょう（スライドの「ボールが転がる」図で考えてみてください）。

# %%
for eta_try in (0.05, 0.2, 0.5):
    h, _, _ = train(eta_try, 300, W, b)
    print(f"η = {eta_try}: 増えた回数 {int(np.sum(h[1:] > h[:-1]))}, 最後の C_T {h[-1]:.4g}")

# %% [markdown]
# **演習 2（別の活性化関数）。** 隠れ層と出力層の活性化関数を tanh に変えます。下の `act` と `act_prime` を
# tanh とその導関数に書き換え、式 (4) と (5) の σ' を `act_prime` に置き換えて、自動微分と一致させてください。
# 今はシグモイド関数のままなので「まだ一致しません」と表示されます。ヒント: tanh'(z) = 1 − tanh²(z)。


# %%
def act(z):
    return sigmoid(z)  # ← np.tanh(z) に


def act_prime(z, a):
    return a * (1 - a)  # ← tanh の導関数に


a2_t = act(X @ W[2].T + b[2])
a3_t = act(a2_t @ W[3].T + b[3])
z3_t = a2_t @ W[3].T + b[3]
d3_t = (a3_t - T) * act_prime(z3_t, a3_t)  # 式 (4)
d2_t = (d3_t @ W[3]) * act_prime(X @ W[2].T + b[2], a2_t)  # 式 (5)
tanh_ref = TorchMLP(W, b, activations="tanh", cost="squared_error").gradients(X, T)[0]
print("一致しました" if np.allclose(d2_t.T @ X, tanh_ref[2], rtol=1e-10) else "まだ一致しません")

# %% [markdown]
# **演習 3（スライドの誤り）。** 第 8 節のスライドの式は、重みによっては正しい値と区別がつきません。どんな重みの
# ときでしょうか。スライドの第2項と訂正した第2項の違いは w_11^3 と w_21^3 だけなので、w_21^3 を w_11^3 と同じ値に
# すると確かめられます。ほかにも区別がつかない場合（たとえば学習が進んで δ が小さくなったとき）を探してください。

# %%
W_same = {l: w.copy() for l, w in W.items()}
W_same[3][1, 0] = W_same[3][0, 0]  # w_21^3 = w_11^3
a2_s = sigmoid(X @ W_same[2].T + b[2])
a3_s = sigmoid(a2_s @ W_same[3].T + b[3])
sp2_s, sp3_s = a2_s * (1 - a2_s), a3_s * (1 - a3_s)
first = (a3_s[:, 0] - T[:, 0]) * sp3_s[:, 0] * W_same[3][0, 0] * sp2_s[:, 0] * x1
slide = first + (a3_s[:, 1] - T[:, 1]) * sp3_s[:, 1] * W_same[3][0, 0] * sp2_s[:, 0] * x1
fixed = first + (a3_s[:, 1] - T[:, 1]) * sp3_s[:, 1] * W_same[3][1, 0] * sp2_s[:, 0] * x1
print(f"スライドの式: {slide.sum():.10g}  訂正した式: {fixed.sum():.10g}")
