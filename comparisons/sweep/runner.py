"""Run many specs through the harness, in one process, several, or on a Dask cluster, with identical results."""

from __future__ import annotations

import collections
import contextlib
import functools
import itertools
import logging
import multiprocessing
import os
import signal
import threading
from concurrent.futures import ProcessPoolExecutor

import pandas as pd
import torch

from comparisons.common.errors import UsageError
from comparisons.common.lifeline import tie_to_parent
from comparisons.common.progress import Bar
from comparisons.sweep.budget import CLUSTER_WINDOW, POOL_CHUNK, POOL_WINDOW
from comparisons.sweep.console import quiet
from comparisons.sweep.harness import GRAD_COLUMNS, STEP_COLUMNS, check_family

CONNECT_TIMEOUT = "10s"  # how long --scheduler ADDRESS waits for the scheduler before giving up


def init_worker(parent=None):
    """One torch thread; in a pool worker (``parent`` = the parent's pid) also die with the parent."""
    # One thread per process: the networks are tiny, and a fixed thread count keeps
    # torch's reduction order, hence every digit, the same for --jobs 1 and --jobs N.
    torch.set_num_threads(1)
    if parent is not None:
        tie_to_parent(parent)


def family_groups(specs, family):
    """``specs`` in consecutive groups of ``family`` (the sampler's families), the last one maybe shorter."""
    return [specs[i : i + family] for i in range(0, len(specs), family)]


def work_items(specs, device, family=1):
    """The units of work, in arch order: (first arch, its group of specs, device), a family or one spec each."""
    return [(i * family, group, device) for i, group in enumerate(family_groups(specs, family))]


def _check(job):
    """The (gradient rows, trajectory rows) of each architecture of one work item, in arch order."""
    first, group, device = job
    with quiet():  # a diverging run's overflow is a finding in the rows, not a warning for the user
        return check_family(first, group, device)  # a family of one or more: one pair per spec


def _check_chunk(jobs):
    """_check of several work items, their pairs in one list: one round trip to a pool worker."""
    return [pair for job in jobs for pair in _check(job)]


def kill_workers(pool):
    """End ``pool``'s workers now, without waiting for their tasks (an interrupt, an error)."""
    procs = list((pool._processes or {}).values())  # the only handle ProcessPoolExecutor gives (3.14: kill_workers)
    manager = getattr(pool, "_executor_manager_thread", None)  # taken first: shutdown() forgets it
    pool.shutdown(wait=False, cancel_futures=True)
    for p in procs:
        p.kill()
    for p in procs:
        p.join()
    # The pool's manager thread now sees its workers gone and closes its wake-up pipe; wait for it, or the
    # interpreter's exit hook may write to that pipe as it closes (an "Exception ignored … Bad file descriptor").
    if manager is not None:
        manager.join(timeout=5)


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
        # SIGINT ignored: the worker processes inherit it, so Ctrl-C reaches this process alone, which ends them;
        # their logs silenced but the critical: a worker's failure reaches the run through its futures, and what
        # nannies log while the run ends them is noise.  Free ports for the scheduler and its HTTP server (which
        # starts even without a dashboard, on 8787 unless told): two runs at once never clash.
        with sigint_ignored():
            cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, scheduler_port=0,
                                   dashboard_address=":0", silence_logs=logging.CRITICAL)  # fmt: skip
        return Client(cluster)
    try:
        return Client(scheduler, timeout=CONNECT_TIMEOUT)
    except (OSError, TimeoutError, ValueError) as e:
        raise UsageError(f"--scheduler {scheduler}: cannot connect ({type(e).__name__}: {e})") from None


@contextlib.contextmanager
def sigint_ignored():
    """SIGINT ignored within the block (in the main thread): processes started there keep ignoring it."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    old = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, old)


def windowed(submit, items, window):
    """``submit(item).result()`` for each item, in order, with at most ``window`` submitted and not yet consumed."""
    items = iter(items)
    pending = collections.deque(submit(x) for x in itertools.islice(items, window))
    while pending:
        result = pending.popleft().result()
        pending.extend(submit(x) for x in itertools.islice(items, 1))
        yield result


def _on_cluster(work, scheduler):
    """The pairs of each work item, in order, from the cluster's workers, CLUSTER_WINDOW architectures ahead at most."""
    client = cluster_client(scheduler)
    window = max(1, CLUSTER_WINDOW // len(work[0][1]))  # work items: a family holds G architectures
    try:
        yield from windowed(functools.partial(client.submit, _check_on_worker, pure=False), work, window)
    finally:
        cluster = client.cluster if scheduler == "local" else None
        client.close()
        if cluster is not None:
            cluster.close()


def _in_pool(work, jobs, device):
    """The pairs of each work item, in order, from ``jobs`` processes, POOL_WINDOW chunks per process ahead at most."""
    ctx = multiprocessing.get_context("spawn" if device == "cuda" else "fork")
    if ctx.get_start_method() == "fork":  # torch.optim imports torch._dynamo (~1 s) at its first
        import torch._dynamo  # noqa: F401  optimizer: once here, and forked workers inherit it
    size = max(1, min(POOL_CHUNK // len(work[0][1]), len(work) // (4 * jobs)))  # POOL_CHUNK archs a round trip
    chunks = (work[i : i + size] for i in range(0, len(work), size))
    pool = ProcessPoolExecutor(jobs, mp_context=ctx, initializer=init_worker, initargs=(os.getpid(),))
    with pool:
        try:
            yield from windowed(functools.partial(pool.submit, _check_chunk), chunks, POOL_WINDOW * jobs)
        except BaseException:  # Ctrl-C, SIGTERM, MemoryError, the consumer gone: no worker outlives this call
            kill_workers(pool)
            raise


def set_device(device):
    """Check that ``device`` is usable; on CUDA switch TF32 off so float32 is float32."""
    if device == "cuda":
        if not torch.cuda.is_available():
            built = "CUDA " + torch.version.cuda if torch.version.cuda else "CPU only"
            return f"--device cuda: CUDA is not available here (torch {torch.__version__}, built for {built})"
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
    return None


def iter_results(specs, jobs=1, device="cpu", progress=None, scheduler=None, family=1):
    """(gradient rows, trajectory rows) of each spec, in spec order, as each is ready: nothing else is kept.

    ``family`` G > 1: consecutive groups of G specs sharing all but their seed are trained as stacks
    (``check_family``), which gives each the rows ``check_spec`` would.

    ``scheduler``: run on a Dask cluster instead of ``jobs`` local processes — "local" for a LocalCluster,
    else the address of a running scheduler whose workers have deltacheck installed."""
    work = work_items(specs, device, family)
    if scheduler is not None:
        done = _on_cluster(work, scheduler)
    elif jobs == 1:
        init_worker()
        done = (_check(job) for job in work)
    else:
        done = _in_pool(work, jobs, device)
    bar = Bar(total=len(specs), desc="architectures", unit="arch", show=progress)  # None: only on a terminal
    with contextlib.closing(done), bar:
        for pairs in done:
            for pair in pairs:
                yield pair
                bar.update()


def run_specs(specs, jobs=1, device="cpu", progress=None, scheduler=None, family=1):
    """(gradients DataFrame, trajectories DataFrame) for ``specs``, in spec order (see iter_results)."""
    grads, trajs = [], []
    for g, t in iter_results(specs, jobs, device, progress, scheduler, family):
        grads += g
        trajs += t
    return pd.DataFrame(grads, columns=GRAD_COLUMNS), pd.DataFrame(trajs, columns=STEP_COLUMNS)
