"""What the line that raised was computing (δ, dW, db or the forward pass), and at which layer.

The quantity comes from the assignment's target — resolved through a container whose indexing
the convention defines (``nabla_w[-l]``, ``grads['W1']``, ``delta[l]``, a layer's ``self.dW``),
else from its name — and the layer from the target, or from the parameters the right-hand side
uses (δ computed from W^{m} is δ^{m−1}).  Index expressions are evaluated from the frame's own
integers; a bare loop variable is never taken for the lecture's l.
"""

from __future__ import annotations

import ast
import re

import numpy as np

from comparisons.diagnose.conventions import dlfs, nielsen

NAME_KIND = [  # (quantity, pattern for a target's name), first match wins
    ("dW", re.compile(r"^(d|g|grad_?|grads_?|nabla_?|delta_?)w", re.I)),
    ("db", re.compile(r"^(d|g|grad_?|grads_?|nabla_?|delta_?)b", re.I)),
    ("delta", re.compile(r"^(delta|deltas|err\w*|d|dz\w*|e|dout|dx|da\d*|dy|dh\d*)$", re.I)),
    ("forward", re.compile(r"^(z|a|zs|as_|acts?|activations?|h|out|y|scores?|logits?)$", re.I)),
]
FORWARD_FUNCS = {"forward", "predict", "feedforward", "loss"}
ASSIGNED = re.compile(r"^\s*([A-Za-z_][\w.]*)\s*(\[[^\]]*\])?\s*([-+*/@]?=)(?!=)")
NIELSEN_L = re.compile(r"\[\s*-\s*l\s*[\]+-]")  # weights[-l], zs[-l], weights[-l + 1]: Nielsen's count from the end
SYMBOL_KIND = {"dW": "dW", "db": "db", "delta": "delta", "z": "forward", "a": "forward"}


def keyed_by_layer(d, L):
    """True for a dict keyed like the lecture's, by layers 1 … L (a dict keyed from 0 counts otherwise)."""
    return isinstance(d, dict) and bool(d) and all(isinstance(k, int) and 1 <= k <= L for k in d)


def name_kind(name):
    """delta, dW, db, forward or None: what a variable called ``name`` holds, by its name."""
    base = name.split("[")[0].split(".")[-1]
    return next((kind for kind, pat in NAME_KIND if pat.match(base)), None)


def _parse(line):
    """(targets, value) of the statement on ``line``; None when it is no statement."""
    code = line.strip().rstrip(":")
    try:
        stmt = ast.parse(code).body[0]
    except (SyntaxError, IndexError, ValueError):
        m = ASSIGNED.match(line)
        if not m:
            return None
        try:
            return [ast.parse(m.group(1) + (m.group(2) or ""), mode="eval").body], None
        except SyntaxError:
            return None
    if isinstance(stmt, ast.Assign):
        targets = [e for t in stmt.targets for e in (t.elts if isinstance(t, ast.Tuple) else [t])]
        return targets, stmt.value
    if isinstance(stmt, (ast.AugAssign, ast.AnnAssign)):
        return [stmt.target], stmt.value
    if isinstance(stmt, (ast.Return, ast.Expr)):
        return [], stmt.value
    return None


