"""The report's sentences in English and Japanese, with the same {placeholders} in both.

Every number comes through a placeholder, so the two reports carry the same numbers; the
Japanese uses the lecture's own terms (ユニットの誤差, 誤差逆伝播法, 勾配降下法, 学習係数,
2乗誤差, 出力層, 漸化式).  Where a Japanese term contains a digit (2乗誤差), the English
names it too, so that both reports contain exactly the same numbers.
"""

EN = dict(
    title="# deltacheck lecture: is every step of the derivation right?",
    verdict_ok="**ALL PASS** — {n} of {n} checks pass.",
    verdict_fail="**{bad} CHECK(S) FAILED** — {ok} of {n} checks pass.",
    verdict_indistinct="({u} of them not distinguishable at these weights: see section 2.)",
    indistinct="not distinguishable at these weights",
    intro="Every number below was computed by this run: `{command}`.",
    versions="Python {py}, NumPy {np}, PyTorch {torch}.",
    check="check",
    passed="passed",
    yes="yes",
    no="**NO**",
    refused="refused",
    data_h="## The lecture's example: {K} images of 0 and 1",
    data="The project's own training set (made by `comparisons/lecture_data.py`, documented there): "
    "{K} black-and-white {r}×{c} images, {n0} of the digit 0 and {n1} of the digit 1, each with a target of "
    "{nL} units: t = (1, 0) for a 0 and t = (0, 1) for a 1. Examples k = {ka} (a 0) and k = {kb} (a 1), "
    "as `lecture_data.show` prints them:",
    net="The network is {arch}: sigmoid units, the squared error (2乗誤差) C_k = ½ Σ_j (t_j − a_j^3)², "
    "and C_T = Σ_k C_k over the {K} examples. Initial weights: `MLP.init(seed={seed})`.",
    gd_h="## 1. Gradient descent: Δw = −η ∂C_T/∂w",
    gd="{steps} full-batch steps with learning rate η = {eta}, by manual_bp (`SGD`) and by `torch.optim.SGD`, "
    "from the same initial arrays. C_T every {k} steps (all steps in `lecture_training.csv`, plot "
    "`lecture_training.png`):",
    gd_cols=["step", "C_T manual_bp", "C_T torch", "abs. difference"],
    gd_after="Largest parameter difference after step {steps}: {diff} (allowed: {tol}, the trajectory bound "
    "`trajectory_tolerance(float64, {steps})`) — {ok}. Accuracy on the {K} images: manual_bp {acc_m}, "
    "torch {acc_t}.",
    hell_h="## 2. The 微分地獄 example: ∂C_T/∂w_11^2 by the chain rule",
    hell="The slide expands ∂C_T/∂w_11^2 over the two output units. Its second term, as printed, uses "
    "∂z_1^3/∂a_1^2 (= w_11^3) where the path through output unit 2 needs ∂z_2^3/∂a_1^2 (= w_21^3). "
    "The factors of example k = {k} (the first image with x_1 = 1), at the initial weights:",
    factor_cols=["factor", "value"],
    shorthand="The slide's ∂a_1^2/∂w_11^2 is shorthand for ∂a_1^2/∂z_1^2 · ∂z_1^2/∂w_11^2 = σ'(z_1^2) · x_1 = "
    "{sp} × {x1} = {prod}: example k = {k} has x_1 = {x1}, which is why the row repeats ∂a_1^2/∂z_1^2.",
    sums_cols=["Σ_k", "initial weights", "after training"],
    hell_sums="Each term summed over the {K} examples, next to autograd (torch_ref) and manual_bp's backprop:",
    hell_verdict="At the {point}: printed total is off by {p_rel} relative to autograd — {p_ok}; "
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
    c1="The slide's gradient vector also writes ∂C_1/∂w_11^2 in its first row where ∂C_T/∂w_11^2 is meant: "
    "∂C_1/∂w_11^2 = {c1} (example k = 1 only; its x_1 = {x1}) but ∂C_T/∂w_11^2 = {ct}.",
    eq_h="## 3. Each equation on its own, against three oracles",
    eq="Each equation's right-hand side is fed the oracle's values (e.g. (5) is applied to the oracle's δ^{{l+1}}), "
    "so an error in one equation appears in its own table only. Oracles: autograd (torch_ref), "
    "central finite differences (h = {h_fd}), and the complex-step derivative Im f(x + ih)/h (h = {h_cs}), "
    "exact to rounding for analytic functions. The complex step applies to {analytic}; it is not applicable "
    "to {not_analytic}, which are not analytic. Errors are the largest over every layer and example "
    "(`lecture_equations.csv` has each layer).",
    eq_names={
        "(1)": "(1) δ^l ≜ ∂C/∂z^l (manual_bp's whole backward pass)",
        "(2)": "(2) ∂C_k/∂w_ji^l = δ_j^l a_i^{l-1}",
        "(3)": "(3) ∂C_k/∂b_j^l = δ_j^l",
        "(4)": "(4) δ_j^L = ∂C/∂a_j^L · σ'(z_j^L), output layer",
        "(5)": "(5) δ_i^l = (Σ_j δ_j^{l+1} w_ji^{l+1}) σ'(z_i^l), the reverse recurrence",
        "Σ_k": "Σ_k: ∂C_T/∂W^l and ∂C_T/∂b^l, the sums over the examples",
    },
    eq_cols=["weights", "oracle", "max abs error", "max rel error", "tolerance", "pass"],
    pass_rule="An entry passes when |m − r| ≤ atol·max(1, max|r|) + rtol·|r| (m the equation's side, r the "
    "oracle's), so the max rel error of a table, max |m − r|/|r|, can exceed rtol through a near-zero "
    "entry that still passes through atol.",
    tol_h="Tolerances (`comparisons/tolerances.py`, each with its reason):",
    tol_cols=["name", "rtol", "atol"],
    paths_h="## 4. Why backpropagation",
    paths="The slide's expansion, generalised: ∂C_T/∂w_ji^l as a sum over every path from the weight to the cost "
    "(`comparisons/paths.py`), every weight's paths enumerated on their own. On {arch}: {terms} path terms "
    "per example, largest difference from backprop {err} (tolerance `PATHS_F64`) — {ok}.",
    paths_table="Cost per example against depth (weight layers) and width (units in every layer): path terms and "
    "multiply-adds for path enumeration against backprop's multiply-adds (eqs (2), (4), (5); the "
    "forward pass, common to both, not counted). Path enumeration grows exponentially with depth, "
    "backprop linearly. Networks beyond {limit} path terms are refused. Each enumerated network "
    "(sigmoid, {K} random examples) agrees with backprop. Measured times vary from run to run, so "
    "they are only plotted (`lecture_paths.png`) and printed on stderr, keeping this file reproducible.",
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
    names={},
    files="Files: {files}.",
)

