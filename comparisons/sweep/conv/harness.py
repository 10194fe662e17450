"""A family of conv specs (G ≥ 1; one architecture is a family of one) through every check, a member's rows each.

A family's specs share every field but the seed (``family_key``): their weights and data differ, their shapes and
schedule do not.  manual_bp trains them as one ``CNNFamily`` and torch as one ``TorchCNNFamily``: the start and
every step judged from torch's state (``steps``), train() over the whole schedule (``freerun``), and the inputs
left untouched.  manual_bp gets its own read-only copies of X and T, torch its own; after the run they must be
unchanged, so in-place modification of the data is caught and can never hand torch the changed data.
"""

from __future__ import annotations

import dataclasses
import functools

import numpy as np
import torch

from comparisons.common.convnet import make_conv_problem
from comparisons.sweep.harness import read_only
from manual_bp.conv import CNN, CNNFamily

from .check import row
from .freerun import path_rows
from .steps import family_at, start_rows, step_rows


def family_key(spec):
    """What members of one family share: the spec without its seed (as JSON: its layers are dicts)."""
    return dataclasses.replace(spec, seed=0).to_json()


def build(specs):
    """(CNNFamily, TorchCNNFamily, X (G, K, C, H, W), T (G, K, n_L), the schedule) from the shared start."""
    from torch_ref import TorchCNNFamily

    problems = [make_conv_problem(s) for s in specs]
    spec = specs[0]
    net = CNNFamily([CNN(spec.image, spec.manual_layers(), W, b, spec.cost) for W, b, *_ in problems])
    ref = TorchCNNFamily(spec.image, [dict(x) for x in spec.layers], net.W, net.b, spec.cost)
    return net, ref, np.stack([p[2] for p in problems]), np.stack([p[3] for p in problems]), problems[0][4]


def input_rows(arch, pristine, given):
    """X and T after the run against their pristine copies: any change is an error."""
    rows = []
    for name, before, after in zip(("X", "T"), pristine, given):
        same = before.tobytes() == after.tobytes()
        rows.append(row(arch, -1, name, 0, "x".join(map(str, before.shape)), "" if same else "input",
                        "" if same else f"manual_bp changed {name} in place", max_abs_err=0.0))  # fmt: skip
    return rows


def crash_row(arch, e):
    """An exception on either side: a failing row; writing into the read-only data is an input error."""
    msg = f"{type(e).__name__}: {e}".replace("\n", " ")
    return row(arch, 0, "-", 0, "", "input" if "read-only" in msg else "crash", msg)


def check_conv_spec(arch, spec):
    """Every row of one conv spec: a family of one."""
    return check_conv_family(arch, [spec])[0]


def check_conv_family(first, specs):
    """[rows of arch first, first + 1, …]: one list per spec.  Specs that are not one family, or a family one of
    whose specs a side refuses, are checked one by one.  A MemoryError is not a finding: it propagates."""
    if len(specs) > 1 and len({family_key(s) for s in specs}) > 1:
        return [check_conv_spec(first + i, s) for i, s in enumerate(specs)]
    archs = list(range(first, first + len(specs)))
    try:
        net, ref, X, T, batches = build(specs)
    except (MemoryError, torch.OutOfMemoryError):
        raise
    except Exception as e:
        if len(specs) > 1:
            return [check_conv_spec(a, s) for a, s in zip(archs, specs)]
        return [[crash_row(first, e)]]
    spec = specs[0]
    pristine = (X.copy(), T.copy())
    Xm, Tm = read_only(X), read_only(T)
    Xt, Tt = ref.tensor(X.copy()), ref.tensor(T.copy())
    fresh = functools.partial(family_at, spec, *net.params())  # a new family at the start: train()'s
    parts = (lambda: start_rows(archs, spec, net, ref, Xm, Tm, Xt, Tt),
             lambda: step_rows(archs, spec, net, ref, Xm, Tm, Xt, Tt, batches),
             lambda: path_rows(archs, spec, fresh, Xm, Tm, batches, row))  # fmt: skip
    rows = [[] for _ in specs]
    try:
        with np.errstate(all="ignore"):
            for part in parts:  # one after the other: a crash keeps the rows before it
                for g, r in enumerate(part()):
                    rows[g] += r
    except (MemoryError, torch.OutOfMemoryError):
        raise
    except Exception as e:  # a crash on either side is a finding about every member, never fatal
        for g, a in enumerate(archs):
            rows[g].append(crash_row(a, e))
    return [rows[g] + input_rows(a, (pristine[0][g], pristine[1][g]), (Xm[g], Tm[g])) for g, a in enumerate(archs)]
