"""Report of the scale benchmark: Markdown tables and a log-log chart per essay length.

Reads the ``scale-<n>-w<words>.json`` results of :mod:`benchmarks.scale` in a folder,
so runs of different sizes made at different times add up to one table.
"""

from __future__ import annotations

import json
import os
from collections import defaultdict
from pathlib import Path
from typing import Any

from .harness import fmt_bytes, fmt_seconds, say
from .report import by_essay_length, environment_lines, plot_loglog

#: Phase names as the tables and the chart show them.
PHASE_TITLES = {"fit": "fit", "all_pairs": "all-pairs", "save": "save", "export": "export"}


def read_scale_results(out: Path) -> list[dict[str, Any]]:
    """Every ``scale-*.json`` result in ``out``, smallest corpus first."""
    results = []
    for path in out.glob("scale-*.json"):
        try:
            results.append(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, json.JSONDecodeError) as exc:
            say(f"skipping {path}: {exc}")
    return sorted(results, key=lambda r: r["parameters"]["articles"])


def peak_mb(result: dict[str, Any], key: str = "peak_rss_mb") -> float:
    """The largest peak RSS (process and workers) of any phase of a run."""
    return max(phase[key] for phase in result["phases"].values())


def _gib(mb: float) -> str:
    return fmt_bytes(int(mb * (1 << 20)))


