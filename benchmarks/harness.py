"""Shared machinery of the speed benchmarks: timing, memory, recall, environment, JSON.

Timing
    :func:`time_calls` times one call per item (a query, an article id, a whole run)
    with :func:`time.perf_counter`, after warm-up calls that are not counted, and stops
    early once a time budget is spent (never before ``min_runs`` timed calls).
    :func:`summarize` turns the times into the figures every result carries: median,
    p95 and p99 (linear interpolation between order statistics, as ``numpy.percentile``;
    with few runs the tail percentiles are close to the maximum), mean, min, max, n.

Memory
    :class:`PeakMemory` measures the peak resident set size of this process during a
    block: it returns freed heap to the system (``malloc_trim``), resets the kernel's
    high-water mark (``/proc/self/clear_refs``, value 5; Linux 4.0+) and reads
    ``VmHWM`` afterwards, so several operations measured one after another in the same
    process each get their own peak. Where that is not available it falls back to
    ``getrusage`` (the peak of the whole process so far, marked as such). Child
    processes (the analysis workers of ``fit(n_jobs=-1)``) are sampled every 20 ms from
    ``/proc`` and reported separately, with the largest sum of this process's and their
    resident sets seen at one sample, and the CPU time they spent in the block.

Ratios, never absolute times, are what the gates look at: every figure is measured in
the same process, on the same corpus, as the baseline it is compared with.
"""

from __future__ import annotations

import ctypes
import datetime as dt
import gc
import json
import math
import os
import platform
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "benchmarks" / "results"
CHARTS = ROOT / "benchmarks" / "charts"

#: Bumped when the layout of the JSON results changes.
SCHEMA_VERSION = 1

#: Distributions whose versions every result records.
PACKAGES = ("recommender", "numpy", "scipy", "scikit-learn", "joblib", "threadpoolctl",
            "bm25s", "numba", "sparse_dot_topn", "tantivy", "matplotlib")

_MB = 1024 * 1024


# -- timing ---------------------------------------------------------------------------------


def time_calls(call: Callable[[Any], Any], items: Sequence[Any], *,
               warmup: Sequence[Any] = (), budget_s: float = math.inf,
               min_runs: int = 1, keep: bool = True,
               after: Callable[[Any], Any] | None = None) -> tuple[list[float], list[Any]]:
    """Time ``call(item)`` for each item in turn; return the times and the outputs.

    ``warmup`` items are called first and neither timed nor returned. No call starts
    once the timed calls add up to ``budget_s`` and ``min_runs`` of them were made (a
    budget of 0 with ``min_runs=0`` makes none). With ``keep=False`` the
    outputs are dropped as they come (the list returned is empty). ``after(item)``,
    when given, runs untimed after each call (to clean up what the call wrote).
    """
    for item in warmup:
        call(item)
    times: list[float] = []
    outputs: list[Any] = []
    spent = 0.0
    clock = time.perf_counter
    for item in items:
        if spent >= budget_s and len(times) >= min_runs:
            break
        started = clock()
        output = call(item)
        elapsed = clock() - started
        times.append(elapsed)
        if keep:
            outputs.append(output)
        del output
        if after is not None:
            after(item)
        spent += elapsed
    return times, outputs


def measure(call: Callable[[Any], Any], items: Sequence[Any], *, warmup: Sequence[Any] = (),
            budget_s: float = math.inf, min_runs: int = 1, keep: bool = True,
            children: bool = False) -> tuple[list[float], list[Any], dict[str, Any]]:
    """:func:`time_calls` with the warm-up first and the timed calls' peak memory
    (:class:`PeakMemory`, which does not count the warm-up): times, outputs, memory."""
    for item in warmup:
        call(item)
    with PeakMemory(children=children) as memory:
        times, outputs = time_calls(call, items, budget_s=budget_s, min_runs=min_runs,
                                    keep=keep)
    return times, outputs, memory.result


