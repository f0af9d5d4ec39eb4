"""``select``: the greedy choice under the author cap and near-duplicate rule, whatever
the size of the pool it starts from."""

import numpy as np
import pytest

from recommender.results import SCORE_DECIMALS
from recommender.selection import Diversity, select


class _VectorCosines:
    """Cosines among rows of dense unit vectors, as ``select`` asks them."""

    def __init__(self, vectors):
        self.vectors = vectors

    def among(self, i):
        return self.vectors @ self.vectors[i]

    def highest(self, i, others):
        return float(max(self.vectors[others] @ self.vectors[i]))


def _reference(scores, k, ranks, authors, cap, vectors, threshold):
    """The rules applied to every candidate in the documented order, no pool."""
    order = sorted(np.flatnonzero(scores > 0),
                   key=lambda i: (-round(scores[i], SCORE_DECIMALS), ranks[i]))
    chosen, per_author = [], {}
    for i in order:
        if len(chosen) == k:
            break
        if any(round(float(vectors[i] @ vectors[j]), SCORE_DECIMALS) >= threshold
               for j in chosen):
            continue
        if per_author.get(authors[i], 0) >= cap:
            continue
        per_author[authors[i]] = per_author.get(authors[i], 0) + 1
        chosen.append(i)
    return chosen


@pytest.mark.parametrize("seed", range(6))
def test_a_pool_that_runs_out_is_widened_and_gives_the_list_of_every_candidate(seed):
    rng = np.random.default_rng(seed)
    n, k, cap = 400, 10, 2
    scores = np.round(rng.random(n), SCORE_DECIMALS)
    authors = rng.integers(0, 40, n)
    authors[np.argsort(-scores)[:150]] = 7  # the best 150 by one author: pools run out
    vectors = rng.random((n, 8))
    vectors[1::3] = vectors[0::3][: len(vectors[1::3])]  # copies: cosine 1
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    ranks = rng.permutation(n)

    def similarity(rows):
        return _VectorCosines(vectors[rows])

    rows, values = select(scores, k, ranks, authors=authors, similarity=similarity,
                          diversity=Diversity(max_per_author=cap, duplicate_threshold=0.99))
    expected = _reference(scores, k, ranks, authors, cap, vectors, 0.99)
    assert len(expected) == k and sorted(rows.tolist()) == sorted(expected)
    assert (authors[rows] == 7).sum() == cap
    assert np.all(np.diff(values) <= 0)


def test_a_copy_past_the_first_comparisons_is_still_skipped():
    # A candidate is compared with the articles chosen when the pass reaches it: a copy
    # of the best article at position 47, reached because a capped author holds
    # positions 1 to 45, is skipped.
    rng = np.random.default_rng(3)
    n, k = 80, 10
    scores = np.round(np.linspace(0.9, 0.1, n), SCORE_DECIMALS)
    authors = np.arange(n) + 100
    authors[1:46] = 5
    vectors = rng.random((n, 16))
    vectors[47] = vectors[0]
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    ranks = np.arange(n)

    def similarity(rows):
        return _VectorCosines(vectors[rows])

    rows, _ = select(scores, k, ranks, authors=authors, similarity=similarity,
                     diversity=Diversity(max_per_author=1, duplicate_threshold=0.99))
    assert 47 not in rows.tolist() and 0 in rows.tolist()
    assert rows.tolist() == _reference(scores, k, ranks, authors, 1, vectors, 0.99)
