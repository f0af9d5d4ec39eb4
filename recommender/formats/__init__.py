"""Readers for input formats. Each reader yields :class:`Record` items, one per
source line or entry, and never validates fields: :mod:`recommender.corpus` does."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["Record", "Problem"]


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
