"""``similar(text)``: articles most like a free text that is not in the corpus.

The queries are held-out generated essays (:func:`benchmarks.synthetic.held_out_queries`:
same vocabulary, topics and authors as the corpus, another random stream), title and
body, as long as the articles. One timed call = one query; every method gets the same
queries, after the same warm-up queries.

Methods:

* ``ours``: ``similar(text, k)`` (``exact=False``, the default);
* ``ours_exact``: ``similar(text, k, exact=True)`` (scores every article);
* ``sklearn_brute``: ``vectorizer.transform([text])`` + ``linear_kernel`` +
  ``argpartition`` (the gate's reference: ours at least 20× faster at 10k in
  ``--quick``);
* ``sklearn_nn``: ``NearestNeighbors(metric="cosine", algorithm="brute")``;
* ``bm25s`` (numba backend) and ``tantivy_mlt`` (MoreLikeThis, its default settings),
  when installed; ``tantivy_mlt_tuned``: the same index, MoreLikeThis keeping up to
  100 query terms, each counted once (its defaults keep few terms and rank far from
  any TF-IDF model: see :class:`benchmarks.baselines.TantivyMLTTuned`).

Recall@k: against ``similar(text, k, exact=True)`` computed once, untimed, before the
timed runs (so the exact mode's recall checks that it answers the same every time);
the approximate mode's recall is its agreement with the exact answer of the same
model. For the baselines it is their overlap with our exact answers (information).
"""

from __future__ import annotations

from typing import Any

from .harness import add_ratios, agreement, measure, method_entry, say
from .workspace import Workspace

BENCHMARK = "similar"


def run(ws: Workspace) -> dict[str, Any]:
    config, n, k = ws.config, ws.n, ws.k
    queries = ws.queries
    warm, timed = queries[:config.warmup], queries[config.warmup:]
    index = ws.index
    result = ws.new_result(BENCHMARK, unit="query", queries=len(timed),
                           query_words_median=_median_words(timed),
                           reference="similar(text, k, exact=True), computed before timing")

    say(f"[{n:,}] similar: the exact answers (reference, untimed)")
    truth = [[item.id for item in index.similar(q, k, exact=True)] for q in timed]

    for name, exact in (("ours", False), ("ours_exact", True)):
        say(f"[{n:,}] similar: {name}")
        times, outputs, memory = measure(lambda q, e=exact: index.similar(q, k, exact=e),
                                         timed, warmup=warm, budget_s=config.query_budget_s,
                                         min_runs=min(len(timed), 20))
        found = [[item.id for item in items] for items in outputs]
        want = truth[:len(found)]
        result["methods"][name] = method_entry(
            times, kind="ours", exact=exact, unit="query", memory=memory,
            description=f"similar(text, k, exact={exact})",
            **agreement(found, want, k), reference="ours exact answers")

    from .baselines import SklearnNN, TantivyMLTTuned, available, quiet

    factories = [
        ("sklearn_brute", lambda: ws.sklearn),
        ("sklearn_nn", lambda: ws.shared("sklearn_nn", lambda: SklearnNN(ws.sklearn))),
        ("bm25s", ws.bm25),
        ("tantivy_mlt", ws.tantivy),
        ("tantivy_mlt_tuned", lambda: TantivyMLTTuned(ws.tantivy())),
    ]
    ident = ws.ids
    for name, model in available(factories, result["skipped"], f"[{n:,}] similar", say):
        times, outputs, memory = measure(lambda q, m=model: quiet(m.similar, q), timed,
                                         warmup=warm, budget_s=config.query_budget_s,
                                         min_runs=min(len(timed), 20))
        found = [[ident[r] for r in rows] for rows in outputs]
        want = truth[:len(found)]
        result["methods"][name] = method_entry(
            times, kind="baseline", exact=None, unit="query", memory=memory,
            description=type(model).description,
            **agreement(found, want, k), reference="ours exact answers (overlap)")
    ws.fill_index_bytes(result)
    add_ratios(result)
    peers = [m for m in ("bm25s", "tantivy_mlt", "tantivy_mlt_tuned", "sklearn_nn",
                         "sklearn_brute")
             if m in result["methods"]]
    if peers:
        median = {m: result["methods"][m]["latency_s"]["median_s"] for m in peers}
        fastest = min(peers, key=median.__getitem__)
        ours = result["methods"]["ours"]["latency_s"]["median_s"]
        result["fastest_peer"] = {
            "method": fastest, "speedup_of_ours": median[fastest] / ours,
            "speedup_of_ours_per_peer": {m: median[m] / ours for m in peers},
        }
    return result


def _median_words(texts: list[str]) -> int:
    counts = sorted(len(t.split()) for t in texts)
    return counts[len(counts) // 2] if counts else 0


def main(argv: list[str] | None = None) -> int:
    from .runner import main as run_main

    return run_main(argv, only=[BENCHMARK], prog="python -m benchmarks.bench_similar")


if __name__ == "__main__":
    raise SystemExit(main())
