"""The command line shared by ``python -m benchmarks`` and each ``bench_*`` script."""

from __future__ import annotations

import argparse
import json
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from . import bench_all_pairs, bench_build, bench_cli, bench_related, bench_similar, bench_storage
from .gates import GATE_SIZE, Outcome, evaluate, failures, format_outcome
from .harness import (
    CHARTS,
    DEFAULT_OUT,
    environment,
    fmt_ratio,
    fmt_seconds,
    limit_threads,
    now,
    say,
    write_result,
)
from .workspace import Config, Workspace

#: Scripts in the order they run for each size: build first (its fit is shared), then
#: all pairs (its exact run gives the reference lists), then the rest.
BENCHMARKS: dict[str, Callable[[Workspace], Any]] = {
    "build": bench_build.run,
    "all_pairs": bench_all_pairs.run,
    "related": bench_related.run,
    "similar": bench_similar.run,
    "storage": bench_storage.run,
    "cli": bench_cli.run,
}

#: --quick: the CI run. Essays are shorter than the magazine's 1,200 words so that
#: building 10,000 of them several times fits in CI's minutes.
QUICK = {"sizes": [1_000, GATE_SIZE], "mean_words": 300, "queries": 100, "warmup": 5,
         "repeats": 3, "budget_s": 20.0, "query_budget_s": 8.0, "cli_runs": 10}
#: The full run (the issue's 100k targets): the magazine's essay length.
FULL = {"sizes": [1_000, 10_000, 100_000], "mean_words": 1200, "queries": 200, "warmup": 5,
        "repeats": 5, "budget_s": 300.0, "query_budget_s": 30.0, "cli_runs": 20}


def parser(prog: str = "python -m benchmarks") -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog=prog, description="Speed benchmarks of recommender against the baselines a "
        "user would pick, on generated essays; one JSON per script and size, then a "
        "Markdown report with charts.")
    p.add_argument("--quick", action="store_true",
                   help=f"CI mode: {QUICK['sizes'][0]:,} and {GATE_SIZE:,} articles of "
                   f"~{QUICK['mean_words']} words, fewer repeats; exit 1 when a gate fails")
    p.add_argument("--sizes", type=int, nargs="+", metavar="N", help="corpus sizes")
    p.add_argument("--mean-words", type=int, help="median body length of the essays")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--k", type=int, default=10, help="list length (default 10)")
    p.add_argument("--threads", type=int, default=2,
                   help="cap of native thread pools and of the baselines' threads "
                   "(default 2; 0: no cap)")
    p.add_argument("--queries", type=int, help="timed queries per method")
    p.add_argument("--warmup", type=int, help="untimed queries before them")
    p.add_argument("--repeats", type=int, help="timed runs of whole-corpus operations")
    p.add_argument("--budget", type=float, dest="budget_s",
                   help="seconds after which a whole-corpus method stops repeating")
    p.add_argument("--query-budget", type=float, dest="query_budget_s",
                   help="seconds after which a per-query method stops (min. 20 queries)")
    p.add_argument("--cli-runs", type=int, help="timed cold starts of each command")
    p.add_argument("--only", action="append", metavar="NAME",
                   help=f"run only these scripts ({', '.join(BENCHMARKS)}), repeatable or "
                   "comma-separated")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT, help="results folder")
    p.add_argument("--cache", type=Path, help="generated corpora (default OUT/corpora)")
    p.add_argument("--corpus", type=Path, dest="corpus_file",
                   help="use this JSON Lines corpus (made by benchmarks.synthetic with the "
                   "given --seed and --mean-words) instead of generating; one size only")
    p.add_argument("--charts", type=Path,
                   help=f"chart folder (default {CHARTS.relative_to(CHARTS.parents[1])} for "
                   "a full run into the default OUT, else OUT/charts)")
    p.add_argument("--no-gate-cli", action="store_true",
                   help="do not gate the cold CLI at <= 1.5x python -c 'import numpy' "
                   "(reported all the same)")
    p.add_argument("--no-report", action="store_true", help="write no report")
    p.add_argument("--report-only", action="store_true",
                   help="only rebuild the report from the JSON in OUT")
    return p


def config_from(args: argparse.Namespace, argv: list[str]) -> tuple[Config, list[int]]:
    defaults = QUICK if args.quick else FULL
    pick = {key: getattr(args, key) if getattr(args, key, None) is not None else defaults[key]
            for key in defaults}
    threads = None if args.threads == 0 else args.threads
    config = Config(out=args.out, quick=args.quick, mean_words=pick["mean_words"],
                    seed=args.seed, k=args.k, threads=threads, queries=pick["queries"],
                    warmup=pick["warmup"], repeats=pick["repeats"], budget_s=pick["budget_s"],
                    query_budget_s=pick["query_budget_s"], cli_runs=pick["cli_runs"],
                    cache=args.cache, corpus_file=args.corpus_file, argv=argv)
    return config, list(pick["sizes"])


def default_charts(config: Config) -> Path:
    """Committed charts come from full runs into the default folder; anything else keeps
    its charts beside its results."""
    if not config.quick and config.out.resolve() == DEFAULT_OUT.resolve():
        return CHARTS
    return config.out / "charts"


