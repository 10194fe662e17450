"""The study group's notebook runs from top to bottom, and its .ipynb is its jupytext script.

notebooks/lecture.ja.py (jupytext percent format) is the reviewed source; notebooks/lecture.ja.ipynb is
written from it with `jupytext --to ipynb notebooks/lecture.ja.py`, without outputs. Needs the
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


def test_the_notebook_is_its_script():
    """The .ipynb must be regenerated (jupytext --to ipynb) whenever the script changes."""
    nb = nbformat.read(NOTEBOOK, as_version=4)
    assert sources(nb) == sources(jupytext.read(SCRIPT))
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")  # committed without outputs


def test_the_sync_check_can_fail():
    nb = jupytext.read(SCRIPT)
    changed = nbformat.from_dict(nb)
    changed.cells[1].source += "\nx = 1"
    assert sources(changed) != sources(jupytext.read(SCRIPT))


@pytest.fixture(scope="module")
def executed():
    """The notebook run in a fresh kernel, as the study group would run it."""
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


def test_the_notebook_shows_the_lectures_checks(executed):
    text = "".join(
        o.text for c in executed.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "stream"
    )
    assert "parameters: 47" in text
    assert "印刷どおりは違う / printed differs: True" in text and "訂正すれば一致 / corrected agrees: True" in text
    assert "正解率 / accuracy, training: 1.0" in text
