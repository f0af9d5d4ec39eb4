"""Articles to catalog entries and term counts: analysed a chunk at a time (in worker
processes with ``n_jobs``), each chunk counted with its own term numbers, merged into
corpus numbers.

Workers send back, per field, each article's distinct terms and how often they occur,
as small integer arrays, and each chunk's distinct term strings once; the articles'
bodies are never needed again, so a stream of articles is indexed without holding them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from itertools import repeat

import numpy as np

from .analysis import analyse_article, map_chunks
from .catalog import Entry
from .corpus import Article
from .heap import release_free_memory
from .text import Analyzer

__all__ = ["Counted", "count_articles"]


@dataclass(frozen=True)
class Counted:
    """Term counts of a corpus, per field.

    Attributes
    ----------
    entries : list of Entry
        Each article's display fields and language, in corpus order.
    terms : dict
        Every term seen, to its number (numbers in order of first sight).
    fields : dict
        Field name to ``(lengths, numbers, counts)``: each article's number of
        distinct terms, then one entry per distinct term of an article, in article
        order.
    """

    entries: list[Entry]
    terms: dict[str, int]
    fields: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]


def count_articles(articles: Iterable[Article], analyzer: Analyzer, fields: Sequence[str], *,
                   n_jobs: int | None = None, progress: Callable[[int], None] | None = None,
                   chunk_size: int = 500, backend: str = "loky",
                   scheduler: str | None = None) -> Counted:
    """Analyse and count ``fields`` of every article, reading ``articles`` a chunk at a
    time; the result does not depend on ``n_jobs`` or ``backend`` (see
    :func:`~recommender.analysis.map_chunks`). ``progress`` is called with the number of
    articles done per chunk."""
    parts = map_chunks(articles, analyzer, _count_chunk, tuple(fields), n_jobs=n_jobs,
                       chunk_size=chunk_size, backend=backend, scheduler=scheduler)
    found: dict[str, int] = {}
    columns = {name: (_Pieces(), _Pieces(), _Pieces()) for name in fields}
    entries: list[Entry] = []
    for chunk, (chunk_entries, chunk_terms, chunk_fields) in enumerate(parts, 1):
        if chunk % _TRIM_EVERY == 0:
            release_free_memory()
        to_corpus = _numbered(chunk_terms, found)
        for name, (lengths, local, counts) in chunk_fields.items():
            sizes, numbers, occurrences = columns[name]
            sizes.append(lengths)
            numbers.append(to_corpus[local])
            occurrences.append(counts)
        entries.extend(chunk_entries)
        if progress is not None:
            progress(len(chunk_entries))
    release_free_memory()
    return Counted(entries, found, {name: tuple(part.joined() for part in columns.pop(name))
                                    for name in fields})


def _narrow_counts(counts: np.ndarray) -> np.ndarray:
    """Counts in 16 bits where they fit (in practice always: a term repeated 65,536 times
    in one article), which halves the largest array of a fit; else in 32."""
    fits = counts.size == 0 or counts.max() <= np.iinfo(np.uint16).max
    return counts.astype(np.uint16 if fits else np.int32)


class _Pieces:
    """An integer array received a chunk at a time (pieces of different types join in
    the wider one).

    The pieces are joined into blocks of :data:`_BLOCK` values as they come, instead of
    all at the end: pieces are too small for the allocator to map apart, so the heap
    they filled stayed behind them once joined (at 40,000 essays of 1,200 words the
    counting step ended 53 MB higher, for 232 MB of arrays). Blocks are mapped and
    returned apart from the heap, and the next pieces reuse the heap the last ones
    left.
    """

    def __init__(self) -> None:
        self._blocks: list[np.ndarray] = []
        self._pieces: list[np.ndarray] = []
        self._size = 0

    def append(self, piece: np.ndarray) -> None:
        self._pieces.append(piece)
        self._size += piece.size
        if self._size >= _BLOCK:
            self._blocks.append(np.concatenate(self._pieces))
            self._pieces.clear()
            self._size = 0

    def joined(self) -> np.ndarray:
        parts = self._blocks + self._pieces
        self._blocks, self._pieces = [], []
        if len(parts) == 1:
            return parts[0]
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int32)


#: Chunks between two returns of freed heap memory to the system (see :mod:`.heap`).
_TRIM_EVERY = 20

#: Values per block of :class:`_Pieces` (64 MB of int32, above the size from which
#: glibc's allocator always maps memory apart from the heap).
_BLOCK = 1 << 24


def _numbered(terms: list[str], found: dict[str, int]) -> np.ndarray:
    """Corpus numbers of a chunk's distinct ``terms``; terms not seen before are added to
    ``found`` in their order here (as ``setdefault`` one by one would, but looked up by
    ``map``, since most of a chunk's terms are known)."""
    numbers = np.fromiter(map(found.get, terms, repeat(-1)), dtype=np.int64, count=len(terms))
    new = np.flatnonzero(numbers < 0)
    if new.size:
        numbers[new] = np.arange(len(found), len(found) + new.size)
        found.update(zip(map(terms.__getitem__, new.tolist()), numbers[new].tolist()))
    return numbers.astype(np.int32)


def _count_chunk(articles: Sequence[Article], analyzer: Analyzer, fields: Sequence[str]):
    analysed = [analyse_article(a, analyzer) for a in articles]
    local: dict[str, int] = {}
    assign = local.setdefault
    tokens = {}
    for name in fields:
        lengths = np.fromiter((len(f[name]) for _, f in analysed), dtype=np.int64,
                              count=len(analysed))
        tokens[name] = (lengths, np.fromiter(
            (assign(t, len(local)) for _, f in analysed for t in f[name]), dtype=np.int64,
            count=int(lengths.sum())))
    width = max(len(local), 1)
    counted = {}
    for name, (lengths, numbers) in tokens.items():
        rows = np.repeat(np.arange(lengths.size, dtype=np.int64), lengths)
        keys, counts = np.unique(rows * width + numbers, return_counts=True)
        counted[name] = (np.bincount(keys // width, minlength=lengths.size).astype(np.int32),
                         (keys % width).astype(np.int32), _narrow_counts(counts))
    entries = [Entry.from_article(article, lang)
               for article, (lang, _) in zip(articles, analysed)]
    return entries, list(local), counted
