"""The speed benchmark suite (benchmarks/): machinery, JSON shape, gates — never times.

The end-to-end test runs every script on the smallest corpus (300 essays of ~60 words)
with the baselines that are installed; gate logic is tested on made-up figures; the scale
benchmark runs once on 1,500 essays of ~60 words.
"""

from __future__ import annotations

import json
import math
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from benchmarks import gates, harness, report, runner, scale
from benchmarks.gates import GATE_SIZE, evaluate, failures
from benchmarks.harness import (
    PeakMemory,
    add_ratios,
    identical_share,
    method_entry,
    recall_at_k,
    summarize,
    time_calls,
)

SMALL = ["--sizes", "300", "--mean-words", "60", "--queries", "8", "--warmup", "2",
         "--repeats", "1", "--cli-runs", "1", "--budget", "5", "--query-budget", "2"]
OPERATIONS = {"build", "all_pairs", "related", "similar", "save", "load", "cli"}
LATENCY_KEYS = {"n", "median_s", "p95_s", "p99_s", "mean_s", "min_s", "max_s"}
METHOD_KEYS = {"kind", "description", "exact", "unit", "latency_s", "throughput_per_s",
               "items_per_run", "memory", "index_bytes", "recall_at_k", "identical_lists",
               "recall_reference"}


# -- made-up results ----------------------------------------------------------------------


def fake_method(median: float, *, kind: str = "baseline", exact: bool | None = None,
                recall: float | None = None, rss: float | None = 10.0) -> dict[str, Any]:
    entry = method_entry([median] * 3, kind=kind, description="made up", unit="query",
                         exact=exact, recall=recall,
                         memory={"rss_delta_mb": rss, "peak_rss_mb": 100.0})
    return entry


def fake_result(benchmark: str, n: int, methods: dict[str, dict[str, Any]], *,
                skipped: dict[str, str] | None = None, **extra: Any) -> dict[str, Any]:
    result = {"benchmark": benchmark, "parameters": {"articles": n, "k": 10, "quick": True},
              "corpus": {"mean_words": 300}, "methods": methods, "skipped": skipped or {},
              "notes": [], "created": "2026-01-01T00:00:00+00:00",
              "environment": {"cpu": "test", "cores": 2, "platform": "test", "python": "3.11",
                              "versions": {"numpy": "2"}, "git": {"commit": None},
                              "threads": {"limit": 2, "threadpools": []}}, **extra}
    add_ratios(result, baseline="sklearn_tfidf" if benchmark == "build" else "sklearn_brute")
    return result


def passing_results(n: int = GATE_SIZE) -> list[dict[str, Any]]:
    ours = {"kind": "ours"}
    return [
        fake_result("similar", n, {
            "ours": fake_method(0.001, exact=False, recall=0.95, **ours),
            "ours_exact": fake_method(0.002, exact=True, recall=1.0, **ours),
            "sklearn_brute": fake_method(0.030, recall=0.4),
        }),
        fake_result("related", n, {
            "ours": fake_method(1e-6, exact=False, recall=1.0, **ours),
            "ours_exact": fake_method(1e-6, exact=True, recall=1.0, **ours),
            "sklearn_brute": fake_method(0.002),
        }),
        fake_result("all_pairs", n, {
            "ours": fake_method(1.0, exact=False, recall=0.97, **ours),
            "ours_exact": fake_method(3.0, exact=True, recall=1.0, **ours),
            "sparse_dot_topn": fake_method(1.5),
            "sklearn_brute": fake_method(9.0),
        }),
    ]


def outcome(outcomes, name_part: str, size: int = GATE_SIZE, kind: str | None = None):
    found = [o for o in outcomes if name_part in o.name and o.size == size
             and (kind is None or o.kind == kind)]
    assert len(found) == 1, [o.name for o in outcomes]
    return found[0]


# -- gates --------------------------------------------------------------------------------


def test_gates_pass_on_good_figures() -> None:
    outcomes = evaluate(passing_results(), gates=True)
    assert failures(outcomes) == []
    assert outcome(outcomes, "similar: ours ≥ 20×", kind="gate").value == pytest.approx(30.0)
    assert outcome(outcomes, "related: ours ≥ 1,000×", kind="gate").value == \
        pytest.approx(2000.0)
    assert outcome(outcomes, "sparse_dot_topn throughput", kind="gate").value == \
        pytest.approx(1.5)


