"""One article's related list from a saved index, reading only what that list shows.

``recommender related DIR ID`` shows one list. A full :meth:`RelatedIndex.load`
reads and hashes every file, parses every record and imports scipy; here the
kept list of one article is read from the saved index, and the records it names:
the manifest, a few chunks of the catalog (``articles.jsonl``, found through
``articles.offsets.npy`` and ``articles.by_id.npy``), one row of the kept lists
and of the translations. Every chunk read is checked against the manifest's
digest (see :mod:`recommender.indexfiles`), and only the standard library is used.

The answers are those of ``RelatedIndex.load(DIR).related(ID, k)`` and
``.translations(ID)``, item for item. The kept lists answer when
:meth:`SavedIndex.answers` says so; otherwise :func:`related` makes the full load.
"""

from __future__ import annotations

import difflib
import math
import os
import struct
from typing import Any

from .catalog import Entry
from .errors import ConfigError, IndexFormatError, UnknownArticleError
from .indexfiles import (
    CATALOG,
    FILES,
    MANIFEST,
    ChunkedFile,
    Folder,
    check_manifest,
    id_key,
    parse_json,
)
from .results import Related
from .settings import check_list_length, is_list_length, validate_saved_settings

__all__ = ["SavedIndex", "related"]

#: The files a lookup reads, with their .npy dtypes (None for the catalog).
_READ = {
    CATALOG: None,
    "articles.offsets.npy": "<i8",
    "articles.by_id.npy": "<i4",
    "lists.ids.npy": "<i4",
    "lists.scores.npy": "<f8",
    "translations.indptr.npy": "<i8",
    "translations.ids.npy": "<i4",
    "translations.scores.npy": "<f8",
}
_STRUCT_CODES = {"<i4": "i", "<i8": "q", "<f8": "d"}


def related(directory: str | os.PathLike[str], article_id: str,
            k: int = 10) -> tuple[list[Related], list[Related]]:
    """The related list of an indexed article and its translations, from a saved index.

    Parameters
    ----------
    directory : path
        An index folder written by :meth:`RelatedIndex.save`.
    article_id : str
    k : int, default 10

    Returns
    -------
    (list of Related, list of Related)
        What ``RelatedIndex.load(directory)`` gives for ``.related(article_id, k)``
        and ``.translations(article_id)``: read from the kept lists when they can
        answer, else computed after that full load.

    Raises
    ------
    IndexFormatError
        A missing or damaged index, or a damaged chunk among those read.
    UnknownArticleError
        When the id is not in the index (with close ids as suggestions).
    """
    if is_list_length(k):
        for attempt in range(3):
            folder = Folder(directory)
            try:
                with SavedIndex(folder) as saved:
                    if not saved.answers(k):
                        break
                    return saved.related(article_id, k), saved.translations(article_id)
            except IndexFormatError:
                if attempt == 2 or not folder.replaced():
                    raise
            finally:
                folder.close()
    from .index import RelatedIndex  # the kept lists cannot answer: compute

    index = RelatedIndex.load(directory)
    return index.related(article_id, k=k), index.translations(article_id)


