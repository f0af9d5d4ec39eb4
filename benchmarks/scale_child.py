"""One corpus of the scale benchmark, measured phase by phase in a fresh process.

``python -m benchmarks.scale_child CORPUS WORK --result FILE [--n-jobs N] [--k K]
[--threads N] [--interval S]`` is started by :mod:`benchmarks.scale` once per corpus
size, so that the peak memory it reports is this run's own. It runs, in order:

``fit``
    read the JSON Lines corpus and learn the index (``RelatedIndex(n_jobs=N).fit``),
    reading through ``recommender.iter_articles`` when the package has it (a stream of
    validated articles), else through ``load_articles`` (a list);
``all_pairs``
    ``index.precompute(K)``: every article's list, kept;
``save``
    ``index.save(WORK/index)``;
``export``
    ``recommender.export.export_jsonl(index, WORK/related.jsonl, k=K)``, from the kept
    lists;
``recall``
    the kept lists of ``--sample`` seeded articles against their exact lists
    (``related(id, k, exact=True)``, every article scored): recall@K and the share of
    identical lists. Not a build phase: it measures what the fast path gave up.

The first three are what ``recommender build FILE --out DIR`` does. For each phase:
wall time (``perf_counter``), CPU time of this process and of its worker processes
(joblib's, children of this one), and the peak resident memory of the whole process
tree (:class:`benchmarks.harness.PeakMemory`: this process's own peak exactly, the
tree's sampled every ``--interval`` seconds, summing VmRSS, and also with the shared
memory joblib maps into its workers counted once). At the end the workers are shut
down, so that ``getrusage(RUSAGE_CHILDREN)`` covers them, and the figures, counts and
environment are written to ``--result`` as JSON.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .harness import (
    PeakMemory,
    agreement,
    dir_bytes,
    environment,
    limit_threads,
    say,
    write_json,
)

#: Why ``rusage.self.maxrss_mb`` is not the run's peak.
RUSAGE_NOTE = ("self.maxrss_mb counts from the start of the last phase only: resetting the "
               "high-water mark for each phase (clear_refs) resets ru_maxrss too; "
               "children.maxrss_mb is the largest worker's peak over its life")

#: Phases in the order they run; the first three make up a build.
PHASES = ("fit", "all_pairs", "save", "export")
BUILD_PHASES = PHASES[:3]


def reader() -> tuple[str, Callable[..., Any]]:
    """The article reader to use: ``iter_articles`` when ``recommender`` exports it."""
    import recommender

    stream = getattr(recommender, "iter_articles", None)
    if stream is not None:
        return "iter_articles", stream
    return "load_articles", recommender.load_articles


def measure(label: str, work: Callable[[], Any], *, interval_s: float) -> tuple[Any, dict]:
    """Run ``work()`` once: its value, and its wall time, CPU time and peak memory."""
    with PeakMemory(children=True, interval_s=interval_s) as memory:
        cpu, wall = time.process_time(), time.perf_counter()
        value = work()
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    figures = memory.result
    phase = {"wall_s": round(wall, 3), "cpu_s": round(cpu, 2),
             "workers_cpu_s": figures["children_cpu_s"],
             "cpu_total_s": round(cpu + figures["children_cpu_s"], 2),
             "peak_rss_mb": figures["total_peak_rss_mb"],
             "peak_rss_shm_once_mb": figures["total_peak_shm_once_mb"],
             "self_peak_rss_mb": figures["peak_rss_mb"],
             "workers_peak_rss_mb": figures["children_peak_rss_mb"],
             "rss_before_mb": figures["rss_before_mb"], "memory": figures}
    say(f"  {label}: {wall:,.1f} s wall, {phase['cpu_total_s']:,.1f} s CPU "
        f"({phase['workers_cpu_s']:,.1f} s in workers), peak {phase['peak_rss_mb']:,.0f} MB")
    return value, phase


def sampled_agreement(index: Any, k: int, sample: int, seed: int = 0) -> dict[str, Any]:
    """Kept lists of ``sample`` seeded articles against their exact lists."""
    import numpy as np

    rows = np.sort(np.random.default_rng(seed).choice(len(index), min(sample, len(index)),
                                                      replace=False))
    ids = [index.ids_[row] for row in rows.tolist()]
    kept = [[item.id for item in index.related(ident, k)] for ident in ids]
    exact = [[item.id for item in index.related(ident, k, exact=True)] for ident in ids]
    return {"sample": len(ids), "seed": seed, "k": k, **agreement(kept, exact, k)}


def build_total(phases: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """What ``recommender build`` costs: the build phases' times added up, their peak."""
    parts = [phases[name] for name in BUILD_PHASES]
    return {"phases": list(BUILD_PHASES),
            "wall_s": round(sum(p["wall_s"] for p in parts), 3),
            "cpu_total_s": round(sum(p["cpu_total_s"] for p in parts), 2),
            "peak_rss_mb": max(p["peak_rss_mb"] for p in parts),
            "peak_rss_shm_once_mb": max(p["peak_rss_shm_once_mb"] for p in parts)}


