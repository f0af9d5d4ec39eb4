"""CSV reader: a header row with the JSON Lines field names, then one article per row.

Spreadsheets are where editors keep article lists, so the reader takes what they
save: UTF-8 with or without a byte-order mark, CRLF line ends, cells spanning
lines inside quotes, and a semicolon separator (what a spreadsheet set to
Portuguese writes, because the comma is its decimal separator). It does not
take other encodings: a file saved as Windows-1252 is reported, with a hint.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterator
from typing import BinaryIO

from . import Problem, Record
from ._encoding import BOM, not_utf8_message

__all__ = ["read_csv", "FIELDS", "SEPARATOR"]

#: The columns read; any other column is ignored.
FIELDS = ("id", "title", "body", "url", "author", "date", "blurb", "tags", "lang")

#: Separates several tags, or several authors, inside one cell.
SEPARATOR = "|"

_LIST_FIELDS = frozenset({"author", "tags"})


def read_csv(path: str | os.PathLike[str]) -> Iterator[Record | Problem]:
    """Yield a :class:`Record` per data row, or a :class:`Problem` per defect.

    The first row is the header: column names are the JSON Lines field names
    (``id``, ``title``, ``body``, ``url``, ``author``, ``date``, ``blurb``,
    ``tags``, ``lang``), matched ignoring case and surrounding spaces, in any
    order; other columns are ignored. ``id`` is required. Cells are stripped of
    surrounding spaces and an empty cell means the field is absent. ``tags`` and
    ``author`` hold several values separated by ``|`` and become lists
    (duplicates dropped, order kept). The separator is ``,``, or ``;`` when the
    header line holds semicolons and no commas.

    Each record's line is the physical line where its row starts (a quoted
    cell may span lines). Blank rows and rows whose cells are all empty are
    skipped. A row with more or fewer cells than the header, a quoting error,
    or a line that is not valid UTF-8 yields a Problem naming the line, and
    reading goes on so every problem is reported; a missing ``id`` column or a
    repeated column stops reading with one Problem naming the header line.
    ``OSError`` propagates.

    Examples
    --------
    >>> rows = list(read_csv("fixtures/formats/articles.csv"))
    >>> rows[0].line, rows[0].fields["id"], rows[0].fields["tags"]
    (2, 'soberania-digital-e-nuvem', ['plataformas digitais', 'soberania', 'Brasil'])
    """
    source = os.fspath(path)
    with open(source, "rb") as stream:
        lines = _Lines(source, stream)
        header_line = lines.peek_first_text()
        if header_line is None:
            yield from lines.drain()
            return
        delimiter = ";" if ";" in header_line and "," not in header_line else ","
        reader = csv.reader(lines, delimiter=delimiter, strict=True)
        columns: dict[str, int] | None = None
        width = header = 0
        end = 0  # last physical line consumed so far
        while True:
            start = end + 1
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                end = reader.line_num
                yield from lines.drain()
                if "field larger than field limit" in str(exc):
                    yield Problem(source, start, "csv",
                                  f"a cell is longer than {csv.field_size_limit()} characters, "
                                  "the most the csv module reads; split the text or use JSON Lines")
                    return
                yield Problem(source, start, "csv", _quoting_message(str(exc), start, end))
                continue
            end = reader.line_num
            yield from lines.drain()
            if lines.bad_between(start, end):
                if columns is None:
                    return  # an unreadable header: the rows cannot be understood
                continue  # already reported as an encoding problem
            if not any(cell.strip() for cell in row):
                continue
            if columns is None:
                columns, problem = _read_header(source, start, row)
                if problem is not None:
                    yield problem
                    return
                width, header = len(row), start
                continue
            if len(row) != width:
                more_or_fewer = "too many" if len(row) > width else "too few"
                yield Problem(source, start, "csv",
                              f"{more_or_fewer} cells: the row has {len(row)}, the header "
                              f"(line {header}) has {width}")
                continue
            yield Record(source, start, _fields(row, columns))
        yield from lines.drain()
        yield from lines.summary()


def _read_header(source: str, line: int, row: list[str]) -> tuple[dict[str, int], Problem | None]:
    columns: dict[str, int] = {}
    for position, cell in enumerate(row):
        name = cell.strip().lower()
        if name not in FIELDS:
            continue
        if name in columns:
            return columns, Problem(
                source, line, "header",
                f"column {name!r} appears twice (columns {columns[name] + 1} and {position + 1})")
        columns[name] = position
    if "id" not in columns:
        found = ", ".join(repr(cell.strip()) for cell in row if cell.strip()) or "nothing"
        return columns, Problem(
            source, line, "header",
            f"no 'id' column (the header holds {found}); the first row must name the columns, "
            f"among {', '.join(FIELDS)}, and 'id' is required")
    return columns, None


def _fields(row: list[str], columns: dict[str, int]) -> dict[str, object]:
    fields: dict[str, object] = {}
    for name, position in columns.items():
        cell = row[position].replace("\r\n", "\n").strip()
        if not cell:
            continue
        if name in _LIST_FIELDS:
            values = [part.strip() for part in cell.split(SEPARATOR)]
            fields[name] = list(dict.fromkeys(value for value in values if value))
        else:
            fields[name] = cell
    return fields


def _quoting_message(error: str, start: int, end: int) -> str:
    if error == "unexpected end of data":
        return (f"a quoted cell opened in the row starting on line {start} never closes "
                f"(the file ends on line {end}); check its quotation marks")
    return f"malformed row: {error} (a quote inside a quoted cell must be doubled: \"\")"


class _Lines:
    """Decoded physical lines for :mod:`csv`, remembering which were not UTF-8.

    Lines that are not UTF-8 are decoded with replacement characters, so that
    the csv parser keeps its place, and reported: the first with a hint at the
    encoding the file probably has, the others counted in one closing problem.
    """

    def __init__(self, source: str, stream: BinaryIO) -> None:
        self.source = source
        self._stream = stream
        self.number = 0
        self._replay: list[str] = []
        self._problems: list[Problem] = []
        self._bad: list[int] = []

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        if self._replay:
            return self._replay.pop(0)
        return self._read()

    def _read(self) -> str:
        raw = self._stream.readline()
        if not raw:
            raise StopIteration
        self.number += 1
        if self.number == 1 and raw.startswith(BOM):
            raw = raw[len(BOM):]
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            self._bad.append(self.number)
            if len(self._bad) == 1:
                self._problems.append(Problem(self.source, self.number, "encoding",
                                              not_utf8_message(raw, exc.start)))
            return raw.decode("utf-8", errors="replace")

    def peek_first_text(self) -> str | None:
        """The first non-blank line, kept for the csv parser to read again."""
        while True:
            try:
                text = self._read()
            except StopIteration:
                return None
            self._replay.append(text)
            if text.strip():
                return text

    def drain(self) -> Iterator[Problem]:
        while self._problems:
            yield self._problems.pop(0)

    def bad_between(self, start: int, end: int) -> bool:
        return any(start <= number <= end for number in self._bad[-(end - start + 1):])

    def summary(self) -> Iterator[Problem]:
        if len(self._bad) > 1:
            more = self._bad[1:]
            shown = ", ".join(map(str, more[:5])) + (", ..." if len(more) > 5 else "")
            yield Problem(self.source, None, "encoding",
                          f"{len(more)} more lines are not valid UTF-8 either (lines {shown}); "
                          "their rows were skipped")
