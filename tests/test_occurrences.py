"""The fit's compiled passes over term occurrences (``recommender.occurrences``) give the
bits of the sparse-matrix path they replace: scipy's sum of fields and column selection,
scikit-learn's IDF, ``weighted_tf`` + ``tfidf_rows``."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfTransformer

from recommender.occurrences import (
    document_frequencies,
    field_tfidf_rows,
    narrow_columns,
    smoothed_idf,
)
from recommender.weighting import tfidf_rows, weighted_tf

FIELDS = ("author", "blurb", "body", "tags", "title")


def _counts(rng: np.random.Generator, shape: tuple[int, int], density: float,
            dtype=np.int32, longest: int = 40) -> sp.csr_matrix:
    matrix = sp.random(*shape, density=density, format="csr", random_state=rng,
                       data_rvs=lambda k: rng.integers(1, longest, size=k))
    matrix = sp.csr_matrix(matrix.astype(dtype))
    matrix.sort_indices()
    return matrix


def _fields(seed: int, n_rows: int = 60, width: int = 700, dtype=np.int32):
    """Fields of different densities: a body with rows longer than numpy's pairwise-sum
    block (128), small fields that overlap it in part, and some empty rows."""
    rng = np.random.default_rng(seed)
    fields = {"body": _counts(rng, (n_rows, width), 0.4, dtype)}
    for name in ("author", "blurb", "tags", "title"):
        fields[name] = _counts(rng, (n_rows, width), 0.01, dtype, longest=4)
    for matrix in fields.values():  # rows 0 and 7 empty everywhere
        for row in (0, 7):
            matrix.data[matrix.indptr[row]:matrix.indptr[row + 1]] = 0
        matrix.eliminate_zeros()
    return fields


@pytest.mark.parametrize("seed", range(4))
def test_document_frequencies_count_rows_of_the_summed_fields(seed):
    fields = _fields(seed)
    expected = np.bincount(sp.csr_matrix(sum(fields.values())).indices, minlength=700)
    assert np.array_equal(document_frequencies(fields.values()), expected)


@pytest.mark.parametrize("index_type", [np.int32, np.int64])
def test_narrow_columns_is_column_selection_in_place(index_type):
    rng = np.random.default_rng(3)
    matrix = _counts(rng, (50, 300), 0.2)
    matrix.indices = matrix.indices.astype(index_type)
    matrix.indptr = matrix.indptr.astype(index_type)
    keep = rng.random(300) < 0.6
    expected = matrix[:, keep]
    data = matrix.data
    narrowed = narrow_columns(matrix, keep)
    assert narrowed.shape == expected.shape and narrowed.has_sorted_indices
    assert np.shares_memory(narrowed.data, data)  # no copy of the values
    assert np.array_equal(narrowed.indptr, expected.indptr)
    assert np.array_equal(narrowed.indices, expected.indices)
    assert np.array_equal(narrowed.data, expected.data)


def test_narrow_columns_to_nothing():
    matrix = _counts(np.random.default_rng(0), (5, 10), 0.5)
    narrowed = narrow_columns(matrix, np.zeros(10, dtype=bool))
    assert narrowed.shape == (5, 0) and narrowed.nnz == 0


@pytest.mark.parametrize("seed", range(3))
def test_smoothed_idf_has_scikit_learns_bits(seed):
    counts = _counts(np.random.default_rng(seed), (200, 500), 0.05, np.float64)
    expected = TfidfTransformer(smooth_idf=True).fit(counts).idf_
    got = smoothed_idf(np.bincount(counts.indices, minlength=500), 200)
    assert got.dtype == np.float64 and got.tobytes() == expected.tobytes()


@pytest.mark.parametrize("saturate", [(), ("body",)])
@pytest.mark.parametrize("sublinear", [True, False])
@pytest.mark.parametrize("seed", range(3))
def test_field_tfidf_rows_have_the_bits_of_the_sparse_path(seed, sublinear, saturate):
    fields = _fields(seed)
    weights = {"title": 1.0, "blurb": 0.7, "body": 1.0, "tags": 1.3, "author": 0.5}
    idf = 1.0 + np.random.default_rng(seed).random(700) * 5
    expected, expected_norms = tfidf_rows(
        weighted_tf(fields, weights, sublinear=sublinear, saturate=saturate), idf,
        return_norms=True)
    rows, norms = field_tfidf_rows(fields, weights, idf, sublinear=sublinear,
                                   saturate=saturate)
    assert rows.dtype == np.float32 and rows.has_sorted_indices
    assert np.array_equal(rows.indptr, expected.indptr)
    assert np.array_equal(rows.indices, expected.indices)
    assert rows.data.tobytes() == expected.data.tobytes()
    assert norms.tobytes() == expected_norms.tobytes()
    assert norms[0] == norms[7] == 0.0


def test_field_tfidf_rows_take_float_counts_and_skip_unweighted_fields():
    fields = {name: matrix.astype(np.float64) for name, matrix in _fields(9).items()}
    weights = {"title": 2.0, "blurb": 0.0, "body": 1.0, "tags": 0.0, "author": 0.0}
    idf = np.linspace(1.0, 4.0, 700)
    expected = tfidf_rows(weighted_tf(fields, weights, sublinear=True), idf)
    rows, _ = field_tfidf_rows(fields, weights, idf, sublinear=True)
    assert rows.data.tobytes() == expected.data.tobytes()
    assert np.array_equal(rows.indices, expected.indices)


def test_field_tfidf_rows_with_no_weighted_field_are_empty():
    fields = _fields(1)
    rows, norms = field_tfidf_rows(fields, {}, np.ones(700), sublinear=True)
    assert rows.shape == (60, 700) and rows.nnz == 0 and not norms.any()


def test_field_tfidf_rows_take_counts_of_mixed_integer_types():
    fields = _fields(4)
    mixed = dict(fields, body=fields["body"].astype(np.uint16))
    weights = dict.fromkeys(FIELDS, 1.0)
    expected, _ = field_tfidf_rows(fields, weights, np.linspace(1.0, 3.0, 700), sublinear=True)
    rows, _ = field_tfidf_rows(mixed, weights, np.linspace(1.0, 3.0, 700), sublinear=True)
    assert rows.data.tobytes() == expected.data.tobytes()


@pytest.mark.parametrize("room", [0, 5_000])
def test_field_tfidf_rows_write_over_a_fields_indices_given_room(room):
    fields = _fields(6)
    weights = dict.fromkeys(FIELDS, 1.0)
    idf = np.linspace(1.0, 3.0, 700)
    expected, expected_norms = field_tfidf_rows(fields, weights, idf, sublinear=True)
    body = fields["body"]
    buffer = np.empty(body.nnz + room, dtype=body.indices.dtype)
    buffer[:body.nnz] = body.indices
    fields["body"] = sp.csr_matrix((body.data, buffer[:body.nnz], body.indptr), shape=body.shape)
    rows, norms = field_tfidf_rows(fields, weights, idf, sublinear=True, spare=("body", buffer))
    assert np.shares_memory(rows.indices, buffer) == (room >= expected.nnz - body.nnz)
    assert np.array_equal(rows.indptr, expected.indptr)
    assert np.array_equal(rows.indices, expected.indices)
    assert rows.data.tobytes() == expected.data.tobytes()
    assert norms.tobytes() == expected_norms.tobytes()


@pytest.mark.parametrize("titles_only", [False, True])
def test_a_fit_weighs_as_rows_weighed_apart(fixture_articles, titles_only):
    """A fit writes its matrix's indices over the largest field's counts; the matrix, the
    norms and the explained fields' tf (made before, from those counts) are those of
    the same rows weighed on their own, also when the largest field is an explained one."""
    import dataclasses

    from recommender import RelatedIndex
    from recommender.analysis import analyse_articles

    articles = list(fixture_articles)
    if titles_only:
        articles = [dataclasses.replace(a, title=f"{a.title} {a.body[:400]}", body="")
                    for a in articles]
    index = RelatedIndex().fit(articles)
    fields = [f for _, f in analyse_articles(articles, index._analyzer)]
    matrix, norms, field_tf = index._weigh(fields, index._term_column, index.idf_)
    assert np.array_equal(index.matrix_.indptr, matrix.indptr)
    assert np.array_equal(index.matrix_.indices, matrix.indices)
    assert index.matrix_.data.tobytes() == matrix.data.tobytes()
    assert index.norms_.tobytes() == norms.tobytes()
    for name, tf in field_tf.items():
        assert (index.field_tf_[name] != tf).nnz == 0, name
    assert field_tf["title"].nnz > 0