class _Frame:
    """Resolves expressions of one frame to the lecture's (symbol, layer)."""

    def __init__(self, frame, ref, session):
        self.frame, self.L = frame, ref.L
        self.ints = {k: v for k, v in frame.locals.items() if isinstance(v, int) and not isinstance(v, bool)}
        self.conv = session.convention.NAME if session is not None else "lecture"
        self.loaded = session.loaded if session is not None else None
        self.lists = nielsen.containers(self.loaded, self.L) if self.conv == "nielsen" else {}
        self.grads = self.loaded.names.get("returns", ["grads"])[0] if self.conv == "dlfs" else ""

    def value(self, node):
        """An int or str the expression evaluates to from the frame's integers, else None."""
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, str)) and not isinstance(node.value, bool):
            return node.value
        if isinstance(node, ast.Name):
            return self.ints.get(node.id)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            v = self.value(node.operand)
            return (-v if isinstance(node.op, ast.USub) else v) if isinstance(v, int) else None
        if isinstance(node, ast.BinOp):
            a, b = self.value(node.left), self.value(node.right)
            if isinstance(a, str) and isinstance(node.op, ast.Add) and isinstance(b, str):
                return a + b
            if isinstance(a, int) and isinstance(b, int):
                ops = {ast.Add: a + b, ast.Sub: a - b, ast.Mult: a * b}
                return ops.get(type(node.op))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "str" and node.args:
            v = self.value(node.args[0])
            return str(v) if v is not None else None
        if isinstance(node, ast.JoinedStr):
            parts = [self.value(v.value if isinstance(v, ast.FormattedValue) else v) for v in node.values]
            return "".join(map(str, parts)) if all(p is not None for p in parts) else None
        return None

    def resolve(self, node):
        """(symbol, l) for W, b, dW, db, delta, z or a at a known layer; None otherwise."""
        L = self.L
        if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Subscript):
            hit = self.resolve(node.value)  # delta[l][k]: row k of δ^l
            if hit:
                return hit
        if isinstance(node, ast.Subscript):
            container, key = ast.unparse(node.value), self.value(node.slice)
            if key is None:
                return None
            if self.conv == "lecture" and isinstance(key, int):
                local = self.frame.locals.get(container)
                sym = container if container in ("W", "b") else _symbol(container)
                if sym and (container in ("W", "b") or keyed_by_layer(local, L)) and 1 <= key <= L:
                    return sym, key
            if self.conv == "nielsen" and isinstance(key, int) and container in self.lists:
                sym, first, length = self.lists[container]
                if -length <= key < length:
                    return sym, first + key % length
            if self.conv == "dlfs" and isinstance(key, str) and dlfs.layer_of_param(key):
                sym, l = dlfs.layer_of_param(key)
                if container == self.grads or "grad" in container:
                    return "d" + sym, l
                if container.endswith("params"):
                    return sym, l
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "self":
            layer = self._self_layer()
            if layer and node.attr in ("W", "b", "dW", "db"):
                return node.attr, layer
        if isinstance(node, ast.Name) and self.conv == "dlfs" and dlfs.layer_of_param(node.id):
            return dlfs.layer_of_param(node.id)
        return None

    def nielsen_layer(self):
        """The lecture's L + 1 − l where Nielsen's loop indexes his lists by -l (l counted from the end), else 0."""
        l = self.ints.get("l")
        if self.conv != "nielsen" or l is None or not NIELSEN_L.search(self.frame.statement or self.frame.line):
            return 0
        return self.L + 1 - l if 2 <= self.L + 1 - l <= self.L else 0

    def _self_layer(self):
        """The lecture's layer of the object whose method raised (an Affine holding params['W2']: 3)."""
        for key in self.frame.params.values():
            hit = dlfs.layer_of_param(key)
            if hit:
                return hit[1]
        return 0

    def shapes(self, value):
        """'dout (64, 2), self.W (3, 2)': the arrays the right-hand side uses."""
        out = []
        for node in ast.walk(value) if value is not None else []:
            if isinstance(node, (ast.Name, ast.Attribute)):
                text = ast.unparse(node)
                v = self.frame.locals.get(text)
                if isinstance(v, np.ndarray) and v.ndim and f"{text} " not in " ".join(out):
                    out.append(f"{text} {tuple(v.shape)}")
        return ", ".join(out[:4])


def _symbol(name):
    kind = name_kind(name)
    return {"dW": "dW", "db": "db", "delta": "delta"}.get(kind) or (name if name in ("z", "a") else None)


