"""Compiled passes over every term occurrence of a fit: the document frequencies over
all fields, the count matrices narrowed to the vocabulary in place, and the weighted,
L2-normalised tf-idf rows summed over fields.

Each does scipy's arithmetic in scipy's order, so that a fit has the bits the
sparse-matrix path (``weighted_tf`` then ``tfidf_rows``) gives, but without its
matrix-sized temporaries: at 100,000 essays that path held four to five copies of the
matrix at once (sum of the fields, the selected columns, each field's weighted copy,
the squares, the row of every value), more than scikit-learn's whole
``fit_transform``.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

import numpy as np
import scipy.sparse as sp

from .kernels import compiled
from .weighting import BM25_K1

__all__ = ["document_frequencies", "field_tfidf_rows", "narrow_columns", "smoothed_idf"]

# How a field's counts become term frequencies in _weigh_rows.
_PLAIN, _SUBLINEAR, _SATURATED = 0, 1, 2


@compiled
def _union_rows(indptrs, indices, n_rows, width):
    """Per row, the end of its distinct columns over all fields (a CSR indptr); per
    column, how many rows have it in any field."""
    seen = np.full(width, -1, np.int64)
    frequency = np.zeros(width, np.int64)
    ends = np.zeros(n_rows + 1, np.int64)
    for row in range(n_rows):
        count = 0
        for field in range(len(indptrs)):
            indptr, columns = indptrs[field], indices[field]
            for p in range(indptr[row], indptr[row + 1]):
                column = columns[p]
                if seen[column] != row:
                    seen[column] = row
                    frequency[column] += 1
                    count += 1
        ends[row + 1] = ends[row] + count
    return ends, frequency


def _fields_as_tuples(fields: list[sp.csr_matrix]) -> tuple[tuple, tuple]:
    # numba takes a tuple of arrays of one type: the small fields follow the largest
    kind = np.result_type(*(f.indices.dtype for f in fields))
    return (tuple(f.indptr.astype(np.int64) for f in fields),
            tuple(f.indices.astype(kind, copy=False) for f in fields))


def document_frequencies(fields: Collection[sp.csr_matrix]) -> np.ndarray:
    """Number of rows in which each column has a value in any of ``fields``.

    Equal to ``np.bincount(sum(fields).indices)`` without making the sum.

    Parameters
    ----------
    fields : collection of scipy.sparse.csr_matrix
        Matrices of one shape, without explicit zeros.

    Returns
    -------
    ndarray of int64, shape (n_columns,)

    Examples
    --------
    >>> import scipy.sparse as sp
    >>> title = sp.csr_matrix([[1, 0, 2], [0, 0, 1]])
    >>> body = sp.csr_matrix([[3, 1, 0], [0, 0, 4]])
    >>> document_frequencies([title, body]).tolist()
    [1, 1, 2]
    """
    fields = list(fields)
    n_rows, width = fields[0].shape
    indptrs, indices = _fields_as_tuples(fields)
    return _union_rows(indptrs, indices, n_rows, width)[1]


@compiled
def _narrow(indptr, indices, data, new_column):
    kept = 0
    for row in range(indptr.size - 1):
        start, stop = indptr[row], indptr[row + 1]
        indptr[row] = kept
        for p in range(start, stop):
            column = new_column[indices[p]]
            if column >= 0:
                indices[kept] = column
                data[kept] = data[p]
                kept += 1
    indptr[indptr.size - 1] = kept
    return kept


def narrow_columns(matrix: sp.csr_matrix, keep: np.ndarray) -> sp.csr_matrix:
    """``matrix[:, keep]`` for a boolean mask, made in ``matrix``'s own arrays.

    ``matrix`` is spent: its arrays now hold the narrowed one (their unused ends stay
    allocated until the result is dropped).

    Examples
    --------
    >>> import numpy as np, scipy.sparse as sp
    >>> counts = sp.csr_matrix(np.array([[1, 0, 2], [0, 3, 4]], dtype=np.int32))
    >>> narrow_columns(counts, np.array([True, False, True])).toarray().tolist()
    [[1, 2], [0, 4]]
    """
    new_column = np.full(keep.size, -1, dtype=np.int64)
    new_column[keep] = np.arange(int(np.count_nonzero(keep)))
    indptr, indices, data = matrix.indptr, matrix.indices, matrix.data
    kept = _narrow(indptr, indices, data, new_column)
    narrowed = sp.csr_matrix((data[:kept], indices[:kept], indptr),
                             shape=(matrix.shape[0], new_column.max(initial=-1) + 1))
    narrowed.has_sorted_indices = matrix.has_sorted_indices
    return narrowed


def smoothed_idf(frequency: np.ndarray, n_documents: int) -> np.ndarray:
    """``TfidfTransformer(smooth_idf=True)``'s IDF for document frequencies, with its
    arithmetic: ``log((1 + n) / (1 + df)) + 1`` in float64.

    >>> smoothed_idf(np.array([1, 3]), 3).round(4).tolist()
    [1.6931, 1.0]
    """
    df = frequency.astype(np.float64)
    df += 1.0
    idf = np.full_like(df, fill_value=n_documents + 1, dtype=np.float64)
    idf /= df
    np.log(idf, out=idf)
    idf += 1.0
    return idf


@compiled
def _block_sum(values, start, count):
    # numpy's pairwise_sum for at most 128 values: 8 running sums, or one under 8 values
    if count < 8:
        total = 0.0
        for i in range(start, start + count):
            total += values[i]
        return total
    r0, r1, r2, r3 = values[start], values[start + 1], values[start + 2], values[start + 3]
    r4, r5, r6, r7 = values[start + 4], values[start + 5], values[start + 6], values[start + 7]
    i = 8
    end = count - count % 8
    while i < end:
        r0 += values[start + i]
        r1 += values[start + i + 1]
        r2 += values[start + i + 2]
        r3 += values[start + i + 3]
        r4 += values[start + i + 4]
        r5 += values[start + i + 5]
        r6 += values[start + i + 6]
        r7 += values[start + i + 7]
        i += 8
    total = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < count:
        total += values[start + i]
        i += 1
    return total


@compiled
def _sum_like_numpy(values, start, count):
    """np.add.reduce's pairwise summation (numpy's pairwise_sum), which is what scipy's
    row sums of a CSR use; numpy's recursion is unrolled onto a stack here, because
    numba's disk cache cannot load a recursive function."""
    starts = np.empty(128, np.int64)
    counts = np.empty(128, np.int64)
    split = np.zeros(128, np.bool_)
    sums = np.empty(128, np.float64)
    top, done = 0, 0
    starts[0], counts[0] = start, count
    while top >= 0:
        first, size = starts[top], counts[top]
        if size <= 128:
            sums[done] = _block_sum(values, first, size)
            done += 1
            top -= 1
        elif not split[top]:  # halves a multiple of 8 long; the left one is summed first
            split[top] = True
            half = size // 2
            half -= half % 8
            starts[top + 1], counts[top + 1], split[top + 1] = first + half, size - half, False
            starts[top + 2], counts[top + 2], split[top + 2] = first, half, False
            top += 2
        else:  # both halves summed: left + right
            sums[done - 2] = sums[done - 2] + sums[done - 1]
            done -= 1
            top -= 1
    return sums[0]


