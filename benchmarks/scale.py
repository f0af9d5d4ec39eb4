"""``python -m benchmarks.scale``: build, all-pairs and export on 100k, 300k and 1M articles.

For each size in ``--sizes`` (default 100,000, 300,000 and 1,000,000 essays of
``--mean-words`` 300 words), in order:

1. the corpus is written to ``WORK/<size>/`` as JSON Lines by the generator's command
   line (``python -m benchmarks.synthetic``, which streams it to disk a block at a
   time), timed;
2. a fresh Python process (:mod:`benchmarks.scale_child`) fits the index, keeps every
   list (``precompute(10)``), saves it and exports the lists as JSON Lines, measuring
   each phase: wall and CPU time, peak RSS of the process and its workers;
3. the output is checked: one export line per article, in id order, every list at most
   ``k`` long, sorted by score, without the article itself or repeats, naming only
   indexed articles, and a few lists read back from the saved index
   (``recommender.lookup.related``) equal to the exported ones;
4. the result goes to ``OUT/scale-<size>-w<words>.json``, and the work folder of that
   size is removed (``--keep`` keeps it).

Then the report is rebuilt from every ``scale-*.json`` in ``OUT``
(:mod:`benchmarks.scale_report`): ``SCALE.md`` and a chart per essay length. With the
default ``OUT`` (``benchmarks/results/scale``) they go to ``benchmarks/SCALE.md`` and
``benchmarks/charts/``, to be committed; otherwise into ``OUT``. Exit status 1 as soon
as a process fails (its output is shown) or a check fails; the sizes measured before
stay in the report.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections import deque
from pathlib import Path
from typing import Any

from . import synthetic
from .harness import CHARTS, DEFAULT_OUT, ROOT, SCHEMA_VERSION, now, say, write_json
from .scale_report import read_scale_results, write_scale_report
from .workspace import corpus_name

DEFAULT_SIZES = (100_000, 300_000, 1_000_000)
SCALE_OUT = DEFAULT_OUT / "scale"
#: Export lines compared with the saved index's own answer.
SPOT_CHECKS = 5


class ScaleError(RuntimeError):
    """A process of the run failed, or its output is wrong."""


def run_process(command: list[str], label: str) -> dict[str, float]:
    """Run ``command`` from the repository root, echoing its output line by line.

    Returns
    -------
    dict
        ``wall_s``; ``cpu_s`` and ``maxrss_mb`` from ``wait4``: the CPU time of the
        process and of every descendant it waited for, and the largest peak RSS among
        them (not a sum).

    Raises
    ------
    ScaleError
        When it exits non-zero or is killed, with its last lines of output.
    """
    tail: deque[str] = deque(maxlen=40)
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               errors="replace")
    assert process.stdout is not None
    with process.stdout:
        for line in process.stdout:
            tail.append(line.rstrip("\n"))
            say(f"  {label} | {tail[-1]}")
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = code = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - started
    if code != 0:
        how = f"killed by signal {-code}" + (" (out of memory?)" if code == -9 else "") \
            if code < 0 else f"exit status {code}"
        raise ScaleError(f"{label} failed ({how}) after {wall:,.1f} s: {' '.join(command)}\n"
                         "its last output:\n" + "\n".join(f"    {t}" for t in tail))
    return {"wall_s": round(wall, 3), "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
            "maxrss_mb": round(usage.ru_maxrss / 1024, 1)}


# -- checks ---------------------------------------------------------------------------------


def _list_problems(record: dict[str, Any], k: int) -> list[str]:
    """What is wrong with one export line's list (empty when nothing)."""
    own, items = record["id"], record["related"]
    ids = [item["id"] for item in items]
    found = []
    if len(items) > k:
        found.append(f"{len(items)} items, more than k = {k}")
    if own in ids:
        found.append("lists the article itself")
    if len(set(ids)) != len(ids):
        found.append("lists an article twice")
    pinned = [bool(item.get("pinned")) for item in items]
    if pinned != sorted(pinned, reverse=True):
        found.append("a pinned item after an unpinned one")
    scores = [item["score"] for item in items if not item.get("pinned")]
    if any(not (isinstance(s, int | float) and 0 < s <= 1) for s in scores):
        found.append(f"a score outside (0, 1]: {scores}")
    elif any(a < b for a, b in zip(scores, scores[1:], strict=False)):
        found.append(f"scores not in descending order: {scores}")
    return found


