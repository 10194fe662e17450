"""The lecture's training set, made by this project: 64 black-and-white 4×3 images of 0 and 1.

The textbook's own 64 images are not in the slides and are not reproduced; these are made
here, by rules, so that no single pixel tells the digits apart.

- An image has 4 rows and 3 columns; pixel (r, c) is 1 (black) or 0 (white).  Flattened
  row by row it is the input x = (x_1, …, x_12) of the lecture: x_i is pixel
  (r, c) = ((i−1) // 3, (i−1) % 3) (1-based i, 0-based r and c).
- A *clean 0* is the ring (top and bottom middles, both sides of rows 1 and 2) with some of
  its four corners: corner q is black unless bit q of m is set, m = 0 … 15 (so clean 0 number
  0 has all four corners and x_1 = 1).  16 clean 0s.
- A *clean 1* is a vertical stroke in the middle column, or shifted into the left or the right
  column, with some of its optional pixels: a flag left of the top (0, c−1) and feet beside the
  bottom (3, c−1), (3, c+1), where they fall inside the image; optional pixel q is black
  unless bit q of m is set.  8 middle + 2 left + 4 right = 14 clean 1s.
- A *noisy* image is a clean one with exactly one pixel flipped.  Flips that give a clean
  image, or an image that is also a flip of the other digit, are left out.  From the rest,
  a fixed shuffle (numpy Generator(NOISE_SEED)) takes 16 noisy 0s and 18 noisy 1s for
  training; every other flip is *held out*, to test the trained network on images it never saw.
- Example k (0-based row of X): the 16 clean 0s, the 16 noisy 0s, the 14 clean 1s, the 18 noisy
  1s.  The target has two units, one per digit: t = (1, 0) for a 0 and t = (0, 1) for a 1, so
  output unit 1 (a_1^3) says "0" and unit 2 (a_2^3) says "1".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

ROWS, COLS = 4, 3
N_PER_DIGIT = 32
NOISE_SEED = 0  # the shuffle that picks the noisy training images; any seed gives a valid set

RING = [(0, 1), (1, 0), (1, 2), (2, 0), (2, 2), (3, 1)]
CORNERS = [(0, 0), (0, 2), (3, 0), (3, 2)]
STROKE_COLUMNS = {1: "middle", 0: "shifted left", 2: "shifted right"}  # in this order


def _image(pixels):
    """A (4, 3) image with the given (row, column) pixels black."""
    img = np.zeros((ROWS, COLS))  # (4, 3)
    for r, c in pixels:
        img[r, c] = 1.0
    return img


def _with_optional(core, optional, m):
    """``core`` plus optional pixel q wherever bit q of m is 0 (m = 0: every optional pixel)."""
    return _image(core + [p for q, p in enumerate(optional) if not m >> q & 1])


def stroke_options(c):
    """The optional pixels of a 1 whose stroke is in column c: flag (0, c−1), feet (3, c∓1), inside the image."""
    return [(r, cc) for r, cc in ((0, c - 1), (3, c - 1), (3, c + 1)) if 0 <= cc < COLS]


def clean_images(digit):
    """[(image (4, 3), description)] of the clean images of ``digit``, in their fixed order."""
    if digit == 0:
        return [(_with_optional(RING, CORNERS, m), f"ring, corners m={m}") for m in range(2 ** len(CORNERS))]
    if digit == 1:
        out = []
        for c, where in STROKE_COLUMNS.items():
            opt = stroke_options(c)
            stroke = [(r, c) for r in range(ROWS)]
            out += [(_with_optional(stroke, opt, m), f"stroke {where}, m={m}") for m in range(2 ** len(opt))]
        return out
    raise ValueError(f"digit must be 0 or 1, got {digit!r}")


def _flips(digit):
    """[(x (12,), source description, flipped pixel i)] for every one-pixel flip of every clean image."""
    out = []
    for img, what in clean_images(digit):
        for i in range(ROWS * COLS):
            x = img.ravel().copy()
            x[i] = 1.0 - x[i]
            out.append((x, what, i + 1))
    return out


@dataclass(frozen=True)
class Images:
    """Images as rows of X with their digits and where each came from."""

    X: np.ndarray  # (K, 12)
    digits: np.ndarray  # (K,)
    kind: list  # 'clean' or 'noisy'
    source: list  # the clean image's description
    flipped: list  # the flipped pixel i (1-based) of a noisy image, else 0

    @property
    def T(self):
        """(K, 2): t = (1, 0) for a 0, (0, 1) for a 1."""
        return np.eye(2)[self.digits]


def _split():
    """(training Images, held-out Images)."""
    key = lambda x: x.astype(np.int8).tobytes()  # noqa: E731
    clean = {d: clean_images(d) for d in (0, 1)}
    clean_keys = {key(img.ravel()) for d in (0, 1) for img, _ in clean[d]}
    flips = {d: _flips(d) for d in (0, 1)}
    both = {key(x) for x, _, _ in flips[0]} & {key(x) for x, _, _ in flips[1]}
    rng = np.random.default_rng(NOISE_SEED)
    train, held = [], []
    for d in (0, 1):
        seen, usable = set(clean_keys | both), []
        for x, what, i in flips[d]:  # drop clean images, images of both digits, and repeats
            if key(x) not in seen:
                seen.add(key(x))
                usable.append((x, what, i))
        order = rng.permutation(len(usable))
        n_noisy = N_PER_DIGIT - len(clean[d])
        train += [(img.ravel(), d, "clean", what, 0) for img, what in clean[d]]
        train += [(usable[j][0], d, "noisy", usable[j][1], usable[j][2]) for j in order[:n_noisy]]
        held += [(usable[j][0], d, "noisy", usable[j][1], usable[j][2]) for j in sorted(order[n_noisy:])]
    return tuple(_images(rows) for rows in (train, held))


def _images(rows):
    X = np.stack([r[0] for r in rows])  # (K, 12): row-major pixels
    return Images(X, np.array([r[1] for r in rows]), [r[2] for r in rows], [r[3] for r in rows], [r[4] for r in rows])


def training_images():
    """The 64 training images (32 of each digit)."""
    return _split()[0]


def held_out_images():
    """Every one-pixel flip not in training: images the trained network never saw."""
    return _split()[1]


def dataset():
    """X (64, 12), T (64, 2) and the digits (64,): the 32 zeros first, then the 32 ones."""
    tr = training_images()
    return tr.X, tr.T, tr.digits


def show(x):
    """An image (12 pixels or 4×3) as 4 lines of 3 characters: '#' black, '.' white."""
    img = np.asarray(x).reshape(ROWS, COLS)
    return "\n".join("".join("#" if v >= 0.5 else "." for v in row) for row in img)


def side_by_side(xs, labels, gap="   "):
    """Several images as 4 lines of text, each under its label."""
    width = max(COLS, *(len(s) for s in labels))
    blocks = [show(x).split("\n") for x in xs]
    head = gap.join(s.ljust(width) for s in labels).rstrip()
    rows = [gap.join(b[r].ljust(width) for b in blocks).rstrip() for r in range(ROWS)]
    return "\n".join([head, *rows])


def single_pixel_accuracy(X, digits):
    """The best accuracy of any rule "digit = 1 where x_i is black" (or white), per pixel i: (12,)."""
    black = X >= 0.5  # (K, 12)
    hit = black == (digits[:, None] == 1)  # (K, 12): the rule "black means 1" is right
    acc = hit.mean(axis=0)
    return np.maximum(acc, 1.0 - acc)  # the opposite rule "black means 0" is right where the first is wrong


def accuracy(a_L, digits):
    """The fraction of examples whose larger output unit is their digit's unit."""
    return float(np.mean(np.argmax(a_L, axis=1) == digits))


def perceptron_epochs(X, digits, max_epochs=1000):
    """Passes of the perceptron rule until a linear rule w·x + b classifies every image; None if not found.

    A finite answer is a proof that the classes are linearly separable (the rule found is one);
    None only says that no rule was found in ``max_epochs`` passes.
    """
    Xb = np.hstack([X, np.ones((len(X), 1))])  # (K, 13): the bias as a 13th input
    y = np.where(digits == 1, 1.0, -1.0)  # (K,)
    w = np.zeros(Xb.shape[1])
    for epoch in range(1, max_epochs + 1):
        mistakes = 0
        for x, s in zip(Xb, y):
            if s * (w @ x) <= 0:
                w += s * x
                mistakes += 1
        if not mistakes:
            return epoch
    return None
