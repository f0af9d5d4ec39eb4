"""Rows gathered and multiplied without scipy's layers give scipy's values, bit for bit."""

import numpy as np
import pytest
import scipy.sparse as sp

from recommender import sparse_rows
from recommender.sparse_rows import take_rows


def _matrix(seed: int, index_dtype=np.int32) -> sp.csr_matrix:
    rng = np.random.default_rng(seed)
    dense = rng.random((40, 300)).astype(np.float32)
    dense[dense < 0.9] = 0.0
    dense[7] = 0.0  # an empty row
    matrix = sp.csr_matrix(dense)
    matrix.indptr = matrix.indptr.astype(index_dtype)
    matrix.indices = matrix.indices.astype(index_dtype)
    return matrix


@pytest.fixture(params=["kernels", "public operators"])
def kernels(request, monkeypatch):
    if request.param == "public operators":
        monkeypatch.setattr(sparse_rows, "_csr_matvec", None)
        monkeypatch.setattr(sparse_rows, "_csr_row_index", None)
    return request.param


@pytest.mark.parametrize("index_dtype", [np.int32, np.int64])
@pytest.mark.parametrize("seed", range(4))
def test_take_rows_and_dot_equal_scipy(kernels, seed, index_dtype):
    matrix = _matrix(seed, index_dtype)
    rng = np.random.default_rng(100 + seed)
    rows = np.concatenate(([7, 7], rng.integers(0, 40, 25)))  # repeats, an empty row
    vector = rng.random(300).astype(np.float32)
    expected = matrix[rows]
    picked = take_rows(matrix, rows)
    assert len(picked) == rows.size
    for i in (0, 3, rows.size - 1):
        columns, values = picked.row(i)
        np.testing.assert_array_equal(columns, expected[i].indices)
        np.testing.assert_array_equal(values, expected[i].data)
    full = expected @ vector
    assert picked.dot(vector).tobytes() == full.tobytes()
    assert picked.dot(vector, 5, 19).tobytes() == full[5:19].tobytes()
    assert picked.dot(vector, 19).tobytes() == full[19:].tobytes()


def test_no_rows(kernels):
    picked = take_rows(_matrix(0), np.array([], dtype=np.int64))
    assert len(picked) == 0
    assert picked.dot(np.ones(300, np.float32)).shape == (0,)


@pytest.mark.parametrize("seed", range(4))
def test_pool_cosines_highest_has_the_bits_of_among(kernels, seed):
    # The in-order pass asks highest(candidate, chosen); before, each chosen article's
    # among() gave its cosines with the candidates. The same products in the same column
    # order: the same bits, whichever of the two rows is the dense one.
    matrix = _matrix(seed)
    rng = np.random.default_rng(200 + seed)
    pool = sparse_rows.PoolCosines(matrix, rng.permutation(40)[:30])
    for i in range(30):
        others = sorted(rng.choice(30, size=int(rng.integers(1, 8)), replace=False).tolist())
        expected = max(pool.among(j)[i] for j in others)
        assert pool.highest(i, others) == expected
    assert pool.highest(3, []) == 0.0
