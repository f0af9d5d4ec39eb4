"""Sharing work: among joblib's local worker processes (``loky``) or the workers of a
Dask cluster (``dask``), or among threads of this process for work done in compiled
code that releases the GIL.

Every parallel map of the package goes through :func:`parallel_map` or
:func:`thread_map`, so that each gives the same results in the same order as one
process.
"""

from __future__ import annotations

import warnings
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from itertools import islice
from typing import Any

from .errors import ClusterError

__all__ = ["BACKENDS", "CONNECT_TIMEOUT", "IDLE_WORKER_SECONDS", "address_problem", "dispatch",
           "in_process", "task_groups", "parallel_map", "thread_map"]

#: Where work runs: joblib's local processes, or a Dask cluster.
BACKENDS = ("loky", "dask")

#: Most tasks a job is cut into on a Dask cluster.
_DASK_TASKS = 1024

#: Seconds a local worker process waits for its next task before it exits (joblib's
#: default is 300). Short, so that the analysis processes of a build (each holding its
#: warm analyzer: about 100 MB at 100,000 essays) are gone before its lists are
#: computed, its memory peak; long enough for a fit's own tasks. Ten seconds were
#: tried (438ba54) and kept fits back to back on the same workers; two seconds came
#: back when one benchmark's fit had its workers peak at 1.71 GB, which turned out to
#: be the benchmark sampling a worker between loky's fork and exec.
IDLE_WORKER_SECONDS = 2.0

#: What loky warns when a worker's idle timeout lets it exit as a task arrives.
_WORKER_TIMED_OUT = "A worker stopped while some jobs were given to the executor"

#: Seconds to reach a Dask scheduler, and to wait for its first worker, before giving up.
CONNECT_TIMEOUT = 10


def address_problem(scheduler: str) -> str | None:
    """Why ``scheduler`` is not an address a client can connect to (None if it is). Checked
    before connecting: distributed leaves a client it cannot start on a malformed address
    half-made, and that client stalls the interpreter's exit."""
    from distributed.comm.addressing import get_address_host_port

    try:
        get_address_host_port(scheduler)
    except ValueError as exc:
        return f"{exc}; give an address such as 'tcp://10.0.0.5:8786'"
    return None


def dispatch(settings: Mapping[str, Any]) -> dict[str, Any]:
    """The keywords of :func:`parallel_map` that an index's settings give."""
    return {name: settings[name] for name in ("n_jobs", "backend", "scheduler")}


def in_process(n_jobs: int | None, backend: str = "loky", tasks: int | None = None) -> bool:
    """Whether to do the work here without workers: one local process is asked for, or
    there are fewer than two ``tasks`` to share. A Dask backend always uses its cluster,
    so that a wrong scheduler address fails whatever the size of the job."""
    return backend == "loky" and (n_jobs in (None, 1) or (tasks is not None and tasks < 2))


