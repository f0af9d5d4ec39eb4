"""Build: fitting the model of a corpus, against fitting the baselines on the same text.

Methods (one timed call = the whole corpus; throughput in articles per second):

* ``ours``: ``RelatedIndex(n_jobs=-1).fit(articles)`` (vocabulary, tf-idf rows, latent
  spaces; no lists — their speed is the ``all_pairs`` benchmark), the reference of the
  fit-time target;
* ``ours_build``: the whole build, as ``recommender build`` does it — the fit, every
  list (``precompute(k)``) and ``save`` — the reference of the build-memory target;
* ``sklearn_tfidf``: ``TfidfVectorizer.fit_transform(texts)`` alone, the reference of
  the build targets (fit time and peak memory at most scikit-learn's);
* ``bm25s``: tokenize and index (numba backend); ``tantivy``: add every document,
  commit, merge — the peers' index builds, for information.

Warm-up: each method first builds on the first 200 articles (imports, worker
processes, JIT). Memory is measured on the first timed build alone: this process's
peak rise; for ours, whose analysis runs in worker processes, the largest sum of this
process's and the workers' RSS sampled at one moment, over this process's RSS before
(:func:`benchmarks.harness.total_rss_delta`; the two separate peaks are in the notes,
and their sum, which counts memory never in use at once, is an upper bound); the index
size is the saved
model without lists (ours), the joblib file (scikit-learn), the saved bm25s folder and
the tantivy index folder.

``python -m benchmarks.bench_build [--quick] [--sizes N ...]`` runs it alone.
"""

from __future__ import annotations

import shutil
from typing import Any

from .harness import (
    PeakMemory,
    add_ratios,
    dir_bytes,
    method_entry,
    say,
    time_calls,
    total_rss_delta,
)
from .workspace import Workspace

BENCHMARK = "build"
WARMUP_ARTICLES = 200


def _series(ws: Workspace, build, *, children: bool = False) -> tuple[list[float], dict, Any]:
    """Warm up on a slice, measure the first timed build's memory, then time the rest.

    Returns the times, the memory of the first build and its output.
    """
    config = ws.config
    build(slice(0, min(WARMUP_ARTICLES, ws.n)))
    with PeakMemory(children=children) as memory:
        first, outputs = time_calls(lambda _: build(slice(None)), [0])
    kept = outputs[0]
    rest, _ = time_calls(lambda _: build(slice(None)), range(config.repeats - 1),
                         budget_s=max(config.budget_s - first[0], 0.0), min_runs=0,
                         keep=False)
    return first + rest, memory.result, kept


