"""The result type: one entry of a related-articles list."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .explain import Explanation

__all__ = ["Related", "SCORE_DECIMALS"]

#: Scores are rounded to this many decimals before ranking, so that two scores
#: shown as equal are ordered by the documented tie-break, not by float noise.
SCORE_DECIMALS = 6


@dataclass(frozen=True, slots=True)
class Related:
    """An article in a related list, with what a sidebar shows.

    Attributes
    ----------
    id, title : str
    url : str or None
    author : str
        The author names joined with ", " ("" when unknown).
    date : datetime.date or None
    blurb : str or None
    score : float
        Cosine similarity in [0, 1] (times the time decay, when set), rounded to
        ``SCORE_DECIMALS`` decimals.
    pinned : bool
        Placed by an editor's pin rather than by score.
    lang : {"pt", "en"} or None
        The article's language (given or detected).
    explanation : Explanation or None
        Present when asked for (``explain=True``).
    """

    id: str
    title: str
    url: str | None
    author: str
    date: dt.date | None
    blurb: str | None
    score: float
    pinned: bool = False
    lang: str | None = None
    explanation: Explanation | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form: ``date`` as an ISO 8601 string, keys in a fixed order.

        ``pinned`` and ``explanation`` appear only when set.
        """
        record = {
            "id": self.id,
            "title": self.title,
            "url": self.url,
            "author": self.author,
            "date": self.date.isoformat() if self.date is not None else None,
            "blurb": self.blurb,
            "score": self.score,
        }
        if self.pinned:
            record["pinned"] = True
        if self.explanation is not None:
            record["explanation"] = self.explanation.to_dict()
        return record