@compiled
def _weigh_rows(indptrs, indices, counts, modes, weights, sublinear_tf, k1, k1_plus_one,
                idf, ends, out_indices, out_data, norms):
    width = idf.size
    seen = np.full(width, -1, np.int64)
    total = np.zeros(width, np.float64)
    longest = 0
    for row in range(ends.size - 1):
        longest = max(longest, ends[row + 1] - ends[row])
    columns_of_row = np.empty(max(longest, 1), out_indices.dtype)
    squares = np.empty(max(longest, 1), np.float64)
    # Last row first, each row read whole before it is written: out_indices may be a
    # field's own indices (see field_tfidf_rows), and a row's output starts at or after
    # that field's entries of the row, so it only covers entries already used.
    for row in range(ends.size - 2, -1, -1):
        start = ends[row]
        size = 0
        for field in range(len(indptrs)):
            indptr, columns, values = indptrs[field], indices[field], counts[field]
            mode, weight = modes[field], weights[field]
            for p in range(indptr[row], indptr[row + 1]):
                count = np.float64(values[p])
                if mode == _SATURATED:
                    tf = count * k1_plus_one / (count + k1)
                elif mode == _SUBLINEAR:
                    tf = sublinear_tf[np.int64(values[p])]
                else:
                    tf = count
                tf = tf * weight
                column = columns[p]
                if seen[column] != row:  # scipy's sum of fields: first + second + ...
                    seen[column] = row
                    total[column] = tf
                    columns_of_row[size] = column
                    size += 1
                else:
                    total[column] = total[column] + tf
        columns_of_row[:size].sort()
        for i in range(size):
            column = columns_of_row[i]
            value = total[column] * idf[column]
            total[column] = value
            squares[i] = value * value
        # np.add.reduce(squares): the first value, plus the pairwise sum of the others
        norm = np.sqrt(squares[0] + _sum_like_numpy(squares, 1, size - 1)) if size else 0.0
        norms[row] = norm
        divisor = norm if norm != 0.0 else 1.0
        for i in range(size):
            column = columns_of_row[i]
            out_indices[start + i] = column
            out_data[start + i] = np.float32(total[column] / divisor)


