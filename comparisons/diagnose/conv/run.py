"""Run a student's conv and pooling layers in an isolated child on every case; the verdict."""

from __future__ import annotations

from pathlib import Path

from comparisons.diagnose.conv.cases import cases
from comparisons.diagnose.conv.detect import STYLES
from comparisons.diagnose.conv.verdict import Verdict, judge
from comparisons.diagnose.isolation import Child, NoResult
from comparisons.diagnose.wire import Called, Failed, Raised

CHILD = "comparisons.diagnose.conv.child"


def diagnose_conv(path, style=None, seed=0, timeout=60.0, max_memory=2 << 30):
    """The Verdict of the conv and pooling layers ``path`` defines (``style`` forced, or read from the file)."""
    path = Path(path).resolve()
    with Child(path.parent, timeout, max_memory, module=CHILD) as child:
        try:
            loaded = child.ask("load", str(path), style)
        except NoResult as e:
            return Verdict(f"deltacheck diagnose {path.name}", error=f"your file {e.why}", no_result=True)
        if isinstance(loaded, Failed):
            return Verdict(f"deltacheck diagnose {path.name}", error=loaded.message, no_result=True)
        if isinstance(loaded, Raised):
            return Verdict(f"deltacheck diagnose {path.name}", error=f"your file does not import: {loaded.error}")
        kinds = loaded.name.split(",")
        header = (f"deltacheck diagnose {path.name} ({loaded.convention}: {STYLES[loaded.convention]}; "
                  f"checked: {', '.join('conv layers' if k == 'conv' else 'max pooling' for k in kinds)})")  # fmt: skip
        verdict = Verdict(header)
        for c in cases(seed):
            for layer in c.layers:
                if layer.kind not in kinds:
                    continue
                try:
                    reply = child.ask(layer.kind, *layer.args)
                except NoResult as e:
                    verdict.error = f"no result from your {layer.label} ({c.name}): your code {e.why}"
                    verdict.no_result = True
                    return verdict
                if isinstance(reply, Raised):
                    where = f" ({reply.trace[-1][2]}, line {reply.trace[-1][1]})" if reply.trace else ""
                    verdict.error = f"your {layer.label} raised {reply.error}{where} ({c.name})"
                    return verdict
                if isinstance(reply, Failed):
                    verdict.error = reply.message
                    return verdict
                assert isinstance(reply, Called)
                verdict.findings += judge(c, layer, reply.raw)
        return verdict