class SavedIndex:
    """A saved index opened for answers by article id, without loading it.

    Opening reads and checks the manifest, and checks that every file of the
    index is there with the size the manifest gives it; queries then read the
    chunks they need, each verified once and kept.

    Parameters
    ----------
    directory : path or indexfiles.Folder
        The index folder. A :class:`~recommender.indexfiles.Folder` given here
        stays open after :meth:`close`.

    Raises
    ------
    IndexFormatError
        When the index is missing, of another format version, or inconsistent.

    Examples
    --------
    >>> from recommender.lookup import SavedIndex
    >>> with SavedIndex("fixtures/index") as saved:
    ...     items = saved.related("vladimir-putin-in-north-korea", k=3)
    >>> len(items)
    3
    """

    def __init__(self, directory: str | os.PathLike[str] | Folder):
        self._own_folder = not isinstance(directory, Folder)
        self._folder = Folder(directory) if self._own_folder else directory
        self._files: dict[str, ChunkedFile] = {}
        self._entries: dict[int, Entry] = {}
        try:
            self._open()
        except BaseException:
            self.close()
            raise

    def _open(self) -> None:
        folder = self._folder
        manifest = check_manifest(folder)
        where = folder.path / MANIFEST
        try:  # every setting, as a full load checks them (settings.py imports nothing heavy)
            settings = validate_saved_settings(manifest.get("settings", {}))
        except ConfigError as exc:
            raise IndexFormatError(f"{where}: {exc}") from None
        mmr_lambda = settings["mmr_lambda"]
        self._mmr_lambda = float(mmr_lambda)
        counts = manifest.get("counts", {})
        self._rows, self._width = counts.get("articles"), counts.get("list_length")
        if not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0
                   for v in (self._rows, self._width)):
            raise IndexFormatError(f"{where}: 'articles' and 'list_length' must be whole "
                                   "numbers")
        files, chunk_bytes = manifest["files"], manifest["chunk_bytes"]
        for name in FILES:  # all there, whole: a damaged index fails here, as a load would
            if name not in _READ:
                os.close(folder.open(name, expected=files[name]["bytes"])[0])
        self._layout: dict[str, tuple[int, int, str]] = {}
        for name, dtype in _READ.items():
            self._files[name] = ChunkedFile(folder, name, files[name], chunk_bytes)
            if dtype is not None:
                count, offset = self._files[name].array(dtype)
                self._layout[name] = (count, offset, dtype)
        n, width = self._rows, self._width
        expected = {"articles.offsets.npy": n + 1, "articles.by_id.npy": n,
                    "lists.ids.npy": n * width, "lists.scores.npy": n * width,
                    "translations.indptr.npy": n + 1,
                    "translations.scores.npy": self._layout["translations.ids.npy"][0]}
        for name, count in expected.items():
            if self._layout[name][0] != count:
                raise IndexFormatError(f"{folder.path}: inconsistent index: {name} holds "
                                       f"{self._layout[name][0]} values, expected {count} "
                                       f"({n} articles, lists of {width})")

    def close(self) -> None:
        """Close the files (and the folder, when this opened it)."""
        for file in self._files.values():
            file.close()
        self._files.clear()
        if self._own_folder:
            self._folder.close()

    def __enter__(self) -> SavedIndex:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    def __len__(self) -> int:
        return self._rows

    def answers(self, k: int) -> bool:
        """Whether the kept lists give the related lists of length ``k`` exactly as
        computing them would (as ``RelatedIndex`` decides): lists were kept, at
        least ``k`` long, and cutting them is exact (no diversity re-ranking)."""
        width = self._width
        return not (width == 0 or k > width or (k < width and self._mmr_lambda < 1.0))

    def related(self, article_id: str, k: int = 10) -> list[Related] | None:
        """The kept related list of ``article_id`` cut to ``k``, as
        ``RelatedIndex.related(article_id, k)`` gives it; None when the kept lists
        cannot answer (see :meth:`answers`).

        Raises
        ------
        UnknownArticleError
            When the id is not in the index.
        """
        row = self.row_of(article_id)
        check_list_length(k)
        if not self.answers(k):
            return None
        start = row * self._width
        ids = self._values("lists.ids.npy", start, k)
        scores = self._values("lists.scores.npy", start, k)
        pinned = min(len(self.entry(row).pins), k)
        items = []
        for position, (other, score) in enumerate(zip(ids, scores, strict=True)):
            self._check_score("lists.scores.npy", score)
            if other < -1 or other >= self._rows:
                raise IndexFormatError(f"{self._folder.path / 'lists.ids.npy'}: article "
                                       "number out of range")
            if other >= 0:
                items.append(self.entry(other).related(score, pinned=position < pinned))
        return items

    def translations(self, article_id: str) -> list[Related]:
        """The other language versions of ``article_id``, as
        ``RelatedIndex.translations`` gives them (kept when the index was saved)."""
        row = self.row_of(article_id)
        start, stop = self._values("translations.indptr.npy", row, 2)
        total = self._layout["translations.ids.npy"][0]
        if not 0 <= start <= stop <= total:
            raise IndexFormatError(f"{self._folder.path / 'translations.indptr.npy'}: "
                                   "offsets out of range")
        ids = self._values("translations.ids.npy", start, stop - start)
        scores = self._values("translations.scores.npy", start, stop - start)
        items = []
        for other, score in zip(ids, scores, strict=True):
            self._check_score("translations.scores.npy", score)
            if not 0 <= other < self._rows or other == row:
                raise IndexFormatError(f"{self._folder.path / 'translations.ids.npy'}: "
                                       "article number out of range, or an article listed "
                                       "as its own translation")
            items.append(self.entry(other).related(score))
        return items

    def row_of(self, article_id: str) -> int:
        """The row of ``article_id``: a binary search over the rows in id order,
        reading the probed records."""
        if isinstance(article_id, str):
            key, low, high = id_key(article_id), 0, self._rows
            while low < high:
                middle = (low + high) // 2
                (row,) = self._values("articles.by_id.npy", middle, 1)
                if not 0 <= row < self._rows:
                    raise IndexFormatError(f"{self._folder.path / 'articles.by_id.npy'}: "
                                           "article number out of range")
                probe = id_key(self.entry(row).id)
                if probe == key:
                    return row
                low, high = (middle + 1, high) if probe < key else (low, middle)
        raise self._unknown(article_id)

    def entry(self, row: int) -> Entry:
        """What the index keeps of the article in ``row`` (its record, verified)."""
        entry = self._entries.get(row)
        if entry is None:
            record = parse_json(self._folder.path / CATALOG, self._record(row), row + 1)
            entry = Entry.from_json(record, f"{self._folder.path / CATALOG}: line {row + 1}")
            self._entries[row] = entry
        return entry

    # -- internals ---------------------------------------------------------------------------

    def _record(self, row: int) -> bytes:
        start, stop = self._values("articles.offsets.npy", row, 2)
        catalog = self._files[CATALOG]
        if not 0 <= start < stop <= catalog.size:
            raise IndexFormatError(f"{self._folder.path / 'articles.offsets.npy'}: the record "
                                   f"of row {row} lies outside {CATALOG}")
        data = catalog.read(start, stop)
        if not data.endswith(b"\n") or b"\n" in data[:-1]:
            raise IndexFormatError(f"{catalog.path}: line {row + 1}: expected one record a "
                                   "line, ending at the offsets of articles.offsets.npy")
        return data

    def _values(self, name: str, start: int, count: int) -> tuple:
        """``count`` values of the array in ``name`` from index ``start``."""
        total, offset, dtype = self._layout[name]
        if start < 0 or start + count > total:
            raise IndexFormatError(f"{self._folder.path / name}: values {start}.."
                                   f"{start + count} asked of {total}")
        size = int(dtype[2:])
        data = self._files[name].read(offset + start * size, offset + (start + count) * size)
        return struct.unpack(f"<{count}{_STRUCT_CODES[dtype]}", data)

    def _check_score(self, name: str, score: float) -> None:
        if not (math.isfinite(score) and 0.0 <= score <= 1.0):
            raise IndexFormatError(f"{self._folder.path / name}: scores must be within [0, 1]")

    def _unknown(self, article_id: Any) -> UnknownArticleError:
        """The error ``RelatedIndex`` gives for an unknown id, suggestions included; it
        needs every id (the whole catalog is read, on this error path only)."""
        ids = self._all_ids()
        if article_id in ids:
            raise IndexFormatError(f"{self._folder.path / 'articles.by_id.npy'}: the rows are "
                                   "not in id order")
        close = difflib.get_close_matches(str(article_id), ids, n=3)
        hint = f"; did you mean {', '.join(map(repr, close))}?" if close else ""
        return UnknownArticleError(f"unknown article id {article_id!r}{hint}")

    def _all_ids(self) -> list[str]:
        bounds = self._values("articles.offsets.npy", 0, self._rows + 1)
        catalog = self._files[CATALOG]
        data = catalog.read(0, catalog.size)
        if bounds[0] != 0 or bounds[-1] != len(data) or data.count(b"\n") != self._rows:
            raise IndexFormatError(f"{catalog.path}: expected one record a line, ending at "
                                   "the offsets of articles.offsets.npy")
        ids = []
        for row, (start, stop) in enumerate(zip(bounds[:-1], bounds[1:], strict=True)):
            if not (start < stop and data[stop - 1:stop] == b"\n"):
                raise IndexFormatError(f"{catalog.path}: line {row + 1}: expected one record "
                                       "a line, ending at the offsets of articles.offsets.npy")
            record = parse_json(catalog.path, data[start:stop], row + 1)
            if not isinstance(record, dict) or not isinstance(record.get("id"), str):
                raise IndexFormatError(f"{catalog.path}: line {row + 1}: malformed article "
                                       "entry (id must be a string)")
            ids.append(record["id"])
        return ids