def test_a_ratio_under_its_gate_fails_only_in_quick_mode() -> None:
    results = passing_results()
    results[0]["methods"]["ours"]["latency_s"]["median_s"] = 0.002   # 15×: under 20×
    add_ratios(results[0])
    failed = failures(evaluate(results, gates=True))
    assert [o.name for o in failed] == ["similar: ours ≥ 20× brute force (p50)"]
    assert failed[0].value == pytest.approx(15.0)
    assert failures(evaluate(results, gates=False)) == []   # full mode: targets only


def test_gates_apply_at_their_size_only() -> None:
    results = passing_results(n=1_000)
    results[2]["methods"]["ours"]["latency_s"]["median_s"] = 100.0   # slow, but at 1k
    outcomes = evaluate(results, gates=True)
    assert failures(outcomes) == []
    notes = [o for o in outcomes if o.kind == "note"]
    assert {o.benchmark for o in notes} == {"similar", "related", "all_pairs"}
    assert all("no run at 10,000" in o.message for o in notes)


def test_a_missing_baseline_fails_its_gate_with_the_reason() -> None:
    results = passing_results()
    del results[2]["methods"]["sparse_dot_topn"]
    results[2]["skipped"]["sparse_dot_topn"] = "sparse_dot_topn is not installed"
    failed = failures(evaluate(results, gates=True))
    assert len(failed) == 1 and failed[0].passed is None
    assert "sparse_dot_topn is not installed" in failed[0].message


def test_exact_modes_must_reach_recall_one_and_approximate_ones_their_floor() -> None:
    results = passing_results(n=1_000)
    results[0]["methods"]["ours_exact"]["recall_at_k"] = 0.999
    results[2]["methods"]["ours"]["recall_at_k"] = 0.94
    failed = failures(evaluate(results, gates=False))
    assert sorted(o.name for o in failed) == [
        "all_pairs: ours (approximate) recall@10 ≥ 0.95",
        "similar: ours_exact (exact) recall@10 ≥ 1",
    ]
    assert all(o.kind == "correctness" for o in failed)


def test_failed_commands_are_wrong_results() -> None:
    result = fake_result("cli", 1_000, {"ours": fake_method(0.3, kind="ours")},
                         failures=["ours: exit status 1: recommender related DIR x"])
    failed = failures(evaluate([result], gates=False))
    assert [o.message for o in failed] == ["ours: exit status 1: recommender related DIR x"]


def test_the_cli_ratio_is_gated_unless_turned_off() -> None:
    result = fake_result("cli", GATE_SIZE, {"ours": fake_method(0.9, kind="ours"),
                                            "python_import_numpy": fake_method(0.3)},
                         ratio_to_numpy={"median_ratio": 3.0})
    failed = failures(evaluate([result], gates=True))
    assert [(o.kind, o.value) for o in failed] == [("gate", 3.0)]
    assert failures(evaluate([result], gates=True, gate_cli=False)) == []
    assert failures(evaluate([result], gates=False)) == []
    result["ratio_to_numpy"]["median_ratio"] = 0.8
    assert failures(evaluate([result], gates=True)) == []


def test_targets_are_reported_not_enforced() -> None:
    results = passing_results(n=100_000)
    outcomes = evaluate(results, gates=False)
    target = outcome(outcomes, "related ≥ 10,000×", size=100_000)
    assert target.kind == "target" and target.passed is False
    assert failures(outcomes) == []


# -- harness ------------------------------------------------------------------------------


def test_summarize_gives_median_and_tail_percentiles() -> None:
    stats = summarize([float(i) for i in range(1, 101)])
    assert set(stats) == LATENCY_KEYS
    assert stats["n"] == 100 and stats["median_s"] == pytest.approx(50.5)
    assert stats["p95_s"] == pytest.approx(95.05) and stats["p99_s"] == pytest.approx(99.01)
    with pytest.raises(ValueError):
        summarize([])


