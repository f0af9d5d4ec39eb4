"""Fit-time cost and determinism of the latent view on the largest corpora.

Usage::

    python -m benchmarks.experiments.cost [--synthetic N]

For each corpus: time of ``RelatedIndex.fit`` (analysis + TF-IDF), time of
``fit_latent`` on its matrix (d = 50, n_iter = 5), and whether two fits give
bit-identical arrays. ``--synthetic N`` adds N seeded synthetic articles
(``benchmarks.synthetic``) to measure the SVD at scale.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import numpy as np

from recommender.latent import fit_latent

from .common import fitted, load


def measure(name, matrix, fit_s):
    row = {"corpus": name, "n": matrix.shape[0], "terms": matrix.shape[1], "nnz": int(matrix.nnz),
           "tfidf_fit_s": round(fit_s, 2)}
    for d, n_iter in ((50, 5), (50, 2), (100, 5)):
        started = time.perf_counter()
        first = fit_latent(matrix, d, n_iter=n_iter)
        row[f"latent_fit_s_d{d}_it{n_iter}"] = round(time.perf_counter() - started, 2)
        if (d, n_iter) == (50, 5):
            second = fit_latent(matrix.copy(), d, n_iter=n_iter)
            row["identical_on_refit"] = all(
                np.array_equal(a, b) for a, b in zip(first, second, strict=True))
            row["components_mb"] = round(first[0].nbytes / 2**20, 1)
            row["vectors_mb"] = round(first[1].nbytes / 2**20, 1)
    print(json.dumps(row), flush=True)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--corpus", action="append", default=[])
    parser.add_argument("--synthetic", type=int, default=0)
    args = parser.parse_args(argv)
    settings = {"field_weights": {"title": 1.0}}
    for spec in args.corpus:
        name, _, size = spec.partition(":")
        corpus = load(name, int(size) if size else None)
        matrix, fit_s = fitted(corpus, settings)
        measure(corpus.name, matrix, fit_s)
    if args.synthetic:
        from benchmarks.synthetic import generate
        from recommender import RelatedIndex
        from recommender.corpus import Article

        records = list(generate(args.synthetic, seed=0))
        keys = ("id", "title", "body", "author", "date", "tags")
        articles = [Article(**{k: r[k] for k in keys if k in r}) for r in records]
        started = time.perf_counter()
        index = RelatedIndex(**settings, n_jobs=2).fit(articles)
        measure(f"synthetic-{args.synthetic}", index.matrix_, time.perf_counter() - started)
    return 0


if __name__ == "__main__":
    sys.exit(main())
