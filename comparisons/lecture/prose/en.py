"""lecture.md: the English lesson around the computed numbers (str.format placeholders, one per value)."""

EN = dict(
    title="# Backpropagation with the unit error δ: the lecture's example, worked by hand",
    intro="A lesson built on the lecture 「ディープラーニングの仕組みを知ろう! 第3回 人工知能勉強会」 (How deep "
    "learning works, part 3). Every number in it was computed by `{command}`, and every one of them was "
    "recomputed independently by PyTorch's automatic differentiation; how they were checked is in the appendix.",
    versions="Python {py}, NumPy {np}, PyTorch {torch}.",
    failed_note="**{bad} of the {n} checks FAILED**: {names}. The numbers below may be wrong; see appendix A.",
    contents="Contents: 1 notation · 2 the example · 3 the forward pass for image 1 · 4 微分地獄 (differentiation "
    "hell), as printed and corrected · 5 the unit error δ and equations (1)–(5), derived · 6 the worked example "
    "by hand · 7 training · 8 why backpropagation is fast · appendix: the checks.",
    # --- 1 notation
    notation_h="## 1. Notation",
    notation="Layers are numbered l = 1 (the input layer) … L = 3 (the output layer); the network is {arch}: "
    "n_1 = {n1} inputs, n_2 = {n2} hidden units, n_3 = {n3} output units. w_ji^l is the weight from unit i of "
    "layer l−1 to unit j of layer l — note the order: the unit it goes *to* comes first — and b_j^l is the bias "
    "(threshold) of unit j of layer l; both exist for l ≥ 2. Each unit forms its weighted input z_j^l and passes "
    "it through the activation function σ, here the sigmoid function:",
    notation_cost="The cost of image k is its squared error (2乗誤差) C_k, and gradient descent minimises the "
    "total C_T over the {K} images. A quantity with [k] belongs to image k; the slides drop [k] where one image "
    "is meant, and so does C in equations (1)–(5): there C is the cost of one image.",
    params="The parameters are the {n_params} numbers w_ji^l and b_j^l ({count}). Gradient descent needs the "
    "derivative of C_T with respect to each of them, a vector of {n_params} components:",
    inferred_h="**What the slides show, and what this lesson infers.** The slides show a network with two output "
    "units (z_1^3, z_2^3, so L = 3), 64 training examples, the sigmoid and the squared error. The rest is "
    "inferred, and marked so wherever it matters:",
    inferred=[
        "*Inference:* the lecture follows a textbook that teaches this exact δ notation with 64 black-and-white "
        "images of the digits 0 and 1, 4×3 pixels each; the slides name neither the book nor the images.",
        "*Inference:* 12 inputs (one per pixel of a 4×3 image) and 3 hidden units: the network 12-3-2.",
        "*Inference:* the ½ in C_k = ½ Σ_j (t_j − a_j^3)², which makes ∂C_k/∂a_j^3 = a_j^3 − t_j.",
        "*This project's own:* the 64 images (section 2) and the initial weights (`MLP.init(seed=0)`).",
    ],
    # --- 2 the example
    data_h="## 2. The example: {K} images of 0 and 1",
    data="The textbook's images are not in the slides and are **not reproduced here**: this project makes its own "
    "{K} ({n0} of each digit) by rules (`comparisons/lecture/data.py`). A clean 0 is a ring with some of its four "
    "corners ({c0} images); a clean 1 is a vertical stroke in the middle column or shifted one column left or "
    "right, with some of a flag and feet ({c1} images); the others are clean images with one pixel flipped "
    "({z0} zeros, {z1} ones). Pixel x_i is row (i−1)//3, column (i−1)%3, read row by row. The target has one "
    "output unit per digit: t = (1, 0) for a 0, t = (0, 1) for a 1. A few (`#` black):",
    data_alt="all the images, every pixel framed",
    # --- 3 forward pass
    fwd_h="## 3. The forward pass for image {k}",
    fwd="Everything image {k} needs, at the initial weights, to 4 significant digits (all digits in "
    "`lecture_parameters.csv`). Row j of each table holds w_j1^l … w_jn^l, the weights *into* unit j:",
    w_col="into unit j",
    fwd_x="Image {k} (a 0) has black pixels {black}; all other x_i are 0, and its target is t = {t}. Since every "
    "x_i is 0 or 1, z_j^2 = Σ_i w_ji^2 x_i + b_j^2 is just the sum of the weights of the black pixels plus the bias:",
    fwd_z2="**Layer 2**, then a_j^2 = σ(z_j^2) = 1/(1 + e^{−z_j^2}):",
    fwd_z3="**Layer 3**, z_j^3 = Σ_i w_ji^3 a_i^2 + b_j^3, and the cost of this image:",
    fwd_after="A calculator working from these 4-digit numbers agrees with them to about 3 digits (each is rounded "
    "from the full value). C_{k} = {C} is one of the 64 terms of C_T = Σ_k C_k = {C_T}.",
    files="Files: {files}.",
)

