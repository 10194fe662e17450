"""Every bad input, in one table: one line naming the argument, exit code 2, nothing written.

CLI rows run in-process through ``comparisons.cli.main``; each is given ``--out`` holding an
earlier report, which must stay byte-identical, and nothing may appear anywhere else.  API
rows must raise ValueError with one sentence naming the parameter.
"""

import contextlib
import errno
import json
import os
import resource
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from comparisons import assert_backprop, check_backprop, cli
from manual_bp import MLP, SGD, Family, TrainStep, full_batch, init_params, train
from torch_ref import TorchFamily, TorchMLP

ROOT = Path(__file__).resolve().parents[1]
OK = dict(sizes=[4, 3, 2], activations=["tanh", "sigmoid"], cost="squared_error", K=4, steps=2)


def spec(**change):
    """A valid spec with ``change`` applied (None removes a field), as the JSON `check --spec` takes."""
    d = {**OK, **change}
    return json.dumps({k: v for k, v in d.items() if v is not None})


def check(**change):
    return ["check", "--spec", spec(**change)]


# id: (argv, the texts the one line must contain).  {out}: a directory with an earlier report,
# {file}: a plain file.  sweep and bench rows without --out get --out {out}.
CLI = {
    # sweep: argument errors
    "sweep --archs not an integer": (["sweep", "--archs", "many"], ["--archs"]),
    "sweep --archs zero": (["sweep", "--archs", "0"], ["--archs"]),
    "sweep --archs negative": (["sweep", "--archs", "-3"], ["--archs"]),
    "sweep --steps fractional": (["sweep", "--steps", "1.5"], ["--steps"]),
    "sweep --steps negative": (["sweep", "--steps=-1"], ["--steps"]),
    "sweep --seed negative": (["sweep", "--seed=-1"], ["--seed"]),
    "sweep --seed not an integer": (["sweep", "--seed", "abc"], ["--seed"]),
    "sweep --jobs zero": (["sweep", "--jobs", "0"], ["--jobs"]),
    "sweep --dtype float16": (["sweep", "--dtype", "float16"], ["--dtype"]),
    "sweep --device tpu": (["sweep", "--device", "tpu"], ["--device"]),
    "sweep --device cuda where there is none": (["sweep", "--device", "cuda"], ["--device cuda"]),
    "sweep --out is a file": (["sweep", "--out", "{file}"], ["--out", "is a file"]),
    "sweep --out below a file": (["sweep", "--out", "{file}/sub"], ["--out", "is a file"]),
    "sweep --out not writable": (["sweep", "--out", "/proc/deltacheck-reports"], ["--out", "not writable"]),
    "sweep --out empty": (["sweep", "--out", ""], ["--out"]),
    "sweep unknown option": (["sweep", "--colour", "red"], ["--colour"]),
    "sweep abbreviated option": (["sweep", "--arch", "2"], ["--arch"]),
    "sweep --no-progress given a value": (["sweep", "--no-progress=yes"], ["--no-progress"]),
    "sweep --max-memory not a size": (["sweep", "--max-memory", "lots"], ["--max-memory"]),
    "sweep --max-memory zero": (["sweep", "--max-memory", "0G"], ["--max-memory"]),
    "sweep --max-memory unknown unit": (["sweep", "--max-memory", "3X"], ["--max-memory"]),
    "sweep --max-time not a duration": (["sweep", "--max-time", "soon"], ["--max-time"]),
    "sweep --max-time negative": (["sweep", "--max-time=-5m"], ["--max-time"]),
    # sweep: resource limits, refused before anything is sampled
    "sweep --archs ten billion": (
        ["sweep", "--archs", "10000000000"],
        ["--archs 10000000000", "iB of memory", "--max-memory"],
    ),
    "sweep --archs ten million, 16G allowed": (  # the rows stream to disk: what is kept is ARCH_BYTES each
        ["sweep", "--archs", "10000000", "--max-memory", "16G"],
        ["--archs 10000000", "GiB", "--max-memory"],
    ),
    "sweep --steps a billion": (["sweep", "--steps", "1000000000"], ["--steps 1000000000", "--max-memory"]),
    "sweep --jobs 200, 8G allowed": (["sweep", "--jobs", "200", "--max-memory", "8G"], ["--jobs 200", "--max-memory"]),
    "sweep more memory than --max-memory": (["sweep", "--max-memory", "1K"], ["--archs", "--max-memory 1 KiB"]),
    "sweep longer than --max-time": (["sweep", "--archs", "100000", "--max-time", "1m"], ["--archs", "--max-time"]),
    # the command line itself
    "no command": ([], ["COMMAND"]),
    "unknown command": (["frobnicate"], ["frobnicate"]),
    # check: the spec as JSON
    "check --spec missing": (["check"], ["--spec"]),
    "check --spec empty": (["check", "--spec", ""], ["--spec", "JSON"]),
    "check --spec not JSON": (["check", "--spec", "{sizes: [2, 1]"], ["--spec", "JSON"]),
    "check --spec not an object": (["check", "--spec", "[1, 2]"], ["--spec", "object"]),
    "check --spec unknown field": (check(depth=3), ["--spec", "depth"]),
    "check --spec without K": (check(K=None), ["--spec", "K"]),
    "check --spec sizes as a string": (check(sizes="4-3-2"), ["--spec", "sizes"]),
    "check --spec width zero": (check(sizes=[4, 0, 2]), ["--spec", "width of layer l = 2"]),
    "check --spec width fractional": (check(sizes=[4, 2.5, 2]), ["--spec", "width of layer l = 2"]),
    "check --spec one layer": (check(sizes=[4], activations=[]), ["--spec", "sizes"]),
    "check --spec too few activations": (check(activations=["tanh"]), ["--spec", "activations"]),
    "check --spec unknown activation": (check(activations=["swish", "sigmoid"]), ["--spec", "activation 'swish'"]),
    "check --spec softmax hidden": (check(activations=["softmax", "sigmoid"]), ["--spec", "softmax"]),
    "check --spec unknown cost": (check(cost="hinge"), ["--spec", "cost 'hinge'"]),
    "check --spec cross entropy without softmax": (check(cost="cross_entropy"), ["--spec", "cross_entropy"]),
    "check --spec K zero": (check(K=0), ["--spec", "K must be"]),
    "check --spec K a string": (check(K="4"), ["--spec", "K must be"]),
    "check --spec steps negative": (check(steps=-1), ["--spec", "steps must be"]),
    "check --spec seed negative": (check(seed=-1), ["--spec", "seed must be"]),
    "check --spec seed a string": (check(seed="a"), ["--spec", "seed must be"]),
    "check --spec eta zero": (check(eta=0), ["--spec", "eta"]),
    "check --spec eta NaN": (["check", "--spec", spec()[:-1] + ',"eta":NaN}'], ["--spec", "eta"]),
    "check --spec eta a string": (check(eta="0.1"), ["--spec", "eta"]),
    "check --spec momentum 1": (check(optimizer="momentum", momentum=1.0), ["--spec", "momentum"]),
    "check --spec momentum without its optimizer": (check(momentum=0.5), ["--spec", "momentum"]),
    "check --spec unknown optimizer": (check(optimizer="adam"), ["--spec", "optimizer"]),
    "check --spec batch_size above K": (check(optimizer="sgd", batch_size=9), ["--spec", "batch_size"]),
    "check --spec dtype float16": (check(dtype="float16"), ["--spec", "dtype"]),
    # check: resource limits, refused before any work
    "check --spec a million units wide": (check(sizes=[1000000, 1000000, 2]), ["--spec", "TiB", "--max-memory"]),
    "check --spec a billion steps": (check(steps=1000000000), ["--spec", "steps (1000000000", "--max-memory"]),
    "check --spec a billion examples, 16G allowed": (
        [*check(K=1000000000), "--max-memory", "16G"],
        ["--spec", "K (1000000000 examples)", "--max-memory 16 GiB"],
    ),
    "check --spec a one-hot table of 1e5 classes, 16G allowed": (
        [*check(sizes=[2, 100000], activations=["softmax"], cost="cross_entropy", K=1), "--max-memory", "16G"],
        ["--spec", "sizes [2, 100000]", "--max-memory"],
    ),
    "check --spec ten million steps in a minute": (
        [*check(steps=10000000), "--max-time", "1m", "--max-memory", "1000G"],
        ["--spec", "steps (10000000", "--max-time"],
    ),
    "check --device tpu": ([*check(), "--device", "tpu"], ["--device"]),
    "check --max-memory not a size": ([*check(), "--max-memory", "12GG"], ["--max-memory"]),
    # sweep-bench and bench: argument errors
    "sweep-bench --archs zero": (["sweep-bench", "--archs", "0"], ["--archs"]),
    "sweep-bench --steps zero": (["sweep-bench", "--steps", "0"], ["--steps"]),
    "sweep-bench --repeat zero": (["sweep-bench", "--repeat", "0"], ["--repeat"]),
    "sweep-bench --repeat not an integer": (["sweep-bench", "--repeat", "x"], ["--repeat"]),
    "bench --threads zero": (["bench", "--threads", "0"], ["--threads"]),
    "bench --threads not an integer": (["bench", "--threads", "two"], ["--threads"]),
    "bench --threads far past the cores": (["bench", "--threads", "100000"], ["--threads", "at most"]),
    "bench --out is a file": (["bench", "--out", "{file}"], ["--out", "is a file"]),
    "bench unknown option": (["bench", "--fast"], ["--fast"]),
    # --out, resolved and checked before any work
    "sweep --out a symbolic link loop": (["sweep", "--out", "{loop}"], ["--out", "loops"]),
    "sweep --out below a symbolic link loop": (["sweep", "--out", "{loop}/sub"], ["--out", "loops"]),
    "sweep --out a dangling symbolic link": (["sweep", "--out", "{dangling}"], ["--out", "which does not exist"]),
    "sweep --out below a dangling link": (["sweep", "--out", "{dangling}/sub"], ["--out", "which does not exist"]),
    "sweep --out a name over 255 bytes": (["sweep", "--out", "{out}/" + "x" * 256], ["--out", "longer than 255 bytes"]),
    "lecture --out a symbolic link loop": (["lecture", "--out", "{loop}"], ["--out", "loops"]),
    "lecture --net with --eta": (
        ["lecture", "--net", "examples/lectures/mazur_2_2_2.toml", "--eta", "5"],
        ["--eta", "does not apply to --net"],
    ),
    "selftest --out a dangling symbolic link": (["selftest", "--out", "{dangling}"], ["--out", "does not exist"]),
    "gallery --out a name over 255 bytes": (["gallery", "--out", "あ" * 90], ["--out", "longer than 255 bytes"]),
    "bench --out a symbolic link loop": (["bench", "--out", "{loop}"], ["--out", "loops"]),
    # selftest and diagnose: refused from their arguments, before any work
    "selftest --archs a billion": (["selftest", "--archs", "1000000000", "--out", "{out}"], ["--archs 1000000000"]),
    "selftest --steps a billion": (["selftest", "--steps", "1000000000", "--out", "{out}"], ["--steps 1000000000"]),
    "selftest longer than --max-time": (
        ["selftest", "--archs", "100000", "--max-time", "1m", "--out", "{out}"],
        ["--archs 100000", "--max-time"],
    ),
    "diagnose --archs 1e8 in 20 s": (
        ["diagnose", "{correct}", "--archs", "100000000", "--timeout", "20"],
        ["--archs 100000000", "--timeout 20"],
    ),
    "diagnose --sizes past --timeout": (
        ["diagnose", "{correct}", "--sizes", "4-4,5-5,6-6", "--timeout", "0.5"],
        ["--sizes", "--timeout 0.5"],
    ),
    "diagnose --max-memory past what the system limits": (
        ["diagnose", "{correct}", "--max-memory", "100000000T"],
        ["--max-memory", "at most 1024T"],
    ),
    "diagnose a file named with a colon": (["diagnose", "{out}/colon:name.py"], ["colon:name.py: no such file"]),
    "lecture --eta that overflows float64": (
        ["lecture", "--eta", "1e308", "--steps", "5", "--no-progress", "--out", "{out}"],
        ["--eta 1e+308", "overflowed"],
    ),
    "gallery --archs a billion": (["gallery", "--archs", "1000000000", "--out", "{out}"], ["--archs 1000000000"]),
    "bench a case of 1e10 parameters": (["bench", "--case", "100000-100000:100000"], ["--case", "TiB"]),
    "bench a case past --max-time": (["bench", "--case", "4000-4000-4000:4000"], ["--case", "--max-time"]),
    "bench --max-memory not a size": (["bench", "--max-memory", "lots"], ["--max-memory"]),
    # the cluster, and JSON built to break the parser
    "sweep --scheduler ucx://": (["sweep", "--scheduler", "ucx://10.0.0.5:8786"], ["--scheduler", "tcp://"]),
    "sweep --scheduler tls://": (["sweep", "--scheduler", "tls://10.0.0.5:8786"], ["--scheduler", "tcp://"]),
    "check --spec nested 5,000 deep": (["check", "--spec", "[" * 5000 + "]" * 5000], ["--spec", "nested too deep"]),
    "check --spec an object nested 5,000 deep": (
        ["check", "--spec", '{"a":' * 5000 + "1" + "}" * 5000],
        ["--spec", "nested too deep"],
    ),
}

