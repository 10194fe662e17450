"""The README's API example runs as written and means what it says."""

import re
from pathlib import Path

import numpy as np

README = Path(__file__).resolve().parents[1] / "README.md"


def api_block():
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    return next(b for b in blocks if "MLP.init" in b and "TorchMLP" in b)


def test_api_example_runs_and_both_sides_agree():
    ns = {}
    exec(compile(api_block(), "README.md", "exec"), ns)
    for l in ns["gW"]:
        np.testing.assert_allclose(ns["gW"][l], ns["rW"][l], rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(ns["delta"][l], ns["rdelta"][l], rtol=1e-10, atol=1e-12)
    assert ns["history"][-1] < ns["history"][0]
    np.testing.assert_allclose(ns["history"], ns["thistory"], rtol=1e-9)
