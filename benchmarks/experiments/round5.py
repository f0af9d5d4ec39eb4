"""Round 5: what a byline is worth, and the title weight and near-duplicate cut on Reuters.

Usage::

    python -m benchmarks.experiments.round5 bonus fakebr-true-pt 0 0.1 0.2 0.3
    python -m benchmarks.experiments.round5 random bbc-news 100      # Zipf bylines
    python -m benchmarks.experiments.round5 random fakebr-true-pt shuffle
    python -m benchmarks.experiments.round5 screen reuters21578-en 1/0.8 2/0.9

``bonus`` builds the library with ``author_bonus`` at each value (everything else at
the defaults) and prints P@5 and its margin over the best of the four baselines.
``random`` gives every article a random byline (Zipf over N authors, seed 0) or shuffles
the real ones, and compares ``author_bonus`` 0 with the default: a byline that says
nothing about the subject must cost nothing. ``screen`` builds with
``field_weights["title"]`` / ``duplicate_threshold`` pairs. See ROUND5.md.
"""

from __future__ import annotations

import dataclasses
import sys

import numpy as np

from recommender import RelatedIndex

from .common import Judge, baselines, load


def _precision(corpus, articles, **settings) -> tuple[float, RelatedIndex]:
    """P@5 of the library's lists (``related_all``) under ``settings``."""
    index = RelatedIndex(**settings).fit(articles)
    lists = index.related_all(k=10)
    position = {a.id: i for i, a in enumerate(articles)}
    neighbours = np.full((len(articles), 10), -1)
    for i, article in enumerate(articles):
        for j, item in enumerate(lists[article.id]):
            neighbours[i, j] = position[item.id]
    return Judge(corpus).summary(neighbours)["p5"], index


def _best_baseline(corpus) -> float:
    return max(v["p5"].mean() for v in baselines(corpus, Judge(corpus)).values())


def bonus(name: str, *values: str) -> None:
    corpus = load(name)
    best = _best_baseline(corpus)
    for value in values:
        p5, _ = _precision(corpus, list(corpus.articles), author_bonus=float(value))
        print(f"{name} author_bonus {value}: P@5 {p5:.4f} ({p5 - best:+.4f})", flush=True)


def random(name: str, how: str) -> None:
    corpus = load(name)
    articles = list(corpus.articles)
    rng = np.random.default_rng(0)
    if how == "shuffle":
        order = rng.permutation(len(articles))
        articles = [dataclasses.replace(a, author=articles[j].author)
                    for a, j in zip(articles, order)]
    else:
        weights = 1.0 / np.arange(1, int(how) + 1)
        who = rng.choice(int(how), size=len(articles), p=weights / weights.sum())
        articles = [dataclasses.replace(a, author=(f"Autor {w}",))
                    for a, w in zip(articles, who)]
    off, _ = _precision(corpus, articles, author_bonus=0.0)
    on, index = _precision(corpus, articles)
    agreement = np.array(list(index.author_agreement_.values()) or [0.0])
    print(f"{name} bylines {how}: P@5 {off:.4f} without the bonus, {on:.4f} with it; "
          f"{len(index.author_agreement_)} authors agree, at most {agreement.max():.3f}",
          flush=True)


def screen(name: str, *pairs: str) -> None:
    corpus = load(name)
    best = _best_baseline(corpus)
    for pair in pairs:
        title, cut = (float(x) for x in pair.split("/"))
        p5, _ = _precision(corpus, list(corpus.articles), field_weights={"title": title},
                           duplicate_threshold=cut)
        print(f"{name} title {title} duplicates {cut}: P@5 {p5:.4f} ({p5 - best:+.4f})",
              flush=True)


if __name__ == "__main__":
    {"bonus": bonus, "random": random, "screen": screen}[sys.argv[1]](*sys.argv[2:])