JA = dict(
    title="# deltacheck lecture: 導出の各ステップは正しいか",
    verdict_ok="**すべて合格** — {n} 件中 {n} 件の検査に合格。",
    verdict_fail="**{bad} 件の検査が不合格** — {n} 件中 {ok} 件に合格。",
    verdict_indistinct="(うち {u} 件はこの重みでは区別できない: 第 2 節を参照。)",
    indistinct="この重みでは区別できない",
    intro="以下の数値はすべてこの実行で計算したもの: `{command}`。",
    versions="Python {py}、NumPy {np}、PyTorch {torch}。",
    check="検査",
    passed="合否",
    yes="合格",
    no="**不合格**",
    refused="拒否",
    data_h="## 講義の例: 0 と 1 の画像 {K} 枚",
    data="本プロジェクトで作成した訓練データ(`comparisons/lecture_data.py` に作り方を記載): "
    "白黒 {r}×{c} 画素の画像 {K} 枚、数字 0 が {n0} 枚、数字 1 が {n1} 枚。正解は {nL} ユニット: "
    "0 なら t = (1, 0)、1 なら t = (0, 1)。例 k = {ka}(0)と k = {kb}(1)を "
    "`lecture_data.show` の出力で示す:",
    net="ネットワークは {arch}: シグモイドのユニット、2乗誤差 C_k = ½ Σ_j (t_j − a_j^3)²、"
    "{K} 個の例についての総和 C_T = Σ_k C_k。初期の重みは `MLP.init(seed={seed})`。",
    gd_h="## 1. 勾配降下法: Δw = −η ∂C_T/∂w",
    gd="学習係数 η = {eta} で全データを使うステップを {steps} 回、manual_bp(`SGD`)と `torch.optim.SGD` で、"
    "同じ初期値から実行。{k} ステップごとの C_T(全ステップは `lecture_training.csv`、図は "
    "`lecture_training.png`):",
    gd_cols=["ステップ", "C_T manual_bp", "C_T torch", "差の絶対値"],
    gd_after="ステップ {steps} の後のパラメータの差の最大値: {diff}(許容値: {tol}、軌道の上界 "
    "`trajectory_tolerance(float64, {steps})`)— {ok}。{K} 枚での正解率: manual_bp {acc_m}、"
    "torch {acc_t}。",
    hell_h="## 2. 微分地獄の例: 連鎖律による ∂C_T/∂w_11^2",
    hell="スライドは ∂C_T/∂w_11^2 を二つの出力層ユニットについて展開している。印刷された第二項は "
    "∂z_1^3/∂a_1^2 (= w_11^3) を使っているが、出力ユニット 2 を通る経路には ∂z_2^3/∂a_1^2 (= w_21^3) "
    "が必要である。初期の重みでの例 k = {k}(x_1 = 1 となる最初の画像)の各因子:",
    factor_cols=["因子", "値"],
    shorthand="スライドの ∂a_1^2/∂w_11^2 は ∂a_1^2/∂z_1^2 · ∂z_1^2/∂w_11^2 = σ'(z_1^2) · x_1 = {sp} × {x1} = {prod} "
    "の略記である。例 k = {k} では x_1 = {x1} なので、この行は ∂a_1^2/∂z_1^2 と同じ値になる。",
    sums_cols=["Σ_k", "初期の重み", "学習後"],
    hell_sums="各項の {K} 個の例についての和と、自動微分(torch_ref)および manual_bp の誤差逆伝播法の値:",
    hell_verdict="{point}: 印刷どおりの和は自動微分との相対差 {p_rel} — {p_ok}。"
    "訂正した和の相対差は {c_rel} — {c_ok}(許容値 `GRAD_F64`)。",
    hell_same="{point}: 印刷どおりの和と訂正した和は許容値の範囲で一致する(自動微分との相対差は印刷どおり {p_rel}、"
    "訂正 {c_rel})。この重みではスライドの誤記は数値に影響しないので、この重みでは区別できない"
    "(不合格ではない)。訂正した和は{c_ok}(許容値 `GRAD_F64`)。",
    differs="違いを検出",
    not_differs="**違いを検出できず**",
    agrees="丸め誤差の範囲で一致",
    not_agrees="**一致しない**",
    initial_w="初期の重み",
    trained_w="学習後の重み",
    autograd_row="自動微分 ∂C_T/∂w_11^2",
    backprop_row="誤差逆伝播法 (式 (2), (5))",
    c1="スライドの勾配ベクトルの第一行は ∂C_T/∂w_11^2 のはずが ∂C_1/∂w_11^2 となっている: "
    "∂C_1/∂w_11^2 = {c1}(例 k = 1 のみ、その x_1 = {x1})だが ∂C_T/∂w_11^2 = {ct}。",
    eq_h="## 3. 各式を単独で、三つの基準と照合",
    eq="各式の右辺には基準側の値を入れる(例: 式 (5) の漸化式は基準の δ^{{l+1}} に適用する)ので、"
    "ある式の誤りはその式の表にだけ現れる。基準: 自動微分(torch_ref)、中心差分(h = {h_fd})、"
    "複素ステップ微分 Im f(x + ih)/h(h = {h_cs}、解析関数なら丸め誤差の範囲で厳密)。"
    "複素ステップは {analytic} に適用できる。{not_analytic} は解析関数でないため適用できない。"
    "誤差は全層・全例での最大値(層ごとの値は `lecture_equations.csv`)。",
    eq_names={
        "(1)": "(1) ユニットの誤差の定義 δ^l ≜ ∂C/∂z^l(manual_bp の逆伝播全体)",
        "(2)": "(2) ∂C_k/∂w_ji^l = δ_j^l a_i^{l-1}",
        "(3)": "(3) ∂C_k/∂b_j^l = δ_j^l",
        "(4)": "(4) 出力層 δ_j^L = ∂C/∂a_j^L · σ'(z_j^L)",
        "(5)": "(5) 逆向きの漸化式 δ_i^l = (Σ_j δ_j^{l+1} w_ji^{l+1}) σ'(z_i^l)",
        "Σ_k": "Σ_k: ∂C_T/∂W^l と ∂C_T/∂b^l、例についての和",
    },
    eq_cols=["重み", "基準", "最大絶対誤差", "最大相対誤差", "許容値", "合否"],
    pass_rule="各要素は |m − r| ≤ atol·max(1, max|r|) + rtol·|r|(m は式の側、r は基準の値)のとき合格する。"
    "そのため表の最大相対誤差 max |m − r|/|r| は、"
    "ゼロに近い要素が atol によって合格していても rtol を超えることがある。",
    tol_h="許容値(`comparisons/tolerances.py`、それぞれ理由を記載):",
    tol_cols=["名前", "rtol", "atol"],
    paths_h="## 4. なぜ誤差逆伝播法か",
    paths="スライドの展開を一般化したもの: ∂C_T/∂w_ji^l を重みからコストへの全経路の和として計算する"
    "(`comparisons/paths.py`、重みごとに経路を別々に列挙)。{arch} では例あたり {terms} 個の経路項、"
    "誤差逆伝播法との差の最大値 {err}(許容値 `PATHS_F64`)— {ok}。",
    paths_table="深さ(重みの層数)と幅(各層のユニット数)に対する例あたりのコスト: 経路列挙の経路項と積和の回数、"
    "誤差逆伝播法の積和の回数(式 (2), (4), (5)。両者に共通の順伝播は数えない)。経路列挙は深さに対して"
    "指数的に、誤差逆伝播法は線形に増える。経路項が {limit} を超えるネットワークは拒否する。"
    "列挙した各ネットワーク(シグモイド、ランダムな例 {K} 個)は誤差逆伝播法と一致する。"
    "計測時間は実行ごとに変わるため図(`lecture_paths.png`)と標準エラー出力にのみ示し、"
    "このファイルの再現性を保つ。",
    paths_cols=[
        "深さ",
        "幅",
        "経路項",
        "積和(経路)",
        "積和(誤差逆伝播法)",
        "比",
        "列挙",
        "誤差逆伝播法との最大絶対誤差",
    ],
    refusal="拒否のメッセージ: `{msg}`",
    names={  # check, oracle and term names; English ones not listed here are kept as they are
        "training: parameters": "勾配降下法: パラメータ",
        "training: C_T per step": "勾配降下法: 各ステップの C_T",
        "微分地獄 at the initial weights": "微分地獄: 初期の重み",
        "微分地獄 after training": "微分地獄: 学習後",
        **{f"equation {e}": f"式 {e}" for e in ("(1)", "(2)", "(3)", "(4)", "(5)")},
        "sums over k (C_T = Σ_k C_k)": "例 k についての和 (C_T = Σ_k C_k)",
        "path enumeration = backprop": "経路列挙 = 誤差逆伝播法",
        "autograd": "自動微分",
        "finite differences": "中心差分",
        "complex step": "複素ステップ",
        "term 1": "項 1",
        "term 2 (printed)": "項 2(印刷どおり)",
        "term 2 (corrected)": "項 2(訂正)",
        "total (printed)": "和(印刷どおり)",
        "total (corrected)": "和(訂正)",
    },
    files="ファイル: {files}。",
)

STRINGS = {"en": EN, "ja": JA}
