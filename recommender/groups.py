"""Grouping articles: by author (for the per-author cap) and into translation
groups (one language version of a piece per list)."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from urllib.parse import urlsplit

import numpy as np

from .catalog import Entry
from .text import fold

__all__ = ["author_groups", "author_names", "translation_groups", "url_slug"]


def author_names(entry: Entry) -> tuple[str, ...]:
    """The article's authors, accent-folded and sorted: who "the same author(s)" are."""
    return tuple(sorted(fold(name).strip() for name in entry.author))


def author_groups(entries: Sequence[Entry]) -> tuple[np.ndarray, list[tuple[str, ...]]]:
    """An integer per distinct (accent-folded) author list, -1 for unknown authors;
    and the author names of each integer."""
    keys: dict[tuple[str, ...], int] = {}
    out = np.full(len(entries), -1, dtype=np.int64)
    for row, entry in enumerate(entries):
        names = author_names(entry)
        if names:
            out[row] = keys.setdefault(names, len(keys))
    return out, list(keys)


@lru_cache(maxsize=1 << 17)  # every load and update groups every article again
def url_slug(url: str | None) -> str | None:
    """The last non-empty path segment of a url, lower-cased; None when there is none."""
    if not url:
        return None
    segments = [part for part in urlsplit(url).path.split("/") if part]
    return segments[-1].lower() if segments else None


def translation_groups(entries: Sequence[Entry], *, detect: bool) -> np.ndarray:
    """Group number per article: translations share one, every other article its own.

    Links come from ``translation_of`` and, with ``detect``, from articles in
    different languages sharing authors, date and url slug. The group number is
    the smallest row in the group, so it does not depend on link order.
    """
    parent = list(range(len(entries)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def union(i: int, j: int) -> None:
        a, b = find(i), find(j)
        if a != b:
            parent[max(a, b)] = min(a, b)

    position = {e.id: i for i, e in enumerate(entries)}
    for row, entry in enumerate(entries):
        if entry.translation_of in position:
            union(row, position[entry.translation_of])
    if detect:
        buckets: dict[tuple, list[int]] = {}
        for row, entry in enumerate(entries):
            slug = url_slug(entry.url)
            if slug and entry.author and entry.date is not None:
                key = (tuple(sorted(fold(a) for a in entry.author)), entry.date.isoformat(), slug)
                buckets.setdefault(key, []).append(row)
        for rows in buckets.values():
            for i in rows:
                for j in rows:
                    if i < j and entries[i].lang != entries[j].lang:
                        union(i, j)
    return np.array([find(i) for i in range(len(entries))], dtype=np.int64)