W, b = init_params([3, 4, 2], seed=0)
X, T = np.zeros((5, 3)), np.zeros((5, 2))
X64, T64 = np.zeros((64, 12)), np.zeros((64, 2))
NET = dict(weights=W, biases=b, activations="sigmoid", cost="squared_error")


def mlp(**kw):
    return MLP(**{**NET, **kw})


def torch_mlp(**kw):
    return TorchMLP(**{**NET, **kw})


def small():
    return MLP.init([12, 3, 2], "sigmoid", "squared_error")


# id: (a call that must raise ValueError, the text its message must contain).
API = {
    "manual_bp train with batches past the rows": (
        lambda: train(small(), X64, T64, SGD(eta=0.1), full_batch(100, 2)),
        "batches[0] holds row 99 but X has 64 rows",
    ),
    "manual_bp train with an empty batch": (lambda: train(mlp(), X, T, SGD(0.1), [np.array([], int)]), "batches[0]"),
    "manual_bp train with batches not a list": (lambda: train(mlp(), X, T, SGD(0.1), 3), "batches"),
    "manual_bp MLP.init seed a string": (lambda: MLP.init([12, 3, 2], "sigmoid", "squared_error", seed="a"), "seed"),
    "manual_bp MLP.init seed negative": (lambda: MLP.init([12, 3, 2], "sigmoid", "squared_error", seed=-1), "seed"),
    "manual_bp MLP.init sizes a string": (lambda: MLP.init("12-3-2", "sigmoid", "squared_error"), "sizes"),
    "manual_bp MLP.init sizes a number": (lambda: MLP.init(12, "sigmoid", "squared_error"), "sizes"),
    "manual_bp MLP.init dtype float16": (
        lambda: MLP.init([3, 2], "sigmoid", "squared_error", dtype=np.float16),
        "dtype",
    ),
    "manual_bp full_batch steps negative": (lambda: full_batch(64, steps=-1), "steps"),
    "manual_bp full_batch K zero": (lambda: full_batch(0, steps=3), "K"),
    "manual_bp full_batch K fractional": (lambda: full_batch(2.5, steps=3), "K"),
    "manual_bp SGD eta zero": (lambda: SGD(0), "eta"),
    "manual_bp SGD momentum 1": (lambda: SGD(0.1, momentum=1.0), "momentum"),
    "manual_bp MLP activation foo": (lambda: mlp(activations="foo"), "activation 'foo'"),
    "manual_bp MLP W widths do not chain": (lambda: mlp(weights={2: W[2], 3: W[3].T}), "W[3]"),
    "manual_bp MLP int weights": (lambda: mlp(weights={2: W[2].astype(int), 3: W[3]}), "W[2]"),
    "manual_bp gradients NaN in X": (lambda: mlp().gradients(np.full((5, 3), np.nan), T), "X contains NaN"),
    "manual_bp gradients K = 0": (lambda: mlp().gradients(np.zeros((0, 3)), np.zeros((0, 2))), "X must have shape"),
    "TorchMLP activation foo": (lambda: torch_mlp(activations="foo"), "activation 'foo'"),
    "TorchMLP W widths do not chain": (lambda: torch_mlp(weights={2: W[2], 3: W[3].T}), "W[3]"),
    "TorchMLP b of the wrong width": (lambda: torch_mlp(biases={2: b[2], 3: b[2]}), "b[3]"),
    "TorchMLP int weights": (lambda: torch_mlp(weights={2: W[2].astype(int), 3: W[3]}), "W[2]"),
    "TorchMLP mismatched dtypes": (lambda: torch_mlp(weights={2: W[2].astype(np.float32), 3: W[3]}), "is float32"),
    "TorchMLP NaN in W": (lambda: torch_mlp(weights={2: np.full((4, 3), np.nan), 3: W[3]}), "W[2] contains NaN"),
    "TorchMLP unknown cost": (lambda: torch_mlp(cost="hinge"), "cost 'hinge'"),
    "TorchMLP unknown reduction": (lambda: torch_mlp(reduction="max"), "reduction"),
    "TorchMLP unknown device": (lambda: torch_mlp(device="tpu"), "device"),
    "TorchMLP X of the wrong width": (lambda: torch_mlp().gradients(np.zeros((5, 4)), T), "X must have shape (K, 3)"),
    "TorchMLP NaN in X": (lambda: torch_mlp().gradients(np.full((5, 3), np.nan), T), "X contains NaN"),
    "TorchMLP K = 0": (lambda: torch_mlp().gradients(np.zeros((0, 3)), np.zeros((0, 2))), "K >= 1"),
    "TorchMLP T of the wrong shape": (lambda: torch_mlp().total_cost(X, np.zeros((4, 2))), "T must have shape"),
    "TorchMLP X float32 into a float64 net": (lambda: torch_mlp().gradients(X.astype(np.float32), T), "X has dtype"),
    "manual_bp MLP.init dtype floaty": (lambda: MLP.init([3, 2], "sigmoid", "squared_error", dtype="floaty"), "dtype"),
    "manual_bp Family.member past G": (lambda: Family([mlp(), mlp()]).member(99), "g must be a member index 0 … 1"),
    "manual_bp Family.member negative": (lambda: Family([mlp(), mlp()]).member(-1), "g must be"),
    "manual_bp Family of none": (lambda: Family([]), "members is empty"),
    "manual_bp gradients ragged X": (lambda: mlp().gradients([[1, 2, 3], [1, 2]], T[:2]), "X is ragged"),
    "manual_bp MLP ragged W": (lambda: mlp(weights={2: [[1.0, 2.0, 3.0], [1.0]], 3: W[3]}), "W[2] is ragged"),
    "manual_bp MLP keys of two types": (lambda: mlp(weights={2: W[2], "3": W[3]}), "keyed l = 2 … 3"),
    "TorchMLP ragged X": (lambda: torch_mlp().gradients([[1, 2, 3], [1, 2]], T[:2]), "X is ragged"),
    "TorchFamily stacks of different G": (
        lambda: TorchFamily(*stacks(G=2, G3=3), "sigmoid", "squared_error"),
        "W[3] stacks 3 networks but W[2] stacks 2",
    ),
    "TorchFamily unknown device": (
        lambda: TorchFamily(*stacks(G=2), "sigmoid", "squared_error", device="tpu"),
        "unknown device 'tpu'",
    ),
    "MLP.costs_from_z a layer past L": (lambda: mlp().costs_from_z(9, np.zeros((5, 4)), T), "l must be a layer 2 … 3"),
    "TorchFamily G = 0": (lambda: TorchFamily(*stacks(G=0), "sigmoid", "squared_error"), "G = 0"),
    "TorchFamily 2-D weights": (lambda: TorchFamily(W, b, "sigmoid", "squared_error"), "W[2] must be a stack"),
    "check_backprop archs past the timeout": (
        lambda: check_backprop(str(ROOT / "examples" / "correct.py"), archs=10**8, timeout=20),
        "archs: 100000002 networks",
    ),
    "check_backprop max_memory past what the system limits": (
        lambda: check_backprop(str(ROOT / "examples" / "correct.py"), max_memory="100000000T"),
        "max_memory",
    ),
    "TorchMLP train_steps past the rows": (
        lambda: (lambda r: r.train_steps(X, T, r.optimizer(0.1), full_batch(6, 1)))(torch_mlp()),
        "batches[0] holds row 5",
    ),
}


