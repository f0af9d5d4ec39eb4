"""Text analysis: fold, tokenize, detect the language and turn a text into index terms.

The same analysis is applied to articles, queries and stop-word lists, so that
spelling variants (accents, case, Unicode forms) meet in one term.

How a text is analysed
----------------------
1. The text is cut into chunks at characters that always separate words
   (whitespace, most ASCII punctuation, curly double quotes), with bytes
   methods that run in C.
2. Each distinct chunk is analysed once and memoised: NFKC, lower case, the
   word regex, then the hyphen, apostrophe and number rules, stop words,
   minimum length and the optional stemmer. Since chunks end only where words
   end, this gives exactly what analysing the whole text would, while the
   per-word Python work is paid once per distinct chunk instead of once per
   occurrence.

Tokens hold only letters and digits (plus ``.`` and ``,`` in numbers kept with
``numbers="all"``, and one space between the words of an n-gram); they never
contain ``:``, ``_`` or other punctuation, which stays free for the index's own
tokens.
"""

from __future__ import annotations

import importlib
import re
import string
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from functools import partial
from numbers import Integral
from typing import Any

from recommender.errors import ConfigError
from recommender.stopwords import ENGLISH_STOP_WORDS, PORTUGUESE_STOP_WORDS

__all__ = ["Analyzer", "detect_language", "fold", "tokenize"]

# ---------------------------------------------------------------------------
# Folding

_COMMON_MARKS = re.compile("[\u0300-\u036f]+")

# Latin letters that carry a stroke or ligature rather than a combining mark,
# so NFD leaves them alone; readers treat them as variants of the plain letters.
_LATIN_EXTRAS = {
    "æ": "ae", "œ": "oe", "ø": "o", "đ": "d", "ð": "d", "ł": "l", "ħ": "h", "ı": "i",
    "ŧ": "t", "þ": "th",
}  # fmt: skip
_LATIN_EXTRAS_RE = re.compile("[" + "".join(_LATIN_EXTRAS) + "]")
_LATIN_EXTRAS_TABLE = str.maketrans(_LATIN_EXTRAS)

# Anything outside Latin, IPA, spacing modifiers, the common combining marks
# and general punctuation (quotes, dashes) needs the general path.
_OTHER_SCRIPTS_RE = re.compile("[^\x00-\u036f\u2000-\u206f]")


def _strip_accents(text: str) -> str:
    """Case-folded NFKC text without its accents: the general path."""
    text = _COMMON_MARKS.sub("", unicodedata.normalize("NFD", text))
    if _LATIN_EXTRAS_RE.search(text):
        text = text.translate(_LATIN_EXTRAS_TABLE)
    if _OTHER_SCRIPTS_RE.search(text):
        # Combining marks of other scripts (Greek, Cyrillic, Hebrew ...): look
        # at each distinct character once, then recompose (Hangul needs NFC).
        marks = {ord(char): None for char in set(text) if unicodedata.combining(char)}
        if marks:
            text = text.translate(marks)
        text = unicodedata.normalize("NFC", text)
    return text


def fold(text: str) -> str:
    """Return `text` normalised for comparison: NFKC, case-folded, accents removed.

    Accents are removed by canonical decomposition (NFD) and dropping the
    combining marks, so ``ç`` becomes ``c`` and ``ã`` becomes ``a``; case
    folding turns ``ß`` into ``ss``; a few stroked Latin letters and ligatures
    are spelled out (``ø`` → ``o``, ``œ`` → ``oe``). Documents, queries and
    stop words all go through this function.

    Parameters
    ----------
    text : str
        Any text.

    Returns
    -------
    str
        The folded text. Characters that are not letters (punctuation,
        spacing) are kept, so the result can still be tokenized.

    Examples
    --------
    >>> fold("Ação É Coração")
    'acao e coracao'
    >>> fold("Straße, ﬁm, 1º")
    'strasse, fim, 1o'
    """
    if text.isascii():
        return text.lower()
    text = unicodedata.normalize("NFKC", text).casefold()
    # The usual case, a Latin word or text whose every character decomposes
    # into an ASCII letter plus marks: dropping all non-ASCII after NFD keeps
    # exactly one character per character. (A str.translate table measured
    # slower, even for single words: CPython looks up each character.)
    plain = unicodedata.normalize("NFD", text).encode("ascii", "ignore")
    if len(plain) == len(text):
        return plain.decode("ascii")
    return _strip_accents(text)