def _rhs_kind(value, f):
    """What a right-hand side computes, when its target's name does not say: Σ_k → db, δᵀ a → dW, W δ → delta."""
    if value is None:
        return None
    sums = [
        n
        for n in ast.walk(value)
        if isinstance(n, ast.Call)
        and ast.unparse(n.func).split(".")[-1] == "sum"
        and (any(k.arg == "axis" and ast.unparse(k.value) == "0" for k in n.keywords) or ast.unparse(n)[-3:] == "(0)")
    ]
    products = [
        n
        for n in ast.walk(value)
        if (isinstance(n, ast.BinOp) and isinstance(n.op, ast.MatMult))
        or (isinstance(n, ast.Call) and ast.unparse(n.func).split(".")[-1] in ("dot", "matmul", "outer"))
    ]
    for p in products:
        parts = [p.left, p.right] if isinstance(p, ast.BinOp) else list(p.args)
        kinds = {_operand(o, f) for o in parts}
        if {"delta", "a"} <= kinds:
            return "dW"
        if {"delta", "W"} <= kinds:
            return "delta"
    if sums and any(_operand(a, f) == "delta" for s in sums for a in [*s.args, getattr(s.func, "value", None)] if a):
        return "db"
    return None


def _operand(node, f):
    """'delta', 'a', 'W' or None: what an operand is, by what it resolves to or by its name."""
    while isinstance(node, ast.Attribute) and node.attr in ("T", "transpose"):
        node = node.value
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "transpose":
        node = node.func.value
    hit = f.resolve(node)
    if hit:
        return {"delta": "delta", "a": "a", "W": "W"}.get(hit[0])
    text = ast.unparse(node).split("[")[0].split(".")[-1]
    if name_kind(text) == "delta":
        return "delta"
    if text in ("a", "x", "X", "activations", "activation", "inputs", "h", "a_prev"):
        return "a"
    if text in ("W", "w", "weights", "weight"):
        return "W"
    return None


def _layer_from_uses(kind, uses, L):
    """The layer of a quantity from the (symbol, layer) pairs its right-hand side uses; 0 if they do not tell."""
    by = {}
    for sym, l in uses:
        by.setdefault(sym, []).append(l)
    if kind == "delta":
        if "W" in by:
            l = max(by["W"]) - 1
            return l if l >= 2 else -1  # the gradient of the input, which no equation needs
        if "z" in by or "a" in by:
            return max(by.get("z", []) + by.get("a", []))
    if kind == "dW" and "delta" in by:
        return max(by["delta"])
    if kind == "dW" and "a" in by:
        return max(by["a"]) + 1
    if kind == "db" and "delta" in by:
        return max(by["delta"])
    if kind == "forward" and ("W" in by or "b" in by):
        return max(by.get("W", []) + by.get("b", []))
    return 0


def _layer_of_target(targets, f):
    """The layer a target is keyed by, in the lecture's dicts (grads[l]); 0 when that is not known."""
    for t in targets:
        if isinstance(t, ast.Subscript) and f.conv == "lecture":
            key = f.value(t.slice)
            if (
                isinstance(key, int)
                and 2 <= key <= f.L
                and keyed_by_layer(f.frame.locals.get(ast.unparse(t.value)), f.L)
            ):
                return key
    return 0


def place(raised, ref, session):
    """(kind, layer, shapes): what the innermost readable line of the user's frames was computing."""
    for frame in reversed(raised.frames):
        parsed = _parse(frame.statement or frame.line)
        if parsed is None:
            continue
        targets, value = parsed
        f = _Frame(frame, ref, session)
        kind, l = None, 0
        for t in targets:
            hit = f.resolve(t)
            if hit and hit[0] in SYMBOL_KIND:
                kind, l = SYMBOL_KIND[hit[0]], hit[1]
                break
            named = name_kind(ast.unparse(t.value if isinstance(t, ast.Subscript) else t))
            if named:
                kind = named
                break
        uses = [u for n in (ast.walk(value) if value is not None else []) if (u := f.resolve(n))]
        if kind is None and frame.func in FORWARD_FUNCS:
            kind = "forward"
        if kind is None and targets:
            kind = _rhs_kind(value, f)  # a target under any name: placed by what it computes
            l = _layer_of_target(targets, f) if kind else 0
        if kind == "delta" and not l:
            l = f.nielsen_layer()
        if kind and not l:
            l = _layer_from_uses(kind, uses, ref.L)
            if l < 0:
                return None, 0, f.shapes(value)
        if kind:
            return kind, l, f.shapes(value)
    return None, 0, ""
