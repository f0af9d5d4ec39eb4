"""``related_all``: every article's list at once, the site build's step.

One timed call = the whole corpus (throughput in articles per second). Warm-up: the
first 200 rows (our first block; the baselines' first rows), untimed.

Methods:

* ``ours``: ``iter_related(k, use_stored=False)`` (``exact=False``: what ``precompute``
  and ``related_all`` compute), every list materialised;
* ``ours_exact``: the same with ``exact=True``; its first run's lists are the exact
  lists every recall of the suite is measured against (when not already computed);
* ``sparse_dot_topn``: ``sp_matmul_topn(X, X.T, top_n=k + 1, n_threads=T)`` — the
  gate's reference (ours at least 1.0× its throughput at 10k in ``--quick``);
* ``sklearn_brute``: ``linear_kernel`` in row blocks + ``argpartition``;
* ``sklearn_nn``: ``NearestNeighbors(...).kneighbors(X)`` (``n_jobs=T``).

T is the thread cap of the run (``--threads``, default 2).
"""

from __future__ import annotations

import itertools
from typing import Any

from .harness import (
    PeakMemory,
    add_ratios,
    agreement,
    method_entry,
    say,
    time_calls,
)
from .workspace import Workspace, exact_lists, lists_of

BENCHMARK = "all_pairs"
WARMUP_ROWS = 200
#: Above ``REFERENCE_LIMIT`` articles the quadratic methods (hours at 100,000) — the
#: brute-force baselines and ``ours_exact`` — are timed on the first rows that have a
#: reference list (``Workspace.truth_rows``) and the time scaled by articles / rows:
#: every row costs them the same, a scan of the whole corpus. ``ours`` and
#: sparse_dot_topn always run on the whole corpus; recalls are taken on those rows.


def _timed(ws: Workspace, compute, warm) -> tuple[list[float], dict, list[list[str]]]:
    config = ws.config
    warm()
    with PeakMemory() as memory:
        first, outputs = time_calls(lambda _: compute(), [0])
    lists = outputs[0]
    rest, _ = time_calls(lambda _: compute(), range(config.repeats - 1),
                         budget_s=max(config.budget_s - first[0], 0.0), min_runs=0,
                         keep=False)
    return first + rest, memory.result, lists


def run(ws: Workspace) -> dict[str, Any]:
    config, n, k = ws.config, ws.n, ws.k
    index = ws.index
    result = ws.new_result(BENCHMARK, unit="corpus", warmup_rows=WARMUP_ROWS,
                           reference="iter_related(k, use_stored=False, exact=True)")

    def ours_warm(exact: bool):
        return lambda: list(itertools.islice(index.iter_related(k, use_stored=False,
                                                                exact=exact), WARMUP_ROWS))

    sample = ws.truth_rows
    say(f"[{n:,}] all pairs: ours_exact" + (f" (first {sample:,} rows)" if sample < n else ""))
    times, memory, exact = _timed(ws, lambda: exact_lists(index, k, sample), ours_warm(True))
    reference_from_run = not ws.has_truth
    if reference_from_run:
        ws.truth = exact
    truth = ws.truth
    extra = _scaled(result, "ours_exact", times, n, len(exact))
    result["methods"]["ours_exact"] = method_entry(
        times, kind="ours", exact=True, unit="corpus", items_per_run=n, memory=memory,
        description="iter_related(k, use_stored=False, exact=True)",
        **agreement(exact, truth, k),
        reference="its own first run" if reference_from_run else "ours exact lists",
        **extra)
    del exact

    say(f"[{n:,}] all pairs: ours")
    times, memory, lists = _timed(
        ws, lambda: lists_of(index.iter_related(k, use_stored=False)), ours_warm(False))
    result["methods"]["ours"] = method_entry(
        times, kind="ours", exact=False, unit="corpus", items_per_run=n, memory=memory,
        description="iter_related(k, use_stored=False, exact=False)",
        **agreement(lists[:len(truth)], truth, k),
        reference="ours exact lists")
    del lists

    from .baselines import SklearnNN, SparseDotTopn, available

    factories = [
        ("sparse_dot_topn", lambda: SparseDotTopn(ws.sklearn, config.threads)),
        ("sklearn_brute", lambda: ws.sklearn),
        ("sklearn_nn", lambda: ws.shared("sklearn_nn_jobs", lambda: SklearnNN(
            ws.sklearn, n_jobs=config.threads))),
    ]
    ident = ws.ids
    for name, model in available(factories, result["skipped"], f"[{n:,}] all pairs", say):
        rows_run = n if name == "sparse_dot_topn" else len(truth)
        compute = model.all_pairs if rows_run == n else \
            (lambda m=model, r=rows_run: m.all_pairs(slice(0, r)))
        times, memory, rows = _timed(
            ws, compute, lambda m=model: m.all_pairs(slice(0, min(WARMUP_ROWS, n))))
        found = [[ident[r] for r in line] for line in rows[:len(truth)]]
        del rows
        extra = _scaled(result, name, times, n, rows_run)
        result["methods"][name] = method_entry(
            times, kind="baseline", exact=None, unit="corpus", items_per_run=n, memory=memory,
            description=type(model).description,
            **agreement(found, truth[:len(found)], k), reference="ours exact lists (overlap)",
            **extra)
    ws.fill_index_bytes(result)
    add_ratios(result)
    return result


def _scaled(result: dict[str, Any], name: str, times: list[float], n: int,
            rows: int) -> dict[str, Any]:
    """Times of ``rows`` rows scaled in place to the whole corpus, noted in the result."""
    if rows == n:
        return {}
    times[:] = [t * n / rows for t in times]
    result["notes"].append(f"{name}: timed on the first {rows:,} rows, time scaled "
                           f"by {n:,} / {rows:,}")
    return {"extrapolated_from_rows": rows}


def main(argv: list[str] | None = None) -> int:
    from .runner import main as run_main

    return run_main(argv, only=[BENCHMARK], prog="python -m benchmarks.bench_all_pairs")


if __name__ == "__main__":
    raise SystemExit(main())
