"""Articles sent to worker processes without growing the caller's own.

Pickling a ``str`` that is not pure ASCII makes CPython keep a UTF-8 copy of it inside
the string, for as long as the string lives (it is how ``PyUnicode_AsUTF8AndSize``
works). Shipping a corpus of Portuguese essays to the analysis workers that way left
every body the caller holds about twice its size: 0.7 GB more at 100,000 essays,
after the fit was over. Encoding the strings here instead makes bytes that go away
once sent, and leaves the caller's strings as they were.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from .corpus import Article

__all__ = ["ship", "unship"]

_FIELDS = tuple(field.name for field in dataclasses.fields(Article))


def _encoded(value: Any) -> Any:
    if isinstance(value, str):
        return value.encode("utf-8", "surrogatepass")
    if isinstance(value, tuple):
        return tuple(map(_encoded, value))
    return value


def _decoded(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.decode("utf-8", "surrogatepass")
    if isinstance(value, tuple):
        return tuple(map(_decoded, value))
    return value


def ship(articles: Sequence[Article]) -> list[tuple]:
    """Each article's field values, strings as UTF-8 bytes, for pickling.

    >>> shipped = ship([Article(id="a", title="Ação", body="Reforma agrária")])
    >>> shipped[0][:3]
    (b'a', b'A\\xc3\\xa7\\xc3\\xa3o', b'Reforma agr\\xc3\\xa1ria')
    >>> unship(shipped)[0].title
    'Ação'
    """
    return [tuple(_encoded(getattr(article, name)) for name in _FIELDS) for article in articles]


def unship(shipped: Sequence[tuple]) -> list[Article]:
    """The articles :func:`ship` was given, equal to them (they were checked when made,
    so they are not checked again)."""
    articles = []
    for values in shipped:
        article = object.__new__(Article)
        for name, value in zip(_FIELDS, values, strict=True):
            object.__setattr__(article, name, _decoded(value))
        articles.append(article)
    return articles
