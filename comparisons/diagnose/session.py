"""The user's code as diagnose sees it: loaded in a child process, called on one network at a time.

``FILE.py[:NAME]`` (or a notebook, ``FILE.ipynb``) names the file and, optionally, the function
or class in it; without a name conventions.find picks what the file defines.  Anything that makes the code
unusable (no file, no import, no target, a constructor that raises) is a UsageError in one
line; a child that gives no answer at all raises isolation.NoResult.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from comparisons.common.errors import UsageError
from comparisons.diagnose import conventions
from comparisons.diagnose.isolation import Child, NoResult
from comparisons.diagnose.limits import DEFAULT_MAX_MEMORY, DEFAULT_TIMEOUT
from comparisons.diagnose.wire import Called, Failed, Loaded, Raised


@dataclass
class Target:
    """Where the user's code is: a file, and optionally a name in it and an importable module name."""

    path: Path
    name: str = ""  # "" lets the file say
    shown: str = ""  # as the user wrote it: used in every message
    module: str = ""  # an importable module name (the API, for objects), tried before the file
    extra_path: tuple = ()  # sys.path entries the child needs besides the file's folder


def split_target(text):
    """'FILE.py[:NAME]' -> (FILE.py, NAME or ''); UsageError for an empty or malformed NAME."""
    text = str(text)
    path, sep, name = text.rpartition(":")
    if not sep or not path or "/" in name or "\\" in name:
        return text, ""
    if not Path(path).exists():
        raise UsageError(f"{path}: no such file")
    if not name:
        raise UsageError(f"{path}: nothing after ':'; write {path}:NAME with a function or class name, or {path} alone")
    if not name.isidentifier():
        raise UsageError(f"{path}: {name!r} after ':' is not a Python name")
    return path, name


def parse_target(text, shown=None):
    """The Target for a command-line FILE.py[:NAME]; UsageError for a file that is not there."""
    file, name = split_target(text)
    path = Path(file)
    shown = shown or file
    if not path.is_file():
        raise UsageError(f"{shown}: no such file" if not path.exists() else f"{shown}: not a file")
    if path.suffix not in (".py", ".ipynb"):  # what the child would find only after torch is imported here
        raise UsageError(f"{shown}: cannot be imported as Python source (a .py file or a .ipynb notebook)")
    return Target(path.resolve(), name, shown)


class Session:
    """The user's code running in a child: ``loaded`` says what was found, ``call`` runs one network."""

    def __init__(self, target, convention=None, timeout=DEFAULT_TIMEOUT, max_memory=DEFAULT_MAX_MEMORY):
        """Start the child and ask it to load the code; ``loaded`` waits for the answer."""
        self.target, self.timeout, self._loaded = target, timeout, None
        self.child = Child(target.path.parent, timeout, max_memory)
        args = (str(target.path), target.name, convention, target.shown, target.module, list(target.extra_path))
        self.child.send("load", *args)

    @property
    def loaded(self):
        """What the child found in the file (a wire.Loaded); UsageError when it is unusable."""
        if self._loaded is None:
            shown = self.target.shown
            try:
                reply = self.child.reply()
            except NoResult as e:
                raise UsageError(f"{shown}: importing it {e.why}") from None
            if isinstance(reply, Failed):
                raise UsageError(reply.message)
            if not isinstance(reply, Loaded):
                raise UsageError(f"{shown} does not import: {getattr(reply, 'error', reply)}")
            self._loaded = reply
        return self._loaded

    @property
    def convention(self):
        """The convention module of the loaded code."""
        return conventions.get(self.loaded.convention)

    @property
    def callee(self):
        """'backprop', 'Network.backprop' or 'TwoLayerNet.gradient': the code that is called."""
        return self.convention.callee(self.loaded)

    @property
    def what(self):
        """'x.py: Network.backprop', the prefix of messages about the result."""
        return f"{self.target.shown}: {self.callee}"

    def call(self, W, b, X, T):
        """Called or Raised for one network; UsageError when the code cannot be run on it."""
        reply = self.child.ask("call", W, b, X, T)
        if isinstance(reply, Failed):
            raise UsageError(f"{self.target.shown}: {reply.message}")
        if isinstance(reply, Raised) and reply.stage == "build":
            sizes = [W[min(W)].shape[1]] + [W[l].shape[0] for l in sorted(W)]
            where = f"line {reply.trace[-1][1]}: " if reply.trace else ""
            raise UsageError(
                f"{self.target.shown}: building {self.loaded.signature or self.loaded.name} for sizes "
                f"{'-'.join(map(str, sizes))} raises {where}{reply.error}"
            )
        if not isinstance(reply, (Called, Raised)):
            raise UsageError(f"{self.what}: no usable reply ({type(reply).__name__})")
        return reply

    def probe(self, W, b, X, T):
        """What the class computes besides its gradient (forward pass, loss, cost), for detection; {} if none."""
        reply = self.child.ask("probe", W, b, X, T)
        if isinstance(reply, (Failed, Raised)):
            return {"error": getattr(reply, "message", None) or reply.error}
        return reply

    def convert(self, called, sizes, scale):
        """The user's result as the lecture's (dW, db, delta or None, notes about shapes)."""
        return self.convention.convert(called.raw, list(sizes), self.what, self.loaded, scale)

    @property
    def output(self):
        """What the user's code printed, trimmed ('' for nothing)."""
        return self.child.output.text()

    def close(self):
        """End the child."""
        self.child.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
