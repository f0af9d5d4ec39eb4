"""Counting articles a chunk at a time, in workers or not, gives one corpus count."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from benchmarks import synthetic
from recommender import Article, RelatedIndex
from recommender.analysis import analyse_articles, make_analyzer
from recommender.counting import count_articles
from recommender.settings import DEFAULTS, FIELDS


def corpus(n):
    return [Article(id=r["id"], title=r["title"], body=r["body"], author=tuple(r["author"]),
                    tags=tuple(r["tags"]), date=r["date"])
            for r in synthetic.generate(n, seed=8, mean_words=40, n_topics=6, n_authors=9)]


def as_matrix(counted, name):
    lengths, numbers, counts = counted.fields[name]
    assert lengths.size == len(counted.entries) and lengths.sum() == numbers.size == counts.size
    rows = np.repeat(np.arange(lengths.size), lengths)
    assert len(set(zip(rows.tolist(), numbers.tolist()))) == rows.size  # each term once a row
    terms = sorted(counted.terms, key=counted.terms.__getitem__)
    by_term = {terms[i]: i for i in range(len(terms))}
    order = [by_term[t] for t in sorted(terms)]
    shape = (len(counted.entries), len(terms))
    return sp.csr_matrix((counts, (rows, numbers)), shape=shape)[:, order].toarray()


def test_chunks_count_what_one_pass_over_the_tokens_counts():
    articles = corpus(60)
    analyzer = make_analyzer(DEFAULTS)
    whole = count_articles(articles, analyzer, FIELDS, chunk_size=1000)
    chunked = count_articles(articles, analyzer, FIELDS, chunk_size=7)
    assert set(whole.terms) == set(chunked.terms)
    assert whole.entries == chunked.entries
    analysed = analyse_articles(articles, analyzer)
    terms = sorted(whole.terms)
    for name in FIELDS:
        expected = np.zeros((len(articles), len(terms)))
        column = {t: i for i, t in enumerate(terms)}
        for row, (_, fields) in enumerate(analysed):
            for token in fields[name]:
                expected[row, column[token]] += 1
        assert np.array_equal(as_matrix(whole, name), expected)
        assert np.array_equal(as_matrix(chunked, name), expected)
    assert [e.lang for e in whole.entries] == [lang for lang, _ in analysed]
    assert [e.id for e in whole.entries] == [a.id for a in articles]


def test_a_stream_is_read_a_chunk_at_a_time_and_no_article_is_kept():
    articles = corpus(100)
    pulled = []

    def stream():
        for article in articles:
            pulled.append(article.id)
            yield article

    seen = []
    counted = count_articles(stream(), make_analyzer(DEFAULTS), FIELDS, chunk_size=10,
                             progress=lambda n: seen.append((n, len(pulled))))
    assert [n for n, _ in seen] == [10] * 10
    # one chunk ahead at most: two chunks are read before the first is counted
    assert all(read <= done + 10 for done, (_, read) in
               zip(np.cumsum([n for n, _ in seen]), seen))
    assert len(counted.entries) == 100
    assert not any(hasattr(e, "body") for e in counted.entries)


def test_a_fit_does_not_depend_on_the_number_of_processes():
    articles = corpus(1100)  # three chunks of analysis
    one = RelatedIndex(n_jobs=1).fit(articles)
    two = RelatedIndex(n_jobs=2).fit(articles)
    assert one.vocabulary_ == two.vocabulary_
    assert one.idf_.tobytes() == two.idf_.tobytes()
    for part in ("data", "indices", "indptr"):
        assert getattr(one.matrix_, part).tobytes() == getattr(two.matrix_, part).tobytes()
    assert [e.lang for e in one.entries_] == [e.lang for e in two.entries_]


def test_pieces_joined_into_blocks_as_they_come_count_the_same(monkeypatch):
    from recommender import counting

    articles = corpus(40)
    analyzer = make_analyzer(DEFAULTS)
    whole = count_articles(articles, analyzer, FIELDS, chunk_size=1000)
    monkeypatch.setattr(counting, "_BLOCK", 50)  # a block every few chunks
    monkeypatch.setattr(counting, "_TRIM_EVERY", 2)
    blocked = count_articles(articles, analyzer, FIELDS, chunk_size=3)
    assert blocked.terms.keys() == whole.terms.keys()
    for name in FIELDS:
        assert np.array_equal(as_matrix(blocked, name), as_matrix(whole, name))


def test_counts_are_kept_in_16_bits_unless_one_does_not_fit():
    from recommender.counting import _narrow_counts

    assert _narrow_counts(np.array([1, 65535])).dtype == np.uint16
    wide = _narrow_counts(np.array([1, 65536]))
    assert wide.dtype == np.int32 and wide.tolist() == [1, 65536]
    assert _narrow_counts(np.zeros(0, dtype=np.int64)).dtype == np.uint16