EN.update(
    # --- 4 微分地獄
    hell_h="## 4. 微分地獄: the chain rule alone, as the slides print it and corrected",
    hell="Before introducing δ the slides compute one derivative, ∂C_T/∂w_11^2, with the chain rule alone, and call "
    "the result 微分地獄 (differentiation hell). w_11^2 reaches the cost along two paths — through output unit 1 "
    "and through output unit 2 — and each path gives one term, a product of one derivative per link.",
    as_printed="As printed on the slide:",
    corrected="Corrected (the one changed factor in green):",
    hell_slip="The first term follows the path through output unit 1. The second term should follow the path "
    "through output unit 2, but the slide multiplies it by ∂z_1^3/∂a_1^2 (= w_11^3), the link into unit 1; the "
    "path through unit 2 needs ∂z_2^3/∂a_1^2 (= w_21^3). The second term as printed and corrected:",
    hell_table="Every factor for image k = {k} at the initial weights, one column per term. ∂a_1^2/∂w_11^2 is the "
    "slides' shorthand for ∂a_1^2/∂z_1^2 · ∂z_1^2/∂w_11^2 = σ'(z_1^2) x_1, a legitimate one:",
    factor_cols=["factor", "term 1", "term 2 as printed", "term 2 corrected"],
    product_row="product for image k = {k}",
    sum_row="Σ over the {K} images",
    hell_totals="Over all images the printed formula gives ∂C_T/∂w_11^2 = {printed}, the corrected one {corrected} — "
    "the true value (section 6 reaches it from δ). Two terms for one weight of a tiny network; a weight further "
    "from the output has a term for every path, which is why the slides call it hell.",
    c1="A second slip, in the slides' update vector: its first row reads",
    c1_after="with C_1, the cost of image 1 alone, where C_T is meant (the other rows have C_T). They differ: "
    "∂C_1/∂w_11^2 = {c1} (image 1 has x_1 = {x1}), ∂C_T/∂w_11^2 = {ct}.",
    index_slips="Two index slips with no effect on any number: the slides announce “ユニットの誤差 δ_i^l を次のように"
    "定義する” and then define δ_j^l, and “出力層の δ_i^L” before a formula for δ_j^L; under (3) they write "
    "∂C/∂b_i^l for ∂C/∂b_j^l. The index is a dummy name there — the same quantity in each case.",
    # --- 5 δ and (1)–(5)
    bp_h="## 5. The unit error δ and equations (1)–(5), derived",
    bp="Backpropagation (誤差逆伝播法) keeps the chain rule but organises it around one new number per unit, the "
    "unit error δ_j^l (ユニットの誤差). Each equation below is quoted as the slides print it, then derived in one "
    "or two lines of the chain rule, as Nielsen's chapter 2 derives BP1–BP4.",
    eq_heads={
        "(1)": "### (1) The unit error",
        "(2)": "### (2) The weight derivative, by δ",
        "(3)": "### (3) The bias derivative, by δ",
        "(4)": "### (4) δ of the output layer",
        "(5)": "### (5) The reverse recurrence (not printed on the slides)",
    },
    why_delta="δ_j^l says how much the cost changes when the weighted input of unit j of layer l changes. **Why "
    "introduce it?** The slides answer: because it turns computing derivatives into computing a recurrence "
    "(微分の計算から漸化式の計算へ変えることができるから). Every path of 微分地獄 that passes through unit j of "
    "layer l shares the same tail from z_j^l to the cost; δ_j^l is that tail, computed once.",
    derive={
        "(2)": "*Derivation.* w_ji^l appears only in z_j^l, so the chain rule has a single link to follow:",
        "(3)": "*Derivation.* The same, with ∂z_j^l/∂b_j^l = 1:",
        "(4)": "*Derivation.* z_j^L reaches the cost only through a_j^L = σ(z_j^L); for the squared error "
        "∂C/∂a_j^L = a_j^L − t_j:",
        "(5)": "*Derivation.* z_i^l reaches the cost through a_i^l and then through every z_j^{l+1} of the next "
        "layer, since z_j^{l+1} = Σ_i w_ji^{l+1} a_i^l + b_j^{l+1}; the chain rule adds the paths:",
    },
    eq_notes={
        "(2)": "Once δ_j^l is known, no further differentiation is needed: a_i^{l−1} is just the output of unit i of "
        "the layer before, already computed in the forward pass.",
        "(3)": "The bias derivative is δ_j^l itself.",
        "(4)": "For the sigmoid, σ'(z) = σ(z)(1 − σ(z)), so da_j^L/dz_j^L = a_j^L (1 − a_j^L): δ^L needs only the "
        "outputs and the targets.",
        "(5)": "The slides stop after (4) and describe this step in words: with a (reverse) recurrence between the "
        "unit errors of layers l and l+1, δ^L gives δ^{L−1}, δ^{L−2}, …, δ^2. They do not print it; its standard "
        "form, which this project implements, is",
    },
    derive_5_after="Read backwards, (5) is the 微分地獄 of section 4 with its common factors pulled out: the sum "
    "over j is the sum over the paths leaving unit i, and δ_j^{l+1} stands for everything after them.",
    picture_net="**The picture.** The network for image {k} at the initial weights: above each unit its output, "
    "below it δ. Each red arrow carries δ_j^3 w_ji^3 back from output unit j to hidden unit i; a hidden unit adds "
    "what arrives and multiplies by its σ'(z_i^2) — that is (5). The grey lines of layer 2 carry nothing further "
    "back: the inputs have no δ, and ∂C/∂w_ji^2 = δ_j^2 x_i is read off at the hidden unit.",
    net_alt="the 12-3-2 network for image 1, δ flowing backward",
    picture_graph="**The same on a computational graph** (as in ゼロから作るDeep Learning, chapter 5), for one "
    "sigmoid unit with small numbers: w = 2, x = 1, b = −1 give z = 1 and a = σ(1). Going forward each node "
    "computes its value; going backward each node multiplies the derivative arriving from the right by its own "
    "local derivative. The derivative that leaves the σ node is δ = ∂C/∂z, and the × node turns it into "
    "∂C/∂w = δ·x — equation (2).",
    graph_alt="a computational graph of one sigmoid unit",
    per_image_h="### One image at a time, then the sum over k",
    per_image="In (1)–(5) C is the cost of one image, and δ_j^l, a_i^{{l−1}} belong to one image k — the [k] that "
    "微分地獄 writes and these equations leave out. So (2) and (3) give ∂C_k/∂w_ji^l and ∂C_k/∂b_j^l, and since "
    "C_T = Σ_k C_k, gradient descent needs their sum over the {K} images: "
    "∂C_T/∂w_ji^l = Σ_k δ_j^l[k] a_i^{{l−1}}[k].",
    procedure_h="### The procedure",
    procedure=[
        "For every image k, the forward pass: z^l[k] and a^l[k] for l = 2, …, L.",
        "δ^L[k] of the output layer by (4).",
        "δ^{L−1}[k], …, δ^2[k] by (5), from the output layer back towards the input.",
        "∂C_k/∂w_ji^l and ∂C_k/∂b_j^l by (2) and (3); their sums over k give ∂C_T.",
        "Update every parameter, Δw = −η ∂C_T/∂w, Δb = −η ∂C_T/∂b, and repeat.",
    ],
    in_code="In the code (`manual_bp/backprop.py`) the 64 images are the rows of a matrix, so W^l multiplies from "
    "the right, transposed; each equation is computed for all images at once:",
    eq_tag="# equation {e}",
)

