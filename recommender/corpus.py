"""Articles: the validated unit of input, and loading them from files.

Validation collects every problem before raising, so one run tells the user
everything that is wrong with a file.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from .errors import ConfigError, CorpusError
from .formats import READERS, Problem, Record, describe_value, detect_format

__all__ = ["Article", "CorpusWarning", "iter_articles", "load_articles", "clean_text", "LANGUAGES",
           "MAX_REPORTED_PROBLEMS", "MAX_BODY_CHARS", "MAX_FIELD_CHARS"]

#: Languages the analysis knows; ``lang`` must be one of them when given.
LANGUAGES = ("pt", "en")

#: Problems listed in one error; the rest are counted.
MAX_REPORTED_PROBLEMS = 100

#: Characters of a body that are kept; the rest is cut off, with a :class:`CorpusWarning`.
#: Two million characters is about 300,000 words: several books, ten times the longest
#: essay. Without a cap, analysing one 50 MB body takes gigabytes for a moment.
MAX_BODY_CHARS = 2_000_000

#: Characters kept of every other text field (title, blurb, url, each author and tag).
MAX_FIELD_CHARS = 100_000

_TEXT_FIELDS = ("title", "body", "url", "blurb", "translation_of")

# Fields shown on one line (a sidebar, a terminal): line breaks in them become spaces.
_ONE_LINE_FIELDS = frozenset({"title", "url", "blurb", "author", "tags"})


class CorpusWarning(UserWarning):
    """Input that was accepted after a change the user should know about (a cut-off body)."""


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
        notes: list[tuple[str, str]] = []
        values, problems = _coerce(
            {name: getattr(self, name) for name in self.__dataclass_fields__}, notes
        )
        label = values["id"] if "id" in values else "<article>"
        if problems:
            raise CorpusError([f"{label}: {name}: {message}" for name, message in problems])
        for name, message in notes:
            warnings.warn(f"{label}: {name}: {message}", CorpusWarning, stacklevel=3)
        for name, value in values.items():
            object.__setattr__(self, name, value)

    @property
    def text(self) -> str:
        """Title and body joined, as free text."""
        return f"{self.title}\n{self.body}" if self.title and self.body else self.title or self.body


def _coerce(
    values: dict[str, Any], notes: list[tuple[str, str]] | None = None
) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """Check and normalise field values; return them with (field, message) problems.

    Text is cleaned (:func:`clean_text`) and cut to its maximum length; each cut
    is added to ``notes`` as (field, message) when a list is given.
    """
    out: dict[str, Any] = {}
    problems: list[tuple[str, str]] = []
    notes = [] if notes is None else notes

    ident = values.get("id")
    if ident is None:
        problems.append(("id", "missing (every article needs a unique string id)"))
    elif not isinstance(ident, str):
        problems.append(("id", f"must be a string, got {describe_value(ident)}"))
    elif not ident.strip():
        problems.append(("id", "must not be empty"))
    elif (bad := _invalid_unicode(ident)) is not None:
        problems.append(("id", f"{bad}; ids are shown and linked, so they must be plain text"))
    elif _UNPRINTABLE.search(ident):
        char = _UNPRINTABLE.search(ident)[0]
        problems.append(("id", f"holds the control character U+{ord(char):04X} "
                               f"({describe_value(ident)}); ids must be printable"))
    else:
        out["id"] = ident

    for name in _TEXT_FIELDS:
        value = values.get(name)
        if value is None:
            out[name] = "" if name in ("title", "body") else None
        elif not isinstance(value, str):
            problems.append((name, f"must be a string, got {describe_value(value)}"))
        elif (bad := _invalid_unicode(value)) is not None:
            problems.append((name, bad))
        elif name == "translation_of":  # an id: checked against the corpus by fit
            out[name] = value
        else:
            out[name] = _clean_field(name, value, notes)
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
    for name in ("author", "tags"):
        cleaned = tuple(_clean_field(name, item, notes) for item in out[name])
        out[name] = tuple(item for item in cleaned if item.strip())

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
        problems.append(("date", f"must be an ISO 8601 string, got {describe_value(date)}"))

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
            item = describe_value(value[bad[0]])
            problems.append((name, f"item {bad[0]} must be a string, got {item}"))
            return ()
        for item in value:
            if (message := _invalid_unicode(item)) is not None:
                problems.append((name, message))
                return ()
        return tuple(item for item in value if item.strip())
    kind = "a string or a list of strings" if allow_str else "a list of strings"
    problems.append((name, f"must be {kind}, got {describe_value(value)}"))
    return ()


def parse_date(text: str) -> dt.date | dt.datetime | None:
    """Parse an ISO 8601 date (``2024-07-21``) or datetime; None when it is not one
    (also when ``text`` is not a string)."""
    if not isinstance(text, str):
        return None
    text = text.strip()
    try:
        if len(text) == 10:
            return dt.date.fromisoformat(text)
        return dt.datetime.fromisoformat(text)
    except ValueError:
        return None


# -- cleaning text ------------------------------------------------------------------

# Terminal escape sequences (ECMA-48), so that neither their letters reach the index
# ("\x1b[31m" would give the token "31m") nor the sequences a terminal printing a
# title: CSI (colours, cursor moves), string commands up to their terminator (OSC sets
# a window title or a hyperlink; bounded, so a stray ESC ] never swallows a body), and
# two-character escapes.
_ESCAPE_SEQUENCE = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]{0,64}[ -/]{0,16}[@-~]"
    r"|(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c]{0,4096}?(?:\x07|\x1b\\|\x9c)"
    r"|\x1b[ -/]{0,16}[0-~]"
)
# Characters that end a line or a page, or separate records: whitespace in prose.
_BREAKS = "\t\n\x0b\x0c\r\x1c-\x1f\x85\u2028\u2029"
_LINE_BREAKS = re.compile(f"[ \t]*[{_BREAKS}]+[ \t]*")
# Every other control character (C0, DEL, C1): never text.
_CONTROLS = re.compile("[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f]")
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_NEEDS_CLEANING = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")
_PAGE_BREAKS = re.compile("\r\n?|[\x0b\x0c\x1c-\x1f\x85\u2028\u2029]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def clean_text(text: str, *, one_line: bool = False) -> str:
    r"""Remove what is not text from ``text``: terminal escape sequences and control
    characters.

    NUL, bell, backspace, ESC and the rest of the C0 and C1 control characters are
    dropped, with the escape sequences they start (``\x1b[31m``, ``\x1b]0;...\x07``).
    Tabs and line breaks stay, except that form feed, vertical tab, the separators
    U+001C–U+001F, NEL and U+2028/U+2029 become line ends (CR and CRLF too); with
    ``one_line``, every line break and the blanks around it become one space and
    the result is stripped. Text that needs no cleaning is returned unchanged.

    Examples
    --------
    >>> clean_text("Terra\x1b[31m vermelha\x1b[0m\x00")
    'Terra vermelha'
    >>> clean_text("Título\r\n  em duas linhas\n", one_line=True)
    'Título em duas linhas'
    """
    if not _NEEDS_CLEANING.search(text) and not (one_line and ("\n" in text or "\t" in text)):
        return text
    if "\x1b" in text or not text.isascii():
        text = _ESCAPE_SEQUENCE.sub("", text)
    text = _CONTROLS.sub("", text)
    if one_line:
        return _LINE_BREAKS.sub(" ", text).strip()
    return _PAGE_BREAKS.sub("\n", text)


def _invalid_unicode(text: str) -> str | None:
    """A message when ``text`` holds a lone surrogate (JSON's ``"\\ud800"``), else None."""
    match = _SURROGATE.search(text)
    if match is None:
        return None
    return (f"holds a lone surrogate U+{ord(match[0]):04X} at character {match.start() + 1}, "
            "which is not valid Unicode (a broken \\u escape?)")


# Images pasted into a post end up inline as base64 (src="data:image/png;base64,...");
# they are no text, and go first when a body is too long.
_DATA_URI = re.compile(r"data:[\w.+-]+/[\w.+-]+;base64,[A-Za-z0-9+/=\s]{1000,}", re.IGNORECASE)


def _clean_field(name: str, value: str, notes: list[tuple[str, str]]) -> str:
    limit = MAX_BODY_CHARS if name == "body" else MAX_FIELD_CHARS
    if len(value) > limit:
        size = len(value)
        if name == "body":
            value = _DATA_URI.sub("data:", value)
        if len(value) > limit:
            cut = value.rfind(" ", limit - 1000, limit)
            cut = cut if cut > 0 else limit
            notes.append((name, f"{size:,} characters, more than the {limit:,} kept; "
                                f"cut after character {cut:,}"))
            value = value[:cut]
    return clean_text(value, one_line=name in _ONE_LINE_FIELDS)


def articles_from_records(items: Iterable[Record | Problem]) -> list[Article]:
    """Validate raw records into Articles, raising one CorpusError that lists every problem.

    Duplicate ids are reported with both places, also across files. Text is
    cleaned as :class:`Article` cleans it; a field cut to its maximum length gives a
    :class:`CorpusWarning` naming the file and line.
    """
    return list(_validated(items))


def _validated(items: Iterable[Record | Problem]) -> Iterator[Article]:
    """Articles of valid records as they are read, until the first problem; after it,
    the rest is only checked, and one CorpusError listing every problem ends the stream."""
    problems = _Problems()
    first_seen: dict[str, tuple[str, int]] = {}
    for item in items:
        if isinstance(item, Problem):
            problems.add(str(item))
            continue
        notes: list[tuple[str, str]] = []
        values, found = _coerce(item.fields, notes)
        where = f"{item.source}:{item.line}"
        for name, message in found:
            problems.add(f"{where}: {name}: {message}")
        ident = values.get("id")
        if ident is not None:
            if ident in first_seen:
                source, line = first_seen[ident]
                place = f"line {line}" if source == item.source else f"{source}:{line}"
                problems.add(f"{where}: id: duplicate id {ident!r} (first used on {place})")
                continue
            first_seen[ident] = (item.source, item.line)
        if not found:
            for name, message in notes:
                warnings.warn(f"{where}: {name}: {message}", CorpusWarning, stacklevel=3)
            if not problems:  # once the corpus is bad, only its problems are wanted
                yield Article(**values)
    if problems:
        raise CorpusError(problems.listed())


class CorpusCheck:
    """Checks a stream of articles for fitting as it passes, without holding it.

    :meth:`admitted` passes the articles on, and stops passing them (but goes on
    checking) at the first problem: a non-Article or a repeated id. Pins can name
    later articles, so they are checked by :meth:`raise_problems`, which raises one
    CorpusError listing every problem, and re-raises what the stream itself raised.
    """

    def __init__(self) -> None:
        self.problems = _Problems()
        self.error: BaseException | None = None
        self.count = 0
        self._seen: dict[str, int] = {}
        self._pins: list[tuple[str, tuple[str, ...]]] = []

    def admitted(self, articles: Iterable[Any]) -> Iterator[Article]:
        """``articles`` that can be indexed, while none was found wrong.

        An exception of the stream (such as the CorpusError of :func:`iter_articles`)
        ends it quietly here, to be raised by :meth:`raise_problems` in the caller's
        thread: the stream may be read by a thread that dispatches work to processes.
        """
        try:
            for position, article in enumerate(articles):
                self.count += 1
                if not isinstance(article, Article):
                    self.problems.add(f"item {position}: expected an Article, "
                                      f"got {type(article).__name__}")
                elif article.id in self._seen:
                    self.problems.add(f"item {position}: id: duplicate id {article.id!r} "
                                      f"(first used by item {self._seen[article.id]})")
                else:
                    self._seen[article.id] = position
                    if article.related:
                        self._pins.append((article.id, article.related))
                    if not self.problems:
                        yield article
        except Exception as exc:  # noqa: BLE001 - re-raised by raise_problems
            self.error = exc

    def raise_problems(self) -> None:
        """Raise what the stream raised, or a CorpusError listing every problem found."""
        if self.error is not None:
            raise self.error
        if not self.count:
            raise CorpusError("cannot fit an index on an empty corpus: no articles were given")
        for ident, pins in self._pins:
            for pin in pins:
                if pin not in self._seen:
                    self.problems.add(f"article {ident!r}: related: pins unknown article id "
                                      f"{pin!r}")
                elif pin == ident:
                    self.problems.add(f"article {ident!r}: related: an article cannot pin "
                                      "itself")
        if self.problems:
            raise CorpusError(self.problems.listed())


class _Problems:
    """The first :data:`MAX_REPORTED_PROBLEMS` problems and a count of the rest, so that
    a file with millions of bad lines is reported in bounded memory."""

    def __init__(self) -> None:
        self.shown: list[str] = []
        self.more = 0

    def add(self, problem: str) -> None:
        if len(self.shown) < MAX_REPORTED_PROBLEMS:
            self.shown.append(problem)
        else:
            self.more += 1

    def __bool__(self) -> bool:
        return bool(self.shown)

    def listed(self) -> list[str]:
        if not self.more:
            return self.shown
        return [*self.shown, f"... and {self.more} more problems"]


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

    See Also
    --------
    iter_articles : the same articles one at a time, for archives too big to hold.

    Examples
    --------
    >>> articles = load_articles("fixtures/articles.jsonl")
    >>> len(articles) > 80
    True
    """
    return list(iter_articles(paths, format=format))


def iter_articles(
    paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
    *,
    format: str | None = None,
) -> Iterator[Article]:
    """Read and validate articles from files, one at a time as they are read.

    The same articles as :func:`load_articles`, for :meth:`RelatedIndex.fit
    <recommender.RelatedIndex.fit>` to index an archive without holding every body
    in memory. Validation is the same too, but a stream cannot take back what it
    has given: the articles before the first problem are yielded, then the rest of
    the input is only checked, and the :class:`~recommender.errors.CorpusError`
    listing every problem comes at the end, in place of the next article.
    ``fit`` then fails as a whole.

    Parameters
    ----------
    paths : path or iterable of paths
        As for :func:`load_articles`.
    format : {"jsonl", "wxr", "csv", "markdown"}, optional
        As for :func:`load_articles`.

    Returns
    -------
    iterator of Article
        In input order (inputs in the order given).

    Raises
    ------
    ConfigError
        At once (not when iterating): an unknown ``format``, or an input whose
        format cannot be told from its name.
    CorpusError
        When the stream ends, if it found problems: every one, as for
        :func:`load_articles`.

    Examples
    --------
    >>> from recommender import RelatedIndex
    >>> index = RelatedIndex().fit(iter_articles("fixtures/articles.jsonl"))
    >>> len(index) > 80
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
    inputs = [(path, _reader_of(path, format)) for path in paths]
    return _validated(_records(inputs))


def _reader_of(path: str, format: str | None) -> Any:
    """The reader of ``path``, or None when the file does not exist (reported when read)."""
    if format is not None:
        return READERS[format]
    try:
        return READERS[detect_format(path)]
    except FileNotFoundError:
        return None
    except ValueError as exc:  # detect_format: a name it cannot place
        raise ConfigError(str(exc)) from None


def _records(inputs: list[tuple[str, Any]]) -> Iterator[Record | Problem]:
    for path, reader in inputs:
        if reader is None:
            yield Problem(path, None, "file", "no such file or directory")
            continue
        count = 0
        try:
            for record in reader(path):
                count += 1
                yield record
        except FileNotFoundError:
            yield Problem(path, None, "file", "no such file or directory")
            continue
        except IsADirectoryError:
            yield Problem(path, None, "file", "is a directory; a folder of Markdown "
                          "files needs --format markdown")
            continue
        except (OSError, EOFError) as exc:
            yield Problem(path, None, "file", f"cannot be read: {exc}")
            continue
        if count == 0:
            yield Problem(path, None, "file", "holds no articles (empty, or nothing "
                          "published in it)")
