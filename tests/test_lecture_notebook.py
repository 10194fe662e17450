"""The students' notebook runs from top to bottom, its .ipynb is its jupytext script, committed with its outputs.

notebooks/lecture.ja.py (jupytext percent format) is the reviewed source; notebooks/lecture.ja.ipynb is
written from it, executed, with `jupytext --to ipynb --execute notebooks/lecture.ja.py`. Needs the
`.[notebook]` extra, which `make install` installs.
"""

import os
import pathlib

import pytest

os.environ.setdefault("JUPYTER_PLATFORM_DIRS", "1")  # jupyter_core's platformdirs migration, without its warning

import jupytext
import nbclient
import nbformat

NOTEBOOKS = pathlib.Path(__file__).resolve().parents[1] / "notebooks"
SCRIPT, NOTEBOOK = NOTEBOOKS / "lecture.ja.py", NOTEBOOKS / "lecture.ja.ipynb"


def sources(nb):
    """(cell type, source) of every cell."""
    return [(c.cell_type, c.source.strip()) for c in nb.cells]


def printed(nb):
    """The text every code cell printed, cell by cell."""
    return [
        "".join(o.text for o in c.outputs if o.output_type == "stream" and o.name == "stdout")
        for c in nb.cells
        if c.cell_type == "code"
    ]


def test_the_notebook_is_its_script_and_is_committed_executed():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    assert sources(nb) == sources(jupytext.read(SCRIPT))
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert [c.execution_count for c in code] == list(range(1, len(code) + 1))  # run once, top to bottom
    assert sum(bool(p) for p in printed(nb)) >= 12


def test_the_sync_check_can_fail():
    nb = jupytext.read(SCRIPT)
    changed = nbformat.from_dict(nb)
    changed.cells[1].source += "\nx = 1"
    assert sources(changed) != sources(jupytext.read(SCRIPT))


@pytest.fixture(scope="module")
def executed():
    """The notebook run in a fresh kernel, as a student would run it."""
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbclient.NotebookClient(
        nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOKS)}}
    ).execute()
    return nb


def test_the_notebook_runs_without_an_error_or_a_warning(executed):
    outputs = [o for c in executed.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    stderr = "".join(o.text for o in outputs if o.output_type == "stream" and o.name == "stderr")
    assert stderr == ""
    assert sum(1 for o in outputs if o.output_type == "display_data" and "image/png" in o.data) == 2  # two figures


def test_the_committed_outputs_are_what_the_notebook_prints_now(executed):
    assert printed(nbformat.read(NOTEBOOK, as_version=4)) == printed(executed)


def test_the_notebook_builds_each_step_and_checks_it_against_autograd(executed):
    text = "".join(printed(executed))
    assert "パラメータの数: 47" in text and "正解率: 1.0" in text
    assert "C_1 = 0.2864194062  C_T = 17.4721467" in text
    assert "スライドの式: 0.4907175144  訂正した式: 0.4600261007  δ から: 0.4600261007" in text
    assert "1 回更新した w_11^2 = 0.0362951885 − 0.2 × 0.4600261007 = -0.05571003165" in text
    assert "C_T が前の回より増えた回数: 17" in text
    assert "まだ一致しません" in text  # exercise 2 is left to the student
    script = SCRIPT.read_text(encoding="utf-8")
    assert script.count("# 答え合わせ") >= 7  # forward, cost, δ^3, δ^2, gradients, 微分地獄, update
    assert "from manual_bp import init_params\n" in script and "manual_bp import MLP" not in script  # backprop: own
