"""Round 4: re-ranking by the neighbourhood graph, and what a near-duplicate is.

Usage::

    python -m benchmarks.experiments.round4 rerank news-pt-500 bbc-news ...
    python -m benchmarks.experiments.round4 duplicates reuters21578-en ...

``rerank`` takes the dense matrix of our default scores (``RelatedIndex._scores``,
author cap and duplicate cut off, so it measures the ranking alone) and re-ranks it:
hubness reduction (CSLS, mutual proximity, local scaling) and neighbourhood smoothing
(one diffusion step over each article's top-m neighbours, shared-neighbour counts).
``duplicates`` keeps the default ranking and changes only what counts as a
near-duplicate: the tf-idf cosine (the library's rule), or the resemblance of the
word shingles of the raw text (numbers and names included). Both print P@5 minus
the best of the four baselines (cached by ``common.baselines``). See ROUND4.md.
"""

from __future__ import annotations

import re
import sys

import numpy as np
from scipy.stats import norm

from recommender import RelatedIndex

from .common import Judge, all_neighbours, baselines, load, ranks

WORD = re.compile(r"\w+")


def _margin(corpus) -> tuple[Judge, float]:
    judge = Judge(corpus)
    return judge, max(v["p5"].mean() for v in baselines(corpus, judge).values())


def rerank(name: str) -> None:
    corpus = load(name)
    index = RelatedIndex(max_per_author=None, duplicate_threshold=None)
    index.fit(list(corpus.articles))
    scores = np.array(index._scores(index.matrix_, index.latent_vectors_)[0], np.float64)
    np.fill_diagonal(scores, 0.0)
    n, rank = scores.shape[0], ranks(corpus)
    judge, best = _margin(corpus)

    def margin(variant: np.ndarray) -> float:
        # Any order-preserving map into (0, 1) ranks as the variant does.
        low, high = variant.min(), variant.max()
        mapped = (variant - low) / (high - low) * 0.98 + 0.01
        np.fill_diagonal(mapped, 0.0)
        return judge.summary(all_neighbours(lambda a, b: mapped[a:b], n, rank))["p5"] - best

    out = {"defaults": margin(scores)}
    for m in (10, 20):
        hub = np.partition(scores, -m, axis=1)[:, -m:].mean(axis=1)
        for gamma in (0.25, 0.5, 1.0):
            out[f"CSLS m{m} gamma {gamma}"] = margin(scores - gamma * hub[None, :])
    mean, spread = scores.mean(axis=1), scores.std(axis=1)
    proximity = norm.cdf((scores - mean[:, None]) / spread[:, None])
    out["mutual proximity (Gaussian)"] = margin(proximity * proximity.T)
    kth = 1 - np.partition(scores, -10, axis=1)[:, -10]
    out["local scaling m10"] = margin(np.exp(-(1 - scores) ** 2 / np.outer(kth, kth)))
    for m in (5, 10, 20):
        top = np.argpartition(-scores, m - 1, axis=1)[:, :m]
        weights = np.zeros_like(scores)
        np.put_along_axis(weights, top, np.take_along_axis(scores, top, 1), 1)
        weights /= weights.sum(axis=1, keepdims=True)
        spread_scores = weights @ scores
        for beta in (0.3, 0.5):
            out[f"smooth m{m} beta {beta}"] = margin((1 - beta) * scores + beta * spread_scores)
            both = (spread_scores + spread_scores.T) / 2
            out[f"smooth sym m{m} beta {beta}"] = margin((1 - beta) * scores + beta * both)
        linked = (weights > 0).astype(np.float64)
        shared = linked @ linked.T / m
        for beta in (0.1, 0.3):
            out[f"shared neighbours m{m} beta {beta}"] = margin(scores + beta * shared)
    for label, value in out.items():
        print(f"{name:16s} {label:34s} {value:+.4f}", flush=True)


def _shingles(text: str, width: int) -> set[int]:
    words = WORD.findall(text.lower())
    return {hash(tuple(words[i:i + width])) for i in range(max(1, len(words) - width + 1))}


def duplicates(name: str) -> None:
    corpus = load(name)
    articles = list(corpus.articles)
    index = RelatedIndex(duplicate_threshold=None).fit(articles)
    lists = index.related_all(k=40)
    matrix = index.matrix_
    judge, best = _margin(corpus)
    row = {ident: i for i, ident in enumerate(corpus.ids)}
    texts = [a.title + "\n" + a.body for a in articles]
    rules = {"none": lambda a, b: False,
             "tf-idf cosine >= 0.8": lambda a, b: (matrix[a] @ matrix[b].T)[0, 0] >= 0.8}
    for width in (3, 5):
        sets = [_shingles(t, width) for t in texts]
        for threshold in (0.5, 0.7):
            rules[f"{width}-shingle Jaccard >= {threshold}"] = (
                lambda a, b, s=sets, t=threshold: len(s[a] & s[b]) / len(s[a] | s[b]) >= t)
            rules[f"{width}-shingle containment >= {threshold}"] = (
                lambda a, b, s=sets, t=threshold:
                len(s[a] & s[b]) / min(len(s[a]), len(s[b])) >= t)
    for label, duplicate in rules.items():
        found = np.full((len(articles), 10), -1)
        for query, ident in enumerate(corpus.ids):
            chosen: list[int] = []
            for item in lists[ident]:
                other = row[item.id]
                if duplicate(query, other) or any(duplicate(c, other) for c in chosen):
                    continue
                chosen.append(other)
                if len(chosen) == 10:
                    break
            found[query, :len(chosen)] = chosen
        print(f"{name:16s} {label:34s} {judge.summary(found)['p5'] - best:+.4f}", flush=True)


if __name__ == "__main__":
    job = {"rerank": rerank, "duplicates": duplicates}[sys.argv[1]]
    for corpus_name in sys.argv[2:]:
        job(corpus_name)