def test_time_calls_warms_up_untimed_and_stops_on_its_budget() -> None:
    calls: list[int] = []
    times, outputs = time_calls(lambda i: calls.append(i) or i * 2, [1, 2, 3],
                                warmup=[0], budget_s=math.inf)
    assert calls == [0, 1, 2, 3] and outputs == [2, 4, 6] and len(times) == 3

    def slow(i: int) -> int:
        time.sleep(0.001)
        return i
    times, outputs = time_calls(slow, range(100), budget_s=0.0, min_runs=3)
    assert len(times) == 3 and outputs == [0, 1, 2]
    assert time_calls(slow, range(100), budget_s=0.0, min_runs=0) == ([], [])
    cleaned: list[int] = []
    times, outputs = time_calls(slow, range(4), keep=False, after=cleaned.append)
    assert outputs == [] and cleaned == [0, 1, 2, 3]


def test_recall_and_identical_share() -> None:
    truth = [["a", "b"], ["c"], []]
    assert recall_at_k([["b", "a"], ["x"], []], truth) == pytest.approx((1 + 0 + 1) / 3)
    assert recall_at_k([["a"], ["c"], ["z"]], truth) == pytest.approx((0.5 + 1 + 0) / 3)
    assert recall_at_k([["a", "b", "c"]], [["a", "b", "c"]], k=2) == 1.0
    assert identical_share([["b", "a"], ["c"], []], truth) == pytest.approx(2 / 3)
    with pytest.raises(ValueError):
        recall_at_k([["a"]], truth)


def test_peak_memory_sees_an_allocation() -> None:
    with PeakMemory(children=True) as memory:
        block = bytearray(64 * 1024 * 1024)
        block[::4096] = b"x" * len(block[::4096])
        del block
    result = memory.result
    assert {"peak_rss_mb", "rss_before_mb", "rss_delta_mb", "method",
            "children_peak_rss_mb"} <= set(result)
    if result["method"] == "VmHWM":
        assert result["rss_delta_mb"] >= 50


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="reads /proc")
def test_a_fork_that_has_not_run_its_own_program_is_not_counted_as_a_worker() -> None:
    """Between loky's fork and exec a child's RSS is every page of this process's; a
    sample there once counted 2.4 GB of "workers" that were not new memory."""
    import subprocess

    pid = os.fork()
    if pid == 0:  # the child: a copy of this process, never its own program
        time.sleep(1.5)
        os._exit(0)
    program = subprocess.Popen(["sleep", "1.5"])
    try:
        time.sleep(0.2)
        assert harness._not_yet_its_own(pid)
        assert not harness._not_yet_its_own(program.pid)
    finally:
        os.waitpid(pid, 0)
        program.wait()


def test_ratios_to_the_reference() -> None:
    result = fake_result("similar", 1_000, {"ours": fake_method(0.001, kind="ours", rss=5.0),
                                            "sklearn_brute": fake_method(0.01, rss=10.0)})
    ratios = result["methods"]["ours"]["vs_sklearn_brute"]
    assert ratios["speedup"] == pytest.approx(10.0) and ratios["rss"] == pytest.approx(0.5)
    assert result["methods"]["sklearn_brute"]["vs_sklearn_brute"]["speedup"] == 1.0


def test_results_are_json_without_nan(tmp_path: Path) -> None:
    result = fake_result("similar", 1_000, {"ours": fake_method(0.001, kind="ours",
                                                                recall=math.nan)})
    path = harness.write_result(result, tmp_path)
    assert path.name == "speed-similar-1000-w300.json"
    text = path.read_text(encoding="utf-8")
    assert "NaN" not in text
    assert json.loads(text)["methods"]["ours"]["recall_at_k"] is None
    assert harness.read_results(tmp_path)[0]["benchmark"] == "similar"


def test_report_from_made_up_results(tmp_path: Path) -> None:
    for result in passing_results() + passing_results(n=1_000):
        harness.write_result(result, tmp_path)
    assert report.main_report(tmp_path, tmp_path / "charts") == 0
    text = (tmp_path / "REPORT.md").read_text(encoding="utf-8")
    assert "## Essays of ~300 words" in text and "### similar(text)" in text
    assert "| 10,000 | **ours** | approximate |" in text
    pytest.importorskip("matplotlib")
    assert (tmp_path / "charts" / "speed-similar-w300.png").stat().st_size > 0


