"""A CS231n layers.py as the course ships it: dense layers done, conv layers still stubs (assignment 1) or done too
(assignment 2). The stubs make no conv file; FILE:affine_backward is a dense target whatever else the file has."""

from pathlib import Path

from comparisons import cli

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
DENSE = (EXAMPLES / "cs231n" / "fc_net.py").read_text(encoding="utf-8").split("class FullyConnectedNet")[0]
CONV = (EXAMPLES / "conv" / "cs231n" / "correct.py").read_text(encoding="utf-8")
STUBS = '''

def conv_forward_naive(x, w, b, conv_param):
    """The course's template: nothing computed yet."""
    out = None
    # TODO: Implement the convolutional forward pass.
    pass
    cache = (x, w, b, conv_param)
    return out, cache


def conv_backward_naive(dout, cache):
    dx, dw, db = None, None, None
    pass
    return dx, dw, db


def max_pool_backward_naive(dout, cache):
    dx = None
    pass
    return dx
'''


def run(capsys, *argv):
    rc = cli.main(["diagnose", *map(str, argv)])
    out, err = capsys.readouterr()
    return rc, out, err


def test_conv_stubs_leave_the_dense_layers_to_be_diagnosed(tmp_path, capsys):
    p = tmp_path / "layers.py"
    p.write_text(DENSE + STUBS, encoding="utf-8")
    rc, out, _ = run(capsys, p, "--archs", "1")
    assert rc == 0 and "(cs231n convention;" in out.splitlines()[0] and out.splitlines()[-1].startswith("PASS")


def test_affine_backward_named_in_a_file_with_conv_layers_is_a_dense_target(tmp_path, capsys):
    p = tmp_path / "layers.py"
    p.write_text(DENSE + "\n\n" + CONV.split('"""', 2)[2], encoding="utf-8")
    rc, out, _ = run(capsys, f"{p}:affine_backward", "--archs", "1")
    assert rc == 0 and "layers.py:affine_backward (cs231n convention;" in out.splitlines()[0]
    rc, out, _ = run(capsys, p)  # the whole file: its conv layers, and a note on the dense ones
    assert "(cs231n-conv:" in out.splitlines()[0]
    assert "also defines affine_backward and relu_backward: --convention cs231n" in out
