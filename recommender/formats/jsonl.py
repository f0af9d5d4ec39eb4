"""JSON Lines reader: one JSON object per line, UTF-8, optionally gzip-compressed."""

from __future__ import annotations

import gzip
import json
import os
from collections.abc import Iterator

from . import Problem, Record

__all__ = ["read_jsonl"]


def read_jsonl(path: str | os.PathLike[str]) -> Iterator[Record | Problem]:
    """Yield a :class:`Record` per non-blank line, or a :class:`Problem` per unreadable one.

    A byte-order mark, CRLF line ends and blank lines are accepted. A line that
    is not valid UTF-8, not valid JSON, or not a JSON object yields a Problem
    naming that line; reading goes on so that every problem is reported.
    Files ending in ``.gz`` are decompressed. ``OSError`` propagates.
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
                yield Problem(source, number, "encoding",
                              f"invalid UTF-8 at byte {exc.start + 1} of the line")
                continue
            if not text.strip():
                continue
            try:
                value = json.loads(text.rstrip("\r\n"))
            except RecursionError:
                yield Problem(source, number, "json", "JSON nested too deeply")
                continue
            except json.JSONDecodeError as exc:
                yield Problem(source, number, "json",
                              f"malformed JSON: {exc.msg} (column {exc.colno})")
                continue
            if not isinstance(value, dict):
                yield Problem(source, number, "json",
                              f"expected a JSON object, got {_json_type(value)}")
                continue
            yield Record(source, number, value)


def _json_type(value: object) -> str:
    names = {list: "an array", str: "a string", bool: "a boolean", type(None): "null",
             int: "a number", float: "a number"}
    return names.get(type(value), type(value).__name__)