def stacks(G, G3=None):
    """Stacked W and b of a 3-4-2 family of G members (W[3] of G3)."""
    G3 = G if G3 is None else G3
    return {2: np.zeros((G, 4, 3)), 3: np.zeros((G3, 2, 4))}, {2: np.zeros((G, 4)), 3: np.zeros((G3, 2))}


# id: (a call with an argument of the wrong type, the argument's name the one sentence must hold).
API_TYPES = {
    "manual_bp MLP.init dtype None": (lambda: MLP.init([3, 2], "sigmoid", "squared_error", dtype=None), "dtype"),
    "manual_bp MLP.init activations a number": (lambda: MLP.init([3, 2], 5, "squared_error"), "activations"),
    "manual_bp MLP.init cost None": (lambda: MLP.init([3, 2], "sigmoid", None), "cost"),
    "manual_bp MLP weights a list": (lambda: mlp(weights=[W[2], W[3]]), "weights"),
    "manual_bp gradients T None": (lambda: mlp().gradients(X, None), "T must be an array"),
    "manual_bp gradients X a string": (lambda: mlp().gradients("X", T), "X must be an array"),
    "manual_bp gradients per_example a string": (lambda: mlp().gradients(X, T, per_example="yes"), "per_example"),
    "manual_bp deltas T None": (lambda: mlp().deltas(X, None), "T must be an array"),
    "manual_bp Family.member a string": (lambda: Family([mlp(), mlp()]).member("0"), "g must be"),
    "manual_bp Family of a number": (lambda: Family(5), "members"),
    "manual_bp Family of strings": (lambda: Family(["a"]), "members[0]"),
    "manual_bp train a string optimizer": (lambda: train(mlp(), X, T, "sgd", full_batch(5, 2)), "optimizer"),
    "manual_bp train a dict net": (lambda: train({}, X, T, SGD(0.1), full_batch(5, 2)), "net must be"),
    "manual_bp TrainStep a string optimizer, at construction": (lambda: TrainStep(mlp(), "sgd"), "optimizer"),
    "manual_bp TrainStep a dict net, at construction": (lambda: TrainStep({}, SGD(0.1)), "net must be"),
    "manual_bp SGD eta a string": (lambda: SGD("0.1"), "eta"),
    "manual_bp full_batch steps None": (lambda: full_batch(5, None), "steps"),
    "TorchMLP weights a list": (lambda: torch_mlp(weights=[W[2], W[3]]), "weights"),
    "TorchMLP gradients T None": (lambda: torch_mlp().gradients(X, None), "T must be an array"),
    "TorchMLP cost None": (lambda: torch_mlp(cost=None), "cost"),
    "TorchFamily lists": (
        lambda: TorchFamily(*(list(d.values()) for d in stacks(2)), "sigmoid", "squared_error"),
        "weights",
    ),  # fmt: skip
    "TorchMLP step with a string optimizer": (lambda: torch_mlp().step("sgd", X, T), "optimizer"),
    "TorchMLP optimizer eta a string": (lambda: torch_mlp().optimizer("0.1"), "eta"),
    "check_backprop sizes a number": (lambda: check_backprop("examples/correct.py", sizes=5), "sizes"),
    "check_backprop code a number": (lambda: check_backprop(5), "code"),
    "check_backprop timeout a string": (lambda: check_backprop("examples/correct.py", timeout="5"), "timeout"),
    "assert_backprop activation a list": (lambda: assert_backprop("examples/correct.py", activation=[]), "activation"),
}


