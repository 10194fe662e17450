"""The lecture's training set, made by this project: 64 black-and-white 4×3 images of 0 and 1.

How each image is made (no randomness, no seed):

- An image has 4 rows and 3 columns; pixel (r, c) is 1 (black) or 0 (white).  Flattened
  row by row it is the input x = (x_1, …, x_12) of the lecture: x_i is pixel
  (r, c) = ((i−1) // 3, (i−1) % 3) (1-based i, 0-based r and c).
- Each digit d has *core* pixels, always black, and five *optional* pixels.  Image m of
  digit d (m = 0 … 31) is the core with optional pixel q black exactly when bit q of m is
  set.  So each digit has 2⁵ = 32 distinct images, 64 in all, and the two digits never
  share an image (every 0 has pixel (2, 1) white, every 1 has it black).
- Digit 0: core is the rounded ring (top and bottom middles, both sides of rows 1 and 2);
  optional are the four corners and one stray pixel (1, 1) inside the ring.
- Digit 1: core is the middle column; optional are two flag pixels (0, 0) and (1, 0), the
  two foot pixels (3, 0) and (3, 2), and one stray pixel (0, 2).
- Example k (0-based row of X) is image k of digit 0 for k < 32 and image k − 32 of
  digit 1 otherwise.  The target has two units, one per digit: t = (1, 0) for a 0 and
  t = (0, 1) for a 1, so output unit 1 (a_1^3) says "0" and unit 2 (a_2^3) says "1".
"""

from __future__ import annotations

import numpy as np

ROWS, COLS = 4, 3
N_PER_DIGIT = 32

# (row, column) pixels, 0-based.
CORE = {
    0: [(0, 1), (1, 0), (1, 2), (2, 0), (2, 2), (3, 1)],
    1: [(0, 1), (1, 1), (2, 1), (3, 1)],
}
OPTIONAL = {  # optional pixel q is black in image m when bit q of m is set
    0: [(0, 0), (0, 2), (3, 0), (3, 2), (1, 1)],
    1: [(0, 0), (1, 0), (3, 0), (3, 2), (0, 2)],
}


def image(digit, m):
    """Image m (0 … 31) of ``digit``: the core pixels, plus optional pixel q where bit q of m is 1."""
    if digit not in CORE or not 0 <= m < N_PER_DIGIT:
        raise ValueError(f"no image {m!r} of digit {digit!r}: digits are 0 and 1, images 0 … {N_PER_DIGIT - 1}")
    img = np.zeros((ROWS, COLS))  # (4, 3)
    for r, c in CORE[digit]:
        img[r, c] = 1.0
    for q, (r, c) in enumerate(OPTIONAL[digit]):
        if m >> q & 1:
            img[r, c] = 1.0
    return img


def dataset():
    """X (64, 12), T (64, 2) and the digits (64,): the 32 zeros first, then the 32 ones."""
    digits = np.repeat([0, 1], N_PER_DIGIT)  # (64,)
    X = np.stack([image(d, m).ravel() for d in (0, 1) for m in range(N_PER_DIGIT)])  # (64, 12): row-major pixels
    T = np.eye(2)[digits]  # (64, 2): t = (1, 0) for 0, (0, 1) for 1
    return X, T, digits


def show(x):
    """An image (12 pixels or 4×3) as 4 lines of 3 characters: '#' black, '.' white."""
    img = np.asarray(x).reshape(ROWS, COLS)
    return "\n".join("".join("#" if v >= 0.5 else "." for v in row) for row in img)


def accuracy(a_L, digits):
    """The fraction of examples whose larger output unit is their digit's unit."""
    return float(np.mean(np.argmax(a_L, axis=1) == digits))
