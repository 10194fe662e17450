"""lecture.md: the English text around the computed numbers (str.format placeholders, one per value)."""

EN = dict(
    title="# deltacheck lecture: the lecture's backpropagation, worked and checked",
    verdict_ok="**ALL PASS** — {n} of {n} checks pass.",
    verdict_fail="**{bad} CHECK(S) FAILED** — {ok} of {n} checks pass.",
    verdict_indistinct="({u} of them not distinguishable at these weights: see section 3.)",
    indistinct="not distinguishable at these weights",
    intro="This report follows the lecture 「ディープラーニングの仕組みを知ろう! 第3回 人工知能勉強会」 on its own "
    "example and checks every step against PyTorch autograd. Every number below was computed by this run: "
    "`{command}`.",
    versions="Python {py}, NumPy {np}, PyTorch {torch}.",
    check="check",
    passed="passed",
    yes="yes",
    no="**NO**",
    refused="refused",
    # --- notation
    notation_h="## Notation",
    notation="Layers are numbered l = 1 (the input layer) … L = 3 (the output layer); the network is {arch}: "
    "n_1 = {n1} inputs, n_2 = {n2} hidden units, n_3 = {n3} output units. w_ji^l is the weight from unit i of "
    "layer l−1 to unit j of layer l, b_j^l the bias (threshold) of unit j of layer l; both exist for l ≥ 2. "
    "Each unit forms its weighted input z_j^l and passes it through the activation function σ, here the "
    "sigmoid function:",
    notation_cost="The cost of image k is its squared error (2乗誤差) C_k, and gradient descent minimises the "
    "total C_T over the {K} images. A quantity with [k] belongs to image k; the slides drop [k] where one "
    "image is meant, and so does C in equations (1)–(4).",
    notation_code="In the code (`manual_bp/backprop.py`) the {K} images are the rows of a matrix: `X` is "
    "({K}, {n1}), `W[l]` has shape (n_l, n_{{l−1}}) with `W[l][j−1, i−1]` = w_ji^l, and `z[l]`, `a[l]`, "
    "`delta[l]` are (K, n_l) with row k−1 holding z^l[k], a^l[k], δ^l[k].",
    params="The parameters are the {n_params} numbers w_ji^l and b_j^l: {count}. Gradient descent needs the "
    "gradient of C_T with respect to each of them, a vector of {n_params} components, in the slides' order "
    "(weights of layer 2, of layer 3, biases of layer 2, of layer 3):",
    # --- data
    data_h="## 1. The {K} images",
    data="The lecture follows a textbook whose 64 training images (4×3 pixels, black and white, of the digits "
    "0 and 1) are not in the slides. They are **not reproduced here**: this project makes its own {K} "
    "({n0} of each digit) by rules written in `comparisons/lecture/data.py`. A clean 0 is the ring with "
    "some of its four corners ({c0} images); a clean 1 is a vertical stroke in the middle column, or shifted "
    "one column left or right, with some of a flag and feet ({c1} images). The rest are noisy: a clean image "
    "with one pixel flipped, {z0} zeros and {z1} ones, picked by a fixed shuffle. The target has one unit per "
    "digit: t = (1, 0) for a 0 and t = (0, 1) for a 1. A few of them (`#` black; all {K} in "
    "`lecture_dataset.png` and `lecture_dataset.csv`):",
    data_after="Because of the shifted and noisy images **no single pixel tells the digits apart**: the best "
    "rule on one pixel (x_{px} black or white) classifies {px_acc} of the {K} images. The classes are still "
    "{linear} The {n_held} other one-pixel flips of the clean images are held out: the trained network never "
    "sees them.\n\n![all the images of the data set](lecture_dataset.png)",
    linear_yes="separable by a linear rule on all 12 pixels (a perceptron finds one in {epochs} passes), so a "
    "network without a hidden layer can learn them too; the comparison is in section 2.",
    linear_no="not separable by any linear rule found in {epochs} perceptron passes.",
    # --- gradient descent
    gd_h="## 2. Gradient descent (勾配降下法)",
    gd="Every parameter moves against the gradient of the total cost, and the step is repeated:",
    gd_eta="The learning rate η (学習係数) is a small positive constant that the modeller chooses freely; this "
    "run uses η = {eta}. The gradient at the initial weights (`MLP.init(seed={seed})`), its {n_params} "
    "components as the layers' matrices (each value to 6 digits; full precision in `lecture_parameters.csv`):",
    gd_run="{steps} full-batch steps of η = {eta}, by manual_bp (`SGD`) and by `torch.optim.SGD`, from the same "
    "initial arrays. C_T every {k} steps (every step in `lecture_training.csv`, plotted in "
    "`lecture_training.png`):",
    gd_cols=["step", "C_T manual_bp", "C_T torch", "abs. difference"],
    gd_after="![C_T during training, manual_bp and torch.optim.SGD](lecture_training.png)\n\n"
    "Largest parameter difference after step {steps}: {diff} (allowed: {tol}, the trajectory bound "
    "`trajectory_tolerance(float64, {steps})`) — {ok}. Accuracy (the larger output unit is the digit's):",
    acc_cols=["network", "training images ({K})", "held-out flips ({n_held})"],
    acc_rows=["{arch} manual_bp", "{arch} torch", "{arch_lin}, no hidden layer (manual_bp)"],
    acc_after="The network without a hidden layer is trained the same way ({steps} steps, η = {eta}).",
    grad_cols=["", "i = 1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12"],
    # --- 微分地獄
    hell_h="## 3. 微分地獄: the slide's chain rule for ∂C_T/∂w_11^2",
    hell="Before backpropagation the slides differentiate by the chain rule alone, for the first weight of layer "
    "2, and call the result 微分地獄 (differentiation hell). As printed:",
    hell_terms="Term 1 follows the path through output unit 1. Term 2 follows the path through output unit 2, "
    "but as printed it multiplies by ∂z_1^3/∂a_1^2 (= w_11^3), the link into unit 1; the path through unit 2 "
    "needs ∂z_2^3/∂a_1^2 (= w_21^3). Term 2 as printed, then corrected:",
    hell_table="Each factor for image k = {k} at the initial weights, one column per term. ∂a_1^2/∂w_11^2 is the "
    "slides' shorthand for ∂a_1^2/∂z_1^2 · ∂z_1^2/∂w_11^2 = σ'(z_1^2) x_1:",
    factor_cols=["factor", "term 1", "term 2 as printed", "term 2 corrected"],
    product_row="product for image k = {k}",
    sum_row="Σ over the {K} images",
    sums_cols=["Σ_k", "initial weights", "after training"],
    hell_sums="The totals against autograd (torch_ref) and manual_bp's backpropagation:",
    hell_verdict="At the {point}: the printed total is off by {p_rel} relative to autograd — {p_ok}; "
    "the corrected total is off by {c_rel} — {c_ok} (tolerance `GRAD_F64`).",
    hell_same="At the {point}: the printed and corrected totals coincide within the tolerance (printed off by "
    "{p_rel} relative to autograd, corrected by {c_rel}), so the slide's slip makes no numerical "
    "difference here — not distinguishable at these weights, not a failure; the corrected total {c_ok} "
    "(tolerance `GRAD_F64`).",
    differs="detected as different",
    not_differs="**NOT detected as different**",
    agrees="agrees to rounding",
    not_agrees="**does not agree**",
    initial_w="initial weights",
    trained_w="weights after training",
    autograd_row="autograd ∂C_T/∂w_11^2",
    backprop_row="backprop (eqs (2), (5))",
    c1="One more slip: the first row of the slides' update vector reads",
    c1_after="with C_1, the cost of image 1 alone, where C_T is meant. They differ: ∂C_1/∂w_11^2 = {c1} "
    "(image 1 has x_1 = {x1}) while ∂C_T/∂w_11^2 = {ct}.",
    names={
        "term 1": "Σ_k term 1",
        "term 2 (printed)": "Σ_k term 2 as printed",
        "term 2 (corrected)": "Σ_k term 2 corrected",
        "total (printed)": "total, as printed",
        "total (corrected)": "total, corrected",
    },
)

