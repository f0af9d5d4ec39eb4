"""Report of the speed suite: a Markdown table per operation and PNG charts.

``python -m benchmarks.report [--out DIR] [--charts DIR]`` rebuilds ``DIR/REPORT.md``
from the ``speed-*.json`` results there (``python -m benchmarks`` calls it at the end).
Results are grouped by essay length (quick runs use shorter essays than full ones);
within a group, each operation gets a table (every size, every method: p50, p95, p99,
throughput, peak memory, index size, recall@k, speed-up over scikit-learn) and a chart
(``speed-<operation>-w<words>.png``: p50 latency and throughput against corpus size,
log-log, one line per method). Charts need matplotlib; without it the report says so.
"""

from __future__ import annotations

import argparse
import math
import os
from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import Any

from .gates import evaluate, format_outcome
from .harness import (
    CHARTS,
    DEFAULT_OUT,
    fmt_bytes,
    fmt_ratio,
    fmt_seconds,
    read_results,
    say,
)

#: Operations in report order, with their titles and throughput units.
OPERATIONS = {
    "build": ("Build (fit)", "articles/s"),
    "related": ("related(id)", "lookups/s"),
    "similar": ("similar(text)", "queries/s"),
    "all_pairs": ("related_all (every list)", "articles/s"),
    "save": ("save", "articles/s"),
    "load": ("load", "articles/s"),
    "cli": ("cold CLI: recommender related DIR ID", "processes/s"),
}


def _mb(value: float | None) -> str:
    return "–" if value is None else f"{value:,.0f} MB"


def _memory(entry: dict[str, Any]) -> str:
    memory = entry.get("memory") or {}
    if memory.get("rss_delta_mb") is None:
        return f"{_mb(memory.get('peak_rss_mb'))} peak"
    text = f"+{_mb(memory['rss_delta_mb'])}"
    if memory.get("children_peak_rss_mb"):
        text += f" (+{_mb(memory['children_peak_rss_mb'])} workers)"
    return text


def _recall(entry: dict[str, Any]) -> str:
    value = entry.get("recall_at_k")
    if value is None or not math.isfinite(value):
        return "–"
    text = f"{value:.3f}"
    return text if entry.get("kind") == "ours" else f"({text})"


def _mode(entry: dict[str, Any]) -> str:
    if entry.get("kind") != "ours":
        return "baseline"
    if entry.get("mode"):
        return entry["mode"]
    return {True: "exact", False: "approximate", None: ""}[entry.get("exact")]


