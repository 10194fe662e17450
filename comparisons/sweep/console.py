"""What a sweep says on stderr: no warnings (its progress bars are comparisons.common.progress.Bar)."""

from __future__ import annotations

import contextlib
import warnings

import numpy as np


@contextlib.contextmanager
def quiet():
    """No NumPy floating-point warning or RuntimeWarning reaches the user: overflow in a diverging
    run is a finding the rows record (non-finite values), not a message on stderr."""
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        yield
