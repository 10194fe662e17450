"""What crosses between diagnose and the child process that runs the user's code.

Messages are length-prefixed JSON on two pipes of their own, with numeric arrays in NumPy's
``.npy`` format read back with ``allow_pickle=False``: no format that can run code crosses,
in either direction.  Only this module's records, builtin containers, numbers, strings and
numeric arrays are encoded; anything else the user's code returns arrives as an Opaque.  A
message that does not decode to exactly that (garbage, a forged header, an answer out of
turn) is Corrupt.  ``plain`` turns whatever the user returned into lists, dicts and float
arrays before it is sent.
"""

from __future__ import annotations

import dataclasses
import io
import json
import os
import select
import struct
import time
from dataclasses import dataclass, field

import numpy as np

HEADER = struct.Struct("<4sQQ")  # MAGIC, bytes of JSON, bytes of arrays
MAGIC = b"dcw1"
MAX_MESSAGE = 1 << 30  # a reply larger than this is not a gradient of a small network
MAX_DEPTH = 64  # nesting of one message: plain() keeps three levels, the records add a few
MAX_ARRAY = 10_000_000  # entries of one array kept from the user's result
MAX_LOCAL = 1_000_000  # entries of one array kept from a frame's locals (a training set left there is not evidence)
MAX_ITEMS = 256  # entries of one list or dict kept from the user's side


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
    constants: dict  # ACTIVATION, OUTPUT_ACTIVATION, COST, EXPECTED_EQUATION: strings or None
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


def encode(seq, obj):
    """One message: the request's sequence number and ``obj``, as JSON and .npy bytes."""
    arrays = []

    def enc(x, depth=0):
        if depth > MAX_DEPTH:
            raise ValueError("a message nested too deep")
        if x is None or isinstance(x, (bool, str)):
            return x
        if isinstance(x, np.bool_):
            return bool(x)
        if isinstance(x, (int, np.integer)):
            return int(x)
        if isinstance(x, (float, np.floating)):
            return float(x)
        if isinstance(x, np.ndarray) and not x.dtype.hasobject:
            arrays.append(x)
            return {"nd": len(arrays) - 1}
        if isinstance(x, (list, tuple)):
            items = [enc(v, depth + 1) for v in x]
            return {"tuple": items} if isinstance(x, tuple) else items
        if isinstance(x, dict):
            return {"dict": [[enc(k, depth + 1), enc(v, depth + 1)] for k, v in x.items()]}
        if type(x) in RECORDS.values():
            fields = {f.name: enc(getattr(x, f.name), depth + 1) for f in dataclasses.fields(x)}
            return {"rec": type(x).__name__, "fields": fields}
        return {"rec": "Opaque", "fields": {"type": type(x).__name__, "text": ""}}

    text = json.dumps({"seq": seq, "body": enc(obj)}, separators=(",", ":")).encode()
    blobs, offsets, at = [], [], 0
    for a in arrays:
        buf = io.BytesIO()
        np.save(buf, a, allow_pickle=False)
        blobs.append(buf.getvalue())
        offsets.append([at, len(blobs[-1])])
        at += len(blobs[-1])
    index = json.dumps(offsets).encode()
    return HEADER.pack(MAGIC, len(text) + 1 + len(index), at) + text + b"\n" + index + b"".join(blobs)


def decode(data, n_json):
    """(seq, obj) from one message's bytes; Corrupt for anything but what ``encode`` writes."""
    try:
        text, index = data[:n_json].split(b"\n", 1)
        message, offsets = json.loads(text), json.loads(index)
        blob = memoryview(data)[n_json:]
        arrays = [_array(blob, o) for o in offsets]
        if not isinstance(message, dict) or set(message) != {"seq", "body"} or type(message["seq"]) is not int:
            raise Corrupt("not a message")
        return message["seq"], _dec(message["body"], arrays, 0)
    except Corrupt:
        raise
    except (ValueError, TypeError, KeyError, IndexError, RecursionError, OverflowError, EOFError) as e:
        raise Corrupt(f"{type(e).__name__}: {e}") from None