@pytest.mark.parametrize("call, names", list(API_TYPES.values()), ids=list(API_TYPES))
def test_api_wrong_type_is_a_type_error_of_one_sentence_naming_the_parameter(call, names):
    with pytest.raises(TypeError) as e:
        call()
    msg = str(e.value)
    assert names in msg and "\n" not in msg and msg.count(". ") == 0, msg
    assert isinstance(e.value, ValueError)  # as every check raised before: `except ValueError` still catches it


@pytest.fixture
def places(tmp_path):
    """{out}: a directory with an earlier report in it; {file}: a plain file; {loop}: a symbolic link loop;
    {dangling}: a link to nothing; {correct}: examples/correct.py."""
    out = tmp_path / "reports"
    out.mkdir()
    (out / "summary.md").write_text("# an earlier report\n")
    (out / "gradients.csv").write_bytes(b"arch,tensor\n0,W\n")
    (tmp_path / "a_file").write_text("x")
    (tmp_path / "loop_a").symlink_to(tmp_path / "loop_b")
    (tmp_path / "loop_b").symlink_to(tmp_path / "loop_a")
    (tmp_path / "dangling").symlink_to(tmp_path / "nowhere")
    return dict(
        out=str(out),
        file=str(tmp_path / "a_file"),
        loop=str(tmp_path / "loop_a"),
        dangling=str(tmp_path / "dangling"),
        correct=str(ROOT / "examples" / "correct.py"),
    )


