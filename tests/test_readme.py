"""The README's and docs/api.md's Python examples run as written and mean what they say."""

import re
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]


def api_block(path):
    blocks = re.findall(r"```python\n(.*?)```", path.read_text(), flags=re.S)
    return next(b for b in blocks if "MLP.init" in b and "TorchMLP" in b)


@pytest.mark.parametrize("doc", ["README.md", "docs/api.md"])
def test_api_example_runs_and_both_sides_agree(doc):
    ns = {}
    exec(compile(api_block(ROOT / doc), doc, "exec"), ns)
    for l in ns["gW"]:
        np.testing.assert_allclose(ns["gW"][l], ns["rW"][l], rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(ns["delta"][l], ns["rdelta"][l], rtol=1e-10, atol=1e-12)
    assert ns["history"][-1] < ns["history"][0]