def summarize(times: Sequence[float]) -> dict[str, float | int]:
    """Median, p95, p99, mean, min, max and count of a list of seconds."""
    if not times:
        raise ValueError("no times to summarize")
    values = np.asarray(times, dtype=np.float64)
    p50, p95, p99 = np.percentile(values, [50, 95, 99])
    return {"n": int(values.size), "median_s": float(p50), "p95_s": float(p95),
            "p99_s": float(p99), "mean_s": float(values.mean()), "min_s": float(values.min()),
            "max_s": float(values.max())}


def method_entry(times: Sequence[float], *, kind: str, description: str, unit: str,
                 items_per_run: int = 1, exact: bool | None = None,
                 memory: dict[str, Any] | None = None, recall: float | None = None,
                 identical: float | None = None, reference: str | None = None,
                 index_bytes: int | None = None, **extra: Any) -> dict[str, Any]:
    """One method's figures, in the shape every result uses.

    ``unit`` is what one timed call handles (``query``, ``lookup``, ``corpus``...);
    throughput is ``items_per_run`` items per timed call over the median time (a whole
    corpus: its articles).
    """
    stats = summarize(times)
    throughput = items_per_run / stats["median_s"] if stats["median_s"] > 0 else math.inf
    return {"kind": kind, "description": description, "exact": exact, "unit": unit,
            "latency_s": stats, "throughput_per_s": throughput,
            "items_per_run": items_per_run, "memory": memory, "index_bytes": index_bytes,
            "recall_at_k": recall, "identical_lists": identical, "recall_reference": reference,
            **extra}


def add_ratios(result: dict[str, Any], baseline: str = "sklearn_brute") -> None:
    """Give every method its figures as ratios to ``baseline`` of the same result:
    ``speedup`` (baseline median / method median: above 1 is faster), ``rss`` and
    ``index_bytes`` (method / baseline: below 1 is smaller)."""
    base = result["methods"].get(baseline)
    result["ratio_baseline"] = baseline
    for entry in result["methods"].values():
        ratios: dict[str, float | None] = {"speedup": None, "rss": None, "index_bytes": None}
        if base is not None:
            ratios["speedup"] = _ratio(base["latency_s"]["median_s"],
                                       entry["latency_s"]["median_s"])
            ratios["rss"] = _ratio(total_rss_delta(entry), total_rss_delta(base))
            ratios["index_bytes"] = _ratio(entry.get("index_bytes"), base.get("index_bytes"))
        entry["vs_" + baseline] = ratios


def total_rss_delta(entry: dict[str, Any]) -> float | None:
    """Peak memory an operation added: the rise of this process's peak RSS or, when its
    worker processes were sampled, the largest sum of its and their RSS at one moment
    (shared memory once) over this process's RSS before, if that is more.

    Adding this process's peak to the workers' own would count memory that was never
    in use at once: a build's analysis processes are gone before its lists are made.
    """
    memory = entry.get("memory") or {}
    if memory.get("rss_delta_mb") is None:
        return None
    together = memory.get("total_peak_shm_once_mb")
    if together is None:
        return memory["rss_delta_mb"]
    return max(memory["rss_delta_mb"], round(together - memory["rss_before_mb"], 1))


def _ratio(top: float | None, bottom: float | None) -> float | None:
    if top is None or bottom is None or not math.isfinite(top) or not math.isfinite(bottom):
        return None
    if bottom == 0:
        return None
    return top / bottom


def speedup(result: dict[str, Any], method: str, baseline: str) -> float | None:
    """Baseline median over method median in one result (None when either is missing)."""
    methods = result.get("methods", {})
    if method not in methods or baseline not in methods:
        return None
    return _ratio(methods[baseline]["latency_s"]["median_s"],
                  methods[method]["latency_s"]["median_s"])


# -- memory ---------------------------------------------------------------------------------


def _status_kb(field: str, pid: int | str = "self") -> int | None:
    return _status_values(pid, (field,)).get(field)


def _status_values(pid: int | str, fields: tuple[str, ...]) -> dict[str, int]:
    """The given ``/proc/<pid>/status`` fields (in KiB) that could be read."""
    found: dict[str, int] = {}
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                name = line.split(":", 1)[0]
                if name in fields:
                    found[name] = int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return found


