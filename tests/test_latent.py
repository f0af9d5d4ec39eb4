import io

import numpy as np
import pytest
import scipy.sparse as sp

from recommender.latent import blend_scores, fit_latent, n_latent_components, project


def _unit(x):
    x = np.asarray(x, dtype=np.float64)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


@pytest.fixture(scope="module")
def matrix():
    rng = np.random.default_rng(7)
    dense = rng.random((120, 200)) * (rng.random((120, 200)) < 0.08)
    dense[:, 0] += 0.01  # no empty row
    return sp.csr_matrix(_unit(dense).astype(np.float32))


@pytest.mark.parametrize(("n", "terms", "asked", "expected"), [
    (5000, 40000, 50, 50), (12, 300, 50, 0), (300, 3000, 50, 30), (300, 8, 50, 7), (1, 30, 50, 0),
    (2, 1, 5, 0),
])
def test_components_are_capped_by_the_corpus(n, terms, asked, expected):
    assert n_latent_components(n, terms, asked) == expected


def test_shapes_dtypes_and_unit_rows(matrix):
    components, vectors = fit_latent(matrix, 10)
    assert components.shape == (10, 200) and vectors.shape == (120, 10)
    assert components.dtype == vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)


def test_refitting_gives_identical_arrays(matrix):
    first = fit_latent(matrix, 10)
    second = fit_latent(matrix.copy(), 10)
    for a, b in zip(first, second, strict=True):
        assert np.array_equal(a, b)


def test_signs_are_fixed_by_the_largest_entry(matrix):
    components, _ = fit_latent(matrix, 10)
    pivots = np.argmax(np.abs(components), axis=1)
    assert (components[np.arange(10), pivots] > 0).all()


def test_latent_cosines_match_an_exact_svd():
    # Eight topics plus a little noise: a clear gap after the 8th singular value.
    rng = np.random.default_rng(3)
    dense = _unit(rng.random((80, 8)) ** 4 @ rng.random((8, 150)) ** 6
                  + 0.01 * rng.random((80, 150)))
    _, vectors = fit_latent(sp.csr_matrix(dense), 8)
    _, _, vt = np.linalg.svd(dense, full_matrices=False)
    exact = _unit(dense @ vt[:8].T)
    np.testing.assert_allclose(vectors @ vectors.T, exact @ exact.T, atol=1e-4)


def test_arrays_survive_npy_without_pickle(matrix):
    components, vectors = fit_latent(matrix, 5)
    buffer = io.BytesIO()
    np.save(buffer, components, allow_pickle=False)
    buffer.seek(0)
    loaded = np.load(buffer, allow_pickle=False)
    assert np.array_equal(project(matrix, loaded), vectors)


def test_project_gives_the_fitted_rows_for_sparse_and_dense_input(matrix):
    components, vectors = fit_latent(matrix, 5)
    assert np.array_equal(project(matrix[3:7], components), vectors[3:7])
    np.testing.assert_allclose(project(matrix[3:7].toarray(), components), vectors[3:7],
                               atol=1e-6)


def test_a_row_without_known_terms_projects_to_zero(matrix):
    components, _ = fit_latent(matrix, 5)
    assert not project(sp.csr_matrix((1, 200), dtype=np.float32), components).any()


def test_a_one_article_corpus_has_no_latent_view():
    components, vectors = fit_latent(sp.csr_matrix(np.ones((1, 4), np.float32) / 2), 50)
    assert components.shape == (0, 4) and vectors.shape == (1, 0)


@pytest.mark.parametrize("bad", [0, -3, 2.5, True, "50"])
def test_bad_component_counts_raise(matrix, bad):
    with pytest.raises(ValueError, match="n_components must be a positive whole number"):
        fit_latent(matrix, bad)


def test_blend_equals_the_weighted_dense_reference(matrix):
    components, vectors = fit_latent(matrix, 10)
    dense = matrix.toarray().astype(np.float64)
    reference = np.clip(0.6 * dense @ dense.T + 0.4 * vectors.astype(np.float64) @ vectors.T,
                        0, 1)
    got = blend_scores(matrix[:20], vectors[:20], matrix.T.tocsr(), vectors, 0.4)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, reference[:20], atol=1e-5)


def test_blend_scores_stay_within_zero_and_one(matrix):
    components, vectors = fit_latent(matrix, 10)
    got = blend_scores(matrix, vectors, matrix.T.tocsr(), vectors, 1.0)
    assert got.min() >= 0.0 and got.max() <= 1.0


def test_alpha_zero_is_the_plain_cosine(matrix):
    _, vectors = fit_latent(matrix, 10)
    got = blend_scores(matrix[:5], vectors[:5], matrix.T.tocsr(), vectors, 0.0)
    np.testing.assert_allclose(got, np.clip((matrix[:5] @ matrix.T).toarray(), 0, 1), atol=1e-6)


def test_alpha_outside_zero_one_raises(matrix):
    _, vectors = fit_latent(matrix, 3)
    with pytest.raises(ValueError, match="alpha must be a number from 0 to 1"):
        blend_scores(matrix[:1], vectors[:1], matrix.T.tocsr(), vectors, 1.5)


def test_a_big_archive_learns_its_components_from_a_seeded_sample(monkeypatch):
    from benchmarks import synthetic
    from recommender import Article, RelatedIndex
    from recommender import index as module
    from recommender.latent import leading_components

    records = synthetic.generate(700, seed=2, mean_words=60, n_topics=8)
    articles = [Article(id=r["id"], title=r["title"], body=r["body"]) for r in records]
    monkeypatch.setattr(module, "_LATENT_SAMPLE", 500)
    sampled = RelatedIndex(latent_components=(10, 40)).fit(articles)
    again = RelatedIndex(latent_components=(10, 40)).fit(articles)
    assert sampled.latent_components_.tobytes() == again.latent_components_.tobytes()
    rows = np.sort(np.random.default_rng(0).choice(700, 500, replace=False))
    learnt = leading_components(sampled.matrix_[rows], 40, n_iter=5, random_state=0)
    assert np.array_equal(sampled.latent_components_, np.vstack([learnt[:10], learnt]))
    # every article is projected, the sampled ones and the others alike
    expected = np.hstack([project(sampled.matrix_, learnt[:d]) / np.sqrt(2) for d in (10, 40)])
    np.testing.assert_allclose(sampled.latent_vectors_, expected, atol=1e-6)
    monkeypatch.setattr(module, "_LATENT_SAMPLE", 700)
    whole = RelatedIndex(latent_components=(10, 40)).fit(articles)
    assert not np.array_equal(whole.latent_components_, sampled.latent_components_)
