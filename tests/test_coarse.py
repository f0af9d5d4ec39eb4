"""The coarse latent copy that a free-text query's estimate reads (recommender.coarse)."""

import numpy as np
import pytest

from benchmarks import synthetic
from recommender import RelatedIndex, kernels
from recommender import index as index_module
from recommender.coarse import COARSE_MIN_TERMS, CoarseLatent

from .conftest import as_articles


def _articles(n, seed):
    return as_articles(synthetic.generate(n, seed=seed, mean_words=80, n_authors=30))


@pytest.fixture(scope="module")
def index():
    return RelatedIndex(latent_components=[8, 24]).fit(_articles(600, seed=5))


def test_codes_are_the_first_space_within_half_a_step():
    vectors = np.random.RandomState(0).normal(size=(500, 7)).astype(np.float32)
    coarse = CoarseLatent.of(vectors, (3, 4))
    assert coarse.codes.shape == (3, 500) and coarse.codes.dtype == np.int8
    assert coarse.spaces == 2
    decoded = coarse.codes.T * coarse.scales
    assert np.all(np.abs(decoded - vectors[:, :3]) <= coarse.scales / 2 + 1e-7)
    assert np.abs(coarse.codes).max() == 127


def test_an_all_zero_dimension_gives_zero_codes_and_no_nan():
    vectors = np.zeros((20, 3), np.float32)
    vectors[:, 1] = np.linspace(-1, 1, 20)
    coarse = CoarseLatent.of(vectors, (3,))
    assert coarse.scales[0] == 0.0 and not coarse.codes[0].any()
    estimate = coarse.estimate(vectors[3:4], 0.5)
    assert np.isfinite(estimate).all()
    assert estimate[0, 3] == pytest.approx(0.5 * vectors[3, 1] ** 2, abs=0.01)


def test_the_estimate_is_the_first_space_cosine_times_the_weight(index):
    d = index.latent_blocks_[0]
    vectors = index.latent_vectors_
    coarse = CoarseLatent.of(vectors, index.latent_blocks_)
    for row in (0, 17, 333):
        # each space's part of a row is its unit vector over sqrt(spaces)
        want = 0.4 * 2 * (vectors[:, :d] @ vectors[row, :d])
        got = coarse.estimate(vectors[row:row + 1], 0.4)
        assert got.shape == (1, len(vectors)) and got.dtype == np.float32
        np.testing.assert_allclose(got[0], want, atol=0.02)
        assert np.argmax(got[0]) == row  # an article is most like itself


def test_numpy_and_numba_give_the_same_bits(monkeypatch):
    if not kernels.AVAILABLE:
        pytest.skip("numba is not installed")
    rng = np.random.RandomState(3)
    vectors = rng.normal(size=(5000, 12)).astype(np.float32)
    coarse = CoarseLatent.of(vectors, (5, 7))
    query = rng.normal(size=(1, 12)).astype(np.float32)
    compiled = coarse.estimate(query, 0.37)
    monkeypatch.setattr(kernels, "AVAILABLE", False)
    np.testing.assert_array_equal(coarse.estimate(query, 0.37), compiled)


@pytest.fixture
def always_coarse(monkeypatch):
    """The coarse estimate for every free text, whatever the archive's size."""
    monkeypatch.setattr(index_module, "COARSE_FROM_BYTES", 0)
    monkeypatch.setattr(index_module, "COARSE_MIN_TERMS", 0)


def test_small_archives_and_short_texts_take_the_full_estimate(index, monkeypatch):
    long_text = " ".join(a.body for a in _articles(60, seed=9))
    query = index.vectorize(long_text)
    assert query.nnz >= COARSE_MIN_TERMS
    latent = index._project(query)
    assert index._free_text_estimate(query, latent) is None  # 600 articles: small
    monkeypatch.setattr(index_module, "COARSE_FROM_BYTES", 0)
    assert index._free_text_estimate(query, latent).shape == (1, 600)
    short = index.vectorize("reforma agrária e concentração da terra")
    assert index._free_text_estimate(short, index._project(short)) is None


def test_free_text_lists_agree_with_the_exact_ones(index, always_coarse):
    texts = synthetic.held_out_queries(40, seed=5, n_articles=600, mean_words=80, n_authors=30)
    agreement = [len({r.id for r in index.similar(t)}
                     & {r.id for r in index.similar(t, exact=True)}) / 10 for t in texts]
    assert np.mean(agreement) >= 0.9


def test_an_update_rebuilds_the_copy_with_the_new_articles(always_coarse):
    articles = _articles(400, seed=8)
    index = RelatedIndex(latent_components=[8, 24]).fit(articles[:300])
    index.similar(articles[350].body)  # makes the copy of 300 articles
    index.update(articles[300:])
    found = index.similar(f"{articles[350].title}\n\n{articles[350].body}", k=3)
    assert found[0].id == articles[350].id


def test_every_wider_net_starts_from_the_same_coarse_estimate(always_coarse, monkeypatch):
    # the candidates add the text's products to the estimate they are given; a wider
    # net must not start from the last one's sums
    articles = _articles(600, seed=5)
    index = RelatedIndex(latent_components=[8, 24], candidates=20).fit(articles)
    seen = []
    candidates_of = index._candidates_of

    def spy(queries, first, latent, count, estimate=None, **kwargs):
        seen.append(None if estimate is None else estimate.copy())
        return candidates_of(queries, first, latent, count, estimate, **kwargs)

    monkeypatch.setattr(index, "_candidates_of", spy)
    text = _articles(1, seed=21)[0].body
    # ten articles left to list: the nets of 90 and 360 candidates fall short
    index.similar(text, exclude_ids=[a.id for a in articles[10:]])
    assert len(seen) == 2 and seen[0] is not None
    for estimate in seen[1:]:
        np.testing.assert_array_equal(estimate, seen[0])
