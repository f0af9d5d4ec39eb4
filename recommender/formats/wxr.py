"""WordPress export reader: the WXR file that Tools → Export writes (RSS 2.0 with
WordPress namespaces), streamed with expat so that a large export never sits in memory.

Only published posts become records. Their HTML body is passed on as HTML (the
index strips tags itself) after removing what WordPress alone understands:
block-editor comments (``<!-- wp:paragraph -->``) and shortcodes
(``[caption ...]``, ``[gallery ...]``, ``[embed]...[/embed]``).
"""

from __future__ import annotations

import html
import os
import re
from collections.abc import Collection, Iterator
from xml.parsers import expat

from . import Problem, Record

__all__ = ["read_wxr", "clean_wordpress_html"]

_WP = frozenset(f"http://wordpress.org/export/{v}/" for v in ("1.0", "1.1", "1.2"))
_EXCERPT = frozenset(f"http://wordpress.org/export/{v}/excerpt/" for v in ("1.0", "1.1", "1.2"))
_CONTENT = "http://purl.org/rss/1.0/modules/content/"
_DC = "http://purl.org/dc/elements/1.1/"

# Item children kept, by (namespace group, local name) -> key.
_ITEM_FIELDS = {
    ("", "title"): "title",
    ("", "link"): "link",
    ("dc", "creator"): "creator",
    ("content", "encoded"): "content",
    ("excerpt", "encoded"): "excerpt",
    ("wp", "post_id"): "post_id",
    ("wp", "post_name"): "post_name",
    ("wp", "post_date"): "post_date",
    ("wp", "status"): "status",
    ("wp", "post_type"): "post_type",
    ("wp", "post_password"): "post_password",
}

# Categories that mean "no category": WordPress's default one, in English and Portuguese.
_PLACEHOLDER_CATEGORIES = frozenset({"uncategorized", "sem-categoria"})

_CHUNK = 1 << 20


def read_wxr(
    path: str | os.PathLike[str], *, post_types: Collection[str] = ("post",)
) -> Iterator[Record | Problem]:
    """Yield a :class:`Record` per published post of a WordPress export, or Problems.

    Parameters
    ----------
    path : path
        A WXR file (WXR 1.0, 1.1 or 1.2), as WordPress's Tools → Export writes it.
    post_types : collection of str, default ("post",)
        The ``wp:post_type`` values read; a magazine with a custom type for its
        essays names it here. Pages, attachments and menu items are never posts.

    Yields
    ------
    Record or Problem
        Records in document order, each on the line where its ``<item>`` starts.
        Fields: ``id`` (``wp:post_name``, the slug, or ``wp:post_id`` when the
        slug is empty), ``title``, ``body`` (``content:encoded`` without block
        comments and shortcodes), ``blurb`` (``excerpt:encoded`` as plain text),
        ``author`` (the display name of the ``dc:creator`` login, from the
        channel's ``wp:author`` entries, else the login), ``date``
        (``wp:post_date``, local time, as ``2024-07-21T09:30:00``), ``url``
        (``link``) and ``tags`` (the names of the item's tags and categories,
        without duplicates, in document order; WordPress's default
        "Uncategorized" / "Sem categoria" is left out). Absent values are left out.

    Notes
    -----
    Only items with ``wp:status`` ``publish`` and no password are read: drafts,
    scheduled, private, trashed and password-protected posts are skipped. Titles,
    names and tags have HTML entities decoded, since WordPress stores some of them
    escaped (``Arte &amp; Cultura``).

    A document type declaration that declares entities is refused with a
    Problem, before any entity is expanded: WordPress never writes one, and
    entities can expand without bound ("billion laughs") or name other files.
    Nothing is ever fetched. Malformed XML yields one Problem with the line and
    column where the parser stopped; the records before it have been yielded.
    ``OSError`` propagates.

    Examples
    --------
    >>> posts = [r for r in read_wxr("fixtures/formats/wordpress-export.xml")]
    >>> [p.fields["id"] for p in posts][:2]
    ['soberania-digital-e-o-sul-global', 'o-que-a-floresta-pensa']
    """
    source = os.fspath(path)
    if isinstance(post_types, str):
        post_types = (post_types,)
    reader = _WxrParser(source, frozenset(post_types))
    with open(source, "rb") as stream:
        while not reader.done:
            chunk = stream.read(_CHUNK)
            reader.feed(chunk, final=not chunk)
            yield from reader.take()
            if not chunk:
                break
    yield from reader.finish()


