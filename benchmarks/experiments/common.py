"""Shared pieces of the default-settings experiments: corpora, cached fits, fast scoring.

Corpora are read from the shared folder (never copied); fitted TF-IDF matrices and
baseline results are cached in ``$RECOMMENDER_EXP_CACHE`` (default ``/tmp/recexp``),
outside the repository, so that screening many mechanisms costs one analysis per
corpus and analysis setting.

The ranking here is a vectorised twin of :func:`recommender.ranking.top_k` (scores
clipped to [0, 1], rounded to ``SCORE_DECIMALS``, zero never listed, self masked by
index, ties by date descending then id ascending); ``check_ranking`` compares it with
``top_k`` row by row.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from benchmarks.relevance import SHARED, corpora_dir
from recommender import RelatedIndex
from recommender.corpora import bbc_news, drop_duplicates, read_labelled, sample
from recommender.evaluate import (
    BASELINES,
    _count_relevant,
    _label_matrix,
    _ndcg,
    _precision,
    _relevance,
)
from recommender.ranking import tiebreak_ranks, top_k
from recommender.results import SCORE_DECIMALS

CACHE = Path(os.environ.get("RECOMMENDER_EXP_CACHE", "/tmp/recexp"))
CACHE.mkdir(parents=True, exist_ok=True)
K = 10


def load(name: str, size: int | None = None):
    """A corpus by name, duplicates dropped; ``size`` samples it (seed 0) as the harness does."""
    if name == "bbc-news":
        corpus = bbc_news(drop_duplicates=False)
    else:
        corpus = read_labelled(corpus_path(name), name=name)
    corpus = drop_duplicates(corpus)
    if size is None and name in SHARED:
        size = SHARED[name][1]
    if size is not None and size < len(corpus):
        corpus = sample(corpus, size, seed=0)
    return corpus


def corpus_path(name: str) -> Path:
    return corpora_dir() / SHARED[name][0]


def _key(*parts: Any) -> str:
    return hashlib.sha1(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:16]


def fitted(corpus, settings: dict[str, Any]) -> tuple[sp.csr_matrix, float]:
    """``RelatedIndex(**settings).fit(articles).matrix_`` (cached) and the fit time in s."""
    path = CACHE / f"{corpus.name}-{len(corpus)}-{_key(settings)}.npz"
    meta = path.with_suffix(".json")
    if path.is_file() and meta.is_file():
        return sp.load_npz(path).tocsr(), json.loads(meta.read_text())["fit_s"]
    started = time.perf_counter()
    index = RelatedIndex(**settings).fit(list(corpus.articles))
    elapsed = time.perf_counter() - started
    sp.save_npz(path, index.matrix_)
    meta.write_text(json.dumps({"fit_s": elapsed, "settings": settings}))
    return index.matrix_, elapsed


def ranks(corpus) -> np.ndarray:
    return tiebreak_ranks(corpus.ids, [a.date for a in corpus.articles])


def neighbours(scores: np.ndarray, rank: np.ndarray, k: int = K, offset: int = 0) -> np.ndarray:
    """Top-k rows of a block of scores (rows ``offset..``), ``-1`` padded, as ``top_k`` ranks."""
    n = scores.shape[1]
    rounded = np.round(np.clip(scores.astype(np.float64), 0.0, 1.0) * 10**SCORE_DECIMALS)
    key = rounded.astype(np.int64) * n + (n - 1 - rank)[None, :]
    key[rounded <= 0] = -1
    rows = np.arange(scores.shape[0])
    key[rows, rows + offset] = -1
    width = min(k, n)
    part = np.argpartition(-key, width - 1, axis=1)[:, :width]
    part_keys = np.take_along_axis(key, part, axis=1)
    order = np.argsort(-part_keys, axis=1, kind="stable")
    best = np.take_along_axis(part, order, axis=1)
    best[np.take_along_axis(part_keys, order, axis=1) < 0] = -1
    out = np.full((scores.shape[0], k), -1, dtype=np.int64)
    out[:, :width] = best
    return out


def all_neighbours(score_rows, n: int, rank: np.ndarray, k: int = K, block: int = 1000):
    """Neighbours of every row; ``score_rows(start, stop)`` gives a dense block of scores."""
    out = np.empty((n, k), dtype=np.int64)
    for start in range(0, n, block):
        stop = min(start + block, n)
        out[start:stop] = neighbours(score_rows(start, stop), rank, k, offset=start)
    return out


def check_ranking(scores: np.ndarray, rank: np.ndarray, rows=range(50)) -> None:
    """The vectorised ranking equals ``recommender.ranking.top_k`` on some rows."""
    mine = neighbours(scores[list(rows)], rank, K, offset=0) if rows == range(50) else None
    for i, row in enumerate(rows):
        ref, _ = top_k(scores[row], K, rank, exclude=row)
        got = mine[i][mine[i] >= 0]
        if not np.array_equal(got, ref):
            raise AssertionError(f"row {row}: {got} != {ref}")


class Judge:
    """Per-query P@5 and nDCG@10 of neighbour arrays on one corpus."""

    def __init__(self, corpus):
        self.corpus = corpus
        self.labels = _label_matrix(corpus.labels)
        self.n_relevant = _count_relevant(self.labels)
        self.scored = self.n_relevant > 0

    def per_query(self, nb: np.ndarray) -> dict[str, np.ndarray]:
        rel = _relevance(nb, self.labels)
        return {"p5": _precision(rel, self.n_relevant, 5)[self.scored],
                "ndcg10": _ndcg(rel, self.n_relevant, K)[self.scored]}

    def summary(self, nb: np.ndarray) -> dict[str, float]:
        return {m: float(v.mean()) for m, v in self.per_query(nb).items()}


def baselines(corpus, judge: Judge) -> dict[str, dict[str, np.ndarray]]:
    """Per-query metrics of the four baselines (cached on disk)."""
    path = CACHE / f"baselines-{corpus.name}-{len(corpus)}.npz"
    if path.is_file():
        data = np.load(path)
        out: dict[str, dict[str, np.ndarray]] = {}
        for key in data.files:
            name, metric = key.split("|")
            out.setdefault(name, {})[metric] = data[key]
        return out
    out = {}
    texts = corpus.texts()
    for name, function in BASELINES.items():
        nb = function(texts, K)
        out[name] = judge.per_query(nb)
    np.savez(path, **{f"{n}|{m}": v for n, d in out.items() for m, v in d.items()})
    return out


def paired_interval(a: np.ndarray, b: np.ndarray, n_resamples: int = 1000, seed: int = 0):
    """Mean of a - b with a 95% percentile bootstrap interval over queries (paired)."""
    diff = a - b
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, diff.size, size=(n_resamples, diff.size))
    means = diff[idx].mean(axis=1)
    return float(diff.mean()), float(np.quantile(means, 0.025)), float(np.quantile(means, 0.975))