EN.update(
    # --- 6 worked example
    worked_h="## 6. The worked example by hand: ∂C_T/∂w_11^2 and one update",
    worked="Image {k} again, continuing from section 3 with the same 4-digit numbers. The goal: the derivative that "
    "section 4 reached through 微分地獄, now from δ, and then one step of gradient descent on w_11^2.",
    worked_d3="**δ^3 by (4)**: δ_j^3 = (a_j^3 − t_j) · σ'(z_j^3), with σ'(z_j^3) = a_j^3 (1 − a_j^3):",
    worked_d2="**δ^2 by (5)**: δ_i^2 = (δ_1^3 w_1i^3 + δ_2^3 w_2i^3) · σ'(z_i^2) — column i of W^3, not row i:",
    worked_w="**∂C_{k}/∂w_11^2 by (2)**: δ_1^2 x_1 = {d21} × {x1} = {dw}.",
    worked_hell="**The same number from 微分地獄.** For this image both corrected terms of section 4 end in "
    "σ'(z_1^2) x_1, and what is left of each is δ_j^3 times a weight. Factored, they are "
    "(δ_1^3 w_11^3 + δ_2^3 w_21^3) σ'(z_1^2) x_1 — the recurrence (5) for δ_1^2, times x_1, as (2) says. This "
    "is the chain rule turning into the recurrence:",
    term_sum="term 1 + term 2 (corrected)",
    worked_sum="**The sum over k.** ∂C_T/∂w_11^2 = Σ_k δ_1^2[k] x_1[k]. Only the images with x_1 = 1 contribute "
    "({n_lit} of the {K}); each needs its own forward pass and δ, exactly as above. Their contributions:",
    worked_update="**One update.** With the learning rate η = {eta}:",
    worked_after="Every other weight and bias moves the same way in the same step, and C_T goes from {C0} to {C1}.",
    # --- 7 training
    gd_h="## 7. Training: gradient descent, step after step",
    gd="Every parameter moves against the derivative of the total cost, and the step is repeated:",
    ball="The slides' picture: a ball on the graph of C_T rolls downhill, and the parameters move the way it rolls "
    "(ボールが転がる方向に向かってパラメータを更新). The learning rate η (学習係数), a small positive constant that "
    "the modeller chooses, sets how far each step goes.",
    gd_run="{steps} full-batch steps with η = {eta}, from the initial weights of section 3; C_T after some of them:",
    step="step",
    training_alt="C_T during training and the ratio C_T[n]/C_T[n−1]",
    jumps_h="### Why C_T sometimes goes up",
    jumps="C_T does not fall at every step: {rose}, {after} (red dots in the figure).",
    rose="it rose {n} times, between steps {first} and {last}, at worst by a factor {ratio} (step {at})",
    rose_once="it rose once, at step {at}, by a factor {ratio}",
    after_steady="before falling at every step to the end of the {steps} steps",
    after_fall="and never again after that: it fell or stood still to the end of the {steps} steps",
    after_flat="and then stood still at {C} to the end of the {steps} steps — every step after it changed nothing",
    no_jumps="C_T fell at every one of the {steps} steps.",
    sum_eta="The reason is η applied to a *sum*. C_T adds {K} costs, so its derivative adds {K} derivatives, and a "
    "step of η = {eta} on C_T is a step of {mean_eta} on the average cost:",
    overshoot="Where the valley of C_T is narrow, a step that long carries the ball past the bottom and up the "
    "opposite slope: C_T rises. The next steps roll it back, and as the weights settle where the valley is wider "
    "the same η no longer overshoots. A smaller η (or the mean cost instead of the sum) avoids the jumps at the "
    "price of more steps; the first exercise of the notebook tries it.",
    saturation_h="### Why δ shrinks on the way back (saturation)",
    saturation="Every layer that δ passes on its way back multiplies it by a σ', and the sigmoid's σ' is at most ¼ "
    "— reached only at z = 0, and much smaller once |z| is large (the unit is saturated):",
    saturation_cols=[
        "layer l",
        "largest σ'(z^l), initial",
        "mean \\|δ^l\\|, initial",
        "largest σ'(z^l), trained",
        "mean \\|δ^l\\|, trained",
        "largest \\|z^l\\|, trained",
    ],
    saturation_after="At the initial weights δ^2 is on average {ratio0} times δ^3: one layer back and δ has shrunk. "
    "{after} With many layers the shrinking repeats layer after layer, so the layers near the input "
    "learn slowest: the vanishing gradient.",
    settled="After {steps} steps the outputs sit close to their targets, σ'(z^3) is at most {sp3}, and every δ is "
    "small — learning slows down.",
    stuck="After {steps} steps σ'(z^3) is at most {sp3} and every δ is small, but the outputs are not near their "
    "targets (accuracy {acc}): the units saturated at the wrong end, where σ' ≈ 0 leaves gradient descent nothing "
    "to follow — η = {eta} was too large.",
    acc="Accuracy after {steps} steps of η = {eta} (the digit is the output unit with the larger a_j^3):",
    acc_cols=["network", "training images ({K})", "held-out flips ({n_held})"],
    acc_rows=["{arch}", "{arch_lin}, no hidden layer"],
    acc_after="The held-out images are the other one-pixel flips of the clean images, never used in training. A "
    "network without a hidden layer is shown for comparison: these images are separable by a linear rule "
    "(appendix A.7), so it can learn them too.",
    # --- 8 speed
    speed_h="## 8. Why backpropagation is fast",
    speed="For one image of the {arch} network, the forward pass costs F = {F} multiply-adds (Σ_l n_l n_(l−1)). "
    "Three ways to get all {P} derivatives ∂C_k/∂w and ∂C_k/∂b:",
    speed_cols=["method", "multiply-adds per image", "× backprop"],
    by_backprop="backprop: one forward pass, then (4), (5) and (2)",
    by_fd="finite differences: two forward passes per parameter, 2 × {P} × F",
    by_paths="微分地獄: every path of every weight, written out",
    speed_why="Finite differences redo the whole forward pass for each parameter and are only approximate. Path "
    "enumeration recomputes the shared tail of every path once per path. Backprop computes each tail once, as δ, "
    "and reuses it for every weight that leads into it — its cost is a small multiple of the forward pass, "
    "however many parameters there are.",
    growth="As networks grow, path enumeration grows exponentially with depth and backprop linearly (width n "
    "in every layer; multiply-adds per example, forward pass not counted):",
    growth_cols=["depth", "width", "path terms", "multiply-adds (paths)", "multiply-adds (backprop)", "ratio"],
    paths_alt="path enumeration against backprop",
)

