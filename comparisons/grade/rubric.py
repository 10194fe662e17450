"""The score of a verdict: each of the lecture's eqs (2)–(5) that holds earns its share.

Default: 25 points each, 100 in all.  A pass earns every share.  A failure names the first
equation that fails, scanning from the output layer down, and loses that equation's share
(a second mistake behind it shows once the first is fixed).  A crash that no value places,
a wrong forward pass, no result or unusable code earn nothing.  A TOML file overrides the
shares:

    [rubric]
    eq2 = 20
    eq3 = 10
    eq4 = 30
    eq5 = 40
"""

from __future__ import annotations

from pathlib import Path

from comparisons.common.errors import UsageError

EQUATIONS = ("2", "3", "4", "5")
DEFAULT = dict.fromkeys(EQUATIONS, 25.0)
TITLE = {
    "2": "eq (2): ∂C/∂w_ji^l = δ_j^l a_i^{l−1}",
    "3": "eq (3): ∂C/∂b_j^l = δ_j^l",
    "4": "eq (4): δ_j^L = ∂C/∂a_j^L σ'(z_j^L)",
    "5": "eq (5): δ^l = ((W^{l+1})ᵀ δ^{l+1}) ⊙ σ'(z^l)",
}


def load(path):
    """The shares of a rubric TOML file ({'2': 25.0, …}); UsageError naming what is wrong."""
    if path is None:
        return dict(DEFAULT)
    try:
        import tomllib  # Python 3.11+
    except ImportError:  # pragma: no cover - Python 3.10
        try:
            import tomli as tomllib
        except ImportError:
            raise UsageError(f"--rubric {path}: reading TOML needs Python 3.11, or tomli installed") from None
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
        raise UsageError(f"--rubric {path}: {e}") from None
    table = data.get("rubric")
    if not isinstance(table, dict) or set(data) != {"rubric"}:
        raise UsageError(f"--rubric {path}: needs one [rubric] table with eq2, eq3, eq4, eq5")
    unknown = sorted(set(table) - {f"eq{e}" for e in EQUATIONS})
    if unknown:
        raise UsageError(f"--rubric {path}: unknown key {unknown[0]!r}; the keys are eq2, eq3, eq4, eq5")
    shares = dict(DEFAULT)
    for eq in EQUATIONS:
        v = table.get(f"eq{eq}", DEFAULT[eq])
        if isinstance(v, bool) or not isinstance(v, (int, float)) or v < 0:
            raise UsageError(f"--rubric {path}: eq{eq} must be a number >= 0, got {v!r}")
        shares[eq] = float(v)
    return shares


def held(status, eq):
    """The equations that earn their share: all on a pass, all but the named one on a placed failure."""
    if status == "pass":
        return list(EQUATIONS)
    if status == "fail" and eq in EQUATIONS:
        return [e for e in EQUATIONS if e != eq]
    return []


def score(shares, status, eq):
    """(points, out of)."""
    return sum(shares[e] for e in held(status, eq)), sum(shares.values())