# -- the command line ---------------------------------------------------------------------


def test_quick_mode_exits_1_when_a_gate_fails(tmp_path: Path, monkeypatch) -> None:
    """The runner's exit status, with made-up scripts (no timing)."""
    def fake_similar(ws):
        result = fake_result("similar", ws.n, {
            "ours": fake_method(0.01, kind="ours", exact=False, recall=0.95),
            "sklearn_brute": fake_method(0.05)})   # 5×: under the 20× gate
        return result

    monkeypatch.setattr(runner, "BENCHMARKS", {"similar": fake_similar})
    args = ["--sizes", str(GATE_SIZE), "--out", str(tmp_path), "--no-report"]
    assert runner.main(["--quick", *args]) == 1
    run = json.loads((tmp_path / "speed-run.json").read_text(encoding="utf-8"))
    assert [f["name"] for f in run["failed"]] == ["similar: ours ≥ 20× brute force (p50)"]
    assert runner.main(args) == 0     # not --quick: reported, not enforced


def test_a_crashing_script_fails_the_run(tmp_path: Path, monkeypatch) -> None:
    def broken(ws):
        raise RuntimeError("boom")

    monkeypatch.setattr(runner, "BENCHMARKS", {"related": broken})
    assert runner.main(["--sizes", "300", "--out", str(tmp_path), "--no-report"]) == 1


def test_unknown_script_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as stop:
        runner.main(["--only", "nope", "--out", str(tmp_path)])
    assert stop.value.code == 2


@pytest.fixture(scope="module")
def small_run(tmp_path_factory) -> tuple[int, Path]:
    out = tmp_path_factory.mktemp("speed")
    status = runner.main([*SMALL, "--out", str(out)])
    return status, out


def test_every_script_runs_end_to_end(small_run) -> None:
    status, out = small_run
    results = harness.read_results(out)
    assert {r["benchmark"] for r in results} == OPERATIONS
    run = json.loads((out / "speed-run.json").read_text(encoding="utf-8"))
    crashed = [f for f in run["failed"] if "crashed" in f["name"] or "command" in f["name"]]
    assert crashed == []
    for result in results:
        assert result["parameters"]["articles"] == 300
        assert result["corpus"]["mean_words"] == 60
        env = result["environment"]
        assert env["cores"] and env["versions"]["numpy"] and env["threads"]["limit"] == 2
        assert "ours" in result["methods"]
        for name, entry in result["methods"].items():
            assert METHOD_KEYS <= set(entry), (result["benchmark"], name)
            assert set(entry["latency_s"]) == LATENCY_KEYS
            assert entry["latency_s"]["n"] >= 1 and entry["throughput_per_s"] > 0
            assert entry["vs_" + result["ratio_baseline"]]["speedup"] is not None
        for name, reason in result["skipped"].items():
            assert "pip install" in reason, name
    assert (out / "REPORT.md").is_file()


def test_exact_modes_agree_with_the_exact_answer(small_run) -> None:
    _, out = small_run
    for result in harness.read_results(out):
        for name, entry in result["methods"].items():
            if entry["kind"] == "ours" and entry["exact"]:
                assert entry["recall_at_k"] == 1.0, (result["benchmark"], name)
            if entry["kind"] == "ours" and entry["exact"] is False:
                assert 0.0 <= entry["recall_at_k"] <= 1.0


def test_every_mode_and_baseline_is_measured(small_run) -> None:
    _, out = small_run
    by_name = {r["benchmark"]: r for r in harness.read_results(out)}
    for bench in ("related", "similar", "all_pairs"):
        assert {"ours", "ours_exact", "sklearn_brute", "sklearn_nn"} <= \
            set(by_name[bench]["methods"])
    expected = {"similar": ("bm25s", "tantivy_mlt"), "all_pairs": ("sparse_dot_topn",)}
    for bench, names in expected.items():
        for name in names:
            assert name in by_name[bench]["methods"] or name in by_name[bench]["skipped"]
    assert {"ours", "ours_build", "sklearn_tfidf"} <= set(by_name["build"]["methods"])
    cli = by_name["cli"]
    assert {"ours", "python_import_numpy"} <= set(cli["methods"])
    assert cli["ratio_to_numpy"]["median_ratio"] > 0
    assert cli["methods"]["ours"]["memory"]["peak_rss_mb"] > 0
    assert by_name["load"]["methods"]["ours"]["recall_at_k"] == 1.0
    assert by_name["save"]["methods"]["ours"]["index_bytes"] > 0


