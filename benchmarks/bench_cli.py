"""Cold command line: ``recommender related DIR ID`` in a new process, start to exit.

What a site build or a shell script pays per call: interpreter start, imports, loading
and verifying the index, one lookup, printing. Commands (one timed call = one process,
wall time from spawn to exit; peak RSS from two more, untimed runs):

* ``ours``: ``recommender related DIR ID`` (the console script when it is installed in
  this environment, else ``python -m recommender``), on an index built as
  ``recommender build`` builds it (approximate lists of length k), a different random
  id each run;
* ``python_import_numpy``: ``python -c "import numpy"`` — the target's yardstick: ours
  at most 1.5× its time;
* ``python_bare``: ``python -c pass``, the interpreter alone (information);
* ``sklearn_brute``: a script that ``joblib.load``\\ s the brute-force baseline and
  prints one article's top k — the cold equivalent a user of scikit-learn would
  write, the ratio reference of the suite.

The commands run interleaved, round after round (the order rotating), so that a burst
of load on this shared machine hits all of them alike; the first rounds are warm-up
(page cache). Stability is reported as each command's coefficient of variation and the
spread (10th–90th percentile) of the per-round ratio ours / numpy. In ``--quick`` the
ratio is gated at 10,000 articles (``--no-gate-cli`` turns that off; see
:data:`benchmarks.gates.CLI_GATE` for why it is stable enough).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from .harness import ROOT, add_ratios, method_entry, recall_at_k, say, summarize
from .workspace import Workspace

BENCHMARK = "cli"
WARMUP_ROUNDS = 2
RSS_RUNS = 2         # extra, untimed runs of each command for its peak RSS
TARGET_RATIO = 1.5   # ours / python -c "import numpy"

_SKLEARN_SCRIPT = """\
import sys
import joblib
import numpy as np
from sklearn.metrics.pairwise import linear_kernel
vectorizer, X = joblib.load(sys.argv[1])
row, k = int(sys.argv[2]), 10
scores = linear_kernel(X[row], X).ravel()
scores[row] = -np.inf
top = np.argpartition(-scores, k - 1)[:k]
print("\\n".join(map(str, top[np.argsort(-scores[top])])))
"""


def recommender_command() -> tuple[list[str], str]:
    """The command that runs our CLI, and how it was found."""
    script = shutil.which("recommender")
    if script and Path(script).resolve().parent == Path(sys.executable).resolve().parent:
        return [script], "console script"
    return [sys.executable, "-m", "recommender"], "python -m recommender"


def child_environment() -> dict[str, str]:
    """This environment, with the source tree first on the import path (so the command
    runs the code under test whether or not the package is installed)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    return env


def _timed_process(command: list[str], env: dict[str, str]) -> tuple[float, int, bytes]:
    """Run a command: wall seconds from spawn to exit, exit status, stdout."""
    started = time.perf_counter()
    done = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                          stdin=subprocess.DEVNULL, env=env, check=False)
    return time.perf_counter() - started, done.returncode, done.stdout


#: Runs a command as its child and prints the child's peak RSS in KiB. The peak is read
#: here, not in the benchmark process: Linux carries a parent's peak RSS over fork and
#: exec into the child's ``ru_maxrss``, so a child of this large process would report
#: at least this process's size; a child of the small launcher reports its own.
_LAUNCHER = ("import resource, subprocess, sys; "
             "subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, "
             "stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL); "
             "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")


def peak_rss_mb(command: list[str], env: dict[str, str]) -> float | None:
    """Peak resident memory of one run of a command, in MiB (through the launcher)."""
    done = subprocess.run([sys.executable, "-c", _LAUNCHER, *command], capture_output=True,
                          env=env, check=False)
    try:
        return int(done.stdout.split()[-1]) / 1024
    except (ValueError, IndexError):
        return None