def check_export(path: Path, n: int, k: int, *, seed: int) -> dict[str, Any]:
    """Read the JSON Lines export once and check every list (see the module docstring).

    Returns
    -------
    dict
        ``lines``, ``mean_list_length``, ``full_lists`` (lists of length ``k``),
        ``problems`` (up to 20, each naming the line) and ``sample``: a few seeded
        records, for :func:`check_against_index`.
    """
    problems: list[str] = []
    listed: set[str] = set()
    indexed: set[str] = set()
    wanted = set(random.Random(seed).sample(range(n), min(SPOT_CHECKS, n)))
    sample: list[dict[str, Any]] = []
    lines = total = full = 0
    previous = None
    with open(path, encoding="utf-8") as export:
        for lines, text in enumerate(export, 1):
            record = json.loads(text)
            own = record["id"]
            if previous is not None and own <= previous:
                problems.append(f"line {lines}: id {own!r} not after {previous!r}")
            previous = own
            indexed.add(own)
            listed.update(item["id"] for item in record["related"])
            total += len(record["related"])
            full += len(record["related"]) == k
            problems += [f"line {lines} ({own}): {p}" for p in _list_problems(record, k)]
            if lines - 1 in wanted:
                sample.append(record)
    if lines != n:
        problems.append(f"{lines:,} lines for {n:,} articles")
    unknown = listed - indexed
    if unknown:
        problems.append(f"{len(unknown):,} listed ids are not indexed, e.g. {min(unknown)!r}")
    return {"lines": lines, "mean_list_length": total / lines if lines else math.nan,
            "full_lists": full, "problems": problems[:20], "problem_count": len(problems),
            "sample": sample}


def check_against_index(index_dir: Path, sample: list[dict[str, Any]], k: int) -> list[str]:
    """Problems where the saved index's list of a sampled article differs from the export."""
    from recommender.lookup import related

    problems = []
    for record in sample:
        items, _ = related(index_dir, record["id"], k)
        got = [(item.id, item.score) for item in items]
        want = [(item["id"], item["score"]) for item in record["related"]]
        if got != want:
            problems.append(f"{record['id']}: saved index lists {got[:3]}..., export "
                            f"{want[:3]}...")
    return problems


# -- one size -------------------------------------------------------------------------------


def generate_corpus(path: Path, n: int, *, mean_words: int, seed: int) -> dict[str, Any]:
    """Write the corpus with the generator's command line (reused when the file exists:
    it is written atomically, so it is complete)."""
    if path.is_file():
        say(f"[{n:,}] reusing {path}")
        return {"reused": True}
    say(f"[{n:,}] generating {n:,} essays of ~{mean_words} words -> {path}")
    return {"reused": False, **run_process(
        [sys.executable, "-m", "benchmarks.synthetic", "--n", str(n), "--seed", str(seed),
         "--mean-words", str(mean_words), "--out", str(path)], "generate")}


def run_size(n: int, args: argparse.Namespace, folder: Path, argv: list[str]) -> dict[str, Any]:
    """Generate, measure in a child process and check one corpus size; the result."""
    folder.mkdir(parents=True, exist_ok=True)
    corpus = folder / corpus_name(n, args.mean_words, args.seed)
    generation = generate_corpus(corpus, n, mean_words=args.mean_words, seed=args.seed)
    child_json = folder / "child.json"
    command = [sys.executable, "-m", "benchmarks.scale_child", str(corpus), str(folder),
               "--result", str(child_json), "--n-jobs", str(args.n_jobs), "--k", str(args.k),
               "--interval", str(args.interval)]
    if args.threads:
        command += ["--threads", str(args.threads)]
    say(f"[{n:,}] measuring fit, all-pairs, save and export in a fresh process")
    tree = run_process(command, "child")
    child = json.loads(child_json.read_text(encoding="utf-8"))
    say(f"[{n:,}] checking the export and the saved index")
    checks = check_export(folder / "related.jsonl", n, args.k, seed=args.seed)
    checks["problems"] += check_against_index(folder / "index", checks["sample"], args.k)
    checks["spot_checked"] = [record["id"] for record in checks.pop("sample")]
    if child["counts"]["articles"] != n:
        checks["problems"].append(f"{child['counts']['articles']:,} articles indexed, {n:,} "
                                  "generated")
    env = child.pop("environment")
    child["rusage"]["process_tree"] = tree
    return {
        "benchmark": "scale", "schema": SCHEMA_VERSION, "created": now(),
        "parameters": {"articles": n, "mean_words": args.mean_words, "seed": args.seed,
                       "k": args.k, "n_jobs": args.n_jobs, "threads": args.threads or None,
                       "interval_s": args.interval, "argv": argv},
        "corpus": {"source": "benchmarks.synthetic.generate",
                   "generator_version": synthetic.GENERATOR_VERSION, "articles": n,
                   "mean_words": args.mean_words, "seed": args.seed,
                   "bytes": corpus.stat().st_size, "generation": generation},
        "environment": env, **child, "checks": checks,
    }


