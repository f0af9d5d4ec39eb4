"""Exports for the site build: JSON, JSON Lines, HTML fragments and custom templates.

Hand-made corpora pin every list (``related``) and share no words, so the lists
are exactly the pins, whatever the weighting.
"""

import copy
import io
import json
import os
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from recommender import Article, Related, RelatedIndex
from recommender.cli import main
from recommender.export import (
    MARKER,
    export_html,
    export_json,
    export_jsonl,
    fragment_filename,
    iter_json_pieces,
    iter_jsonl_lines,
)
from recommender.render import (
    SidebarTemplate,
    TemplateError,
    dumps_export,
    safe_href,
    sidebar_html,
    template_context,
)

from .conftest import ARTICLES

# -- corpora -----------------------------------------------------------------------------------

SIDEBAR = [
    {"id": "krenak-pt", "lang": "pt", "title": "Ailton Krenak e a terra",
     "author": ["Ana Souza", "Bia Lima"], "date": "2024-07-11",
     "url": "https://revista.example/krenak/", "blurb": "Os rios, a terra e os povos.",
     "body": "Krenak pensa florestas, aldeias, montanhas.", "related": ["fiori-en", "sem-link"]},
    {"id": "fiori-en", "lang": "en", "title": "What time is it on the NATO war clock?",
     "author": "José Luís Fiori", "date": "2024-07-17",
     "url": "/artigos/fiori-en/", "blurb": "A reading of NATO's summit.",
     "body": "Alliance summit escalation missiles.", "related": ["krenak-pt", "sem-link"]},
    {"id": "sem-link", "lang": "pt", "title": "Notas avulsas", "blurb": "Só o resumo.",
     "body": "Caderno rascunho lembretes.", "related": ["fiori-en", "krenak-pt"]},
]

KRENAK_PT = """\
<ul class="related-articles">
  <li>
    <a class="related-title" href="/artigos/fiori-en/">What time is it on the NATO war clock?</a>
    <span class="related-author">José Luís Fiori</span>
    <time class="related-date" datetime="2024-07-17">17/07/2024</time>
    <p class="related-byline">Por JOSÉ LUÍS FIORI: A reading of NATO&#x27;s summit.</p>
  </li>
  <li>
    <span class="related-title">Notas avulsas</span>
    <p class="related-byline">Só o resumo.</p>
  </li>
</ul>
"""

FIORI_EN = """\
<ul class="related-articles">
  <li>
    <a class="related-title" href="https://revista.example/krenak/">Ailton Krenak e a terra</a>
    <span class="related-author">Ana Souza, Bia Lima</span>
    <time class="related-date" datetime="2024-07-11">11/07/2024</time>
    <p class="related-byline">By ANA SOUZA, BIA LIMA: Os rios, a terra e os povos.</p>
  </li>
  <li>
    <span class="related-title">Notas avulsas</span>
    <p class="related-byline">Só o resumo.</p>
  </li>
</ul>
"""

EVIL_TITLE = '<script>alert("t")</script> & "Título"'
EVIL_AUTHOR = 'Zé "Aspas" & <b>Negrito</b>'
EVIL_BLURB = "<img src=x onerror=\"alert('b')\"> & \"fim\""
EVIL_URL = 'https://revista.example/busca?q="x"&t=<script>'
EVIL = [
    {"id": "host", "lang": "pt", "title": "Anfitrião", "body": "Abacate.",
     "related": ['evil<script>"&']},
    {"id": 'evil<script>"&', "lang": "pt", "title": EVIL_TITLE, "author": EVIL_AUTHOR,
     "date": "2024-01-02", "url": EVIL_URL, "blurb": EVIL_BLURB, "body": "Berinjela."},
]


def fitted(records):
    return RelatedIndex().fit([Article(**record) for record in records])


def saved(records, folder):
    fitted(records).save(folder)
    return folder