# ---------------------------------------------------------------------------
# Tokenizing

_TOKEN_RE = re.compile(
    # Grouped and decimal numbers stay whole so the number rules see them:
    # 1.000, 3,5, 1.000.000.
    r"\d+(?:[.,]\d+)+(?![^\W_])"
    # Words: Unicode letters and digits ("_" separates), with hyphens and
    # apostrophes inside them kept for the rules below.
    r"|[^\W_]+(?:[-'][^\W_]+)*"
)

# Applied after NFKC: one spelling for apostrophes and hyphens; invisible
# characters that may sit inside a word (soft hyphen, joiners, BOM) removed.
_CLEANUP = str.maketrans(
    {
        "\u2019": "'", "\u2018": "'", "\u02bc": "'", "\u2010": "-",
        "\xad": None, "\u200c": None, "\u200d": None, "\u2060": None, "\ufeff": None,
    }
)  # fmt: skip

_CLEANUP_RE = re.compile("[" + "".join(map(chr, _CLEANUP)) + "\u0300-\u036f]")

_CLITICS = frozenset(
    "me te se lhe lhes o a os as lo la los las no na nos nas vos "
    "mo ma mos mas to ta tos tas lho lha lhos lhas".split()
)
# After these the verb lost a final r, s or z: fazer + o = fazê-lo.
_L_CLITICS = frozenset({"lo", "la", "los", "las"})
# Future and conditional endings, folded: far-se-á, dir-se-ia, amar-te-ei.
_MESOCLISIS_ENDINGS = frozenset(
    {"ei", "as", "a", "emos", "eis", "ao", "ia", "ias", "iamos", "ieis", "iam"}
)
# Verbs whose form before -lo lost a z or s, not an r: fê-lo (fez), fi-lo (fiz).
_LOST_Z_OR_S = {
    "fa": "faz", "fe": "fez", "fi": "fiz", "di": "diz", "tra": "traz", "qui": "quis",
    "pu": "pus",
}  # fmt: skip


def _restore_final_consonant(verb: str, folded: str) -> str:
    """The verb as it was before an -lo clitic took its final r, s or z."""
    if folded in _LOST_Z_OR_S:
        return _LOST_Z_OR_S[folded]
    if folded.endswith("mo"):  # fazemo-lo: fazemos + o
        return verb + "s"
    if folded[-1] in "aeiou":  # amá-lo, fazê-lo, parti-lo, pô-lo: the infinitive
        return verb[:-1] + folded[-1] + "r"
    return verb


def _split_hyphens(word: str) -> list[str]:
    if "-" not in word:
        return [word]
    parts = word.split("-")
    folded = [fold(part) for part in parts]
    first, rest = folded[0], folded[1:]
    if first.isalpha():
        if (
            len(rest) >= 2
            and rest[-1] in _MESOCLISIS_ENDINGS
            and all(part in _CLITICS for part in rest[:-1])
        ):
            verb = parts[0]
            if rest[0] in _L_CLITICS and first[-1] in "aeiou":  # fá-lo-á: far + lo + á
                verb = verb[:-1] + first[-1] + "r"
            if fold(verb).endswith("r"):
                return [verb + parts[-1]]
        if all(part in _CLITICS for part in rest):
            if rest[0] in _L_CLITICS:
                return [_restore_final_consonant(parts[0], first)]
            return [parts[0]]
    # Any other compound is split into its words. The joined compound is not
    # emitted as well: it would count the same text twice, hyphenation varies
    # between spelling reforms (anti-imperialista / antiimperialista), and
    # ngram_range=(1, 2) already yields the pair as the bigram "pos guerra".
    # A number part is glued to the word before it: covid-19 -> covid19, like
    # the unhyphenated spelling; a range of years (1964-1985) stays split.
    words: list[str] = []
    for part, folded_part in zip(parts, folded, strict=True):
        if words and folded_part.isdecimal() and not fold(words[-1]).isdecimal():
            words[-1] += part
        else:
            words.append(part)
    return words


