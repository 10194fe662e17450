"""Text from elsewhere (the user's code, file names, exception messages) made inert before it reaches a terminal."""

from __future__ import annotations

import unicodedata

HIDDEN = ("Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn")  # controls, format (bidi overrides), separators, unassigned


def visible(text, keep=""):
    r"""``text`` with every control, format and line-separator character but those in ``keep`` escaped.

    ``\x1b[2J`` (a screen clear), ``\r``, ``\u202e`` (right-to-left override) come out as those
    characters of text: nothing printed can clear the screen, move the cursor or hide a line.
    """
    return "".join(c.encode("unicode_escape").decode("ascii") if _hidden(c, keep) else c for c in text)


def _hidden(c, keep):
    return c not in keep and unicodedata.category(c) in HIDDEN
