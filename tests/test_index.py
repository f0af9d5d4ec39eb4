import dataclasses

import numpy as np
import pytest

from recommender import (
    Article,
    ConfigError,
    CorpusError,
    NotFittedError,
    RelatedIndex,
    UnknownArticleError,
)
from recommender.ranking import tiebreak_ranks

PT = [
    Article(id="reforma", title="A reforma agrária no Brasil",
            body="A concentração fundiária e a reforma agrária voltam ao debate sobre a terra."),
    Article(id="terra", title="Terra e latifúndio",
            body="O latifúndio e a concentração da terra explicam a questão agrária brasileira."),
    Article(id="otan", title="A OTAN e a Rússia",
            body="A expansão da OTAN para o leste preocupa a Rússia e muda a geopolítica."),
    Article(id="russia", title="Rússia e Coreia do Norte",
            body="A aliança entre a Rússia e a Coreia do Norte desafia a OTAN."),
    Article(id="clarice", title="Clarice Lispector no cinema",
            body="Adaptações de romances de Clarice Lispector para o cinema brasileiro."),
]


PLAIN = {"max_per_author": None, "duplicate_threshold": None, "detect_translations": False,
         "latent_components": 0, "author_bonus": 0.0}


def dense_reference(index, row, k):
    """Slow twin: dense cosine of every pair, full sort with the documented tie-break."""
    dense = index.matrix_.toarray().astype(np.float64)
    scores = np.round(np.clip(dense @ dense[row], 0, 1), 6)
    ranks = tiebreak_ranks(index.ids_, [e.date for e in index.entries_])
    order = sorted((i for i in range(len(scores)) if i != row and scores[i] > 0),
                   key=lambda i: (-scores[i], ranks[i]))
    return [(index.ids_[i], scores[i]) for i in order[:k]]


def test_fast_path_equals_dense_reference_on_the_fixtures(fixture_articles):
    unlinked = [dataclasses.replace(a, translation_of=None) for a in fixture_articles]
    index = RelatedIndex(**PLAIN).fit(unlinked)
    n = len(index)
    for row, ident in enumerate(index.ids_):
        fast = [(r.id, r.score) for r in index.related(ident, k=n)]
        slow = dense_reference(index, row, n)
        assert [i for i, _ in fast] == [i for i, _ in slow], ident
        np.testing.assert_allclose([s for _, s in fast], [s for _, s in slow], atol=2e-6)


def test_related_all_equals_related_for_every_article(fixture_index):
    everything = fixture_index.related_all(k=5)
    assert list(everything) == fixture_index.ids_
    for ident, items in everything.items():
        assert items == fixture_index.related(ident, k=5)


def test_related_is_best_first_and_within_bounds(fixture_index):
    for ident in fixture_index.ids_:
        items = fixture_index.related(ident, k=10)
        scores = [r.score for r in items]
        assert scores == sorted(scores, reverse=True)
        assert all(0 < s <= 1 for s in scores)
        assert len({r.id for r in items}) == len(items) <= 10
        assert ident not in {r.id for r in items}


def test_rows_are_unit_length_so_dot_product_is_cosine(fixture_index):
    norms = np.sqrt(fixture_index.matrix_.multiply(fixture_index.matrix_).sum(axis=1)).A1
    nonzero = norms[norms > 0]
    np.testing.assert_allclose(nonzero, 1.0, rtol=1e-5)


def test_empty_corpus_is_an_error():
    with pytest.raises(CorpusError, match="empty corpus"):
        RelatedIndex().fit([])


def test_non_articles_and_duplicate_ids_are_errors():
    with pytest.raises(CorpusError) as caught:
        RelatedIndex().fit([PT[0], {"id": "x"}, PT[0]])
    assert len(caught.value.problems) == 2


def test_a_stream_is_indexed_as_its_list_is_a_chunk_at_a_time():
    import gc
    import weakref

    from benchmarks import synthetic

    class Tracked(Article):  # without Article's __slots__, so it can be weakly referenced
        pass

    def article(record):
        return Tracked(id=record["id"], title=record["title"], body=record["body"],
                       date=record["date"], author=tuple(record["author"]))

    records = list(synthetic.generate(1600, seed=5, mean_words=20))  # four chunks of 500
    listed = RelatedIndex().fit([article(r) for r in records])
    refs, held = [], []

    def stream():
        for record in records:
            made = article(record)
            refs.append(weakref.ref(made))
            yield made

    def count_alive(_):
        gc.collect()
        held.append(sum(ref() is not None for ref in refs))

    streamed = RelatedIndex().fit(stream(), progress=count_alive)
    assert len(held) == 4 and max(held) <= 1000  # the chunk analysed and the one read ahead
    for part in ("data", "indices", "indptr"):
        assert getattr(streamed.matrix_, part).tobytes() == \
            getattr(listed.matrix_, part).tobytes()
    assert streamed.entries_ == listed.entries_
    gc.collect()
    assert not [ref() for ref in refs if ref() is not None]  # no article kept by the index


