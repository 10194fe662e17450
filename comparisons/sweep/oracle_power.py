"""How much the float32 oracle check sees: `python -m comparisons.sweep.oracle_power [N] [SEED]`.

Over N float32 architectures of the sampler (seed SEED), at the shared start: the unmutated code's
largest ``oracle_used`` over every W^l, b^l, δ^l (false alarms are those above 1), and how often a
relative error of 1e−5 planted in the largest entry of ∂C_T/∂W^L is caught by the value or the
oracle check.  The figures beside F32_ORACLE_RATIO in comparisons/common/tolerances.py come from it.
"""

from __future__ import annotations

import sys

import numpy as np
import torch

from comparisons.common.argtypes import int_at_least
from comparisons.common.checks import compare
from comparisons.common.spec import sample_specs
from comparisons.common.tolerances import gradient_tolerance
from comparisons.sweep.harness import build
from comparisons.sweep.start import Oracle


def measure(n, seed):
    """(largest oracle_used of the clean code, [(used, spec JSON)] above 1, caught, planted)."""
    torch.set_num_threads(1)
    worst, alarms, caught, planted = 0.0, [], 0, 0
    for spec in sample_specs(n, seed, "float32", 0):
        net, ref, X, T, _ = build(spec)
        with np.errstate(all="ignore"):
            oracle = Oracle.of(net, X, T)
            gW, gb = net.gradients(X, T)
            rW, rb, rdelta = ref.gradients(X, T)
            pairs = (("W", gW, rW), ("b", gb, rb), ("delta", net.deltas(X, T), rdelta))
            used = max(oracle.used(name, l, m[l], r[l]) for name, m, r in pairs for l in r)
            worst = max(worst, used)
            if used > 1:
                alarms.append((used, spec.to_json()))
            g, L = gW[net.L].copy(), net.L
            k = np.unravel_index(np.argmax(np.abs(g)), g.shape)
            if g[k] != 0:
                g[k] *= np.float32(1 + 1e-5)
                planted += 1
                seen = not compare(g, rW[L], gradient_tolerance(np.float32)).passed or oracle.used("W", L, g, rW[L]) > 1
                caught += seen
    return worst, alarms, caught, planted


def main(argv=None):
    """Print the figures; exit 2 with one line on bad arguments (argparse's)."""
    import argparse

    p = argparse.ArgumentParser(prog="python -m comparisons.sweep.oracle_power", description=__doc__.splitlines()[0])
    p.add_argument("archs", nargs="?", type=int_at_least(1), default=3000, help="architectures (default 3000)")
    p.add_argument("seed", nargs="?", type=int_at_least(0), default=0, help="sampler seed (default 0)")
    args = p.parse_args(argv)
    worst, alarms, caught, planted = measure(args.archs, args.seed)
    print(f"{args.archs} float32 architectures (seed {args.seed}): clean code's largest oracle_used {worst:.3f}, "
          f"{len(alarms)} above 1; 1e-5 in the largest entry of dC_T/dW^L caught in {caught} of {planted} "
          f"({caught / max(planted, 1):.1%})")  # fmt: skip
    for used, spec in alarms:
        print(f"  {used:.3f} {spec}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
