"""All-pairs lists of a big saved index, a range of rows per run, resumable.

On two cores, a million articles' lists take hours, longer than one sitting of the
machine this benchmark runs on. This command computes them a range of rows at a time,
each range measured as the scale benchmark measures a phase (wall time, CPU of the
process and its workers, peak RSS) and written to ``WORK/ranges/`` as soon as it is
done, so a later run picks up where an earlier one stopped::

    python -m benchmarks.scale_ranges INDEX WORK --minutes 60      # as often as needed
    python -m benchmarks.scale_ranges INDEX WORK --finish --fit FIT.json --corpus C.jsonl

``INDEX`` is a fitted index saved without lists; ``FIT.json`` holds its fit as
``measure`` recorded it (``{"fit": {...}}``). ``--finish`` pastes the ranges together
(the same bits as one pass: ranges start and end on block boundaries, see
``tests/test_candidates.py``), then measures save, export and sampled recall, checks
the export as ``benchmarks.scale`` does, and writes ``scale-N-wW.json`` into ``--out``
for the report, its all-pairs phase the sum of the ranges (peaks: the largest).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from .harness import SCHEMA_VERSION, environment, now, say
from .scale import SCALE_OUT, check_against_index, check_export, write_report
from .scale_child import _shut_down_workers, build_total, measure, sampled_agreement
from .synthetic import GENERATOR_VERSION

#: Rows per range, rounded down to whole blocks: about 15 minutes at a million articles.
RANGE_ROWS = 50_000

#: What the result keeps of each range's record, for the report's table of ranges.
RANGE_FIELDS = ("start", "stop", "git", "created", "load_average", "wall_s", "cpu_s",
                "workers_cpu_s", "peak_rss_mb", "peak_rss_shm_once_mb")


def range_starts(n: int, block: int, rows: int) -> list[int]:
    """First row of each range: whole blocks, the last range ending at ``n``."""
    step = max(block, rows // block * block)
    return list(range(0, n, step))


def _paths(work: Path, start: int) -> tuple[Path, Path, Path]:
    stem = work / "ranges" / f"rows-{start:09d}"
    return stem.with_suffix(".ids.npy"), stem.with_suffix(".scores.npy"), \
        stem.with_suffix(".json")


def _write_atomically(path: Path, write) -> None:
    temporary = path.with_name(path.name + ".tmp")
    with open(temporary, "wb") as stream:
        write(stream)
        stream.flush()
        os.fsync(stream.fileno())
    os.replace(temporary, path)


def compute_ranges(index: Any, work: Path, *, k: int, rows: int, minutes: float) -> int:
    """Compute and write the ranges not yet done, until ``minutes`` have passed; how many
    ranges are left."""
    started = time.monotonic()
    (work / "ranges").mkdir(parents=True, exist_ok=True)
    block = index._block_rows()
    starts = range_starts(len(index), block, rows)
    step = starts[1] - starts[0] if len(starts) > 1 else len(index)
    left = [s for s in starts if not _paths(work, s)[2].is_file()]
    code = environment(None)["git"]  # the code this run loaded, whatever is committed later
    say(f"{len(index):,} articles, {len(starts)} ranges of {step:,} rows "
        f"(blocks of {block}); {len(left)} to do")
    index._term_index()  # made once for every range (a range alone drops what it made)
    for number, start in enumerate(left):
        if number and time.monotonic() - started > minutes * 60:
            break
        stop = min(len(index), start + step)
        (ids, scores), figures = measure(
            f"rows {start:,}-{stop:,}",
            lambda: index._list_arrays(k, exact=False, rows=range(start, stop)),
            interval_s=0.5)
        ids_path, scores_path, record_path = _paths(work, start)
        _write_atomically(ids_path, lambda f: np.save(f, ids))
        _write_atomically(scores_path, lambda f: np.save(f, scores))
        record = {"start": start, "stop": stop, "k": k, "block": block, "git": code,
                  "created": now(), "load_average": list(os.getloadavg()), **figures}
        _write_atomically(record_path, lambda f: f.write(json.dumps(record).encode()))
    remaining = sum(not _paths(work, s)[2].is_file() for s in starts)
    say(f"{remaining} ranges left")
    return remaining


def summed_phase(records: list[dict[str, Any]]) -> dict[str, Any]:
    """One phase from its ranges: times added up, peaks the largest."""
    total = {key: round(sum(r[key] for r in records), 3)
             for key in ("wall_s", "cpu_s", "workers_cpu_s", "cpu_total_s")}
    peaks = {key: max(r[key] for r in records)
             for key in ("peak_rss_mb", "peak_rss_shm_once_mb", "self_peak_rss_mb",
                         "workers_peak_rss_mb")}
    return {**total, **peaks, "ranges": len(records)}


def finish(index: Any, work: Path, *, k: int, rows: int, fit: dict[str, Any],
           corpus: Path, seed: int) -> dict[str, Any]:
    """Paste the ranges, measure save, export and recall, check; the result."""
    from recommender.export import export_jsonl

    starts = range_starts(len(index), index._block_rows(), rows)
    missing = [s for s in starts if not _paths(work, s)[2].is_file()]
    if missing:
        raise SystemExit(f"{len(missing)} ranges are not computed yet (first: row "
                         f"{missing[0]:,}); run without --finish first")
    records = [json.loads(_paths(work, s)[2].read_text(encoding="utf-8")) for s in starts]
    index.lists_ = (np.concatenate([np.load(_paths(work, s)[0]) for s in starts]),
                    np.concatenate([np.load(_paths(work, s)[1]) for s in starts]))
    index.lists_exact_ = False
    phases = {"fit": fit["fit"], "all_pairs": summed_phase(records)}
    index_dir, export_path = work / "index", work / "related.jsonl"
    _, phases["save"] = measure("save", lambda: index.save(index_dir), interval_s=0.5)
    exported, phases["export"] = measure(
        "export", lambda: export_jsonl(index, export_path, k=k), interval_s=0.5)
    recall, phases["recall"] = measure("recall", lambda: sampled_agreement(index, k, 200),
                                       interval_s=0.5)
    _shut_down_workers()
    n = len(index)
    checks = check_export(export_path, n, k, seed=seed)
    checks["problems"] += check_against_index(index_dir, checks["sample"], k)
    checks["spot_checked"] = [record["id"] for record in checks.pop("sample")]
    cpu = sum(p["cpu_total_s"] for p in phases.values())
    mean_words = fit.get("mean_words", 300)
    return {
        "benchmark": "scale", "schema": SCHEMA_VERSION, "created": now(),
        "parameters": {"articles": n, "mean_words": mean_words, "seed": seed, "k": k,
                       "n_jobs": -1, "threads": None, "interval_s": 0.5, "argv": sys.argv},
        "corpus": {"source": "benchmarks.synthetic.generate",
                   "generator_version": GENERATOR_VERSION, "articles": n,
                   "mean_words": mean_words, "seed": seed, "bytes": corpus.stat().st_size,
                   "generation": {"reused": True}},
        "environment": environment(None),
        "reader": "iter_articles", "n_jobs": -1, "n_jobs_effective": os.cpu_count(),
        "k": k, "imports_s": 0.0, "load_average_start": records[0]["load_average"],
        "phases": phases, "build": build_total(phases), "agreement": recall,
        "counts": {"articles": n, "vocabulary": len(index.vocabulary_),
                   "exported_lists": exported.articles},
        "bytes": {"index": sum(f.stat().st_size for f in index_dir.iterdir()),
                  "export": export_path.stat().st_size},
        "rusage": {"process_tree": {"cpu_s": round(cpu, 1)},
                   "children": {"maxrss_mb": max(p["workers_peak_rss_mb"]
                                                 for p in phases.values())}},
        "ranges": {"count": len(records), "rows": records[0]["stop"] - records[0]["start"],
                   "note": "all-pairs computed a range of rows per run, over several runs, "
                   "from the saved fitted index; its times are the ranges' sums",
                   "each": [{key: r.get(key) for key in RANGE_FIELDS} for r in records]},
        "checks": checks,
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.scale_ranges",
                                description=__doc__.split("\n\n")[0])
    p.add_argument("index", type=Path, help="fitted index saved without lists")
    p.add_argument("work", type=Path, help="folder for the ranges, the index and the export")
    p.add_argument("-k", "--k", type=int, default=10)
    p.add_argument("--rows", type=int, default=RANGE_ROWS, help="rows per range")
    p.add_argument("--minutes", type=float, default=60.0,
                   help="start no new range after this many minutes (default 60)")
    p.add_argument("--finish", action="store_true")
    p.add_argument("--fit", type=Path, help="JSON with the fit phase (for --finish)")
    p.add_argument("--corpus", type=Path, help="the corpus file (for --finish)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", type=Path, default=SCALE_OUT)
    args = p.parse_args(argv)
    from recommender import RelatedIndex

    index = RelatedIndex.load(args.index)
    index._settings["n_jobs"] = -1  # all cores, whatever the fit saved
    if not args.finish:
        compute_ranges(index, args.work, k=args.k, rows=args.rows, minutes=args.minutes)
        return 0
    if args.fit is None or args.corpus is None:
        p.error("--finish needs --fit and --corpus")
    fit = json.loads(args.fit.read_text(encoding="utf-8"))
    result = finish(index, args.work, k=args.k, rows=args.rows, fit=fit, corpus=args.corpus,
                    seed=args.seed)
    args.out.mkdir(parents=True, exist_ok=True)
    name = f"scale-{result['parameters']['articles']}-w{result['parameters']['mean_words']}"
    (args.out / f"{name}.json").write_text(json.dumps(result, indent=1) + "\n",
                                           encoding="utf-8")
    write_report(args.out)
    problems = result["checks"]["problems"]
    for problem in problems:
        say(f"  problem: {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