def test_a_stream_that_fails_leaves_the_index_as_it_was(fixture_articles):
    index = RelatedIndex().fit(PT)
    before = index.related_all()

    def broken():
        yield from fixture_articles[:10]
        raise CorpusError(["late.jsonl:11: id: missing"])

    with pytest.raises(CorpusError, match="late.jsonl:11"):
        index.fit(broken())
    with pytest.raises(CorpusError, match="pins unknown article id 'nowhere'"):
        index.fit([*PT[1:], dataclasses.replace(PT[0], related=("nowhere",))])
    assert index.related_all() == before and len(index) == len(PT)


def test_one_article_has_an_empty_list():
    index = RelatedIndex().fit(PT[:1])
    assert index.related("reforma") == []
    assert index.related_all() == {"reforma": []}


def test_identical_articles_list_each_other_never_themselves():
    twin = Article(id="reforma-copia", title=PT[0].title, body=PT[0].body)
    index = RelatedIndex(duplicate_threshold=None).fit([*PT, twin])
    first = index.related("reforma", k=3)
    assert first[0].id == "reforma-copia" and first[0].score == 1.0
    assert "reforma" not in [r.id for r in first]
    assert index.related("reforma-copia", k=1)[0].id == "reforma"


def test_stop_word_only_body_gives_an_empty_list_and_no_error():
    empty = Article(id="vazio", body="de para com que não é o a os as do da pelo na")
    index = RelatedIndex().fit([*PT, empty])
    assert index.related("vazio") == []
    assert all("vazio" not in [r.id for r in items] for items in index.related_all().values())


def test_corpus_of_only_stop_words_fits_with_an_empty_vocabulary():
    index = RelatedIndex().fit([Article(id="a", body="de que"), Article(id="b", body="the of")])
    assert index.vocabulary_ == [] and index.related("a") == []
    assert index.similar("reforma agrária") == []


def test_k_at_least_n_lists_every_other_related_article():
    index = RelatedIndex().fit(PT)
    assert len(index.related("otan", k=100)) <= len(PT) - 1
    assert {r.id for r in index.related("otan", k=100)} >= {"russia"}


def test_unknown_id_raises_with_a_suggestion():
    index = RelatedIndex().fit(PT)
    with pytest.raises(UnknownArticleError, match=r"unknown article id 'russa'.*'russia'"):
        index.related("russa")


@pytest.mark.parametrize("k", [0, -1, 2.5, True, "3"])
def test_bad_k_is_a_config_error(k):
    with pytest.raises(ConfigError, match="k must be"):
        RelatedIndex().fit(PT).related("otan", k=k)


def test_queries_before_fit_raise_not_fitted():
    with pytest.raises(NotFittedError, match="fit"):
        RelatedIndex().related("x")


def test_topically_related_articles_come_first():
    index = RelatedIndex().fit(PT)
    assert index.related("reforma", k=1)[0].id == "terra"
    assert index.related("otan", k=1)[0].id == "russia"


def test_html_markup_scripts_and_styles_are_not_indexed():
    html = Article(id="html", title="Plataformas",
                   body="<p>As <em>plataformas</em> digitais&nbsp;vigiam.</p>"
                        "<script>var rastreador = 1;</script><style>.x{color:red}</style>"
                        "<!-- comentario escondido -->")
    index = RelatedIndex().fit([*PT, html])
    vocabulary = set(index.vocabulary_)
    assert {"plataformas", "digitais", "vigiam"} <= vocabulary
    assert not {"rastreador", "var", "color", "red", "comentario", "escondido", "em", "p",
                "nbsp"} & vocabulary


def test_accented_and_unaccented_spellings_match_exactly():
    index = RelatedIndex().fit(PT)
    accented = index.similar("A questão agrária e a concentração da terra não acabou")
    plain = index.similar("A QUESTAO AGRARIA e a concentracao da terra nao acabou")
    assert accented == plain and accented[0].id in {"terra", "reforma"}


def test_similar_finds_an_article_from_its_own_text():
    index = RelatedIndex().fit(PT)
    best = index.similar(PT[2].body, k=1)[0]
    assert best.id == "otan"