def field_tfidf_rows(field_counts: Mapping[str, sp.csr_matrix], weights: Mapping[str, float],
                     idf: np.ndarray, *, sublinear: bool, saturate: Collection[str] = (),
                     spare: tuple[str, np.ndarray] | None = None
                     ) -> tuple[sp.csr_matrix, np.ndarray]:
    """``tfidf_rows(weighted_tf(field_counts, ...), idf, return_norms=True)``, bit for bit,
    in one pass with no temporary the size of the matrix.

    Parameters
    ----------
    field_counts : mapping of str to scipy.sparse.csr_matrix
        Each field's term counts (integers of any dtype), one shape, sorted indices.
    weights : mapping of str to float
        Field weights; fields of weight 0 or absent are left out.
    idf : ndarray of float64, shape (n_columns,)
    sublinear : bool
        ``1 + log(count)`` instead of the count.
    saturate : collection of str
        Fields whose counts take BM25's saturation (:func:`~recommender.weighting.
        saturated_tf`) instead.
    spare : (str, ndarray), optional
        A field's name and an index array whose start is that field's ``indices`` (a
        view of it): when it is long enough, the result's indices are written in it,
        over the field's (which is then spent), instead of in a new array.

    Returns
    -------
    rows : scipy.sparse.csr_matrix of float32
        The L2-normalised weighted rows.
    norms : ndarray of float64
        Each row's norm before normalisation (0 for an empty row).
    """
    names = [name for name in sorted(field_counts) if weights.get(name, 0.0) > 0.0]
    n_rows = next(iter(field_counts.values())).shape[0] if field_counts else 0
    if not names:
        return sp.csr_matrix((n_rows, idf.size), dtype=np.float32), np.zeros(n_rows)
    fields = [field_counts[name] for name in names]
    indptrs, indices = _fields_as_tuples(fields)
    # numba takes a tuple of one type: integer counts in the widest of theirs (the small
    # fields follow the body), float counts (from count_matrix) as int64
    kind = np.result_type(*(f.data.dtype for f in fields))
    kind = np.int64 if kind.kind not in "iu" else kind
    counts = tuple(f.data.astype(kind, copy=False) for f in fields)
    largest = max((int(c.max(initial=0)) for c in counts), default=0)
    sublinear_tf = np.log(np.arange(largest + 1, dtype=np.float64)[1:])  # log(1) ... log(max)
    sublinear_tf = np.concatenate([[0.0], sublinear_tf + 1.0])  # numpy's log, as weighted_tf
    modes = np.array([_SATURATED if name in saturate else _SUBLINEAR if sublinear else _PLAIN
                      for name in names], dtype=np.int64)
    ends, _ = _union_rows(indptrs, indices, n_rows, idf.size)
    index_type = np.int32 if max(ends[-1], idf.size) < np.iinfo(np.int32).max else np.int64
    if (spare is not None and spare[0] in names and spare[1].dtype == index_type
            and spare[1].size >= ends[-1]
            and np.shares_memory(spare[1][:1], field_counts[spare[0]].indices[:1])):
        out_indices = spare[1][:ends[-1]]
    else:
        out_indices = np.empty(ends[-1], dtype=index_type)
    out_data = np.empty(ends[-1], dtype=np.float32)
    norms = np.empty(n_rows, dtype=np.float64)
    _weigh_rows(indptrs, indices, counts, modes,
                np.array([float(weights[name]) for name in names]), sublinear_tf,
                BM25_K1, BM25_K1 + 1.0, np.asarray(idf, dtype=np.float64), ends,
                out_indices, out_data, norms)
    rows = sp.csr_matrix((out_data, out_indices, ends.astype(index_type)),
                         shape=(n_rows, idf.size))
    rows.has_sorted_indices = True
    return rows, norms
