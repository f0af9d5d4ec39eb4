"""What a shared byline adds to a score: how alike its author's pieces are.

Sharing an author is strong evidence that two articles belong together where
authors keep to a subject (a desk, a columnist's beat), and none where they do not.
The fit measures it per author (an article's authors, as the per-author cap groups
them) from the text alone: the mean cosine between the author's pieces, on every
field but the author, against the mean cosine of any two articles. The author's
``agreement`` is 0 for pieces no more alike than any two articles and 1 for pieces
at least twice as alike; the mean is first shrunk towards the corpus's by
:data:`PRIOR_PAIRS` pairs, so that one chance resemblance between an author's two
pieces does not count as a beat.

A candidate by the query's author(s) scores ``author_bonus × agreement`` more. The
agreements are part of the model: saved with the index, and kept as they were by an
update (a new author has none until the next full build).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import scipy.sparse as sp

from .catalog import Entry
from .groups import author_names
from .kernels import compiled

__all__ = ["PRIOR_PAIRS", "Bylines", "agreement", "author_agreement"]

#: Pairs of the corpus's mean resemblance that an author's mean starts from.
PRIOR_PAIRS = 10.0


@compiled
def _resemblance_sums(indptr, indices, data, excluded, group_ptr, group_rows, n_groups):
    """Per group of rows (the first ``n_groups`` of ``group_ptr``; the last holds every
    other row), the squared norm of the sum of its rows made unit without the
    ``excluded`` columns, and how many of its rows are not empty then; the same for
    all the rows as the last entries. Each row is read once, its entries twice while
    they are in the cache."""
    width = excluded.size
    squared = np.zeros(n_groups + 1)
    members = np.zeros(n_groups + 1, np.int64)
    total = np.zeros(width)
    sums = np.zeros(width)
    in_group = np.full(width, -1, np.int64)
    touched = np.empty(width, np.int64)
    for group in range(group_ptr.size - 1):
        counted = group < n_groups
        count = 0
        for g in range(group_ptr[group], group_ptr[group + 1]):
            row = group_rows[g]
            lo, hi = indptr[row], indptr[row + 1]
            squares = 0.0
            for p in range(lo, hi):
                if not excluded[indices[p]]:
                    squares += np.float64(data[p]) ** 2
            if squares == 0.0:
                continue
            norm = np.sqrt(squares)
            members[n_groups] += 1
            if counted:
                members[group] += 1
            for p in range(lo, hi):
                column = indices[p]
                if excluded[column]:
                    continue
                value = np.float64(data[p]) / norm
                total[column] += value
                if counted:
                    if in_group[column] != group:
                        in_group[column] = group
                        sums[column] = 0.0
                        touched[count] = column
                        count += 1
                    sums[column] += value
        for i in range(count):
            squared[group] += sums[touched[i]] ** 2
    for column in range(width):
        squared[n_groups] += total[column] ** 2
    return squared, members


def agreement(squared: np.ndarray, members: np.ndarray) -> np.ndarray:
    """Each group's agreement in [0, 1] from :func:`_resemblance_sums`' output (the
    corpus's entry last).

    The mean pairwise cosine of ``m`` unit rows is ``(|sum|² - m) / (m (m - 1))``.
    Below, ten articles resemble each other by 0.11 on average; the first author's
    two pieces are identical (cosine 1, shrunk to 0.19 by the prior), the second's
    have nothing in common:

    >>> agreement(np.array([4.0, 2.0, 20.0]), np.array([2, 2, 10])).round(4).tolist()
    [0.7273, 0.0]
    """
    n = float(members[-1])
    corpus = (squared[-1] - n) / (n * (n - 1)) if n >= 2 else 0.0
    m = members[:-1].astype(np.float64)
    if corpus <= 0.0:
        return np.zeros(m.size)
    pair_sums = (squared[:-1] - m) / 2.0
    mean = (pair_sums + PRIOR_PAIRS * corpus) / (m * (m - 1) / 2.0 + PRIOR_PAIRS)
    return np.clip(mean / corpus - 1.0, 0.0, 1.0)


def author_agreement(matrix: sp.csr_matrix, author_columns: np.ndarray,
                     entries: Sequence[Entry]) -> dict[tuple[str, ...], float]:
    """The agreement of every author with at least two pieces, above 0.

    Parameters
    ----------
    matrix : csr_matrix of shape (n_articles, n_terms)
        The tf-idf rows.
    author_columns : ndarray of bool, shape (n_terms,)
        The columns of author tokens, left out of the comparison.
    entries : sequence of Entry
        The articles, in the matrix's row order.

    Returns
    -------
    dict
        Accent-folded author names (sorted) to agreement.
    """
    names = [author_names(e) for e in entries]
    keys: dict[tuple[str, ...], int] = {}
    of_row = np.array([keys.setdefault(k, len(keys)) if k else -1 for k in names],
                      dtype=np.int64)
    counts = np.bincount(of_row[of_row >= 0], minlength=len(keys))
    shared = np.flatnonzero(counts >= 2)
    if not shared.size:
        return {}
    group_of = np.full(len(keys) + 1, shared.size, dtype=np.int64)  # the rest: last
    group_of[shared] = np.arange(shared.size)
    rows_group = group_of[of_row]  # -1 (no author) reads the last entry
    order = np.argsort(rows_group, kind="stable")
    group_ptr = np.searchsorted(rows_group[order], np.arange(shared.size + 2))
    squared, members = _resemblance_sums(
        np.asarray(matrix.indptr, np.int64), np.asarray(matrix.indices),
        np.asarray(matrix.data), np.asarray(author_columns, np.bool_),
        group_ptr.astype(np.int64), order.astype(np.int64), shared.size)
    values = agreement(squared, members)
    by_key = list(keys)
    return {by_key[g]: float(v) for g, v in zip(shared.tolist(), values.tolist()) if v > 0.0}


class Bylines:
    """The byline bonus of every article: who shares its author(s), and by how much.

    Parameters
    ----------
    entries : sequence of Entry
    agreements : mapping
        Author names (as :func:`author_agreement` keys them) to agreement.
    weight : float
        The ``author_bonus`` setting.
    authors : ndarray of int
        The articles' author numbers (:func:`~recommender.groups.author_keys`).
    """

    def __init__(self, entries: Sequence[Entry], agreements: Mapping[tuple[str, ...], float],
                 weight: float, authors: np.ndarray):
        self.bonus = np.zeros(len(entries))
        if weight > 0.0 and agreements:
            self.bonus[:] = [weight * agreements.get(author_names(e), 0.0) for e in entries]
        self.authors = authors
        self.order = np.argsort(authors, kind="stable")
        self.starts = np.searchsorted(authors[self.order], np.arange(authors.max(initial=-1) + 2))

    def __bool__(self) -> bool:
        return bool(self.bonus.any())

    def of_row(self, row: int, found: np.ndarray | None = None) -> tuple[np.ndarray, float]:
        """Where ``row``'s bonus applies — the articles by its author(s), itself
        included, or their positions in ``found`` (ascending) — and the bonus."""
        key, bonus = self.authors[row], float(self.bonus[row])
        if key < 0 or not bonus:
            return self.order[:0], 0.0
        members = self.order[self.starts[key]:self.starts[key + 1]]
        if found is not None:
            members = np.flatnonzero(np.isin(found, members, assume_unique=True))
        return members, bonus

    def add_to(self, scores: np.ndarray, rows: Sequence[int]) -> None:
        """Add each query row's bonus to its line of ``scores`` (one line per row of
        ``rows``, a column per article) where the article shares the row's author(s);
        in place."""
        for line, row in enumerate(rows):
            members, bonus = self.of_row(row)
            if members.size:
                scores[line, members] += scores.dtype.type(bonus)