def test_similar_works_for_english_text(fixture_index):
    results = fixture_index.similar("Russia and North Korea sign a military alliance", k=5)
    assert results and results[0].score > 0


def test_min_score_floor_shortens_lists(fixture_articles, fixture_index):
    ident = "vladimir-putin-in-north-korea"
    loose = fixture_index.related(ident, k=10)
    floor = round((loose[0].score + loose[-1].score) / 2, 6)
    strict = RelatedIndex(min_score=floor).fit(fixture_articles).related(ident, k=10)
    assert strict == [r for r in loose if r.score >= floor]
    assert 0 < len(strict) < len(loose)


def test_field_weights_change_the_model():
    plain = RelatedIndex().fit(PT).matrix_
    title_heavy = RelatedIndex(field_weights={"title": 5.0}).fit(PT).matrix_
    assert (plain != title_heavy).nnz > 0


def test_tags_and_authors_are_identifier_tokens():
    articles = [Article(id="a", title="Um", author="José Luís Fiori", tags=["Geopolítica"]),
                Article(id="b", title="Dois", author="Jose Luis Fiori", tags=["geopolitica"])]
    index = RelatedIndex().fit(articles)
    assert {"author:jose_luis_fiori", "tag:geopolitica"} <= set(index.vocabulary_)
    assert index.related("a")[0].id == "b"


def test_body_only_model_equals_scikit_learn_tfidf_vectorizer():
    from sklearn.feature_extraction.text import TfidfVectorizer

    index = RelatedIndex(field_weights={"title": 0, "blurb": 0, "tags": 0, "author": 0},
                         sublinear_tf=True).fit(PT)
    analyzer = index._analyzer
    reference = TfidfVectorizer(analyzer=lambda text: analyzer(text, lang="pt"),
                                sublinear_tf=True).fit(a.body for a in PT)
    expected = reference.transform(a.body for a in PT)
    columns = [reference.vocabulary_[t] for t in index.vocabulary_]
    np.testing.assert_allclose(index.matrix_.toarray(), expected.toarray()[:, columns], atol=1e-6)


def test_fit_is_deterministic_and_independent_of_n_jobs(fixture_articles):
    serial = RelatedIndex().fit(fixture_articles)
    parallel = RelatedIndex(n_jobs=2)
    from recommender import analysis

    chunks = analysis.analyse_articles(fixture_articles, parallel._analyzer, n_jobs=2,
                                       chunk_size=10)
    assert chunks == analysis.analyse_articles(fixture_articles, serial._analyzer)
    parallel.fit(fixture_articles)
    assert serial.vocabulary_ == parallel.vocabulary_
    assert (serial.matrix_ != parallel.matrix_).nnz == 0
    assert serial.related_all() == parallel.related_all()


def test_settings_errors_list_every_problem_at_once():
    with pytest.raises(ConfigError) as caught:
        RelatedIndex.from_settings({"colour": 1, "min_score": 2, "field_weights": {"title": -1},
                                    "ngram_range": (1, 3)})
    message = str(caught.value)
    for fragment in ("colour", "min_score", "field_weights['title']", "ngram_range"):
        assert fragment in message


def test_unknown_keyword_is_rejected():
    with pytest.raises(TypeError):
        RelatedIndex(colour="red")


def test_settings_round_trip():
    index = RelatedIndex(min_score=0.1, field_weights={"body": 2.0})
    again = RelatedIndex.from_settings(index.get_settings())
    assert again.get_settings() == index.get_settings()
    assert index.get_settings()["field_weights"]["title"] == 2.0


@pytest.mark.parametrize("limits", [{}, {"min_df": 2, "max_df": 0.5}, {"max_features": 300},
                                    {"min_df": 2, "max_df": 40, "max_features": 1000}])
def test_vocabulary_and_idf_are_scikit_learns(fixture_articles, limits):
    from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer

    from recommender.analysis import analyse_articles
    from recommender.settings import FIELDS

    index = RelatedIndex(**limits).fit(fixture_articles)
    weights = index.get_settings()["field_weights"]
    tokens = [[t for name in FIELDS if weights[name] > 0 for t in fields[name]]
              for _, fields in analyse_articles(fixture_articles, index._analyzer)]
    counter = CountVectorizer(analyzer=lambda x: x, min_df=limits.get("min_df", 1),
                              max_df=limits.get("max_df", 1.0),
                              max_features=limits.get("max_features"))
    presence = counter.fit_transform(tokens)
    assert index.vocabulary_ == counter.get_feature_names_out().tolist()
    assert index.idf_.tobytes() == TfidfTransformer().fit(presence).idf_.tobytes()