def everything(root):
    """Every path below ``root`` with its bytes (directories and links as None), links not followed."""
    out = {}
    for d, dirs, files in os.walk(root):
        for name in dirs + files:
            p = Path(d) / name
            out[str(p.relative_to(root))] = p.read_bytes() if p.is_file() and not p.is_symlink() else None
    return out


@pytest.mark.parametrize("argv, names", list(CLI.values()), ids=list(CLI))
def test_cli_bad_input_is_one_line_exit_2_and_nothing_written(argv, names, places, tmp_path, capsys):
    if "cuda" in argv and torch.cuda.is_available():
        pytest.skip("this machine has CUDA: --device cuda is not a bad input here")
    for key, value in places.items():
        argv = [a.replace("{" + key + "}", value) for a in argv]
    if argv[:1] in (["sweep"], ["bench"]) and "--out" not in argv and "--arch" not in argv:
        argv += ["--out", places["out"]]
    before = everything(tmp_path)
    assert cli.main(argv) == 2
    cap = capsys.readouterr()
    assert cap.err.count("\n") == 1 and cap.err.startswith("error: ") and "Traceback" not in cap.err, cap.err
    for name in names:
        assert name in cap.err, cap.err
    assert cap.out == ""
    assert everything(tmp_path) == before


@pytest.mark.parametrize("call, names", list(API.values()), ids=list(API))
def test_api_bad_input_is_one_sentence_naming_the_parameter(call, names):
    with pytest.raises(ValueError) as e:
        call()
    msg = str(e.value)
    assert names in msg and "\n" not in msg and msg.count(". ") == 0, msg


