"""Plain text from article bodies that may be HTML, using only the standard library."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

__all__ = ["html_to_text"]

# Elements whose content is never prose.
_SKIPPED = frozenset({"script", "style", "noscript", "template"})

# Phrasing elements that may sit inside a word ("pala<b>vra</b>"). Every other
# element, known or not, separates words: gluing two words is worse than
# splitting one in the rare case of an unknown inline element.
_INLINE = frozenset(
    {
        "a", "abbr", "acronym", "b", "bdi", "bdo", "big", "cite", "code", "data", "del",
        "dfn", "em", "font", "i", "ins", "kbd", "mark", "q", "s", "samp", "small", "span",
        "strike", "strong", "sub", "sup", "time", "tt", "u", "var", "wbr",
    }
)  # fmt: skip


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if not self._skip_depth and tag not in _INLINE:
            self.parts.append("\n")
        if tag in _SKIPPED:
            self._skip_depth += 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        # "<script/>" opens nothing here (the parser does not switch to raw
        # text for it), so only the separator matters.
        if not self._skip_depth and tag not in _INLINE:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED and self._skip_depth:
            self._skip_depth -= 1
        if not self._skip_depth and tag not in _INLINE:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip_depth:
            self.parts.append(data)


_FALLBACK_SKIPPED = re.compile(
    r"<(script|style|noscript|template)\b.*?(?:</\1\s*>|\Z)|<!--.*?(?:-->|\Z)",
    re.IGNORECASE | re.DOTALL,
)
_FALLBACK_TAG = re.compile(r"</?[A-Za-z][^>]*>|<![^>]*>|<\?[^>]*>")


def _strip_tags_roughly(text: str) -> str:
    text = _FALLBACK_SKIPPED.sub(" ", text)
    return html.unescape(_FALLBACK_TAG.sub("\n", text))


def html_to_text(text: str) -> str:
    """Return the plain text of an HTML fragment or of plain text.

    Tags are removed; the contents of ``script``, ``style``, ``noscript`` and
    ``template`` elements and of comments are dropped; entities are unescaped
    (``&nbsp;`` becomes a plain space). Every element except inline phrasing
    elements (``a``, ``b``, ``em``, ``span`` ...) becomes a line break, so words
    in neighbouring paragraphs, list items or table cells never run together;
    a comment, as in a browser, becomes nothing.
    Malformed markup never raises: unclosed tags are tolerated and a ``<`` that
    does not start a tag (``a < b``) is kept as text. As in a browser, an
    unclosed ``script`` (or ``style``, ``noscript``, ``template``) hides the
    rest of the text.

    Parameters
    ----------
    text : str
        HTML or plain text. Text without ``<`` is returned unchanged, apart
        from entity unescaping when it contains ``&``.

    Returns
    -------
    str
        The text, with tags replaced by nothing (inline) or a newline (block).

    Examples
    --------
    >>> html_to_text("<p>Política&nbsp;externa</p><p>do <b>Bra</b>sil</p>")
    '\\nPolítica externa\\n\\ndo Brasil\\n'
    >>> html_to_text("se a < b, então b > a")
    'se a < b, então b > a'
    """
    if "<" not in text:
        if "&" not in text:
            return text
        return html.unescape(text).replace("\xa0", " ")
    parser = _TextExtractor()
    try:
        parser.feed(text)
        parser.close()
    except Exception:
        # html.parser still raises on some malformed declarations ("<![foo"),
        # and which inputs do differs between Python versions.
        return _strip_tags_roughly(text).replace("\xa0", " ")
    return "".join(parser.parts).replace("\xa0", " ")
