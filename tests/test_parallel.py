"""Sharing work among threads of this process (recommender.parallel.thread_map)."""

from __future__ import annotations

import os
import threading
import time

import pytest
from threadpoolctl import threadpool_info

from recommender.parallel import thread_map


def slow_square(value: int) -> tuple[int, int, str]:
    time.sleep(0.002 * (value % 3))  # later tasks often finish first
    return value, value * value, threading.current_thread().name


def test_results_come_in_task_order_from_several_threads():
    results = list(thread_map(slow_square, ((i,) for i in range(40)), n_jobs=2))
    assert [value for value, _, _ in results] == list(range(40))
    assert [square for _, square, _ in results] == [i * i for i in range(40)]
    assert len({name for _, _, name in results}) == 2
    assert threading.current_thread().name not in {name for _, _, name in results}


@pytest.mark.parametrize("n_jobs", [None, 1])
def test_one_job_runs_in_the_calling_thread(n_jobs):
    results = list(thread_map(slow_square, ((i,) for i in range(5)), n_jobs=n_jobs))
    assert {name for _, _, name in results} == {threading.current_thread().name}


def test_tasks_are_read_a_few_ahead_of_the_results():
    read = []

    def tasks():
        for i in range(100):
            read.append(i)
            yield (i,)

    results = thread_map(slow_square, tasks(), n_jobs=2)
    assert next(results)[0] == 0
    assert len(read) <= 5  # two per thread ahead, and the one yielded
    results.close()


def test_stopping_early_drops_the_tasks_not_started():
    started = []

    def record(value: int) -> int:
        started.append(value)
        time.sleep(0.01)
        return value

    results = thread_map(record, ((i,) for i in range(50)), n_jobs=2)
    assert next(results) == 0
    results.close()
    count = len(started)
    time.sleep(0.05)
    assert len(started) == count < 10


def test_an_error_in_a_task_reaches_the_caller():
    def fail_on_seven(value: int) -> int:
        if value == 7:
            raise ValueError("task seven failed")
        return value

    results = thread_map(fail_on_seven, ((i,) for i in range(20)), n_jobs=2)
    assert [next(results) for _ in range(7)] == list(range(7))
    with pytest.raises(ValueError, match="task seven failed"):
        next(results)


def native_threads() -> dict[str, int]:
    return {pool["filepath"]: pool["num_threads"] for pool in threadpool_info()
            if pool["user_api"] == "blas"}


def test_blas_uses_one_thread_meanwhile_and_is_restored_after():
    import numpy  # noqa: F401 (its BLAS is loaded)

    before = native_threads()
    assert before
    seen = list(thread_map(lambda _: native_threads(), ((i,) for i in range(4)), n_jobs=2))
    assert all(set(counts.values()) == {1} for counts in seen)
    after = native_threads()
    assert {path: after[path] for path in before} == before


def exited(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")  # reaped soon
    except FileNotFoundError:
        return True


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="reads /proc")
def test_worker_processes_exit_soon_after_their_last_task(monkeypatch):
    """A fit's analysis processes hold their warm analyzers; they must not stay for minutes
    (joblib's default) holding that memory while the build goes on."""
    from recommender import parallel

    monkeypatch.setattr(parallel, "IDLE_WORKER_SECONDS", 0.5)
    pids = set(parallel.parallel_map(os.getpid, [()] * 8, n_jobs=2))
    assert pids and os.getpid() not in pids
    again = set(parallel.parallel_map(os.getpid, [()] * 8, n_jobs=2))
    assert again & pids  # back to back: the same processes
    deadline = time.monotonic() + 10
    while not all(exited(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert all(exited(pid) for pid in pids)


def test_loky_replacing_a_timed_out_worker_is_not_an_error_for_callers():
    """The short idle timeout is ours: loky's warning when a worker times out just as a
    task arrives (issued from its own thread) must not become an error under a caller's
    "error" filter, while every other warning still does."""
    import warnings

    from recommender import parallel

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        list(parallel.parallel_map(os.getpid, [()] * 2, n_jobs=2))
        warnings.warn_explicit(
            "A worker stopped while some jobs were given to the executor. This can be "
            "caused by a too short worker timeout or by a memory leak.", UserWarning,
            "process_executor.py", 787, module="joblib.externals.loky.process_executor")
        with pytest.raises(UserWarning):
            warnings.warn_explicit("something else", UserWarning, "process_executor.py", 1,
                                   module="joblib.externals.loky.process_executor")
        with pytest.raises(UserWarning):
            warnings.warn_explicit("A worker stopped while some jobs were given to the "
                                   "executor.", UserWarning, "mine.py", 1, module="mine")