def test_the_table_is_large_enough():
    assert len(CLI) + len(API) + len(API_TYPES) >= 150


@pytest.mark.parametrize(
    "argv",
    [["sweep", "--archs", "10000000000"], ["check", "--spec", "{"]],
    ids=["a refusal", "a spec error"],
)
def test_a_real_process_says_the_same(argv, tmp_path):
    """The console script, not only cli.main: exit status 2, one line, nothing on stdout."""
    r = subprocess.run(
        [sys.executable, "-m", "comparisons", *argv, *(["--out", str(tmp_path / "r")] if argv[0] == "sweep" else [])],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and r.stdout == "", r.stderr
    assert list(tmp_path.iterdir()) == []


@contextlib.contextmanager
def disk_of(limit):
    """Files past ``limit`` bytes cannot be written while inside (RLIMIT_FSIZE: EFBIG, as a full disk's ENOSPC)."""
    old_signal = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # the write fails instead of killing the process
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, old_signal)


def full_disk(path, *args, **kwargs):
    """reportio's writers on a disk that fills: half the file, then ENOSPC."""
    Path(path).write_bytes(b"half")
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))


DISK_FULL = {  # id: (argv, how the disk fills)
    "sweep": (["sweep", "--archs", "2", "--steps", "2", "--no-progress"], "limit"),
    "sweep in families with jobs": (
        ["sweep", "--archs", "4", "--steps", "2", "--family", "2", "--jobs", "2", "--no-progress"],
        "limit",
    ),
    "lecture": (["lecture", "--steps", "5", "--lang", "en", "--no-progress"], "limit"),
    "selftest": (["selftest", "--archs", "1", "--steps", "1", "--no-progress"], "ENOSPC"),
    "gallery": (["gallery", "--archs", "1"], "ENOSPC"),
}


@pytest.mark.parametrize("argv, how", list(DISK_FULL.values()), ids=list(DISK_FULL))
def test_a_disk_that_fills_is_one_line_exit_2_and_the_earlier_report_kept(argv, how, places, monkeypatch, capsys):
    out = Path(places["out"])
    before = everything(out)
    if how == "ENOSPC":  # the work itself replaced by a small one: what is tested is the writing
        from comparisons.diagnose import gallery
        from comparisons.sweep import selftest

        monkeypatch.setattr(selftest, "run_selftest", lambda *a, **k: ([], []))
        monkeypatch.setattr(gallery, "run_gallery", lambda *a, **k: [])
        monkeypatch.setattr("comparisons.common.reportio.write_text", full_disk)
        rc = cli.main([*argv, "--out", str(out)])
    else:
        with disk_of(4096):
            rc = cli.main([*argv, "--out", str(out)])
    err = capsys.readouterr().err
    assert rc == 2 and err.count("\n") == 1 and err.startswith("error: --out ") and "Traceback" not in err, err
    assert "the reports there before are left as they were" in err
    assert everything(out) == before  # no staging folder, no half file, the earlier report byte for byte
