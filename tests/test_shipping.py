"""Articles sent to analysis workers (recommender.shipping) come back equal, and sending
them leaves the caller's strings as they were."""

import sys

from recommender.analysis import make_analyzer
from recommender.corpus import Article
from recommender.counting import count_articles
from recommender.settings import DEFAULTS
from recommender.shipping import ship, unship


def test_shipped_articles_come_back_equal(fixture_articles):
    extra = Article(id="x", title="Fazê-lo? Não.", body="Corpo com acentos: ação, você, pôr",
                    author=["José Luís Fiori", "Outra Autora"], tags=["geopolítica"],
                    related=["x"])
    articles = list(fixture_articles) + [extra]
    assert unship(ship(articles)) == articles


def test_a_parallel_fit_does_not_grow_the_callers_articles(fixture_articles):
    # Pickling a non-ASCII str makes CPython keep a UTF-8 copy inside it for good.
    before = [sys.getsizeof(a.body) for a in fixture_articles]
    assert any(not a.body.isascii() for a in fixture_articles)
    analyzer = make_analyzer(DEFAULTS)
    serial = count_articles(fixture_articles, analyzer, ["body"], chunk_size=7)
    parallel = count_articles(fixture_articles, analyzer, ["body"], chunk_size=7, n_jobs=2)
    assert [sys.getsizeof(a.body) for a in fixture_articles] == before
    assert parallel.terms == serial.terms and parallel.entries == serial.entries
    for got, expected in zip(parallel.fields["body"], serial.fields["body"], strict=True):
        assert got.tobytes() == expected.tobytes()