def run(*argv):
    out, err = io.StringIO(), io.StringIO()
    code = main([str(a) for a in argv], stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def leftovers(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if ".tmp-" in p.name or ".old-" in p.name)


@pytest.fixture(scope="module")
def fixture_dir(tmp_path_factory, fixture_index):
    folder = tmp_path_factory.mktemp("export") / "index"
    fixture_index.save(folder)
    return folder


@pytest.fixture()
def sidebar_dir(tmp_path):
    return saved(SIDEBAR, tmp_path / "index")


class Structure(HTMLParser):
    """Tags with their (unescaped) attributes, and text, of an HTML fragment."""

    def __init__(self, text):
        super().__init__(convert_charrefs=True)
        self.tags, self.text = [], []
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        if data.strip():
            self.text.append(data.strip())


# -- HTML fragments ----------------------------------------------------------------------------


def test_fragment_is_the_sidebar_with_the_bylines_of_the_page_language(sidebar_dir, tmp_path):
    code, out, err = run("export", sidebar_dir, "--format", "html", "--out", tmp_path / "f",
                         "-k", "2")
    assert code == 0 and out == ""
    assert err == f"exported the related lists of 3 articles -> {tmp_path / 'f'}\n"
    assert (tmp_path / "f" / "krenak-pt.html").read_text("utf-8") == KRENAK_PT
    assert (tmp_path / "f" / "fiori-en.html").read_text("utf-8") == FIORI_EN
    assert sorted(os.listdir(tmp_path / "f")) == sorted(
        [MARKER, "fiori-en.html", "krenak-pt.html", "sem-link.html"])


def test_locale_overrides_the_language_of_every_page(sidebar_dir, tmp_path):
    for locale, label in (("en", "By"), ("pt", "Por")):
        out = tmp_path / locale
        assert run("export", sidebar_dir, "--format", "html", "--out", out, "-k", "2",
                   "--locale", locale)[0] == 0
        for name in ("krenak-pt.html", "fiori-en.html"):
            bylines = [line for line in (out / name).read_text("utf-8").splitlines()
                       if "related-byline" in line and ":" in line]
            assert bylines and all(f'byline">{label} ' in line for line in bylines)
    english = (tmp_path / "en" / "krenak-pt.html").read_text("utf-8")
    assert english == KRENAK_PT.replace("Por JOSÉ", "By JOSÉ")


def test_sidebar_html_leaves_out_empty_parts_and_empty_lists():
    assert sidebar_html([], locale="en") == '<ul class="related-articles"></ul>\n'
    bare = Related("x", "", None, "", None, None, 0.1)
    assert sidebar_html([bare], locale="pt") == (
        '<ul class="related-articles">\n  <li>\n'
        '    <span class="related-title">x</span>\n'  # no title: the id
        "  </li>\n</ul>\n")
    only_author = Related("y", "T", "/y/", "Ana", None, "  ", 0.1)
    assert '<p class="related-byline">By ANA</p>' in sidebar_html([only_author], locale="en")
    with pytest.raises(ValueError, match="locale must be one of 'en', 'pt'"):
        sidebar_html([bare], locale="es")


def test_every_field_is_escaped(tmp_path):
    folder = tmp_path / "f"
    export_html(fitted(EVIL), folder, k=1)
    text = (folder / "host.html").read_text("utf-8")
    assert "<script" not in text and "<img" not in text and "<b>" not in text
    assert "&lt;script&gt;alert(&quot;t&quot;)&lt;/script&gt; &amp; &quot;Título&quot;" in text
    assert "Zé &quot;Aspas&quot; &amp; &lt;b&gt;Negrito&lt;/b&gt;" in text
    assert "ZÉ &quot;ASPAS&quot; &amp; &lt;B&gt;NEGRITO&lt;/B&gt;: &lt;img src=x onerror=" in text
    assert 'href="https://revista.example/busca?q=&quot;x&quot;&amp;t=&lt;script&gt;"' in text
    parsed = Structure(text)  # and the browser reads back exactly the original values
    assert {tag for tag, _ in parsed.tags} == {"ul", "li", "a", "span", "time", "p"}
    assert [attrs["href"] for tag, attrs in parsed.tags if tag == "a"] == [EVIL_URL]
    assert parsed.text == [EVIL_TITLE, EVIL_AUTHOR, "02/01/2024",
                           f"By {EVIL_AUTHOR.upper()}: {EVIL_BLURB}".replace("By", "Por", 1)]


DANGEROUS = [
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "  javascript:alert(1)",
    "\x00javascript:alert(1)",
    "\x01\x1fjavascript:alert(1)",
    "java\tscript:alert(1)",
    "java\nscript:alert(1)",
    "java\rscript:alert(1)",
    "javascript\x0b:alert(1)",
    "java\u2028script:alert(1)",
    "\u00a0javascript:alert(1)",
    "jav&#x09;ascript:alert(1)",
    "&#106;avascript:alert(1)",
    "javascript&colon;alert(1)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "vbscript:msgbox(1)",
    "//evil.example/x.js",
    "///evil.example/x.js",
    "/\\evil.example/x.js",
    "\\\\evil.example\\x.js",
    "https:evil.example",
    "https:/\\evil.example",
    "file:///etc/passwd",
    "mailto:editor@revista.example",
]


@pytest.mark.parametrize("url", DANGEROUS)
def test_dangerous_hrefs_are_refused_and_the_title_stays_text(url):
    assert safe_href(url) is None
    item = Related("x", "Título", url, "Ana", None, "resumo", 0.5)
    text = sidebar_html([item], locale="pt")
    assert "href" not in text and "<a " not in text
    assert '<span class="related-title">Título</span>' in text
    assert template_context({"id": "a"}, [item], locale="pt")["items"][0]["href"] is None


@pytest.mark.parametrize(("url", "href"), [
    ("https://revista.example/artigos/a/", "https://revista.example/artigos/a/"),
    ("http://revista.example/a?x=1&y=2", "http://revista.example/a?x=1&y=2"),
    ("HTTPS://REVISTA.EXAMPLE/", "HTTPS://REVISTA.EXAMPLE/"),
    (" https://revista.example/a/\n", "https://revista.example/a/"),
    ("/artigos/a/", "/artigos/a/"),
    ("artigos/a/", "artigos/a/"),
    ("../a/", "../a/"),
    ("?pagina=2", "?pagina=2"),
    ("#topo", "#topo"),
    ("/artigos/ação/", "/artigos/ação/"),
])
def test_http_and_relative_urls_are_linked(url, href):
    assert safe_href(url) == href
    text = sidebar_html([Related("x", "T", url, "", None, None, 0.5)], locale="en")
    assert Structure(text).tags[2] == ("a", {"class": "related-title", "href": href})


def test_export_warns_about_articles_shown_without_a_link(tmp_path):
    records = [{"id": "a", "lang": "pt", "title": "Abacate", "related": ["b"]},
               {"id": "b", "lang": "pt", "title": "Berinjela", "url": "javascript:alert(1)"}]
    code, _, err = run("export", saved(records, tmp_path / "i"), "--format", "html",
                       "--out", tmp_path / "f")
    assert code == 0
    assert err.splitlines()[0] == ("recommender: warning: 1 listed article(s) shown without "
                                   "a link, their url is not http(s) or relative: b")
    assert "javascript" not in (tmp_path / "f" / "a.html").read_text("utf-8")


# -- file names --------------------------------------------------------------------------------

ODD_IDS = ["../../etc/passwd", "..", ".", ".hidden", "a/b", "a%2Fb", "a\\b", "C:\\x", "Ação",
           "ação", "Foo", "foo", "with space", "tab\there", "nul\x00", "~tilde", "x" * 300,
           "é" * 150, "\ud800lone", "con", "a.b.", "-"]


def test_file_names_are_safe_distinct_and_deterministic():
    names = [fragment_filename(i) for i in ODD_IDS]
    assert len(set(names)) == len(ODD_IDS)  # also on case-insensitive file systems:
    assert len({n.lower() for n in names}) == len(ODD_IDS)
    for name in names:
        assert name.endswith(".html") and not name.startswith(".")
        assert "/" not in name and "\\" not in name and "\x00" not in name
        assert name.isascii() and name.isprintable() and " " not in name
        assert len(name.encode()) <= 255
    assert names == [fragment_filename(i) for i in ODD_IDS]
    assert fragment_filename("../../etc/passwd") == "%2E.%2F..%2Fetc%2Fpasswd.html"
    assert fragment_filename("Ação") == "%41%C3%A7%C3%A3o.html"
    assert fragment_filename("a%2Fb") == "a%252%46b.html"  # "%" and "F" encoded
    assert fragment_filename("vladimir-putin-in-north-korea") == \
        "vladimir-putin-in-north-korea.html"
    with pytest.raises(ValueError, match="non-empty string"):
        fragment_filename("")


def test_odd_ids_are_written_inside_the_output_directory(tmp_path):
    ids = ["../escape", "a/b", "..", "Ação", "ação"]
    records = [{"id": i, "lang": "pt", "title": f"Título {n}", "body": f"palavra{n}"}
               for n, i in enumerate(ids)]
    out = tmp_path / "out" / "fragments"
    assert run("export", saved(records, tmp_path / "i"), "--format", "html", "--out", out)[0] == 0
    assert sorted(os.listdir(out)) == sorted([MARKER, *map(fragment_filename, ids)])
    assert sorted(os.listdir(tmp_path / "out")) == ["fragments"]
    assert not (tmp_path / "escape.html").exists()


# -- JSON, JSON Lines, determinism -------------------------------------------------------------


def read_output(path: Path):
    return snapshot(path) if path.is_dir() else path.read_bytes()


@pytest.mark.parametrize("fmt", ["json", "jsonl", "html"])
def test_outputs_are_byte_identical_across_runs(fixture_dir, tmp_path, fmt):
    first, second = tmp_path / "a", tmp_path / "b"
    assert run("export", fixture_dir, "--format", fmt, "--out", first, "-k", "5")[0] == 0
    assert run("export", fixture_dir, "--format", fmt, "--out", second, "-k", "5")[0] == 0
    assert read_output(first) == read_output(second)
    assert run("export", fixture_dir, "--format", fmt, "--out", first, "-k", "5")[0] == 0
    assert read_output(first) == read_output(second)  # rewriting in place: same bytes too


def test_json_is_the_default_and_keeps_its_bytes(fixture_dir, fixture_index, tmp_path):
    assert run("export", fixture_dir, "--out", tmp_path / "r.json", "-k", "4")[0] == 0
    expected = dumps_export(fixture_index.related_all(k=4)).encode("utf-8")
    assert (tmp_path / "r.json").read_bytes() == expected
    code, out, _ = run("export", fixture_dir, "--format", "json", "--out", "-", "-k", "4")
    assert code == 0 and out.encode("utf-8") == expected


def test_jsonl_has_one_line_per_article_in_id_order(fixture_dir, tmp_path):
    assert run("export", fixture_dir, "--format", "jsonl", "--out", tmp_path / "r.jsonl",
               "-k", "4")[0] == 0
    assert run("export", fixture_dir, "--out", tmp_path / "r.json", "-k", "4")[0] == 0
    data = (tmp_path / "r.jsonl").read_bytes()
    lines = data.decode("utf-8").split("\n")
    assert data.endswith(b"\n") and lines[-1] == ""
    records = [json.loads(line) for line in lines[:-1]]
    document = json.loads((tmp_path / "r.json").read_text("utf-8"))
    assert [list(r) for r in records] == [["id", "related"]] * len(records)
    assert [r["id"] for r in records] == sorted(document) and len(records) == 88
    assert {r["id"]: r["related"] for r in records} == document  # the same items as JSON
    code, out, _ = run("export", fixture_dir, "--format", "jsonl", "--out", "-", "-k", "4")
    assert code == 0 and out.encode("utf-8") == data


class _Lists:
    """Just the lists, as ``iter_related`` gives them, in a non-sorted order."""

    def __init__(self, lists):
        self.lists = lists

    def iter_related(self, k):
        yield from self.lists.items()


def test_jsonl_escapes_line_separators_inside_strings(tmp_path):
    odd = "Um\u2028dois\u2029três\x85"
    index = _Lists({"b": [], "a": [Related("b", odd, None, "", None, odd, 0.5)]})
    export_jsonl(index, tmp_path / "r.jsonl", k=1)
    text = (tmp_path / "r.jsonl").read_text("utf-8")
    assert len(text.splitlines()) == 2  # str.splitlines breaks on U+2028, U+2029, U+0085
    assert "\\u2028" in text and "\\u2029" in text and "\\u0085" in text
    assert [json.loads(line)["id"] for line in text.splitlines()] == ["a", "b"]
    item = json.loads(text.splitlines()[0])["related"][0]
    assert item["title"] == item["blurb"] == odd


def test_jsonl_and_html_stream_list_by_list(monkeypatch, tmp_path):
    import recommender.export as export

    index = fitted(SIDEBAR)
    events = []
    original = index.iter_related

    def watched(k):
        for pair in original(k):
            events.append("list")
            yield pair

    def refuse(*args, **kwargs):
        raise AssertionError("every list at once")

    monkeypatch.setattr(index, "iter_related", watched)
    monkeypatch.setattr(index, "related_all", refuse)
    write = export._write_synced
    monkeypatch.setattr(export, "_write_synced",
                        lambda path, data: (events.append("write"), write(path, data)))
    export_html(index, tmp_path / "f", k=2)
    assert events == ["list", "write"] * 3 + ["write"]  # the marker last
    events.clear()
    line = export._jsonl_line
    monkeypatch.setattr(export, "_jsonl_line", lambda *a: (events.append("line"), line(*a))[1])
    assert export_jsonl(index, tmp_path / "r.jsonl", k=2).articles == 3
    assert events == ["list", "line"] * 3


# -- atomic replacement ------------------------------------------------------------------------


def test_a_failure_mid_write_leaves_the_previous_directory_intact(sidebar_dir, tmp_path,
                                                                  monkeypatch):
    import recommender.export as export

    out = tmp_path / "site" / "related"
    assert run("export", sidebar_dir, "--format", "html", "--out", out, "-k", "1")[0] == 0
    before = snapshot(out)
    write, calls = export._write_synced, []

    def failing(path, data):
        calls.append(path)
        if len(calls) == 2:
            raise OSError(28, "No space left on device", str(path))
        write(path, data)

    monkeypatch.setattr(export, "_write_synced", failing)
    code, _, err = run("export", sidebar_dir, "--format", "html", "--out", out, "-k", "2")
    assert code == 1 and "No space left on device" in err and "Traceback" not in err
    assert snapshot(out) == before
    assert leftovers(out.parent) == []
    monkeypatch.undo()
    assert run("export", sidebar_dir, "--format", "html", "--out", out, "-k", "2")[0] == 0
    assert snapshot(out) != before and leftovers(out.parent) == []
    assert (out / "krenak-pt.html").read_text("utf-8") == KRENAK_PT


def test_a_failure_mid_write_leaves_the_previous_jsonl_intact(sidebar_dir, tmp_path,
                                                              monkeypatch):
    import recommender.export as export

    out = tmp_path / "r.jsonl"
    assert run("export", sidebar_dir, "--format", "jsonl", "--out", out, "-k", "1")[0] == 0
    before = out.read_bytes()
    line, calls = export._jsonl_line, []

    def failing(*args):
        calls.append(args)
        if len(calls) == 3:
            raise MemoryError("injected")
        return line(*args)

    monkeypatch.setattr(export, "_jsonl_line", failing)
    with pytest.raises(MemoryError):
        main(["export", str(sidebar_dir), "--format", "jsonl", "--out", str(out), "-k", "2"],
             stdout=io.StringIO(), stderr=io.StringIO())
    assert out.read_bytes() == before and leftovers(tmp_path) == []


def test_html_refuses_to_replace_a_directory_it_did_not_write(sidebar_dir, tmp_path):
    theme = tmp_path / "theme"
    theme.mkdir()
    (theme / "style.css").write_text("body {}")
    code, _, err = run("export", sidebar_dir, "--format", "html", "--out", theme)
    assert code == 1 and "refusing to replace a non-empty directory" in err
    assert snapshot(theme) == {"style.css": b"body {}"}
    (tmp_path / "file").write_text("x")
    code, _, err = run("export", sidebar_dir, "--format", "html", "--out", tmp_path / "file")
    assert code == 1 and "is not a directory" in err
    empty = tmp_path / "empty"
    empty.mkdir()
    assert run("export", sidebar_dir, "--format", "html", "--out", empty)[0] == 0


def test_a_symbolic_link_stays_and_its_directory_is_replaced(sidebar_dir, tmp_path):
    real, link = tmp_path / "releases" / "related", tmp_path / "current"
    assert run("export", sidebar_dir, "--format", "html", "--out", real, "-k", "1")[0] == 0
    link.symlink_to(real, target_is_directory=True)
    assert run("export", sidebar_dir, "--format", "html", "--out", link, "-k", "2")[0] == 0
    assert link.is_symlink() and (real / "krenak-pt.html").read_text("utf-8") == KRENAK_PT
    assert leftovers(tmp_path) == [] and leftovers(real.parent) == []


def test_outputs_are_readable_by_others(sidebar_dir, tmp_path):
    old = os.umask(0o022)
    try:
        for fmt, out in (("json", "r.json"), ("jsonl", "r.jsonl"), ("html", "f")):
            assert run("export", sidebar_dir, "--format", fmt, "--out", tmp_path / out)[0] == 0
    finally:
        os.umask(old)
    assert (tmp_path / "r.json").stat().st_mode & 0o777 == 0o644
    assert (tmp_path / "r.jsonl").stat().st_mode & 0o777 == 0o644
    assert (tmp_path / "f").stat().st_mode & 0o777 == 0o755
    assert (tmp_path / "f" / "krenak-pt.html").stat().st_mode & 0o777 == 0o644


@pytest.mark.parametrize("argv", [
    ["--format", "json", "--locale", "pt"],
    ["--format", "jsonl", "--template", "t.html"],
    ["--format", "html", "--out", "-"],
    ["--format", "xml"],
    ["--format", "html", "--locale", "es"],
])
def test_export_usage_errors_exit_2(sidebar_dir, tmp_path, argv):
    if "--out" not in argv:
        argv = [*argv, "--out", str(tmp_path / "x")]
    code, out, err = run("export", sidebar_dir, *argv)
    assert code == 2 and out == "" and "error" in err
    assert not (tmp_path / "x").exists()


# -- custom templates --------------------------------------------------------------------------

TEMPLATE = """\
<nav data-for="{{ article.id }}" data-url="{{ article.url }}" lang="{{ locale }}">
{%- for item in items %}
<p>{% if item.href %}<a href="{{ item.href }}">{{ item.title }}</a>{% else %}{{ item.title }}\
{% endif %} | {{ item.date_display }} | {{ labels.by }} {{ item.author|upper }}: {{ item.blurb }}\
{% if item.pinned %} [pin]{% endif %}</p>
{%- endfor %}
</nav>
"""


def write_template(tmp_path, text, name="sidebar.html"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_custom_template_gets_the_documented_variables(sidebar_dir, tmp_path):
    template = write_template(tmp_path, TEMPLATE)
    code, _, err = run("export", sidebar_dir, "--format", "html", "--out", tmp_path / "f",
                       "-k", "2", "--template", template)
    assert code == 0, err
    assert (tmp_path / "f" / "krenak-pt.html").read_text("utf-8") == (
        '<nav data-for="krenak-pt" data-url="https://revista.example/krenak/" '
        'lang="pt">\n'
        '<p><a href="/artigos/fiori-en/">What time is it on the NATO war '
        "clock?</a> | 17/07/2024 | Por JOSÉ LUÍS FIORI: A reading of NATO&#39;s summit. [pin]</p>\n"
        "<p>Notas avulsas |  | Por : Só o resumo. [pin]</p>\n"
        "</nav>\n")
    code, _, _ = run("export", sidebar_dir, "--format", "html", "--out", tmp_path / "f",
                     "-k", "2", "--template", template, "--locale", "en")
    assert code == 0
    assert "| By JOSÉ LUÍS FIORI:" in (tmp_path / "f" / "krenak-pt.html").read_text("utf-8")


def test_template_context_is_the_json_items_plus_display_fields():
    item = Related("x", "T", "javascript:alert(1)", "Ana", None, None, 0.25, pinned=False)
    context = template_context({"id": "a", "title": "A", "url": None, "lang": "pt", "body": "no"},
                               [item], locale="en")
    assert context == {
        "article": {"id": "a", "title": "A", "url": None, "lang": "pt"},
        "items": [{"id": "x", "title": "T", "url": "javascript:alert(1)", "author": "Ana",
                   "date": None, "blurb": None, "score": 0.25, "pinned": False,
                   "date_display": "", "href": None}],
        "locale": "en",
        "labels": {"by": "By"},
    }


def test_templates_autoescape_every_field(tmp_path):
    template = write_template(
        tmp_path, "{% for i in items %}{{ i.title }}|{{ i.author }}|{{ i.blurb }}|{{ i.url }}|"
                  "<a href=\"{{ i.href }}\">{{ i.id }}</a>{% endfor %}\n")
    export_html(fitted(EVIL), tmp_path / "f", k=1, template=template)
    text = (tmp_path / "f" / "host.html").read_text("utf-8")
    assert "<script" not in text and "<img" not in text and "<b>" not in text
    assert "&lt;script&gt;alert(&#34;t&#34;)&lt;/script&gt; &amp; &#34;Título&#34;" in text
    parsed = Structure(text)
    assert parsed.tags == [("a", {"href": EVIL_URL})]
    assert "".join(parsed.text).split("|")[:3] == [EVIL_TITLE, EVIL_AUTHOR, EVIL_BLURB]


@pytest.mark.parametrize("expression", [
    "''.__class__.__mro__",
    "''.__class__.__mro__[1].__subclasses__()",
    "items.__class__",
    "labels.__init__.__globals__",
    "cycler.__init__.__globals__",
    "lipsum.__globals__",
    "article.update.__self__",
])
def test_the_sandbox_stops_templates_reaching_python_internals(sidebar_dir, tmp_path,
                                                                expression):
    out = tmp_path / "f"
    assert run("export", sidebar_dir, "--format", "html", "--out", out)[0] == 0
    before = snapshot(out)
    template = write_template(tmp_path, "<ul>\n{{ " + expression + " }}\n</ul>\n")
    code, stdout, err = run("export", sidebar_dir, "--format", "html", "--out", out,
                            "--template", template)
    assert code == 1 and stdout == "" and "Traceback" not in err
    assert err.startswith(f"recommender: error: {template}:2: SecurityError while rendering "
                          "the sidebar of ")
    assert "is unsafe" in err and "sandbox" in err and err.count("\n") == 1
    assert snapshot(out) == before and leftovers(tmp_path) == []


@pytest.mark.parametrize(("text", "message"), [
    ("{{ items[0].nope }}", "UndefinedError"),
    ("{{ nothing }}", "'nothing' is undefined"),
    ("{% for x in items %}", "template syntax error"),
    ("{% include 'other.html' %}", "no loader"),
    ("{{ 1 / 0 }}", "ZeroDivisionError"),
])
def test_broken_templates_exit_1_naming_the_file(sidebar_dir, tmp_path, text, message):
    template = write_template(tmp_path, text)
    code, _, err = run("export", sidebar_dir, "--format", "html", "--out", tmp_path / "f",
                       "--template", template)
    assert code == 1 and f"{template}:1: " in err and message in err
    assert not (tmp_path / "f").exists()


def test_missing_or_unreadable_template_exits_1(sidebar_dir, tmp_path):
    code, _, err = run("export", sidebar_dir, "--format", "html", "--out", tmp_path / "f",
                       "--template", tmp_path / "none.html")
    assert code == 1 and err == f"recommender: error: {tmp_path / 'none.html'}: template file " \
                                "not found\n"
    (tmp_path / "latin1.html").write_bytes("Título".encode("latin-1"))
    code, _, err = run("export", sidebar_dir, "--format", "html", "--out", tmp_path / "f",
                       "--template", tmp_path / "latin1.html")
    assert code == 1 and "not UTF-8" in err
    assert not (tmp_path / "f").exists()


def test_missing_jinja2_says_how_to_install_it(sidebar_dir, tmp_path, monkeypatch):
    template = write_template(tmp_path, TEMPLATE)
    monkeypatch.setitem(sys.modules, "jinja2", None)
    monkeypatch.setitem(sys.modules, "jinja2.sandbox", None)
    with pytest.raises(ImportError, match=r"pip install 'recommender\[site\]'"):
        SidebarTemplate.load(template)
    code, _, err = run("export", sidebar_dir, "--format", "html", "--out", tmp_path / "f",
                       "--template", template)
    assert code == 1 and "pip install 'recommender[site]'" in err
    assert run("export", sidebar_dir, "--format", "html", "--out", tmp_path / "f")[0] == 0


def test_template_errors_are_config_errors():
    assert issubclass(TemplateError, ValueError)
    from recommender import ConfigError

    assert issubclass(TemplateError, ConfigError)


def test_iter_jsonl_lines_matches_the_file(tmp_path):
    index = fitted(SIDEBAR)
    export_jsonl(index, tmp_path / "r.jsonl", k=2)
    assert "".join(iter_jsonl_lines(index, k=2)) == (tmp_path / "r.jsonl").read_text("utf-8")


def test_fixture_corpus_exports_every_article(fixture_dir, tmp_path):
    code, _, _ = run("export", fixture_dir, "--format", "html", "--out", tmp_path / "f")
    assert code == 0
    ids = [json.loads(line)["id"] for line in ARTICLES.read_text("utf-8").splitlines() if line]
    assert sorted(os.listdir(tmp_path / "f")) == sorted([MARKER, *map(fragment_filename, ids)])


@pytest.mark.parametrize("lists", [
    {},
    {"b": []},
    {"z-\u00e7\"x": [], "a": [Related("b", "Tít\"ulo\n", "/b/", "Ana", None, None, 0.5),
                             Related("c", "C", None, "", None, "blurb \u2028", 0.25)]},
])
def test_the_streamed_json_export_has_the_bytes_of_the_whole_document(tmp_path, lists):
    result = export_json(_Lists(lists), tmp_path / "r.json", k=2)
    assert (tmp_path / "r.json").read_text("utf-8") == dumps_export(lists)
    assert result.articles == len(lists)
    assert "".join(iter_json_pieces(_Lists(lists), k=2)) == dumps_export(lists)


def test_the_json_export_holds_no_list_in_memory(fixture_index, tmp_path):
    def no_related_all(*args, **kwargs):
        raise AssertionError("related_all builds every list at once")

    whole = dumps_export(fixture_index.related_all(k=4))
    index = copy.copy(fixture_index)
    index.related_all = no_related_all
    export_json(index, tmp_path / "r.json", k=4)
    assert (tmp_path / "r.json").read_text("utf-8") == whole