def _array(blob, o):
    at, n = o
    if not (isinstance(at, int) and isinstance(n, int) and at >= 0 and n >= 0 and at + n <= len(blob)):
        raise Corrupt("an array outside the message")
    a = np.load(io.BytesIO(blob[at : at + n]), allow_pickle=False)
    if a.dtype.kind not in "biuf":
        raise Corrupt(f"an array of dtype {a.dtype}")
    return a


def _dec(x, arrays, depth):
    if depth > MAX_DEPTH:
        raise Corrupt("nested too deep")
    if x is None or isinstance(x, (bool, int, float, str)):
        return x
    if isinstance(x, list):
        return [_dec(v, arrays, depth + 1) for v in x]
    if not isinstance(x, dict) or len(x) not in (1, 2):
        raise Corrupt("an object of unknown form")
    if set(x) == {"nd"} and type(x["nd"]) is int and 0 <= x["nd"] < len(arrays):
        return arrays[x["nd"]]
    if set(x) == {"tuple"} and isinstance(x["tuple"], list):
        return tuple(_dec(v, arrays, depth + 1) for v in x["tuple"])
    if set(x) == {"dict"} and isinstance(x["dict"], list):
        pairs = [_dec(p, arrays, depth + 1) for p in x["dict"]]
        if not all(isinstance(p, list) and len(p) == 2 and isinstance(p[0], (str, int, tuple)) for p in pairs):
            raise Corrupt("a dict of unknown form")
        return dict(pairs)
    if set(x) == {"rec", "fields"} and x["rec"] in RECORDS and isinstance(x["fields"], dict):
        cls = RECORDS[x["rec"]]
        fields = {k: _dec(v, arrays, depth + 1) for k, v in x["fields"].items()}
        kinds = {f.name: FIELD_TYPES.get(f.type, object) for f in dataclasses.fields(cls)}
        if set(fields) != set(kinds) or not all(isinstance(fields[k], kinds[k]) for k in fields):
            raise Corrupt(f"a {cls.__name__} of unknown form")
        return cls(**fields)
    raise Corrupt("an object of unknown form")


FIELD_TYPES = {"str": str, "int": int, "list": list, "dict": dict}


def send(fd, obj, seq=0, deadline=None):
    """Write one message to ``fd``; Expired past ``deadline`` (time.monotonic; ``fd`` then non-blocking)."""
    view = memoryview(encode(seq, obj))
    while view:
        if deadline is not None and not select.select([], [fd], [], max(0.0, deadline - time.monotonic()))[1]:
            raise Expired  # the other side stopped reading
        try:
            view = view[os.write(fd, view) :]
        except BlockingIOError:
            continue


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


def recv(fd, deadline=None, seq=None):
    """(seq, obj) of one message from ``fd``; Closed at end of file, Expired past ``deadline`` (time.monotonic).

    Corrupt when the message is not one ``send`` wrote, or (``seq`` given) answers another request.
    """
    magic, n_json, n_arrays = HEADER.unpack(_read(fd, HEADER.size, deadline))
    if magic != MAGIC:
        raise Corrupt(f"a message starting {magic!r}")
    if n_json + n_arrays > MAX_MESSAGE:
        raise Corrupt(f"a header announcing {n_json + n_arrays} bytes")
    got, obj = decode(_read(fd, n_json + n_arrays, deadline), n_json)
    if seq is not None and got != seq:
        raise Corrupt(f"an answer to request {got} where {seq} was asked")
    return got, obj


class Corrupt(Exception):
    """A message that is not one of deltacheck's: the user's code wrote into the pipe, say."""


RECORDS = {c.__name__: c for c in (Opaque, Frame, Raised, Called, Loaded, Failed)}
