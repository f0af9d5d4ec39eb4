"""Free text to vocabulary columns a chunk at a time (recommender.query_columns) gives
the columns of the analyzer's terms, and vectorize the bits of the token path."""

import numpy as np
import pytest

from recommender import RelatedIndex, query_columns
from recommender.analysis import analyse_text
from recommender.query_columns import ChunkColumns
from recommender.text import Analyzer
from recommender.weighting import tfidf_row

TEXTS = [
    "A reforma agrária e a concentração da terra no Brasil: fazê-lo, pós-guerra, d'água.",
    "NATO and Russia: the war clock; Putin's visit to North Korea, 1945 and covid-19.",
    "<p>Política&nbsp;externa</p><p>do <b>Bra</b>sil</p> \x1b[31mvermelha\x1b[0m",
    "",
    "pós-guerra pós-guerra pós-guerra Krenak Krenak",
]


def _expected(analyzer, vocabulary, text, lang):
    return [vocabulary[t] for t in analyzer(text, lang=lang) if t in vocabulary]


@pytest.mark.parametrize("stemmer", [None, "snowball"])
def test_columns_are_the_columns_of_the_analyzers_terms(stemmer, monkeypatch):
    if stemmer:
        pytest.importorskip("Stemmer")
    analyzer = Analyzer(stemmer=stemmer)
    terms = sorted({t for text in TEXTS for lang in ("pt", "en")
                    for t in analyzer(text, lang=lang)})
    vocabulary = {t: i for i, t in enumerate(terms[::2])}  # half the terms known
    for remembered in (1 << 18, 3):  # a full memory looks the rest up every time
        monkeypatch.setattr(query_columns, "_REMEMBERED", remembered)
        columns = ChunkColumns(analyzer, vocabulary)
        for _ in range(2):  # the second time from what it remembers
            for text in TEXTS:
                for lang in ("pt", "en"):
                    got = columns(text, lang)
                    assert got.dtype == np.int64
                    assert got.tolist() == _expected(analyzer, vocabulary, text, lang)


def test_bigrams_are_refused():
    with pytest.raises(ValueError, match="single words"):
        ChunkColumns(Analyzer(ngram_range=(1, 2)), {})


@pytest.mark.parametrize("settings", [{}, {"ngram_range": (1, 2)}, {"body_tf": "bm25"}])
def test_vectorize_has_the_bits_of_the_token_path(fixture_articles, settings):
    index = RelatedIndex(**settings).fit(fixture_articles)
    s = index._settings
    for text in TEXTS + [a.body for a in fixture_articles[:5]]:
        expected = tfidf_row(analyse_text(text, index._analyzer), index._term_column,
                             index.idf_, sublinear=s["sublinear_tf"],
                             saturate=s["body_tf"] == "bm25")
        got = index.vectorize(text)
        assert np.array_equal(got.indices, expected.indices)
        assert got.data.tobytes() == expected.data.tobytes()


@pytest.mark.parametrize("stemmer", [None, "snowball"])
def test_a_chunk_analysed_without_memory_gives_the_remembered_terms(stemmer):
    """ChunkColumns remembers columns itself, so it asks for a chunk's terms with
    ``remember=False``: the same terms, and nothing added to the analyzer's memory."""
    if stemmer:
        pytest.importorskip("Stemmer")
    analyzer = Analyzer(stemmer=stemmer)
    chunks = [chunk for text in TEXTS for chunk in analyzer.chunks(text)]
    for lang in ("pt", "en", None):
        fresh = [analyzer.chunk_terms(chunk, lang, remember=False) for chunk in chunks]
        assert not any(analyzer._caches.values())
        assert fresh == [analyzer.chunk_terms(chunk, lang) for chunk in chunks]
        analyzer._caches.clear()
    assert any(len(terms) > 1 for terms in fresh)  # pós-guerra: a chunk of two terms
