"""Finding the few articles worth scoring exactly, without scoring every article.

An exact query scores the query against every article: its sparse product with
the whole term index walks the posting list of every query term, common words
included, and the latent cosine is a pass over every article's latent vector.
Most of that work goes to articles that end nowhere near the top of the list.

The approximate path scores cheaply first and exactly only where it matters:

1. the query keeps only its ``candidate_terms`` heaviest tf-idf weights (the
   rare, telling words; their posting lists are short);
2. those terms' postings give a partial tf-idf cosine, blended with the latent
   cosine where it is cheap (a block of rows at a time, as one matrix product);
3. the ``candidates`` best by that estimate are scored exactly by the index,
   and only they can be listed.

When the estimate misses an article that belongs in the exact top ten, the list
differs from the exact one; the benchmarks measure how often (recall@10).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp

if TYPE_CHECKING:
    from .clusters import LatentClusters

__all__ = ["prune_rows", "top_candidates", "block_candidates", "best_columns"]


def prune_rows(rows: sp.csr_matrix, keep: int) -> sp.csr_matrix:
    """Each row's ``keep`` largest entries (ties: the lower column first).

    Parameters
    ----------
    rows : csr_matrix of shape (b, n_terms)
    keep : int

    Returns
    -------
    csr_matrix of the same shape, with at most ``keep`` entries per row

    Examples
    --------
    >>> import numpy as np, scipy.sparse as sp
    >>> x = sp.csr_matrix(np.array([[0.1, 0.5, 0.0, 0.5], [0.2, 0.0, 0.0, 0.0]]))
    >>> prune_rows(x, 2).toarray().tolist()
    [[0.0, 0.5, 0.0, 0.5], [0.2, 0.0, 0.0, 0.0]]
    """
    rows = sp.csr_matrix(rows)
    counts = np.diff(rows.indptr)
    if counts.size == 0 or counts.max(initial=0) <= keep:
        return rows
    owner = np.repeat(np.arange(rows.shape[0]), counts)
    order = np.lexsort((rows.indices, -rows.data, owner))  # by row, heaviest first
    rank = np.arange(rows.nnz) - np.repeat(rows.indptr[:-1], counts)
    chosen = np.sort(order[rank < keep])  # back to column order within each row
    kept = np.minimum(counts, keep)
    indptr = np.concatenate(([0], np.cumsum(kept))).astype(rows.indptr.dtype)
    return sp.csr_matrix((rows.data[chosen], rows.indices[chosen], indptr), shape=rows.shape)


def top_candidates(estimate: np.ndarray, count: int) -> np.ndarray:
    """Columns of the ``count`` highest positive estimates of one row, ascending.

    Ties at the cut go to the lower column, so the set does not depend on the
    selection algorithm.

    Examples
    --------
    >>> top_candidates(np.array([0.2, 0.0, 0.5, 0.2, 0.1]), 2).tolist()
    [0, 2]
    """
    return _top_of_block(np.asarray(estimate)[None, :], count)[0]


#: Every this-many-th column is sampled to guess a row's cut-off before selecting.
_SAMPLE_STRIDE = 32


def _top_of_block(estimate: np.ndarray, count: int) -> list[np.ndarray]:
    """Per row of a dense (b, n) block, :func:`top_candidates`.

    A full partition of every row costs a pass and a copy per row; instead a
    strided sample of the row guesses a threshold that about ``2 * count`` columns
    pass, only those are sorted, and the rare row with too few survivors is done in
    full. The result is the same either way.
    """
    b, n = estimate.shape
    out: list[np.ndarray] = [np.zeros(0, np.int64)] * b
    if n == 0:
        return out
    sample = estimate[:, ::_SAMPLE_STRIDE]
    picks = min(sample.shape[1], 2 * count // _SAMPLE_STRIDE + 1)
    threshold = -np.partition(-sample, picks - 1, axis=1)[:, picks - 1]
    np.maximum(threshold, np.nextafter(estimate.dtype.type(0), estimate.dtype.type(1)),
               out=threshold)
    # flatnonzero, not nonzero: a 2-D nonzero costs about twenty times more on wide rows
    rows, cols = np.divmod(np.flatnonzero(estimate >= threshold[:, None]), n)
    values = estimate[rows, cols]
    order = np.lexsort((cols, -values, rows))
    rows, cols = rows[order], cols[order]
    starts = np.searchsorted(rows, np.arange(b + 1))
    for row in range(b):
        found = cols[starts[row]:starts[row + 1]]
        if found.size >= count:
            out[row] = np.sort(found[:count])
        else:
            out[row] = _top_of_row(estimate[row], count)
    return out


def _top_of_row(estimate: np.ndarray, count: int) -> np.ndarray:
    positive = np.flatnonzero(estimate > 0)
    return best_columns(positive, estimate[positive], count)


def best_columns(columns: np.ndarray, values: np.ndarray, count: int) -> np.ndarray:
    """The ``count`` columns of highest positive value (ties: the lower column), ascending.

    Examples
    --------
    >>> best_columns(np.array([7, 3, 5, 9]), np.array([0.5, 0.2, 0.5, 0.0]), 2).tolist()
    [5, 7]
    """
    keep = values > 0
    columns, values = columns[keep], values[keep]
    if columns.size > count:
        if columns.size > 4 * count:  # only the values that can make the cut are sorted
            cut = np.partition(values, columns.size - count)[columns.size - count]
            near = values >= cut
            columns, values = columns[near], values[near]
        columns = columns[np.lexsort((columns, -values))[:count]]
    return np.sort(columns)


def block_candidates(pruned: sp.csr_matrix, transposed: sp.csr_matrix,
                     latent_rows: np.ndarray, latent: np.ndarray, alpha: float,
                     count: int, clusters: LatentClusters | None = None) -> list[np.ndarray]:
    """Candidates of a block of query rows: the best ``count`` articles by estimate.

    The estimate is ``(1 - alpha) * partial tf-idf cosine + alpha * latent cosine``,
    the partial cosine using only the pruned query terms.

    Parameters
    ----------
    pruned : csr_matrix of shape (b, n_terms)
        The queries' heaviest terms (see :func:`prune_rows`).
    transposed : csr_matrix of shape (n_terms, n_articles)
        The term index (the tf-idf matrix transposed).
    latent_rows : ndarray of shape (b, d), float32
        The queries' latent vectors (``d`` may be 0).
    latent : ndarray of shape (n_articles, d), float32
        The articles' latent vectors.
    alpha : float
        Latent weight.
    count : int
    clusters : LatentClusters, optional
        Groups of the articles' latent vectors: the latent cosine is then taken only
        against the query's nearest groups (see :mod:`recommender.clusters`).

    Returns
    -------
    list of ndarray of int
        Per query, candidate article numbers in ascending order.
    """
    partial = sp.csr_matrix(pruned @ transposed)
    if clusters is not None and alpha > 0.0 and latent.shape[1]:
        return clusters.block_candidates(partial, latent_rows, latent, alpha, count)
    if alpha > 0.0 and latent.shape[1]:
        estimate = np.asarray(latent_rows, np.float32) @ np.asarray(latent, np.float32).T
        estimate *= np.float32(alpha)
        width = estimate.shape[1]
        owner = np.repeat(np.arange(partial.shape[0]), np.diff(partial.indptr))
        estimate.ravel()[owner * width + partial.indices] += \
            partial.data.astype(np.float32) * np.float32(1.0 - alpha)
        return _top_of_block(estimate, count)
    return [best_columns(partial.indices[start:end].astype(np.int64), partial.data[start:end], count)
            for start, end in zip(partial.indptr[:-1], partial.indptr[1:])]
