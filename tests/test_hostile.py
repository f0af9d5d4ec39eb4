"""Hostile input: bad article files, messy text, enormous fields, and damaged or
malicious index folders.

Bad input is an error that names every problem (file, line, field), never an
exception of another kind; messy text is cleaned, never rejected; a failed build
leaves ``--out`` as it was. A saved index that is damaged or crafted raises
:class:`IndexFormatError` naming the file. The ``xfail(strict=True)`` tests are
known bugs in modules this file's author could not change: each reason says what
breaks and where the fix goes; when one is fixed the test XPASSes and fails, and the
marker goes.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from recommender import CorpusError, IndexFormatError, RelatedIndex, load_articles
from recommender.cli import main
from recommender.corpus import MAX_BODY_CHARS, MAX_REPORTED_PROBLEMS, CorpusWarning
from recommender.storage import FILES

from .conftest import (
    ARTICLES,
    FIXTURES,
    ROOT,
    read_catalog,
    vouch_for,
    write_catalog,
    write_jsonl,
    write_manifest,
)

HOSTILE = FIXTURES / "hostile"
# What must never survive into a title, a token or a printed line.
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def cli(*argv: object) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main([str(a) for a in argv], stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def places(error: CorpusError, source: Path) -> list[tuple[str, int | None, str]]:
    """(file name, line, field) of every problem; the file must be named in each."""
    found = []
    for problem in error.problems:
        match = re.match(r"(?P<path>.+?)(?::(?P<line>\d+))?: (?P<field>[\w ]+): ", problem)
        assert match, f"not 'path:line: field: message': {problem!r}"
        path = Path(match["path"])
        assert path == source or source in path.parents, (problem, source)
        line = int(match["line"]) if match["line"] else None
        found.append((path.name, line, match["field"]))
    return found


# -- bad input: every loader ----------------------------------------------------------------

DEEP = 100_000  # nested arrays: far beyond Python's recursion limit


def _jsonl(*lines: str | bytes) -> bytes:
    return b"\n".join(x if isinstance(x, bytes) else x.encode() for x in lines) + b"\n"


OK = '{"id": "ok", "title": "Terra e rios"}'

# name -> (file name, bytes, [(line, field), ...])
BAD_JSONL = {
    "malformed line": (_jsonl(OK, '{"id": "b", "title": "sem fim'), [(2, "json")]),
    "not an object": (_jsonl(OK, '["id", "b"]'), [(2, "json")]),
    "id missing": (_jsonl(OK, '{"title": "sem id"}'), [(2, "id")]),
    "id empty": (_jsonl(OK, '{"id": "  ", "title": "x"}'), [(2, "id")]),
    "id a number": (_jsonl(OK, '{"id": 42, "title": "x"}'), [(2, "id")]),
    "id with a line break": (_jsonl(OK, '{"id": "a\\nb", "title": "x"}'), [(2, "id")]),
    "id with ESC": (_jsonl(OK, '{"id": "a\\u001b[31m", "title": "x"}'), [(2, "id")]),
    "id duplicate": (_jsonl(OK, '{"id": "b", "title": "x"}', '{"id": "ok", "title": "y"}'),
                     [(3, "id")]),
    "id key given twice": (_jsonl(OK, '{"id": "a", "id": "b", "title": "x"}'), [(2, "id")]),
    "title a number": (_jsonl(OK, '{"id": "b", "title": 3, "body": "x"}'), [(2, "title")]),
    "title NaN": (_jsonl(OK, '{"id": "b", "title": NaN}'), [(2, "title")]),
    "title and body empty": (_jsonl(OK, '{"id": "b", "title": " ", "body": ""}'),
                             [(2, "title")]),
    "body a list": (_jsonl(OK, '{"id": "b", "title": "x", "body": ["a"]}'), [(2, "body")]),
    "tags a string": (_jsonl(OK, '{"id": "b", "title": "x", "tags": "a, b"}'), [(2, "tags")]),
    "tags item a number": (_jsonl(OK, '{"id": "b", "title": "x", "tags": ["a", 1]}'),
                           [(2, "tags")]),
    "author an object": (_jsonl(OK, '{"id": "b", "title": "x", "author": {"n": 1}}'),
                         [(2, "author")]),
    "related a string": (_jsonl(OK, '{"id": "b", "title": "x", "related": "ok"}'),
                         [(2, "related")]),
    "translation_of a number": (_jsonl(OK, '{"id": "b", "title": "x", "translation_of": 1}'),
                                [(2, "translation_of")]),
    "lang unknown": (_jsonl(OK, '{"id": "b", "title": "x", "lang": "fr"}'), [(2, "lang")]),
    "date 30 February": (_jsonl(OK, '{"id": "b", "title": "x", "date": "2024-02-30"}'),
                         [(2, "date")]),
    "date dd/mm/yyyy": (_jsonl(OK, '{"id": "b", "title": "x", "date": "21/07/2024"}'),
                        [(2, "date")]),
    "date hour 25": (_jsonl(OK, '{"id": "b", "title": "x", "date": "2024-07-21T25:00"}'),
                     [(2, "date")]),
    "date a number": (_jsonl(OK, '{"id": "b", "title": "x", "date": 20240721}'),
                      [(2, "date")]),
    "date empty": (_jsonl(OK, '{"id": "b", "title": "x", "date": ""}'), [(2, "date")]),
    "number of 5000 digits": (_jsonl(OK, '{"id": "b", "title": "x", "date": ' + "9" * 5000 + "}"),
                              [(2, "json")]),
    "invalid UTF-8": (_jsonl(OK, b'{"id": "b", "title": "\xff\xfe"}'), [(2, "encoding")]),
    "lone surrogate in id": (_jsonl(OK, '{"id": "\\ud83d", "title": "x"}'), [(2, "id")]),
    "lone surrogate in title": (_jsonl(OK, '{"id": "b", "title": "meio \\udca9"}'),
                                [(2, "title")]),
    "lone surrogate in a tag": (_jsonl(OK, '{"id": "b", "title": "x", "tags": ["\\ud800"]}'),
                                [(2, "tags")]),
    f"{DEEP:,} nested arrays": (_jsonl(OK, "[" * DEEP + "]" * DEEP), [(2, "json")]),
    f"{DEEP:,} nested arrays in a field": (
        _jsonl(OK, '{"id": "b", "title": ' + "[" * DEEP + "]" * DEEP + "}"), [(2, "json")]),
    f"{DEEP:,} nested objects": (_jsonl(OK, '{"a": ' * DEEP + "1" + "}" * DEEP), [(2, "json")]),
    "nested 900 deep, within the parser's reach": (
        _jsonl(OK, '{"id": "b", "title": ' + "[" * 900 + "]" * 900 + "}"), [(2, "title")]),
    "empty file": (b"", [(None, "file")]),
    "only blank lines": (b"\r\n\n   \n\t\n", [(None, "file")]),
    "only a BOM": (b"\xef\xbb\xbf", [(None, "file")]),
    "UTF-16": ((OK + "\n").encode("utf-16"), [(1, "encoding"), (2, "json")]),
}


@pytest.mark.parametrize("case", sorted(BAD_JSONL))
def test_bad_json_lines_name_every_problem(tmp_path, case):
    data, expected = BAD_JSONL[case]
    path = tmp_path / "artigos.jsonl"
    path.write_bytes(data)
    with pytest.raises(CorpusError) as caught:
        load_articles(path)
    assert places(caught.value, path) == [(path.name, line, field) for line, field in expected]


def test_the_hostile_jsonl_fixture_reports_one_problem_per_bad_line():
    path = HOSTILE / "bad.jsonl"
    with pytest.raises(CorpusError) as caught:
        load_articles(path)
    assert places(caught.value, path) == [
        ("bad.jsonl", 2, "id"), ("bad.jsonl", 3, "id"), ("bad.jsonl", 4, "id"),
        ("bad.jsonl", 5, "title"), ("bad.jsonl", 6, "json"), ("bad.jsonl", 7, "title"),
        ("bad.jsonl", 8, "json"), ("bad.jsonl", 9, "date"), ("bad.jsonl", 10, "related"),
        ("bad.jsonl", 11, "translation_of"), ("bad.jsonl", 12, "id")]


CSV_HEADER = "id,title,date,tags\n"
BAD_CSV = {
    "too many cells": (CSV_HEADER + "a,T,2024-07-21,x\nb,T,,x,extra\n", [(3, "csv")]),
    "too few cells": (CSV_HEADER + "a,T\n", [(2, "csv")]),
    "quote never closed": (CSV_HEADER + 'a,"T,2024-07-21,x\nb,T,,\n', [(2, "csv")]),
    "no id column": ("title,date\nT,2024-07-21\n", [(1, "header")]),
    "column twice": ("id,title,Title\na,T,U\n", [(1, "header")]),
    "bad date": (CSV_HEADER + "a,T,2024-13-01,x\n", [(2, "date")]),
    "duplicate id": (CSV_HEADER + "a,T,,x\na,U,,y\n", [(3, "id")]),
    "empty id cell": (CSV_HEADER + ",T,,x\n", [(2, "id")]),
    "Windows-1252": ((CSV_HEADER + "a,Ação,,x\n").encode("cp1252"), [(2, "encoding")]),
    "empty file": ("", [(None, "file")]),
    "header only": (CSV_HEADER, [(None, "file")]),
}


@pytest.mark.parametrize("case", sorted(BAD_CSV))
def test_bad_csv_names_every_problem(tmp_path, case):
    data, expected = BAD_CSV[case]
    path = tmp_path / "artigos.csv"
    path.write_bytes(data if isinstance(data, bytes) else data.encode())
    with pytest.raises(CorpusError) as caught:
        load_articles(path)
    assert places(caught.value, path) == [(path.name, line, field) for line, field in expected]


def _wxr(items: str, declaration: str = '<?xml version="1.0" encoding="UTF-8"?>') -> str:
    return (f'{declaration}\n<rss version="2.0" xmlns:wp="http://wordpress.org/export/1.2/" '
            'xmlns:content="http://purl.org/rss/1.0/modules/content/">\n<channel>\n'
            f"<wp:wxr_version>1.2</wp:wxr_version>\n{items}</channel>\n</rss>\n")


def _item(slug: str, title: str = "Terra", date: str = "2024-07-21 09:30:00") -> str:
    return (f"<item><title>{title}</title><content:encoded>corpo</content:encoded>"
            f"<wp:post_name>{slug}</wp:post_name><wp:post_date>{date}</wp:post_date>"
            "<wp:status>publish</wp:status><wp:post_type>post</wp:post_type></item>\n")


BAD_WXR = {
    "malformed XML": (_wxr(_item("a") + _item("b", title="A & B")), [(6, "xml")]),
    "unknown encoding": (_wxr(_item("a"), '<?xml version="1.0" encoding="UTF-9"?>'),
                         [(1, "xml")]),
    "entity declaration": (_wxr(_item("a"), '<?xml version="1.0"?>\n<!DOCTYPE rss '
                                '[<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'),
                           [(2, "xml")]),
    "not a WordPress export": ('<?xml version="1.0"?>\n<html><body/></html>\n', [(2, "xml")]),
    "empty file": ("", [(1, "xml")]),
    "month 13": (_wxr(_item("a", date="2024-13-01 10:00:00")), [(5, "date")]),
    "duplicate slug": (_wxr(_item("a") + _item("a")), [(6, "id")]),
}


@pytest.mark.parametrize("case", sorted(BAD_WXR))
def test_bad_wordpress_export_names_every_problem(tmp_path, case):
    data, expected = BAD_WXR[case]
    path = tmp_path / "export.xml"
    path.write_text(data, encoding="utf-8")
    with pytest.raises(CorpusError) as caught:
        load_articles(path)
    assert places(caught.value, path) == [(path.name, line, field) for line, field in expected]


def test_the_hostile_markdown_folder_reports_each_file():
    folder = HOSTILE / "markdown-bad"
    started = time.perf_counter()
    with pytest.raises(CorpusError) as caught:
        load_articles(folder)
    assert time.perf_counter() - started < 10  # the alias bomb is never expanded
    assert places(caught.value, folder) == [
        ("alias-bomb.md", 1, "title"),           # a list shared 9**7 times, quoted in short
        ("deep-yaml.md", 2, "front matter"),     # 2,000 nested lists
        ("json-deep.md", 1, "front matter"),     # 3,000 nested arrays
        ("surrogate.md", 1, "title"),            # "\ud800"
        ("toml-huge-number.md", 2, "front matter"),  # 5,000 digits
        ("yaml-bad-date.md", 2, "front matter"),     # 2024-13-45, a YAML timestamp
    ]
    assert all(len(p) < 400 for p in caught.value.problems)


BAD_MARKDOWN = {
    "YAML never closed": ("---\ntitle: x\n", [(1, "front matter")]),
    "YAML syntax": ('---\ntitle: "x\n---\ncorpo\n', [(2, "front matter")]),
    "TOML syntax": ("+++\ntitle = [\n+++\ncorpo\n", [(2, "front matter")]),
    "JSON syntax": ('{"title": }\ncorpo\n', [(1, "front matter")]),
    "front matter a list": ("---\n- a\n---\ncorpo\n", [(2, "front matter")]),
    "tags a mapping": ("---\ntitle: x\ntags: {a: 1}\n---\ncorpo\n", [(1, "tags")]),
    "title a list": ("---\ntitle: [a, b]\n---\ncorpo\n", [(1, "title")]),
    "date a time": ("+++\ntitle = 'x'\ndate = 09:30:00\n+++\ncorpo\n", [(1, "date")]),
    "YAML 100,000 deep": ("---\ntitle: " + "[" * DEEP + "]" * DEEP + "\n---\ncorpo\n",
                          [(2, "front matter")]),
    "TOML 100,000 deep": ("+++\ntitle = " + "[" * DEEP + "]" * DEEP + "\n+++\ncorpo\n",
                          [(2, "front matter")]),
    "JSON 100,000 deep": ('{"title": ' + "[" * DEEP + "]" * DEEP + "}\ncorpo\n",
                          [(1, "front matter")]),
    "YAML number of 5000 digits": ("---\ntitle: " + "9" * 5000 + "\n---\ncorpo\n",
                                   [(2, "front matter")]),
    "JSON number of 5000 digits": ('{"title": ' + "9" * 5000 + "}\ncorpo\n",
                                   [(1, "front matter")]),
    "empty file": ("", [(1, "title")]),
    "Windows-1252": ("---\ntitle: Ação\n---\ncorpo\n".encode("cp1252"), [(2, "encoding")]),
}


@pytest.mark.parametrize("case", sorted(BAD_MARKDOWN))
def test_bad_markdown_names_every_problem(tmp_path, case):
    pytest.importorskip("yaml")
    data, expected = BAD_MARKDOWN[case]
    path = tmp_path / "posts" / "artigo.md"
    path.parent.mkdir()
    path.write_bytes(data if isinstance(data, bytes) else data.encode())
    with pytest.raises(CorpusError) as caught:
        load_articles(path.parent)
    assert places(caught.value, path.parent) == [
        (path.name, line, field) for line, field in expected]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs POSIX named pipes")
def test_a_markdown_folder_with_a_pipe_or_a_device_is_an_error_not_a_hang(tmp_path):
    posts = tmp_path / "posts"
    posts.mkdir()
    (posts / "a.md").write_text("---\ntitle: Terra\n---\ncorpo\n")
    os.mkfifo(posts / "pipe.md")  # open() would wait for a writer forever
    (posts / "zero.md").symlink_to("/dev/zero")  # read() would never end
    with pytest.raises(CorpusError) as caught:
        load_articles(posts)
    assert places(caught.value, posts) == [("pipe.md", None, "file"), ("zero.md", None, "file")]


def test_every_problem_of_every_loader_is_reported_at_once(tmp_path):
    jsonl = tmp_path / "a.jsonl"
    jsonl.write_bytes(BAD_JSONL["id a number"][0])
    csv = tmp_path / "b.csv"
    csv.write_text(BAD_CSV["bad date"][0])
    xml = tmp_path / "c.xml"
    xml.write_text(BAD_WXR["unknown encoding"][0])
    with pytest.raises(CorpusError) as caught:
        load_articles([jsonl, csv, xml, tmp_path / "missing.jsonl"])
    assert [(Path(p.split(":")[0]).name, p.split(": ")[1]) for p in caught.value.problems] == [
        ("a.jsonl", "id"), ("b.csv", "date"), ("c.xml", "xml"), ("missing.jsonl", "file")]


def test_problems_are_capped_at_100_with_a_count_of_the_rest(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text("".join(f'{{"id": {i}}}\n' for i in range(2_500)) + "[" * DEEP + "\n")
    with pytest.raises(CorpusError) as caught:
        load_articles(path)
    problems = caught.value.problems
    assert len(problems) == MAX_REPORTED_PROBLEMS + 1
    # each line has two problems (id not a string; no title or body), then the deep line
    assert problems[-1] == f"... and {2 * 2_500 + 1 - MAX_REPORTED_PROBLEMS} more problems"


def test_cli_build_prints_one_line_per_problem_and_no_traceback(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_bytes(b"".join(BAD_JSONL[case][0] for case in (
        "id a number", "date 30 February", f"{DEEP:,} nested arrays", "invalid UTF-8")))
    code, out, err = cli("build", path, "--out", tmp_path / "index")
    assert code == 1 and out == ""
    lines = err.splitlines()
    # four defects, and the "ok" line of each case repeats the first one's id three times
    assert lines[0] == "recommender: error: 7 problems found:"
    assert len(lines) == 8 and all(line.startswith(f"{path}:") for line in lines[1:])
    assert "Traceback" not in err
    assert not (tmp_path / "index").exists()


# -- messy text is accepted and cleaned ------------------------------------------------------

MESSY = [HOSTILE / "messy.jsonl", HOSTILE / "messy.csv", HOSTILE / "messy.xml",
         HOSTILE / "markdown-messy"]


@pytest.mark.parametrize("path", MESSY, ids=lambda p: p.name)
def test_messy_text_is_accepted_and_cleaned(path):
    if path.is_dir():
        pytest.importorskip("yaml")
    articles = load_articles(path)
    assert len(articles) >= 2
    for article in articles:
        for name in ("title", "url", "blurb"):
            value = getattr(article, name) or ""
            assert not CONTROL.search(value) and "\t" not in value and "\n" not in value, (
                name, value)
        for value in (*article.author, *article.tags):
            assert not CONTROL.search(value) and value == value.strip(), value
        assert not CONTROL.search(article.body.replace("\n", "").replace("\t", "")), article.body
        assert not re.search(r"\[\d*(;\d+)*[mJKA]", article.title + article.body)  # CSI remnants
    first = articles[0]
    assert first.title in ("A terra vermelha do cerrado", "O fogo no cerrado")


def test_control_characters_reach_neither_tokens_nor_the_saved_index_nor_the_terminal(tmp_path):
    code, _, err = cli("build", HOSTILE / "messy.jsonl", "--out", tmp_path / "index")
    assert code == 0, err
    index = RelatedIndex.load(tmp_path / "index")
    assert not [t for t in index.vocabulary_ if CONTROL.search(t) or re.fullmatch(r"\d+m", t)]
    assert {"janela", "sequestrada", "31m", "0m", "1m", "2k"}.isdisjoint(index.vocabulary_)
    stored = (tmp_path / "index" / "articles.jsonl").read_text("utf-8")
    assert not CONTROL.search(stored) and not re.search(r"\\u00[01][0-9a-f]|\\u007f", stored)
    assert index.entries_[0].title == "A terra vermelha do cerrado"
    assert index.entries_[0].author == ("Ana Souza",)
    assert index.entries_[0].tags == ("cerrado", "agro")
    for article_id in index.ids_:
        for argv in (("related", tmp_path / "index", article_id),
                     ("related", tmp_path / "index", article_id, "--explain"),
                     ("related", tmp_path / "index", article_id, "--json")):
            code, out, err = cli(*argv)
            assert code == 0, err
            assert not CONTROL.search(out.replace("\n", "")), out


def test_free_text_queries_are_cleaned_like_articles(fixture_index):
    dirty = fixture_index.similar("\x1b[31mNATO\x1b[0m\x00 and\x0cRussia\x07 war\x9b2J")
    assert dirty == fixture_index.similar("NATO and\nRussia war")
    assert dirty and dirty[0].score > 0


def test_cli_never_prints_escape_sequences_from_a_crafted_index(saved_index):
    folder = saved_index
    records = read_catalog(folder)
    records[1]["title"] = "\x1b]0;pwned\x07\x1b[2J\x1b[31mTítulo\x1b[0m"
    records[1]["author"] = ["\x1b[5mAutor"]
    write_catalog(folder, records)
    code, out, err = cli("related", folder, records[0]["id"], "-k", "88")
    assert code == 0, err
    assert "Título" in out and "\x1b" not in out


# -- enormous fields ---------------------------------------------------------------------------

def _words(count: int) -> str:
    pool = "terra rios floresta cerrado política soberania sementes água fogo".split()
    return " ".join(pool[i % len(pool)] for i in range(count))


def test_an_enormous_body_is_cut_with_a_warning_naming_the_line(tmp_path):
    body = _words(MAX_BODY_CHARS // 7 + 50_000)  # about 2.4 million characters
    assert len(body) > MAX_BODY_CHARS
    path = write_jsonl(tmp_path / "big.jsonl", [
        {"id": "small", "title": "Terra", "body": "rios e terra"},
        {"id": "enorme", "title": "Um corpo enorme", "body": body}])
    with pytest.warns(CorpusWarning, match=rf"big\.jsonl:2: body: {len(body):,} characters, "
                      rf"more than the {MAX_BODY_CHARS:,} kept"):
        articles = load_articles(path)
    kept = articles[1].body
    assert MAX_BODY_CHARS - 1000 <= len(kept) <= MAX_BODY_CHARS and body.startswith(kept)
    assert not kept.endswith(" ")  # cut at a word boundary
    index = RelatedIndex().fit(articles)
    assert index.related("small", k=1)[0].id == "enorme"


def test_an_enormous_title_is_cut_too(tmp_path):
    path = write_jsonl(tmp_path / "t.jsonl", [{"id": "a", "title": "Terra " * 50_000}])
    with pytest.warns(CorpusWarning, match=r"t\.jsonl:1: title: 300,000 characters"):
        (article,) = load_articles(path)
    assert len(article.title) <= 100_000


def test_an_article_made_in_python_is_cleaned_and_cut_as_well():
    from recommender import Article

    with pytest.warns(CorpusWarning, match="^big: body: "):
        article = Article(id="big", title="T\x1b[1mítulo\n", body="x " * MAX_BODY_CHARS)
    assert article.title == "Título" and len(article.body) <= MAX_BODY_CHARS


def _peak_rss_of_build(path: Path, out: Path) -> tuple[float, float, str]:
    """Peak RSS (MB), seconds and stderr of ``recommender build`` in a fresh process."""
    code = ("import resource, sys; from recommender.cli import main; "
            "code = main(sys.argv[1:]); "
            "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr); "
            "sys.exit(code)")
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code, "build", str(path), "--out", str(out)],
                          capture_output=True, text=True, cwd=ROOT, env=_env(), timeout=120)
    assert done.returncode == 0, done.stderr
    return int(done.stderr.splitlines()[-1]) / 1024, time.perf_counter() - started, done.stderr


def test_the_cli_builds_an_index_from_a_50_mb_body_in_bounded_memory(tmp_path):
    """One 50 MB body: cut to MAX_BODY_CHARS with a warning on stderr. Memory is measured
    against a small build in the same environment (absolute figures vary with the
    installed libraries): without the cut, the 50 MB body cost about 500 MB more."""
    small = tmp_path / "small.jsonl"
    small.write_text('{"id": "pequeno", "title": "Terra", "body": "terra rios"}\n'
                     '{"id": "enorme", "title": "Corpo enorme", "body": "terra"}\n')
    path = tmp_path / "big.jsonl"
    with open(path, "w", encoding="utf-8") as stream:
        stream.write('{"id": "pequeno", "title": "Terra", "body": "terra rios"}\n')
        stream.write('{"id": "enorme", "title": "Corpo enorme", "body": "')
        chunk = _words(100_000) + " "
        for _ in range(50 * 2**20 // len(chunk) + 1):
            stream.write(chunk)
        stream.write('"}\n')
    assert path.stat().st_size > 50 * 2**20
    baseline_mb, _, _ = _peak_rss_of_build(small, tmp_path / "small-index")
    peak_mb, seconds, stderr = _peak_rss_of_build(path, tmp_path / "index")
    assert "big.jsonl:2: body: " in stderr and "more than the" in stderr
    assert peak_mb - baseline_mb < 300, (f"peak RSS {peak_mb:.0f} MB against {baseline_mb:.0f} "
                                         f"MB for a small build, in {seconds:.1f} s")
    assert RelatedIndex.load(tmp_path / "index").related("pequeno", k=1)[0].id == "enorme"


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return env


# -- a failed build leaves --out alone -----------------------------------------------------------

def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


@pytest.mark.parametrize("failure", ["bad input", "unknown pin", "bad settings",
                                     "missing input", "a file at --out"])
def test_a_failed_build_writes_nothing_and_keeps_the_old_index(tmp_path, failure):
    out = tmp_path / "site" / "index"
    code, _, err = cli("build", ARTICLES, "--out", out)
    assert code == 0, err
    before = _snapshot(out)
    argv = ["build", HOSTILE / "bad.jsonl", "--out", out]
    if failure == "unknown pin":
        argv[1] = write_jsonl(tmp_path / "pin.jsonl", [
            {"id": "a", "title": "Terra", "related": ["nada"]}, {"id": "b", "title": "Rios"}])
    elif failure == "bad settings":
        config = tmp_path / "s.toml"
        config.write_text("min_scor = 0.1\n")
        argv = ["build", ARTICLES, "--out", out, "--config", config]
    elif failure == "missing input":
        argv[1] = tmp_path / "nothing.jsonl"
    elif failure == "a file at --out":
        new = tmp_path / "site" / "file"
        new.write_text("not an index")
        argv = ["build", ARTICLES, "--out", new]
    code, stdout, err = cli(*argv)
    assert code == 1 and stdout == "" and "Traceback" not in err
    assert err.startswith("recommender: error: ")
    assert _snapshot(out) == before
    assert sorted(p.name for p in out.parent.iterdir()) == (
        ["file", "index"] if failure == "a file at --out" else ["index"])
    code, _, err = cli("build", HOSTILE / "bad.jsonl", "--out", tmp_path / "new")
    assert code == 1 and not (tmp_path / "new").exists()


# -- damaged and crafted index folders ----------------------------------------------------------

@pytest.fixture(scope="module")
def _template(tmp_path_factory):
    folder = tmp_path_factory.mktemp("template") / "index"
    RelatedIndex().fit(load_articles(ARTICLES)).save(folder)
    return folder


@pytest.fixture()
def saved_index(_template, tmp_path):
    folder = tmp_path / "index"
    shutil.copytree(_template, folder)
    return folder


def _manifest(folder: Path) -> dict:
    return json.loads((folder / "manifest.json").read_text())


_write_manifest = write_manifest
_rewrite = vouch_for  # replace a file and make the manifest vouch for it, as an attacker could


def _refused(folder: Path, name: str | None = None) -> IndexFormatError:
    """Load must raise IndexFormatError naming ``name`` (the file at fault)."""
    with pytest.raises(IndexFormatError) as caught:
        RelatedIndex.load(folder)
    if name is not None:
        assert name in str(caught.value), caught.value
    return caught.value


INDEX_FILES = sorted(FILES)


@pytest.mark.parametrize("name", INDEX_FILES)
def test_a_flipped_byte_in_any_file_is_refused_naming_it(saved_index, name):
    path = saved_index / name
    data = bytearray(path.read_bytes())
    for position in (0, len(data) // 2, len(data) - 1):
        flipped = bytearray(data)
        flipped[position] ^= 0x40
        path.write_bytes(bytes(flipped))
        _refused(saved_index, name)


@pytest.mark.parametrize("name", [*INDEX_FILES, "manifest.json"])
def test_a_truncated_file_is_refused_naming_it(saved_index, name):
    path = saved_index / name
    for size in (0, path.stat().st_size // 2):
        path.write_bytes(path.read_bytes()[:size] if size else b"")
        _refused(saved_index, name)


@pytest.mark.parametrize("name", [*INDEX_FILES, "manifest.json"])
def test_a_missing_file_is_refused_naming_it(saved_index, name):
    (saved_index / name).unlink()
    _refused(saved_index, name)


@pytest.mark.parametrize("version", [0, 1, 3, 99, "2", None, [2], True, 2.5])
def test_an_unknown_format_version_is_refused(saved_index, version):
    manifest = _manifest(saved_index)
    manifest["format_version"] = version
    _write_manifest(saved_index, manifest)
    _refused(saved_index, "manifest.json")


@pytest.mark.parametrize("name", ["../outside.npy", "/etc/passwd", "idf.npy\x00.txt",
                                  "sub/idf.npy", "", "manifest.json"])
@pytest.mark.parametrize("how", ["added", "instead of idf.npy"])
def test_a_manifest_naming_other_files_is_refused(saved_index, name, how):
    (saved_index.parent / "outside.npy").write_bytes((saved_index / "idf.npy").read_bytes())
    manifest = _manifest(saved_index)
    info = manifest["files"]["idf.npy"]
    if how == "instead of idf.npy":
        del manifest["files"]["idf.npy"]
    manifest["files"][name] = info
    _write_manifest(saved_index, manifest)
    _refused(saved_index, "manifest.json")


@pytest.mark.parametrize("name", ["idf.npy", "matrix.data.npy", "matrix.indptr.npy"])
def test_an_object_array_is_refused_even_with_matching_checksums(saved_index, name):
    buffer = io.BytesIO()
    np.save(buffer, np.array([{"__reduce__": "os.system"}, 1], dtype=object), allow_pickle=True)
    _rewrite(saved_index, name, buffer.getvalue())
    _refused(saved_index, name)


def _npy_header(shape: tuple, descr: str = "<f8", fortran: bool = False) -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        buffer, {"descr": descr, "fortran_order": fortran, "shape": shape})
    return buffer.getvalue()


@pytest.mark.parametrize(("shape", "descr"), [
    ((-1,), "<f8"), ((2**62,), "<f8"), ((2**40, 2**40), "<f8"), ((4, 4), "<f8"),
    ((4,), "<f4"), ((4,), "|O"), ((4,), "<U5"), ((4,), [("a", "<f8")]),
])
def test_npy_headers_with_a_wrong_shape_or_dtype_are_refused(saved_index, shape, descr):
    _rewrite(saved_index, "idf.npy", _npy_header(shape, descr) + b"\0" * 64)
    _refused(saved_index, "idf.npy")


def test_an_npy_header_claiming_a_huge_shape_is_refused(saved_index):
    _rewrite(saved_index, "idf.npy", _npy_header((2**45,)) + b"\0" * 64)
    _refused(saved_index, "idf.npy")


def _npy(values: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, values, allow_pickle=False)
    return buffer.getvalue()


@pytest.mark.parametrize("edit", ["unclosed parenthesis", "Python 2 long"])
def test_npy_headers_that_numpy_parses_with_its_fallback_are_refused(saved_index, edit):
    data = (saved_index / "idf.npy").read_bytes()
    shape = re.search(rb"'shape': \((\d+),\)", data)
    if edit == "unclosed parenthesis":
        data = data[:shape.end() - 1] + b" " + data[shape.end():]
    else:
        data = data[:shape.end(1)] + b"L" + data[shape.end(1) + 1:]
    _rewrite(saved_index, "idf.npy", data)
    _refused(saved_index, "idf.npy")


@pytest.mark.parametrize(("name", "value"), [("idf.npy", 0.0), ("idf.npy", -2.0),
                                             ("norms.npy", -1.0)])
def test_impossible_idf_or_norm_values_are_refused(saved_index, name, value):
    values = np.load(saved_index / name)
    values[:] = value
    _rewrite(saved_index, name, _npy(values))
    _refused(saved_index, name)


def _edit_articles(folder: Path, edit) -> None:
    records = read_catalog(folder)
    edit(records)
    write_catalog(folder, records)


WRONG_ARTICLES = {
    "an item a list": lambda r: r.__setitem__(0, [1, 2]),
    "an item a string": lambda r: r.__setitem__(0, "artigo"),
    "id a number": lambda r: r[0].__setitem__("id", 7),
    "id missing": lambda r: r[0].pop("id"),
    "title a list": lambda r: r[0].__setitem__("title", ["a"]),
    "date a number": lambda r: r[0].__setitem__("date", 5),
    "date not a date": lambda r: r[0].__setitem__("date", "2024-02-30"),
    "lang unknown": lambda r: r[0].__setitem__("lang", "fr"),
    "tags with a number": lambda r: r[0].__setitem__("tags", ["a", 1]),
    "ids repeated": lambda r: r[1].__setitem__("id", r[0]["id"]),
    "one article too few": lambda r: r.pop(),
}


@pytest.mark.parametrize("case", sorted(WRONG_ARTICLES))
def test_articles_with_wrong_types_are_refused(saved_index, case):
    _edit_articles(saved_index, WRONG_ARTICLES[case])
    _refused(saved_index)


def test_a_record_that_is_not_an_article_is_refused(saved_index):
    _edit_articles(saved_index, lambda r: r.__setitem__(0, {"id": "a"}))
    _refused(saved_index, "articles.jsonl: line 1")


@pytest.mark.parametrize("lines", [
    "two records on one line", "a blank line", "offsets past the end"])
def test_records_that_do_not_follow_the_offsets_are_refused(saved_index, lines):
    data = (saved_index / "articles.jsonl").read_bytes()
    first = data.index(b"\n") + 1
    if lines == "two records on one line":
        data = data[:first - 1] + b" " + data[first:]
    elif lines == "a blank line":
        data = data[:first] + b"\n" + data[first:-1]
    else:
        _rewrite(saved_index, "articles.offsets.npy", _npy(np.arange(89, dtype=np.int64) * 10**6))
    _rewrite(saved_index, "articles.jsonl", data)
    _refused(saved_index, "articles.")


def test_rows_out_of_id_order_are_refused(saved_index):
    rows = np.load(saved_index / "articles.by_id.npy")
    _rewrite(saved_index, "articles.by_id.npy", _npy(rows[::-1].copy()))
    _refused(saved_index, "articles.by_id.npy")


@pytest.mark.parametrize("edit", ["own translation", "out of range", "score above 1"])
def test_impossible_translations_are_refused(saved_index, edit):
    indptr = np.zeros(89, dtype=np.int64)
    indptr[1:] = 1
    ids, scores = np.array([1], dtype=np.int32), np.array([0.1])
    if edit == "own translation":
        ids[0] = 0
    elif edit == "out of range":
        ids[0] = 88
    else:
        scores[0] = 1.5
    for part, values in (("indptr", indptr), ("ids", ids), ("scores", scores)):
        _rewrite(saved_index, f"translations.{part}.npy", _npy(values))
    _refused(saved_index, "translations.")


@pytest.mark.parametrize("field", ["author", "tags"])
def test_articles_with_a_string_where_a_list_belongs_are_refused(saved_index, field):
    _edit_articles(saved_index, lambda r: r[0].__setitem__(field, "Ana Souza"))
    _refused(saved_index, "articles.jsonl")


@pytest.mark.parametrize("pins", [["nenhum"], "abc"])
def test_articles_with_pins_to_unknown_ids_are_refused(saved_index, pins):
    _edit_articles(saved_index, lambda r: r[0].__setitem__("pins", pins))
    _refused(saved_index, "articles.jsonl")


NASTY_JSON = {
    "nested 100,000 deep": b"[" * DEEP + b"]" * DEEP,
    "a number of 5000 digits": b"[" + b"9" * 5000 + b"]",
}


@pytest.mark.parametrize("name", ["articles.jsonl", "vocabulary.json", "manifest.json"])
@pytest.mark.parametrize("case", sorted(NASTY_JSON))
def test_json_files_nested_too_deep_or_with_huge_numbers_are_refused(saved_index, name, case):
    if name == "manifest.json":
        (saved_index / name).write_bytes(NASTY_JSON[case])
    elif name == "articles.jsonl":
        lines = (saved_index / name).read_bytes().split(b"\n")
        lines[0] = NASTY_JSON[case]
        offsets = np.cumsum([0] + [len(line) + 1 for line in lines[:-1]], dtype=np.int64)
        _rewrite(saved_index, "articles.offsets.npy", _npy(offsets))
        _rewrite(saved_index, name, b"\n".join(lines))
    else:
        _rewrite(saved_index, name, NASTY_JSON[case])
    _refused(saved_index, name)


@pytest.mark.parametrize(("key", "value"), [("settings", [1, 2]), ("settings", "pt"),
                                            ("counts", [88])])
def test_manifest_sections_of_the_wrong_type_are_refused(saved_index, key, value):
    manifest = _manifest(saved_index)
    manifest[key] = value
    _write_manifest(saved_index, manifest)
    _refused(saved_index, "manifest.json")


@pytest.mark.parametrize("value", [{"field_weights": [1]}, {"nao_existe": 1},
                                   {"min_score": "alto"}])
def test_manifest_settings_out_of_range_are_refused(saved_index, value):
    manifest = _manifest(saved_index)
    manifest["settings"].update(value)
    _write_manifest(saved_index, manifest)
    _refused(saved_index, "manifest.json")


@pytest.mark.parametrize("value", [
    "ana", [["ana", 0.5]], [[[], 0.5]], [[["ana"], 1.5]], [[["ana"], 0.0]], [[["ana"], "0.5"]],
    [[["ana"], float("nan")]], [[["ana"], 0.5], [["ana"], 0.25]], [[[3], 0.5]]])
def test_impossible_author_agreements_are_refused(saved_index, value):
    manifest = _manifest(saved_index)
    manifest["model"]["author_agreement"] = value
    _write_manifest(saved_index, manifest)
    assert "author_agreement" in str(_refused(saved_index, "manifest.json"))


def test_an_index_saved_before_author_agreements_loads_without_them(saved_index):
    manifest = _manifest(saved_index)
    del manifest["model"]["author_agreement"]
    _write_manifest(saved_index, manifest)
    assert RelatedIndex.load(saved_index).author_agreement_ == {}


@pytest.mark.parametrize("name", ["idf.npy", "articles.jsonl", "manifest.json"])
def test_a_symlink_pointing_outside_the_index_is_refused(saved_index, tmp_path, name):
    outside = tmp_path / f"outside-{name}"
    shutil.copyfile(saved_index / name, outside)
    (saved_index / name).unlink()
    (saved_index / name).symlink_to(outside)
    _refused(saved_index, name)


def test_a_directory_in_place_of_a_file_is_refused(saved_index):
    (saved_index / "idf.npy").unlink()
    (saved_index / "idf.npy").mkdir()
    _refused(saved_index, "idf.npy")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs POSIX named pipes")
@pytest.mark.parametrize("name", ["idf.npy", "manifest.json"])
def test_a_named_pipe_in_the_index_is_refused_not_waited_on(saved_index, name):
    (saved_index / name).unlink()
    os.mkfifo(saved_index / name)
    outcome: dict[str, BaseException] = {}

    def load() -> None:
        try:
            RelatedIndex.load(saved_index)
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            outcome["error"] = exc

    thread = threading.Thread(target=load, daemon=True)
    thread.start()
    thread.join(timeout=2)
    blocked = thread.is_alive()
    if blocked:  # release it: a writer that closes at once gives the reader end-of-file
        try:
            os.close(os.open(saved_index / name, os.O_WRONLY | os.O_NONBLOCK))
        except OSError:
            pass
        thread.join(timeout=10)
    assert not blocked, "RelatedIndex.load waited on a named pipe"
    assert isinstance(outcome.get("error"), IndexFormatError), outcome
    assert name in str(outcome["error"])


def test_the_cli_reports_a_damaged_index_in_one_line(saved_index):
    path = saved_index / "matrix.data.npy"
    path.write_bytes(path.read_bytes()[:-4])
    code, out, err = cli("related", saved_index, "x")
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and "matrix.data.npy" in err and "Traceback" not in err



