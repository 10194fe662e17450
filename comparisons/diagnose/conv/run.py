"""Run a student's conv and pooling layers in an isolated child on every case; the verdict.

As for dense code (``comparisons.diagnose.session``): a file that cannot be used — it does not import, it
has no layer of the style asked for, NAME is not there, the import never ends — is a UsageError in one
line; a layer that gives no result (a hang, an exit, memory) is a NO RESULT verdict, exit 2.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from comparisons.common.errors import UsageError
from comparisons.diagnose.conv.cases import cases
from comparisons.diagnose.conv.detect import STYLES, defined
from comparisons.diagnose.conv.verdict import Verdict, judge
from comparisons.diagnose.crash import no_result_of
from comparisons.diagnose.isolation import Child, NoResult
from comparisons.diagnose.limits import DEFAULT_MAX_MEMORY, DEFAULT_TIMEOUT
from comparisons.diagnose.wire import Called, Failed, Loaded, Raised

CHILD = "comparisons.diagnose.conv.child"


def diagnose_conv(
    path, style=None, seed=0, timeout=DEFAULT_TIMEOUT, max_memory=DEFAULT_MAX_MEMORY, name="", shown=None
):
    """The Verdict of the conv and pooling layers ``path`` (a .py file or a .ipynb notebook) defines: ``style``
    forced or read from the file, only the layer ``name`` selects when given; UsageError when it cannot be used."""
    shown = shown or str(path)
    path = Path(path).resolve()
    drawn = cases(seed)  # autograd's side first: the time limit is the user's code's, and starting it
    child = Child(path.parent, timeout, max_memory, module=CHILD)
    with child:
        loaded = _load(child, path, name, style, shown)
        kinds = loaded.name.split(",")
        checked = ", ".join("conv layers" if k == "conv" else "max pooling" for k in kinds)
        seeded = f"; seed {seed}" if seed else ""
        header = (f"deltacheck diagnose {shown}{':' + name if name else ''} ({loaded.convention}: "
                  f"{STYLES[loaded.convention]}; checked: {checked}{seeded})")  # fmt: skip
        verdict = Verdict(header)
        verdict.notes = [f"note: {shown}: {n}" for n in loaded.names.get("notebook", [])]
        if loaded.convention == "cs231n-conv" and {"affine_backward", "relu_backward"} <= defined(path):
            verdict.notes.append(f"note: {shown} also defines affine_backward and relu_backward: --convention cs231n "
                                 "diagnoses those dense layers alone")  # fmt: skip
        _run(child, drawn, kinds, verdict, SimpleNamespace(child=child, target=SimpleNamespace(path=path, shown=shown)))
    if not child.output.too_much:  # how much arrived before a stop varies: none of it is shown
        verdict.output = child.output.text()
    return verdict


def _load(child, path, name, style, shown):
    """The child's Loaded for the file; UsageError in one line when it is unusable."""
    try:
        loaded = child.ask("load", str(path), name, style, shown)
    except NoResult as e:
        raise UsageError(f"{shown}: importing it {e.why}") from None
    if isinstance(loaded, Failed):
        raise UsageError(loaded.message)
    if not isinstance(loaded, Loaded):  # deltacheck's own side raised while loading
        raise UsageError(f"{shown} does not import: {getattr(loaded, 'error', loaded)}")
    return loaded


def _run(child, drawn, kinds, verdict, session):
    """Every layer of every case into ``verdict``: a layer kind that raised is not called again, the others go on;
    no result (a hang, memory, sys.exit) ends the run."""
    broken = set()  # layer kinds that raised: the first exception is the verdict's, the other kinds still judged
    for c in drawn:
        for layer in c.layers:
            if layer.kind not in kinds or layer.kind in broken:
                continue
            try:
                reply = child.ask(layer.kind, *layer.args)
            except NoResult as e:
                return _no_result(verdict, e, f"your {layer.label} {e.why} ({c.name})")
            if isinstance(reply, Raised):
                none = no_result_of(reply, session)  # memory, sys.exit, endless recursion: no result, as for dense
                if none is not None:
                    return _no_result(verdict, none, f"your {layer.label} {none.why} ({c.name})")
                where = f" ({reply.trace[-1][2]}, line {reply.trace[-1][1]})" if reply.trace else ""
                verdict.error = verdict.error or f"your {layer.label} raised {reply.error}{where} ({c.name})"
                broken.add(layer.kind)
                continue
            if isinstance(reply, Failed):  # a layer deltacheck cannot call as its style says: unusable, as for dense
                raise UsageError(f"{session.target.shown}: {reply.message}")
            assert isinstance(reply, Called)
            verdict.findings += judge(c, layer, reply.raw)


def _no_result(verdict, e, text):
    verdict.error, verdict.no_result, verdict.reason = text, True, e.reason
    verdict.trace = list(getattr(e, "trace", []))