def task_groups(items: Sequence[Any], n_jobs: int | None, backend: str = "loky") -> list:
    """``items`` cut into tasks. Locally a few tasks per process, because each task
    carries its own copy of the large arguments; on Dask, whose workers get the large
    arguments once (``scatter``), up to :data:`_DASK_TASKS` tasks, many more than
    workers, so that a slow or lost worker holds back little, and few enough that the
    scheduler's cost per task (about a millisecond) stays small."""
    if backend == "dask":
        size = max(1, -(-len(items) // _DASK_TASKS))
    else:
        from joblib import effective_n_jobs

        size = max(1, -(-len(items) // (4 * effective_n_jobs(n_jobs))))
    return [items[i:i + size] for i in range(0, len(items), size)]


def parallel_map(function: Callable[..., Any], tasks: Iterable[tuple], *,
                 n_jobs: int | None = None, backend: str = "loky",
                 scheduler: str | None = None, scatter: Sequence[Any] = ()) -> Iterator[Any]:
    """``function(*args)`` for each ``args`` of ``tasks``, yielded in task order.

    Parameters
    ----------
    function : callable
        A module-level function (it is pickled by reference for the workers).
    tasks : iterable of tuple
        Read lazily, a few tasks ahead of the workers.
    n_jobs : int, optional
        Local processes (-1: all cores; None or 1: this process). With ``dask``
        every worker thread of the cluster takes part, whatever ``n_jobs``.
    backend : {"loky", "dask"}, default "loky"
    scheduler : str, optional
        The Dask scheduler's address (``tcp://host:8786``); None uses the current
        ``distributed.Client`` of this process.
    scatter : sequence, optional
        Large arguments shared by many tasks. Dask sends each once to every worker
        (and tasks refer to that copy) instead of once per task.

    Raises
    ------
    ClusterError
        The scheduler cannot be reached, has no workers, or the cluster gave up on a
        task (its workers kept dying: Dask runs a dead worker's tasks again elsewhere
        a few times first).

    Notes
    -----
    Stopping early (closing the generator) cancels the work not yet done. Dask work
    goes through ``distributed``'s client rather than joblib's Dask backend, which
    (in joblib 1.6) waits forever for a task the cluster gave up on.
    """
    if in_process(n_jobs, backend):
        yield from (function(*args) for args in tasks)
    elif backend == "dask":
        yield from _on_cluster(function, tasks, scheduler, scatter)
    else:
        from joblib import Parallel, delayed

        with _short_lived_workers():
            results = Parallel(n_jobs=n_jobs, return_as="generator")(
                delayed(function)(*args) for args in tasks)
        try:
            for result in results:  # noqa: UP028 (yield from would close it before finally)
                yield result
        finally:  # a caller that stops early cancels the rest: no warning about it
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)
                results.close()


def _short_lived_workers():
    """joblib's configuration for :func:`parallel_map`: loky's processes exiting after
    :data:`IDLE_WORKER_SECONDS` idle, unless the caller chose another backend (such as
    ``parallel_config(backend="dask")`` around a build, which joblib then follows)."""
    from joblib import parallel_config
    from joblib.parallel import BACKENDS as JOBLIB_BACKENDS
    from joblib.parallel import get_active_backend

    if type(get_active_backend()[0]) is not JOBLIB_BACKENDS["loky"]:
        return nullcontext()
    # A worker that times out just as a task arrives is replaced by loky, which warns
    # about it from its own thread (where a caller's "error" filter, pytest's for one,
    # would stop that thread). The short timeout is our choice, so its warning is ours
    # to silence: that message, from that module, and nothing else.
    warnings.filterwarnings("ignore", message=_WORKER_TIMED_OUT, category=UserWarning,
                            module=r".*loky\.process_executor")
    return parallel_config(backend="loky", idle_worker_timeout=IDLE_WORKER_SECONDS)


def thread_map(function: Callable[..., Any], tasks: Iterable[tuple], *,
               n_jobs: int | None = None) -> Iterator[Any]:
    """``function(*args)`` for each ``args`` of ``tasks``, in ``n_jobs`` threads of this
    process, yielded in task order.

    For work that spends its time in code releasing the GIL (numba kernels, BLAS):
    the threads share this process's arrays, so nothing is copied or sent. BLAS is
    held to one thread until the last result is yielded (or the generator is closed),
    so that its own threads do not compete with these for the cores (two threads
    each calling a two-thread BLAS on two cores ran 1.2x one thread, against 1.9x).

    Parameters
    ----------
    function : callable
        Called from several threads at once: whatever it caches must be safe to
        compute twice.
    tasks : iterable of tuple
        Read lazily, two tasks per thread ahead of the results.
    n_jobs : int, optional
        Threads (-1: one per core; None or 1: this thread alone).
    """
    from joblib import effective_n_jobs

    threads = effective_n_jobs(n_jobs)
    if threads < 2:
        yield from (function(*args) for args in tasks)
        return
    from threadpoolctl import threadpool_limits

    queue, pending = iter(tasks), deque()
    limits = threadpool_limits(limits=1, user_api="blas")
    with limits, ThreadPoolExecutor(threads) as pool:
        try:
            while True:
                for args in islice(queue, max(2 * threads - len(pending), 0)):
                    pending.append(pool.submit(function, *args))
                if not pending:
                    return
                yield pending.popleft().result()
        finally:  # stopped early or failed: the tasks not started are dropped
            for future in pending:
                future.cancel()


def _on_cluster(function: Callable[..., Any], tasks: Iterable[tuple], scheduler: str | None,
                scatter: Sequence[Any]) -> Iterator[Any]:
    """:func:`parallel_map` on a Dask cluster: two tasks per worker thread submitted at a
    time, results gathered in task order."""
    client, owned = _client(scheduler)
    pending: deque[Any] = deque()
    shared: dict[int, Any] = {}
    try:
        client.wait_for_workers(1, timeout=CONNECT_TIMEOUT)
        if scatter:
            copies = client.scatter(list(scatter), broadcast=True, hash=False)
            shared = {id(value): copy for value, copy in zip(scatter, copies, strict=True)}
        queue = iter(tasks)
        ahead = 2 * sum(client.nthreads().values())
        while True:
            for args in islice(queue, max(ahead - len(pending), 0)):
                pending.append(client.submit(function, *(shared.get(id(a), a) for a in args),
                                             pure=False))
            if not pending:
                return
            yield pending.popleft().result()
    except _cluster_failures() as exc:
        if isinstance(exc, TimeoutError):
            raise ClusterError(f"the Dask scheduler at {_address(client)} has no workers: "
                               f"none joined within {CONNECT_TIMEOUT} s") from exc
        first = (str(exc).strip().splitlines() or [""])[0]
        raise ClusterError(f"the Dask cluster at {_address(client)} failed: "
                           f"{type(exc).__name__}: {first}") from exc
    finally:
        if owned:
            client.close()
        else:  # the work left, and the shared copies, go now rather than when collected
            client.cancel([*pending, *shared.values()])


def _client(scheduler: str | None):
    """A client of the scheduler, and whether it is ours to close."""
    from distributed import Client, default_client

    if scheduler is None:
        try:
            return default_client(), False
        except ValueError:
            raise ClusterError("backend 'dask' without a scheduler address needs a running "
                               "distributed.Client in this process; give scheduler="
                               "'tcp://HOST:8786' instead") from None
    problem = address_problem(scheduler)
    if problem:
        raise ClusterError(f"cannot reach the Dask scheduler at {scheduler}: {problem}")
    try:
        return Client(scheduler, timeout=CONNECT_TIMEOUT, set_as_default=False), True
    except (OSError, TimeoutError) as exc:
        raise ClusterError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from None


def _cluster_failures() -> tuple[type[BaseException], ...]:
    """What a cluster raises when it gives up on a task whose workers kept dying, loses
    its scheduler, or has no workers (errors of the task itself come through as they
    are)."""
    from concurrent.futures import CancelledError

    from distributed.comm.core import CommClosedError
    from distributed.scheduler import KilledWorker

    return KilledWorker, CancelledError, CommClosedError, TimeoutError


def _address(client: Any) -> str:
    return getattr(client.scheduler, "address", None) or "?"