def test_gates_module_lists_the_issue_gates() -> None:
    gated = {(c.benchmark, c.threshold) for c in gates.CHECKS if c.gate_size == GATE_SIZE}
    assert gated == {("similar", 20.0), ("related", 1000.0), ("all_pairs", 1.0)}
    assert (gates.CLI_GATE.benchmark, gates.CLI_GATE.threshold) == ("cli", 1.5)
    assert not gates.CLI_GATE.higher_is_better


# -- the scale benchmark ------------------------------------------------------------------


def test_scale_runs_end_to_end(tmp_path: Path) -> None:
    """``python -m benchmarks.scale`` on a tiny corpus: the child process, the checks,
    the JSON, the table and the chart (no wall-clock assertions)."""
    out = tmp_path / "out"
    assert scale.main(["--sizes", "1500", "--mean-words", "60", "--out", str(out),
                       "--work", str(tmp_path / "work")]) == 0
    result = json.loads((out / "scale-1500-w60.json").read_text(encoding="utf-8"))
    assert result["benchmark"] == "scale" and result["parameters"]["articles"] == 1500
    assert result["counts"]["articles"] == result["checks"]["lines"] == 1500
    assert result["counts"]["vocabulary"] > 1000
    assert result["checks"]["problems"] == [] and len(result["checks"]["spot_checked"]) == 5
    assert 9 <= result["checks"]["mean_list_length"] <= 10
    assert result["reader"] in {"iter_articles", "load_articles"}
    assert result["n_jobs"] == -1 and result["n_jobs_effective"] >= 1
    assert set(result["phases"]) == {"fit", "all_pairs", "save", "export", "recall"}
    agreement = result["agreement"]
    assert agreement["sample"] == 200 and agreement["recall"] >= 0.9  # approximate lists
    for phase in result["phases"].values():
        assert phase["wall_s"] > 0 and phase["cpu_total_s"] >= phase["cpu_s"] >= 0
        assert phase["peak_rss_mb"] >= phase["self_peak_rss_mb"] > 20
    build = result["build"]
    assert build["wall_s"] == pytest.approx(sum(result["phases"][p]["wall_s"]
                                                for p in ("fit", "all_pairs", "save")))
    assert result["bytes"]["index"] > 0 and result["bytes"]["export"] > 0
    assert result["corpus"]["bytes"] > 0 and result["corpus"]["generation"]["reused"] is False
    assert result["environment"]["versions"]["numpy"] and result["environment"]["cores"]
    assert not (tmp_path / "work" / "1500-w60").exists()     # removed without --keep
    report_text = (out / "SCALE.md").read_text(encoding="utf-8")
    assert "| 1,500 |" in report_text and "all-pairs" in report_text
    pytest.importorskip("matplotlib")
    assert (out / "scale-w60.png").stat().st_size > 0


