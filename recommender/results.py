"""The result type: one entry of a related-articles list."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .explain import Explanation

__all__ = ["Related", "SCORE_DECIMALS"]

#: Scores are rounded to this many decimals before ranking, so that two scores
#: shown as equal are ordered by the documented tie-break, not by float noise.
SCORE_DECIMALS = 6


@dataclass(frozen=True, slots=True, init=False)
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

    # Written by hand: the generated __init__ of a frozen dataclass sets each field through
    # object.__setattr__, which costs twice as much as the slots' own setters, and building
    # ten of these is most of the time of a lookup served from kept lists.
    def __init__(self, id: str, title: str, url: str | None, author: str,
                 date: dt.date | None, blurb: str | None, score: float, pinned: bool = False,
                 lang: str | None = None, explanation: Explanation | None = None) -> None:
        set_id, set_title, set_url, set_author, set_date, set_blurb, set_score, \
            set_pinned, set_lang, set_explanation = _SLOT_SETTERS
        set_id(self, id)
        set_title(self, title)
        set_url(self, url)
        set_author(self, author)
        set_date(self, date)
        set_blurb(self, blurb)
        set_score(self, score)
        set_pinned(self, pinned)
        set_lang(self, lang)
        set_explanation(self, explanation)

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


_SLOT_SETTERS = tuple(Related.__dict__[field.name].__set__ for field in fields(Related))


class _Unfrozen:
    """:class:`Related`'s slots without its frozen ``__setattr__``, to build an item in.

    CPython lets an object's ``__class__`` be assigned between two classes of the same
    slots, so :func:`related_item` fills one of these with plain attribute stores and
    then makes it a Related: half the time of Related's own ``__init__``, which must set
    each field through its slot's setter. A lookup from kept lists is mostly the making
    of its ten items.
    """

    __slots__ = tuple(field.name for field in fields(Related))

    def __init__(self, id, title, url, author, date, blurb, score, pinned, lang, explanation):
        self.id = id
        self.title = title
        self.url = url
        self.author = author
        self.date = date
        self.blurb = blurb
        self.score = score
        self.pinned = pinned
        self.lang = lang
        self.explanation = explanation


def related_item(id: str, title: str, url: str | None, author: str, date: dt.date | None,
                 blurb: str | None, score: float, pinned: bool = False,
                 lang: str | None = None, explanation: Explanation | None = None) -> Related:
    """``Related(...)`` with the same arguments, made faster (see :class:`_Unfrozen`)."""
    item = _Unfrozen(id, title, url, author, date, blurb, score, pinned, lang, explanation)
    item.__class__ = Related
    return item
