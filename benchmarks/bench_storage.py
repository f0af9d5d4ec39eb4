"""Save and load: writing the built index to disk and reading it back.

Two results per size, ``save`` and ``load``; one timed call = the whole index.

* ``ours``: ``index.save(folder)`` (each run into a new folder) and
  ``RelatedIndex.load(folder)`` of an index with its approximate lists of length k,
  as ``recommender build`` writes it. The loaded index must answer ``related`` and
  ``similar`` exactly as the saved one did (recall 1.0, or the run fails);
* ``sklearn_brute``: ``joblib.dump((vectorizer, X))`` / ``joblib.load`` — how a user
  keeps the brute-force baseline (pickle: it runs code on load, ours never does);
* ``bm25s``: ``BM25.save`` / ``BM25.load``; ``tantivy_mlt``: ``Index.open`` + a
  searcher (its index lives on disk already; no save step).

The index size on disk is each method's folder or file.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from recommender import RelatedIndex

from .harness import (
    PeakMemory,
    add_ratios,
    agreement,
    dir_bytes,
    method_entry,
    say,
    time_calls,
)
from .workspace import Workspace

BENCHMARK_SAVE, BENCHMARK_LOAD = "save", "load"
#: Articles and queries whose answers the loaded index must repeat.
CHECKS = 50


def _series(ws: Workspace, call, *, keep_first: bool = False, folders: Path | None = None):
    """Warm-up call, then the first timed call (memory measured), then the rest.

    With ``folders``, each call gets a new folder below it (``call(folder)``), removed
    untimed after the call.
    """
    config = ws.config
    count = 0

    def target(_: Any) -> Path | None:
        nonlocal count
        count += 1
        return None if folders is None else folders / f"run-{count}"

    def clean(_: Any) -> None:
        if folders is not None:
            shutil.rmtree(folders / f"run-{count}", ignore_errors=True)

    def one(item: Any) -> Any:
        folder = target(item)
        return call() if folder is None else call(folder)

    one(None)
    clean(None)
    with PeakMemory() as memory:
        first, outputs = time_calls(one, [0], keep=keep_first, after=clean)
    rest, _ = time_calls(one, range(config.repeats - 1),
                         budget_s=max(config.budget_s - first[0], 0.0), min_runs=0,
                         keep=False, after=clean)
    return first + rest, memory.result, (outputs[0] if keep_first else None)


def run(ws: Workspace) -> list[dict[str, Any]]:
    n, k = ws.n, ws.k
    index = ws.keep_lists(exact=False)
    saved = ws.saved_index()
    save_result = ws.new_result(BENCHMARK_SAVE, unit="index")
    load_result = ws.new_result(BENCHMARK_LOAD, unit="index")
    scratch = ws.scratch / "storage"
    scratch.mkdir(exist_ok=True)

    say(f"[{n:,}] save: ours")
    times, memory, _ = _series(ws, index.save, folders=scratch)
    size = dir_bytes(saved)
    save_result["methods"]["ours"] = method_entry(
        times, kind="ours", description="index.save(folder), approximate lists of length k",
        unit="index", items_per_run=n, memory=memory, index_bytes=size)

    say(f"[{n:,}] load: ours")
    times, memory, loaded = _series(ws, lambda: RelatedIndex.load(saved), keep_first=True)
    ids = ws.sample_ids(CHECKS, salt=3)
    want = [[i.id for i in index.related(x, k)] for x in ids]
    got = [[i.id for i in loaded.related(x, k)] for x in ids]
    queries = ws.queries[:min(CHECKS, 10)]
    want += [[i.id for i in index.similar(q, k)] for q in queries]
    got += [[i.id for i in loaded.similar(q, k)] for q in queries]
    del loaded
    load_result["methods"]["ours"] = method_entry(
        times, kind="ours", exact=True, mode="same answers",
        description="RelatedIndex.load(folder) (verified)",
        unit="index", items_per_run=n, memory=memory, index_bytes=size,
        **agreement(got, want, k),
        reference="answers of the index before saving (related and similar)")

    say(f"[{n:,}] save/load: sklearn_brute (joblib)")
    _save_and_load(ws, "sklearn_brute", ws.sklearn, scratch, save_result, load_result,
                   ("joblib.dump((vectorizer, X))", "joblib.load (pickle)"))

    from .baselines import Missing

    say(f"[{n:,}] save/load: bm25s")
    try:
        bm25 = ws.bm25()
    except Missing as exc:
        save_result["skipped"]["bm25s"] = load_result["skipped"]["bm25s"] = str(exc)
        say(f"  skipped bm25s: {exc}")
    else:
        _save_and_load(ws, "bm25s", bm25, scratch, save_result, load_result,
                       ("BM25.save(folder)", "BM25.load(folder)"))

    say(f"[{n:,}] load: tantivy_mlt")
    try:
        mlt = ws.tantivy()
    except Missing as exc:
        load_result["skipped"]["tantivy_mlt"] = str(exc)
        say(f"  skipped tantivy_mlt: {exc}")
    else:
        times, memory, _ = _series(ws, lambda: mlt.open(mlt.folder))
        load_result["methods"]["tantivy_mlt"] = method_entry(
            times, kind="baseline", description="tantivy.Index.open(folder).searcher()",
            unit="index", items_per_run=n, memory=memory, index_bytes=dir_bytes(mlt.folder))
    shutil.rmtree(scratch, ignore_errors=True)
    add_ratios(save_result)
    add_ratios(load_result)
    return [save_result, load_result]


def _save_and_load(ws: Workspace, name: str, model: Any, scratch: Path,
                   save_result: dict[str, Any], load_result: dict[str, Any],
                   descriptions: tuple[str, str]) -> None:
    """Time a baseline's ``save(folder)`` and ``load(folder)`` into both results."""
    n = ws.n
    times, memory, _ = _series(ws, model.save, folders=scratch)
    last = scratch / f"{name}-last"
    model.save(last)
    size = dir_bytes(last)
    save_result["methods"][name] = method_entry(
        times, kind="baseline", description=descriptions[0], unit="index", items_per_run=n,
        memory=memory, index_bytes=size)
    times, memory, _ = _series(ws, lambda: model.load(last))
    load_result["methods"][name] = method_entry(
        times, kind="baseline", description=descriptions[1], unit="index", items_per_run=n,
        memory=memory, index_bytes=size)


def main(argv: list[str] | None = None) -> int:
    from .runner import main as run_main

    return run_main(argv, only=["storage"], prog="python -m benchmarks.bench_storage")


if __name__ == "__main__":
    raise SystemExit(main())
