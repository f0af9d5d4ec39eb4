"""Articles: the validated unit of input, and loading them from files.

Validation collects every problem before raising, so one run tells the user
everything that is wrong with a file.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .errors import ConfigError, CorpusError
from .formats import READERS, Problem, Record, detect_format

__all__ = ["Article", "load_articles", "LANGUAGES", "MAX_REPORTED_PROBLEMS"]

#: Languages the analysis knows; ``lang`` must be one of them when given.
LANGUAGES = ("pt", "en")

#: Problems listed in one error; the rest are counted.
MAX_REPORTED_PROBLEMS = 100

_TEXT_FIELDS = ("title", "body", "url", "blurb", "translation_of")


@dataclass(frozen=True, slots=True)
class Article:
    """One article of the corpus.

    Parameters
    ----------
    id : str
        Unique, non-empty identifier (a slug or a post id).
    title, body : str
        At least one must be non-empty. ``body`` may be plain text or HTML.
    url : str, optional
        Where the article lives; shown as the link in a sidebar.
    author : str or sequence of str
        Stored as a tuple of names.
    date : datetime.date, datetime.datetime or ISO 8601 str, optional
        Publication date; a string is parsed.
    blurb : str, optional
        The short teaser a sidebar shows.
    tags : sequence of str
        Stored as a tuple.
    lang : {"pt", "en"}, optional
        Detected from the text when absent.
    translation_of : str, optional
        Id of the article this one translates; translations are never listed
        as related to each other, and are offered separately.
    related : sequence of str
        Editor's pins: these article ids head the related list, in this order.

    Raises
    ------
    CorpusError
        Listing every invalid field.

    Examples
    --------
    >>> a = Article(id="a1", title="Clarice Lispector no cinema", author="Luciana Molina",
    ...             date="2024-07-22")
    >>> a.author, a.date
    (('Luciana Molina',), datetime.date(2024, 7, 22))
    """

    id: str
    title: str = ""
    body: str = ""
    url: str | None = None
    author: tuple[str, ...] = field(default=())
    date: dt.date | None = None
    blurb: str | None = None
    tags: tuple[str, ...] = field(default=())
    lang: str | None = None
    translation_of: str | None = None
    related: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        values, problems = _coerce(
            {name: getattr(self, name) for name in self.__dataclass_fields__}
        )
        if problems:
            label = self.id if isinstance(self.id, str) and self.id else "<article>"
            raise CorpusError([f"{label}: {name}: {message}" for name, message in problems])
        for name, value in values.items():
            object.__setattr__(self, name, value)

    @property
    def text(self) -> str:
        """Title and body joined, as free text."""
        return f"{self.title}\n{self.body}" if self.title and self.body else self.title or self.body


def _coerce(values: dict[str, Any]) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """Check and normalise field values; return them with (field, message) problems."""
    out: dict[str, Any] = {}
    problems: list[tuple[str, str]] = []

    ident = values.get("id")
    if ident is None:
        problems.append(("id", "missing (every article needs a unique string id)"))
    elif not isinstance(ident, str):
        problems.append(("id", f"must be a string, got {_describe(ident)}"))
    elif not ident.strip():
        problems.append(("id", "must not be empty"))
    else:
        out["id"] = ident

    for name in _TEXT_FIELDS:
        value = values.get(name)
        if value is None:
            out[name] = "" if name in ("title", "body") else None
        elif isinstance(value, str):
            out[name] = value
        else:
            problems.append((name, f"must be a string, got {_describe(value)}"))
    if (
        isinstance(values.get("title", ""), str | None)
        and isinstance(values.get("body", ""), str | None)
        and not (values.get("title") or "").strip()
        and not (values.get("body") or "").strip()
    ):
        problems.append(("title", "title and body are both empty; one must have text"))

    out["author"] = _string_tuple(values.get("author"), "author", problems, allow_str=True)
    out["tags"] = _string_tuple(values.get("tags"), "tags", problems, allow_str=False)
    out["related"] = _string_tuple(values.get("related"), "related", problems, allow_str=False)

    date = values.get("date")
    if date is None or isinstance(date, dt.date):
        out["date"] = date
    elif isinstance(date, str):
        parsed = parse_date(date)
        if parsed is None:
            problems.append(("date", f"{date!r} is not an ISO 8601 date or datetime "
                                     "(expected e.g. 2024-07-21 or 2024-07-21T09:30:00-03:00)"))
        out["date"] = parsed
    else:
        problems.append(("date", f"must be an ISO 8601 string, got {_describe(date)}"))

    lang = values.get("lang")
    if lang is None or lang in LANGUAGES:
        out["lang"] = lang
    else:
        allowed = " or ".join(repr(x) for x in LANGUAGES)
        problems.append(("lang", f"must be {allowed}, got {lang!r}"))
    return out, problems


def _string_tuple(value: Any, name: str, problems: list, *, allow_str: bool) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        if allow_str:
            return (value,) if value.strip() else ()
        problems.append((name, f"must be a list of strings, got a string {value!r}"))
        return ()
    if isinstance(value, list | tuple):
        bad = [i for i, item in enumerate(value) if not isinstance(item, str)]
        if bad:
            problems.append((name, f"item {bad[0]} must be a string, got {_describe(value[bad[0]])}"))
            return ()
        return tuple(item for item in value if item.strip())
    kind = "a string or a list of strings" if allow_str else "a list of strings"
    problems.append((name, f"must be {kind}, got {_describe(value)}"))
    return ()


def parse_date(text: str) -> dt.date | dt.datetime | None:
    """Parse an ISO 8601 date (``2024-07-21``) or datetime; None when it is not one."""
    text = text.strip()
    try:
        if len(text) == 10:
            return dt.date.fromisoformat(text)
        return dt.datetime.fromisoformat(text)
    except ValueError:
        return None


def _describe(value: Any) -> str:
    names = {bool: "a boolean", int: "a number", float: "a number", list: "a list",
             dict: "an object", str: "a string"}
    return f"{names.get(type(value), type(value).__name__)} {value!r}"[:80]


def articles_from_records(items: Iterable[Record | Problem]) -> list[Article]:
    """Validate raw records into Articles, raising one CorpusError that lists every problem.

    Duplicate ids are reported with both places, also across files.
    """
    articles: list[Article] = []
    problems: list[str] = []
    first_seen: dict[str, tuple[str, int]] = {}
    for item in items:
        if isinstance(item, Problem):
            problems.append(str(item))
            continue
        values, found = _coerce(item.fields)
        where = f"{item.source}:{item.line}"
        problems.extend(f"{where}: {name}: {message}" for name, message in found)
        ident = values.get("id")
        if ident is not None:
            if ident in first_seen:
                source, line = first_seen[ident]
                place = f"line {line}" if source == item.source else f"{source}:{line}"
                problems.append(f"{where}: id: duplicate id {ident!r} (first used on {place})")
                continue
            first_seen[ident] = (item.source, item.line)
        if not found:
            articles.append(Article(**values))
    if problems:
        raise CorpusError(_capped(problems))
    return articles


def _capped(problems: list[str]) -> list[str]:
    if len(problems) <= MAX_REPORTED_PROBLEMS:
        return problems
    rest = len(problems) - MAX_REPORTED_PROBLEMS
    return problems[:MAX_REPORTED_PROBLEMS] + [f"... and {rest} more problems"]


def load_articles(
    paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
    *,
    format: str | None = None,
) -> list[Article]:
    """Read and validate articles from files.

    Parameters
    ----------
    paths : path or iterable of paths
        One input or several: JSON Lines (``.jsonl``, ``.jsonl.gz``), a
        WordPress export (``.xml``), CSV (``.csv``), or a folder of Markdown
        files with front matter (Hugo, Jekyll).
    format : {"jsonl", "wxr", "csv", "markdown"}, optional
        Read every input in this format instead of detecting it by extension.

    Returns
    -------
    list of Article
        In input order (inputs in the order given).

    Raises
    ------
    CorpusError
        Listing every problem found, each as ``path:line: field: message``:
        unreadable files, invalid UTF-8, malformed records, wrong field types,
        duplicate ids (naming both places), inputs without articles.
    ConfigError
        An unknown ``format``, or an input whose format cannot be told from
        its name.

    Examples
    --------
    >>> articles = load_articles("fixtures/articles.jsonl")
    >>> len(articles) > 80
    True
    """
    if isinstance(paths, str | os.PathLike):
        paths = [paths]
    paths = [os.fspath(p) for p in paths]
    if not paths:
        raise CorpusError("no input files given")
    if format is not None and format not in READERS:
        raise ConfigError(f"unknown input format {format!r}; known formats are "
                          f"{', '.join(sorted(READERS))}")
    opened: list[Record | Problem] = []
    for path in paths:
        before = len(opened)
        try:
            reader = READERS[format or detect_format(path)]
            opened.extend(reader(path))
        except FileNotFoundError:
            opened.append(Problem(path, None, "file", "no such file or directory"))
            continue
        except ValueError as exc:  # detect_format: a name it cannot place
            raise ConfigError(str(exc)) from None
        except IsADirectoryError:
            opened.append(Problem(path, None, "file", "is a directory; a folder of Markdown "
                                  "files needs --format markdown"))
            continue
        except (OSError, EOFError) as exc:
            opened.append(Problem(path, None, "file", f"cannot be read: {exc}"))
            continue
        if len(opened) == before:
            opened.append(Problem(path, None, "file", "holds no articles (empty, or nothing "
                                  "published in it)"))
    return articles_from_records(opened)