def _shut_down_workers() -> None:
    """End joblib's reusable worker processes, so that they are waited for."""
    from joblib.externals.loky import get_reusable_executor

    get_reusable_executor().shutdown(wait=True)


def _rusage(who: int) -> dict[str, float]:
    usage = resource.getrusage(who)
    return {"maxrss_mb": round(usage.ru_maxrss / 1024, 1),
            "cpu_s": round(usage.ru_utime + usage.ru_stime, 2)}


def run(corpus: Path, work: Path, *, n_jobs: int, k: int, threads: int | None,
        interval_s: float, sample: int = 200) -> dict[str, Any]:
    """Measure every phase on ``corpus``, writing into ``work``; the result as a dict."""
    started, load = time.perf_counter(), os.getloadavg()
    from joblib import effective_n_jobs

    from recommender import RelatedIndex
    from recommender.export import export_jsonl

    read_name, read = reader()
    imports_s = time.perf_counter() - started
    index_dir, export_path = work / "index", work / "related.jsonl"
    phases: dict[str, dict[str, Any]] = {}
    with limit_threads(threads):
        index, phases["fit"] = measure(
            "fit", lambda: RelatedIndex(n_jobs=n_jobs).fit(read(corpus)),
            interval_s=interval_s)
        _, phases["all_pairs"] = measure("all-pairs", lambda: index.precompute(k),
                                         interval_s=interval_s)
        _, phases["save"] = measure("save", lambda: index.save(index_dir),
                                    interval_s=interval_s)
        exported, phases["export"] = measure(
            "export", lambda: export_jsonl(index, export_path, k=k), interval_s=interval_s)
        recall, phases["recall"] = measure(
            "recall", lambda: sampled_agreement(index, k, sample), interval_s=interval_s)
        say(f"  recall@{k} of the kept lists against exact ones, {recall['sample']} "
            f"articles: {recall['recall']:.4f} ({recall['identical']:.1%} identical)")
        env = environment(threads)   # after the phases: every native pool is loaded
    _shut_down_workers()
    return {
        "reader": read_name, "n_jobs": n_jobs, "n_jobs_effective": effective_n_jobs(n_jobs),
        "k": k, "imports_s": round(imports_s, 3), "load_average_start": list(load),
        "phases": phases,
        "build": build_total(phases),
        "agreement": recall,
        "counts": {"articles": len(index), "vocabulary": len(index.vocabulary_),
                   "exported_lists": exported.articles},
        "bytes": {"index": dir_bytes(index_dir), "export": dir_bytes(export_path)},
        "rusage": {"self": _rusage(resource.RUSAGE_SELF),
                   "children": _rusage(resource.RUSAGE_CHILDREN), "note": RUSAGE_NOTE},
        "environment": env,
    }


def main(argv: list[str] | None = None) -> int:
    """Measure one corpus and write the JSON result; exit status 0 on success."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.scale_child",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", type=Path, help="JSON Lines corpus")
    parser.add_argument("work", type=Path, help="folder for the index and the export")
    parser.add_argument("--result", type=Path, required=True, help="JSON result to write")
    parser.add_argument("--n-jobs", type=int, default=-1)
    parser.add_argument("-k", "--k", type=int, default=10)
    parser.add_argument("--threads", type=int, default=None,
                        help="cap of native thread pools (default: none, as the CLI)")
    parser.add_argument("--interval", type=float, default=0.2, dest="interval_s",
                        help="seconds between memory samples (default 0.2)")
    parser.add_argument("--sample", type=int, default=200,
                        help="articles whose kept list is checked against the exact one")
    args = parser.parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    result = run(args.corpus, args.work, n_jobs=args.n_jobs, k=args.k, threads=args.threads,
                 interval_s=args.interval_s, sample=args.sample)
    write_json(result, args.result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
