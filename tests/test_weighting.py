"""Term-frequency schemes: ``weighting.saturated_tf`` / ``weighted_tf`` and the ``body_tf``
setting of RelatedIndex."""

import numpy as np
import pytest
import scipy.sparse as sp

from recommender import ConfigError, RelatedIndex
from recommender.settings import DEFAULTS, validate_settings
from recommender.weighting import (
    BM25_K1,
    TF_SCHEMES,
    count_matrix,
    saturated_tf,
    tfidf_row,
    tfidf_rows,
    weighted_tf,
)


def test_saturated_tf_is_bm25_without_length_term():
    counts = sp.csr_matrix(np.array([[0.0, 1.0, 2.0, 5.0], [30.0, 0.0, 1.0, 0.0]]))
    got = saturated_tf(counts).toarray()
    raw = counts.toarray()
    expected = np.where(raw > 0, raw * (BM25_K1 + 1) / (raw + BM25_K1), 0.0)
    np.testing.assert_allclose(got, expected)
    assert got[0, 1] == pytest.approx(1.0)  # one occurrence weighs 1, as with 1 + log tf
    assert got.max() < BM25_K1 + 1  # bounded
    assert counts.toarray()[0, 3] == 5.0  # input untouched


def test_saturated_tf_rejects_non_positive_k1():
    with pytest.raises(ValueError, match="k1"):
        saturated_tf(sp.csr_matrix(np.ones((1, 2))), k1=0.0)


def test_weighted_tf_saturates_only_the_named_fields():
    body = sp.csr_matrix(np.array([[4.0, 0.0, 1.0]]))
    title = sp.csr_matrix(np.array([[2.0, 1.0, 0.0]]))
    weights = {"body": 1.0, "title": 0.5}
    got = weighted_tf({"body": body, "title": title}, weights, sublinear=True,
                      saturate=("body",)).toarray()
    expected = (saturated_tf(body).toarray()
                + 0.5 * np.where(title.toarray() > 0, 1 + np.log(np.maximum(title.toarray(), 1)), 0))
    np.testing.assert_allclose(got, expected)
    # without saturate, the old arithmetic
    plain = weighted_tf({"body": body, "title": title}, weights, sublinear=True).toarray()
    assert plain[0, 0] == pytest.approx(1 + np.log(4.0) + 0.5 * (1 + np.log(2.0)))


def test_body_tf_setting_is_validated_strictly():
    assert DEFAULTS["body_tf"] in TF_SCHEMES
    assert validate_settings({"body_tf": "bm25"})["body_tf"] == "bm25"
    for bad in ("BM25", "raw", "", None, 1, True):
        with pytest.raises(ConfigError, match="body_tf must be one of 'log', 'bm25'"):
            RelatedIndex(body_tf=bad)
    with pytest.raises(ConfigError) as info:  # reported together with other problems
        RelatedIndex(body_tf="x", min_score=2)
    assert "body_tf" in str(info.value) and "min_score" in str(info.value)


def test_body_tf_round_trips_through_settings():
    index = RelatedIndex(body_tf="bm25")
    assert index.get_settings()["body_tf"] == "bm25"
    assert RelatedIndex.from_settings(index.get_settings()).get_settings() == index.get_settings()


@pytest.mark.parametrize("scheme", TF_SCHEMES)
def test_body_tf_builds_the_matrix_it_documents(fixture_articles, scheme):
    from recommender.analysis import analyse_articles
    from recommender.settings import FIELDS
    from recommender.weighting import count_matrix

    index = RelatedIndex(body_tf=scheme, latent_components=0).fit(fixture_articles)
    vocabulary = {t: i for i, t in enumerate(index.vocabulary_)}
    fields = [f for _, f in analyse_articles(fixture_articles, index._analyzer)]
    weights = index.get_settings()["field_weights"]
    tf = None
    for name in FIELDS:
        if weights[name] <= 0:
            continue
        counts = count_matrix([f[name] for f in fields], vocabulary).toarray()
        if name == "body" and scheme == "bm25":
            part = counts * (BM25_K1 + 1) / (counts + BM25_K1)
        else:
            part = np.where(counts > 0, 1 + np.log(np.maximum(counts, 1)), 0.0)
        tf = weights[name] * part if tf is None else tf + weights[name] * part
    expected = tfidf_rows(sp.csr_matrix(tf), index.idf_).toarray()
    np.testing.assert_allclose(index.matrix_.toarray(), expected, atol=1e-6)


def test_bm25_body_changes_only_the_body_and_rows_need_no_corpus_statistic(fixture_articles):
    log = RelatedIndex(body_tf="log", latent_components=0).fit(fixture_articles)
    bm25 = RelatedIndex(body_tf="bm25", latent_components=0).fit(fixture_articles)
    assert log.vocabulary_ == bm25.vocabulary_
    np.testing.assert_array_equal(log.idf_, bm25.idf_)
    assert abs(log.matrix_ - bm25.matrix_).max() > 0
    for name in log.field_tf_:  # the explained fields (not the body) are weighed as before
        assert abs(log.field_tf_[name] - bm25.field_tf_[name]).max() == 0
    # one article weighed alone under the fitted model gives its row of the fitted matrix
    from recommender.analysis import analyse_articles

    fields = [f for _, f in analyse_articles(fixture_articles[:1], bm25._analyzer)]
    alone, _, _ = bm25._weigh(fields, bm25._term_column, bm25.idf_)
    np.testing.assert_allclose(alone.toarray(), bm25.matrix_[0].toarray(), atol=1e-7)


def test_bm25_body_index_answers_related_and_similar(fixture_articles):
    index = RelatedIndex(body_tf="bm25").fit(fixture_articles)
    first = fixture_articles[0]
    items = index.related(first.id, k=5)
    assert len(items) == 5 and all(a.score >= b.score for a, b in zip(items, items[1:]))
    assert index.similar(first.body, k=3)[0].id == first.id


@pytest.mark.parametrize("saturate", [False, True])
@pytest.mark.parametrize("sublinear", [False, True])
def test_a_single_text_row_has_the_bits_of_the_matrix_path(fixture_index, saturate, sublinear):
    from recommender.analysis import analyse_text

    texts = ["A reforma agrária e a concentração da terra no Brasil, a terra, a terra.",
              "NATO and Russia: the war clock", "", "palavras que o índice não conhece",
              "Krenak " * 50,
              # more distinct terms than numpy's pairwise-sum block (128)
              " ".join(fixture_index.vocabulary_[::7][:400])]
    for text in texts:
        tokens = analyse_text(text, fixture_index._analyzer)
        fast = tfidf_row(tokens, fixture_index._term_column, fixture_index.idf_,
                         sublinear=sublinear, saturate=saturate)
        counts = count_matrix([tokens], fixture_index._term_column)
        slow = tfidf_rows(weighted_tf({"body": counts}, {"body": 1.0}, sublinear=sublinear,
                                      saturate=("body",) if saturate else ()),
                          fixture_index.idf_)
        assert fast.shape == slow.shape and fast.dtype == slow.dtype == np.float32
        assert np.array_equal(fast.indices, slow.indices)
        assert fast.data.tobytes() == slow.data.tobytes()
