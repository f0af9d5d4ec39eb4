"""Text analysis: folding, tokenizing, language detection and the Analyzer."""

from __future__ import annotations

import json
import pickle
import re
import sys
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from recommender import text as text_module
from recommender.errors import ConfigError
from recommender.text import Analyzer, detect_language, fold, tokenize

# Example sentences written for these tests.
PORTUGUESE_SENTENCES = [
    "A política externa do Brasil mudou depois da eleição.",
    "Não há consenso sobre o papel das instituições na crise econômica.",
    "O ensaio discute a relação entre memória e território.",
    "Eles já tinham saído quando a reunião começou.",
]
ENGLISH_SENTENCES = [
    "The foreign policy of the country changed after the election.",
    "There is no agreement about the role of the institutions in the crisis.",
    "The essay discusses how memory shapes the way we see a place.",
    "They had already left when the meeting started.",
]


def strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char))


# --- fold -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Ação", "acao"),
        ("CORAÇÃO", "coracao"),
        ("pão, mãe, avó, você, pôr", "pao, mae, avo, voce, por"),
        ("na\u0303o", "nao"),  # decomposed (NFD) input
        ("Straße", "strasse"),
        ("ﬁm", "fim"),  # ligature, NFKC
        ("１２３ＡＢＣ", "123abc"),  # full width, NFKC
        ("1º 2ª", "1o 2a"),
        ("Œuvre, Øresund, Łódź", "oeuvre, oresund, lodz"),
        ("İstanbul", "istanbul"),
        ("Ελλάδα", "ελλαδα"),  # accents of other scripts go too
        ("한국어", "한국어"),  # Hangul is recomposed, not left as jamo
        ("“Olá” — disse.", "“ola” — disse."),  # punctuation is kept
        ("plain ascii", "plain ascii"),
    ],
)
def test_fold(text, expected):
    assert fold(text) == expected


