"""The stop-word lists: contents, provenance, and agreement with the analyser."""

from __future__ import annotations

import unicodedata

import pytest

from recommender.stopwords import ENGLISH_STOP_WORDS, PORTUGUESE_STOP_WORDS, SOURCES
from recommender.text import Analyzer, fold, tokenize

PORTUGUESE = sorted(PORTUGUESE_STOP_WORDS)
ENGLISH = sorted(ENGLISH_STOP_WORDS)

CONTRACTIONS = (
    "do da dos das no na nos nas ao aos à às pelo pela pelos pelas num numa nuns numas "
    "dum duma duns dumas deste desta neste nesta desse nessa daquele naquela disso nisso "
    "daquilo naquilo dele dela deles delas nele nela daqui dali"
).split()
CLITICS = "me te se lhe lhes o a os as lo la los las no na nos nas vos".split()
ENGLISH_CONTRACTIONS = {
    "don't": "don", "doesn't": "doesn", "isn't": "isn", "didn't": "didn", "aren't": "aren",
    "wasn't": "wasn", "weren't": "weren", "hasn't": "hasn", "haven't": "haven",
    "hadn't": "hadn", "wouldn't": "wouldn", "shouldn't": "shouldn", "we'll": "ll",
    "they've": "ve", "you're": "re", "i'd": "d", "i'm": "m",
}  # fmt: skip


def strip_accents(word: str) -> str:
    decomposed = unicodedata.normalize("NFD", word)
    return "".join(char for char in decomposed if not unicodedata.combining(char))


@pytest.mark.parametrize("words", [PORTUGUESE_STOP_WORDS, ENGLISH_STOP_WORDS])
def test_lists_are_frozensets_of_lower_case_single_words(words):
    assert isinstance(words, frozenset)
    assert len(words) > 100
    for word in words:
        assert isinstance(word, str)
        assert word == word.lower()
        assert word.strip() == word and " " not in word


@pytest.mark.parametrize("word", CONTRACTIONS + CLITICS)
def test_portuguese_list_has_every_contraction_and_clitic(word):
    assert word in PORTUGUESE_STOP_WORDS


@pytest.mark.parametrize(("contraction", "piece"), ENGLISH_CONTRACTIONS.items())
def test_english_list_has_the_pieces_the_tokenizer_makes_of_contractions(contraction, piece):
    assert piece in tokenize(contraction)
    assert piece in ENGLISH_STOP_WORDS
    assert Analyzer(min_length=1)(contraction.replace("'", "’")) == []


@pytest.mark.parametrize("word", ["não", "à", "às", "é", "já", "também", "você", "está"])
def test_portuguese_words_keep_their_natural_spelling(word):
    assert word in PORTUGUESE_STOP_WORDS


@pytest.mark.parametrize("word", ["nao", "tambem", "voce"])
def test_portuguese_list_holds_no_accent_stripped_spellings(word):
    assert word not in PORTUGUESE_STOP_WORDS


@pytest.mark.parametrize("word", ["fire", "bill", "computer", "amount", "us", "will", "may"])
def test_english_list_leaves_out_content_words_and_homonyms(word):
    # sklearn's list has the first four; "us" (US), "will" and "may" (the
    # month) are left out on purpose, as the Snowball list does.
    assert word not in ENGLISH_STOP_WORDS


@pytest.mark.parametrize("word", ["ali", "ai", "logo", "sim"])
def test_portuguese_list_leaves_out_words_that_double_as_names(word):
    assert fold(word) not in {fold(w) for w in PORTUGUESE_STOP_WORDS}


@pytest.mark.parametrize("lang", ["pt", "en"])
def test_sources_name_origin_and_licence(lang):
    source = SOURCES[lang]
    assert "snowball" in source["source"].lower()
    assert source["url"].startswith("https://snowballstem.org/")
    assert "BSD-3-Clause" in source["licence"]


@pytest.mark.parametrize("word", PORTUGUESE + ENGLISH)
def test_every_stop_word_is_one_token(word):
    # A listed word the tokenizer splits or rewrites could never match.
    assert tokenize(word) == [fold(word)]


@pytest.mark.parametrize("word", PORTUGUESE + ENGLISH)
def test_every_stop_word_yields_no_token(word):
    variants = {word, word.upper(), word.capitalize(), strip_accents(word)}
    for analyzer in (Analyzer(), Analyzer(min_length=1)):
        for variant in variants:
            assert analyzer(variant) == [], variant
            assert analyzer(f"{variant}, palavra.") == ["palavra"], variant


@pytest.mark.parametrize(
    ("setting", "removed", "kept"),
    [("pt", PORTUGUESE, "the"), ("en", ENGLISH, "não")],
)
def test_one_language_list_removes_only_its_words(setting, removed, kept):
    analyzer = Analyzer(stop_words=setting, min_length=1)
    assert all(analyzer(word) == [] for word in removed)
    assert analyzer(kept) == [fold(kept)]
