"""Articles to term counts: analysed a chunk at a time (in worker processes with
``n_jobs``), each chunk counted with its own term numbers, merged into corpus numbers.

Workers send back arrays of term numbers and each chunk's distinct terms once, instead
of every token as a string, and the main process touches each distinct term of a chunk
once instead of every token.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from .analysis import analyse_article, map_chunks
from .corpus import Article
from .text import Analyzer

__all__ = ["Counted", "count_articles"]


@dataclass(frozen=True)
class Counted:
    """Term occurrences of a corpus, per field.

    Attributes
    ----------
    langs : list of str
        Each article's language, in corpus order.
    terms : dict
        Every term seen, to its number (numbers in order of first sight).
    fields : dict
        Field name to ``(rows, numbers)``: one entry per token occurrence.
    """

    langs: list[str]
    terms: dict[str, int]
    fields: dict[str, tuple[np.ndarray, np.ndarray]]


def count_articles(articles: Sequence[Article], analyzer: Analyzer, fields: Sequence[str], *,
                   n_jobs: int | None = None, progress: Callable[[int], None] | None = None,
                   chunk_size: int = 500) -> Counted:
    """Analyse and count ``fields`` of every article; the result does not depend on
    ``n_jobs``. ``progress`` is called with the number of articles done per chunk."""
    parts = map_chunks(articles, analyzer, _count_chunk, tuple(fields), n_jobs=n_jobs,
                       chunk_size=chunk_size)
    found: dict[str, int] = {}
    assign = found.setdefault
    rows: dict[str, list[np.ndarray]] = {name: [] for name in fields}
    numbers: dict[str, list[np.ndarray]] = {name: [] for name in fields}
    langs: list[str] = []
    for chunk_langs, chunk_terms, chunk_fields in parts:
        to_corpus = np.fromiter((assign(t, len(found)) for t in chunk_terms), dtype=np.int64,
                                count=len(chunk_terms))
        start = len(langs)
        for name, (lengths, local) in chunk_fields.items():
            rows[name].append(np.repeat(np.arange(start, start + lengths.size), lengths))
            numbers[name].append(to_corpus[local])
        langs.extend(chunk_langs)
        if progress is not None:
            progress(len(chunk_langs))
    return Counted(langs, found, {name: (_joined(rows[name]), _joined(numbers[name]))
                                  for name in fields})


def _joined(parts: list[np.ndarray]) -> np.ndarray:
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)


def _count_chunk(articles: Sequence[Article], analyzer: Analyzer, fields: Sequence[str]):
    analysed = [analyse_article(a, analyzer) for a in articles]
    local: dict[str, int] = {}
    assign = local.setdefault
    counted = {}
    for name in fields:
        lengths = np.fromiter((len(f[name]) for _, f in analysed), dtype=np.int64,
                              count=len(analysed))
        counted[name] = (lengths, np.fromiter(
            (assign(t, len(local)) for _, f in analysed for t in f[name]), dtype=np.int64,
            count=int(lengths.sum())))
    return [lang for lang, _ in analysed], list(local), counted
