"""Presenting related lists: the sidebar as text, and byte-stable JSON."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from .results import Related

__all__ = ["format_date", "sidebar_text", "records", "dumps_list", "dumps_export"]


_LANGUAGE_NAMES = {"pt": "Portuguese", "en": "English"}


def format_date(value: dt.date | None) -> str:
    """``dd/mm/yyyy`` as the site shows dates; "" when unknown."""
    return value.strftime("%d/%m/%Y") if value is not None else ""


def byline(item: Related) -> str:
    """``By AUTHOR: blurb`` as on the site (author in capitals); parts dropped when absent."""
    blurb = (item.blurb or "").strip()
    if item.author and blurb:
        return f"By {item.author.upper()}: {blurb}"
    if item.author:
        return f"By {item.author.upper()}"
    return blurb


def sidebar_text(items: Sequence[Related], *, also_in: Sequence[Related] = ()) -> str:
    """The related list as the site's sidebar shows it, one numbered entry per article.

    Each entry: the title; the author and the date (dd/mm/yyyy); the byline
    ``By AUTHOR: blurb``; the url; with explanations, a ``why:`` line. Empty
    parts are left out. ``also_in`` lists the article's translations after it.
    """
    lines: list[str] = [] if items else ["(no related articles)"]
    width = len(str(len(items)))
    for number, item in enumerate(items, start=1):
        pad = " " * (width + 2)
        pin = " [pinned]" if item.pinned else ""
        lines.append(f"{number:>{width}}. {item.title or item.id}{pin}")
        meta = " · ".join(part for part in (item.author, format_date(item.date)) if part)
        why = f"why: {item.score:.3f} = {item.explanation.describe()}" if item.explanation else ""
        for part in (meta, byline(item), item.url or "", why):
            if part:
                lines.append(pad + part)
    for other in also_in:
        language = _LANGUAGE_NAMES.get(other.lang or "", "another language")
        lines.append(f"Also in {language}: {other.title or other.id}"
                     + (f" <{other.url}>" if other.url else ""))
    return "\n".join(lines) + "\n"


def records(items: Iterable[Related]) -> list[dict[str, Any]]:
    """JSON-ready dicts: id, title, url, author, date (ISO), blurb, score."""
    return [item.to_dict() for item in items]


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2) + "\n"


def dumps_list(items: Iterable[Related]) -> str:
    """One related list as a JSON array (a single document, newline-terminated)."""
    return _dumps(records(items))


def dumps_export(lists: Mapping[str, Sequence[Related]]) -> str:
    """Every article's list as one JSON object, keys sorted: byte-identical for equal input."""
    return _dumps({key: records(lists[key]) for key in sorted(lists)})
