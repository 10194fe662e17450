"""Markdown for the lecture reports: number formats and tables, the same in both languages."""

from __future__ import annotations

import math


def val(x):
    """A computed value, to 15 significant digits."""
    return f"{x:.15g}"


def hand(x):
    """A value of the worked example, to 10 significant digits: what one would carry on paper."""
    return f"{x:.10g}"


def short(x):
    """A computed value, to 6 significant digits (matrices shown whole)."""
    return f"{x:.6g}"


def err(x):
    """An error or a tolerance, to 3 significant digits; NaN as —."""
    return "—" if isinstance(x, float) and math.isnan(x) else f"{x:.2e}"


def pct(x):
    """A fraction as a percentage with one decimal."""
    return f"{100 * x:.1f} %"


def md_table(cols, rows):
    """A Markdown table of already formatted cells."""
    out = ["| " + " | ".join(cols) + " |", "|" + "|".join("---" for _ in cols) + "|"]
    return out + ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]


def tr(S, name):
    """``name`` in the report's language (unchanged where no translation is listed)."""
    return S["names"].get(name, name)


def arch(sizes):
    """12-3-2 style."""
    return "-".join(map(str, sizes))


def four(x):
    """A value of the lesson, to 4 significant digits (what one carries on a pocket calculator)."""
    if x == 0:
        return "0"
    s = f"{x:#.4g}"
    return s[:-1] if s.endswith(".") else s


def png(name, lang):
    """The figure ``name`` in the report's language: name.png, or name.ja.png with Japanese labels."""
    return f"{name}.png" if lang == "en" else f"{name}.ja.png"


def signed(terms, fmt=None):
    """A sum written as on paper: ``terms`` are (number, rest) pairs, each number's sign becomes + or −.

    signed([(0.5, ""), (-0.25, " × 2")]) is "0.5000 − 0.2500 × 2"; ``fmt`` formats a number (default ``four``).
    """
    fmt = fmt or four
    out = []
    for n, (x, rest) in enumerate(terms):
        body = f"{fmt(abs(x))}{rest}"
        out.append((f"−{body}" if x < 0 else body) if n == 0 else f"{'−' if x < 0 else '+'} {body}")
    return " ".join(out)


def par(x, fmt=None):
    """``fmt(x)`` (default ``four``) as a factor after ×: a negative number in parentheses."""
    fmt = fmt or four
    return f"({fmt(x)})" if x < 0 else fmt(x)
