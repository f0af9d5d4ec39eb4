"""The vocabulary columns of free text's terms, remembered per chunk of text.

A free-text query of 1,200 words went through two dictionaries per word: chunk to
term (the analyzer's cache), then term to column (the vocabulary). Here each distinct
chunk is looked up once, straight to its column, and the columns are read into an
array in one pass, so the cost of a query's analysis is about that of one dictionary
lookup per word.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from .text import Analyzer

__all__ = ["ChunkColumns"]

#: Distinct chunks remembered per language; later ones are looked up every time.
_REMEMBERED = 1 << 18

_NONE, _SEVERAL = -1, -2


class ChunkColumns:
    """Free text to the vocabulary columns of its terms, for an analyzer of single
    words (``ngram_range`` (1, 1)) and a vocabulary that does not change.

    Parameters
    ----------
    analyzer : Analyzer
    vocabulary : mapping of str to int
        Term to column.

    Examples
    --------
    >>> from recommender.text import Analyzer
    >>> columns = ChunkColumns(Analyzer(), {"reforma": 0, "agraria": 1, "terra": 2})
    >>> columns("A reforma agrária, a terra e a pós-terra.", None).tolist()
    [0, 1, 2, 2]
    """

    def __init__(self, analyzer: Analyzer, vocabulary: Mapping[str, int]) -> None:
        if analyzer.ngram_range != (1, 1):
            raise ValueError("ChunkColumns needs an analyzer of single words")
        self._analyzer = analyzer
        self._vocabulary = vocabulary
        self._by_language: dict[str | None, _Remembered] = {}

    def __call__(self, text: str, lang: str | None) -> np.ndarray:
        """The column of every term of ``text`` that the vocabulary has (int64, one per
        occurrence, in the text's order)."""
        key = lang if self._analyzer.stems else None
        remembered = self._by_language.get(key)
        if remembered is None:
            remembered = self._by_language.setdefault(key, _Remembered(self, key))
        chunks = self._analyzer.chunks(text)
        found = np.fromiter(map(remembered.__getitem__, chunks), dtype=np.int64,
                            count=len(chunks))
        if (found == _SEVERAL).any():  # pós-guerra: rare, so a loop in Python
            return np.array([column for chunk, one in zip(chunks, found.tolist(), strict=True)
                             for column in (self._several(remembered, chunk, key)
                                            if one == _SEVERAL else (one,)) if column >= 0],
                            dtype=np.int64)
        return found[found >= 0]

    def columns_of(self, chunk: bytes, lang: str | None) -> list[int]:
        """The columns of one chunk's terms that the vocabulary has."""
        # Not through the analyzer's own memory of chunks: this one remembers the columns
        # (a query of 1,200 words meets about 110 chunks new to it on a big archive).
        terms = self._analyzer.chunk_terms(chunk, lang, remember=False)
        return [column for column in map(self._vocabulary.get, terms) if column is not None]

    def _several(self, remembered: _Remembered, chunk: bytes, lang: str | None) -> list[int]:
        columns = remembered.several.get(chunk)
        return self.columns_of(chunk, lang) if columns is None else columns


class _Remembered(dict):
    """Chunk -> its one column, or _NONE, or _SEVERAL (the columns in ``several``)."""

    def __init__(self, owner: ChunkColumns, lang: str | None) -> None:
        super().__init__()
        self._owner, self._lang = owner, lang
        self.several: dict[bytes, list[int]] = {}

    def __missing__(self, chunk: bytes) -> int:
        columns = self._owner.columns_of(chunk, self._lang)
        value = columns[0] if len(columns) == 1 else _SEVERAL if columns else _NONE
        if len(self) < _REMEMBERED:
            if value == _SEVERAL:
                self.several[chunk] = columns
            self[chunk] = value
        return value
