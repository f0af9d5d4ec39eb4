"""Presenting related lists: the sidebar as text, byte-stable JSON, and escaped HTML.

HTML is built in two ways: :func:`sidebar_html`, the site's sidebar as a
``<ul>`` fragment with every value escaped, and :class:`SidebarTemplate`, a
user's Jinja2 template run in a sandbox with autoescaping. Both link a title
only when :func:`safe_href` accepts its url.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
import json
import os
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from .errors import ConfigError
from .results import Related

__all__ = [
    "format_date", "sidebar_text", "records", "dumps_list", "dumps_export",
    "LABELS", "safe_href", "sidebar_html", "template_context", "SidebarTemplate",
    "TemplateError",
]


_LANGUAGE_NAMES = {"pt": "Portuguese", "en": "English"}

#: Words of the sidebar by locale: ``by`` opens the byline ("By AUTHOR: blurb").
LABELS: dict[str, dict[str, str]] = {"en": {"by": "By"}, "pt": {"by": "Por"}}


def format_date(value: dt.date | None) -> str:
    """``dd/mm/yyyy`` as the site shows dates; "" when unknown."""
    return value.strftime("%d/%m/%Y") if value is not None else ""


def byline(item: Related, label: str = "By") -> str:
    """``By AUTHOR: blurb`` as on the site (author in capitals); parts dropped when absent.

    ``label`` replaces "By" (``"Por"`` on Portuguese pages).
    """
    blurb = (item.blurb or "").strip()
    if item.author and blurb:
        return f"{label} {item.author.upper()}: {blurb}"
    if item.author:
        return f"{label} {item.author.upper()}"
    return blurb


def sidebar_text(items: Sequence[Related], *, also_in: Sequence[Related] = ()) -> str:
    """The related list as the site's sidebar shows it, one numbered entry per article.

    Each entry: the title; the author and the date (dd/mm/yyyy); the byline
    ``By AUTHOR: blurb``; the url; with explanations, a ``why:`` line. Empty
    parts are left out. ``also_in`` lists the article's translations after it.
    """
    lines: list[str] = [] if items else ["(no related articles)"]
    width = len(str(len(items)))
    items = [_printable(item) for item in items]
    also_in = [_printable(item) for item in also_in]
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


_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _printable(item: Related) -> Related:
    """The item with control characters in its shown text replaced (U+FFFD), so that
    no stored title can move the cursor or recolour a terminal."""
    def clean(text: str | None) -> str | None:
        return _CONTROLS.sub("\ufffd", text) if text else text

    return dataclasses.replace(item, id=clean(item.id), title=clean(item.title),
                               author=clean(item.author), blurb=clean(item.blurb),
                               url=clean(item.url))


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


# -- HTML -------------------------------------------------------------------------------------

#: A scheme as browsers read one: a letter, then letters, digits, "+", "-", "." up to ":".
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")
_SAFE_SCHEMES = frozenset({"http", "https"})
#: What browsers strip from both ends of a url before parsing it: C0 controls and space.
_URL_EDGES = "".join(map(chr, range(0x21)))


def safe_href(url: str | None) -> str | None:
    """``url`` when it is safe as a link target, else None (show the title as text).

    Accepted: absolute ``http``/``https`` urls with a host, and relative urls
    (``/artigos/x/``, ``x/``, ``../x``, ``?p=2``, ``#top``). Refused: every other
    scheme (``javascript:``, ``data:``, ``vbscript:``, ``file:``, ``mailto:`` ...),
    protocol-relative urls (``//host``), backslashes (browsers read ``/\\host`` as
    ``//host``), any control character, whitespace or separator inside the url
    (browsers delete tabs and newlines, so ``java\\tscript:`` would run), a colon
    before the first ``/``, ``?`` or ``#`` of a relative url, and urls that would
    be any of these once their character references are decoded
    (``jav&#x09;ascript:``). Control characters and spaces at either end are
    stripped first, as browsers do.

    The result still needs HTML escaping (``&`` in a query string is legal).

    Examples
    --------
    >>> safe_href("https://revista.example/a?x=1&y=2"), safe_href("/artigos/x/")
    ('https://revista.example/a?x=1&y=2', '/artigos/x/')
    >>> safe_href("java\\tscript:alert(1)"), safe_href("//evil.example/"), safe_href(None)
    (None, None, None)
    """
    if not isinstance(url, str):
        return None
    candidate = _vetted(url)
    # Character references would be decoded once more by a page that prints the url
    # unescaped (``jav&#x09;ascript:``): the decoded form must be safe too.
    if candidate is None or ("&" in candidate and _vetted(html.unescape(candidate)) is None):
        return None
    return candidate


def _vetted(url: str) -> str | None:
    candidate = url.strip(_URL_EDGES)
    if not candidate or "\\" in candidate:
        return None
    if any(_blank_or_control(char) for char in candidate):
        return None
    if candidate.startswith("//"):
        return None
    scheme = _SCHEME.match(candidate)
    if scheme is not None:
        if scheme.group()[:-1].lower() not in _SAFE_SCHEMES:
            return None
        try:
            parts = urlsplit(candidate)
        except ValueError:  # e.g. a malformed IPv6 host
            return None
        return candidate if parts.netloc and candidate[scheme.end():].startswith("//") else None
    first = re.split(r"[/?#]", candidate, maxsplit=1)[0]
    return None if ":" in first else candidate


def _blank_or_control(char: str) -> bool:
    """Whitespace, a separator, a control character (C0, DEL, C1), a surrogate or unassigned."""
    return char.isspace() or unicodedata.category(char) in ("Cc", "Cs", "Cn", "Zs", "Zl", "Zp")


def _escape(text: str) -> str:
    return html.escape(text, quote=True)


def _check_locale(locale: str) -> None:
    if locale not in LABELS:
        raise ConfigError(f"locale must be one of {', '.join(map(repr, LABELS))}, "
                          f"got {locale!r}")


def sidebar_html(items: Sequence[Related], *, locale: str = "pt") -> str:
    """The related list as the site's sidebar, an HTML ``<ul>`` fragment.

    One ``<li>`` per article: the title, linked to the url when :func:`safe_href`
    accepts it (else plain text); the author; the date (``dd/mm/yyyy``, in a
    ``<time>`` element); the byline ``By AUTHOR: blurb`` (``Por AUTOR: blurb``
    when ``locale`` is ``"pt"``). Empty parts are left out; an empty list gives
    an empty ``<ul>``. Every value is escaped with ``html.escape(quote=True)``.
    Equal input gives equal output, byte for byte.

    Examples
    --------
    >>> from recommender import Related
    >>> item = Related("x", "Fiori & a OTAN", "/x/", "José Luís Fiori", None, "<b>!</b>", 0.5)
    >>> print(sidebar_html([item], locale="pt"), end="")
    <ul class="related-articles">
      <li>
        <a class="related-title" href="/x/">Fiori &amp; a OTAN</a>
        <span class="related-author">José Luís Fiori</span>
        <p class="related-byline">Por JOSÉ LUÍS FIORI: &lt;b&gt;!&lt;/b&gt;</p>
      </li>
    </ul>
    """
    _check_locale(locale)
    if not items:
        return '<ul class="related-articles"></ul>\n'
    label = LABELS[locale]["by"]
    lines = ['<ul class="related-articles">']
    for item in items:
        title = _escape(item.title or item.id)
        href = safe_href(item.url)
        lines.append("  <li>")
        if href is not None:
            lines.append(f'    <a class="related-title" href="{_escape(href)}">{title}</a>')
        else:
            lines.append(f'    <span class="related-title">{title}</span>')
        if item.author:
            lines.append(f'    <span class="related-author">{_escape(item.author)}</span>')
        if item.date is not None:
            lines.append(f'    <time class="related-date" datetime="{item.date.isoformat()}">'
                         f"{format_date(item.date)}</time>")
        text = byline(item, label)
        if text:
            lines.append(f'    <p class="related-byline">{_escape(text)}</p>')
        lines.append("  </li>")
    lines.append("</ul>")
    return "\n".join(lines) + "\n"


def template_context(article: Mapping[str, Any], items: Sequence[Related], *,
                     locale: str) -> dict[str, Any]:
    """The variables a custom sidebar template sees.

    ``article``: ``id``, ``title``, ``url``, ``lang`` of the article whose sidebar
    it is. ``items``: one dict per related article, the JSON form (``id``,
    ``title``, ``url``, ``author``, ``date`` ISO, ``blurb``, ``score``) plus
    ``pinned`` (always present), ``date_display`` (``dd/mm/yyyy`` or "") and
    ``href`` (the url if :func:`safe_href` accepts it, else None). ``locale``:
    ``"pt"`` or ``"en"``. ``labels``: the words of that locale, ``labels.by`` is
    "By" or "Por".
    """
    _check_locale(locale)
    listed = []
    for item in items:
        record = item.to_dict()
        record.pop("explanation", None)
        record["pinned"] = item.pinned
        record["date_display"] = format_date(item.date)
        record["href"] = safe_href(item.url)
        listed.append(record)
    return {
        "article": {name: article.get(name) for name in ("id", "title", "url", "lang")},
        "items": listed,
        "locale": locale,
        "labels": dict(LABELS[locale]),
    }


class TemplateError(ConfigError):
    """A custom template that cannot be read, compiled or rendered (``path:line: why``)."""


_INSTALL_HINT = ("custom templates need Jinja2, an optional extra: "
                 "pip install 'recommender[site]'")


@dataclass(frozen=True)
class SidebarTemplate:
    """A user's Jinja2 template for the sidebar, compiled in a sandbox.

    The template file is untrusted input, so it runs in
    ``jinja2.sandbox.SandboxedEnvironment`` (no access to Python internals such
    as ``__class__`` or ``__globals__``), with ``autoescape=True`` (every value
    is HTML-escaped unless the template says ``|safe``) and ``StrictUndefined``
    (a misspelt variable is an error, not an empty string). ``{% include %}``
    and ``{% extends %}`` are not available: one file is the whole template.

    Use :meth:`load`; :meth:`render` takes :func:`template_context` arguments.

    Raises
    ------
    ImportError
        When Jinja2 is not installed (the message gives the pip command).
    TemplateError
        For an unreadable file, a syntax error, or an error while rendering,
        naming the file and line.
    """

    path: str
    template: Any

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> SidebarTemplate:
        """Read and compile the template at ``path`` (UTF-8)."""
        try:
            from jinja2 import StrictUndefined, TemplateSyntaxError
            from jinja2.sandbox import SandboxedEnvironment
        except ImportError:
            raise ImportError(_INSTALL_HINT) from None
        name = os.fspath(path)
        try:
            with open(name, encoding="utf-8") as stream:
                source = stream.read()
        except FileNotFoundError:
            raise TemplateError(f"{name}: template file not found") from None
        except IsADirectoryError:
            raise TemplateError(f"{name}: is a directory, not a template file") from None
        except UnicodeDecodeError as exc:
            raise TemplateError(f"{name}: not UTF-8 text ({exc.reason} "
                                f"at byte {exc.start})") from None
        environment = SandboxedEnvironment(autoescape=True, undefined=StrictUndefined,
                                           keep_trailing_newline=True)
        try:
            compiled = environment.from_string(source)
        except TemplateSyntaxError as exc:
            raise TemplateError(f"{name}:{exc.lineno}: template syntax error: "
                                f"{exc.message}") from None
        return cls(name, compiled)

    def render(self, article: Mapping[str, Any], items: Sequence[Related], *,
               locale: str) -> str:
        """The sidebar of ``article`` through the template."""
        context = template_context(article, items, locale=locale)
        try:
            return self.template.render(context)
        except Exception as exc:  # the template is user code: any failure is its error
            line = _template_line(exc)
            where = f"{self.path}:{line}" if line is not None else self.path
            kind = type(exc).__name__
            hint = ""
            if kind == "SecurityError":
                hint = (" (templates run in a sandbox: only the documented variables "
                        "article, items, locale and labels are available)")
            raise TemplateError(f"{where}: {kind} while rendering the sidebar of "
                                f"{context['article']['id']!r}: {exc}{hint}") from None


def _template_line(exc: BaseException) -> int | None:
    """The template line of the innermost frame Jinja2 attributes to the template."""
    line = None
    trace = exc.__traceback__
    while trace is not None:
        if trace.tb_frame.f_code.co_filename == "<template>":
            line = trace.tb_lineno
        trace = trace.tb_next
    return line
