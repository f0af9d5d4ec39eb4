"""Readers for input formats. Each reader yields :class:`Record` items, one per
source line or entry, and never validates fields: :mod:`recommender.corpus` does.

Every reader takes one path and yields a :class:`Record` per article or a
:class:`Problem` per defect; it never raises for bad content (``OSError``
propagates). Record fields use the JSON Lines names (``id``, ``title``,
``body``, ``url``, ``author``, ``date``, ``blurb``, ``tags``, ``lang``).

==========  ===============================  =========================================
name        reader                           input
==========  ===============================  =========================================
jsonl       ``jsonl.read_jsonl``             ``.jsonl``, ``.ndjson`` (``.gz`` too)
wxr         ``wxr.read_wxr``                 WordPress export (Tools → Export), ``.xml``
csv         ``csvfile.read_csv``             ``.csv`` with the field names as header
markdown    ``markdown.read_markdown``       a directory of Hugo / Jekyll ``.md`` files
==========  ===============================  =========================================
"""

from __future__ import annotations

import errno
import os
import reprlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

__all__ = ["Record", "Problem", "READERS", "detect_format"]


@dataclass(frozen=True, slots=True)
class Record:
    """One raw article record as read from its source.

    Attributes
    ----------
    source : str
        The file it came from, as the user named it.
    line : int
        1-based line number where the record starts.
    fields : dict
        The record's keys and values, untouched.
    """

    source: str
    line: int
    fields: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Problem:
    """A defect found while reading: ``source:line: field: message``."""

    source: str
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = self.source if self.line is None else f"{self.source}:{self.line}"
        return f"{where}: {self.field}: {self.message}"


# The readers are imported when first called, so that importing the package
# does not load XML, CSV or YAML machinery that a JSON Lines user never needs.


def _read_jsonl(path: str | os.PathLike[str], **options: Any) -> Iterator[Record | Problem]:
    from .jsonl import read_jsonl

    return read_jsonl(path, **options)


def _read_wxr(path: str | os.PathLike[str], **options: Any) -> Iterator[Record | Problem]:
    from .wxr import read_wxr

    return read_wxr(path, **options)


def _read_csv(path: str | os.PathLike[str], **options: Any) -> Iterator[Record | Problem]:
    from .csvfile import read_csv

    return read_csv(path, **options)


def _read_markdown(path: str | os.PathLike[str], **options: Any) -> Iterator[Record | Problem]:
    from .markdown import read_markdown

    return read_markdown(path, **options)


#: Format name -> reader. Each takes one path (and its reader's keyword options,
#: such as ``post_types`` for ``wxr``) and yields Records and Problems.
READERS: dict[str, Callable[..., Iterator[Record | Problem]]] = {
    "jsonl": _read_jsonl,
    "wxr": _read_wxr,
    "csv": _read_csv,
    "markdown": _read_markdown,
}

_SUFFIXES = (
    (".jsonl", "jsonl"), (".jsonl.gz", "jsonl"), (".ndjson", "jsonl"), (".ndjson.gz", "jsonl"),
    (".xml", "wxr"), (".csv", "csv"), (".md", "markdown"), (".markdown", "markdown"),
)  # fmt: skip


def detect_format(path: str | os.PathLike[str]) -> str:
    """Name the reader for ``path``, a key of :data:`READERS`, from its name.

    ``.jsonl``, ``.jsonl.gz``, ``.ndjson`` (and ``.ndjson.gz``) are ``jsonl``;
    ``.xml`` is ``wxr``; ``.csv`` is ``csv``; a directory, or a single ``.md``
    or ``.markdown`` file, is ``markdown``. Case is ignored. Only the name is
    looked at, except to tell whether a path without a known suffix is a
    directory.

    Raises
    ------
    FileNotFoundError
        When ``path`` has no known suffix and does not exist.
    ValueError
        When ``path`` is an existing file with no known suffix; the message lists
        the known formats and suggests ``--format``.

    Examples
    --------
    >>> detect_format("export.XML"), detect_format("artigos.jsonl.gz")
    ('wxr', 'jsonl')
    """
    name = os.fspath(path)
    lowered = name.lower()
    for suffix, fmt in _SUFFIXES:
        if lowered.endswith(suffix):
            return fmt
    if os.path.isdir(name):
        return "markdown"
    if not os.path.exists(name):
        raise FileNotFoundError(errno.ENOENT, "no such file or directory", name)
    known = ", ".join(f"{fmt} ({hint})" for fmt, hint in (
        ("jsonl", ".jsonl, .jsonl.gz, .ndjson"), ("wxr", ".xml"), ("csv", ".csv"),
        ("markdown", "a directory, .md, .markdown")))
    raise ValueError(
        f"cannot tell the format of {name!r} from its name; known formats: {known}. "
        f"Name the format with --format {{{','.join(READERS)}}}."
    )


# A repr that stays short whatever it is given: a value nested 100,000 deep, or YAML
# aliases that share one list a billion times, must not be expanded to be quoted.
_SHORT_REPR = reprlib.Repr()
_SHORT_REPR.maxlevel = 3
_SHORT_REPR.maxstring = _SHORT_REPR.maxother = 70


def describe_value(value: Any, *, mapping: str = "an object") -> str:
    """``a number 42``, ``a list [1, 2]``: a value's kind and a short repr, for messages."""
    names = {bool: "a boolean", int: "a number", float: "a number", list: "a list",
             dict: mapping, str: "a string"}
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 200:
        shown = f"of {value.bit_length()} bits"  # repr of a huge int is slow, or refused
    else:
        shown = _SHORT_REPR.repr(value)
    return f"{names.get(type(value), type(value).__name__)} {shown}"[:80]
