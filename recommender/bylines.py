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
from .groups import author_groups
from .kernels import _flattened, compiled

__all__ = ["PRIOR_PAIRS", "Bylines", "agreement", "author_agreement", "joined"]

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
    of_row, keys = author_groups(entries)
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
    return {keys[g]: float(v) for g, v in zip(shared.tolist(), values.tolist()) if v > 0.0}


class Bylines:
    """The byline bonus of every article: who shares its author(s), and by how much.

    Parameters
    ----------
    authors : ndarray of int
        The articles' author numbers (:func:`~recommender.groups.author_groups`).
    names : list of tuple of str
        The author names of each number.
    agreements : mapping
        Author names (as :func:`author_agreement` keys them) to agreement.
    weight : float
        The ``author_bonus`` setting.
    """

    def __init__(self, authors: np.ndarray, names: Sequence[tuple[str, ...]],
                 agreements: Mapping[tuple[str, ...], float], weight: float):
        self.bonus = np.zeros(authors.size)
        if weight > 0.0 and agreements:
            of_key = np.array([weight * agreements.get(n, 0.0) for n in names] + [0.0])
            self.bonus = of_key[authors]  # -1 (no author) reads the last: 0
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

    def room(self, count: int) -> int:
        """How many candidates :meth:`closest` adds at most to ``count`` of a row."""
        return max(count // 10, 1) if self else 0

    def closest(self, estimate: np.ndarray | None, rows: Sequence[int],
                count: int) -> tuple[np.ndarray, np.ndarray] | None:
        """Per query row, the ``count // 10`` other pieces by its author(s) with the best
        latent ``estimate`` (one line per row, a column per article, read before
        anything else is added to it; ties: the lower article number), ascending, as
        one array and each row's start in it: candidates that the bonus can lift into
        the list although the plain estimate leaves them out. None when there are
        none to add (no bonus applies, or no dense estimate).

        The same author's pieces are not simply raised in the estimate: an author of
        200 pieces would then fill 200 candidates, of which the per-author cap lists
        three.
        """
        if estimate is None or not self:
            return None
        rows = np.asarray(rows, dtype=np.int64)
        keep = self.room(count)
        starts = np.zeros(rows.size + 1, dtype=np.int64)
        out = np.empty(rows.size * keep, dtype=np.int64)
        _closest(estimate, rows, self.order, self.starts, self.authors, self.bonus, keep,
                 out, starts)
        return out[:starts[-1]], starts


def joined(found: list[np.ndarray],
           extras: tuple[np.ndarray, np.ndarray] | None) -> list[np.ndarray]:
    """Each row's candidates with its :meth:`Bylines.closest` added (ascending, once)."""
    if extras is None:
        return found
    starts, flat = _flattened(found)
    out = np.empty(flat.size + extras[0].size, dtype=np.int64)
    out_starts = np.zeros(len(found) + 1, dtype=np.int64)
    _merged(flat, starts, extras[0], extras[1], out, out_starts)
    return [out[a:b] for a, b in zip(out_starts[:-1].tolist(), out_starts[1:].tolist())]


@compiled
def _closest(estimate, rows, order, starts, authors, bonus, keep, out, out_starts):
    values = np.empty(keep, dtype=np.float64)  # the best so far, best first
    chosen = np.empty(keep, dtype=np.int64)
    for line in range(rows.size):
        row = rows[line]
        key = authors[row]
        size = 0
        if key >= 0 and bonus[row] > 0.0:
            # members ascending: a later one must be strictly better to pass an earlier
            for p in range(starts[key], starts[key + 1]):
                member = order[p]
                value = np.float64(estimate[line, member])
                if member == row or (size == keep and not value > values[size - 1]):
                    continue
                at = size if size < keep else keep - 1
                while at > 0 and value > values[at - 1]:
                    values[at] = values[at - 1]
                    chosen[at] = chosen[at - 1]
                    at -= 1
                values[at] = value
                chosen[at] = member
                size = min(size + 1, keep)
            out[out_starts[line]:out_starts[line] + size] = np.sort(chosen[:size])
        out_starts[line + 1] = out_starts[line] + size


@compiled
def _merged(found, starts, extras, extra_starts, out, out_starts):
    for line in range(starts.size - 1):
        a, a_end = starts[line], starts[line + 1]
        b, b_end = extra_starts[line], extra_starts[line + 1]
        at = out_starts[line]
        while a < a_end or b < b_end:
            if b >= b_end or (a < a_end and found[a] < extras[b]):
                out[at] = found[a]
                a += 1
            elif a >= a_end or extras[b] < found[a]:
                out[at] = extras[b]
                b += 1
            else:  # in both
                out[at] = found[a]
                a += 1
                b += 1
            at += 1
        out_starts[line + 1] = at
