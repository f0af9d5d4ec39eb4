"""``select``: the greedy choice under the author cap and near-duplicate rule, whatever
the size of the pool it starts from."""

import numpy as np
import pytest

from recommender.results import SCORE_DECIMALS
from recommender.selection import Diversity, select


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
        return lambda i: vectors[rows] @ vectors[rows[i]]

    rows, values = select(scores, k, ranks, authors=authors, similarity=similarity,
                          diversity=Diversity(max_per_author=cap, duplicate_threshold=0.99))
    expected = _reference(scores, k, ranks, authors, cap, vectors, 0.99)
    assert len(expected) == k and sorted(rows.tolist()) == sorted(expected)
    assert (authors[rows] == 7).sum() == cap
    assert np.all(np.diff(values) <= 0)
