"""Presenting related lists: the sidebar as text, and byte-stable JSON."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from .results import Related

__all__ = ["format_date", "sidebar_text", "records", "dumps_list", "dumps_export"]


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


def sidebar_text(items: Sequence[Related]) -> str:
    """The related list as the site's sidebar shows it, one numbered entry per article.

    Each entry: the title; the author and the date (dd/mm/yyyy); the byline
    ``By AUTHOR: blurb``; the url. Empty parts are left out.
    """
    if not items:
        return "(no related articles)\n"
    width = len(str(len(items)))
    lines: list[str] = []
    for number, item in enumerate(items, start=1):
        pad = " " * (width + 2)
        lines.append(f"{number:>{width}}. {item.title or item.id}")
        meta = " · ".join(part for part in (item.author, format_date(item.date)) if part)
        for part in (meta, byline(item), item.url or ""):
            if part:
                lines.append(pad + part)
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
