"""The --net lesson's picture: the lecturer's network with δ of example 1 flowing backward."""

from __future__ import annotations

from comparisons.lecture import diagrams


def network(ls, lang, path):
    """``diagrams.network`` for the lesson ``ls`` at its initial parameters, example k = 1."""
    s = ls.sol
    a = {l: v[0] for l, v in s.a.items()}
    delta = {l: v[0] for l, v in s.delta.items()}
    diagrams.network(ls.nf.sizes, ls.nf.W, a, delta, path, lang=lang, k=1)
