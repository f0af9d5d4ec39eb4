"""Every list of a build chosen from a table of pair cosines.

Two articles are often each other's candidates (two pairs in three among 10,000
generated essays), so a build computes such a pair's exact cosines once for both:
:func:`pair_table` holds the candidates of a run of rows, :func:`score_pairs` fills in
their tf-idf and latent cosines (each pair that is a candidate of both its rows by the
lower row, for both), and :func:`choose_paired` chooses each row's list from them, as
:func:`recommender.kernels.choose_rows` would from the row's own scores.

The row ``i`` computes ``c``'s tf-idf cosine over ``c``'s terms in column order; ``c``
computes it over ``i``'s terms in column order. Only the terms both use add anything, in
the same order, so both give the same bits; the latent sums are taken dimension after
dimension either way. The lists are therefore the ones each row computes for itself
(tested), whatever the table's size or the number of threads.

A table is ``(first, starts, found, cosines, topicals, mirrors)``: the rows ``first,
first + 1, ...``; the candidates of the table's row ``i`` (ascending) in
``found[starts[i]:starts[i + 1]]``, with their cosines (float32), latent cosines
(float64) and, in ``mirrors``, the slot of the same pair in the candidate's own list
(-1 when the candidate is not a row of the table or lacks the pair).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from .kernels import _choose_scored, _list_arrays, _score_candidates, compiled

__all__ = ["choose_paired", "pair_table", "score_pairs"]


@compiled
def _score_pairs(pairs, lo, hi, model, alpha, width):
    """Exact cosines of the table's rows ``lo`` to ``hi`` with their candidates, in
    place; a pair that a lower row of the table scores for both is skipped."""
    first, starts, found, cosines, topicals, mirrors = pairs
    indptr, indices, data, latent = model[0], model[1], model[2], model[3]
    dense = np.zeros(width, dtype=np.float32)
    most = 0
    for i in range(lo, hi):
        most = max(most, starts[i + 1] - starts[i])
    todo = np.empty(most, dtype=np.int64)
    slots = np.empty(most, dtype=np.int64)
    values = np.empty(most, dtype=np.float32)
    latents = np.empty(most)
    for i in range(lo, hi):
        row = first + i
        count = 0
        for s in range(starts[i], starts[i + 1]):
            c = found[s]
            if mirrors[s] >= 0 and c < row:
                continue  # written by row c
            todo[count], slots[count] = c, s
            count += 1
        p, q = indptr[row], indptr[row + 1]
        _score_candidates(indices[p:q], data[p:q], latent[row], todo[:count], model, alpha,
                          dense, values[:count], latents[:count])
        for t in range(count):
            s = slots[t]
            cosines[s] = values[t]
            topicals[s] = latents[t]
            if mirrors[s] >= 0:
                cosines[mirrors[s]] = values[t]
                topicals[mirrors[s]] = latents[t]


@compiled
def _mirror_slots(first, starts, found):
    """For each slot (row ``first + i``'s candidate ``c``), the slot of ``first + i``
    among ``c``'s candidates when ``c`` is a row of the table and has it, else -1.

    The table's candidate lists are transposed (each row's incoming slots, in row
    order), then each row's candidates and incoming rows, both ascending, are merged."""
    n = starts.size - 1
    mirrors = np.full(found.size, -1, dtype=np.int32)
    heads = np.zeros(n + 1, dtype=np.int64)
    for s in range(found.size):
        local = found[s] - first
        if 0 <= local < n:
            heads[local + 1] += 1
    for i in range(n):
        heads[i + 1] += heads[i]
    incoming = heads.copy()
    sources = np.empty(heads[n], dtype=np.int32)  # incoming slots, by target row
    for i in range(n):
        for s in range(starts[i], starts[i + 1]):
            local = found[s] - first
            if 0 <= local < n:
                sources[incoming[local]] = s
                incoming[local] += 1
    row_of_slot = np.empty(found.size, dtype=np.int32)
    for i in range(n):
        row_of_slot[starts[i]:starts[i + 1]] = i
    for j in range(n):
        a, b = starts[j], starts[j + 1]
        p, q = heads[j], heads[j + 1]
        while a < b and p < q:
            c, source = found[a] - first, row_of_slot[sources[p]]
            if c < source:
                a += 1
            elif c > source:
                p += 1
            else:
                mirrors[a] = sources[p]
                a += 1
                p += 1
    return mirrors


@compiled
def _choose_paired(pairs, lo, hi, model, rules, width, out_rows, out_scores, out_lengths):
    first, starts, found, cosines, topicals = pairs[0], pairs[1], pairs[2], pairs[3], pairs[4]
    days = model[8]
    other = np.zeros(width, dtype=np.float32)
    for i in range(lo, hi):
        a, b = starts[i], starts[i + 1]
        out_lengths[i - lo] = _choose_scored(first + i, days[first + i], found[a:b],
                                             cosines[a:b], topicals[a:b], model, rules,
                                             other, out_rows[i - lo], out_scores[i - lo],
                                             pairs)


def pair_table(first: int, candidates: Iterable[np.ndarray], rows: int, most: int) -> tuple:
    """The ``candidates`` of the indexed articles ``first, first + 1, ...`` (each
    ascending, at most ``most`` each, ``rows`` of them), with room for their exact
    cosines: what :func:`score_pairs` fills and :func:`choose_paired` chooses from.

    ``candidates`` is read as it comes (the arrays of a block can go before the next
    block's are made): the table holds the only copy."""
    starts = np.zeros(rows + 1, dtype=np.int64)
    found = np.empty(rows * most, dtype=np.int64)  # the pages past the end are never touched
    row = -1
    for row, these in enumerate(candidates):
        starts[row + 1] = starts[row] + these.size
        found[starts[row]:starts[row + 1]] = these
    if row != rows - 1:
        raise ValueError(f"{rows} rows of candidates expected, got {row + 1}")
    found = found[:starts[-1]]
    return (np.int64(first), starts, found, np.zeros(found.size, dtype=np.float32),
            np.zeros(found.size), _mirror_slots(np.int64(first), starts, found))


def score_pairs(pairs: tuple, lo: int, hi: int, model: tuple, alpha: float,
                width: int) -> None:
    """The exact tf-idf and latent cosines of the table's rows ``lo`` to ``hi`` (counted
    from its first) with their candidates, in place.

    A pair that is a candidate of both its rows is scored once, by the lower row, for
    both (the same bits either way). So once every row of the table is scored — by
    several threads at once if need be, each on its own rows — every slot holds the
    cosine its own row would have computed; not before.
    """
    _score_pairs(pairs, int(lo), int(hi), model, float(alpha), int(width))


def choose_paired(pairs: tuple, lo: int, hi: int, model: tuple, rules: tuple,
                  width: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`choose_rows` for the table's rows ``lo`` to ``hi`` once the whole table is
    scored (:func:`score_pairs`): the same lists, without scoring their candidates again."""
    chosen, scores, lengths = _list_arrays(hi - lo, rules[1])
    _choose_paired(pairs, int(lo), int(hi), model, rules, int(width), chosen, scores, lengths)
    return chosen, scores, lengths
