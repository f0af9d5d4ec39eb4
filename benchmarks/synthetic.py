"""Seeded synthetic corpora shaped like the magazine, for benchmarks and scale tests.

The articles read like Brazilian Portuguese at a distance: generated words built
from Portuguese syllables and suffixes (``contração``, ``políticas``, ``econômico``-like
forms), real function words at about 40 % of the tokens, capitalised sentences with
commas and full stops, paragraphs separated by blank lines. Under the text lies a
topic model, so relevance can be scored against the ``labels`` of each record:

* a content vocabulary ranked by frequency, sampled with Zipf–Mandelbrot weights
  ``1 / (rank + 100) ** 1.05`` (the function words take the top ranks, so the rank–frequency
  curve of the whole text stays Zipfian), shared by every topic;
* ``n_topics`` topics, each boosting its own 200–400 mid- and low-frequency words
  (weights ``1 / (rank + 5)`` inside the topic), which supply ``topic_share`` (default
  10 %) of an article's content words;
* articles mixing 1–3 topics with Dirichlet(1) weights, the first usually one of the
  author's 2–4 favourite topics; body lengths lognormal with median ``mean_words``.

Everything is sampled with numpy in bulk, one block of :data:`CHUNK_SIZE` articles at a
time, and the text is assembled from a table of pre-encoded word forms without a Python
loop over words, so 100,000 articles of 1,200 words take well under a minute.

Run ``python -m benchmarks.synthetic --help`` for the command line.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
import math
import os
import re
import secrets
import sys
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

__all__ = ["generate", "held_out_queries", "write_jsonl", "main", "CHUNK_SIZE",
           "GENERATOR_VERSION"]

#: Bumped whenever the same arguments start producing different articles, so that
#: benchmark results can say which corpus they were measured on.
GENERATOR_VERSION = 1

#: Articles per block. Each block draws from its own random streams, keyed by the seed
#: and the block number; the size is fixed because it is part of what the output is.
CHUNK_SIZE = 1000

# ---------------------------------------------------------------------------------------
# Word lists (data, written for this generator)
# ---------------------------------------------------------------------------------------

#: Portuguese function words with rough rates per 10,000 tokens of newspaper and essay
#: prose. The order follows the frequency-ordered Snowball Portuguese stop-word list
#: (BSD licence); the rates are rounded estimates written for synthetic text, not
#: measurements. They add up to about 40 % of the tokens; only their ratios are used
#: (the share of function words is ``_FUNCTION_SHARE``).
_FUNCTION_WORDS: tuple[tuple[str, float], ...] = (
    ("de", 500), ("a", 320), ("o", 300), ("que", 260), ("e", 250), ("do", 180), ("da", 160),
    ("em", 150), ("um", 110), ("para", 100), ("é", 90), ("com", 90), ("não", 85),
    ("uma", 80), ("os", 80), ("no", 75), ("se", 70), ("na", 70), ("por", 60), ("mais", 55),
    ("as", 50), ("dos", 50), ("como", 50), ("mas", 40), ("foi", 30), ("ao", 38), ("ele", 30),
    ("das", 30), ("tem", 20), ("à", 28), ("seu", 22), ("sua", 22), ("ou", 22), ("ser", 20),
    ("quando", 20), ("muito", 15), ("há", 15), ("nos", 15), ("já", 15), ("está", 10),
    ("eu", 10), ("também", 15), ("só", 10), ("pelo", 12), ("pela", 12), ("até", 12),
    ("isso", 10), ("ela", 10), ("entre", 12), ("era", 8), ("depois", 8), ("sem", 10),
    ("mesmo", 8), ("aos", 8), ("ter", 8), ("seus", 7), ("quem", 7), ("nas", 7), ("me", 7),
    ("esse", 7), ("eles", 6), ("estão", 5), ("você", 5), ("tinha", 4), ("foram", 4),
    ("essa", 5), ("num", 3), ("nem", 5), ("suas", 5), ("meu", 4), ("às", 4), ("minha", 4),
    ("têm", 2), ("numa", 2), ("pelos", 4), ("elas", 2), ("havia", 3), ("seja", 4),
    ("qual", 4), ("será", 4), ("nós", 2), ("tenho", 2), ("lhe", 2), ("deles", 2),
    ("essas", 2), ("esses", 3), ("pelas", 2), ("este", 5), ("fosse", 2), ("dele", 2),
    ("isto", 2), ("aquele", 2), ("sobre", 8), ("onde", 4), ("ainda", 6), ("cada", 3),
)

_FIRST_NAMES = (
    "Ana", "Beatriz", "Camila", "Carolina", "Cecília", "Clarice", "Daniela", "Débora",
    "Fernanda", "Gabriela", "Helena", "Inês", "Isabela", "Juliana", "Larissa", "Letícia",
    "Lúcia", "Luiza", "Márcia", "Mariana", "Natália", "Patrícia", "Raquel", "Sílvia",
    "Tânia", "Vitória", "André", "Antônio", "Bruno", "Caio", "César", "Daniel", "Eduardo",
    "Fábio", "Felipe", "Gustavo", "Heitor", "João", "José", "Lucas", "Marcelo", "Mário",
    "Otávio", "Paulo", "Rafael", "Renato", "Sérgio", "Tiago", "Vinícius", "Wagner",
)
_SURNAMES = (
    "Almeida", "Alves", "Araújo", "Azevedo", "Barbosa", "Barros", "Cardoso", "Carvalho",
    "Castro", "Conceição", "Correia", "Costa", "Dias", "Falcão", "Fernandes", "Ferreira",
    "Freitas", "Gomes", "Gonçalves", "Lima", "Lopes", "Macedo", "Magalhães", "Martins",
    "Medeiros", "Melo", "Monteiro", "Moraes", "Moreira", "Nascimento", "Nogueira", "Oliveira",
    "Pereira", "Pinto", "Queiroz", "Ramos", "Ribeiro", "Rocha", "Rodrigues", "Sampaio",
    "Santos", "Silva", "Soares", "Sousa", "Teixeira", "Vasconcelos", "Vieira", "Xavier",
)

# Syllable parts: (text, weight, may start a word).
_ONSETS = (
    ("", 14, True), ("b", 3, True), ("c", 6, True), ("d", 7, True), ("f", 3, True),
    ("g", 2, True), ("j", 1, True), ("l", 5, True), ("m", 6, True), ("n", 4, True),
    ("p", 6, True), ("r", 6, True), ("s", 6, True), ("t", 8, True), ("v", 3, True),
    ("z", 1, True), ("x", 0.5, True), ("ch", 1, True), ("lh", 1.5, False), ("nh", 1.5, False),
    ("qu", 1.5, True), ("gu", 0.5, True), ("br", 1, True), ("cr", 1, True), ("dr", 0.6, True),
    ("fr", 0.8, True), ("gr", 1, True), ("pr", 2, True), ("tr", 2, True), ("bl", 0.3, True),
    ("cl", 0.5, True), ("fl", 0.4, True), ("pl", 0.6, True), ("ç", 1.5, False),
    ("ss", 1.5, False), ("rr", 0.8, False),
)
_NUCLEI = (
    ("a", 30), ("e", 25), ("i", 15), ("o", 20), ("u", 7), ("ai", 1.5), ("ei", 1.5), ("oi", 1),
    ("ou", 1.5), ("au", 0.7), ("io", 1), ("ia", 1.5), ("ua", 0.6),
)
_CODAS = (("", 70), ("s", 8), ("r", 8), ("l", 4), ("n", 6), ("m", 2))
# (suffix, weight, accent the vowel before it): "polí" + "ticas", "econô" + "mico".
_SUFFIXES = (
    ("ção", 5, False), ("ções", 2, False), ("são", 1.2, False), ("sões", 0.4, False),
    ("ão", 2, False), ("ões", 0.8, False), ("dade", 2, False), ("dades", 0.8, False),
    ("mente", 2.5, False), ("mento", 2, False), ("mentos", 1, False), ("ismo", 1, False),
    ("ista", 1, False), ("istas", 0.5, False), ("ável", 0.8, False), ("ível", 0.8, False),
    ("ância", 0.6, False), ("ência", 1.2, False), ("ário", 0.8, False), ("ária", 0.6, False),
    ("ório", 0.4, False), ("agem", 0.6, False), ("eiro", 0.8, False), ("eira", 0.8, False),
    ("oso", 0.6, False), ("osa", 0.6, False), ("ado", 2, False), ("ada", 2, False),
    ("ados", 1, False), ("adas", 0.8, False), ("ido", 1, False), ("ida", 1, False),
    ("ar", 2.5, False), ("er", 1.2, False), ("ir", 1, False), ("ante", 1, False),
    ("ente", 1.5, False), ("antes", 0.5, False), ("entes", 0.7, False), ("ês", 0.3, False),
    ("esa", 0.3, False), ("ã", 0.2, False), ("ãs", 0.1, False), ("ice", 0.3, False),
    ("tico", 1, True), ("tica", 1.4, True), ("ticos", 0.5, True), ("ticas", 0.7, True),
    ("mico", 0.5, True), ("mica", 0.5, True), ("nico", 0.5, True), ("nica", 0.5, True),
    ("lico", 0.3, True), ("lica", 0.3, True), ("rico", 0.3, True), ("rica", 0.3, True),
    ("fico", 0.3, True), ("gico", 0.3, True), ("gica", 0.3, True), ("dico", 0.2, True),
    ("vel", 0.3, True), ("tulo", 0.2, True),
)
_ACUTE = {"a": "á", "e": "é", "i": "í", "o": "ó", "u": "ú"}
_CIRCUMFLEX = {"a": "â", "e": "ê", "o": "ô"}
_VOWELS = "aeiou"
# Spellings Portuguese avoids: a nasal vowel after a vowel ("iã"), a doubled vowel
# ("iista"), three vowels in a row.
_AWKWARD = re.compile(r"[aeiouáâéêíóôú][ãõ]|([aeiou])\1|[aeiouáâãéêíóôõú]{3}")

# ---------------------------------------------------------------------------------------
# Shape constants
# ---------------------------------------------------------------------------------------

_ZIPF_EXPONENT = 1.05        # background content words
_ZIPF_OFFSET = 100           # ranks taken by the function words
_FUNCTION_SHARE = 0.42       # before sentence ends are forced to content: ~40 % after
_TOPIC_EXPONENT = 1.0        # inside a topic, with
_TOPIC_OFFSET = 5            # so that a topic's top word is ~4 % of its tokens, not 16 %
_TOPIC_WORDS = (200, 400)    # words a topic boosts, inclusive range
_FAVOURITES = (2, 4)         # favourite topics per author, inclusive range
_TOPIC_COUNTS = (0.5, 0.35, 0.15)    # P(1, 2, 3 topics)
_FAVOURITE_SLOT = (0.8, 0.4, 0.4)    # P(slot j is one of the author's favourites)
_COMMA_RATE = 0.1            # after a content word inside a sentence
_PARAGRAPH_RATE = 0.2        # a sentence ends its paragraph (geometric, mean 5 sentences)
_SENTENCE_MEDIAN, _SENTENCE_SIGMA, _SENTENCE_RANGE = 18.0, 0.45, (4, 60)
_MIN_WORDS, _MAX_WORDS = 8, 200_000
_TITLE_WORDS, _BLURB_WORDS = (5, 10), (8, 20)
_TAGS_PER_TOPIC, _MAX_TAGS = 4, 4
_SMALL_BITS = 12             # table size (bits) of the function-word and topic tables
_VOCABULARY_RANGE = (1_000, 200_000)
_MAX_TOPICS = 10_000         # each topic has a 16 KiB lookup table

# Stream keys for np.random.SeedSequence(seed, spawn_key=...).
_MODEL, _CORPUS, _HELD_OUT = 0, 1, 2
_VOCAB_STREAM, _TOPIC_STREAM, _AUTHOR_STREAM = 0, 1, 2
(_S_ARTICLES, _S_LENGTHS, _S_BODY, _S_SENTENCES, _S_PARAGRAPHS, _S_TITLE,
 _S_BLURB) = range(7)

# Word forms in the byte table: 6 trailing separators x 2 cases.
_TRAILS = (" ", ", ", ". ", ".\n\n", ".", "")
_T_SPACE, _T_COMMA, _T_STOP, _T_PARAGRAPH, _T_END, _T_BARE = range(6)
_ARTICLE_COLUMNS = 30        # uniforms drawn per article, see _block()


# ---------------------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------------------


def generate(
    n_articles: int,
    *,
    seed: int = 0,
    mean_words: float = 1200,
    sigma: float = 0.5,
    n_topics: int | None = None,
    vocabulary_size: int = 50_000,
    n_authors: int | None = None,
    start_date: str | dt.date = "2005-01-01",
    end_date: str | dt.date = "2024-12-31",
    topic_share: float = 0.1,
) -> Iterator[dict[str, Any]]:
    """Yield synthetic magazine articles as JSON Lines records.

    Parameters
    ----------
    n_articles : int
        How many articles, ``>= 0``.
    seed : int, default 0
        Seeds everything: vocabulary, topics, authors and articles. ``>= 0``.
    mean_words : float, default 1200
        Median body length in words; lengths are lognormal around it, clipped to
        8–200,000 words (so the mean is ``exp(sigma**2 / 2)`` times larger: 13 % at 0.5).
    sigma : float, default 0.5
        Standard deviation of the log of the body length, in ``[0, 3]``.
    n_topics : int, optional
        Topics in the model, 1–10,000; default ``max(10, n_articles // 100)``, at most
        10,000.
    vocabulary_size : int, default 50_000
        Generated content words, 1,000–200,000 (the function words come on top).
    n_authors : int, optional
        Authors, 1–115,200; default ``max(10, n_articles // 200)``.
    start_date, end_date : str or datetime.date
        Inclusive range of the uniformly drawn publication dates (ISO ``YYYY-MM-DD``).
    topic_share : float, default 0.1
        Fraction of a body's content words drawn from its topics rather than from the
        shared background, in ``[0, 1]`` (titles and blurbs get 3 and 2.5 times as much,
        capped at 1). It sets how hard related articles are to find. Measured on 2,000
        articles of 300 / 1,200 words (TF-IDF of title and body, stop words removed), the
        share of the 5 nearest neighbours that share a label with the article is 0.14 /
        0.14 at 0 (chance), 0.45 / 0.79 at 0.05, 0.92 / 1.00 at 0.1 and 1.00 at 0.2.

    Yields
    ------
    dict
        In this key order: ``id`` (``synthetic-0000042``), ``title`` (5–10 words),
        ``body`` (sentences; paragraphs separated by a blank line), ``author``,
        ``date`` (``YYYY-MM-DD``), ``blurb`` (one sentence of 8–20 words), ``tags``
        (1–4 strings from the topics' tag lists), ``lang`` (``"pt"``), ``url``
        (``https://revista.example/artigos/<id>/``) and ``labels`` (the topics the
        article mixes, as ``"t017"``, heaviest first). Articles come in id order; dates
        are drawn independently of it.

    Raises
    ------
    TypeError, ValueError
        For an argument of the wrong type or outside its range; raised by the call,
        before the first article. The call also builds the vocabulary, topics and
        authors (about a second for the default vocabulary, then cached per process).

    Notes
    -----
    The same arguments give the same articles, byte for byte, on every run; across
    machines as long as the numpy version is the same (numpy keeps its bit generators
    stable, but not every distribution it samples from; word choices use integer
    arithmetic on the raw bits, lengths and topic weights use floats). Articles are drawn in blocks
    of :data:`CHUNK_SIZE` from streams keyed by ``(seed, block number)``, so memory
    stays flat. Every quantity has its own stream, drawn in article order, so the first
    ``k`` articles of ``generate(n)`` equal ``generate(k)`` **when** ``n_topics`` and
    ``n_authors`` are given (their defaults depend on ``n_articles``, and so does the
    whole topic model).

    Examples
    --------
    >>> first = next(generate(3, seed=0, mean_words=40))
    >>> first["id"], first["lang"], first["url"]
    ('synthetic-0000000', 'pt', 'https://revista.example/artigos/synthetic-0000000/')
    >>> sorted(first)
    ['author', 'blurb', 'body', 'date', 'id', 'labels', 'lang', 'tags', 'title', 'url']
    """
    n = _check_int("n_articles", n_articles, 0)
    settings = _settings(n, seed=seed, mean_words=mean_words, sigma=sigma, n_topics=n_topics,
                         vocabulary_size=vocabulary_size, n_authors=n_authors,
                         start_date=start_date, end_date=end_date, topic_share=topic_share)
    return _articles(settings, n, _CORPUS)


def held_out_queries(n_queries: int, *, seed: int, n_articles: int,
                     **params: Any) -> list[str]:
    """Free-text queries that read like the corpus but are not in it.

    The queries are the texts (title, a blank line, body) of articles drawn from the
    same vocabulary, topics and authors as ``generate(n_articles, seed=seed, **params)``
    but from a separate random stream, so none of them is an article of the corpus.

    Parameters
    ----------
    n_queries : int
        How many queries, ``>= 0``.
    seed : int
        The corpus seed.
    n_articles : int
        The corpus size; it sets the defaults of ``n_topics`` and ``n_authors``, which
        shape the topic model the queries must share with the corpus.
    **params
        The other keyword arguments of :func:`generate`, as given for the corpus.

    Returns
    -------
    list of str
        ``n_queries`` texts, in a fixed order.

    Examples
    --------
    >>> queries = held_out_queries(2, seed=0, n_articles=50, mean_words=30)
    >>> len(queries), all(isinstance(q, str) for q in queries)
    (2, True)
    """
    q = _check_int("n_queries", n_queries, 0)
    n = _check_int("n_articles", n_articles, 0)
    unknown = sorted(set(params) - set(_PARAMETERS))
    if unknown:
        raise TypeError(f"held_out_queries() got unknown parameter(s) {', '.join(unknown)}; "
                        f"allowed: {', '.join(_PARAMETERS)}")
    settings = _settings(n, seed=seed, **params)
    return [f"{r['title']}\n\n{r['body']}" for r in _articles(settings, q, _HELD_OUT)]


def write_jsonl(records: Iterable[Mapping[str, Any]], path: str | os.PathLike[str]) -> int:
    """Write records as JSON Lines, atomically; gzip-compressed when the path ends in ``.gz``.

    Each record becomes one line of ``json.dumps(record, ensure_ascii=False,
    separators=(",", ":"))``, UTF-8, ending in ``\\n``. The lines go to a temporary file
    in the target's folder that replaces the target only once complete, so a reader never
    sees half a file and a failure leaves the target as it was. Compression is gzip level
    1 (generated words compress poorly: level 6 saves a tenth of the size for five times
    the time); the header carries no name and no time, so the same records give the same
    bytes.

    Parameters
    ----------
    records : iterable of mapping
        JSON-serialisable records, e.g. from :func:`generate`.
    path : str or path-like
        The file to (re)place; its folder must exist.

    Returns
    -------
    int
        The number of records written.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     write_jsonl(generate(2, mean_words=20), pathlib.Path(folder) / "corpus.jsonl.gz")
    2
    """
    target = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(target))
    temporary = os.path.join(folder, f".{os.path.basename(target)}.{secrets.token_hex(6)}.tmp")
    # os.open with mode 0o666 lets the umask decide the permissions, as open() would.
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with open(descriptor, "wb") as raw:
            if target.lower().endswith(".gz"):
                with gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=1,
                                   mtime=0) as compressed:
                    count = _write_lines(records, compressed)
            else:
                count = _write_lines(records, raw)
            raw.flush()
            os.fsync(raw.fileno())
        os.replace(temporary, target)
    except BaseException:
        try:
            os.unlink(temporary)
        except FileNotFoundError:
            pass
        raise
    return count


def _write_lines(records: Iterable[Mapping[str, Any]], stream: Any) -> int:
    count = 0
    batch: list[str] = []
    for record in records:
        batch.append(json.dumps(record, ensure_ascii=False, separators=(",", ":")))
        count += 1
        if len(batch) == 256:
            stream.write(("\n".join(batch) + "\n").encode("utf-8"))
            batch.clear()
    if batch:
        stream.write(("\n".join(batch) + "\n").encode("utf-8"))
    return count


# ---------------------------------------------------------------------------------------
# Settings and validation
# ---------------------------------------------------------------------------------------

_PARAMETERS = ("mean_words", "sigma", "n_topics", "vocabulary_size", "n_authors",
               "start_date", "end_date", "topic_share")


@dataclass(frozen=True)
class _Settings:
    seed: int
    mean_words: float
    sigma: float
    n_topics: int
    vocabulary_size: int
    n_authors: int
    first_day: int      # proleptic Gregorian ordinal
    days: int           # dates in the range
    topic_share: float


def _check_int(name: str, value: Any, low: int, high: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__} {value!r}")
    value = int(value)
    if value < low or (high is not None and value > high):
        allowed = f">= {low}" if high is None else f"between {low:,} and {high:,}"
        raise ValueError(f"{name} must be {allowed}, got {value:,}")
    return value


def _check_float(name: str, value: Any, low: float, high: float, *, open_low: bool) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise TypeError(f"{name} must be a number, got {type(value).__name__} {value!r}")
    value = float(value)
    if not math.isfinite(value) or value > high or value < low or (open_low and value == low):
        bracket = "(" if open_low else "["
        raise ValueError(f"{name} must be in {bracket}{low:g}, {high:g}], got {value!r}")
    return value


def _check_date(name: str, value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
        raise ValueError(f"{name} must be an ISO date like 2005-01-01, got {value!r}")
    raise TypeError(f"{name} must be an ISO date string or datetime.date, "
                    f"got {type(value).__name__} {value!r}")


def _settings(n: int, *, seed: int = 0, mean_words: float = 1200, sigma: float = 0.5,
              n_topics: int | None = None, vocabulary_size: int = 50_000,
              n_authors: int | None = None, start_date: str | dt.date = "2005-01-01",
              end_date: str | dt.date = "2024-12-31", topic_share: float = 0.1) -> _Settings:
    seed = _check_int("seed", seed, 0)
    mean_words = _check_float("mean_words", mean_words, 0.0, _MAX_WORDS, open_low=True)
    sigma = _check_float("sigma", sigma, 0.0, 3.0, open_low=False)
    topic_share = _check_float("topic_share", topic_share, 0.0, 1.0, open_low=False)
    vocabulary_size = _check_int("vocabulary_size", vocabulary_size, *_VOCABULARY_RANGE)
    n_topics = (min(max(10, n // 100), _MAX_TOPICS) if n_topics is None
                else _check_int("n_topics", n_topics, 1, _MAX_TOPICS))
    max_authors = len(_FIRST_NAMES) * len(_SURNAMES) ** 2
    n_authors = (max(10, n // 200) if n_authors is None
                 else _check_int("n_authors", n_authors, 1, max_authors))
    n_authors = min(n_authors, max_authors)
    first, last = _check_date("start_date", start_date), _check_date("end_date", end_date)
    if last < first:
        raise ValueError(f"end_date {last.isoformat()} is before start_date "
                         f"{first.isoformat()}; give a range with start_date <= end_date")
    return _Settings(seed, mean_words, sigma, n_topics, vocabulary_size, n_authors,
                     first.toordinal(), last.toordinal() - first.toordinal() + 1, topic_share)


# ---------------------------------------------------------------------------------------
# The model: vocabulary, word-form table, topics, authors (cached per process)
# ---------------------------------------------------------------------------------------


def _stream(seed: int, *key: int) -> np.random.Generator:
    """An independent generator for one purpose; same as ``SeedSequence(seed).spawn`` paths."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=key)))


def _uniforms(rng: np.random.Generator, shape: int | tuple[int, ...]) -> np.ndarray:
    """Uniform floats in [0, 1) from the raw bit stream (53 bits each), drawn in order."""
    raw = rng.bit_generator.random_raw(shape)
    return (raw >> np.uint64(11)).astype(np.float64) * (1.0 / 9007199254740992.0)


def _cdf(weights: Iterable[float]) -> np.ndarray:
    w = np.asarray(list(weights), dtype=np.float64)
    return np.cumsum(w) / w.sum()


def _pick(cdf: np.ndarray, u: np.ndarray) -> list[int]:
    return np.minimum(np.searchsorted(cdf, u, side="right"), len(cdf) - 1).tolist()


@lru_cache(maxsize=4)
def _vocabulary(seed: int, size: int) -> tuple[str, ...]:
    """``size`` unique generated words of 2–14 letters, most frequent first."""
    rng = _stream(seed, _MODEL, _VOCAB_STREAM)
    onset_cdf, nucleus_cdf = _cdf(o[1] for o in _ONSETS), _cdf(x[1] for x in _NUCLEI)
    coda_cdf, suffix_cdf = _cdf(c[1] for c in _CODAS), _cdf(s[1] for s in _SUFFIXES)
    syllable_cdf = _cdf((12, 36, 34, 14, 4))
    reserved = {w for w, _ in _FUNCTION_WORDS}
    words: list[str] = []
    seen: set[str] = set()
    while len(words) < size:
        batch = size - len(words) + 64
        syllables = (np.asarray(_pick(syllable_cdf, _uniforms(rng, batch))) + 1).tolist()
        u = _uniforms(rng, (batch, 5, 3))
        onsets = np.asarray(_pick(onset_cdf, u[..., 0].ravel())).reshape(batch, 5).tolist()
        nuclei = np.asarray(_pick(nucleus_cdf, u[..., 1].ravel())).reshape(batch, 5).tolist()
        codas = np.asarray(_pick(coda_cdf, u[..., 2].ravel())).reshape(batch, 5).tolist()
        extra = _uniforms(rng, (batch, 6))
        suffixes = _pick(suffix_cdf, extra[:, 0])
        extra = extra.tolist()
        for i in range(batch):
            word = _word(syllables[i], onsets[i], nuclei[i], codas[i], suffixes[i], extra[i])
            if (2 <= len(word) <= 14 and word not in seen and word not in reserved
                    and not _AWKWARD.search(word)):
                seen.add(word)
                words.append(word)
                if len(words) == size:
                    break
    # Zipf's law of abbreviation: frequent words are shorter. Rank by length plus noise.
    noise = _uniforms(rng, size) * 6.0
    order = np.argsort(np.array([len(w) for w in words]) + noise, kind="stable")
    return tuple(words[i] for i in order.tolist())


def _word(n: int, onsets: list[int], nuclei: list[int], codas: list[int], suffix: int,
          extra: list[float]) -> str:
    """One word from syllable choices (indices into the part tables) and spare uniforms."""
    parts: list[str] = []
    for j in range(n):
        onset, may_start = _ONSETS[onsets[j]][0], _ONSETS[onsets[j]][2]
        nucleus = _NUCLEI[nuclei[j]][0]
        if j == 0 and not may_start:
            onset = ""
        if onset == "ç" and nucleus[0] in "ei":
            onset = "c"
        elif onset in ("qu", "gu") and nucleus[0] not in "ei":
            onset = "c" if onset == "qu" else "g"
        if j > 0:
            previous = parts[-1]
            if not onset and previous[-1] in _VOWELS:
                onset = "r"          # no vowel hiatus across syllables
            elif previous[-1] not in _VOWELS and (len(onset) > 1 or onset in ("ç", "x")
                                                  or onset == previous[-1]):
                parts[-1] = previous[:-1]    # no coda before a cluster or its own double
            elif previous[-1] == "m" and onset not in ("p", "b"):
                parts[-1] = previous[:-1] + "n"
        coda = _CODAS[codas[j]][0]
        parts.append(onset + nucleus + coda)
    if extra[1] < 0.42:
        text, _, accent = _SUFFIXES[suffix]
        stem = "".join(parts)
        if stem[-1] not in _VOWELS and len(stem) > 1:
            stem = stem[:-1]
        if text[0] in "aeiouáâãéêíóôõú" and stem[-1] in _VOWELS and len(stem) > 1:
            stem = stem[:-1]
        if accent:
            k = max(stem.rfind(v) for v in _VOWELS)
            if k >= 0:
                vowel = stem[k]
                if text[0] in "mn" and vowel in _CIRCUMFLEX and extra[2] < 0.8:
                    vowel = _CIRCUMFLEX[vowel]
                else:
                    vowel = _ACUTE[vowel]
                stem = stem[:k] + vowel + stem[k + 1:]
        return stem + text
    word = "".join(parts)
    if word[-1] in "aeo" and n > 1 and extra[3] < 0.05:       # oxytone: café, você, avô
        table = _CIRCUMFLEX if word[-1] in "eo" and extra[4] < 0.4 else _ACUTE
        word = word[:-1] + table[word[-1]]
    elif extra[5] < 0.25 and word[-1] in "aeo":
        word += "s"
    return word


@dataclass(frozen=True)
class _Forms:
    """Every word in every written form, as a fixed-width UTF-8 byte table."""

    words: tuple[str, ...]  # content words (ranked) then function words
    n_content: int
    table: np.ndarray       # bytes "S<width>", index = (trail * 2 + capital) * W + word
    lengths: np.ndarray     # UTF-8 bytes of each form


@lru_cache(maxsize=4)
def _forms(seed: int, size: int) -> _Forms:
    words = _vocabulary(seed, size) + tuple(w for w, _ in _FUNCTION_WORDS)
    capitals = tuple(w[0].upper() + w[1:] for w in words)
    plain = [w.encode("utf-8") for w in words]
    upper = [w.encode("utf-8") for w in capitals]
    encoded = [form + trail for trail in (t.encode("utf-8") for t in _TRAILS)
               for forms in (plain, upper) for form in forms]
    lengths = np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded))
    table = np.array(encoded, dtype=f"S{int(lengths.max())}")
    return _Forms(words, size, table, lengths)


def _quantise(p: np.ndarray, slots: int) -> np.ndarray:
    """Slot counts summing to ``slots``, proportional to ``p`` (largest remainder)."""
    exact = p / p.sum() * slots
    counts = np.floor(exact).astype(np.int64)
    short = slots - int(counts.sum())
    if short:
        counts[np.argsort(-(exact - counts), kind="stable")[:short]] += 1
    return counts


@dataclass(frozen=True)
class _Topics:
    lookup: np.ndarray      # int32 word ids: [function | background | topic 0 | topic 1 ...]
    background_bits: int
    tags: np.ndarray        # object (n_topics, _TAGS_PER_TOPIC)


@lru_cache(maxsize=4)
def _topics(seed: int, size: int, n_topics: int) -> _Topics:
    rng = _stream(seed, _MODEL, _TOPIC_STREAM)
    small = 1 << _SMALL_BITS
    bits = int(min(24, max(18, math.ceil(math.log2(size)) + 6)))
    ranks = np.arange(1, size + 1, dtype=np.float64)
    background = np.repeat(np.arange(size, dtype=np.int32),
                           _quantise((ranks + _ZIPF_OFFSET) ** -_ZIPF_EXPONENT, 1 << bits))
    function = np.repeat(np.arange(size, size + len(_FUNCTION_WORDS), dtype=np.int32),
                         _quantise(np.array([r for _, r in _FUNCTION_WORDS]), small))
    # Topic words come from below the most common background words; each topic shuffles
    # its own picks so that its favourite words are unrelated to their background rank.
    first = min(size // 10, 1000)
    pool = size - first
    counts = np.minimum(rng.integers(_TOPIC_WORDS[0], _TOPIC_WORDS[1] + 1, n_topics), pool)
    tables = np.empty((n_topics, small), dtype=np.int32)
    tags = np.empty((n_topics, _TAGS_PER_TOPIC), dtype=object)
    words = _vocabulary(seed, size)
    for t, count in enumerate(counts.tolist()):
        chosen = first + rng.choice(pool, size=count, replace=False)
        weights = (np.arange(1, count + 1, dtype=np.float64)
                   + _TOPIC_OFFSET) ** -_TOPIC_EXPONENT
        tables[t] = np.repeat(chosen.astype(np.int32), _quantise(weights, small))
        tags[t] = [words[i] for i in chosen[:_TAGS_PER_TOPIC].tolist()]
    return _Topics(np.concatenate([function, background, tables.ravel()]), bits, tags)


@dataclass(frozen=True)
class _Authors:
    names: tuple[str, ...]
    cdf: np.ndarray         # productivity, cumulative
    favourites: np.ndarray  # (n_authors, _FAVOURITES[1]) topic ids, padded
    n_favourites: np.ndarray


@lru_cache(maxsize=4)
def _authors(seed: int, n_topics: int, n_authors: int) -> _Authors:
    rng = _stream(seed, _MODEL, _AUTHOR_STREAM)
    n_first, n_last = len(_FIRST_NAMES), len(_SURNAMES)
    pairs = n_first * n_last
    # Two-part names while they last, then three-part ones: "Ana Sousa", "Ana Lima Sousa".
    picks = rng.permutation(pairs)[:n_authors].tolist()
    names = [f"{_FIRST_NAMES[i // n_last]} {_SURNAMES[i % n_last]}" for i in picks]
    if n_authors > pairs:
        more = rng.choice(n_first * n_last * n_last, size=n_authors - pairs, replace=False)
        for i in more.tolist():
            first, rest = divmod(i, n_last * n_last)
            middle, last = divmod(rest, n_last)
            names.append(f"{_FIRST_NAMES[first]} {_SURNAMES[middle]} {_SURNAMES[last]}")
    productivity = rng.lognormal(0.0, 0.75, n_authors)
    counts = np.minimum(rng.integers(_FAVOURITES[0], _FAVOURITES[1] + 1, n_authors), n_topics)
    favourites = np.zeros((n_authors, _FAVOURITES[1]), dtype=np.int64)
    for a, count in enumerate(counts.tolist()):
        favourites[a, :count] = rng.choice(n_topics, size=count, replace=False)
    return _Authors(tuple(names), np.cumsum(productivity) / productivity.sum(), favourites,
                    counts)


# ---------------------------------------------------------------------------------------
# Articles
# ---------------------------------------------------------------------------------------


def _articles(settings: _Settings, n: int, stream: int) -> Iterator[dict[str, Any]]:
    if n == 0:
        return iter(())
    forms = _forms(settings.seed, settings.vocabulary_size)
    topics = _topics(settings.seed, settings.vocabulary_size, settings.n_topics)
    authors = _authors(settings.seed, settings.n_topics, settings.n_authors)
    return _blocks(settings, n, stream, forms, topics, authors)


def _blocks(settings: _Settings, n: int, stream: int, forms: _Forms, topics: _Topics,
            authors: _Authors) -> Iterator[dict[str, Any]]:
    for block, start in enumerate(range(0, n, CHUNK_SIZE)):
        yield from _block(settings, stream, block, start, min(CHUNK_SIZE, n - start),
                          forms, topics, authors)


def _block(settings: _Settings, stream: int, block: int, start: int, m: int, forms: _Forms,
           topics: _Topics, authors: _Authors) -> Iterator[dict[str, Any]]:
    seed = settings.seed

    def rng(purpose: int) -> np.random.Generator:
        return _stream(seed, stream, block, purpose)

    # One row of uniforms per article; columns:
    #  0 author, 1 topic count, 2-4 favourite or not, 5-7 which favourite, 8-10 any topic,
    #  11 date, 12 title length, 13 blurb length, 14 tag count, 15-17 Dirichlet(1) weights,
    #  18-29 tag sampling keys (3 topics x 4 tags).
    u = _uniforms(rng(_S_ARTICLES), (m, _ARTICLE_COLUMNS))
    author = np.minimum(np.searchsorted(authors.cdf, u[:, 0], side="right"),
                        len(authors.names) - 1)
    k = 1 + np.searchsorted(np.cumsum(_TOPIC_COUNTS)[:-1], u[:, 1], side="right")
    n_fav = authors.n_favourites[author]
    favourite = authors.favourites[author[:, None],
                                   np.floor(u[:, 5:8] * n_fav[:, None]).astype(np.int64)]
    anyone = np.floor(u[:, 8:11] * settings.n_topics).astype(np.int64)
    chosen = np.where(u[:, 2:5] < np.array(_FAVOURITE_SLOT), favourite, anyone)
    weights = -np.log1p(-u[:, 15:18])                     # exponential(1) -> Dirichlet(1)
    weights[np.arange(3) >= k[:, None]] = 0.0
    for j in (1, 2):                                      # a topic drawn twice counts once
        for i in range(j):
            same = (chosen[:, j] == chosen[:, i]) & (weights[:, i] > 0)
            weights[same, i] += weights[same, j]
            weights[same, j] = 0.0
    weights /= weights.sum(axis=1, keepdims=True)

    lengths = np.clip(np.rint(rng(_S_LENGTHS).lognormal(math.log(settings.mean_words),
                                                        settings.sigma, m)),
                      _MIN_WORDS, _MAX_WORDS).astype(np.int64)
    bounds = np.concatenate([[0], np.cumsum(lengths)])
    is_end = _sentence_ends(bounds, rng(_S_SENTENCES))
    body_ids, body_comma = _words(rng(_S_BODY), lengths, chosen, weights, topics,
                                  function_share=_FUNCTION_SHARE,
                                  topic_share=settings.topic_share,
                                  content_at=np.flatnonzero(is_end))
    bodies = _write_body(forms, body_ids, body_comma, bounds, is_end, rng(_S_PARAGRAPHS))

    title_lengths = _TITLE_WORDS[0] + np.floor(
        u[:, 12] * (_TITLE_WORDS[1] - _TITLE_WORDS[0] + 1)).astype(np.int64)
    title_ids, _ = _words(rng(_S_TITLE), title_lengths, chosen, weights, topics,
                          function_share=0.25,
                          topic_share=min(1.0, 3 * settings.topic_share),
                          content_at=np.cumsum(title_lengths) - 1)
    titles = _write_line(forms, title_ids, title_lengths, None, _T_BARE)
    blurb_lengths = _BLURB_WORDS[0] + np.floor(
        u[:, 13] * (_BLURB_WORDS[1] - _BLURB_WORDS[0] + 1)).astype(np.int64)
    blurb_ids, blurb_comma = _words(rng(_S_BLURB), blurb_lengths, chosen, weights, topics,
                                    function_share=0.35,
                                    topic_share=min(1.0, 2.5 * settings.topic_share),
                                    content_at=np.cumsum(blurb_lengths) - 1)
    blurbs = _write_line(forms, blurb_ids, blurb_lengths, blurb_comma, _T_END)

    days = settings.first_day + np.floor(u[:, 11] * settings.days).astype(np.int64)
    dates = [dt.date.fromordinal(d).isoformat() for d in days.tolist()]

    # Tags: weighted sampling without replacement (keys E / w, smallest first) among the
    # tag lists of the article's topics, then the first 1-4 distinct ones.
    slot_weight = np.repeat(weights, _TAGS_PER_TOPIC, axis=1)
    keys = np.full(slot_weight.shape, np.inf)
    present = slot_weight > 0
    keys[present] = -np.log1p(-u[:, 18:30][present]) / slot_weight[present]
    order = np.argsort(keys, axis=1, kind="stable")[:, :_MAX_TAGS]
    slot_topic = np.repeat(chosen, _TAGS_PER_TOPIC, axis=1)
    slot_tag = np.tile(np.arange(_TAGS_PER_TOPIC), 3)[None, :].repeat(m, axis=0)
    rows = np.arange(m)[:, None]
    candidates = topics.tags[slot_topic[rows, order], slot_tag[rows, order]].tolist()
    has_tag = present[rows, order].tolist()
    n_tags = (1 + np.floor(u[:, 14] * _MAX_TAGS).astype(np.int64)).tolist()

    label_order = np.argsort(-weights, axis=1, kind="stable")
    label_topics = chosen[rows, label_order].tolist()
    label_present = (weights[rows, label_order] > 0).tolist()
    width = max(3, len(str(settings.n_topics - 1)))
    names = authors.names
    author_list = author.tolist()

    for i in range(m):
        ident = f"synthetic-{start + i:07d}"
        tags = [t for t, ok in zip(candidates[i], has_tag[i], strict=True) if ok]
        yield {
            "id": ident,
            "title": titles[i],
            "body": bodies[i],
            "author": names[author_list[i]],
            "date": dates[i],
            "blurb": blurbs[i],
            "tags": list(dict.fromkeys(tags))[:n_tags[i]],
            "lang": "pt",
            "url": f"https://revista.example/artigos/{ident}/",
            "labels": [f"t{t:0{width}d}"
                       for t, ok in zip(label_topics[i], label_present[i], strict=True) if ok],
        }


def _words(rng: np.random.Generator, lengths: np.ndarray, chosen: np.ndarray,
           weights: np.ndarray, topics: _Topics, *, function_share: float,
           topic_share: float, content_at: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Word ids for texts of the given lengths, concatenated, and where a comma may follow.

    One 64-bit draw per token: the top 32 bits choose the source (function word,
    background, one of the article's topics), bits 24-31 whether a comma follows (content
    words only), the low bits the slot in that source's table. Integer arithmetic only, so
    the choice does not depend on float rounding. Tokens at ``content_at`` (the ends of
    sentences) are always content words.
    """
    n = int(lengths.sum())
    raw = rng.bit_generator.random_raw(n)
    source = raw >> np.uint64(32)
    scale = float(1 << 32)
    f_cut = np.uint64(int(function_share * scale))
    bg_cut = f_cut + np.uint64(round((1 - topic_share) * (scale - int(f_cut))))
    # Squeeze the source of the forced tokens into the content range.
    span = np.uint64((1 << 32) - int(f_cut))
    source[content_at] = f_cut + ((source[content_at] * span) >> np.uint64(32))
    bits = topics.background_bits
    slot = raw & np.uint64((1 << bits) - 1)
    small = slot >> np.uint64(bits - _SMALL_BITS)
    small_size = 1 << _SMALL_BITS
    index = np.where(source < f_cut, small, slot + np.uint64(small_size)).astype(np.int64)

    topical = np.flatnonzero(source >= bg_cut)
    if topical.size:
        article = np.repeat(np.arange(len(lengths)), lengths)[topical]
        span = (1 << 32) - int(bg_cut)
        cumulative = np.cumsum(weights[:, :2], axis=1)
        cut = (int(bg_cut) + np.floor(cumulative * span)).astype(np.int64)
        # No slot after j carries weight: make its cut unreachable.
        cut[weights[:, 1] + weights[:, 2] == 0, 0] = 1 << 32
        cut[weights[:, 2] == 0, 1] = 1 << 32
        s = source[topical].astype(np.int64)
        which = (s >= cut[article, 0]).astype(np.int64) + (s >= cut[article, 1])
        topic = chosen[article, which]
        base = small_size + (1 << bits)
        index[topical] = base + topic * small_size + small[topical].astype(np.int64)
    ids = topics.lookup[index].astype(np.int64)
    comma_bits = (raw >> np.uint64(24)) & np.uint64(255)
    comma = (source >= f_cut) & (comma_bits < np.uint64(round(_COMMA_RATE * 256)))
    return ids, comma


def _render(forms: _Forms, ids: np.ndarray, capital: np.ndarray, trail: np.ndarray,
            bounds: np.ndarray) -> list[str]:
    """Join word forms into texts: one gather from the byte table, no loop over words."""
    codes = (trail.astype(np.int64) * 2 + capital) * len(forms.words) + ids
    flat = forms.table[codes].view(np.uint8)
    # Forms are left-aligned and NUL-padded; UTF-8 text has no NUL, so dropping the NULs
    # leaves exactly the concatenated forms.
    data = flat[flat.view(bool)].tobytes()
    offsets = np.concatenate([[0], np.cumsum(forms.lengths[codes])])[bounds].tolist()
    return [data[a:b].decode("utf-8") for a, b in zip(offsets[:-1], offsets[1:], strict=True)]


def _write_line(forms: _Forms, ids: np.ndarray, lengths: np.ndarray,
                comma: np.ndarray | None, last_trail: int) -> list[str]:
    """One capitalised sentence per text (title or blurb), commas where ``comma``."""
    bounds = np.concatenate([[0], np.cumsum(lengths)])
    n = int(bounds[-1])
    capital = np.zeros(n, dtype=np.int64)
    capital[bounds[:-1]] = 1
    trail = np.full(n, _T_SPACE, dtype=np.int64)
    if comma is not None:
        trail[comma] = _T_COMMA
    trail[bounds[1:] - 1] = last_trail
    return _render(forms, ids, capital, trail, bounds)


def _sentence_ends(bounds: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Where sentences end, as a mask over the block's tokens (``bounds``: article starts)."""
    n = int(bounds[-1])
    # Sentence lengths from one stream laid end to end over the block; drawing more later
    # continues the same sequence, so the result does not depend on the first guess.
    drawn = [np.empty(0)]
    total = 0.0
    guess = n // int(_SENTENCE_MEDIAN) + 16
    while total < n:
        more = np.clip(np.rint(rng.lognormal(math.log(_SENTENCE_MEDIAN), _SENTENCE_SIGMA,
                                             guess)), *_SENTENCE_RANGE)
        drawn.append(more)
        total += more.sum()
    ends = np.cumsum(np.concatenate(drawn)).astype(np.int64) - 1
    ends = ends[ends < n]
    # A sentence cut by an article boundary must leave at least 3 words on each side.
    article = np.searchsorted(bounds, ends, side="right") - 1
    keep = (ends - bounds[article] >= 2) & (bounds[article + 1] - 1 - ends >= 3)
    is_end = np.zeros(n, dtype=bool)
    is_end[ends[keep]] = True
    is_end[bounds[1:] - 1] = True
    return is_end


def _write_body(forms: _Forms, ids: np.ndarray, comma: np.ndarray, bounds: np.ndarray,
                is_end: np.ndarray, paragraph_rng: np.random.Generator) -> list[str]:
    """Bodies: sentences with commas and full stops, paragraphs split by blank lines."""
    n = int(bounds[-1])
    capital = np.zeros(n, dtype=np.int64)
    capital[0] = 1
    capital[1:] = is_end[:-1]
    trail = np.full(n, _T_SPACE, dtype=np.int64)
    trail[comma & ~is_end] = _T_COMMA
    end_at = np.flatnonzero(is_end)
    paragraph = _uniforms(paragraph_rng, end_at.size) < _PARAGRAPH_RATE
    trail[end_at] = np.where(paragraph, _T_PARAGRAPH, _T_STOP)
    trail[bounds[1:] - 1] = _T_END
    return _render(forms, ids, capital, trail, bounds)


# ---------------------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    """Write a synthetic corpus; print a one-line summary on stderr.

    Parameters
    ----------
    argv : list of str, optional
        Arguments without the program name; ``sys.argv[1:]`` when omitted.

    Returns
    -------
    int
        0 on success, 1 when the file cannot be written, 2 for invalid arguments.
    """
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.synthetic",
        description="Write a seeded synthetic magazine corpus as JSON Lines (.gz: gzip).")
    parser.add_argument("--n", type=int, required=True, help="number of articles")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--out", required=True, help="output path; .gz compresses")
    parser.add_argument("--mean-words", type=float, default=1200,
                        help="median body length in words (default 1200)")
    parser.add_argument("--sigma", type=float, default=0.5,
                        help="sigma of log body length (default 0.5)")
    parser.add_argument("--topics", type=int, default=None,
                        help="number of topics (default max(10, n // 100))")
    parser.add_argument("--authors", type=int, default=None,
                        help="number of authors (default max(10, n // 200))")
    parser.add_argument("--vocabulary-size", type=int, default=50_000,
                        help="generated content words (default 50000)")
    parser.add_argument("--topic-share", type=float, default=0.1,
                        help="fraction of content words from the article's topics (default 0.1)")
    parser.add_argument("--start-date", default="2005-01-01", help="first date (ISO)")
    parser.add_argument("--end-date", default="2024-12-31", help="last date (ISO)")
    args = parser.parse_args(argv)

    began = time.perf_counter()
    try:
        records = generate(args.n, seed=args.seed, mean_words=args.mean_words,
                           sigma=args.sigma, n_topics=args.topics, n_authors=args.authors,
                           vocabulary_size=args.vocabulary_size, start_date=args.start_date,
                           end_date=args.end_date, topic_share=args.topic_share)
    except (TypeError, ValueError) as error:
        print(f"python -m benchmarks.synthetic: error: {error}", file=sys.stderr)
        return 2
    words = 0

    def counted() -> Iterator[dict[str, Any]]:
        nonlocal words
        for record in records:
            body = record["body"]
            words += body.count(" ") + body.count("\n\n") + 1
            yield record

    try:
        count = write_jsonl(counted(), args.out)
        size = os.path.getsize(args.out)
    except OSError as error:
        print(f"python -m benchmarks.synthetic: cannot write {args.out}: {error}",
              file=sys.stderr)
        return 1
    seconds = time.perf_counter() - began
    print(f"{count} articles, {words} words, {size} bytes, {seconds:.2f} s -> {args.out} "
          f"(seed {args.seed}, generator v{GENERATOR_VERSION})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
