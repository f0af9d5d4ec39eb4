"""Markdown reader: a directory of Markdown files with front matter, as Hugo and Jekyll
keep them (``content/posts/`` or ``_posts/``), one article per file.

Front matter is YAML between ``---`` lines (Jekyll, Hugo), TOML between ``+++``
lines (Hugo, read with :mod:`tomllib`) or a JSON object (Hugo). YAML needs
PyYAML, the ``site`` extra: ``pip install 'recommender[site]'``; it is imported
only when a file has YAML front matter, and only ever used through
``yaml.safe_load``, which builds plain data and never runs code.

The body is the Markdown text after the front matter, as written: Markdown
punctuation is harmless to the tokenizer. Fenced code blocks are kept too, as
``<pre>`` in an HTML body is: telling code from verse or a quoted text is the
analysis's business, not a reader's, and an essay's code is about its subject.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import stat
import tomllib
from collections.abc import Iterator
from typing import Any

from . import Problem, Record, describe_value
from ._encoding import BOM, not_utf8_message

__all__ = ["read_markdown", "SUFFIXES"]

#: File name endings read, case ignored.
SUFFIXES = (".md", ".markdown")

_LEADING_BLANK_LINES = re.compile(r"\A(?:[ \t]*\n)+")
_JEKYLL_NAME = re.compile(r"(\d{4}-\d{2}-\d{2})-(.+)")
_INSTALL = "pip install 'recommender[site]'"


def read_markdown(path: str | os.PathLike[str]) -> Iterator[Record | Problem]:
    """Yield a :class:`Record` per published Markdown file under ``path``, or Problems.

    Parameters
    ----------
    path : path
        A directory, read recursively, or a single Markdown file. In a
        directory, every ``*.md`` and ``*.markdown`` file is read in order of
        relative path (compared part by part, so the order is the same on every
        system), except hidden files and directories (a leading ``.``),
        Jekyll's ``_drafts`` directories and Hugo's ``_index.md`` list pages.
        Symbolic links to directories are not followed.
        Point it at the content (``content/posts``, ``_posts``), not at the
        site's root, where a README would count as an article.

    Yields
    ------
    Record or Problem
        A Record per file, on line 1, its source the file's path. Files whose
        front matter says ``draft: true`` or ``published: false`` are skipped.
        Fields, from front matter keys (case ignored, as Hugo does):

        - ``id``: ``slug``, else the file name without its extension and
          without a Jekyll date prefix (``2024-07-21-slug.md`` -> ``slug``); a
          Hugo page bundle's ``index.md`` takes its directory's name.
        - ``title``; ``blurb`` from ``summary``, ``description`` or ``excerpt``;
          ``url`` from ``url`` or ``permalink``.
        - ``author``: ``authors`` or ``author``, a name or a list of names
          (a ``{name: ...}`` mapping, as jekyll-seo-tag writes, gives its name).
        - ``date``: ``date`` (YAML and TOML dates and datetimes become ISO 8601
          strings; Jekyll's ``2024-07-21 09:30:00 -0300`` too), else
          ``publishDate``, else the Jekyll file-name date.
        - ``tags``: ``tags`` then ``categories`` (and Jekyll's ``category``),
          each a list or a comma-separated string, without duplicates.
        - ``lang``: ``lang`` or ``language`` when it is Portuguese or English
          (``pt-BR`` -> ``pt``); other languages are left for detection.
        - ``body``: the text after the front matter, unchanged but for CRLF line
          ends made LF and blank lines around it removed.

        Numbers given where text is expected (``title: 1984``) become text;
        values of other wrong types are passed on for the corpus to report.

    Raises
    ------
    ImportError
        When a file has YAML front matter and PyYAML is not installed.

    Notes
    -----
    Problems, each naming the file and the line: a file that is not UTF-8
    (the line of the first bad byte, with a hint at the encoding it probably
    has), front matter that never closes, YAML, TOML or JSON that does not
    parse (the line of the error), front matter that is not a mapping. A file
    with a problem yields no record. A file without front matter is an article
    with only a body, as Hugo treats it. ``OSError`` propagates.

    Examples
    --------
    >>> records = list(read_markdown("fixtures/formats/jekyll-site/_posts"))
    >>> [r.fields["id"] for r in records]
    ['marco-temporal-e-a-terra', 'o-agro-nao-e-pop', 'cabos-submarinos-e-soberania']
    """
    root = os.fspath(path)
    if not os.path.isdir(root):
        os.stat(root)  # a missing path raises FileNotFoundError here
        yield from _read_file(root, os.path.basename(root))
        return
    for relative in _markdown_files(root):
        yield from _read_file(os.path.join(root, *relative), relative[-1], relative)


def _markdown_files(root: str) -> list[tuple[str, ...]]:
    found: list[tuple[str, ...]] = []
    for directory, subdirectories, files in os.walk(root, onerror=_raise):
        subdirectories[:] = [d for d in subdirectories
                             if not d.startswith(".") and d != "_drafts"]
        relative = os.path.relpath(directory, root)
        parts = () if relative == os.curdir else tuple(relative.split(os.sep))
        for name in files:
            lowered = name.lower()
            if (lowered.endswith(SUFFIXES) and not name.startswith(".")
                    and not lowered.startswith("_index.")):
                found.append((*parts, name))
    return sorted(found)


def _raise(error: OSError) -> None:
    raise error


def _read_file(
    source: str, name: str, relative: tuple[str, ...] = ()
) -> Iterator[Record | Problem]:
    if relative:  # found in a folder, not named by the user: a regular file or nothing
        mode = os.stat(source).st_mode
        if not stat.S_ISREG(mode):
            yield Problem(source, None, "file",
                          "not a regular file (a pipe, a device, or a link to one); "
                          "a Markdown folder holds only files")
            return
    with open(source, "rb") as stream:
        data = stream.read()
    if data.startswith(BOM):
        data = data[len(BOM):]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line_start = data.rfind(b"\n", 0, exc.start) + 1
        line_end = data.find(b"\n", exc.start)
        line = data[line_start:len(data) if line_end < 0 else line_end]
        yield Problem(source, data.count(b"\n", 0, exc.start) + 1, "encoding",
                      not_utf8_message(line, exc.start - line_start))
        return
    text = text.replace("\r\n", "\n")
    front, body, problem = _split_front_matter(source, text)
    if problem is not None:
        yield problem
        return
    if _is_true(_get(front, "draft")) or _is_false(_get(front, "published")):
        return
    fields, problems = _fields(front, body, name, relative)
    for field, message in problems:
        yield Problem(source, 1, field, message)
    if not problems:
        yield Record(source, 1, fields)


# -- front matter ------------------------------------------------------------------


def _split_front_matter(source: str, text: str) -> tuple[dict, str, Problem | None]:
    """Return (front matter, body, problem); front matter starts on line 2 of the file."""
    first, newline, rest = text.partition("\n")
    opener = first.rstrip()
    if opener in ("---", "+++"):
        closers = ("---", "...") if opener == "---" else ("+++",)
        lines = rest.split("\n")
        for index, line in enumerate(lines):
            if line.rstrip() in closers:
                raw = "\n".join(lines[:index])
                body = "\n".join(lines[index + 1:])
                break
        else:
            kind = "YAML" if opener == "---" else "TOML"
            return {}, "", Problem(source, 1, "front matter",
                                   f"{kind} front matter opened with {opener!r} on line 1 is "
                                   f"never closed (expected a line {closers[0]!r})")
        parse = _parse_yaml if opener == "---" else _parse_toml
        value, problem = parse(source, raw)
    elif opener.startswith("{"):
        try:
            value, end = json.JSONDecoder().raw_decode(text)
        except json.JSONDecodeError as exc:
            return {}, "", Problem(source, exc.lineno, "front matter",
                                   f"JSON front matter does not parse: {exc.msg} "
                                   f"(column {exc.colno})")
        except RecursionError:
            return {}, "", Problem(source, 1, "front matter",
                                   "JSON front matter does not parse: nested too deeply")
        except ValueError as exc:  # an integer longer than Python converts
            return {}, "", Problem(source, 1, "front matter",
                                   f"JSON front matter does not parse: {exc}")
        body = text[end:].removeprefix("\n")
        problem = None
    else:
        return {}, text, None
    if problem is not None:
        return {}, "", problem
    if value is None:
        value = {}
    if not isinstance(value, dict):
        return {}, "", Problem(source, 2 if opener != "{" else 1, "front matter",
                               f"must be a mapping of keys to values, got {describe_value(value, mapping='a mapping')}")
    return value, body, None


def _parse_yaml(source: str, raw: str) -> tuple[Any, Problem | None]:
    yaml = _import_yaml()
    try:
        return yaml.safe_load(raw), None
    except RecursionError:
        return None, Problem(source, 2, "front matter",
                             "YAML does not parse: nested too deeply")
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = 2 + mark.line if mark is not None else 1
        message = f"YAML does not parse: {exc.problem or exc.context}"
        if mark is not None:
            message += f" (column {mark.column + 1})"
        if exc.problem and exc.context:
            where = exc.context_mark
            message += f"; {exc.context}" + (f" on line {2 + where.line}" if where else "")
        return None, Problem(source, line, "front matter", message)
    except yaml.YAMLError as exc:
        return None, Problem(source, 1, "front matter", f"YAML does not parse: {exc}")
    except (ValueError, OverflowError) as exc:
        # PyYAML's constructors let these through: a date such as 2024-13-45, an
        # integer longer than Python converts.
        return None, Problem(source, 2, "front matter",
                             f"YAML does not parse: a value cannot be read ({exc})")


def _import_yaml():
    try:
        import yaml
    except ImportError as exc:
        raise ImportError(
            f"reading YAML front matter needs PyYAML: {_INSTALL}"
        ) from exc
    return yaml


_TOML_WHERE = re.compile(r"\s*\(at line (\d+), column (\d+)\)$")
_TOML_END = " (at end of document)"


def _parse_toml(source: str, raw: str) -> tuple[Any, Problem | None]:
    try:
        return tomllib.loads(raw), None
    except RecursionError:
        return None, Problem(source, 2, "front matter", "TOML does not parse: nested too deeply")
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        line = 1
        match = _TOML_WHERE.search(message)
        if match:
            line = 1 + int(match[1])
            message = f"{message[:match.start()]} (column {match[2]})"
        elif message.endswith(_TOML_END):
            line = 2 + raw.count("\n")
            message = f"{message[:-len(_TOML_END)]} (at the end of the front matter)"
        return None, Problem(source, line, "front matter", f"TOML does not parse: {message}")
    except ValueError as exc:  # an integer longer than Python converts
        return None, Problem(source, 2, "front matter",
                             f"TOML does not parse: a value cannot be read ({exc})")


# -- fields ------------------------------------------------------------------------


def _fields(
    front: dict, body: str, name: str, relative: tuple[str, ...]
) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    fields: dict[str, Any] = {}
    problems: list[tuple[str, str]] = []
    keys = {}
    for key, value in front.items():
        keys.setdefault(str(key).lower(), value)

    stem = name
    for suffix in SUFFIXES:
        if stem.lower().endswith(suffix):
            stem = stem[: -len(suffix)]
            break
    if stem == "index" and len(relative) > 1:  # a Hugo page bundle: posts/slug/index.md
        stem = relative[-2]
    jekyll = _JEKYLL_NAME.fullmatch(stem)
    if jekyll:
        stem = jekyll[2]

    _put(fields, "id", _text(keys.get("slug")) or stem)
    _put(fields, "title", _text(keys.get("title")))
    _put(fields, "blurb", _first(keys, "summary", "description", "excerpt"))
    _put(fields, "url", _first(keys, "url", "permalink"))
    _put(fields, "author", _authors(_first_present(keys, "authors", "author")))
    date = _first_present(keys, "date", "publishdate")
    if date is None and jekyll:
        date = jekyll[1]
    _put(fields, "date", _iso(date))
    tags: list[str] = []
    for key in ("tags", "categories", "category"):
        value = keys.get(key)
        items = _names(value)
        if items is None:
            problems.append((key, "must be a list of names or a comma-separated string, "
                                  f"got {describe_value(value, mapping='a mapping')}"))
        else:
            tags.extend(items)
    if tags:
        fields["tags"] = list(dict.fromkeys(tags))
    _put(fields, "lang", _language(_first_present(keys, "lang", "language")))
    body = _LEADING_BLANK_LINES.sub("", body).rstrip()
    if body:
        fields["body"] = body
    return fields, problems


def _put(fields: dict[str, Any], name: str, value: Any) -> None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return
    fields[name] = value.strip() if isinstance(value, str) and name != "body" else value


def _get(front: dict, key: str) -> Any:
    for name, value in front.items():
        if str(name).lower() == key:
            return value
    return None


def _first_present(keys: dict[str, Any], *names: str) -> Any:
    for name in names:
        value = keys.get(name)
        if value is not None and value != "" and value != []:
            return value
    return None


def _first(keys: dict[str, Any], *names: str) -> Any:
    return _text(_first_present(keys, *names))


def _text(value: Any) -> Any:
    """Numbers become text; other values pass unchanged, for the corpus to check."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return value


def _authors(value: Any) -> Any:
    """A name, or a list of names; ``{name: ...}`` mappings give their name. One level
    only: a list inside the list is passed on as it is, for the corpus to report."""
    if isinstance(value, list):
        return [_author(item) for item in value]
    return _author(value)


def _author(value: Any) -> Any:
    if isinstance(value, dict) and "name" in value:
        return _text(value["name"])
    return _text(value)


def _names(value: Any) -> list[str] | None:
    """Tags from a list or a comma-separated string; None when neither."""
    if value is None:
        return []
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(value, list):
        items = [_text(item) for item in value]
        if not all(isinstance(item, str) for item in items):
            return None
        return [item.strip() for item in items if item.strip()]
    return None


_JEKYLL_TIME = re.compile(
    r"(\d{4}-\d{2}-\d{2})[ T](\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)\s*(Z|[+-]\d{2}:?\d{2})?"
)


def _iso(value: Any) -> Any:
    """Dates and datetimes, and Jekyll's date strings, as ISO 8601 text."""
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, str):
        text = value.strip()
        match = _JEKYLL_TIME.fullmatch(text)
        if match:
            day, time, zone = match.groups()
            if len(time.split(":")[0]) == 1:
                time = "0" + time
            if zone and zone != "Z" and ":" not in zone:
                zone = f"{zone[:3]}:{zone[3:]}"
            return f"{day}T{time}{zone or ''}"
        return text
    return value


def _language(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    primary = re.split(r"[-_]", value.strip().lower(), maxsplit=1)[0]
    return primary if primary in ("pt", "en") else None


def _is_true(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.strip().lower() in ("true", "yes"))


def _is_false(value: Any) -> bool:
    return value is False or (isinstance(value, str) and value.strip().lower() in ("false", "no"))