def _split_word(word: str) -> list[str]:
    """Apply the apostrophe and hyphen rules to one regex match."""
    if "'" not in word:
        return _split_hyphens(word)
    pieces = word.split("'")
    if pieces[-1] == "s":  # English possessive or "it's": putin's -> putin
        pieces.pop()
    # Contractions (don't -> don, t) and elisions (d'água -> d, água) split;
    # the one-letter pieces fall to min_length.
    return [split for piece in pieces for split in _split_hyphens(piece)]


# ASCII punctuation at either end of a chunk always separates words.
_EDGE_PUNCTUATION = string.punctuation.encode()


def _words(chunk: bytes) -> list[str]:
    """Lower-case, unfolded words of one chunk, after the hyphen and apostrophe rules."""
    core = chunk.strip(_EDGE_PUNCTUATION)
    if core.isalnum():  # ASCII letters and digits only: the common case
        return [core.decode()]
    text = core.decode("utf-8", "surrogatepass")
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text).lower()
        if _CLEANUP_RE.search(text):
            # Marks NFKC could not compose, and the dot lower-casing "İ" leaves,
            # would split words; fold() drops them anyway.
            text = _COMMON_MARKS.sub("", text.translate(_CLEANUP))
        if text.isalpha():  # one word: política
            return [text]
    words = _TOKEN_RE.findall(text)
    if "-" in text or "'" in text:
        words = [split for word in words for split in _split_word(word)]
    return words


# Characters that always separate words, turned into spaces before the split
# so that fewer distinct chunks reach the per-chunk analysis: ASCII
# punctuation except the joiners - ' . , ...
_SEPARATOR_BYTES = b'!"#$%&()*+/:;<=>?@[\\]^_`{|}~\t\n\r\x0b\x0c'
_ASCII_SEPARATORS = bytes.maketrans(_SEPARATOR_BYTES, b" " * len(_SEPARATOR_BYTES))
# ... the double quotes Portuguese text uses everywhere (other non-ASCII
# separators cost a replace pass each for fewer distinct chunks than they save) ...
_UTF8_SEPARATORS = ("\u201c".encode(), "\u201d".encode())


def _chunks(text: str) -> list[bytes]:
    # bytes.split() is several times faster than a regex over str. Lower-casing
    # (ASCII only) just makes more chunks share a cache entry.
    data = text.encode("utf-8", "surrogatepass").lower().translate(_ASCII_SEPARATORS)
    if not text.isascii():
        for separator in _UTF8_SEPARATORS:
            data = data.replace(separator, b" ")
    # ... and a full stop or comma before a space, which can end no number.
    return data.replace(b". ", b" ").replace(b", ", b" ").split()


# Distinct chunks remembered per cache; a corpus of tens of thousands of essays
# has fewer. A full cache keeps what it has (nothing is evicted, so concurrent
# callers stay safe) and analyses later chunks on every call.
_CACHE_SIZE = 1 << 18


class _ChunkCache(dict):
    """Chunk -> its tokens joined by spaces ("" for none), analysed on first use."""

    def __init__(self, analyse: Callable[[bytes], str]) -> None:
        super().__init__()
        self._analyse = analyse
        self._full = False
        # Chunks that give more than one token (pós-guerra): texts without any
        # skip the join-and-split in tokens().
        self._multiple: set[bytes] = set()

    def __missing__(self, chunk: bytes) -> str:
        tokens = self._analyse(chunk)
        if len(self) < _CACHE_SIZE:
            self[chunk] = tokens
            if " " in tokens:
                self._multiple.add(chunk)
        else:
            self._full = True
        return tokens

    def tokens(self, chunks: list[bytes]) -> list[str]:
        # Lookups run in C; only unseen chunks reach __missing__.
        tokens = list(filter(None, map(self.__getitem__, chunks)))
        if self._full or not self._multiple.isdisjoint(chunks):
            return " ".join(tokens).split()
        return tokens


def _fold_chunk(chunk: bytes) -> str:
    return " ".join(map(fold, _words(chunk)))