#: Fields of ``/proc/<pid>/status`` that :class:`PeakMemory` samples.
_RSS_FIELDS = ("VmRSS", "RssShmem")


def _trim_heap() -> None:
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def _reset_high_water_mark() -> bool:
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as handle:
            handle.write("5")
    except OSError:
        return False
    return _status_kb("VmHWM") is not None


def _descendants(pid: int) -> list[int]:
    found: list[int] = []
    stack = [pid]
    while stack:
        parent = stack.pop()
        try:
            with open(f"/proc/{parent}/task/{parent}/children", encoding="ascii") as handle:
                children = [int(c) for c in handle.read().split()]
        except (OSError, ValueError):
            continue
        found += children
        stack += children
    return found


def _cmdline(pid: int | str) -> bytes | None:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            return handle.read()
    except OSError:
        return None


def _not_yet_its_own(pid: int) -> bool:
    """Whether child ``pid`` is a fork of this process that has not yet run its own
    program (the same command line): loky starts a worker by fork then exec, and in
    between the child's RSS counts every page of this process's, which are not new
    memory. A sample in that window once added 2.4 GB of a 2.5 GB parent; at 100,000
    essays it made a fit's "workers" peak at 1.71 GB, against 0.24 GB."""
    return _cmdline(pid) == _cmdline("self")


