"""Run many specs through the harness, in one process or several, with identical results."""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor

import pandas as pd
import torch

from comparisons.sweep.console import Bar, quiet
from comparisons.sweep.harness import GRAD_COLUMNS, TRAJ_COLUMNS, check_spec
from comparisons.sweep.lifeline import tie_to_parent


def init_worker(parent=None):
    """One torch thread; in a pool worker (``parent`` = the parent's pid) also die with the parent."""
    # One thread per process: the networks are tiny, and a fixed thread count keeps
    # torch's reduction order, hence every digit, the same for --jobs 1 and --jobs N.
    torch.set_num_threads(1)
    if parent is not None:
        tie_to_parent(parent)


def _check(job):
    arch, spec, device = job
    with quiet():  # a diverging run's overflow is a finding in the rows, not a warning for the user
        return check_spec(arch, spec, device)


def kill_workers(pool):
    """End ``pool``'s workers now, without waiting for their tasks (an interrupt, an error)."""
    procs = list((pool._processes or {}).values())  # the only handle ProcessPoolExecutor gives (3.14: kill_workers)
    pool.shutdown(wait=False, cancel_futures=True)
    for p in procs:
        p.kill()
    for p in procs:
        p.join()


def set_device(device):
    """Check that ``device`` is usable; on CUDA switch TF32 off so float32 is float32."""
    if device == "cuda":
        if not torch.cuda.is_available():
            built = "CUDA " + torch.version.cuda if torch.version.cuda else "CPU only"
            return f"--device cuda: CUDA is not available here (torch {torch.__version__}, built for {built})"
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
    return None


def run_specs(specs, jobs=1, device="cpu", progress=True):
    """(gradients DataFrame, trajectories DataFrame) for ``specs``, in spec order."""
    work = [(i, s, device) for i, s in enumerate(specs)]
    bar = Bar(total=len(work), desc="architectures", unit="arch", disable=not progress)
    grads, trajs = [], []
    try:
        if jobs == 1:
            init_worker()
            results = map(_check, work)
            for g, t in results:
                grads += g
                trajs += t
                bar.update()
        else:
            ctx = multiprocessing.get_context("spawn" if device == "cuda" else "fork")
            pool = ProcessPoolExecutor(jobs, mp_context=ctx, initializer=init_worker, initargs=(os.getpid(),))
            with pool:
                try:
                    for g, t in pool.map(_check, work, chunksize=max(1, min(8, len(work) // (4 * jobs)))):
                        grads += g
                        trajs += t
                        bar.update()
                except BaseException:  # Ctrl-C, SIGTERM, MemoryError: no worker outlives this call
                    kill_workers(pool)
                    raise
    finally:
        bar.close()
    return pd.DataFrame(grads, columns=GRAD_COLUMNS), pd.DataFrame(trajs, columns=TRAJ_COLUMNS)
