r"""The lecture's formulas, quoted as the slides print them (LaTeX), and the matrix forms the code uses.

Shared by both reports and the notebook: one definition of each.  SLIDES holds the slides'
own LaTeX (lecture-slides-ja.txt), unchanged but for ``split`` written as ``aligned`` so that
GitHub renders it; RECURRENCE is this project's (5), which the slides name but do not print.
"""

from __future__ import annotations

SLIDES = {
    "(1)": r"\delta_j^l \triangleq \frac{\partial C}{\partial z_j^l} \tag{1}",
    "(2)": r"\frac{\partial C}{\partial w_{ji}^l} = \delta_j^l a_i^{l-1} \quad (l \ge 2). \tag{2}",
    "(3)": r"\frac{\partial C}{\partial b_j^l} = \delta_j^l \quad (l \ge 2). \tag{3}",
    "(4)": r"\delta_j^L = \frac{\partial C}{\partial a_j^L} \frac{\mathrm{d}a_j^L}{\mathrm{d}z_j^L} \tag{4}",
}
RECURRENCE = r"\delta_i^l = \Big(\sum_j \delta_j^{l+1} w_{ji}^{l+1}\Big)\,\sigma'(z_i^l) \quad (2 \le l < L) \tag{5}"

# The matrix form of each equation in manual_bp/backprop.py: the K images are the rows, so the
# slides' column vectors appear as rows and W^l multiplies from the right, transposed.
MATRIX = {
    "(1)": "delta[l]  # (K, n_l): row k is δ^l[k] = ∂C_k/∂z^l[k]",
    "(2)": "delta[l][:, :, None] * a[l - 1][:, None, :]  # (K, n_l, n_{l-1}): ∂C_k/∂W^l, image by image\n"
    "delta[l].T @ a[l - 1]  # (n_l, n_{l-1}): ∂C_T/∂W^l = Σ_k δ^l[k] a^{l-1}[k]ᵀ",
    "(3)": "delta[l]  # (K, n_l): ∂C_k/∂b^l, image by image\ndelta[l].sum(axis=0)  # (n_l,): ∂C_T/∂b^l = Σ_k δ^l[k]",
    "(4)": "(a[L] - T) * (a[L] * (1 - a[L]))  # (K, n_L): ∂C/∂a^L ⊙ da^L/dz^L, σ'(z) = a(1 − a) for the sigmoid",
    "(5)": "(delta[l + 1] @ W[l + 1]) * (a[l] * (1 - a[l]))  # (K, n_l): δ^l = ((W^{l+1})ᵀ δ^{l+1}) ⊙ σ'(z^l)",
}
FUNCTIONS = {  # where each equation lives in manual_bp/backprop.py
    "(1)": "deltas",
    "(2)": "weight_gradient",
    "(3)": "bias_gradient",
    "(4)": "output_delta",
    "(5)": "hidden_delta",
}

NEURON = r"z_j^l = \sum_i w_{ji}^l a_i^{l-1} + b_j^l, \qquad a_j^l = \sigma(z_j^l), \qquad a_i^1 = x_i"
SIGMOID = r"\sigma(z) = \frac{1}{1 + e^{-z}}, \qquad \sigma'(z) = \sigma(z)\bigl(1 - \sigma(z)\bigr)"
COST = r"C_k = \frac{1}{2} \sum_{j=1}^{2} \bigl(t_j[k] - a_j^3[k]\bigr)^2, \qquad C_{\mathrm{T}} = \sum_{k=1}^{64} C_k"
UPDATE = (
    r"\Delta w_{ji}^l = -\eta \frac{\partial C_{\mathrm{T}}}{\partial w_{ji}^l}, \qquad "
    r"\Delta b_j^l = -\eta \frac{\partial C_{\mathrm{T}}}{\partial b_j^l}, \qquad "
    r"w_{ji}^l \leftarrow w_{ji}^l + \Delta w_{ji}^l, \quad b_j^l \leftarrow b_j^l + \Delta b_j^l"
)
GRADIENT = (
    r"\nabla C_{\mathrm{T}} = \Bigl(\frac{\partial C_{\mathrm{T}}}{\partial w_{11}^2}, \ldots, "
    r"\frac{\partial C_{\mathrm{T}}}{\partial w_{3\,12}^2}, \frac{\partial C_{\mathrm{T}}}{\partial w_{11}^3}, \ldots, "
    r"\frac{\partial C_{\mathrm{T}}}{\partial w_{23}^3}, \frac{\partial C_{\mathrm{T}}}{\partial b_1^2}, \ldots, "
    r"\frac{\partial C_{\mathrm{T}}}{\partial b_3^2}, \frac{\partial C_{\mathrm{T}}}{\partial b_1^3}, "
    r"\frac{\partial C_{\mathrm{T}}}{\partial b_2^3}\Bigr)"
)

# The slide's first row of the gradient vector, as printed (C_1 where C_T is meant).
SLIDE_FIRST_ROW = r"\Delta w_{11}^2 = -\eta \frac{\partial C_1}{\partial w_{11}^2}"