# -- command line ---------------------------------------------------------------------------


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m benchmarks.scale",
                                description="Build, all-pairs top-k and export on large "
                                "generated corpora, each size in a fresh process: wall and "
                                "CPU time, peak RSS, index size; JSON, a table and a chart.")
    p.add_argument("--sizes", type=int, nargs="+", default=list(DEFAULT_SIZES), metavar="N",
                   help="corpus sizes (default 100000 300000 1000000)")
    p.add_argument("--mean-words", type=int, default=300,
                   help="median body length in words (default 300)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--n-jobs", type=int, default=-1, help="processes (default -1: all cores)")
    p.add_argument("-k", "--k", type=int, default=10, help="list length (default 10)")
    p.add_argument("--threads", type=int, default=0,
                   help="cap native thread pools in the measured process (default 0: no "
                   "cap, as the CLI)")
    p.add_argument("--interval", type=float, default=0.2,
                   help="seconds between memory samples (default 0.2)")
    p.add_argument("--out", type=Path, default=SCALE_OUT,
                   help=f"results folder (default {SCALE_OUT.relative_to(ROOT)})")
    p.add_argument("--work", type=Path,
                   help="work folder for corpora, indexes and exports (default: a new "
                   "temporary folder); a corpus already in it is reused")
    p.add_argument("--keep", action="store_true", help="keep the work folder")
    p.add_argument("--report-only", action="store_true",
                   help="only rebuild the report from the JSON results in OUT")
    return p


def report_paths(out: Path) -> tuple[Path, Path]:
    """Where the report and the charts go: beside the benchmarks for the default OUT
    (committed), else into OUT."""
    if out.resolve() == SCALE_OUT.resolve():
        return ROOT / "benchmarks" / "SCALE.md", CHARTS
    return out / "SCALE.md", out


def write_report(out: Path) -> int:
    results = read_scale_results(out)
    if not results:
        say(f"no scale-*.json results in {out}")
        return 1
    path, charts = report_paths(out)
    write_scale_report(results, path, charts)
    say(f"wrote {path} (charts in {charts})")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run the scale benchmark; 0 when every size ran and passed its checks."""
    raw = sys.argv[1:] if argv is None else list(argv)
    args = parser().parse_args(raw)
    if args.report_only:
        return write_report(args.out)
    if any(n < 20 for n in args.sizes):
        parser().error("--sizes: every corpus needs at least 20 articles")
    args.out.mkdir(parents=True, exist_ok=True)
    work = args.work or Path(tempfile.mkdtemp(prefix="recommender-scale-"))
    status = 0
    try:
        for n in args.sizes:
            folder = work / f"{n}-w{args.mean_words}"
            try:
                result = run_size(n, args, folder, raw)
            except ScaleError as error:
                say(f"[{n:,}] {error}")
                status = 1
                break
            problems = result["checks"]["problems"]
            if problems:
                say(f"[{n:,}] {result['checks']['problem_count']:,} wrong result(s):")
                for problem in problems:
                    say(f"    {problem}")
                write_json(result, args.out / f"failed-scale-{n}-w{args.mean_words}.json")
                status = 1
                break
            path = write_json(result, args.out / f"scale-{n}-w{args.mean_words}.json")
            build = result["build"]
            say(f"[{n:,}] build {build['wall_s']:,.1f} s, export "
                f"{result['phases']['export']['wall_s']:,.1f} s, peak "
                f"{max(p['peak_rss_mb'] for p in result['phases'].values()):,.0f} MB -> {path}")
            if not args.keep:
                shutil.rmtree(folder, ignore_errors=True)
    finally:
        if args.keep:
            say(f"work folder kept: {work}")
        elif args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    if read_scale_results(args.out):
        write_report(args.out)
    return status


if __name__ == "__main__":
    sys.exit(main())