def operation_table(results: list[dict[str, Any]]) -> list[str]:
    rows = ["| articles | method | mode | p50 | p95 | p99 | runs | throughput | memory | "
            "index on disk | recall@k | speed-up vs reference |",
            "|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for result in sorted(results, key=lambda r: r["parameters"]["articles"]):
        n = result["parameters"]["articles"]
        base = result.get("ratio_baseline", "sklearn_brute")
        for name, entry in result["methods"].items():
            lat = entry["latency_s"]
            ratio = (entry.get("vs_" + base) or {}).get("speedup")
            name_text = f"**{name}**" if entry.get("kind") == "ours" else name
            rows.append(
                f"| {n:,} | {name_text} | {_mode(entry)} | {fmt_seconds(lat['median_s'])} | "
                f"{fmt_seconds(lat['p95_s'])} | {fmt_seconds(lat['p99_s'])} | {lat['n']} | "
                f"{entry['throughput_per_s']:,.1f} | {_memory(entry)} | "
                f"{fmt_bytes(entry.get('index_bytes'))} | {_recall(entry)} | {fmt_ratio(ratio)} |")
        for name, reason in result.get("skipped", {}).items():
            rows.append(f"| {n:,} | {name} | skipped | {reason} | | | | | | | | |")
    return rows


def environment_lines(results: list[dict[str, Any]]) -> list[str]:
    """Markdown bullets: machine, versions, thread cap and git revision of the latest
    result, and when the results were measured."""
    latest = max(results, key=lambda r: r.get("created", ""))
    env = latest["environment"]
    versions = ", ".join(f"{k} {v}" for k, v in env["versions"].items() if v)
    threads = env["threads"]
    pools = ", ".join(f"{p['internal_api']} {p['num_threads']}"
                      for p in threads.get("threadpools") or [])
    created = sorted(r.get("created", "") for r in results)
    memory = f", {fmt_bytes(env['memory_bytes'])} RAM" if env.get("memory_bytes") else ""
    return [
        f"- machine: {env['cpu']}, {env['cores']} cores{memory}, {env['platform']}, "
        f"Python {env['python']}",
        f"- versions: {versions}",
        f"- thread cap: {threads.get('limit')} (native pools: {pools or 'none found'})",
        f"- git: {env['git'].get('commit')}{' (dirty)' if env['git'].get('dirty') else ''}",
        f"- measured: {created[0]} – {created[-1]} (UTC)",
    ]


def _describe(results: list[dict[str, Any]]) -> list[str]:
    quick = {r["parameters"].get("quick") for r in results}
    mode = {frozenset({True}): "quick (CI) mode", frozenset({False}): "full mode"}.get(
        frozenset(quick), "quick and full runs")
    lines = environment_lines(results)
    lines[-1] += f"; {mode}"
    return lines


def by_essay_length(results: list[dict[str, Any]]) -> dict[int, list[dict[str, Any]]]:
    """Results grouped by the essay length of their corpus, shortest first."""
    groups: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for result in results:
        groups[result["corpus"]["mean_words"]].append(result)
    return dict(sorted(groups.items()))


def write_report(results: list[dict[str, Any]], path: Path, charts: Path) -> Path:
    groups = by_essay_length(results)
    lines = ["# Speed", "",
             "Written by `python -m benchmarks` (`python -m benchmarks.report` rebuilds it from "
             "the `speed-*.json` files beside it). Every figure is measured in one process, on "
             "one generated corpus, with the baselines; the speed-up column is the reference "
             "method's median time over the method's (above 1: faster). The reference is "
             "scikit-learn brute force (`TfidfVectorizer` + `linear_kernel` + `argpartition`), "
             "`TfidfVectorizer.fit_transform` for the build. Recall@k is the agreement with the "
             "exact answer of our model; in parentheses for the baselines (their overlap with "
             "our exact lists: they rank by another model). Memory: rise of the process's "
             "peak RSS during the operation (plus worker processes), or the peak of a child "
             "process for the CLI. p95/p99 of whole-corpus operations come from few runs.",
             ""]
    charts.mkdir(parents=True, exist_ok=True)
    for words in sorted(groups, reverse=True):
        group = groups[words]
        lines += [f"## Essays of ~{words:,} words", ""] + _describe(group) + [""]
        outcomes = evaluate(group, gates=True)
        if outcomes:
            lines += ["### Checks", "", "| verdict | kind | articles | check | figure |",
                      "|---|---|---:|---|---|"]
            for o in outcomes:
                if o.kind == "target":
                    verdict = {True: "met", False: "missed", None: "n/a"}[o.passed]
                else:
                    verdict = {True: "pass", False: "**FAIL**", None: "n/a"}[o.passed]
                lines.append(f"| {verdict} | {o.kind} | {o.size:,} | {o.name} | {o.message} |")
            lines.append("")
        by_op: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for result in group:
            by_op[result["benchmark"]].append(result)
        for op, (title, unit) in OPERATIONS.items():
            if op not in by_op:
                continue
            lines += [f"### {title}", "", f"Throughput in {unit}.", ""]
            lines += operation_table(by_op[op])
            for result in by_op[op]:
                for note in result.get("notes") or ():
                    lines.append(f"\n- {result['parameters']['articles']:,}: {note}")
                if op == "cli" and "ratio_to_numpy" in result:
                    r = result["ratio_to_numpy"]
                    cv = {m: e.get("cv") for m, e in result["methods"].items()}
                    lines.append(
                        f"\n- {result['parameters']['articles']:,}: ours / `python -c \"import "
                        f"numpy\"` = {r['median_ratio']:.2f}× (target ≤ {r['target']}); per "
                        f"round {r['per_round_p10']:.2f}–{r['per_round_p90']:.2f} (p10–p90); "
                        "coefficient of variation: "
                        + ", ".join(f"{m} {v:.2f}" for m, v in cv.items() if v is not None))
                if op == "similar" and result.get("fastest_peer"):
                    peer = result["fastest_peer"]
                    lines.append(f"\n- {result['parameters']['articles']:,}: fastest peer "
                                 f"{peer['method']}; ours is {fmt_ratio(peer['speedup_of_ours'])}"
                                 " its speed (p50)")
            chart = charts / f"speed-{op}-w{words}.png"
            try:
                plot_operation(by_op[op], chart, f"{title} — essays of ~{words:,} words", unit)
            except ImportError:
                lines += ["", "(no chart: matplotlib is not installed)"]
            else:
                relative = os.path.relpath(chart, path.parent)
                lines += ["", f"![{title}: latency and throughput against corpus size]"
                          f"({relative})"]
            lines.append("")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def plot_operation(results: list[dict[str, Any]], path: Path, title: str, unit: str) -> None:
    """p50 latency and throughput against corpus size, log-log, one line per method."""
    latency: dict[str, list[tuple[float, float]]] = defaultdict(list)
    throughput: dict[str, list[tuple[float, float]]] = defaultdict(list)
    baselines = set()
    for result in results:
        n = result["parameters"]["articles"]
        for name, entry in result["methods"].items():
            latency[name].append((n, entry["latency_s"]["median_s"]))
            throughput[name].append((n, entry["throughput_per_s"]))
            if entry.get("kind", "baseline") != "ours":
                baselines.add(name)
    plot_loglog([("p50 latency (s)", latency), (f"throughput ({unit})", throughput)], path,
                title, dashed=baselines)


def plot_loglog(panels: Sequence[tuple[str, Mapping[str, Sequence[tuple[float, float]]]]],
                path: Path, title: str, *, dashed: Collection[str] = (),
                xlabel: str = "articles in the corpus") -> None:
    """Lines against corpus size, log-log, side by side: one panel per ``(y label,
    {line name: [(x, y), ...]})``; names in ``dashed`` are drawn dashed, and a name has
    the same colour in every panel. The last panel has a legend, and so has any other
    whose lines are not the same as the last's.

    Raises
    ------
    ImportError
        When matplotlib is not installed.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(panels), figsize=(5 * len(panels), 4), squeeze=False)
    last_names = set(panels[-1][1])
    colours = {name: f"C{i % 10}" for i, name in
               enumerate(sorted({name for _, series in panels for name in series}))}
    for position, (ax, (ylabel, series)) in enumerate(zip(axes[0], panels, strict=True)):
        for name, points in sorted(series.items()):
            points = sorted(points)
            ax.plot([p[0] for p in points], [p[1] for p in points],
                    "--" if name in dashed else "-", color=colours[name], marker="o",
                    markersize=4, label=name)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.grid(alpha=0.3, which="both")
        if position == len(panels) - 1 or set(series) != last_names:
            ax.legend(fontsize=8, loc="best")
    fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main_report(out: Path, charts: Path) -> int:
    results = read_results(out)
    if not results:
        say(f"no speed-*.json results in {out}: run python -m benchmarks first")
        return 1
    path = write_report(results, out / "REPORT.md", charts)
    say(f"wrote {path} (charts in {charts})")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.report",
                                     description="Rebuild REPORT.md and the speed charts.")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="results folder")
    parser.add_argument("--charts", type=Path, default=CHARTS, help="chart folder")
    args = parser.parse_args(argv)
    return main_report(args.out, args.charts)


if __name__ == "__main__":
    raise SystemExit(main())


__all__ = ["main", "main_report", "write_report", "plot_operation", "plot_loglog",
           "environment_lines", "by_essay_length", "format_outcome"]