def cpu_seconds(pid: int | str = "self") -> float | None:
    """User plus system CPU time a process has spent so far (``/proc/<pid>/stat``),
    in seconds; None when it cannot be read (gone, or not Linux)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
        ticks = int(fields[11]) + int(fields[12])   # utime, stime (fields 14 and 15)
    except (OSError, ValueError, IndexError):
        return None
    return ticks / os.sysconf("SC_CLK_TCK")


def rss_mb() -> float | None:
    """Current resident set size of this process in MiB (None off Linux)."""
    kb = _status_kb("VmRSS")
    return None if kb is None else kb / 1024


class PeakMemory:
    """Peak resident memory of this process (and, sampled, its children) in a block.

    With ``children=True`` the descendants of this process are sampled every
    ``interval_s`` seconds, and the result also has ``children_peak_rss_mb`` (their
    largest summed RSS), ``total_peak_rss_mb`` (the largest sum of this process's and
    their RSS at one sample, and at least this process's own peak),
    ``total_peak_shm_once_mb`` (the same with shared memory — ``RssShmem``, such as the
    arrays joblib memory-maps for its workers — counted once instead of once per
    process that maps it) and ``children_cpu_s`` (the CPU time they spent in the block;
    a child that ends between two samples loses its last interval).

    >>> with PeakMemory() as memory:
    ...     block = bytearray(8 * 1024 * 1024)
    >>> memory.result["rss_delta_mb"] >= 0
    True
    """

    def __init__(self, *, children: bool = False, interval_s: float = 0.02):
        self.children = children
        self.interval_s = interval_s
        self.result: dict[str, Any] = {}
        self._stop = threading.Event()
        self._children_peak_kb = 0
        self._total_peak_kb = 0
        self._shared_once_peak_kb = 0
        self._cpu: dict[int, tuple[float, float]] = {}   # pid: (CPU at start, last seen)
        self._thread: threading.Thread | None = None

    def _observe(self, *, first: bool = False) -> None:
        """One sample of the descendants: RSS and CPU time (``first``: the baseline)."""
        children_kb = 0
        own = _status_values("self", _RSS_FIELDS)
        shared = [own.get("RssShmem", 0)]
        for pid in _descendants(os.getpid()):
            if _not_yet_its_own(pid):
                continue
            values = _status_values(pid, _RSS_FIELDS)
            children_kb += values.get("VmRSS", 0)
            shared.append(values.get("RssShmem", 0))
            spent = cpu_seconds(pid)
            if spent is not None:   # a child born in the block started at zero
                self._cpu[pid] = (self._cpu.get(pid, (spent if first else 0.0,))[0], spent)
        total_kb = children_kb + own.get("VmRSS", 0)
        self._children_peak_kb = max(self._children_peak_kb, children_kb)
        self._total_peak_kb = max(self._total_peak_kb, total_kb)
        self._shared_once_peak_kb = max(self._shared_once_peak_kb,
                                        total_kb - sum(shared) + max(shared))

    def _sample(self) -> None:
        while not self._stop.is_set():
            self._observe()
            self._stop.wait(self.interval_s)

    def __enter__(self) -> PeakMemory:
        _trim_heap()
        self._exact = _reset_high_water_mark()
        self._before_kb = _status_kb("VmRSS")
        if self._before_kb is None:  # not Linux: the process-wide peak is all there is
            import resource

            self._before_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        if self.children:
            self._observe(first=True)
            self._thread = threading.Thread(target=self._sample, daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc_info: Any) -> None:
        if self._thread is not None:
            self._stop.set()
            self._thread.join()
            self._observe()
        if self._exact:
            peak_kb, method = _status_kb("VmHWM") or 0, "VmHWM"
        else:
            import resource

            peak_kb, method = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, "ru_maxrss"
        self.result = {
            "peak_rss_mb": round(peak_kb / 1024, 1),
            "rss_before_mb": round(self._before_kb / 1024, 1),
            "rss_delta_mb": round(max(peak_kb - self._before_kb, 0) / 1024, 1),
            "method": method,
        }
        if self.children:
            self.result["children_peak_rss_mb"] = round(self._children_peak_kb / 1024, 1)
            total_kb = max(self._total_peak_kb, peak_kb)
            self.result["total_peak_rss_mb"] = round(total_kb / 1024, 1)
            self.result["total_peak_shm_once_mb"] = round(
                max(self._shared_once_peak_kb, peak_kb) / 1024, 1)
            self.result["children_cpu_s"] = round(sum(last - start for start, last
                                                      in self._cpu.values()), 2)
            self.result["interval_s"] = self.interval_s


def dir_bytes(path: str | os.PathLike[str]) -> int:
    """Bytes of the regular files under a folder (or of one file)."""
    path = Path(path)
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


# -- agreement ------------------------------------------------------------------------------


def recall_at_k(found: Sequence[Sequence[str]], truth: Sequence[Sequence[str]],
                k: int = 10) -> float:
    """Mean share of each exact list's first ``k`` ids that the other list's first ``k`` hold.

    A query whose exact list is empty counts 1 when the other list is empty too, else 0.
    """
    if len(found) != len(truth):
        raise ValueError(f"{len(found)} answers for {len(truth)} exact lists")
    if not truth:
        return math.nan
    total = 0.0
    for got, want in zip(found, truth, strict=True):
        want_set = set(list(want)[:k])
        if not want_set:
            total += 0.0 if list(got)[:k] else 1.0
        else:
            total += len(want_set & set(list(got)[:k])) / len(want_set)
    return total / len(truth)


def agreement(found: Sequence[Sequence[str]], truth: Sequence[Sequence[str]],
              k: int = 10) -> dict[str, float]:
    """``recall`` and ``identical`` of answers against the exact ones, as
    :func:`method_entry` takes them."""
    return {"recall": recall_at_k(found, truth, k), "identical": identical_share(found, truth)}


def identical_share(found: Sequence[Sequence[str]], truth: Sequence[Sequence[str]]) -> float:
    """Share of answers equal to the exact list, ids and order."""
    if not truth:
        return math.nan
    return sum(list(a) == list(b) for a, b in zip(found, truth, strict=True)) / len(truth)


# -- environment ----------------------------------------------------------------------------


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def memory_bytes() -> int | None:
    """Physical memory of the machine in bytes (None where the system does not say)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return None


def versions(packages: Iterable[str] = PACKAGES) -> dict[str, str | None]:
    found: dict[str, str | None] = {}
    for name in packages:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = None
    if found.get("recommender") is None:  # run from a checkout, not installed
        from recommender._version import __version__

        found["recommender"] = f"{__version__} (source tree)"
    return found


def _git(*args: str) -> str | None:
    try:
        done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True,
                              timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def thread_caps(limit: int | None) -> dict[str, Any]:
    """The thread limit asked for, the native thread pools as threadpoolctl sees them,
    and the environment variables that cap threads."""
    caps: dict[str, Any] = {"limit": limit}
    try:
        from threadpoolctl import threadpool_info

        caps["threadpools"] = [{k: info.get(k) for k in
                                ("user_api", "internal_api", "num_threads", "version")}
                               for info in threadpool_info()]
    except ImportError:
        caps["threadpools"] = None
    names = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
             "NUMBA_NUM_THREADS", "RAYON_NUM_THREADS")
    caps["environment"] = {name: os.environ.get(name) for name in names}
    return caps