def test_scale_ranges_resume_and_paste_the_lists_of_one_pass(tmp_path: Path,
                                                              monkeypatch) -> None:
    """``python -m benchmarks.scale_ranges``: ranges computed over several runs (each run
    stops once its time is up), then pasted, saved, exported and checked; the saved lists
    are those of one pass over the same index."""
    from benchmarks import scale_ranges, synthetic
    from recommender import RelatedIndex, iter_articles
    from recommender import index as module

    monkeypatch.setattr(module, "_BLOCK_CELLS", 1500 * 100)  # blocks of 100 rows

    corpus = tmp_path / "corpus.jsonl"
    synthetic.write_jsonl(synthetic.generate(1500, seed=2, mean_words=40), corpus)
    fitted = RelatedIndex(n_jobs=1).fit(iter_articles([corpus]))
    fitted.save(tmp_path / "fitted")
    (tmp_path / "fit.json").write_text(json.dumps({"fit": {
        "wall_s": 1.0, "cpu_s": 1.0, "workers_cpu_s": 0.0, "cpu_total_s": 1.0,
        "peak_rss_mb": 100.0, "peak_rss_shm_once_mb": 90.0, "self_peak_rss_mb": 100.0,
        "workers_peak_rss_mb": 0.0}, "mean_words": 40}), encoding="utf-8")
    work, out = tmp_path / "work", tmp_path / "out"
    args = [str(tmp_path / "fitted"), str(work), "--rows", "500"]
    block = RelatedIndex.load(tmp_path / "fitted")._block_rows()
    starts = scale_ranges.range_starts(1500, block, 500)
    assert starts == [0, 500, 1000] and block == 100
    assert scale_ranges.main([*args, "--minutes", "0"]) == 0      # one range, then stop
    assert len(list((work / "ranges").glob("*.json"))) == 1
    with pytest.raises(SystemExit, match="not computed yet"):
        scale_ranges.main([*args, "--finish", "--fit", str(tmp_path / "fit.json"),
                           "--corpus", str(corpus), "--out", str(out)])
    assert scale_ranges.main(args) == 0
    assert len(list((work / "ranges").glob("*.json"))) == len(starts)
    assert scale_ranges.main([*args, "--finish", "--fit", str(tmp_path / "fit.json"),
                              "--corpus", str(corpus), "--out", str(out)]) == 0
    result = json.loads((out / "scale-1500-w40.json").read_text(encoding="utf-8"))
    assert result["checks"]["problems"] == [] and result["counts"]["articles"] == 1500
    assert result["phases"]["all_pairs"]["ranges"] == len(starts)
    assert result["build"]["wall_s"] > 1.0
    saved = RelatedIndex.load(work / "index")
    one_pass = RelatedIndex.load(tmp_path / "fitted").precompute(10)
    assert np.array_equal(saved.lists_[0], one_pass.lists_[0])
    assert np.asarray(saved.lists_[1]).tobytes() == one_pass.lists_[1].tobytes()
    report_text = (out / "SCALE.md").read_text(encoding="utf-8")
    assert "| 1,500 |" in report_text and "all-pairs in 3 ranges of 500 rows" in report_text
    each = result["ranges"]["each"]
    assert [(r["start"], r["stop"]) for r in each] == [(0, 500), (500, 1000), (1000, 1500)]
    assert all(r["git"] == result["environment"]["git"] for r in each)
    assert "| 500–999 |" in report_text  # the table of ranges


def test_the_table_of_ranges_names_each_ranges_commit_and_marks_those_noted_afterwards(
) -> None:
    from benchmarks.scale_report import range_table

    def record(start: int, git: dict[str, Any] | None) -> dict[str, Any]:
        return {"start": start, "stop": start + 100, "git": git,
                "created": "2026-11-27T05:47:25+00:00", "load_average": [1.5, 1.0, 0.5],
                "wall_s": 10.0, "cpu_s": 1.0, "workers_cpu_s": 2.0, "peak_rss_mb": 1024.0,
                "peak_rss_shm_once_mb": 512.0}

    result = {"parameters": {"articles": 300}, "ranges": {"each": [
        record(0, None), record(100, {"commit": "a" * 40, "dirty": False}),
        record(200, {"commit": "b" * 40, "dirty": False, "noted": True})]}}
    rows = range_table(result)
    assert rows[4].startswith("| 0–99 | 2026-11-27 05:47 | — |")
    assert rows[5].startswith("| 100–199 | 2026-11-27 05:47 | aaaaaaa |")
    assert rows[6].startswith("| 200–299 | 2026-11-27 05:47 | bbbbbbb† |")
    assert "20.0 ms" in rows[6]  # worker CPU per list: 2 s over 100 lists
    assert any(line.startswith("† ") for line in rows)
    unmarked = range_table({**result, "ranges": {"each": result["ranges"]["each"][:2]}})
    assert not any(line.startswith("† ") for line in unmarked)
    assert range_table({"parameters": {"articles": 300}}) == []


