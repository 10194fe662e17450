"""argparse types that reject bad values with one line naming the problem."""

from __future__ import annotations

import argparse


def int_at_least(lo):
    """An argparse type: an integer ≥ lo."""

    def parse(text):
        try:
            v = int(text, 10)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be an integer >= {lo}, got {text!r}") from None
        if v < lo:
            raise argparse.ArgumentTypeError(f"must be an integer >= {lo}, got {v}")
        return v

    parse.__name__ = f"integer >= {lo}"
    return parse


def positive_float(text):
    """An argparse type: a finite float > 0."""
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number > 0, got {text!r}") from None
    if not (v > 0 and v < float("inf")):
        raise argparse.ArgumentTypeError(f"must be a finite number > 0, got {text!r}")
    return v


def widths(text):
    """'12-3-2' -> (12, 3, 2): the layer widths n_1-…-n_L; ValueError unless at least two integers >= 1."""
    try:
        sizes = tuple(int(n, 10) for n in str(text).strip().split("-"))
    except ValueError:
        raise ValueError(f"{text!r}: write the widths n_1-…-n_L as integers, e.g. 12-3-2") from None
    if len(sizes) < 2 or min(sizes) < 1:
        raise ValueError(f"{text}: needs at least 2 layers of at least 1 unit, e.g. 12-3-2")
    return sizes
