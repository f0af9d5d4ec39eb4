"""Choosing a related list from scores: filters, time decay, floor, and diversity
(near-duplicates skipped, at most N per author, maximal marginal relevance).

The list is always returned best first by the documented order (score
descending, date descending, id ascending): diversity decides which articles
make the list, never the order they are shown in.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from .ranking import top_k
from .results import SCORE_DECIMALS

__all__ = ["Cosines", "Diversity", "select"]


class Cosines(Protocol):
    """Cosines among a pool of candidates, asked by position in the pool (see
    :class:`recommender.sparse_rows.PoolCosines`)."""

    def among(self, i: int) -> np.ndarray:
        """Cosines of candidate ``i`` with every candidate of the pool."""

    def highest(self, i: int, others: list[int]) -> float:
        """The highest cosine of candidate ``i`` with the candidates ``others``."""


@dataclass(frozen=True, slots=True)
class Diversity:
    """How varied a list must be.

    Attributes
    ----------
    max_per_author : int or None
        At most this many articles by the same author (names compared folded).
    mmr_lambda : float
        1.0 ranks by relevance alone; lower values trade relevance for novelty
        by maximal marginal relevance: ``λ·score − (1 − λ)·max similarity to
        articles already chosen``.
    duplicate_threshold : float
        Candidates this similar to an article already chosen are near-duplicates
        and skipped.
    """

    max_per_author: int | None = None
    mmr_lambda: float = 1.0
    duplicate_threshold: float = 1.01

    @property
    def active(self) -> bool:
        return (self.max_per_author is not None or self.mmr_lambda < 1.0
                or self.duplicate_threshold <= 1.0)


def select(
    scores: np.ndarray,
    k: int,
    ranks: np.ndarray,
    *,
    allowed: np.ndarray | None = None,
    min_score: float = 0.0,
    diversity: Diversity = Diversity(),
    authors: np.ndarray | None = None,
    groups: np.ndarray | None = None,
    similarity: Callable[[np.ndarray], Cosines] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The best ``k`` allowed candidates under the diversity rules.

    Parameters
    ----------
    scores : ndarray of shape (n,)
        Scores shown to the reader (cosine, possibly time-decayed).
    k : int
    ranks : ndarray of shape (n,)
        Tie-break ranks (see :func:`recommender.ranking.tiebreak_ranks`).
    allowed : ndarray of bool, optional
        Candidates that passed the filters (the query itself must be False).
    min_score : float
        Relevance floor on the shown score.
    diversity : Diversity
    authors : ndarray of int, optional
        Author key per article (-1: unknown, never capped).
    groups : ndarray of int, optional
        Translation group per article: at most one member of a group is listed.
    similarity : callable, optional
        ``similarity(rows)`` returns the :class:`Cosines` among ``rows``; needed for
        near-duplicates and MMR. It is asked only about the articles chosen and the
        candidates that would otherwise be chosen.

    Returns
    -------
    rows, values : ndarray
        Best first; values rounded to ``SCORE_DECIMALS``.
    """
    masked = np.where(allowed, scores, 0.0) if allowed is not None else scores
    needs_groups = groups is not None
    if not diversity.active and not needs_groups:
        return top_k(masked, k, ranks, min_score=min_score)
    # Greedy choice in score order decides a prefix the same whatever follows it, so
    # without MMR a short pool (widened when it runs out) gives the same list. A widening
    # redoes the choice from the start; 4k + 10 runs out in few lists (2k + 5 ran out in
    # 44% of them on the generated corpus, where the author cap bites).
    pool = max(4 * k, k + 50) if diversity.mmr_lambda < 1.0 else 4 * k + 10
    while True:
        rows, values = top_k(masked, pool, ranks, min_score=min_score)
        chosen = _greedy(rows, values, k, diversity, authors, groups, similarity)
        exhausted = rows.size < pool
        if len(chosen) >= k or exhausted:
            break
        pool *= 4
    chosen_rows = rows[chosen]
    order = np.lexsort((ranks[chosen_rows], -values[chosen]))
    return chosen_rows[order], values[chosen][order]


