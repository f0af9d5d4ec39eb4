"""Properties of the index on generated corpora (hypothesis, bounded).

Corpora are drawn from small Portuguese and English word pools with accents and
case variants, so that folding, stop words and repeated words all come into play;
authors, dates, tags and languages are sometimes given. Default settings, no pins.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import tempfile
import warnings
from unittest import mock

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from recommender import Article, RelatedIndex

BOUNDED = settings(max_examples=50, deadline=None, derandomize=bool(os.environ.get("CI")),
                   suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# scikit-learn's TruncatedSVD warns on a corpus whose rows are all alike; that bug has its
# own strict xfail at the end, so that the other properties are not hidden behind it.
pytestmark = pytest.mark.filterwarnings(
    "ignore:invalid value encountered in divide:RuntimeWarning")

PORTUGUESE = ("ação", "coração", "política", "terra", "índios", "floresta", "rio", "água",
              "soberania", "econômica", "fogo", "sementes", "cerrado", "amazônia", "mineração",
              "reforma", "agrária", "latifúndio", "povos", "saúde", "eleições", "memória",
              "não", "pelo", "fazê-lo", "pós-guerra", "1964")
ENGLISH = ("war", "peace", "nato", "russia", "china", "market", "labour", "climate", "river",
           "forest", "treaty", "border", "energy", "grain", "élite", "café", "naïve", "the",
           "Putin's", "covid-19")
AUTHORS = ("Ana Souza", "José Luís Fiori", "Bia Lima", "Chloé Martin")
TAGS = ("geopolítica", "Geopolitica", "questão agrária", "clima")

_word = st.sampled_from(PORTUGUESE + ENGLISH).flatmap(
    lambda w: st.sampled_from((w, w.upper(), w.capitalize())))


def _text(min_size: int, max_size: int) -> st.SearchStrategy[str]:
    return st.lists(_word, min_size=min_size, max_size=max_size).map(" ".join)


@st.composite
def articles(draw, number: int) -> Article:
    title = draw(_text(0, 5))
    body = draw(_text(0 if title.strip() else 1, 30))
    return Article(
        id=f"{draw(st.sampled_from(('artigo', 'ensaio', 'coração')))}-{number}",
        title=title, body=body,
        author=draw(st.lists(st.sampled_from(AUTHORS), max_size=2, unique=True)),
        date=draw(st.none() | st.dates(dt.date(2000, 1, 1), dt.date(2024, 12, 31))),
        tags=draw(st.lists(st.sampled_from(TAGS), max_size=2, unique=True)),
        lang=draw(st.sampled_from((None, None, "pt", "en"))),
    )


@st.composite
def corpora(draw, min_size: int = 2, max_size: int = 9) -> list[Article]:
    size = draw(st.integers(min_size, max_size))
    return [draw(articles(number)) for number in range(size)]


def _lists(index: RelatedIndex, k: int) -> dict[str, list[tuple[str, float]]]:
    return {key: [(item.id, item.score) for item in items]
            for key, items in index.related_all(k=k).items()}


@BOUNDED
@given(corpora(), st.integers(1, 12))
def test_fitting_twice_gives_the_same_lists(corpus, k):
    first, second = RelatedIndex().fit(corpus), RelatedIndex().fit(list(corpus))
    assert _lists(first, k) == _lists(second, k)
    assert first.related_all(k=k) == second.related_all(k=k)
    assert first.vocabulary_ == second.vocabulary_


@BOUNDED
@given(corpora(), st.integers(1, 12))
def test_lists_are_short_distinct_without_self_and_best_first(corpus, k):
    index = RelatedIndex().fit(corpus)
    ids = {a.id for a in corpus}
    every = index.related_all(k=k)
    assert list(every) == [a.id for a in corpus]
    for article in corpus:
        items = index.related(article.id, k=k)
        assert every[article.id] == items
        listed = [item.id for item in items]
        assert len(items) <= k
        assert article.id not in listed
        assert len(set(listed)) == len(listed) and set(listed) <= ids
        scores = [item.score for item in items]
        assert all(0.0 < s <= 1.0 and math.isfinite(s) for s in scores), scores
        assert scores == sorted(scores, reverse=True), scores


@BOUNDED
@given(corpora(min_size=2), st.data())
def test_scores_are_symmetric(corpus, data):
    index = RelatedIndex().fit(corpus)
    a = data.draw(st.sampled_from(corpus)).id
    b = data.draw(st.sampled_from([x.id for x in corpus if x.id != a]))
    forward = sum(value for _, value in index.explain(a, b).fields)
    backward = sum(value for _, value in index.explain(b, a).fields)
    assert forward == pytest.approx(backward, abs=1e-5)
    rows = index.matrix_[[index.ids_.index(a), index.ids_.index(b)]]
    cosine = (rows @ rows.T).toarray()
    assert cosine[0, 1] == pytest.approx(cosine[1, 0], abs=1e-6)
    # the score a list shows is the same cosine (clipped, rounded), whichever side asks
    for query, other, value in ((a, b, forward), (b, a, backward)):
        shown = {item.id: item.score for item in index.related(query, k=len(corpus))}
        if other in shown:
            assert shown[other] == pytest.approx(min(max(value, 0.0), 1.0), abs=1e-5)


@BOUNDED
@given(corpora(), st.integers(1, 12), _text(1, 6))
def test_save_and_load_give_the_same_index(corpus, k, query):
    index = RelatedIndex().fit(corpus)
    with tempfile.TemporaryDirectory() as folder, mock.patch("os.fsync"):  # speed only
        index.save(f"{folder}/index")
        loaded = RelatedIndex.load(f"{folder}/index")
    assert loaded.related_all(k=k) == index.related_all(k=k)
    assert loaded.similar(query, k=k) == index.similar(query, k=k)
    assert loaded.entries_ == index.entries_ and loaded.vocabulary_ == index.vocabulary_
    assert loaded.get_settings() == index.get_settings()
    np.testing.assert_array_equal(loaded.idf_, index.idf_)
    for part in ("data", "indices", "indptr"):
        np.testing.assert_array_equal(getattr(loaded.matrix_, part),
                                      getattr(index.matrix_, part))


UNRELATED = ("zebra", "xilofone", "quasar", "vórtice")


def _unrelated(words: list[str]) -> Article:
    return Article(id="sem-relacao", title=" ".join(words))


@BOUNDED
@given(corpora(), st.lists(st.sampled_from(UNRELATED), min_size=1, max_size=4))
def test_an_unrelated_article_changes_only_the_idf(corpus, words):
    """What does hold when an article sharing no word with the corpus is added: which
    pairs of articles share a term (a positive tf-idf cosine) does not change, and every
    old term's idf rises by the same amount, ln((n + 2) / (n + 1)) with scikit-learn's
    smoothed idf. That uniform rise is not a rescaling, so cosines do move (see
    test_adding_an_unrelated_article_never_removes_a_best_neighbour)."""
    before = RelatedIndex().fit(corpus)
    after = RelatedIndex().fit([*corpus, _unrelated(words)])
    n = len(corpus)
    old = [after.vocabulary_.index(term) for term in before.vocabulary_]
    np.testing.assert_allclose(after.idf_[old] - before.idf_, math.log((n + 2) / (n + 1)),
                               rtol=0, atol=1e-9)
    shared_before = (before.matrix_ @ before.matrix_.T).toarray() > 1e-6
    shared_after = (after.matrix_[:n] @ after.matrix_[:n].T).toarray() > 1e-6
    np.testing.assert_array_equal(shared_before, shared_after)


@BOUNDED
@given(corpora(), st.lists(st.sampled_from(UNRELATED), min_size=1, max_size=4))
def test_an_unrelated_article_is_never_listed_by_tfidf(corpus, words):
    """With the latent blend off (with it on, see the xfail below): an article that
    shares no word with any other is in no list, and its own list is empty."""
    after = RelatedIndex(latent_weight=0.0).fit([*corpus, _unrelated(words)])
    assert after.related("sem-relacao", k=20) == []
    for items in after.related_all(k=20).values():
        assert "sem-relacao" not in [item.id for item in items]


def test_articles_that_share_no_word_are_not_related():
    corpus = [Article(id="terra", body="terra rios floresta"),
              Article(id="guerra", body="guerra otan rússia"),
              Article(id="mercado", body="mercado juros inflação"),
              Article(id="cinema", body="cinema teatro música")]
    index = RelatedIndex().fit(corpus)
    assert {key: [i.id for i in items] for key, items in index.related_all(k=3).items()} == {
        "terra": [], "guerra": [], "mercado": [], "cinema": []}


# Two corpora where adding one unrelated article changes a best neighbour under the
# default settings, found by hypothesis. First: artigo-2 ("ação", tagged) has artigo-3
# ("coração", the same tag) first, 0.580 against 0.573 for artigo-0 ("ação"); the idf
# rise favours the common term, and artigo-0 overtakes (0.586 against 0.573). Second:
# three copies of the title "ação" score 0.888 with a0; the rise lifts them to 0.901,
# past duplicate_threshold=0.9, so they become near-duplicates of a0 and its list empties.
_REORDERED = [Article(id="artigo-0", body="ação"), Article(id="artigo-1", body="ação"),
              Article(id="artigo-2", body="ação", tags=("geopolítica",)),
              Article(id="artigo-3", body="coração", tags=("geopolítica",)),
              Article(id="artigo-4", body="ação coração")]
_DUPLICATES = [Article(id="a0", title="ação", body="ação ação coração"),
               *(Article(id=f"a{i}", title="ação") for i in range(1, 4))]


@pytest.mark.xfail(strict=True, reason=(
    "the property is false for TF-IDF with smoothed idf, not a bug: a new article adds "
    "ln((n+2)/(n+1)) to every idf, which shifts weight towards common terms, so close "
    "neighbours can swap and a neighbour can cross duplicate_threshold. Kept, with the "
    "counterexamples, so that the limit stays documented"))
@BOUNDED
@example(corpus=_REORDERED, words=["zebra"])
@example(corpus=_DUPLICATES, words=["zebra"])
@given(corpora(), st.lists(st.sampled_from(UNRELATED), min_size=1, max_size=4))
def test_adding_an_unrelated_article_never_removes_a_best_neighbour(corpus, words):
    before = RelatedIndex().fit(corpus)
    after = RelatedIndex().fit([*corpus, _unrelated(words)])
    for article in corpus:
        best = before.related(article.id, k=1)
        if best:
            assert after.related(article.id, k=1)[0].id == best[0].id, article.id


def test_a_corpus_of_identical_articles_fits_without_warnings():
    corpus = [Article(id=f"copia-{i}", body="ação ação ação", tags=["clima"]) for i in range(3)]
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        index = RelatedIndex().fit(corpus)
    assert [item.id for item in index.related("copia-0", k=5)] == []  # all near-duplicates
