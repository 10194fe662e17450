"""Run many specs through the harness, in one process, several, or on a Dask cluster, with identical results."""

from __future__ import annotations

import logging
import multiprocessing
import sys
from concurrent.futures import ProcessPoolExecutor

import pandas as pd
import torch
from tqdm import tqdm

from comparisons.common.errors import UsageError
from comparisons.sweep.harness import GRAD_COLUMNS, TRAJ_COLUMNS, check_spec

CONNECT_TIMEOUT = "10s"  # how long --scheduler ADDRESS waits for the scheduler before giving up


def init_worker():
    # One thread per process: the networks are tiny, and a fixed thread count keeps
    # torch's reduction order, hence every digit, the same for --jobs 1 and --jobs N.
    torch.set_num_threads(1)


def _check(job):
    arch, spec, device = job
    return check_spec(arch, spec, device)


def _check_on_worker(job):
    """_check in a Dask worker: one torch thread there too, whichever worker runs it."""
    init_worker()
    return _check(job)


def cluster_client(scheduler):
    """A dask.distributed Client: a LocalCluster (2 processes, 1 thread each) for "local", else ADDRESS's.

    Raises UsageError, in one line, where dask.distributed is absent or the scheduler cannot be reached."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise UsageError("--scheduler needs dask.distributed: pip install 'deltacheck[cluster]'") from None
    if scheduler == "local":
        cluster = LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=logging.ERROR
        )
        return Client(cluster)
    try:
        return Client(scheduler, timeout=CONNECT_TIMEOUT)
    except (OSError, TimeoutError, ValueError) as e:
        raise UsageError(f"--scheduler {scheduler}: cannot connect ({type(e).__name__}: {e})") from None


def _on_cluster(work, scheduler):
    """(gradient rows, trajectory rows) of each job, in job order, from the cluster's workers."""
    client = cluster_client(scheduler)
    try:
        futures = client.map(_check_on_worker, work, pure=False)
        for f in futures:  # in spec order, whichever finishes first
            yield f.result()
            f.release()
    finally:
        cluster = client.cluster if scheduler == "local" else None
        client.close()
        if cluster is not None:
            cluster.close()


def set_device(device):
    """Check that ``device`` is usable; on CUDA switch TF32 off so float32 is float32."""
    if device == "cuda":
        if not torch.cuda.is_available():
            built = "CUDA " + torch.version.cuda if torch.version.cuda else "CPU only"
            return f"--device cuda: CUDA is not available here (torch {torch.__version__}, built for {built})"
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
    return None


def run_specs(specs, jobs=1, device="cpu", progress=True, scheduler=None):
    """(gradients DataFrame, trajectories DataFrame) for ``specs``, in spec order.

    ``scheduler``: run on a Dask cluster instead of ``jobs`` local processes — "local" for a LocalCluster,
    else the address of a running scheduler whose workers have deltacheck installed."""
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
        if scheduler is not None:
            for g, t in _on_cluster(work, scheduler):
                grads += g
                trajs += t
                bar.update()
        elif jobs == 1:
            init_worker()
            results = map(_check, work)
            for g, t in results:
                grads += g
                trajs += t
                bar.update()
        else:
            ctx = multiprocessing.get_context("spawn" if device == "cuda" else "fork")
            if ctx.get_start_method() == "fork":  # torch.optim imports torch._dynamo (~1 s) at its first
                import torch._dynamo  # noqa: F401  optimizer: once here, and forked workers inherit it
            with ProcessPoolExecutor(jobs, mp_context=ctx, initializer=init_worker) as pool:
                for g, t in pool.map(_check, work, chunksize=max(1, min(8, len(work) // (4 * jobs)))):
                    grads += g
                    trajs += t
                    bar.update()
    finally:
        bar.close()
    return pd.DataFrame(grads, columns=GRAD_COLUMNS), pd.DataFrame(trajs, columns=TRAJ_COLUMNS)
