"""Sparse × dense products shared among threads (recommender.products)."""

import numpy as np
import pytest
import scipy.sparse as sp

from recommender import kernels, products
from recommender.latent import fit_latent
from recommender.products import sparse_times_dense, transposed_times_dense, usable_cores


def _matrix(rows, columns, density, seed, index_dtype=np.int32):
    matrix = sp.random(rows, columns, density=density, format="csr", dtype=np.float32,
                       random_state=seed)
    matrix.indices = matrix.indices.astype(index_dtype)
    matrix.indptr = matrix.indptr.astype(index_dtype)
    return matrix


@pytest.mark.skipif(not kernels.AVAILABLE, reason="numba is not installed")
@pytest.mark.parametrize("threads", [1, 2, 3, 7])
@pytest.mark.parametrize("index_dtype", [np.int32, np.int64])
def test_the_bits_of_scipy_whatever_the_threads(threads, index_dtype, monkeypatch):
    monkeypatch.setattr(products, "_THREADED_FROM", 0)
    matrix = _matrix(300, 200, 0.05, seed=threads, index_dtype=index_dtype)
    for row in range(0, 300, 7):  # empty rows
        matrix.data[matrix.indptr[row]:matrix.indptr[row + 1]] = 0.0
    matrix.eliminate_zeros()
    for dtype in (np.float32, np.float64):  # float64: summed in float64, as scipy does
        dense = np.random.RandomState(1).normal(size=(200, 13)).astype(dtype)
        got = sparse_times_dense(matrix, dense, threads=threads)
        assert got.dtype == dtype and got.flags.c_contiguous
        assert got.tobytes() == np.asarray(matrix @ dense).tobytes()


@pytest.mark.skipif(not kernels.AVAILABLE, reason="numba is not installed")
def test_more_threads_than_rows_and_a_fortran_ordered_block(monkeypatch):
    monkeypatch.setattr(products, "_THREADED_FROM", 0)
    matrix = _matrix(3, 50, 0.3, seed=2)
    dense = np.asfortranarray(np.random.RandomState(3).normal(size=(50, 4)).astype(np.float32))
    np.testing.assert_array_equal(sparse_times_dense(matrix, dense, threads=8),
                                  np.asarray(matrix @ dense))


@pytest.mark.skipif(not kernels.AVAILABLE, reason="numba is not installed")
@pytest.mark.parametrize("dense_dtype", [np.float32, np.float64])
@pytest.mark.parametrize("threads", [1, 2, 3, 7])
@pytest.mark.parametrize("index_dtype", [np.int32, np.int64])
def test_transposed_products_have_the_bits_of_a_transposed_copy(threads, index_dtype,
                                                                dense_dtype, monkeypatch):
    monkeypatch.setattr(products, "_THREADED_FROM", 0)
    matrix = _matrix(300, 200, 0.05, seed=threads + 10, index_dtype=index_dtype)
    matrix.data[matrix.indices % 9 == 0] = 0.0  # columns with no entries
    matrix.eliminate_zeros()
    dense = np.random.RandomState(2).normal(size=(300, 13)).astype(dense_dtype)
    got = transposed_times_dense(matrix, dense, threads=threads)
    assert got.dtype == dense_dtype and got.flags.c_contiguous and got.shape == (200, 13)
    assert got.tobytes() == np.asarray(sp.csr_matrix(matrix.T) @ dense).tobytes()


@pytest.mark.skipif(not kernels.AVAILABLE, reason="numba is not installed")
def test_transposed_products_sort_the_indices_they_bisect(monkeypatch):
    monkeypatch.setattr(products, "_THREADED_FROM", 0)
    matrix = _matrix(40, 30, 0.3, seed=5)
    shuffled = matrix.copy()
    for row in range(shuffled.shape[0]):  # same rows, indices out of order
        start, stop = shuffled.indptr[row], shuffled.indptr[row + 1]
        shuffled.indices[start:stop] = shuffled.indices[start:stop][::-1].copy()
        shuffled.data[start:stop] = shuffled.data[start:stop][::-1].copy()
    shuffled.has_sorted_indices = False
    dense = np.random.RandomState(4).normal(size=(40, 3)).astype(np.float32)
    np.testing.assert_array_equal(transposed_times_dense(shuffled, dense, threads=2),
                                  np.asarray(sp.csr_matrix(matrix.T) @ dense))


def test_other_dtypes_and_dense_left_sides_go_to_scipy():
    matrix = _matrix(40, 30, 0.2, seed=4).astype(np.float64)
    dense = np.ones((30, 2))
    np.testing.assert_array_equal(sparse_times_dense(matrix, dense, threads=2), matrix @ dense)
    array = matrix.toarray()
    np.testing.assert_array_equal(sparse_times_dense(array, dense, threads=2), array @ dense)


def test_the_latent_model_does_not_depend_on_the_threads(monkeypatch):
    monkeypatch.setattr(products, "_THREADED_FROM", 0)
    matrix = _matrix(400, 120, 0.08, seed=5)
    monkeypatch.setattr(products, "usable_cores", lambda: 1)
    one = fit_latent(matrix, 12)
    monkeypatch.setattr(products, "usable_cores", lambda: 2)
    two = fit_latent(matrix, 12)
    for a, b in zip(one, two, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(("cap", "expected"), [("1", 1), ("", None), ("x", None), ("0", None)])
def test_usable_cores_follows_omp_num_threads(cap, expected, monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", cap)
    cores = usable_cores()
    assert cores >= 1
    if expected is not None:
        assert cores == expected
    else:
        monkeypatch.delenv("OMP_NUM_THREADS")
        assert cores == usable_cores()
