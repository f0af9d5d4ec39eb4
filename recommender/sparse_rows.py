"""A few rows of a CSR matrix, gathered and multiplied by a dense vector, without
scipy's per-call layers.

Choosing one list multiplies a handful of rows (a query's candidates, a pool of
near-duplicate suspects) by a dense vector a dozen times. Through ``matrix[rows] @
vector`` each such step costs scipy's index validation, dtype negotiation and
constructor checks, about 0.3 ms at 10,000 articles, for 40,000 multiply-adds that
take 0.05 ms. Here the same two compiled kernels scipy calls (``csr_row_index`` and
``csr_matvec``) are called directly on arrays already known to be valid, so every
value is the same, bit for bit, as scipy's.

The kernels live in ``scipy.sparse._sparsetools``, a private module that has kept
these signatures since scipy 0.14. Should a scipy release move them, the public
operators are used instead (same results, slower).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

try:  # scipy's compiled kernels behind ``matrix[rows]`` and ``matrix @ vector``
    from scipy.sparse._sparsetools import csr_matvec as _csr_matvec
    from scipy.sparse._sparsetools import csr_row_index as _csr_row_index
except ImportError:  # pragma: no cover - depends on the scipy release
    _csr_matvec = _csr_row_index = None

__all__ = ["PoolCosines", "Rows", "row_of", "take_rows"]


class Rows:
    """Rows of a CSR matrix in the order asked, as CSR arrays.

    Parameters
    ----------
    indptr, indices, data : ndarray
        CSR arrays of the rows (``indptr`` starts at 0).
    width : int
        Number of columns.
    """

    __slots__ = ("indptr", "indices", "data", "width")

    def __init__(self, indptr: np.ndarray, indices: np.ndarray, data: np.ndarray, width: int):
        self.indptr, self.indices, self.data, self.width = indptr, indices, data, width

    def __len__(self) -> int:
        return self.indptr.size - 1

    @property
    def shape(self) -> tuple[int, int]:
        return len(self), self.width

    def tocsr(self) -> sp.csr_matrix:
        """The rows as a scipy CSR matrix (sharing the arrays)."""
        return sp.csr_matrix((self.data, self.indices, self.indptr), shape=self.shape)

    def row(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        """Columns (as ``intp``: numpy indexes with 32-bit ones several times slower) and
        values of row ``i``."""
        start, stop = self.indptr[i], self.indptr[i + 1]
        return self.indices[start:stop].astype(np.intp), self.data[start:stop]

    def dot(self, vector: np.ndarray, start: int = 0, stop: int | None = None) -> np.ndarray:
        """``rows[start:stop] @ vector`` for a dense vector.

        Returns
        -------
        ndarray of shape (stop - start,), the dtype of the rows and vector combined
        """
        stop = len(self) if stop is None else stop
        indptr = self.indptr[start:stop + 1]  # a view: the kernel reads positions from it
        if _csr_matvec is None or vector.dtype != self.data.dtype:
            matrix = sp.csr_matrix((self.data, self.indices, self.indptr),
                                   shape=(len(self), self.width))
            return np.asarray(matrix[start:stop] @ vector)
        out = np.zeros(stop - start, dtype=vector.dtype)
        _csr_matvec(stop - start, self.width, indptr, self.indices, self.data, vector, out)
        return out


def row_of(matrix: sp.csr_matrix, i: int) -> Rows:
    """Row ``i`` of ``matrix`` as :class:`Rows`, sharing its arrays (``matrix[i]``
    costs scipy's indexing layers, 0.1 ms, once or twice per list)."""
    start, stop = matrix.indptr[i], matrix.indptr[i + 1]
    return Rows(np.array([0, stop - start], dtype=matrix.indptr.dtype),
                matrix.indices[start:stop], matrix.data[start:stop], matrix.shape[1])


def take_rows(matrix: sp.csr_matrix, rows: np.ndarray) -> Rows:
    """``matrix[rows]`` (rows may repeat, in any order), as :class:`Rows`.

    Parameters
    ----------
    matrix : csr_matrix
        With sorted, canonical indices (as the index keeps its tf-idf matrix).
    rows : ndarray of int

    Returns
    -------
    Rows

    Examples
    --------
    >>> import numpy as np, scipy.sparse as sp
    >>> m = sp.csr_matrix(np.array([[1.0, 0.0], [0.0, 2.0], [3.0, 4.0]], np.float32))
    >>> picked = take_rows(m, np.array([2, 0]))
    >>> picked.dot(np.array([1.0, 10.0], np.float32)).tolist()
    [43.0, 1.0]
    """
    indptr = matrix.indptr
    rows = np.asarray(rows, dtype=indptr.dtype).ravel()
    counts = indptr[rows + 1] - indptr[rows]
    out_indptr = np.zeros(rows.size + 1, dtype=indptr.dtype)
    np.cumsum(counts, out=out_indptr[1:])
    if _csr_row_index is None or matrix.indices.dtype != indptr.dtype:
        picked = matrix[rows]
        return Rows(picked.indptr, picked.indices, picked.data, matrix.shape[1])
    indices = np.empty(out_indptr[-1], dtype=indptr.dtype)
    data = np.empty(out_indptr[-1], dtype=matrix.data.dtype)
    _csr_row_index(rows.size, rows, indptr, matrix.indices, matrix.data, indices, data)
    return Rows(out_indptr, indices, data, matrix.shape[1])


class PoolCosines:
    """Cosines among the rows of a pool of unit tf-idf rows, as the list's rules ask them.

    Parameters
    ----------
    matrix : csr_matrix
        Unit rows, float32.
    rows : ndarray of int
        The pool's articles.

    Examples
    --------
    >>> import numpy as np, scipy.sparse as sp
    >>> m = sp.csr_matrix(np.array([[0.6, 0.8, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]],
    ...                            np.float32))
    >>> pool = PoolCosines(m, np.array([0, 1, 2]))
    >>> pool.among(0).round(2).tolist()
    [1.0, 0.6, 0.0]
    >>> round(pool.highest(1, [0, 2]), 2)
    0.6
    """

    def __init__(self, matrix: sp.csr_matrix, rows: np.ndarray) -> None:
        self._pool = take_rows(matrix, rows)
        self._dense = np.zeros(matrix.shape[1], dtype=matrix.dtype)  # reset after each use

    def among(self, i: int) -> np.ndarray:
        """Cosines (float64) of row ``i`` with every row of the pool."""
        return self._dot_with(i).astype(np.float64)

    def highest(self, i: int, others: list[int]) -> float:
        """The highest cosine of row ``i`` with the rows ``others`` (0.0 for none).

        Each cosine sums the same products in the same column order as :meth:`among`
        does, so it has the same bits."""
        if not others:
            return 0.0
        # One product over the stretch of rows that holds them all: the pass asks about
        # the articles chosen before a candidate, which lie close together before it.
        start, stop = min(others), max(others) + 1
        found = self._dot_with(i, start, stop)
        return float(found[np.asarray(others) - start].max())

    def _dot_with(self, i: int, start: int = 0, stop: int | None = None) -> np.ndarray:
        """Cosines (float32) of row ``i`` with the rows ``start:stop``."""
        columns, values = self._pool.row(i)
        self._dense[columns] = values
        found = self._pool.dot(self._dense, start, stop)
        self._dense[columns] = 0.0
        return found
