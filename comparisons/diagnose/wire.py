"""What crosses between diagnose and the child process that runs the user's code.

Messages are length-prefixed pickles on two pipes of their own.  The parent unpickles with an
allow-list (numpy arrays and this module's records), so nothing the user's code leaves in a
message can run code in the parent; ``plain`` turns whatever the user returned into lists,
dicts and float arrays before it is sent.
"""

from __future__ import annotations

import io
import os
import pickle
import select
import struct
import time
from dataclasses import dataclass, field

import numpy as np

HEADER = struct.Struct("<Q")
MAX_MESSAGE = 1 << 30  # a reply larger than this is not a gradient of a small network
MAX_ARRAY = 10_000_000  # entries of one array kept from the user's result
MAX_LOCAL = 1_000_000  # entries of one array kept from a frame's locals (a training set left there is not evidence)
MAX_ITEMS = 256  # entries of one list or dict kept from the user's side
ALLOWED = {
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "scalar"),
    ("numpy._core.numeric", "_frombuffer"),
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"),
    ("numpy.core.numeric", "_frombuffer"),
}


@dataclass
class Opaque:
    """A value of the user's that is not numbers: its type name and a short repr."""

    type: str
    text: str = ""


@dataclass
class Frame:
    """One frame of the user's code at an exception, with the locals that can be numbers."""

    file: str  # absolute path
    func: str
    lineno: int
    line: str
    firstlineno: int
    locals: dict  # name -> plain value (ints, arrays, lists and dicts of arrays)
    params: dict = field(default_factory=dict)  # attribute of self -> the user's parameter it is, e.g. W -> "W2"
    statement: str = ""  # the whole statement around ``line`` (one spread over several lines included)


@dataclass
class Raised:
    """An exception (or SystemExit) inside the user's code."""

    error: str  # "ValueError: shapes (3,2) and (4,1) not aligned"
    type: str  # "ValueError"
    frames: list  # Frame, outermost first, the user's files only
    trace: list  # (file, lineno, func, line) of the same frames, for printing
    k: int = -1  # the example being run, for conventions that call once per example
    stage: str = "call"  # load, build or call


@dataclass
class Called:
    """The user's result on one network, as plain values, and what it changed."""

    raw: object  # per convention: the returned tuple, or a list of per-example returns
    mutated: list = field(default_factory=list)  # the user's names of parameters or inputs it changed
    post: dict = field(default_factory=dict)  # lecture l -> W^l (lecture shape) after the call, where it changed


@dataclass
class Loaded:
    """What the child found in the user's file."""

    convention: str
    name: str  # the function or class diagnosed
    constants: dict  # ACTIVATION, COST, EXPECTED_EQUATION: strings or None
    doc: str
    depth: int = 0  # the L a class fixes (TwoLayerNet: 3), else 0
    signature: str = ""  # how the class is built, e.g. "TwoLayerNet(input_size, hidden_size, output_size)"
    names: dict = field(default_factory=dict)  # the user's names: returned values, parameter containers


@dataclass
class Failed:
    """The child could not do what was asked: a one-line reason (the user's file is unusable)."""

    message: str


def plain(x, depth=0, limit=MAX_ARRAY):
    """``x`` as None, bool, int, float, str, float arrays, lists, tuples and dicts of them, or Opaque.

    Arrays of more than ``limit`` entries become Opaque too.
    """
    if x is None or isinstance(x, (bool, str)):
        return x
    if isinstance(x, (int, np.integer)):
        return int(x)
    if isinstance(x, (float, np.floating)):
        return float(x)
    if isinstance(x, np.ndarray) or (hasattr(x, "__array__") and not isinstance(x, (list, tuple, dict))):
        try:
            arr = np.asarray(x)
        except Exception:
            return Opaque(type(x).__name__)
        if arr.dtype.kind not in "biuf" or arr.size > limit:
            return Opaque(type(x).__name__, f"array of dtype {arr.dtype}, shape {arr.shape}")
        return np.array(arr, dtype=np.float64 if arr.dtype.kind == "f" and arr.dtype.itemsize > 8 else arr.dtype)
    if depth < 3 and isinstance(x, (list, tuple)) and len(x) <= MAX_ITEMS:
        items = [plain(v, depth + 1, limit) for v in x]
        return tuple(items) if isinstance(x, tuple) else items
    if depth < 3 and isinstance(x, dict) and len(x) <= MAX_ITEMS:
        return {(k if isinstance(k, (str, int)) else repr(k)): plain(v, depth + 1, limit) for k, v in x.items()}
    try:
        text = repr(x)[:60]
    except Exception:
        text = ""
    return Opaque(type(x).__name__, text)


def send(fd, obj):
    """Write one message to ``fd``."""
    data = pickle.dumps(obj, protocol=5)
    view = memoryview(HEADER.pack(len(data)) + data)
    while view:
        view = view[os.write(fd, view) :]


class Closed(Exception):
    """The other side closed its pipe."""


class Expired(Exception):
    """No message before the deadline."""


def _read(fd, n, deadline):
    chunks, left = [], n
    while left:
        if deadline is not None and not select.select([fd], [], [], max(0.0, deadline - time.monotonic()))[0]:
            raise Expired  # nothing arrived in time (what has arrived is still read, however late)
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            raise Closed
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def recv(fd, deadline=None, trusted=False):
    """Read one message from ``fd``; Closed at end of file, Expired past ``deadline`` (time.monotonic)."""
    (n,) = HEADER.unpack(_read(fd, HEADER.size, deadline))
    if n > MAX_MESSAGE:
        raise Closed
    data = _read(fd, n, deadline)
    return pickle.loads(data) if trusted else _Unpickler(io.BytesIO(data)).load()


class _Unpickler(pickle.Unpickler):
    """Unpickles numpy arrays, builtin containers and this module's records only."""

    def find_class(self, module, name):
        if (module, name) in ALLOWED or (module == __name__ and name in _RECORDS):
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"{module}.{name} is not allowed in a reply")


_RECORDS = {c.__name__ for c in (Opaque, Frame, Raised, Called, Loaded, Failed)}
