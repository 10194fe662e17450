"""Run many specs through the harness, in one process or several, with identical results."""

from __future__ import annotations

import multiprocessing
import sys
from concurrent.futures import ProcessPoolExecutor

import pandas as pd
import torch
from tqdm import tqdm

from comparisons.sweep.harness import GRAD_COLUMNS, TRAJ_COLUMNS, check_spec


def init_worker():
    # One thread per process: the networks are tiny, and a fixed thread count keeps
    # torch's reduction order, hence every digit, the same for --jobs 1 and --jobs N.
    torch.set_num_threads(1)


def _check(job):
    arch, spec, device = job
    return check_spec(arch, spec, device)


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
    bar = tqdm(
        total=len(work),
        desc="architectures",
        unit="arch",
        file=sys.stderr,
        delay=2.0,
        disable=not progress,
        dynamic_ncols=True,
    )
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
            with ProcessPoolExecutor(jobs, mp_context=ctx, initializer=init_worker) as pool:
                for g, t in pool.map(_check, work, chunksize=max(1, min(8, len(work) // (4 * jobs)))):
                    grads += g
                    trajs += t
                    bar.update()
    finally:
        bar.close()
    return pd.DataFrame(grads, columns=GRAD_COLUMNS), pd.DataFrame(trajs, columns=TRAJ_COLUMNS)