_TOKENIZE_CACHE = _ChunkCache(_fold_chunk)


def tokenize(text: str) -> list[str]:
    """Split `text` into folded word tokens, in text order, keeping stop words.

    Words are runs of Unicode letters and digits; punctuation, quotes, dashes
    and symbols separate them. Rules for the characters inside words:

    * Portuguese verb + clitic pronouns keep the verb only (``disse-lhe`` →
      ``disse``, ``dá-se-lhe`` → ``da``); before ``-lo``/``-la``/``-los``/``-las``
      the lost consonant comes back (``fazê-lo`` → ``fazer``, ``amá-lo`` →
      ``amar``, ``parti-lo`` → ``partir``, ``pô-lo`` → ``por``, ``fê-lo`` → ``fez``,
      ``fazemo-lo`` → ``fazemos``). Mesoclisis joins verb and ending
      (``far-se-á`` → ``fara``, ``dir-se-ia`` → ``diria``).
    * Other hyphenated words split into their parts (``pós-guerra`` → ``pos``,
      ``guerra``), except that a number is glued to the word before it
      (``covid-19`` → ``covid19``).
    * At apostrophes (straight or curly) an English ``'s`` is dropped
      (``Putin's`` → ``putin``) and everything else splits (``don't`` → ``don``,
      ``t``; ``d'água`` → ``d``, ``agua``).
    * Grouped and decimal numbers stay whole (``1.000``, ``3,5``); ordinals
      become digits + letters (``1º`` → ``1o``). :class:`Analyzer` decides which
      numbers to keep.

    Parameters
    ----------
    text : str
        Plain text (see :func:`recommender.markup.html_to_text` for HTML).

    Returns
    -------
    list of str
        Folded tokens in the order they occur.

    Examples
    --------
    >>> tokenize("Vendê-la-ia? Não: o pós-guerra de 1945 custou R$ 1.000,50.")
    ['venderia', 'nao', 'o', 'pos', 'guerra', 'de', '1945', 'custou', 'r', '1.000,50']
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, not {type(text).__name__}")
    return _TOKENIZE_CACHE.tokens(_chunks(text))


# ---------------------------------------------------------------------------
# Language


def _folded(words: Iterable[str]) -> frozenset[str]:
    return frozenset(map(fold, words))


_PORTUGUESE_FOLDED = _folded(PORTUGUESE_STOP_WORDS)
_ENGLISH_FOLDED = _folded(ENGLISH_STOP_WORDS)
_PORTUGUESE_ONLY = _PORTUGUESE_FOLDED - _ENGLISH_FOLDED
_ENGLISH_ONLY = _ENGLISH_FOLDED - _PORTUGUESE_FOLDED

# Enough for a reliable vote and keeps detection cheap on long essays.
_DETECT_CHARS = 10_000


def detect_language(text: str) -> str:
    """Guess whether `text` is Portuguese or English from its stop words.

    Counts the tokens that are stop words of one language only (``de``, ``não``
    against ``the``, ``of``) in the first 10,000 characters.

    Parameters
    ----------
    text : str
        Plain text.

    Returns
    -------
    str
        ``"en"`` when English stop words outnumber Portuguese ones, otherwise
        ``"pt"`` -- including empty text and text made of names only, since the
        magazine is Portuguese first.

    Examples
    --------
    >>> detect_language("The war changed the balance of power in the region.")
    'en'
    >>> detect_language("A guerra mudou o equilíbrio de poder na região.")
    'pt'
    >>> detect_language("")
    'pt'
    """
    tokens = tokenize(text[:_DETECT_CHARS])
    english = sum(map(_ENGLISH_ONLY.__contains__, tokens))
    portuguese = sum(map(_PORTUGUESE_ONLY.__contains__, tokens))
    return "en" if english > portuguese else "pt"


# ---------------------------------------------------------------------------
# Analyzer

_NAMED_STOP_WORDS = {
    "pt+en": _PORTUGUESE_FOLDED | _ENGLISH_FOLDED,
    "pt": _PORTUGUESE_FOLDED,
    "en": _ENGLISH_FOLDED,
}
_STEMMERS = (None, "snowball")
_NUMBERS = ("years", "all", "none")
_LANGUAGES = ("pt", "en")
_SNOWBALL_NAMES = {"pt": "portuguese", "en": "english"}
_DEFAULTS: dict[str, Any] = {
    "stop_words": "pt+en",
    "stemmer": None,
    "numbers": "years",
    "min_length": 2,
    "ngram_range": (1, 1),
}
_DIGIT_RE = re.compile(r"\d")
_ORDINAL_RE = re.compile(r"\d+(?:o|a|os|as|st|nd|rd|th)")


def _check_stop_words(value: Any) -> str | tuple[str, ...] | None:
    if value is None:
        return None
    if isinstance(value, str):
        if value == "none":
            return None
        if value in _NAMED_STOP_WORDS:
            return value
        raise ConfigError(
            f"stop_words={value!r} is not allowed; use 'pt+en', 'pt', 'en', None or "
            "'none', or an iterable of words"
        )
    try:
        words = list(value)
    except TypeError:
        raise ConfigError(
            f"stop_words={value!r} is not allowed; use 'pt+en', 'pt', 'en', None or "
            "'none', or an iterable of words"
        ) from None
    folded = set()
    for word in words:
        if not isinstance(word, str):
            raise ConfigError(f"stop_words must hold strings; got {word!r}")
        tokens = tokenize(word)
        if tokens != [fold(word.strip())]:
            raise ConfigError(
                f"stop_words holds {word!r}, which the tokenizer reads as {tokens}, so it "
                "would never match a token; list single words"
            )
        folded.add(tokens[0])
    return tuple(sorted(folded)) or None


def _check_choice(name: str, value: Any, allowed: tuple) -> Any:
    if value not in allowed or not isinstance(value, (str, type(None))):
        shown = ", ".join(repr(choice) for choice in allowed)
        raise ConfigError(f"{name}={value!r} is not allowed; use one of {shown}")
    return value


def _check_int(name: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, Integral) or value < minimum:
        raise ConfigError(f"{name}={value!r} is not allowed; use an integer >= {minimum}")
    return int(value)


def _check_ngram_range(value: Any) -> tuple[int, int]:
    message = (
        f"ngram_range={value!r} is not allowed; use a pair (min_n, max_n) of integers "
        "with 1 <= min_n <= max_n, e.g. (1, 1) or (1, 2)"
    )
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        raise ConfigError(message)
    low, high = value
    for n in value:
        if isinstance(n, bool) or not isinstance(n, Integral):
            raise ConfigError(message)
    if not 1 <= low <= high:
        raise ConfigError(message)
    return int(low), int(high)


class Analyzer:
    """Turn a text into index terms: tokenize, drop stop words and numbers, stem.

    Settings are checked and stored here; the analyser keeps no state other
    than caches, so one instance can serve a whole corpus. Call it like a
    function (it fits scikit-learn's ``TfidfVectorizer(analyzer=...)``).

    Parameters
    ----------
    stop_words : {"pt+en", "pt", "en", "none"}, None or iterable of str, default "pt+en"
        Words to drop. The default is the union of both lists, because
        Portuguese essays quote English and the other way round. Custom words
        are folded like the text and must each be a single token.
    stemmer : {None, "snowball"}, default None
        ``"snowball"`` reduces words to their Snowball stem (PyStemmer), in
        Portuguese or English by the text's language. Needs the ``stem`` extra:
        ``pip install 'recommender[stem]'``.
    numbers : {"years", "all", "none"}, default "years"
        ``"years"`` keeps four-digit years 1000-2099 and words with letters
        and digits (``g20``, ``covid19``, ``1950s``) and drops every other
        number: plain, grouped or decimal (``1.000``, ``3,5``) and ordinals
        (``1º``, ``2ª``, ``3rd``). ``"all"`` keeps every number as written;
        ``"none"`` drops every token that contains a digit.
    min_length : int, default 2
        Tokens shorter than this (in folded characters, before stemming) are
        dropped.
    ngram_range : (int, int), default (1, 1)
        Lengths of the word n-grams to emit, e.g. ``(1, 2)`` for words plus
        bigrams ``"w1 w2"`` of words next to each other after stop-word
        removal.

    Raises
    ------
    ConfigError
        For a setting outside what is allowed, or ``stemmer="snowball"``
        without PyStemmer installed.

    Examples
    --------
    >>> analyze = Analyzer(ngram_range=(1, 2))
    >>> analyze("A política externa do Brasil em 2024")
    ['politica', 'externa', 'brasil', '2024', 'politica externa', 'externa brasil', 'brasil 2024']
    >>> Analyzer.from_settings(analyze.settings()) == analyze
    True
    """

    def __init__(
        self,
        *,
        stop_words: str | Iterable[str] | None = "pt+en",
        stemmer: str | None = None,
        numbers: str = "years",
        min_length: int = 2,
        ngram_range: tuple[int, int] = (1, 1),
    ) -> None:
        self._stop_words = _check_stop_words(stop_words)
        self._stemmer = _check_choice("stemmer", None if stemmer == "none" else stemmer, _STEMMERS)
        self._numbers = _check_choice("numbers", numbers, _NUMBERS)
        self._min_length = _check_int("min_length", min_length, 1)
        self._ngram_range = _check_ngram_range(ngram_range)
        if self._stemmer is not None:
            try:
                self._stemmer_module = importlib.import_module("Stemmer")
            except ImportError:
                raise ConfigError(
                    "stemmer='snowball' needs PyStemmer, which is not installed; "
                    "install it with: pip install 'recommender[stem]'"
                ) from None
        if self._stop_words is None:
            self._stop: frozenset[str] = frozenset()
        elif isinstance(self._stop_words, str):
            self._stop = _NAMED_STOP_WORDS[self._stop_words]
        else:
            self._stop = frozenset(self._stop_words)
        self._caches: dict[str | None, _ChunkCache] = {}
        self._stemmers: dict[str, Any] = {}

    stop_words = property(lambda self: self._stop_words, doc="Stop-word setting (read-only).")
    stemmer = property(lambda self: self._stemmer, doc="Stemmer setting (read-only).")
    numbers = property(lambda self: self._numbers, doc="Number setting (read-only).")
    min_length = property(lambda self: self._min_length, doc="Minimum length (read-only).")
    ngram_range = property(lambda self: self._ngram_range, doc="N-gram lengths (read-only).")

    def __call__(self, text: str, lang: str | None = None) -> list[str]:
        """Return the index terms of `text`.

        Parameters
        ----------
        text : str
            Plain text (see :func:`recommender.markup.html_to_text` for HTML).
        lang : {"pt", "en"} or None, default None
            Language for the stemmer; None detects it with
            :func:`detect_language`. Ignored without a stemmer.

        Returns
        -------
        list of str
            The words in text order, then (with ``ngram_range``) the n-grams of
            each length in text order.
        """
        if not isinstance(text, str):
            raise TypeError(f"text must be a str, not {type(text).__name__}")
        if lang is not None and lang not in _LANGUAGES:
            raise ConfigError(f"lang={lang!r} is not allowed; use 'pt', 'en' or None")
        key = None if self._stemmer is None else (lang or detect_language(text))
        tokens = self._cache_for(key).tokens(_chunks(text))
        low, high = self._ngram_range
        if high == 1:
            return tokens
        grams = list(tokens) if low == 1 else []
        for n in range(max(low, 2), high + 1):
            # The shifted copies are shorter: zip stops at the last full n-gram.
            grams.extend(map(" ".join, zip(*(tokens[i:] for i in range(n)), strict=False)))
        return grams

    def chunks(self, text: str) -> list[bytes]:
        """The pieces of ``text`` the analysis works on one at a time (lower-cased bytes
        between separators). With ``ngram_range`` (1, 1), the terms of a text are the
        terms of its chunks (:meth:`chunk_terms`), in order."""
        return _chunks(text)

    def chunk_terms(self, chunk: bytes, lang: str | None = None, *,
                    remember: bool = True) -> list[str]:
        """The terms of one of :meth:`chunks`' pieces (``lang`` as for a call).

        ``remember=False``: analyse it without the analyzer's memory of chunks, for a
        caller that remembers the result itself."""
        if self._stemmer is None:
            key = None
        else:
            key = lang or detect_language(chunk.decode("utf-8", "surrogatepass"))
        if not remember:
            return self._analyse_chunk(chunk, key).split()
        return self._cache_for(key).tokens([chunk])

    def _cache_for(self, key: str | None) -> _ChunkCache:
        cache = self._caches.get(key)
        if cache is None:
            cache = self._caches.setdefault(
                key, _ChunkCache(partial(self._analyse_chunk, lang=key))
            )
        return cache

    @property
    def stems(self) -> bool:
        """Whether words are stemmed (and so whether the language matters)."""
        return self._stemmer is not None

    def _analyse_chunk(self, chunk: bytes, lang: str | None) -> str:
        stem = None if lang is None else self._stemmer_for(lang).stemWord
        core = chunk.strip(_EDGE_PUNCTUATION)
        if core.isalpha():  # one lower-case ASCII word, already folded: the common case
            token = core.decode()
            if len(token) < self._min_length or token in self._stop:
                return ""
            return token if stem is None else fold(stem(token))
        kept = []
        for word in _words(chunk):
            token = fold(word)
            if len(token) < self._min_length or token in self._stop:
                continue
            if not token.isalpha() and not self._keeps_number(token):
                continue
            if stem is not None:
                # Snowball's Portuguese rules need the accents: stem, then fold.
                token = fold(stem(word))
            kept.append(token)
        return " ".join(kept)

    def _keeps_number(self, token: str) -> bool:
        if self._numbers == "all" or not _DIGIT_RE.search(token):
            return True
        if self._numbers == "none":
            return False
        if token.isdecimal():
            return len(token) == 4 and 1000 <= int(token) <= 2099
        if "." in token or "," in token:
            return False
        return _ORDINAL_RE.fullmatch(token) is None

    def _stemmer_for(self, lang: str) -> Any:
        stemmer = self._stemmers.get(lang)
        if stemmer is None:
            stemmer = self._stemmer_module.Stemmer(_SNOWBALL_NAMES[lang])
            self._stemmers[lang] = stemmer
        return stemmer

    def settings(self) -> dict[str, Any]:
        """Return the settings as a JSON-serialisable dict.

        Returns
        -------
        dict
            Keys ``stop_words`` (name, None, or the sorted folded custom
            words), ``stemmer``, ``numbers``, ``min_length`` and ``ngram_range``
            (a list); :meth:`from_settings` turns it back into an equal analyser.
        """
        stop_words = self._stop_words
        return {
            "stop_words": list(stop_words) if isinstance(stop_words, tuple) else stop_words,
            "stemmer": self._stemmer,
            "numbers": self._numbers,
            "min_length": self._min_length,
            "ngram_range": list(self._ngram_range),
        }

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> Analyzer:
        """Build an analyser from a dict made by :meth:`settings`.

        Parameters
        ----------
        settings : mapping
            Any subset of the keyword arguments of :class:`Analyzer`; missing
            keys take their defaults.

        Returns
        -------
        Analyzer

        Raises
        ------
        ConfigError
            For an unknown key or a value outside what is allowed.
        """
        if not isinstance(settings, Mapping):
            raise ConfigError(f"analyzer settings must be a mapping, not {type(settings).__name__}")
        unknown = sorted(set(settings) - set(_DEFAULTS), key=str)
        if unknown:
            raise ConfigError(
                f"unknown analyzer setting(s) {unknown}; allowed: {', '.join(_DEFAULTS)}"
            )
        return cls(**settings)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Analyzer):
            return NotImplemented
        return self.settings() == other.settings()

    def __hash__(self) -> int:
        settings = self.settings()
        return hash(tuple((key, repr(value)) for key, value in settings.items()))

    def __repr__(self) -> str:
        current = {key: getattr(self, key) for key in _DEFAULTS}
        changed = [f"{key}={value!r}" for key, value in current.items() if value != _DEFAULTS[key]]
        return f"Analyzer({', '.join(changed)})"

    # Caches and the PyStemmer objects are rebuilt, not pickled.
    def __getstate__(self) -> dict[str, Any]:
        return self.settings()

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(**state)
