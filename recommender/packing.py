"""Lists computed in a worker process, packed into a few arrays for the trip back.

A task computes the lists of a few thousand articles, each ``(row, (pins, pin scores,
rows, scores))``; pickled as they are, that is four small arrays per list, and unpickling
them cost the main process a quarter of a second per 10,000 lists.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import numpy as np

__all__ = ["pack_lists", "unpack_lists"]


def pack_lists(lists: Iterable[tuple[int, tuple]]) -> tuple:
    """``(row, (pins, pin scores, rows, scores))`` items as six arrays: the rows, the sizes
    of each list's four parts, and each part of every list concatenated.

    Examples
    --------
    >>> lists = [(3, (np.array([7]), np.array([0.5]), np.array([1, 2]), np.array([0.4, 0.3])))]
    >>> [(row, [part.tolist() for part in chosen]) for row, chosen in
    ...  unpack_lists(pack_lists(lists))]
    [(3, [[7], [0.5], [1, 2], [0.4, 0.3]])]
    """
    rows, parts = [], ([], [], [], [])
    for row, chosen in lists:
        rows.append(row)
        for part, array in zip(parts, chosen):
            part.append(array)
    sizes = np.array([[len(array) for array in part] for part in parts], dtype=np.int64)
    kinds = (np.int64, np.float64, np.int64, np.float64)
    return (np.array(rows, dtype=np.int64), sizes,
            *(np.concatenate(part).astype(kind) if part else np.zeros(0, kind)
              for part, kind in zip(parts, kinds)))


def unpack_lists(packed: tuple) -> Iterator[tuple[int, tuple]]:
    """The items :func:`pack_lists` packed, in order."""
    rows, sizes, *arrays = packed
    ends = np.cumsum(sizes, axis=1).tolist()
    starts = [[0] + part[:-1] for part in ends]
    for i, row in enumerate(rows.tolist()):
        yield row, tuple(array[start[i]:end[i]]
                         for array, start, end in zip(arrays, starts, ends))
