"""Finding the few articles worth scoring exactly, without scoring every article.

An exact query scores the query against every article: its sparse product with
the whole term index walks the posting list of every query term, common words
included, and the latent cosine is a pass over every article's latent vector.
Most of that work goes to articles that end nowhere near the top of the list.

The approximate path scores cheaply first and exactly only where it matters:

1. the query keeps only its ``candidate_terms`` heaviest tf-idf weights (the
   rare, telling words; their posting lists are short);
2. those terms' postings give a partial tf-idf cosine, blended with the latent
   cosine where it is cheap (a block of rows at a time, as one matrix product); the
   postings' weights come from a term index coded in one byte per weight
   (:mod:`recommender.term_codes`), as the estimate only ranks;
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
    from .term_codes import TermCodes

__all__ = ["prune_rows", "top_candidates", "block_candidates", "best_columns", "add_products",
           "latent_estimate"]


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


def block_candidates(pruned: sp.csr_matrix, codes: TermCodes,
                     latent_rows: np.ndarray, latent: np.ndarray, alpha: float,
                     count: int, clusters: LatentClusters | None = None, *,
                     estimate: np.ndarray | None = None) -> list[np.ndarray]:
    """Candidates of a block of query rows: the best ``count`` articles by estimate.

    The estimate is ``(1 - alpha) * partial tf-idf cosine + alpha * latent cosine``,
    the partial cosine using only the pruned query terms and the coded weights.

    Parameters
    ----------
    pruned : csr_matrix of shape (b, n_terms)
        The queries' heaviest terms (see :func:`prune_rows`).
    codes : TermCodes
        The coded term index (:func:`recommender.term_codes.term_codes`).
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
    estimate : ndarray of shape (b, n_articles), float32, optional
        The latent part of the estimate when not :func:`latent_estimate` (a single
        query's coarse one, :mod:`recommender.coarse`); added to in place.

    Returns
    -------
    list of ndarray of int
        Per query, candidate article numbers in ascending order.
    """
    if alpha > 0.0 and latent.shape[1] and clusters is None:
        if estimate is None:
            estimate = latent_estimate(latent_rows, latent, alpha)
        add_products(estimate, pruned, codes, 1.0 - alpha)
        return _top_of_block(estimate, count)
    partial = codes.products(pruned)
    if alpha > 0.0 and latent.shape[1]:
        return clusters.block_candidates(partial, latent_rows, latent, alpha, count)
    return [best_columns(partial.indices[start:end].astype(np.int64), partial.data[start:end], count)
            for start, end in zip(partial.indptr[:-1], partial.indptr[1:])]


def latent_estimate(latent_rows: np.ndarray, latent: np.ndarray, alpha: float) -> np.ndarray:
    """``alpha`` times the latent cosines of a block of queries with every article: the
    dense part of the estimate (float32, one row per query), to which the partial tf-idf
    products are added."""
    estimate = np.asarray(latent_rows, np.float32) @ np.asarray(latent, np.float32).T
    estimate *= np.float32(alpha)
    return estimate


#: Mean posting length from which a query row is added a term at a time (see
#: :func:`add_products`). Measured crossover: about 750 (300,000 articles); at a million
#: articles (about 2,000 to 6,000) a term at a time costs 3 ms per query against 7.
_TERM_AT_A_TIME = 1024


def add_products(dense: np.ndarray, rows: sp.csr_matrix, codes: TermCodes,
                 weight: float) -> None:
    """``dense += weight * (rows @ W)``, in place, without the sparse product, ``W`` the
    coded term index's weights (terms by articles).

    The sparse product of a block of queries with the term index builds a sparse
    matrix of every posting the queries' terms reach (about 100,000 per query on a
    million articles) only for it to be added to a dense block; adding each posting's
    product straight into the block costs a third as much. A row at a time, so that
    the adds stay within one row's few megabytes rather than the block's hundreds.
    Sums are taken in float32, one term after another, so a value may differ from the
    sparse product's in its last bits.

    A row whose terms reach long postings (on average at least
    :data:`_TERM_AT_A_TIME`) is added a term at a time, straight from the term index;
    the others share one gather of all their postings, which saves a Python step per
    term where postings are short. Both add in the same order, so the bits are the same.

    Parameters
    ----------
    dense : ndarray of shape (b, n_articles), float32
    rows : csr_matrix of shape (b, n_terms)
    codes : TermCodes
    weight : float

    Raises
    ------
    ValueError
        When ``dense`` is not a C-contiguous float32 array.

    Examples
    --------
    >>> import numpy as np, scipy.sparse as sp
    >>> from recommender.term_codes import term_codes
    >>> matrix = sp.csr_matrix(np.array([[1.0, 0.0], [0.0, 3.0], [2.0, 1.0]], np.float32))
    >>> out = np.zeros((1, 3), np.float32)
    >>> add_products(out, sp.csr_matrix(np.array([[0.5, 1.0]], np.float32)),
    ...              term_codes(matrix), 2.0)
    >>> out.round(2).tolist()
    [[1.0, 6.0, 4.0]]
    """
    if not dense.flags.c_contiguous or dense.dtype != np.float32:
        raise ValueError(f"dense must be C-contiguous float32 (it is added to in place), "
                         f"got {dense.dtype}")
    rows = sp.csr_matrix(rows)
    # Plain views: a Dask worker gets the term index unpickled (and it may be memory-
    # mapped), with dtypes that equal numpy's own but are other objects, and np.add.at
    # then takes its slow path (20 to 30 times slower, and 55% of a worker's time at 1M).
    dense = dense.view(np.float32)
    postings = (np.asarray(codes.indices), np.asarray(codes.codes).view(np.uint8))
    factors = (rows.data * weight).astype(np.float32)
    factors *= np.asarray(codes.steps, dtype=np.float32)[rows.indices]
    starts = codes.indptr[rows.indices].astype(np.int64)
    lengths = codes.indptr[rows.indices + 1].astype(np.int64) - starts
    counts = np.diff(rows.indptr)
    reached = np.diff(np.concatenate(([0], np.cumsum(lengths)))[rows.indptr])
    long_rows = (counts > 0) & (reached >= _TERM_AT_A_TIME * counts)
    for row in np.flatnonzero(long_rows).tolist():
        terms = slice(rows.indptr[row], rows.indptr[row + 1])
        _add_term_by_term(dense[row], starts[terms], lengths[terms], factors[terms], postings)
    others = np.flatnonzero(~long_rows)
    terms = np.flatnonzero(~np.repeat(long_rows, counts))
    _add_gathered(dense, others, counts[others], starts[terms], lengths[terms],
                  factors[terms], postings)


def _add_term_by_term(target: np.ndarray, starts: np.ndarray, lengths: np.ndarray,
                      factors: np.ndarray, postings: tuple[np.ndarray, np.ndarray]) -> None:
    """:func:`add_products` for one row, a term's postings (article numbers, codes) at a
    time."""
    indices, codes = postings
    for start, stop, factor in zip(starts.tolist(), (starts + lengths).tolist(), factors):
        np.add.at(target, indices[start:stop], codes[start:stop].astype(np.float32) * factor)


def _add_gathered(dense: np.ndarray, rows: np.ndarray, counts: np.ndarray, starts: np.ndarray,
                  lengths: np.ndarray, factors: np.ndarray,
                  postings: tuple[np.ndarray, np.ndarray]) -> None:
    """:func:`add_products` for ``rows`` (with ``counts`` terms each, whose postings start
    at ``starts``), every posting gathered at once, then added a row at a time."""
    indices, codes = postings
    ends = np.cumsum(lengths)
    # Where each posting of each query term lies in the term index.
    where = np.arange(ends[-1] if ends.size else 0, dtype=np.int64) \
        + np.repeat(starts - (ends - lengths), lengths)
    products = codes[where].astype(np.float32) * np.repeat(factors, lengths)
    columns = indices[where]
    bounds = np.concatenate(([0], ends))[np.concatenate(([0], np.cumsum(counts)))]
    for row, start, stop in zip(rows.tolist(), bounds[:-1].tolist(), bounds[1:].tolist()):
        np.add.at(dense[row], columns[start:stop], products[start:stop])