class _Refused(Exception):
    """Raised inside an expat handler to stop parsing a document we will not read."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message)
        self.problem = problem


class _WxrParser:
    def __init__(self, source: str, post_types: frozenset[str]) -> None:
        self.source = source
        self.post_types = post_types
        self.done = False
        self._out: list[Record | Problem] = []
        self._stack: list[tuple[str, str]] = []  # (namespace group, local name)
        self._authors: dict[str, str] = {}
        self._author: dict[str, str] | None = None
        self._item: dict[str, str] | None = None
        self._item_line = 0
        self._tags: list[tuple[str, str, str]] = []  # (domain, nicename, text)
        self._category: dict[str, str] | None = None
        self._key: str | None = None
        self._text: list[str] = []
        self._wxr_version_seen = False

        parser = expat.ParserCreate(namespace_separator=" ")
        parser.buffer_text = True
        parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
        parser.StartElementHandler = self._start
        parser.EndElementHandler = self._end
        parser.CharacterDataHandler = self._data
        parser.EntityDeclHandler = self._entity_declared
        parser.ExternalEntityRefHandler = self._external_entity
        self._parser = parser

    # -- driving ---------------------------------------------------------------

    def feed(self, chunk: bytes, *, final: bool) -> None:
        try:
            self._parser.Parse(chunk, final)
        except _Refused as refused:
            self._out.append(refused.problem)
            self.done = True
        except expat.ExpatError as exc:
            self._out.append(Problem(
                self.source, exc.lineno, "xml",
                f"malformed XML: {expat.ErrorString(exc.code)} (column {exc.offset + 1})"))
            self.done = True
        except LookupError as exc:  # <?xml encoding="..."?> that Python does not know
            self._out.append(Problem(
                self.source, self._parser.CurrentLineNumber or 1, "xml",
                f"the XML declaration names an encoding Python does not know ({exc}); "
                "WordPress writes UTF-8: re-export the file, or re-save it as UTF-8"))
            self.done = True

    def take(self) -> Iterator[Record | Problem]:
        out, self._out = self._out, []
        yield from out

    def finish(self) -> Iterator[Record | Problem]:
        yield from self.take()
        if not self.done and not self._wxr_version_seen:
            yield Problem(self.source, None, "xml",
                          "no <wp:wxr_version> element: this is not a WordPress export "
                          "(WXR, written by Tools → Export)")

    # -- security --------------------------------------------------------------

    def _entity_declared(self, name, is_parameter, value, base, system_id, public_id,
                         notation) -> None:
        kind = "a parameter entity" if is_parameter else "an entity"
        raise _Refused(Problem(
            self.source, self._parser.CurrentLineNumber, "xml",
            f"refused: the document type declaration defines {kind} ({name!r}); WordPress "
            "exports never do, and entities can expand without bound or read other files. "
            "Remove the <!DOCTYPE ...> declaration"))

    def _external_entity(self, context, base, system_id, public_id) -> int:
        raise _Refused(Problem(
            self.source, self._parser.CurrentLineNumber, "xml",
            f"refused: the document refers to an external entity ({system_id!r}); "
            "nothing is fetched"))

    # -- elements --------------------------------------------------------------

    def _start(self, name: str, attrs: dict[str, str]) -> None:
        key = _split(name)
        depth = len(self._stack)
        self._stack.append(key)
        if depth == 0:
            if key != ("", "rss"):
                raise _Refused(Problem(
                    self.source, self._parser.CurrentLineNumber, "xml",
                    f"the root element is <{key[1]}>, not <rss>: this is not a WordPress "
                    "export (WXR, written by Tools → Export)"))
            return
        parent = self._stack[-2]
        if depth == 2 and key == ("", "item"):
            self._item, self._tags = {}, []
            self._item_line = self._parser.CurrentLineNumber
        elif depth == 2 and key == ("wp", "author"):
            self._author = {}
        elif depth == 2 and key == ("wp", "wxr_version"):
            self._wxr_version_seen = True
        elif depth == 3 and parent == ("", "item"):
            if key == ("", "category"):
                self._category = {"domain": attrs.get("domain", ""),
                                  "nicename": attrs.get("nicename", "")}
                self._begin_text("category")
            elif key in _ITEM_FIELDS:
                self._begin_text(_ITEM_FIELDS[key])
        elif depth == 3 and parent == ("wp", "author") and key[0] == "wp":
            self._begin_text(key[1])

    def _end(self, name: str) -> None:
        depth = len(self._stack) - 1
        key = self._stack.pop()
        if self._key is not None and depth == 3:
            text = "".join(self._text)
            if self._category is not None:
                self._tags.append((self._category["domain"], self._category["nicename"], text))
                self._category = None
            elif self._item is not None:
                self._item[self._key] = text
            elif self._author is not None:
                self._author[self._key] = text
            self._key, self._text = None, []
        elif depth == 2 and key == ("", "item") and self._item is not None:
            record = self._record(self._item, self._tags)
            if record is not None:
                self._out.append(record)
            self._item = None
        elif depth == 2 and key == ("wp", "author") and self._author is not None:
            login = self._author.get("author_login", "").strip()
            display = html.unescape(self._author.get("author_display_name", "")).strip()
            if login and display:
                self._authors[login] = display
            self._author = None

    def _begin_text(self, key: str) -> None:
        self._key, self._text = key, []

    def _data(self, text: str) -> None:
        if self._key is not None and len(self._stack) == 4:
            self._text.append(text)

    # -- records ---------------------------------------------------------------

    def _record(self, item: dict[str, str], tags: list[tuple[str, str, str]]) -> Record | None:
        if (item.get("post_type", "").strip() not in self.post_types
                or item.get("status", "").strip() != "publish"
                or item.get("post_password", "").strip()):
            return None
        fields: dict[str, object] = {}
        ident = item.get("post_name", "").strip() or item.get("post_id", "").strip()
        if ident:
            fields["id"] = ident
        title = html.unescape(item.get("title", "")).strip()
        if title:
            fields["title"] = title
        body = clean_wordpress_html(item.get("content", "")).strip()
        if body:
            fields["body"] = body
        blurb = html.unescape(clean_wordpress_html(item.get("excerpt", ""))).strip()
        if blurb:
            fields["blurb"] = blurb
        login = item.get("creator", "").strip()
        if login:
            fields["author"] = self._authors.get(login, html.unescape(login))
        date = _iso_date(item.get("post_date", ""))
        if date:
            fields["date"] = date
        url = item.get("link", "").strip()
        if url:
            fields["url"] = url
        names = [html.unescape(text).strip() for domain, nicename, text in tags
                 if domain in ("post_tag", "category")
                 and not (domain == "category" and nicename in _PLACEHOLDER_CATEGORIES)]
        names = list(dict.fromkeys(name for name in names if name))
        if names:
            fields["tags"] = names
        return Record(self.source, self._item_line, fields)


def _split(name: str) -> tuple[str, str]:
    uri, _, local = name.rpartition(" ")
    if not uri:
        return ("", local)
    if uri in _WP:
        return ("wp", local)
    if uri in _EXCERPT:
        return ("excerpt", local)
    if uri == _CONTENT:
        return ("content", local)
    if uri == _DC:
        return ("dc", local)
    return (uri, local)


_WP_DATE = re.compile(r"(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}(?::\d{2})?)")


def _iso_date(text: str) -> str | None:
    """``2024-07-21 09:30:00`` -> ``2024-07-21T09:30:00``; the zero date is absent.

    Anything else is passed on unchanged, for the corpus to report.
    """
    text = text.strip()
    if not text or text.startswith("0000-00-00"):
        return None
    match = _WP_DATE.fullmatch(text)
    return f"{match[1]}T{match[2]}" if match else text


# -- WordPress markup ------------------------------------------------------------

_BLOCK_COMMENT = re.compile(r"<!--\s*/?wp:.*?-->", re.DOTALL)

# Shortcodes whose enclosed content is not prose (a URL, a player's source): dropped with it.
_DROP_CONTENT = ("embed", "video", "audio", "playlist", "wpvideo", "youtube", "soundcloud")

# Core and common shortcodes recognised even without attributes or a closing tag.
_KNOWN = frozenset({
    "caption", "wp_caption", "gallery", "embed", "audio", "video", "playlist", "wpvideo",
    "youtube", "vimeo", "soundcloud", "spotify", "tweet", "instagram", "googlemaps",
    "contact-form", "contact-form-7",
})  # fmt: skip

_SHORTCODE = re.compile(
    r"\[\[[^\[\]]*\]\]"  # [[escaped]]: WordPress shows it as [escaped]
    r"|\[(?P<close>/?)(?P<name>[A-Za-z][\w-]*)(?P<attrs>(?:\s[^\[\]]*?)?)(?P<self>/?)\]"
)
_ATTRIBUTE = re.compile(r"[\w-]+\s*=")


def clean_wordpress_html(text: str) -> str:
    """Remove block-editor comments and shortcode tags from WordPress HTML.

    A shortcode tag is removed when it has a closing tag in the text
    (``[caption ...]...[/caption]``: the text between them is kept), when it
    has ``name=value`` attributes or ends in ``/]``, or when it is a core or
    common shortcode (``[gallery]``, ``[embed]``, ``[video]`` ...). Bracketed
    words in prose (``[sic]``, ``[...]``, ``[1]``, ``[grifo nosso]``) stay.
    The content of media shortcodes (``[embed]https://...[/embed]``, ``video``,
    ``audio``, ``playlist``...) is a URL, not prose, and goes with them. An
    escaped shortcode ``[[gallery]]`` becomes the literal text ``[gallery]``.
    HTML is kept.

    Examples
    --------
    >>> clean_wordpress_html('<!-- wp:paragraph --><p>Rios [sic] e [caption id="a"]'
    ...                      '<img src="r.jpg"> Legenda[/caption][gallery ids="1,2"]</p>'
    ...                      '<!-- /wp:paragraph -->')
    '<p>Rios [sic] e <img src="r.jpg"> Legenda</p>'
    """
    if "<!--" in text:
        text = _BLOCK_COMMENT.sub("", text)
    if "[" not in text:
        return text
    closed = {name.lower() for name in re.findall(r"\[/([A-Za-z][\w-]*)\]", text)}
    for name in _DROP_CONTENT:
        if name in closed:
            text = re.sub(rf"\[{name}\b[^\]]*\].*?\[/{name}\]", "", text,
                          flags=re.DOTALL | re.IGNORECASE)

    def replace(match: re.Match[str]) -> str:
        whole = match[0]
        if whole.startswith("[["):
            return whole[1:-1]
        name = match["name"].lower()
        if (name in closed or name in _KNOWN or match["self"]
                or _ATTRIBUTE.search(match["attrs"])):
            return ""
        return whole

    return _SHORTCODE.sub(replace, text)
