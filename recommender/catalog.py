"""What the index keeps of each article to show it in a list (everything but the body)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from .corpus import Article, parse_date
from .errors import IndexFormatError
from .results import Related, related_item

__all__ = ["Entry"]


@dataclass(frozen=True, slots=True)
class Entry:
    """Display fields of one indexed article, and its resolved language."""

    id: str
    title: str
    url: str | None
    author: tuple[str, ...]
    date: dt.date | None
    blurb: str | None
    tags: tuple[str, ...]
    lang: str
    translation_of: str | None = None
    pins: tuple[str, ...] = ()
    digest: str = ""

    @classmethod
    def from_article(cls, article: Article, lang: str) -> Entry:
        return cls(article.id, article.title, article.url, article.author, article.date,
                   article.blurb, article.tags, lang, article.translation_of, article.related,
                   article_digest(article))

    def related(self, score: float, *, pinned: bool = False, explanation=None) -> Related:
        """This article as an item of a related list, with ``score``."""
        return related_item(self.id, self.title, self.url, ", ".join(self.author), self.date,
                            self.blurb, score, pinned, self.lang, explanation)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "url": self.url,
            "author": list(self.author),
            "date": self.date.isoformat() if self.date is not None else None,
            "blurb": self.blurb,
            "tags": list(self.tags),
            "lang": self.lang,
            "translation_of": self.translation_of,
            "pins": list(self.pins),
            "digest": self.digest,
        }

    @classmethod
    def from_json(cls, record: Any, where: str) -> Entry:
        """Rebuild an entry saved by :meth:`to_json`; ``where`` names it in errors."""
        try:
            date = record["date"]
            parsed = parse_date(date) if date is not None else None
            if date is not None and parsed is None:
                raise ValueError(f"bad date {date!r}")
            lists = {name: record[name] for name in ("author", "tags", "pins")}
            for name, value in lists.items():
                if not isinstance(value, list):
                    raise TypeError(f"{name} must be a list")
            entry = cls(
                record["id"], record["title"], record["url"], tuple(lists["author"]),
                parsed, record["blurb"], tuple(lists["tags"]), record["lang"],
                record["translation_of"], tuple(lists["pins"]), record["digest"],
            )
            _check_types(entry)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise IndexFormatError(f"{where}: malformed article entry ({exc})") from None
        return entry


def _check_types(entry: Entry) -> None:
    if not isinstance(entry.id, str) or not isinstance(entry.title, str):
        raise TypeError("id and title must be strings")
    if not isinstance(entry.digest, str):
        raise TypeError("digest must be a string")
    for name in ("url", "blurb", "translation_of"):
        if not isinstance(getattr(entry, name), str | None):
            raise TypeError(f"{name} must be a string or null")
    if not all(isinstance(x, str) for x in entry.author + entry.tags + entry.pins):
        raise TypeError("author, tags and pins must be lists of strings")
    if entry.lang not in ("pt", "en"):
        raise ValueError(f"unknown lang {entry.lang!r}")


def article_digest(article: Article) -> str:
    """sha256 of every field of an article: equal digests mean unchanged content."""
    fields = {name: getattr(article, name) for name in article.__dataclass_fields__}
    fields["date"] = article.date.isoformat() if article.date is not None else None
    canonical = json.dumps(fields, ensure_ascii=False, sort_keys=True, default=list)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
