"""TF-IDF weighting shared by indexing and querying, so both sides of a dot
product are built by the same arithmetic."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

import numpy as np
import scipy.sparse as sp

from .settings import TF_SCHEMES  # the schemes weighted_tf knows, named where they are checked

__all__ = ["BM25_K1", "TF_SCHEMES", "count_matrix", "saturated_tf", "weighted_tf", "tfidf_rows",
           "tfidf_row", "tfidf_row_of_columns"]

#: The BM25 saturation constant: a term's weight approaches ``BM25_K1 + 1`` times that of a
#: single occurrence (1 → 1, 2 → 1.38, 5 → 1.77, 20 → 2.07 with 1.2).
BM25_K1 = 1.2


def count_matrix(token_lists: Sequence[Sequence[str]], vocabulary: Mapping[str, int]) -> sp.csr_matrix:
    """Term counts, one row per token list; tokens outside ``vocabulary`` are ignored."""
    indptr = np.zeros(len(token_lists) + 1, dtype=np.int64)
    columns: list[np.ndarray] = []
    counts: list[np.ndarray] = []
    lookup = vocabulary.get
    for row, tokens in enumerate(token_lists):
        ids = [c for c in map(lookup, tokens) if c is not None]
        if ids:
            unique, freq = np.unique(np.asarray(ids, dtype=np.int64), return_counts=True)
            columns.append(unique)
            counts.append(freq)
            indptr[row + 1] = indptr[row] + unique.size
        else:
            indptr[row + 1] = indptr[row]
    indices = np.concatenate(columns) if columns else np.zeros(0, dtype=np.int64)
    data = np.concatenate(counts).astype(np.float64) if counts else np.zeros(0)
    shape = (len(token_lists), len(vocabulary))
    return sp.csr_matrix((data, indices.astype(np.int32), indptr), shape=shape)


def saturated_tf(counts: sp.csr_matrix, k1: float = BM25_K1) -> sp.csr_matrix:
    """BM25's saturating term frequency ``tf·(k1 + 1) / (tf + k1)``, float64 CSR.

    This is BM25 without its length term (``b = 0``): rows are L2-normalised
    afterwards, which already evens out document length, and so a row depends on
    its own article alone (no corpus average to keep for updates).

    >>> import scipy.sparse as sp
    >>> saturated_tf(sp.csr_matrix([[1.0, 2.0, 0.0, 20.0]])).toarray().round(3)
    array([[1.   , 1.375, 0.   , 2.075]])
    """
    if not k1 > 0.0:
        raise ValueError(f"k1 must be above 0, got {k1!r}")
    out = sp.csr_matrix(counts, dtype=np.float64, copy=True)
    out.data = out.data * (k1 + 1.0) / (out.data + k1)
    return out


def weighted_tf(
    field_counts: Mapping[str, sp.csr_matrix], weights: Mapping[str, float], *, sublinear: bool,
    saturate: Collection[str] = (),
) -> sp.csr_matrix:
    """Sum of per-field term frequencies times the field weights.

    With ``sublinear``, each field's counts become ``1 + log(count)`` before
    weighting, so a long body cannot drown a short title by repetition alone.
    Fields named in ``saturate`` take BM25's bounded :func:`saturated_tf`
    instead (whatever ``sublinear`` says).
    """
    total = None
    for name in sorted(field_counts):
        weight = weights.get(name, 0.0)
        if weight <= 0.0:
            continue
        counts = field_counts[name].astype(np.float64, copy=False)
        if name in saturate:
            term = saturated_tf(counts)  # a new matrix
        else:
            term = counts.copy()  # the caller's counts stay as they were
            if sublinear:
                np.log(term.data, out=term.data)
                term.data += 1.0
        term.data *= weight
        total = term if total is None else total + term
    if total is None:
        any_counts = next(iter(field_counts.values()))
        total = sp.csr_matrix(any_counts.shape, dtype=np.float64)
    return sp.csr_matrix(total)


def tfidf_rows(tf: sp.csr_matrix, idf: np.ndarray, *, return_norms: bool = False,
               copy: bool = True):
    """Multiply by IDF and L2-normalise each row (a zero row stays zero); float32 CSR.

    With ``return_norms``, also the rows' norms before normalisation (float64). With
    ``copy=False``, a float64 ``tf`` is worked on in place (it is then spent).
    """
    weighted = sp.csr_matrix(tf, dtype=np.float64, copy=copy)
    weighted.sum_duplicates()
    weighted.sort_indices()
    weighted.data *= idf[weighted.indices]
    squares = weighted.multiply(weighted).sum(axis=1).A1
    norms = np.sqrt(squares)
    norms[norms == 0.0] = 1.0
    row_of = np.repeat(np.arange(weighted.shape[0]), np.diff(weighted.indptr))
    weighted.data /= norms[row_of]
    weighted.eliminate_zeros()
    rows = weighted.astype(np.float32)
    return (rows, np.sqrt(squares)) if return_norms else rows


def tfidf_row(tokens: Sequence[str], vocabulary: Mapping[str, int], idf: np.ndarray, *,
              sublinear: bool, saturate: bool = False) -> sp.csr_matrix:
    """``tfidf_rows(weighted_tf({"body": count_matrix([tokens], vocabulary)}, ...))`` for
    one text, bit for bit, without the sparse-matrix overhead of the general path
    (it dominates a single query).

    >>> import numpy as np
    >>> vocabulary, idf = {"terra": 0, "reforma": 1}, np.array([1.0, 2.0])
    >>> tfidf_row(["terra", "reforma", "terra", "mar"], vocabulary, idf,
    ...           sublinear=True).toarray().round(3)
    array([[0.646, 0.763]], dtype=float32)
    """
    lookup = vocabulary.get
    ids = [c for c in map(lookup, tokens) if c is not None]
    return tfidf_row_of_columns(np.asarray(ids, dtype=np.int64), len(vocabulary), idf,
                                sublinear=sublinear, saturate=saturate)


def tfidf_row_of_columns(ids: np.ndarray, width: int, idf: np.ndarray, *, sublinear: bool,
                         saturate: bool = False) -> sp.csr_matrix:
    """:func:`tfidf_row` of a text given as the vocabulary columns of its tokens (one per
    occurrence, in any order), in a vocabulary of ``width`` terms.

    >>> tfidf_row_of_columns(np.array([0, 1, 0]), 2, np.array([1.0, 2.0]),
    ...                      sublinear=True).toarray().round(3)
    array([[0.646, 0.763]], dtype=float32)
    """
    columns, freq = np.unique(np.asarray(ids, dtype=np.int64), return_counts=True)
    data = freq.astype(np.float64)
    if saturate:
        data = data * (BM25_K1 + 1.0) / (data + BM25_K1)
    elif sublinear:
        np.log(data, out=data)
        data += 1.0
    data = data * 1.0  # the field weight of a body, as weighted_tf applies it
    data *= idf[columns]
    # Summed as the sparse row sum does (np.add.reduceat: numpy's pairwise summation).
    squares = float(np.add.reduceat(data * data, [0])[0]) if data.size else 0.0
    norm = np.sqrt(squares) if squares else 1.0
    data /= norm
    keep = data != 0.0
    data, columns = data[keep].astype(np.float32), columns[keep].astype(np.int32)
    return sp.csr_matrix((data, columns, np.array([0, data.size], dtype=np.int32)),
                         shape=(1, width))
