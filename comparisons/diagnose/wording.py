"""The verdict's sentences, written once: which equation fails, where, and the recurrence's blame."""

from __future__ import annotations


def delta_eq(l, L):
    """The equation that makes δ^l: (4) at the output layer, (5) below it."""
    return "4" if l == L else "5"


def lead(eq, l, L=None):
    """'eq (4) fails at the output layer l = 3: ' or 'eq (N) fails at layer l = 2: '."""
    if eq == "4" and l == L:
        return f"eq (4) fails at the output layer l = {L}: "
    return f"eq ({eq}) fails at layer l = {l}: "


def delta_lead(l, L):
    """The lead for a wrong δ^l."""
    return lead(delta_eq(l, L), l, L)


def recurrence_wrong(l):
    """The blame when δ^{l+1} agrees and δ^l does not."""
    return f" while δ^{l + 1} agrees — the recurrence from layer {l + 1} to {l} is wrong"
