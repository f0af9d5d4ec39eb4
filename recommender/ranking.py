"""Top-k selection with a fixed tie-break: score descending, then date descending,
then id ascending. Self-matches are masked by index, never by position."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np

from .results import SCORE_DECIMALS

__all__ = ["tiebreak_ranks", "timestamps_in_days", "top_k"]

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def _timestamp(value: dt.date) -> float:
    if not isinstance(value, dt.datetime):
        value = dt.datetime(value.year, value.month, value.day)
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return (value - _EPOCH).total_seconds()


def tiebreak_ranks(ids: Sequence[str], dates: Sequence[dt.date | None]) -> np.ndarray:
    """Position of each article in the order (date descending, id ascending).

    Undated articles come after every dated one. Naive datetimes are taken as UTC.
    Among equal scores, the article with the smaller rank is listed first.
    """
    order = sorted(
        range(len(ids)),
        key=lambda i: (dates[i] is None, -_timestamp(dates[i]) if dates[i] else 0.0, ids[i]),
    )
    ranks = np.empty(len(ids), dtype=np.int64)
    ranks[order] = np.arange(len(ids), dtype=np.int64)
    return ranks


def top_k(
    scores: np.ndarray,
    k: int,
    ranks: np.ndarray,
    *,
    exclude: int | None = None,
    min_score: float = 0.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Best ``k`` columns of one row of scores.

    Parameters
    ----------
    scores : ndarray of shape (n,)
        Cosine similarities of one query against every article.
    k : int
        At most this many results.
    ranks : ndarray of shape (n,)
        Tie-break ranks from :func:`tiebreak_ranks`.
    exclude : int, optional
        Index of the query article itself, never returned.
    min_score : float
        Results must score at least this much; a zero score is never a result.

    Returns
    -------
    indices : ndarray of int
        Best first.
    scores : ndarray of float
        Their scores, rounded to ``SCORE_DECIMALS`` and clipped to [0, 1].
    """
    rounded = np.round(np.clip(scores.astype(np.float64), 0.0, 1.0), SCORE_DECIMALS)
    keep = rounded > 0.0
    if min_score > 0.0:
        keep &= rounded >= min_score
    if exclude is not None:
        keep[exclude] = False
    candidates = np.flatnonzero(keep)
    if k <= 0 or candidates.size == 0:
        return candidates[:0], rounded[:0]
    values = rounded[candidates]
    if candidates.size > k:
        # Keep every candidate tied with the k-th best, so the tie-break decides among them.
        kth = np.partition(values, values.size - k)[values.size - k]
        selected = values >= kth
        candidates, values = candidates[selected], values[selected]
    order = np.lexsort((ranks[candidates], -values))[:k]
    return candidates[order], values[order]


def timestamps_in_days(dates: Sequence[dt.date | None]) -> np.ndarray:
    """Days since 1970-01-01 (UTC) per article, NaN where undated."""
    return np.array([_timestamp(d) / 86400.0 if d is not None else np.nan for d in dates],
                    dtype=np.float64)