EN.update(
    # --- backpropagation
    bp_h="## 4. Backpropagation (誤差逆伝播法): the equations as the slides state them",
    bp="Backpropagation replaces that chain-rule expansion by a recurrence, through one new variable per unit: "
    "the unit error δ_j^l (ユニットの誤差). Each equation below is quoted as the slides print it, then written "
    "the way the code computes it for all {K} images at once (`manual_bp/backprop.py`, the function named).",
    eq_heads={
        "(1)": "### (1) The unit error δ_j^l",
        "(2)": "### (2) The partial derivative with respect to a weight, by δ_j^l",
        "(3)": "### (3) The partial derivative with respect to a bias, by δ_j^l",
        "(4)": "### (4) δ_j^L of the output layer",
        "(5)": "### (5) The reverse recurrence: named by the slides, written out by this project",
    },
    eq_notes={
        "(1)": "δ_j^l is how much the cost changes with the weighted input of unit j of layer l.",
        "(2)": "Once δ_j^l is known, the weight gradient needs no further differentiation: a_i^{{l−1}} is "
        "simply the output of unit i of the layer before.",
        "(3)": "Likewise the bias gradient is δ_j^l itself.",
        "(4)": "For the squared error ∂C/∂a_j^L = a_j^L − t_j, and for the sigmoid da_j^L/dz_j^L = σ'(z_j^L) "
        "= a_j^L (1 − a_j^L).",
        "(5)": "The slides stop after (4) and describe the next step in words: a (reverse) recurrence between the "
        "unit errors of layers l and l+1 that computes, from δ^L, every δ^{{L−1}}, δ^{{L−2}}, …, δ^2. They do "
        "not print it; this is the standard form, which this project implements and checks:",
    },
    matrix_intro="In the code (`{fn}`):",
    per_image_h="### Per image, then summed over k",
    per_image="In (1)–(4) C is the cost of one image: δ_j^l, a_i^{{l−1}} and the derivatives all belong to one "
    "image k, the [k] that the 微分地獄 formula writes and these equations leave out. So (2) and (3) give "
    "∂C_k/∂w_ji^l and ∂C_k/∂b_j^l for that image; since C_T = Σ_k C_k, the gradient that gradient descent "
    "needs is their sum over the {K} images, ∂C_T/∂w_ji^l = Σ_k δ_j^l[k] a_i^{{l−1}}[k].",
    procedure_h="### The procedure",
    procedure=[
        "For every image k, the forward pass: z^l[k] and a^l[k] for l = 2, …, L.",
        "δ^L[k] of the output layer by (4).",
        "δ^{{L−1}}[k], …, δ^2[k] by the recurrence (5), from the output layer back towards the input.",
        "∂C_k/∂w_ji^l and ∂C_k/∂b_j^l by (2) and (3).",
        "Sum over k for ∂C_T, and update every parameter: Δw = −η ∂C_T/∂w, Δb = −η ∂C_T/∂b. Repeat.",
    ],
    # --- worked example
    worked_h="## 5. One image by hand: k = {k}",
    worked="Image k = {k}, at the initial weights (`lecture_parameters.csv` has every w_ji^l and b_j^l). Its pixels "
    "and target:",
    worked_fwd="**Forward pass.** z_j^2 = Σ_i w_ji^2 x_i + b_j^2, a_j^2 = σ(z_j^2); then z_j^3 = Σ_i w_ji^3 a_i^2 "
    "+ b_j^3, a_j^3 = σ(z_j^3); σ'(z) = a(1 − a):",
    unit_cols=["layer l", "unit j", "z_j^l", "a_j^l", "σ'(z_j^l)"],
    worked_cost="The squared error of this image: C_{k} = ½ Σ_j (t_j − a_j^3)² = {C}.",
    worked_d3="**δ^3 by (4)**: δ_j^3 = (a_j^3 − t_j) · a_j^3 (1 − a_j^3).",
    worked_d2="**δ^2 by the recurrence (5)**: δ_i^2 = (δ_1^3 w_1i^3 + δ_2^3 w_2i^3) · σ'(z_i^2).",
    worked_w="**∂C_{k}/∂w_11^2 by (2)**: δ_1^2 x_1 = {d21} × {x1} = {dw}.",
    worked_hell="**The same number from 微分地獄.** For this image the two corrected terms of section 3 share the "
    "factors σ'(z_1^2) x_1, and what is left of each is δ_j^3 times a weight. Factored, they are exactly "
    "(δ_1^3 w_11^3 + δ_2^3 w_21^3) σ'(z_1^2) x_1 — the recurrence (5) for δ_1^2, times x_1, as (2) says. "
    "This is how the chain rule turns into the recurrence:",
    worked_sum="**Summed over k.** Only the images with x_1 = 1 contribute ({n_lit} of the {K}); adding δ_1^2[k] "
    "x_1[k] over all of them gives ∂C_T/∂w_11^2 = {total}, the value of section 3 (autograd: {autograd}).",
    term_sum="term 1 + term 2 (corrected)",
    worked_check="The hand-computed δ^2 and δ^3 of image {k} equal manual_bp's to rounding (`GRAD_F64`): {ok}.",
    # --- oracles
    eq_h="## 6. Each equation on its own, against three oracles",
    eq="Each equation's right-hand side is fed the oracle's values (e.g. (5) is applied to the oracle's δ^{{l+1}}), "
    "so an error in one equation appears in its own table only. Oracles: autograd (torch_ref), "
    "central finite differences (h = {h_fd}), and the complex-step derivative Im f(x + ih)/h (h = {h_cs}), "
    "exact to rounding for analytic functions. The complex step applies to {analytic}; it is not applicable "
    "to {not_analytic}, which are not analytic. Errors are the largest over every layer and example "
    "(`lecture_equations.csv` has each layer).",
    eq_names={
        "(1)": "(1) δ_j^l ≜ ∂C/∂z_j^l (manual_bp's whole backward pass)",
        "(2)": "(2) ∂C/∂w_ji^l = δ_j^l a_i^{l-1}, per image",
        "(3)": "(3) ∂C/∂b_j^l = δ_j^l, per image",
        "(4)": "(4) δ_j^L = ∂C/∂a_j^L · da_j^L/dz_j^L",
        "(5)": "(5) δ_i^l = (Σ_j δ_j^{l+1} w_ji^{l+1}) σ'(z_i^l), the reverse recurrence",
        "Σ_k": "Σ_k: ∂C_T/∂W^l and ∂C_T/∂b^l, the sums over the images",
    },
    eq_cols=["weights", "oracle", "max abs error", "max rel error", "tolerance", "pass"],
    oracle_not_finite="oracle not finite",
    pass_rule="An entry passes when |m − r| ≤ atol·max(1, max|r|) + rtol·|r| (m the equation's side, r the "
    "oracle's), so the max rel error of a table, max |m − r|/|r|, can exceed rtol through a near-zero "
    "entry that still passes through atol.",
    tol_h="Tolerances (`comparisons/common/tolerances.py`, each with its reason):",
    tol_cols=["name", "rtol", "atol"],
    # --- paths
    paths_h="## 7. Why backpropagation",
    paths="The 微分地獄 expansion, generalised: ∂C_T/∂w_ji^l as a sum over every path from the weight to the cost "
    "(`comparisons/lecture/path_sum.py`), every weight's paths enumerated on their own. On {arch}: {terms} path "
    "terms per example, largest difference from backprop {err} (tolerance `PATHS_F64`) — {ok}.",
    paths_table="Cost per example against depth (weight layers) and width (units in every layer): path terms and "
    "multiply-adds for path enumeration against backprop's multiply-adds (eqs (2), (4), (5); the "
    "forward pass, common to both, not counted). Path enumeration grows exponentially with depth, "
    "backprop linearly. Networks beyond {limit} path terms are refused. Each enumerated network "
    "(sigmoid, {K} random examples) agrees with backprop. Measured times vary from run to run, so "
    "they are only plotted (`lecture_paths.png`) and printed on stderr with `--verbose`, keeping this file "
    "reproducible.\n\n![path enumeration against backprop](lecture_paths.png)",
    paths_cols=[
        "depth",
        "width",
        "path terms",
        "multiply-adds (paths)",
        "multiply-adds (backprop)",
        "ratio",
        "enumerated",
        "max abs error vs backprop",
    ],
    refusal="What the refusal says: `{msg}`",
    files="Files: {files}.",
)