def run(ws: Workspace) -> dict[str, Any]:
    config, n, k = ws.config, ws.n, ws.k
    saved = ws.saved_index()
    index = ws.keep_lists(exact=False)
    ours, how = recommender_command()
    sk_folder = ws.scratch / "cli-sklearn"
    ws.sklearn.save(sk_folder)
    script = ws.scratch / "sklearn_related.py"
    script.write_text(_SKLEARN_SCRIPT, encoding="utf-8")
    env = child_environment()
    warmup_rounds = WARMUP_ROUNDS if config.cli_runs >= 5 else 1   # short test runs
    rss_runs = RSS_RUNS if config.cli_runs >= 5 else 1
    rounds = warmup_rounds + config.cli_runs
    ids = ws.sample_ids(rounds, salt=4)
    position = {ident: row for row, ident in enumerate(ws.ids)}
    commands = {
        "ours": lambda r: [*ours, "related", str(saved), ids[r]],
        "python_import_numpy": lambda r: [sys.executable, "-c", "import numpy"],
        "python_bare": lambda r: [sys.executable, "-c", "pass"],
        "sklearn_brute": lambda r: [sys.executable, str(script),
                                    str(sk_folder / "model.joblib"), str(position[ids[r]])],
    }
    result = ws.new_result(BENCHMARK, unit="process", command=" ".join(
        [*ours, "related", "DIR", "ID"]), found_as=how, rounds=config.cli_runs,
        warmup_rounds=warmup_rounds, target_ratio_to_numpy=TARGET_RATIO)

    say(f"[{n:,}] cli: {config.cli_runs} rounds of {len(commands)} commands "
        f"({warmup_rounds} warm-up)")
    names = list(commands)
    times: dict[str, list[float]] = {name: [] for name in names}
    failures: list[str] = []
    for r in range(rounds):
        order = names[r % len(names):] + names[:r % len(names)]
        for name in order:
            command = commands[name](r)
            elapsed, status, _ = _timed_process(command, env)
            if status != 0:
                failures.append(f"{name}: exit status {status}: {' '.join(command)}")
            if r >= warmup_rounds:
                times[name].append(elapsed)
    peaks = {name: [p for p in (peak_rss_mb(commands[name](r), env)
                                for r in range(warmup_rounds, warmup_rounds + rss_runs))
                    if p is not None] for name in names}

    check_ids = ids[warmup_rounds:warmup_rounds + 10]
    found, want = [], []
    for ident in check_ids:
        done = subprocess.run([*ours, "related", str(saved), ident, "-k", str(k), "--json"],
                              capture_output=True, env=env, check=False)
        try:
            found.append([item["id"] for item in json.loads(done.stdout)])
        except (json.JSONDecodeError, TypeError, KeyError):
            found.append([])
            failures.append(f"ours --json gave no list for {ident}: {done.stderr[-300:]!r}")
        want.append([item.id for item in index.related(ident, k)])

    descriptions = {
        "ours": f"{' '.join(ours)} related DIR ID",
        "python_import_numpy": 'python -c "import numpy"',
        "python_bare": "python -c pass",
        "sklearn_brute": "python sklearn_related.py model.joblib ROW (joblib.load + "
                         "linear_kernel + argpartition)",
    }
    for name in names:
        result["methods"][name] = method_entry(
            times[name], kind="ours" if name == "ours" else "baseline",
            exact=True if name == "ours" else None, unit="process",
            mode="same answers" if name == "ours" else None,
            description=descriptions[name],
            memory={"peak_rss_mb": round(max(peaks[name]), 1) if peaks[name] else None,
                    "rss_delta_mb": None, "runs": len(peaks[name]),
                    "method": "child ru_maxrss, through a small launcher (untimed runs)"},
            index_bytes=ws.disk_bytes("ours") if name == "ours" else None,
            recall=recall_at_k(found, want, k) if name == "ours" else None,
            reference="related(id, k) in this process" if name == "ours" else None,
            cv=_cv(times[name]))
    per_round = np.asarray(times["ours"]) / np.asarray(times["python_import_numpy"])
    ratio = (summarize(times["ours"])["median_s"]
             / summarize(times["python_import_numpy"])["median_s"])
    result["ratio_to_numpy"] = {
        "median_ratio": ratio,
        "per_round_p10": float(np.percentile(per_round, 10)),
        "per_round_median": float(np.median(per_round)),
        "per_round_p90": float(np.percentile(per_round, 90)),
        "target": TARGET_RATIO, "met": bool(ratio <= TARGET_RATIO),
    }
    result["failures"] = failures
    add_ratios(result)
    return result


def _cv(times: list[float]) -> float:
    values = np.asarray(times)
    return float(values.std(ddof=1) / values.mean()) if values.size > 1 else 0.0


def main(argv: list[str] | None = None) -> int:
    from .runner import main as run_main

    return run_main(argv, only=[BENCHMARK], prog="python -m benchmarks.bench_cli")


if __name__ == "__main__":
    raise SystemExit(main())
