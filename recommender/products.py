"""Sparse × dense matrix products on every core, with the bits of scipy's.

The latent decomposition (:func:`recommender.latent.leading_components`) multiplies the
tf-idf matrix and its transpose by a tall dense block a dozen times. scipy does each
product on one core: at 100,000 essays of 1,200 words, 109 s of a 211 s fit. Here the
rows are shared among threads, each running a compiled loop that releases the GIL, and
every output value is summed exactly as scipy sums it (products added one stored entry
after another, in the row's order, in the dtype of the result), so the decomposition
does not depend on the number of threads or on whether numba is installed.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import scipy.sparse as sp

__all__ = ["sparse_times_dense", "transposed_times_dense", "usable_cores"]

#: Products with fewer stored entries × columns than this stay in scipy: a thread
#: costs more than it saves.
_THREADED_FROM = 1 << 22


def usable_cores() -> int:
    """Cores this process may run on, at most ``OMP_NUM_THREADS`` when that is set (the
    cap users already give BLAS)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        cores = os.cpu_count() or 1
    cap = os.environ.get("OMP_NUM_THREADS", "")
    return max(1, min(cores, int(cap))) if cap.isdigit() and int(cap) > 0 else max(1, cores)


def sparse_times_dense(matrix: sp.csr_matrix, dense: np.ndarray, *,
                       threads: int | None = None) -> np.ndarray:
    """``matrix @ dense`` as a C-ordered ndarray, its rows shared among ``threads``.

    Parameters
    ----------
    matrix : csr_matrix of shape (n, m), float32
    dense : ndarray of shape (m, c), float32 or float64
    threads : int, optional
        Default: :func:`usable_cores`. One thread, a small product, other dtypes or no
        numba: scipy's product.

    Returns
    -------
    ndarray of shape (n, c), of ``dense``'s dtype
        The same bits as ``np.asarray(matrix @ dense)``.

    Examples
    --------
    >>> import numpy as np, scipy.sparse as sp
    >>> m = sp.csr_matrix(np.array([[1, 0, 2], [0, 3, 0]], np.float32))
    >>> sparse_times_dense(m, np.ones((3, 2), np.float32), threads=2).tolist()
    [[3.0, 3.0], [3.0, 3.0]]
    """
    threads = usable_cores() if threads is None else max(1, int(threads))
    if threads == 1 or not _compiled(matrix, dense):
        return np.asarray(matrix @ dense)
    from . import kernels  # numba's import is not for every command

    out = np.zeros((matrix.shape[0], dense.shape[1]), dtype=dense.dtype)
    # Row ranges of about equal stored entries, one per thread.
    _share(kernels.add_rows_times_dense, matrix, dense, out, matrix.indptr, threads)
    return out


def transposed_times_dense(matrix: sp.csr_matrix, dense: np.ndarray, *,
                           threads: int | None = None) -> np.ndarray:
    """``matrix.T @ dense`` as a C-ordered ndarray, without a copy of the transpose; its
    output rows (the matrix's columns) shared among ``threads``.

    Parameters
    ----------
    matrix : csr_matrix of shape (n, m), float32, sorted indices
    dense : ndarray of shape (n, c), float32 or float64
    threads : int, optional
        Default: :func:`usable_cores`. A small product, other dtypes or no numba:
        scipy's product with a CSR copy of the transpose.

    Returns
    -------
    ndarray of shape (m, c), of ``dense``'s dtype
        The same bits as ``np.asarray(sp.csr_matrix(matrix.T) @ dense)``.

    Examples
    --------
    >>> import numpy as np, scipy.sparse as sp
    >>> m = sp.csr_matrix(np.array([[1, 0, 2], [0, 3, 0]], np.float32))
    >>> transposed_times_dense(m, np.ones((2, 2), np.float32), threads=2).tolist()
    [[1.0, 1.0], [3.0, 3.0], [2.0, 2.0]]
    """
    threads = usable_cores() if threads is None else max(1, int(threads))
    if not _compiled(matrix, dense):
        return np.asarray(sp.csr_matrix(matrix.T) @ dense)
    from . import kernels

    matrix.sort_indices()  # a check when they are: each thread finds its columns by bisection
    out = np.zeros((matrix.shape[1], dense.shape[1]), dtype=dense.dtype)
    # Column ranges of about equal stored entries, one per thread, judged from every
    # 64th entry (bincount would first copy all the indices to int64: 0.5 GB at 100k).
    column_ends = np.zeros(matrix.shape[1] + 1, dtype=np.int64)
    np.cumsum(np.bincount(matrix.indices[::64], minlength=matrix.shape[1]),
              out=column_ends[1:])
    _share(kernels.add_columns_times_dense, matrix, dense, out, column_ends, threads)
    return out


def _compiled(matrix: sp.spmatrix, dense: np.ndarray) -> bool:
    """Whether a product goes to the compiled loops: a large float32 CSR times float32
    or float64 (summed in the dense block's type, as scipy does), with numba."""
    from .kernels import AVAILABLE

    return (sp.issparse(matrix) and matrix.format == "csr" and AVAILABLE
            and matrix.nnz * dense.shape[1] >= _THREADED_FROM
            and matrix.dtype == np.float32 and dense.dtype in (np.float32, np.float64))


def _share(kernel, matrix: sp.csr_matrix, dense: np.ndarray, out: np.ndarray,
           ends: np.ndarray, threads: int) -> None:
    """``kernel(..., out, start, stop)`` on ``threads`` ranges of about equal stored
    entries, given the cumulative entries ``ends`` of the ranges' units."""
    edges = np.searchsorted(ends, np.linspace(0, ends[-1], threads + 1),
                            side="left").clip(0, ends.size - 1)
    edges[0], edges[-1] = 0, ends.size - 1
    arrays = (matrix.indptr, matrix.indices, matrix.data, np.ascontiguousarray(dense), out)
    if threads == 1:
        kernel(*arrays, 0, int(edges[-1]))
        return
    with ThreadPoolExecutor(threads) as pool:
        done = [pool.submit(kernel, *arrays, int(a), int(b))
                for a, b in zip(edges[:-1], edges[1:], strict=True) if b > a]
        for task in done:
            task.result()