def _greedy(rows, values, k, diversity, authors, groups, similarity) -> list[int]:
    """Positions in ``rows`` chosen greedily under the rules."""
    if rows.size == 0:
        return []
    compare = similarity(rows) if similarity is not None and (
        diversity.mmr_lambda < 1.0 or diversity.duplicate_threshold <= 1.0) else None
    lam = diversity.mmr_lambda
    if lam >= 1.0 or compare is None:
        return _in_order(rows, k, diversity, authors, groups, compare)
    # MMR: the next candidate is the one of best gain, not the next in score order.
    quotas = _Quotas(rows, diversity, authors, groups)
    chosen: list[int] = []
    eligible = np.ones(rows.size, dtype=bool)
    closest = np.zeros(rows.size)  # highest similarity to anything chosen so far
    while len(chosen) < k and eligible.any():
        if chosen:
            gain = np.where(eligible, lam * values - (1.0 - lam) * closest, -np.inf)
            position = int(np.argmax(gain))  # first of equal gains: the better ranked
        else:
            position = int(np.argmax(eligible))
        eligible[position] = False
        if quotas.grouped_out(position):
            continue
        if chosen and closest[position] >= diversity.duplicate_threshold:
            continue
        if not quotas.allows(position):
            continue
        quotas.admit(position)
        chosen.append(position)
        cosines = np.round(np.clip(compare.among(position), 0.0, 1.0), SCORE_DECIMALS)
        np.maximum(closest, cosines, out=closest)
    return chosen


def _in_order(rows, k, diversity, authors, groups, compare) -> list[int]:
    """:func:`_greedy` without MMR, where the next candidate is always the next in
    score order: one pass, in which a candidate is compared with the articles chosen
    only when nothing else (translation group, author cap) has already ruled it out."""
    quotas = _Quotas(rows, diversity, authors, groups)
    chosen: list[int] = []
    threshold = diversity.duplicate_threshold
    for position in range(rows.size):
        if len(chosen) >= k:
            break
        if quotas.grouped_out(position) or not quotas.allows(position):
            continue
        # Rounding and clipping to [0, 1] keep the order, so the highest raw cosine
        # tests against a threshold in (0, 1] as the rounded cosines would.
        if compare is not None and chosen \
                and _rounded(compare.highest(position, chosen)) >= threshold:
            continue
        quotas.admit(position)
        chosen.append(position)
    return chosen


_SCALE = 10.0 ** SCORE_DECIMALS


def _rounded(value: float) -> float:
    """``np.round(value, SCORE_DECIMALS)`` of one float, without numpy's per-call cost:
    the same multiply, round half to even, and divide."""
    return round(value * _SCALE) / _SCALE


class _Quotas:
    """The per-author cap and one article per translation group, over a pool, read from
    plain lists: :meth:`grouped_out` and :meth:`allows` test, :meth:`admit` counts."""

    def __init__(self, rows, diversity, authors, groups):
        self.cap = diversity.max_per_author if authors is not None else None
        self.author_of = authors[rows].tolist() if self.cap is not None else None
        self.group_of = groups[rows].tolist() if groups is not None else None
        self.per_author: dict[int, int] = {}
        self.used_groups: set[int] = set()

    def grouped_out(self, position: int) -> bool:
        """Whether another member of this article's translation group is chosen."""
        return self.group_of is not None and self.group_of[position] in self.used_groups

    def allows(self, position: int) -> bool:
        """Whether the author cap would let this article in (nothing is counted)."""
        if self.cap is None or self.author_of[position] < 0:
            return True
        return self.per_author.get(self.author_of[position], 0) < self.cap

    def admit(self, position: int) -> None:
        """Count this article as chosen (its author, its translation group)."""
        if self.cap is not None and self.author_of[position] >= 0:
            author = self.author_of[position]
            self.per_author[author] = self.per_author.get(author, 0) + 1
        if self.group_of is not None:
            self.used_groups.add(self.group_of[position])