def run(ws: Workspace) -> dict[str, Any]:
    result = ws.new_result(BENCHMARK, unit="corpus", warmup_articles=WARMUP_ARTICLES)
    articles, texts = ws.articles, ws.texts
    n = ws.n

    say(f"[{n:,}] build: ours")
    times, memory, index = _series(ws, lambda s: ws.new_index().fit(articles[s]),
                                   children=True)
    ws.index = index
    folder = ws.scratch / "build-ours"
    index.save(folder)
    size = dir_bytes(folder)
    shutil.rmtree(folder, ignore_errors=True)
    result["methods"]["ours"] = method_entry(
        times, kind="ours", description="RelatedIndex(n_jobs=-1).fit(articles)",
        unit="corpus", items_per_run=n, memory=memory, index_bytes=size,
        terms=len(index.vocabulary_), nnz=int(index.matrix_.nnz))

    say(f"[{n:,}] build: ours, fit + every list + save")
    folder = ws.scratch / "build-ours-whole"

    def whole_build(s: slice) -> None:
        ws.new_index().fit(articles[s]).precompute(ws.k).save(folder)

    times, memory, _ = _series(ws, whole_build, children=True)
    result["methods"]["ours_build"] = method_entry(
        times, kind="ours", description=f"RelatedIndex(n_jobs=-1).fit(articles)"
        f".precompute({ws.k}).save(folder)", unit="corpus", items_per_run=n, memory=memory,
        index_bytes=dir_bytes(folder))
    shutil.rmtree(folder, ignore_errors=True)

    say(f"[{n:,}] build: scikit-learn")
    from .baselines import SklearnBrute, tfidf_vectorizer

    def fit_transform(s: slice):
        vectorizer = tfidf_vectorizer()
        return vectorizer, vectorizer.fit_transform(texts[s])

    times, memory, (vectorizer, X) = _series(ws, fit_transform)
    sk = SklearnBrute(ws.k)
    sk.vectorizer, sk.X = vectorizer, X
    ws.sklearn = sk  # the other scripts' baseline: no second fit
    folder = ws.scratch / "build-sklearn"
    sk.save(folder)
    result["methods"]["sklearn_tfidf"] = method_entry(
        times, kind="baseline", description="TfidfVectorizer(sublinear_tf, stop words, "
        "float32).fit_transform(texts)", unit="corpus", items_per_run=n, memory=memory,
        index_bytes=dir_bytes(folder), terms=len(sk.vectorizer.vocabulary_),
        nnz=int(sk.X.nnz))
    shutil.rmtree(folder, ignore_errors=True)

    _peer(ws, result, "bm25s", _bm25_build)
    _peer(ws, result, "tantivy", _tantivy_build)

    add_ratios(result, baseline="sklearn_tfidf")
    ours, sk_entry = result["methods"]["ours"], result["methods"]["sklearn_tfidf"]
    whole = result["methods"]["ours_build"]
    ratios, memory_ratio = ours["vs_sklearn_tfidf"], whole["vs_sklearn_tfidf"]["rss"]
    result["targets"] = [
        {"name": "fit time <= TfidfVectorizer.fit_transform", "value": ratios["speedup"],
         "threshold": 1.0, "higher_is_better": True,
         "passed": _at_least(ratios["speedup"], 1.0)},
        {"name": "build (fit + lists + save) peak RSS <= TfidfVectorizer.fit_transform",
         "value": memory_ratio, "threshold": 1.0, "higher_is_better": False,
         "passed": None if memory_ratio is None else memory_ratio <= 1.0},
    ]
    result["notes"].append(
        "index on disk: ours is the fitted model saved without lists (the save benchmark "
        "has the index with its lists, as recommender build writes it)")
    result["notes"].append(
        "memory: the first timed build's peak over this process's RSS before it, with the "
        "analysis workers' RSS added at each sample (ours) — fit "
        f"{total_rss_delta(ours)} MB (its own peak {ours['memory']['rss_delta_mb']} MB, "
        f"the workers' {ours['memory'].get('children_peak_rss_mb', 0)} MB), whole build "
        f"{total_rss_delta(whole)} MB (its own peak {whole['memory']['rss_delta_mb']} MB, "
        f"the workers' {whole['memory'].get('children_peak_rss_mb', 0)} MB), scikit-learn "
        f"{sk_entry['memory']['rss_delta_mb']} MB")
    return result


def _at_least(value: float | None, floor: float) -> bool | None:
    return None if value is None else value >= floor


def _bm25_build(ws: Workspace, s: slice):
    from .baselines import BM25, quiet

    return quiet(BM25(ws.k).fit, ws.texts[s])


def _tantivy_build(ws: Workspace, s: slice):
    from .baselines import TantivyMLT

    folder = ws.scratch / "build-tantivy"
    shutil.rmtree(folder, ignore_errors=True)
    return TantivyMLT(ws.k, ws.config.threads).fit(ws.texts[s], folder)


def _peer(ws: Workspace, result: dict[str, Any], name: str, build) -> None:
    from .baselines import Missing

    say(f"[{ws.n:,}] build: {name}")
    try:
        times, memory, fitted = _series(ws, lambda s: build(ws, s))
    except Missing as exc:
        result["skipped"][name] = str(exc)
        say(f"  skipped {name}: {exc}")
        return
    if name == "bm25s":
        folder = ws.scratch / "build-bm25s"
        fitted.save(folder)
        size = dir_bytes(folder)
        shutil.rmtree(folder, ignore_errors=True)
    else:
        size = dir_bytes(fitted.folder)
    result["methods"][name] = method_entry(
        times, kind="baseline", description=type(fitted).description, unit="corpus",
        items_per_run=ws.n, memory=memory, index_bytes=size)


def main(argv: list[str] | None = None) -> int:
    from .runner import main as run_main

    return run_main(argv, only=[BENCHMARK], prog="python -m benchmarks.bench_build")


if __name__ == "__main__":
    raise SystemExit(main())
