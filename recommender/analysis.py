"""Turning articles and free text into per-field token lists.

Prose fields (title, blurb, body) go through the :class:`~recommender.text.Analyzer`;
tags and authors are identifiers, so each becomes one token with a prefix that
no word token can have (``tag:…``, ``author:…``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from itertools import islice
from typing import Any

from .corpus import Article, clean_text
from .markup import html_to_text
from .parallel import in_process, parallel_map
from .shipping import ship, unship
from .text import Analyzer, detect_language, fold

__all__ = ["make_analyzer", "analyse_article", "analyse_articles", "analyse_text",
           "map_chunks", "prepared_text", "worker_analyzer"]

_NON_WORD = re.compile(r"[\W_]+")
_LANGUAGE_SAMPLE = 4000  # characters of text enough to tell Portuguese from English


def make_analyzer(settings: Mapping[str, Any]) -> Analyzer:
    """The text analyzer the index settings describe."""
    return Analyzer(
        stop_words=settings["stop_words"],
        stemmer=settings["stemmer"],
        numbers=settings["numbers"],
        ngram_range=tuple(settings["ngram_range"]),
    )


def identifier_token(prefix: str, value: str) -> str | None:
    """``tag:geopolitica`` from ("tag", "Geopolítica"); None for an empty value."""
    key = _NON_WORD.sub("_", fold(value)).strip("_")
    return f"{prefix}:{key}" if key else None


def analyse_article(article: Article, analyzer: Analyzer) -> tuple[str, dict[str, list[str]]]:
    """The article's language and its tokens per field."""
    body = html_to_text(article.body) if article.body else ""
    blurb = html_to_text(article.blurb) if article.blurb else ""
    title = html_to_text(article.title) if article.title else ""
    lang = article.lang or detect_language(f"{title}\n{blurb}\n{body[:_LANGUAGE_SAMPLE]}")
    fields = {
        "title": analyzer(title, lang=lang) if title else [],
        "blurb": analyzer(blurb, lang=lang) if blurb else [],
        "body": analyzer(body, lang=lang) if body else [],
        "tags": _identifiers("tag", article.tags),
        "author": _identifiers("author", article.author),
    }
    return lang, fields


def _identifiers(prefix: str, values: Sequence[str]) -> list[str]:
    return [t for t in (identifier_token(prefix, v) for v in values) if t is not None]


_WORKER_ANALYZERS: dict[str, Analyzer] = {}


def worker_analyzer(analyzer_settings: dict[str, Any]) -> Analyzer:
    """The analyzer of these settings in this (worker) process: one per process, so its
    token cache stays warm from chunk to chunk instead of starting cold each time."""
    key = json.dumps(analyzer_settings, sort_keys=True, default=list)
    analyzer = _WORKER_ANALYZERS.get(key)
    if analyzer is None:
        analyzer = _WORKER_ANALYZERS[key] = Analyzer.from_settings(analyzer_settings)
    return analyzer


def _analyse_chunk(articles: Sequence[Article], analyzer: Analyzer):
    return [analyse_article(a, analyzer) for a in articles]


def chunked(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    """Lists of ``size`` consecutive items (the last one shorter), read lazily."""
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def _released(head: list[Any], rest: Iterator[Any]) -> Iterator[Any]:
    """The items of ``head``, then of ``rest``, each let go of once given."""
    head.reverse()
    while head:
        yield head.pop()
    yield from rest


def map_chunks(articles: Iterable[Article], analyzer: Analyzer,
               work: Callable[..., Any], *args: Any, n_jobs: int | None = None,
               chunk_size: int = 500, backend: str = "loky",
               scheduler: str | None = None) -> Iterator[Any]:
    """``work(chunk, analyzer, *args)`` for each chunk of articles, in order: here, or
    with ``n_jobs`` other than 1 or on a Dask cluster (``backend``, ``scheduler``: see
    :func:`~recommender.parallel.parallel_map`) in workers, each with its own warm
    analyzer of the same settings (``work`` must then be a module-level function)."""
    chunks = chunked(articles, chunk_size)  # a stream is read as the work goes on
    head = list(islice(chunks, 2))  # workers only pay off from two chunks on
    tasks = len(head)
    chunks = _released(head, chunks)
    if in_process(n_jobs, backend, tasks):
        return (work(chunk, analyzer, *args) for chunk in chunks)
    settings = analyzer.settings()
    return parallel_map(_in_worker, ((work, ship(chunk), settings, *args) for chunk in chunks),
                        n_jobs=n_jobs, backend=backend, scheduler=scheduler)


def _in_worker(work: Callable[..., Any], shipped: list[tuple],
               analyzer_settings: dict[str, Any], *args: Any) -> Any:
    return work(unship(shipped), worker_analyzer(analyzer_settings), *args)


def analyse_articles(
    articles: Sequence[Article], analyzer: Analyzer, *, n_jobs: int | None = None,
    progress: Callable[[int], None] | None = None, chunk_size: int = 500,
    backend: str = "loky", scheduler: str | None = None,
) -> list[tuple[str, dict[str, list[str]]]]:
    """Analyse every article, in order; with ``n_jobs`` other than 1 or on a Dask
    cluster, in parallel (see :func:`map_chunks`). The result does not depend on
    ``n_jobs`` or ``backend``. ``progress`` is called with the number of articles done
    after each chunk."""
    parts = map_chunks(articles, analyzer, _analyse_chunk, n_jobs=n_jobs, chunk_size=chunk_size,
                       backend=backend, scheduler=scheduler)
    analysed: list[tuple[str, dict[str, list[str]]]] = []
    for part in parts:
        analysed.extend(part)
        if progress is not None:
            progress(len(part))
    return analysed


def analyse_text(text: str, analyzer: Analyzer, lang: str | None = None) -> list[str]:
    """Tokens of free text (plain or HTML), its language detected when not given.

    The text is cleaned as article text is (:func:`~recommender.corpus.clean_text`):
    control characters and terminal escape sequences are no words."""
    return analyzer(*prepared_text(text, analyzer, lang))


def prepared_text(text: str, analyzer: Analyzer, lang: str | None = None
                  ) -> tuple[str, str | None]:
    """Free text as :func:`analyse_text` hands it to the analyzer: cleaned, HTML turned
    to text, and its language (detected when not given and the analyzer stems)."""
    plain = html_to_text(clean_text(text))
    if lang is None and analyzer.stems:  # without a stemmer the language changes nothing
        lang = detect_language(plain[:_LANGUAGE_SAMPLE])
    return plain, lang