EN.update(
    # --- appendix
    app_h="## Appendix A. The checks",
    app="Everything above was computed by `manual_bp`, this project's NumPy code that follows the lecture's "
    "equations, and held against `torch_ref`, the same network differentiated by PyTorch autograd alone, "
    "started from the same arrays; each equation was also held against two numerical oracles. A check passes "
    "when the two agree to rounding, within a tolerance derived from float64's unit roundoff "
    "(`comparisons/common/tolerances.py`).",
    a_checks_h="### A.1 Every check",
    verdict_ok="All {n} checks pass.",
    verdict_fail="**{bad} of the {n} checks FAILED** ({ok} pass).",
    verdict_indistinct="({u} of them not distinguishable at these weights: see A.3.)",
    indistinct="not distinguishable at these weights",
    check="check",
    passed="passed",
    yes="yes",
    no="**NO**",
    refused="refused",
    did="yes",
    a_train_h="### A.2 Training: manual_bp against torch.optim.SGD",
    a_train="{steps} full-batch steps of η = {eta} by manual_bp (`SGD`) and by `torch.optim.SGD` from the same "
    "initial arrays; C_T every {k} steps (every step in `lecture_training.csv`):",
    gd_cols=["step", "C_T manual_bp", "C_T torch", "abs. difference"],
    gd_after="Every step is judged alone: manual_bp starts from torch's parameters before the step, takes it, and is "
    "compared with torch's after it — gradient, parameters and C_T — under the rounding model of that one step "
    "(docs/tolerances.md). Over the {steps} steps the largest share of an allowed difference used is {worst} — {ok}. "
    "The two free runs above, each from the start on its own, end {diff} apart: rounding, carried on by the update "
    "map (information, never a verdict).",
    a_acc="Accuracy of the torch-trained network: {acc} on the training images, {held} on the held-out ones.",
    a_grad="The gradient of C_T at the initial weights (`MLP.init(seed={seed})`), all 47 components, to 6 digits "
    "(full precision in `lecture_parameters.csv`):",
    grad_cols=["", "i = 1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12"],
    a_hell_h="### A.3 微分地獄 against autograd",
    hell_sums="The sums of section 4 to full precision, with autograd's ∂C_T/∂w_11^2 (torch_ref) and manual_bp's "
    "backpropagation:",
    sums_cols=["Σ_k", "initial weights", "after training"],
    autograd_row="autograd ∂C_T/∂w_11^2",
    backprop_row="backprop (eqs (2), (5))",
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
    a_c1="In the first row of the slides' update vector, ∂C_1/∂w_11^2 = {c1}; the ∂C_T/∂w_11^2 meant there is {ct}.",
    a_worked_h="### A.4 The worked example against manual_bp",
    worked_check="The hand computation of image {k} (δ^2, δ^3), Σ_k δ_1^2[k] x_1[k] = {total} and the updated "
    "w_11^2 = {w11} equal manual_bp's δ and its first `SGD` step to rounding (`GRAD_F64`): {ok}.",
    eq_h="### A.5 Each equation on its own, against three oracles",
    eq="Each equation's right-hand side is fed the oracle's values (e.g. (5) is applied to the oracle's δ^{{l+1}}), "
    "so an error in one equation appears in its own table only. Oracles: autograd (torch_ref), central finite "
    "differences (h = {h_fd}), and the complex-step derivative Im f(x + ih)/h (h = {h_cs}), exact to rounding for "
    "analytic functions. The complex step applies to {analytic}; it is not applicable to {not_analytic}, which "
    "are not analytic. Errors are the largest over every layer and example (`lecture_equations.csv` has each "
    "layer).",
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
    paths_h="### A.6 Path enumeration against backprop",
    paths="∂C_T/∂w_ji^l as a sum over every path from the weight to the cost (`comparisons/lecture/path_sum.py`), "
    "every weight's paths enumerated on their own. On {arch}: {terms} path terms per example, largest difference "
    "from backprop {err} (tolerance `PATHS_F64`) — {ok}.",
    paths_table="The networks of section 8, each enumerated (sigmoid, {K} random examples) unless it has more than "
    "{limit} path terms. Measured times vary from run to run, so they are only plotted (`lecture_paths.png`) and "
    "printed on stderr with `--verbose`, keeping this file reproducible.",
    paths_cols=["depth", "width", "path terms", "enumerated", "max abs error vs backprop", "agrees"],
    refusal="What the refusal says: `{msg}`",
    a_data_h="### A.7 The data set",
    a_data="Because of the shifted and noisy images no single pixel tells the digits apart: the best rule on one "
    "pixel (x_{px} black or white) classifies {px_acc} of the {K} images. The classes are {linear} The {n_held} "
    "other one-pixel flips of the clean images are held out.",
    linear_yes="separable by a linear rule on all 12 pixels (a perceptron finds one in {epochs} passes).",
    linear_no="not separable by any linear rule found in {epochs} perceptron passes.",
    a_data_arch="Every check above is on the {arch} network of this lesson, in float64.",
    names={
        "term 1": "Σ_k term 1",
        "term 2 (printed)": "Σ_k term 2 as printed",
        "term 2 (corrected)": "Σ_k term 2 corrected",
        "total (printed)": "total, as printed",
        "total (corrected)": "total, corrected",
    },
)
