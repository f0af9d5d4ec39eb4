"""Exporting every article's related list for a site build: JSON, JSON Lines, HTML fragments.

All three outputs are byte-identical for an identical index and arguments, and
are written atomically:

- ``json``: one object ``{id: [items]}``, keys sorted (:func:`export_json`);
- ``jsonl``: one line ``{"id": ..., "related": [items]}`` per article, in
  sorted id order (:func:`export_jsonl`), for streaming consumers;
- ``html``: a directory with one fragment ``<name>.html`` per article
  (:func:`export_html`), the sidebar as :func:`~recommender.render.sidebar_html`
  or a custom Jinja2 template gives it. :func:`fragment_filename` maps ids to
  file names.

A file is written to a temporary file beside it and moved into place with
``os.replace``; the HTML directory is written to a temporary sibling directory
and swapped in by a rename. A failed export leaves the previous output as it
was. Every format is computed list by list with
:meth:`RelatedIndex.iter_related` and written as it comes, so memory does not
grow with the number of lists.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from .atomic import fsync_directory, new_directory_beside, remove_stale_siblings, swap_in
from .atomic import write_synced as _write_synced  # a module name, so tests can fail it
from .errors import ConfigError
from .render import LABELS, SidebarTemplate, records, safe_href, sidebar_html

if TYPE_CHECKING:
    from .index import RelatedIndex

__all__ = [
    "FORMATS",
    "ExportResult",
    "export_json",
    "export_jsonl",
    "export_html",
    "iter_json_pieces",
    "iter_jsonl_lines",
    "fragment_filename",
    "write_atomically",
    "MARKER",
]

#: Export formats, the first is the default.
FORMATS = ("json", "jsonl", "html")

#: The file that marks a directory as written by :func:`export_html`; only such a
#: directory (or an empty one) is ever replaced.
MARKER = ".recommender-export.json"
_MARKER_FORMAT = "recommender-html-fragments"

#: Characters kept as they are in fragment file names; everything else is %XX-encoded.
_PLAIN = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-_.")
#: Longest encoded name kept whole (file systems allow 255 bytes with ".html").
_MAX_NAME = 200


@dataclass(frozen=True)
class ExportResult:
    """What an export wrote.

    Attributes
    ----------
    articles : int
        Lists written (one per indexed article).
    unlinked : tuple of str
        Ids, sorted, of listed articles whose url :func:`~recommender.render.safe_href`
        refused, so they are shown without a link (HTML only).
    """

    articles: int
    unlinked: tuple[str, ...] = ()


# -- file names -------------------------------------------------------------------------------


def fragment_filename(article_id: str) -> str:
    """The file name of an article's HTML fragment: a safe, deterministic encoding of its id.

    Lowercase ASCII letters, digits, ``-``, ``_`` and ``.`` are kept (a leading
    ``.`` is encoded); every other character, including ``/``, ``\\``, uppercase
    letters (so names differ on case-insensitive file systems too) and accented
    letters, becomes ``%XX`` per UTF-8 byte, as in a url. Distinct ids give
    distinct names, no name is hidden, ``..`` or contains a path separator. An
    encoded id longer than 200 characters is cut and suffixed with ``~`` and 32
    hex digits of its sha256 (``~`` never appears otherwise). ``.html`` is
    appended.

    Examples
    --------
    >>> fragment_filename("vladimir-putin-in-north-korea")
    'vladimir-putin-in-north-korea.html'
    >>> fragment_filename("../etc/passwd"), fragment_filename("Ação 2024")
    ('%2E.%2Fetc%2Fpasswd.html', '%41%C3%A7%C3%A3o%202024.html')
    """
    if not isinstance(article_id, str) or not article_id:
        raise ConfigError(f"an article id must be a non-empty string, got {article_id!r}")
    parts = []
    for position, char in enumerate(article_id):
        if char in _PLAIN and not (char == "." and position == 0):
            parts.append(char)
        else:
            parts.extend(f"%{byte:02X}" for byte in char.encode("utf-8", "surrogatepass"))
    name = "".join(parts)
    if len(name) > _MAX_NAME:
        cut = 160
        while "%" in name[cut - 2:cut]:  # never split a %XX escape
            cut -= 1
        digest = hashlib.sha256(article_id.encode("utf-8", "surrogatepass")).hexdigest()
        name = f"{name[:cut]}~{digest[:32]}"
    return name + ".html"


# -- atomic files -----------------------------------------------------------------------------


def _create_beside(path: Path) -> tuple[int, Path]:
    """A new, empty file in ``path``'s folder, opened for writing, with the usual permissions.

    ``tempfile.mkstemp`` would create it readable by its owner only, and
    ``os.replace`` would carry that over: a web server could not read the export.
    """
    for _ in range(100):
        candidate = path.parent / f".{path.name}.tmp-{secrets.token_hex(6)}"
        try:
            return os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666), candidate
        except FileExistsError:
            continue
    raise FileExistsError(f"{path.parent}: could not create a temporary file")


def _write_lines_atomically(path: Path, chunks: Iterable[bytes]) -> None:
    """Write ``chunks`` to a temporary file beside ``path``, then put it at ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.is_dir():
        raise ConfigError(f"{path}: is a directory; --out needs a file name for this format")
    fd, temporary = _create_beside(path)
    try:
        with os.fdopen(fd, "wb") as stream:
            for chunk in chunks:
                stream.write(chunk)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def write_atomically(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and ``os.replace``."""
    _write_lines_atomically(Path(path), [data])


# -- JSON and JSON Lines ----------------------------------------------------------------------


def export_json(index: RelatedIndex, path: str | os.PathLike[str], k: int = 10) -> ExportResult:
    """Write ``{id: [items]}`` with keys sorted, as computed, atomically.

    The bytes of :func:`~recommender.render.dumps_export` of
    :meth:`RelatedIndex.related_all`, from :func:`iter_json_pieces`: no list is held
    in memory.
    """
    return ExportResult(_write_pieces(path, iter_json_pieces(index, k)) - 2)  # less { and }


def iter_json_pieces(index: RelatedIndex, k: int = 10) -> Iterator[str]:
    """The JSON export (:func:`export_json`) piece by piece: each list is encoded as it
    is computed, and the pieces come back in sorted id order from a spill file, as
    in :func:`iter_jsonl_lines`."""
    first = True
    yield "{"
    for member in _in_id_order(index, k, _json_member):
        yield ("\n" if first else ",\n") + member
        first = False
    yield "}\n" if first else "\n}\n"


def _json_member(article_id: str, items: Iterable[Any]) -> str:
    """``"id": [items]`` as one member of the object that ``dumps_export`` writes with
    an indent of 2: one level deeper, so two more spaces on every line (JSON strings
    hold no raw line break)."""
    key = json.dumps(article_id, ensure_ascii=False)
    value = json.dumps(records(items), ensure_ascii=False, indent=2)
    return f"  {key}: " + value.replace("\n", "\n  ")


#: Line breaks for ``str.splitlines`` and some JSON Lines readers that JSON leaves raw.
_LINE_BREAKS = {"\x85": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def _jsonl_line(article_id: str, items: Iterable[Any]) -> str:
    line = json.dumps({"id": article_id, "related": records(items)}, ensure_ascii=False)
    for char, escaped in _LINE_BREAKS.items():  # only inside strings: JSON allows no other place
        line = line.replace(char, escaped)
    return line + "\n"


def iter_jsonl_lines(index: RelatedIndex, k: int = 10) -> Iterator[str]:
    """The JSON Lines export, line by line, in sorted id order.

    Lists come from :meth:`RelatedIndex.iter_related` in corpus order; each line
    goes to a temporary spill file at once, and only the ids and offsets stay in
    memory, so the lines can then be read back in sorted id order.
    """
    return _in_id_order(index, k, _jsonl_line)


def _in_id_order(index: RelatedIndex, k: int,
                 encode: Callable[[str, Iterable[Any]], str]) -> Iterator[str]:
    """``encode(id, list)`` of every article, in sorted id order, through a spill file."""
    with tempfile.TemporaryFile() as spill:
        yield from _sorted_pieces(index, k, encode, spill)


def _sorted_pieces(index: RelatedIndex, k: int, encode: Callable[[str, Iterable[Any]], str],
                   spill: IO[bytes]) -> Iterator[str]:
    where: dict[str, tuple[int, int]] = {}
    for article_id, items in index.iter_related(k):
        data = encode(article_id, items).encode("utf-8")
        where[article_id] = (spill.tell(), len(data))
        spill.write(data)
    for article_id in sorted(where):
        offset, size = where[article_id]
        spill.seek(offset)
        yield spill.read(size).decode("utf-8")


def export_jsonl(index: RelatedIndex, path: str | os.PathLike[str], k: int = 10) -> ExportResult:
    """Write one line ``{"id": ..., "related": [items]}`` per article, in sorted id order.

    Items are the JSON form of :class:`~recommender.Related` (as in
    :func:`export_json`). Written as computed, atomically.
    """
    return ExportResult(_write_pieces(path, iter_jsonl_lines(index, k)))


def _write_pieces(path: str | os.PathLike[str], pieces: Iterable[str]) -> int:
    """Write ``pieces`` atomically as UTF-8; how many there were."""
    count = 0

    def encoded() -> Iterator[bytes]:
        nonlocal count
        for piece in pieces:
            count += 1
            yield piece.encode("utf-8")

    _write_lines_atomically(Path(path), encoded())
    return count


# -- HTML -------------------------------------------------------------------------------------


def export_html(index: RelatedIndex, directory: str | os.PathLike[str], k: int = 10, *,
                locale: str | None = None,
                template: SidebarTemplate | str | os.PathLike[str] | None = None,
                ) -> ExportResult:
    """Write one HTML fragment per article, ``<directory>/<fragment_filename(id)>``.

    Parameters
    ----------
    index : RelatedIndex
    directory : path
        Replaced as a whole: the fragments are written to a temporary directory
        beside it, which is then renamed into its place. It must be new, empty,
        or written by an earlier export (it holds the file ``MARKER``); anything
        else is refused, so a wrong ``--out`` cannot wipe a folder. A symbolic
        link stays: the directory it points to is replaced.
    k : int, default 10
    locale : {"pt", "en"}, optional
        Language of the sidebar's words ("Por"/"By"). By default, the language
        of the article whose sidebar it is.
    template : SidebarTemplate or path, optional
        A Jinja2 template (see :class:`~recommender.render.SidebarTemplate`);
        by default :func:`~recommender.render.sidebar_html`.

    Returns
    -------
    ExportResult

    Raises
    ------
    ConfigError
        For a bad locale or an output directory that may not be replaced.
    TemplateError
        When the template fails; nothing is replaced.
    """
    if locale is not None and locale not in LABELS:
        raise ConfigError(f"locale must be one of {', '.join(map(repr, LABELS))} or None, "
                          f"got {locale!r}")
    if template is not None and not isinstance(template, SidebarTemplate):
        template = SidebarTemplate.load(template)
    target = Path(directory)
    if target.is_symlink():  # replace the directory it points to, keep the link
        target = target.resolve()
    _check_replaceable(target)
    entries = {entry.id: entry for entry in index.entries_}
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_siblings(target)
    staging = new_directory_beside(target)
    try:
        names: dict[str, str] = {}
        unlinked: set[str] = set()
        for article_id, items in index.iter_related(k):
            entry = entries[article_id]
            language = locale or entry.lang
            if template is None:
                text = sidebar_html(items, locale=language)
            else:
                article = {"id": entry.id, "title": entry.title, "url": entry.url,
                           "lang": entry.lang}
                text = template.render(article, items, locale=language)
            unlinked.update(item.id for item in items if item.url and safe_href(item.url) is None)
            name = fragment_filename(article_id)
            if name in names:  # distinct ids give distinct names, unless sha256 collides
                raise ConfigError(f"ids {names[name]!r} and {article_id!r} map to the same "
                                  f"file name {name!r}")
            names[name] = article_id
            _write_synced(staging / name, text.encode("utf-8"))
        marker = {"format": _MARKER_FORMAT, "version": 1, "articles": len(names)}
        _write_synced(staging / MARKER, (json.dumps(marker, sort_keys=True) + "\n").encode())
        fsync_directory(staging)
        swap_in(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)  # the new output if failed, else the old
    return ExportResult(len(names), tuple(sorted(unlinked)))


def _check_replaceable(target: Path) -> None:
    if target.exists() and not target.is_dir():
        raise ConfigError(f"{target}: exists and is not a directory; --format html writes a "
                          "directory of fragments")
    if target.is_dir() and any(target.iterdir()) and not (target / MARKER).is_file():
        raise ConfigError(f"{target}: refusing to replace a non-empty directory that was not "
                          f"written by 'recommender export --format html' (no {MARKER}); "
                          "choose an empty or new directory")