def reference_fold(text: str) -> str:
    """The slow, obvious definition: NFKC, casefold, NFD, drop marks, NFC."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))
    text = text.translate(str.maketrans(text_module._LATIN_EXTRAS))
    return unicodedata.normalize("NFC", text)


def test_fold_matches_the_reference_for_every_character_up_to_u3000():
    # U+034F (combining grapheme joiner) is the one mark in U+0300-U+036F with
    # combining class 0: fold drops it, the reference keeps it.
    for code in range(0x3000):
        if code == 0x34F or 0xD800 <= code <= 0xDFFF:
            continue
        char = chr(code)
        assert fold(char) == reference_fold(char), hex(code)


@given(st.text(st.characters(exclude_characters="\u034f", exclude_categories=("Cs",))))
def test_fold_matches_the_reference_on_any_text(text):
    assert fold(text) == reference_fold(text)


@given(st.text())
def test_fold_is_idempotent(text):
    assert fold(fold(text)) == fold(text)


# --- tokenize ---------------------------------------------------------------


def test_tokenize_keeps_text_order_and_stop_words():
    assert tokenize("O gato e o rato") == ["o", "gato", "e", "o", "rato"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Ele disse: “sim” — e «não»… (talvez)!", ["ele", "disse", "sim", "e", "nao", "talvez"]),
        ("fim.Começo;meio/lado|x", ["fim", "comeco", "meio", "lado", "x"]),
        ("alfa–beta—gama", ["alfa", "beta", "gama"]),  # en and em dashes separate
        ("paz😀guerra ★ ok", ["paz", "guerra", "ok"]),  # emoji and symbols separate
        ("snake_case", ["snake", "case"]),  # "_" separates: tokens never hold it
        ("tag:geopolitica", ["tag", "geopolitica"]),  # ":" separates too
        ("pala\xadvra", ["palavra"]),  # soft hyphen inside a word
        ("x\xa0y\u2009z", ["x", "y", "z"]),  # no-break and thin spaces
        ("", []),
        ("   \n\t ", []),
        ("!!! ... ---", []),
    ],
)
def test_separators(text, expected):
    assert tokenize(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Verb + clitics: the verb, with the consonant lost before -lo restored.
        ("fazê-lo", ["fazer"]),
        ("vendê-la", ["vender"]),
        ("amá-lo", ["amar"]),
        ("parti-lo", ["partir"]),
        ("ouvi-la", ["ouvir"]),
        ("possuí-lo", ["possuir"]),
        ("pô-lo", ["por"]),
        ("vendê-los", ["vender"]),
        ("fê-lo", ["fez"]),
        ("fazemo-lo", ["fazemos"]),
        ("disse-lhe", ["disse"]),
        ("encontrou-se", ["encontrou"]),
        ("dá-se-lhe", ["da"]),
        ("deu-no-lo", ["deu"]),
        ("Fazê-LO", ["fazer"]),
        ("faze-lo", ["fazer"]),  # accents missing: same token
        # Mesoclisis: verb and ending joined, clitics dropped.
        ("far-se-á", ["fara"]),
        ("dir-se-ia", ["diria"]),
        ("amar-te-ei", ["amarei"]),
        ("fá-lo-á", ["fara"]),
        ("vendê-la-ia", ["venderia"]),
    ],
)
def test_clitics_and_mesoclisis(text, expected):
    assert tokenize(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("pós-guerra", ["pos", "guerra"]),
        ("Kim Jong-un", ["kim", "jong", "un"]),
        ("anti-hegemônico", ["anti", "hegemonico"]),
        ("Trás-os-Montes", ["tras", "os", "montes"]),  # not every part is a clitic
        ("Mar-a-Lago", ["mar", "a", "lago"]),
        ("pós\u2011guerra", ["pos", "guerra"]),  # non-breaking hyphen
        ("pós\u2010guerra", ["pos", "guerra"]),  # Unicode hyphen
        ("covid-19", ["covid19"]),  # a number joins the word before it
        ("COVID-19", ["covid19"]),
        ("sars-cov-2", ["sars", "cov2"]),
        ("1964-1985", ["1964", "1985"]),  # a range of years stays split
        ("ex- e pós", ["ex", "e", "pos"]),  # a hyphen at a word's edge separates
    ],
)
def test_hyphenated_words_split(text, expected):
    assert tokenize(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Putin's", ["putin"]),
        ("Putin’s visit", ["putin", "visit"]),  # curly apostrophe
        ("it's", ["it"]),
        ("don't", ["don", "t"]),
        ("didn’t", ["didn", "t"]),
        ("I'll", ["i", "ll"]),
        ("we've", ["we", "ve"]),
        ("d'água", ["d", "agua"]),
        ("d’água", ["d", "agua"]),
        ("'aspas simples'", ["aspas", "simples"]),  # quotes at word edges separate
        ("‘aspas’", ["aspas"]),
    ],
)
def test_apostrophes(text, expected):
    assert tokenize(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1.000", ["1.000"]),
        ("3,5", ["3,5"]),
        ("1.000.000,50", ["1.000.000,50"]),
        ("1º lugar", ["1o", "lugar"]),
        ("2ª guerra", ["2a", "guerra"]),
        ("em 1990.", ["em", "1990"]),  # a full stop after a number ends it
        ("1990, 2000", ["1990", "2000"]),
        ("21/07/2024", ["21", "07", "2024"]),
        ("R$3,5", ["r", "3,5"]),
        ("10%", ["10"]),
    ],
)
def test_tokenize_keeps_numbers_for_the_analyzer_to_judge(text, expected):
    assert tokenize(text) == expected


@pytest.mark.parametrize("sentence", PORTUGUESE_SENTENCES + ["Fazê-lo-á à noite, pôr-se-á às dez."])
def test_accents_case_and_normal_form_do_not_change_tokens(sentence):
    expected = tokenize(sentence)
    assert tokenize(strip_accents(sentence)) == expected
    assert tokenize(sentence.upper()) == expected
    assert tokenize(unicodedata.normalize("NFD", sentence)) == expected
    assert tokenize(unicodedata.normalize("NFC", sentence)) == expected
    assert Analyzer()(unicodedata.normalize("NFD", sentence)) == Analyzer()(sentence)
    assert Analyzer()(strip_accents(sentence.upper())) == Analyzer()(sentence)


def test_tokenize_rejects_non_text():
    with pytest.raises(TypeError, match="must be a str"):
        tokenize(b"bytes")


def reference_tokenize(text: str) -> list[str]:
    """One regex pass over the whole text: no chunks, no cache."""
    text = unicodedata.normalize("NFKC", text).lower().translate(text_module._CLEANUP)
    text = text_module._COMMON_MARKS.sub("", text)
    return [
        fold(word)
        for match in text_module._TOKEN_RE.findall(text)
        for word in text_module._split_word(match)
    ]


TEXT_PIECES = st.sampled_from(
    [
        "a", "é", "Ç", "ão", "x", "1", "9", "2024", " ", "  ", "\n", "\t", "\xa0", ".", ",",
        ". ", ", ", "-", "'", "’", "“", "”", "—", "_", ":", "/", "(", ")", "º", "ﬁ", "ß",
        "pós-guerra", "fazê-lo", "far-se-á", "Putin's", "d’água", "1.000,5", "covid-19",
        "a\u0303", "İ", "\xad", "😀", "Ελλάδα", "`",
    ]
)  # fmt: skip


@given(st.lists(TEXT_PIECES, max_size=30).map("".join))
def test_tokenize_matches_a_single_pass_over_the_whole_text(text):
    assert tokenize(text) == reference_tokenize(text)


# --- detect_language ---------------------------------------------------------


@pytest.mark.parametrize("sentence", PORTUGUESE_SENTENCES)
def test_detects_portuguese(sentence):
    assert detect_language(sentence) == "pt"
    assert detect_language(strip_accents(sentence).upper()) == "pt"


@pytest.mark.parametrize("sentence", ENGLISH_SENTENCES)
def test_detects_english(sentence):
    assert detect_language(sentence) == "en"


@pytest.mark.parametrize("text", ["", "   ", "Kim Jong-un, Vladimir Putin", "2024 1950", "?!"])
def test_defaults_to_portuguese_when_it_cannot_tell(text):
    assert detect_language(text) == "pt"


def test_a_portuguese_text_quoting_english_stays_portuguese():
    text = (
        "O autor lembra que a expressão “the end of history” foi lida como uma "
        "profecia, mas que o próprio livro não dizia isso."
    )
    assert detect_language(text) == "pt"


# --- Analyzer: filtering -------------------------------------------------------


@pytest.mark.parametrize("word", ["não", "nao", "NÃO", "Não", "na\u0303o"])
def test_stop_words_are_compared_folded(word):
    assert Analyzer()(f"{word} concordo") == ["concordo"]


def test_default_stop_words_are_both_languages():
    assert Analyzer()("the crise of the política") == ["crise", "politica"]


@pytest.mark.parametrize(
    ("stop_words", "expected"),
    [
        ("pt", ["the", "crise", "of", "the", "politica"]),
        ("en", ["crise", "da", "politica"]),
        (None, ["the", "crise", "of", "the", "da", "politica"]),
        ("none", ["the", "crise", "of", "the", "da", "politica"]),
        (["Crise", "THE"], ["of", "da", "politica"]),
        (("crise",), ["the", "of", "the", "da", "politica"]),
    ],
)
def test_stop_word_settings(stop_words, expected):
    assert Analyzer(stop_words=stop_words)("the crise of the da política") == expected


@pytest.mark.parametrize(("min_length", "expected"), [(1, ["x", "yz", "xyz"]), (3, ["xyz"])])
def test_min_length(min_length, expected):
    assert Analyzer(min_length=min_length)("x yz xyz") == expected


def test_short_contraction_pieces_fall_to_min_length():
    assert Analyzer(stop_words=None)("won't d'água") == ["won", "agua"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1500", ["1500"]),
        ("2024", ["2024"]),
        ("1000 2099", ["1000", "2099"]),
        ("999 2100 0999 12345", []),
        ("1.000 3,5 1.000.000", []),
        ("1º 2ª 3rd 21st 4th 2os", []),
        ("10% 42", []),
        ("g20 covid19 1950s", ["g20", "covid19", "1950s"]),
        ("COVID-19", ["covid19"]),
        ("em 1964, o golpe", ["1964", "golpe"]),
    ],
)
def test_numbers_years(text, expected):
    assert Analyzer()(text) == expected


def test_numbers_all_keeps_every_number_as_written():
    analyzer = Analyzer(numbers="all")
    assert analyzer("1.000 3,5 1º 999 2024 g20") == ["1.000", "3,5", "1o", "999", "2024", "g20"]


def test_numbers_none_drops_every_token_with_a_digit():
    assert Analyzer(numbers="none")("2024 g20 1950s palavra 3,5") == ["palavra"]


@pytest.mark.parametrize(
    ("ngram_range", "expected"),
    [
        ((1, 1), ["politica", "externa", "brasil"]),
        ((1, 2), ["politica", "externa", "brasil", "politica externa", "externa brasil"]),
        ((2, 2), ["politica externa", "externa brasil"]),
        ((1, 3), ["politica", "externa", "brasil", "politica externa", "externa brasil",
                  "politica externa brasil"]),
        ((3, 3), ["politica externa brasil"]),
        ((4, 4), []),
    ],
)  # fmt: skip
def test_ngrams_join_neighbours_after_stop_word_removal(ngram_range, expected):
    assert Analyzer(ngram_range=ngram_range)("A política externa do Brasil") == expected


def test_empty_and_stop_word_only_texts_give_no_tokens():
    assert Analyzer()("") == []
    assert Analyzer(ngram_range=(1, 2))("o a de que não") == []


@given(st.text())
def test_tokens_are_letters_and_digits_only(text):
    # The index's own tokens (author:..., tag:...) rely on this.
    for token in Analyzer()(text):
        assert re.fullmatch(r"[^\W_]+", token), token


def test_tokens_never_hold_characters_reserved_for_the_index():
    text = "author:jose_luis_fiori tag:geopolitica #hashtag @nome"
    tokens = Analyzer(numbers="all", ngram_range=(1, 3))(text)
    assert tokens and not any(":" in t or "_" in t or "#" in t or "@" in t for t in tokens)


def test_html_is_not_stripped_by_the_analyzer():
    # Markup is markup.html_to_text's job: the analyser sees tag names as words.
    assert Analyzer()("<p>texto</p>") == ["texto"]
    assert Analyzer()("<div>texto</div>") == ["div", "texto", "div"]


# --- Analyzer: caching and determinism ---------------------------------------------


def test_a_warm_analyzer_gives_what_a_fresh_one_gives():
    texts = PORTUGUESE_SENTENCES + ENGLISH_SENTENCES + ["pós-guerra covid-19 don't"] * 2
    warm = Analyzer(ngram_range=(1, 2))
    first = [warm(t) for t in texts]
    second = [warm(t) for t in texts]
    fresh = [Analyzer(ngram_range=(1, 2))(t) for t in texts]
    assert first == second == fresh


def test_a_full_cache_still_gives_the_same_tokens(monkeypatch):
    texts = PORTUGUESE_SENTENCES + ["pós-guerra e covid-19, disse-lhe"] * 3
    expected = [Analyzer()(t) for t in texts]
    monkeypatch.setattr(text_module, "_CACHE_SIZE", 3)
    small = Analyzer()
    assert [small(t) for t in texts] == expected
    assert len(small._caches[None]) == 3


# --- Analyzer: stemming -------------------------------------------------------------


@pytest.fixture
def stemming():
    pytest.importorskip("Stemmer")
    return Analyzer(stemmer="snowball")


@pytest.mark.parametrize(
    "forms",
    [
        "falar falo falamos falaram falava falando falaremos falássemos",
        "vender vendo vendemos venderam vendia venderá",
        "discutir discuto discutimos discutiram discutia",
    ],
)
def test_conjugations_of_a_portuguese_verb_share_a_stem(stemming, forms):
    stems = stemming(forms, lang="pt")
    assert len(stems) == len(forms.split())
    assert len(set(stems)) == 1


@pytest.mark.parametrize(
    "pair",
    ["política políticas", "governo governos", "país países", "crise crises", "mulher mulheres"],
)
def test_singular_and_plural_nouns_share_a_stem(stemming, pair):
    singular, plural = stemming(pair, lang="pt")
    assert singular == plural


def test_stems_are_folded_and_accents_do_not_matter(stemming):
    assert stemming("políticas econômicas", lang="pt") == ["polit", "econom"]
    assert stemming("politicas economicas", lang="pt") == ["polit", "econom"]


def test_stemmer_follows_the_language(stemming):
    assert stemming("policies", lang="en") == ["polici"]
    assert stemming("policies", lang="pt") != ["polici"]
    # Without lang the language is detected.
    assert stemming("the policies of the governments") == ["polici", "govern"]


def test_stemming_runs_after_stop_word_removal(stemming):
    # "estamos" is a stop word; its stem "est" must not leak through.
    assert stemming("estamos cansados", lang="pt") == ["cans"]


def test_missing_pystemmer_is_a_config_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "Stemmer", None)  # makes the import fail
    with pytest.raises(ConfigError, match=r"pip install 'recommender\[stem\]'"):
        Analyzer(stemmer="snowball")


# --- Analyzer: settings -------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"stop_words": "portuguese"}, r"stop_words='portuguese' is not allowed; use 'pt\+en'"),
        ({"stop_words": 5}, r"stop_words=5 is not allowed"),
        ({"stop_words": ["pós-guerra"]}, r"'pós-guerra'.*\['pos', 'guerra'\]"),
        ({"stop_words": ["d'água"]}, r"single words"),
        ({"stop_words": [""]}, r"single words"),
        ({"stop_words": [3]}, r"stop_words must hold strings; got 3"),
        ({"stemmer": "porter"}, r"stemmer='porter' is not allowed; use one of None, 'snowball'"),
        ({"stemmer": True}, r"stemmer=True is not allowed"),
        ({"numbers": "some"}, r"numbers='some' is not allowed; use one of 'years', 'all', 'none'"),
        ({"numbers": None}, r"numbers=None is not allowed"),
        ({"min_length": 0}, r"min_length=0 is not allowed; use an integer >= 1"),
        ({"min_length": True}, r"min_length=True is not allowed"),
        ({"min_length": 2.5}, r"min_length=2.5 is not allowed"),
        ({"min_length": "2"}, r"min_length='2' is not allowed"),
        ({"ngram_range": (2, 1)}, r"ngram_range=\(2, 1\) is not allowed; use a pair"),
        ({"ngram_range": (0, 1)}, r"ngram_range=\(0, 1\) is not allowed"),
        ({"ngram_range": (1,)}, r"ngram_range=\(1,\) is not allowed"),
        ({"ngram_range": "12"}, r"ngram_range='12' is not allowed"),
        ({"ngram_range": (1, 2.0)}, r"ngram_range=\(1, 2.0\) is not allowed"),
        ({"ngram_range": (True, 2)}, r"ngram_range=\(True, 2\) is not allowed"),
    ],
)
def test_bad_settings_are_config_errors(kwargs, message):
    with pytest.raises(ConfigError, match=message):
        Analyzer(**kwargs)


def test_settings_are_keyword_only():
    with pytest.raises(TypeError):
        Analyzer("pt")  # type: ignore[misc]


def test_settings_are_read_only():
    with pytest.raises(AttributeError):
        Analyzer().min_length = 3  # type: ignore[misc]


def test_bad_call_arguments():
    with pytest.raises(ConfigError, match=r"lang='es' is not allowed; use 'pt', 'en' or None"):
        Analyzer()("texto", lang="es")
    with pytest.raises(TypeError, match="text must be a str, not NoneType"):
        Analyzer()(None)  # type: ignore[arg-type]


SETTINGS = [
    {},
    {"stop_words": "pt", "numbers": "all", "min_length": 3},
    {"stop_words": None, "ngram_range": (1, 2)},
    {"stop_words": ["Crise", "THE", "crise"], "numbers": "none", "ngram_range": [2, 3]},
    {"stemmer": "snowball"},
]


@pytest.mark.parametrize("kwargs", SETTINGS)
def test_settings_round_trip_through_json(kwargs):
    if kwargs.get("stemmer"):
        pytest.importorskip("Stemmer")
    analyzer = Analyzer(**kwargs)
    settings = analyzer.settings()
    restored = Analyzer.from_settings(json.loads(json.dumps(settings)))
    assert restored == analyzer
    assert hash(restored) == hash(analyzer)
    assert restored.settings() == settings
    for sentence in PORTUGUESE_SENTENCES + ENGLISH_SENTENCES:
        assert restored(sentence) == analyzer(sentence)


def test_default_settings():
    assert Analyzer().settings() == {
        "stop_words": "pt+en",
        "stemmer": None,
        "numbers": "years",
        "min_length": 2,
        "ngram_range": [1, 1],
    }


def test_custom_stop_words_are_stored_folded_and_sorted():
    analyzer = Analyzer(stop_words=["Não", "nao", "Crise"])
    assert analyzer.settings()["stop_words"] == ["crise", "nao"]
    assert analyzer == Analyzer(stop_words=["crise", "NÃO"])


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ({"stop_words": "none"}, {"stop_words": None}),
        ({"stop_words": []}, {"stop_words": None}),
        ({"stemmer": "none"}, {}),
        ({"ngram_range": [1, 2]}, {"ngram_range": (1, 2)}),
    ],
)
def test_equal_settings_make_equal_analyzers(one, other):
    assert Analyzer(**one) == Analyzer(**other)


@pytest.mark.parametrize("kwargs", SETTINGS[1:4])
def test_different_settings_make_different_analyzers(kwargs):
    assert Analyzer(**kwargs) != Analyzer()


def test_from_settings_rejects_unknown_keys_and_non_mappings():
    with pytest.raises(ConfigError, match=r"unknown analyzer setting\(s\) \['lowercase'\]"):
        Analyzer.from_settings({"lowercase": True})
    with pytest.raises(ConfigError, match="must be a mapping, not list"):
        Analyzer.from_settings([("numbers", "all")])  # type: ignore[arg-type]
    assert Analyzer.from_settings({"numbers": "all"}) == Analyzer(numbers="all")


def test_repr_shows_the_settings_that_differ_from_the_defaults():
    assert repr(Analyzer()) == "Analyzer()"
    assert repr(Analyzer(numbers="all", ngram_range=(1, 2))) == (
        "Analyzer(numbers='all', ngram_range=(1, 2))"
    )


@pytest.mark.parametrize("kwargs", SETTINGS)
def test_pickle_round_trip_drops_caches_and_keeps_behaviour(kwargs):
    if kwargs.get("stemmer"):
        pytest.importorskip("Stemmer")
    analyzer = Analyzer(**kwargs)
    used = [analyzer(s) for s in PORTUGUESE_SENTENCES]
    restored = pickle.loads(pickle.dumps(analyzer))
    assert restored == analyzer
    assert restored._caches == {}
    assert [restored(s) for s in PORTUGUESE_SENTENCES] == used


def test_works_as_a_scikit_learn_analyzer():
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizer = TfidfVectorizer(analyzer=Analyzer()).fit(PORTUGUESE_SENTENCES)
    vocabulary = set(vectorizer.vocabulary_)
    assert {"politica", "eleicao", "instituicoes", "memoria"} <= vocabulary
    assert not vocabulary & {"a", "do", "da", "nao", "ha", "o", "e"}