def summary_table(results: list[dict[str, Any]]) -> list[str]:
    """One row per corpus size: build (and its phases), export, peak RSS, index size."""
    rows = ["| articles | build | of which fit | all-pairs | save | export | peak RSS "
            "(shared once) | index on disk | lists/s | recall@10 (sample) |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in results:
        phases = r["phases"]
        n = r["parameters"]["articles"]
        rows.append(
            f"| {n:,} | {fmt_seconds(r['build']['wall_s'])} | "
            + " | ".join(fmt_seconds(phases[p]["wall_s"]) for p in PHASE_TITLES)
            + f" | {_gib(peak_mb(r))} ({_gib(peak_mb(r, 'peak_rss_shm_once_mb'))}) | "
            f"{fmt_bytes(r['bytes']['index'])} | "
            f"{n / phases['all_pairs']['wall_s']:,.0f} | {_recall(r)} |")
    return rows


def _recall(result: dict[str, Any]) -> str:
    found = result.get("agreement")
    return "—" if found is None else f"{found['recall']:.3f} ({found['sample']})"


def phase_table(results: list[dict[str, Any]]) -> list[str]:
    """One row per size and phase: wall, CPU (this process and its workers), peak RSS."""
    rows = ["| articles | phase | wall | CPU: process + workers | peak RSS: process + workers "
            "| shared once | process peak | workers peak |",
            "|---:|---|---:|---:|---:|---:|---:|---:|"]
    for r in results:
        n = r["parameters"]["articles"]
        for name, title in PHASE_TITLES.items():
            p = r["phases"][name]
            rows.append(f"| {n:,} | {title} | {fmt_seconds(p['wall_s'])} | "
                        f"{p['cpu_s']:,.1f} + {p['workers_cpu_s']:,.1f} s | "
                        f"{_gib(p['peak_rss_mb'])} | {_gib(p['peak_rss_shm_once_mb'])} | "
                        f"{_gib(p['self_peak_rss_mb'])} | "
                        f"{_gib(p['workers_peak_rss_mb'])} |")
    return rows


def run_notes(results: list[dict[str, Any]]) -> list[str]:
    """A line per run: corpus, generation, counts, reader, workers, checks."""
    lines = []
    for r in results:
        corpus, counts, checks = r["corpus"], r["counts"], r["checks"]
        generation = corpus["generation"]
        made = "reused" if generation.get("reused") else \
            f"generated in {fmt_seconds(generation['wall_s'])}"
        lines.append(
            f"- {r['parameters']['articles']:,} articles: corpus {fmt_bytes(corpus['bytes'])} "
            f"({made}); {counts['vocabulary']:,} terms; read with `{r['reader']}`; "
            f"git {str(r['environment']['git'].get('commit'))[:7]}; "
            f"n_jobs {r['n_jobs']} ({r['n_jobs_effective']} processes); export "
            f"{fmt_bytes(r['bytes']['export'])}; the measured process and its workers: "
            f"{r['rusage']['process_tree']['cpu_s']:,.0f} s CPU in all; largest worker "
            f"{_gib(r['rusage']['children']['maxrss_mb'])}; "
            f"checks: {checks['lines']:,} lists, mean length "
            f"{checks['mean_list_length']:.2f}, {checks['problem_count']} problems; load "
            f"average {r['load_average_start'][0]:.1f} at the start, "
            f"{r['environment']['load_average'][0]:.1f} at the end")
        if r.get("ranges"):
            lines[-1] += (f"; all-pairs in {r['ranges']['count']} ranges of "
                          f"{r['ranges']['rows']:,} rows (`benchmarks.scale_ranges`): "
                          f"{r['ranges']['note']}")
    return lines


def range_table(result: dict[str, Any]) -> list[str]:
    """For a size whose all-pairs was computed in ranges (:mod:`benchmarks.scale_ranges`):
    one row per range, with the code that computed it where the range recorded it."""
    each = (result.get("ranges") or {}).get("each")
    if not each:
        return []
    n = result["parameters"]["articles"]
    rows = [f"All-pairs of the {n:,} articles, range by range:", "",
            "| rows | finished (UTC) | code | wall | CPU: process + workers | worker CPU per "
            "list | peak RSS (shared once) | load average |",
            "|---|---|---|---:|---:|---:|---:|---:|"]
    noted = False
    for r in each:
        git = r.get("git") or {}
        code = git.get("commit")
        noted = noted or bool(code and git.get("noted"))
        lists = r["stop"] - r["start"]
        rows.append(
            f"| {r['start']:,}–{r['stop'] - 1:,} | {r['created'][:16].replace('T', ' ')} | "
            f"{code[:7] + ('†' if git.get('noted') else '') if code else '—'} | "
            f"{fmt_seconds(r['wall_s'])} | "
            f"{r['cpu_s']:,.1f} + {r['workers_cpu_s']:,.1f} s | "
            f"{1000 * r['workers_cpu_s'] / lists:.1f} ms | {_gib(r['peak_rss_mb'])} "
            f"({_gib(r['peak_rss_shm_once_mb'])}) | {r['load_average'][0]:.1f} |")
    if noted:
        rows += ["", "† the commit was written into the range's record afterwards, from the "
                 "notes of the session that ran it (those runs predate the field)."]
    return [*rows, ""]


def write_scale_report(results: list[dict[str, Any]], path: Path, charts: Path) -> Path:
    """Write the Markdown report (and the charts, when matplotlib is installed)."""
    lines = ["# Scale (one machine)", "",
             "Written by `python -m benchmarks.scale` from the `scale-*.json` results beside "
             "it (or in its `--out`). Each corpus is generated by `benchmarks/synthetic.py`, "
             "then measured in a fresh Python process: **build** is what `recommender build "
             "FILE --out DIR` does — **fit** (read, analyse, learn), **all-pairs** "
             "(`precompute(10)`, every list kept) and **save** — and **export** is "
             "`export_jsonl(index, path, k=10)` from the kept lists. Peak RSS is the largest "
             "resident memory of the process and its worker processes together during any "
             "phase (VmRSS summed, sampled; the process's own peak exactly); in brackets, "
             "the same with shared memory (the arrays joblib memory-maps for its workers) "
             "counted once, closer to the physical memory used. Lists/s: articles over the "
             "all-pairs time.", ""]
    charts.mkdir(parents=True, exist_ok=True)
    for words, group in by_essay_length(results).items():
        lines += [f"## Essays of ~{words:,} words", "", *environment_lines(group), "",
                  *summary_table(group), "", *phase_table(group), "", *run_notes(group), "",
                  *(line for r in group for line in range_table(r))]
        chart = charts / f"scale-w{words}.png"
        try:
            plot_scale(group, chart, f"Scale — essays of ~{words:,} words")
        except ImportError:
            lines += ["(no chart: matplotlib is not installed)", ""]
        else:
            lines += [f"![wall time and peak RSS against corpus size]"
                      f"({os.path.relpath(chart, path.parent)})", ""]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def plot_scale(results: list[dict[str, Any]], path: Path, title: str) -> None:
    """Wall time of build, fit, all-pairs and export, and each phase's peak RSS, against
    corpus size, log-log (:func:`benchmarks.report.plot_loglog`)."""
    times: dict[str, list[tuple[float, float]]] = defaultdict(list)
    memory: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for r in results:
        n = r["parameters"]["articles"]
        times["build"].append((n, r["build"]["wall_s"]))
        for name in ("fit", "all_pairs", "export"):
            times[PHASE_TITLES[name]].append((n, r["phases"][name]["wall_s"]))
        for name, title_ in PHASE_TITLES.items():
            memory[title_].append((n, r["phases"][name]["peak_rss_mb"] / 1024))
    plot_loglog([("wall time (s)", times), ("peak RSS, process + workers (GiB)", memory)],
                path, title)