# 微分地獄 as printed on the slide: term 1, then term 2 with ∂z_1^3/∂a_1^2.
HELL_PRINTED = (
    r"\begin{aligned} \frac{\partial C_{\mathrm{T}}}{\partial w_{11}^2} &= \sum_{k=1}^{64} "
    r"\frac{\partial C_k}{\partial w_{11}^2} \\ &= \sum_{k=1}^{64} \left\{ \frac{\partial C_k}{\partial a_1^3[k]} "
    r"\frac{\partial a_1^3[k]}{\partial z_1^3[k]} \frac{\partial z_1^3[k]}{\partial a_1^2[k]} "
    r"\frac{\partial a_1^2[k]}{\partial z_1^2[k]} \frac{\partial z_1^2[k]}{\partial w_{11}^2} + "
    r"\frac{\partial C_k}{\partial a_2^3[k]} \frac{\partial a_2^3[k]}{\partial z_2^3[k]} "
    r"\frac{\partial z_1^3[k]}{\partial a_1^2[k]} \frac{\partial a_1^2[k]}{\partial w_{11}^2} \right\}. \end{aligned}"
)
TERM2_PRINTED = (
    r"\frac{\partial C_k}{\partial a_2^3[k]} \frac{\partial a_2^3[k]}{\partial z_2^3[k]} "
    r"\color{red}{\frac{\partial z_1^3[k]}{\partial a_1^2[k]}} \frac{\partial a_1^2[k]}{\partial w_{11}^2}"
)
TERM2_CORRECTED = (
    r"\frac{\partial C_k}{\partial a_2^3[k]} \frac{\partial a_2^3[k]}{\partial z_2^3[k]} "
    r"\color{green}{\frac{\partial z_2^3[k]}{\partial a_1^2[k]}} \frac{\partial a_1^2[k]}{\partial w_{11}^2}"
)
FACTORED = (
    r"\frac{\partial C_k}{\partial w_{11}^2} = \bigl(\delta_1^3 w_{11}^3 + \delta_2^3 w_{21}^3\bigr)\,"
    r"\sigma'(z_1^2)\, x_1 = \delta_1^2 x_1"
)


def math(tex):
    """A display-math block for GitHub Markdown."""
    return ["```math", tex, "```"]


# 微分地獄 corrected, whole: the second term through output unit 2 takes ∂z_2^3/∂a_1^2 (= w_21^3).
HELL_CORRECTED = HELL_PRINTED.replace(
    r"\frac{\partial a_2^3[k]}{\partial z_2^3[k]} \frac{\partial z_1^3[k]}{\partial a_1^2[k]}",
    r"\frac{\partial a_2^3[k]}{\partial z_2^3[k]} \color{green}{\frac{\partial z_2^3[k]}{\partial a_1^2[k]}}",
)
HELL_PRINTED_MARKED = HELL_PRINTED.replace(
    r"\frac{\partial a_2^3[k]}{\partial z_2^3[k]} \frac{\partial z_1^3[k]}{\partial a_1^2[k]}",
    r"\frac{\partial a_2^3[k]}{\partial z_2^3[k]} \color{red}{\frac{\partial z_1^3[k]}{\partial a_1^2[k]}}",
)

# Each of (2)–(5) obtained by the chain rule in one or two lines (as Nielsen ch. 2 does for BP1–BP4).
DERIVATIONS = {
    "(2)": r"\frac{\partial C}{\partial w_{ji}^l} = \frac{\partial C}{\partial z_j^l}\,"
    r"\frac{\partial z_j^l}{\partial w_{ji}^l} = \delta_j^l\, a_i^{l-1}"
    r"\qquad \Bigl(z_j^l = \sum_{i'} w_{ji'}^l a_{i'}^{l-1} + b_j^l \ \Rightarrow\ "
    r"\frac{\partial z_j^l}{\partial w_{ji}^l} = a_i^{l-1}\Bigr)",
    "(3)": r"\frac{\partial C}{\partial b_j^l} = \frac{\partial C}{\partial z_j^l}\,"
    r"\frac{\partial z_j^l}{\partial b_j^l} = \delta_j^l \cdot 1",
    "(4)": r"\delta_j^L = \frac{\partial C}{\partial z_j^L} = \frac{\partial C}{\partial a_j^L}\,"
    r"\frac{\mathrm{d}a_j^L}{\mathrm{d}z_j^L} = (a_j^L - t_j)\,\sigma'(z_j^L)",
    "(5)": r"\delta_i^l = \frac{\partial C}{\partial z_i^l} = \sum_j \frac{\partial C}{\partial z_j^{l+1}}\,"
    r"\frac{\partial z_j^{l+1}}{\partial a_i^l}\,\frac{\mathrm{d}a_i^l}{\mathrm{d}z_i^l} "
    r"= \Bigl(\sum_j \delta_j^{l+1} w_{ji}^{l+1}\Bigr)\,\sigma'(z_i^l)",
}
SIGMOID_BOUND = (
    r"\sigma'(z) = \sigma(z)\bigl(1 - \sigma(z)\bigr) \le \tfrac14 = \sigma'(0)"
    r"\qquad\Rightarrow\qquad |\delta_i^l| \le \tfrac14 \sum_j |\delta_j^{l+1}|\,|w_{ji}^{l+1}|"
)
SUM_GRADIENT = (
    r"\frac{\partial C_{\mathrm{T}}}{\partial w} = \sum_{k=1}^{64} \frac{\partial C_k}{\partial w}"
    r"\qquad\Rightarrow\qquad \eta\,\frac{\partial C_{\mathrm{T}}}{\partial w} = (64\,\eta)\,"
    r"\frac{\partial}{\partial w}\Bigl(\frac{1}{64}\sum_{k=1}^{64} C_k\Bigr)"
)
UPDATE_W11 = r"w_{11}^2 \leftarrow w_{11}^2 - \eta\,\frac{\partial C_{\mathrm{T}}}{\partial w_{11}^2}"