def environment(threads: int | None) -> dict[str, Any]:
    """Machine, versions, thread caps, git revision and load: recorded with every result."""
    commit = _git("rev-parse", "HEAD")
    status = _git("status", "--porcelain", "--untracked-files=no")
    return {
        "cpu": cpu_model(), "cores": os.cpu_count(), "memory_bytes": memory_bytes(),
        "platform": platform.platform(),
        "python": platform.python_version(), "versions": versions(),
        "threads": thread_caps(threads),
        "git": {"commit": commit, "dirty": bool(status) if status is not None else None},
        "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
    }


def limit_threads(threads: int | None):
    """A context manager capping the native thread pools (BLAS, OpenMP) to ``threads``."""
    import contextlib

    if threads is None:
        return contextlib.nullcontext()
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return contextlib.nullcontext()
    return threadpool_limits(limits=threads)


# -- results --------------------------------------------------------------------------------


def now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def result_path(out: Path, benchmark: str, n: int, words: int) -> Path:
    return out / f"speed-{benchmark}-{n}-w{words}.json"


def write_result(result: dict[str, Any], out: Path) -> Path:
    """Write one result as ``speed-<benchmark>-<articles>-w<words>.json`` in ``out`` (a
    later run of the same script, size and essay length replaces it)."""
    out.mkdir(parents=True, exist_ok=True)
    path = result_path(out, result["benchmark"], result["parameters"]["articles"],
                       result["corpus"]["mean_words"])
    return write_json(result, path)


def write_json(value: Any, path: Path) -> Path:
    """Write a result as indented UTF-8 JSON (NaN and infinities as null); return the path."""
    text = json.dumps(_clean(value), indent=1, ensure_ascii=False, allow_nan=False)
    path.write_text(text + "\n", encoding="utf-8")
    return path


def _clean(value: Any) -> Any:
    """JSON-safe: NaN and infinities become None, numpy scalars plain numbers."""
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def read_results(out: Path) -> list[dict[str, Any]]:
    """Every ``speed-*.json`` result in ``out`` (not the run summaries)."""
    results = []
    for path in sorted(out.glob("speed-*.json")):
        if path.name.startswith("speed-run"):
            continue
        try:
            results.append(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, json.JSONDecodeError) as exc:
            say(f"skipping {path}: {exc}")
    return results


def say(line: str) -> None:
    """Progress and diagnostics go to stderr; results to stdout."""
    print(line, file=sys.stderr, flush=True)


def fmt_seconds(seconds: float | None) -> str:
    if seconds is None or not math.isfinite(seconds):
        return "–"
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds * 1e6:.1f} µs"


def fmt_bytes(value: int | None) -> str:
    if value is None:
        return "–"
    if value >= 1 << 30:
        return f"{value / (1 << 30):.2f} GiB"
    if value >= 1 << 20:
        return f"{value / (1 << 20):.1f} MiB"
    return f"{value / 1024:.0f} KiB"


def fmt_ratio(ratio: float | None) -> str:
    if ratio is None or not math.isfinite(ratio):
        return "–"
    if ratio >= 100:
        return f"{ratio:,.0f}×"
    if ratio >= 10:
        return f"{ratio:.1f}×"
    return f"{ratio:.2f}×"
