"""JSON Lines reader: one JSON object per line, UTF-8, optionally gzip-compressed."""

from __future__ import annotations

import gzip
import json
import os
from collections.abc import Iterator
from functools import partial

from . import Problem, Record
from ._encoding import not_utf8_message

__all__ = ["read_jsonl"]


def read_jsonl(path: str | os.PathLike[str]) -> Iterator[Record | Problem]:
    """Yield a :class:`Record` per non-blank line, or a :class:`Problem` per unreadable one.

    A byte-order mark, CRLF line ends and blank lines are accepted. A line that
    is not valid UTF-8, not valid JSON (also: nested deeper than Python can
    parse, or a number with more digits than Python converts), not a JSON object,
    or an object that repeats a key yields a Problem naming that line; reading
    goes on so that every problem is reported. Files ending in ``.gz`` are
    decompressed. ``OSError`` propagates.
    """
    source = os.fspath(path)
    opener = gzip.open if source.endswith(".gz") else open
    with opener(source, "rb") as stream:
        for number, raw in enumerate(stream, start=1):
            if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                yield Problem(source, number, "encoding", not_utf8_message(raw, exc.start))
                continue
            if not text.strip():
                continue
            repeated: dict[int, str] = {}
            try:
                value = json.loads(text.rstrip("\r\n"),
                                   object_pairs_hook=partial(_object, repeated))
            except RecursionError:
                yield Problem(source, number, "json", "JSON nested too deeply")
                continue
            except json.JSONDecodeError as exc:
                yield Problem(source, number, "json",
                              f"malformed JSON: {exc.msg} (column {exc.colno})")
                continue
            except ValueError as exc:  # int("9" * 5000): Python's digit limit
                yield Problem(source, number, "json", f"malformed JSON: {exc}")
                continue
            if not isinstance(value, dict):
                yield Problem(source, number, "json",
                              f"expected a JSON object, got {_json_type(value)}")
                continue
            if id(value) in repeated:
                key = repeated[id(value)]
                yield Problem(source, number, key if key in _FIELDS else "json",
                              f"the key {key!r} appears more than once in the object "
                              "(which one counts is undefined); keep one")
                continue
            yield Record(source, number, value)


# The record fields, named as the field of a repeated-key problem.
_FIELDS = frozenset({"id", "title", "body", "url", "author", "date", "blurb", "tags", "lang",
                     "translation_of", "related"})


def _object(repeated: dict[int, str], pairs: list[tuple[str, object]]) -> dict:
    """A JSON object as a dict, noting in ``repeated`` (by the dict's id) a key given twice."""
    value = dict(pairs)
    if len(value) != len(pairs):
        seen: set[str] = set()
        repeated[id(value)] = next(k for k, _ in pairs if k in seen or seen.add(k))
    return value


def _json_type(value: object) -> str:
    names = {list: "an array", str: "a string", bool: "a boolean", type(None): "null",
             int: "a number", float: "a number"}
    return names.get(type(value), type(value).__name__)