def selected(only: list[str] | None, p: argparse.ArgumentParser) -> list[str]:
    if not only:
        return list(BENCHMARKS)
    names = [part.strip() for value in only for part in value.split(",") if part.strip()]
    unknown = sorted(set(names) - set(BENCHMARKS))
    if unknown:
        p.error(f"unknown script(s) {', '.join(unknown)}; known: {', '.join(BENCHMARKS)}")
    return [name for name in BENCHMARKS if name in names]


def summary_lines(result: dict[str, Any]) -> list[str]:
    """One line per method: p50, p95, throughput, recall, speed-up over the reference."""
    bench, n = result["benchmark"], result["parameters"]["articles"]
    base = result.get("ratio_baseline", "sklearn_brute")
    lines = [f"{bench} @ {n:,} articles (speed-up vs {base}):"]
    for name, entry in result["methods"].items():
        lat = entry["latency_s"]
        recall = entry.get("recall_at_k")
        ratio = (entry.get("vs_" + base) or {}).get("speedup")
        memory = entry.get("memory") or {}
        rss = memory.get("rss_delta_mb")
        rss_text = f"+{rss:,.0f} MB" if rss is not None else \
            f"{memory.get('peak_rss_mb', 0):,.0f} MB peak"
        lines.append(
            f"  {name:<20} p50 {fmt_seconds(lat['median_s']):>10}  p95 "
            f"{fmt_seconds(lat['p95_s']):>10}  p99 {fmt_seconds(lat['p99_s']):>10}  "
            f"n={lat['n']:<4} {entry['throughput_per_s']:>12,.1f}/s  {rss_text:>12}  "
            f"recall {'–' if recall is None else f'{recall:.3f}':>5}  {fmt_ratio(ratio):>8}")
    for name, reason in result.get("skipped", {}).items():
        lines.append(f"  {name:<20} skipped: {reason}")
    if "ratio_to_numpy" in result:
        r = result["ratio_to_numpy"]
        lines.append(f"  cold CLI / python -c 'import numpy': {r['median_ratio']:.2f}× "
                     f"(per round p10–p90 {r['per_round_p10']:.2f}–{r['per_round_p90']:.2f}; "
                     f"target ≤ {r['target']})")
    return lines


def main(argv: list[str] | None = None, *, only: list[str] | None = None,
         prog: str = "python -m benchmarks") -> int:
    p = parser(prog)
    raw = sys.argv[1:] if argv is None else list(argv)
    args = p.parse_args(raw)
    if only is not None:
        args.only = (args.only or []) + only if args.only else only
    names = selected(args.only, p)
    config, sizes = config_from(args, raw)
    if any(n < 20 for n in sizes):
        p.error("--sizes: every corpus needs at least 20 articles")
    if config.corpus_file is not None and len(sizes) != 1:
        p.error("--corpus takes one size (--sizes N)")
    from . import report

    charts = args.charts or default_charts(config)
    if args.report_only:
        return report.main_report(config.out, charts)

    if config.quick:
        say(f"quick mode: {', '.join(f'{n:,}' for n in sizes)} articles; essays of "
            f"~{config.mean_words} words (the magazine's are ~1,200) so that CI builds "
            f"10,000 of them in minutes; gates at {GATE_SIZE:,} articles")
    results: list[dict[str, Any]] = []
    crashes: list[Outcome] = []
    with limit_threads(config.threads):
        for n in sizes:
            workspace = Workspace(config, n)
            try:
                for name in names:
                    try:
                        produced = BENCHMARKS[name](workspace)
                    except Exception as exc:  # a crash is a wrong result: report, go on
                        traceback.print_exc()
                        crashes.append(Outcome(f"{name}: crashed", "correctness", name, n,
                                               None, 0.0, True, False,
                                               f"{type(exc).__name__}: {exc}"))
                        continue
                    for result in produced if isinstance(produced, list) else [produced]:
                        path = write_result(result, config.out)
                        results.append(json.loads(path.read_text(encoding="utf-8")))
                        print("\n".join(summary_lines(result)), flush=True)
                        say(f"wrote {path}")
            finally:
                workspace.close()

    outcomes = crashes + evaluate(results, gates=config.quick, gate_cli=not args.no_gate_cli)
    print("\nchecks:")
    for outcome in outcomes:
        print("  " + format_outcome(outcome))
    failed = failures(outcomes)
    run = {"created": now(), "argv": raw, "config": config.to_json(), "sizes": sizes,
           "scripts": names, "environment": environment(config.threads),
           "outcomes": [o.to_json() for o in outcomes],
           "failed": [o.to_json() for o in failed]}
    config.out.mkdir(parents=True, exist_ok=True)
    (config.out / "speed-run.json").write_text(json.dumps(run, indent=1, ensure_ascii=False)
                                               + "\n", encoding="utf-8")
    if not args.no_report and results:
        report.main_report(config.out, charts)
    if failed:
        say(f"{len(failed)} check(s) failed:")
        for outcome in failed:
            say("  " + format_outcome(outcome))
        return 1
    say("all checks passed" + (" (gates included)" if config.quick else ""))
    return 0