def test_scale_fails_on_a_wrong_export(tmp_path: Path) -> None:
    """The export check finds a list that names its own article or is out of order."""
    good = {"id": "a", "related": [{"id": "b", "score": 0.9}, {"id": "c", "score": 0.5}]}
    bad = {"id": "b", "related": [{"id": "b", "score": 0.4}, {"id": "a", "score": 0.6}]}
    path = tmp_path / "related.jsonl"
    path.write_text(json.dumps(good) + "\n" + json.dumps(bad) + "\n", encoding="utf-8")
    checks = scale.check_export(path, 3, 10, seed=0)
    assert checks["lines"] == 2
    problems = " | ".join(checks["problems"])
    assert "2 lines for 3 articles" in problems and "lists the article itself" in problems
    assert "not in descending order" in problems and "'c'" in problems   # c is not indexed


def test_scale_reports_a_failing_child(tmp_path: Path) -> None:
    with pytest.raises(scale.ScaleError, match=r"exit status 3(.|\n)*boom"):
        scale.run_process([sys.executable, "-c", "import sys; print('boom'); sys.exit(3)"],
                          "child")


def test_big_corpora_take_recall_on_a_sample_of_exact_lists(tmp_path, monkeypatch) -> None:
    # Above REFERENCE_LIMIT only the first REFERENCE_SAMPLE articles (to the end of a
    # block) get exact lists: ours_exact and brute force are timed on them and scaled,
    # ours and sparse_dot_topn run on the whole corpus, lookups are drawn among them.
    from benchmarks import workspace
    from recommender import index as index_module

    monkeypatch.setattr(index_module, "_BLOCK_CELLS", 64 * 64)  # blocks of 64 rows
    monkeypatch.setattr(workspace, "REFERENCE_LIMIT", 200)
    monkeypatch.setattr(workspace, "REFERENCE_SAMPLE", 70)
    out = tmp_path / "speed"
    assert runner.main([*SMALL, "--only", "all_pairs,related", "--no-report",
                        "--out", str(out)]) == 0
    by_name = {r["benchmark"]: r for r in harness.read_results(out)}
    pairs = by_name["all_pairs"]
    exact = pairs["methods"]["ours_exact"]
    rows = exact["extrapolated_from_rows"]
    assert rows == 128 and exact["recall_at_k"] == 1.0
    assert pairs["methods"]["sklearn_brute"]["extrapolated_from_rows"] == rows
    assert "extrapolated_from_rows" not in pairs["methods"]["ours"]
    assert any(note.startswith("ours_exact: timed on the first") for note in pairs["notes"])
    related = by_name["related"]
    assert "ours_exact" in related["skipped"] and "ours_exact" not in related["methods"]
    assert related["methods"]["ours"]["recall_at_k"] == 1.0


def test_exact_lists_of_the_first_rows_are_those_of_the_full_pass(monkeypatch) -> None:
    from benchmarks.workspace import exact_lists, lists_of
    from recommender import Article, RelatedIndex
    from recommender import index as index_module

    monkeypatch.setattr(index_module, "_BLOCK_CELLS", 64 * 64)  # blocks of 64 rows

    words = ["alfa", "beta", "gama", "delta", "epsilon", "zeta", "eta", "teta"]
    articles = [Article(id=f"a{i}", title=f"t{i}",
                        body=" ".join(words[(i * j) % 8] for j in range(1, 12)))
                for i in range(150)]
    index = RelatedIndex(latent_components=0).fit(articles)
    full = lists_of(index.iter_related(5, use_stored=False, exact=True))
    part = exact_lists(index, 5, 30)
    assert len(part) == 64 and part == full[:64]
    assert exact_lists(index, 5, 500) == full


def test_memory_with_workers_is_what_was_in_use_at_once() -> None:
    """A build's workers peak while it analyses, the process later while it lists: the
    memory it needs is the largest sum at one moment, not the sum of the two peaks; and
    never less than the process's own rise."""
    from benchmarks.harness import total_rss_delta

    def entry(**memory):
        return {"memory": {"rss_delta_mb": 900.0, "rss_before_mb": 100.0, **memory}}

    assert total_rss_delta(entry()) == 900.0
    assert total_rss_delta(entry(children_peak_rss_mb=200.0, total_peak_rss_mb=1080.0,
                                 total_peak_shm_once_mb=1050.0)) == 950.0
    assert total_rss_delta(entry(children_peak_rss_mb=200.0, total_peak_rss_mb=990.0,
                                 total_peak_shm_once_mb=990.0)) == 900.0
    assert total_rss_delta({"memory": None}) is None
