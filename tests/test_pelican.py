"""The Pelican plugin: real Pelican builds of a small magazine site.

``fixtures/pelican`` holds the site: ten Markdown articles in Portuguese and
English (two topics, told apart by their ``Category``, which the index never
reads: ``terra`` — land, agribusiness — and ``tecnologia`` — platforms, data),
one of them translated, a ``pelicanconf.py`` enabling the plugin, and a
two-template theme whose ``article.html`` prints ``<ul class="related">``.
Each build copies the folder into a temporary directory and runs Pelican in
this process; the generated HTML is then read back.
"""

from __future__ import annotations

import importlib
import importlib.util
import locale
import logging
import os
import posixpath
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

pelican = pytest.importorskip("pelican")

from pelican import signals  # noqa: E402
from pelican.settings import read_settings  # noqa: E402

from recommender import ConfigError  # noqa: E402
from recommender.integrations import pelican as plugin  # noqa: E402

from .conftest import FIXTURES, ROOT  # noqa: E402

SITE = FIXTURES / "pelican"
SOURCES = sorted((SITE / "content").glob("*.md"))
ORIGINAL = "o-agronegocio-e-a-grilagem-na-amazonia"  # in Portuguese, translated into English


class _Records(logging.Handler):
    """Log records of WARNING and above, to show that Pelican reported no error."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def _settings(site: Path, **override):
    """Pelican's settings for the site copied to ``site``, leaving the process locale alone
    (``read_settings`` applies Pelican's ``LOCALE`` to the whole process)."""
    saved = locale.setlocale(locale.LC_ALL)
    try:
        return read_settings(str(site / "pelicanconf.py"),
                             override={"OUTPUT_PATH": str(site / "output"), **override})
    finally:
        locale.setlocale(locale.LC_ALL, saved)


def _copy_site(root: Path, extra: dict[str, str] | None = None) -> Path:
    site = root / "site"
    shutil.copytree(SITE, site)
    for name, text in (extra or {}).items():
        (site / "content" / name).write_text(text, encoding="utf-8")
    return site


def build(root: Path, *, extra: dict[str, str] | None = None, receiver=None, **override):
    """Build the fixture site under ``root``; return the output folder and the errors
    Pelican logged. ``receiver`` is connected to ``article_writer_finalized``."""
    assert importlib.util.find_spec("markdown"), "Pelican reads the fixture articles with " \
        "Markdown: pip install 'pelican[markdown]'"
    site = _copy_site(root, extra)
    settings = _settings(site, **override)
    records = _Records()
    logging.getLogger().addHandler(records)
    if receiver is not None:
        signals.article_writer_finalized.connect(receiver)
    try:
        with pytest.MonkeyPatch.context() as patch:  # Pelican puts "" on sys.path
            patch.setattr(sys, "path", list(sys.path))
            pelican.Pelican(settings).run()
    finally:
        logging.getLogger().removeHandler(records)
        if receiver is not None:
            signals.article_writer_finalized.disconnect(receiver)
    errors = [r.getMessage() for r in records.records if r.levelno >= logging.ERROR]
    return site / "output", errors


class _ArticlePage(HTMLParser):
    """The article's slug and category, its related list and its "also in" links."""

    def __init__(self) -> None:
        super().__init__()
        self.slug = self.category = None
        self.related: list[dict[str, str]] = []  # li attributes plus the link's href
        self.also_in: list[str] = []
        self._in_related = self._in_also_in = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "article":
            self.slug, self.category = attrs["data-slug"], attrs["data-category"]
        elif tag == "ul" and attrs.get("class") == "related":
            self._in_related = True
        elif tag == "p" and attrs.get("class") == "also-in":
            self._in_also_in = True
        elif tag == "li" and self._in_related:
            self.related.append(attrs)
        elif tag == "a" and self._in_related:
            self.related[-1]["href"] = attrs["href"]
        elif tag == "a" and self._in_also_in:
            self.also_in.append(attrs["href"])

    def handle_endtag(self, tag):
        if tag == "ul":
            self._in_related = False
        elif tag == "p":
            self._in_also_in = False


def read_pages(output: Path) -> dict[str, _ArticlePage]:
    """Every generated article page, by its path in the output folder."""
    pages = {}
    for path in sorted(output.rglob("*.html")):
        parser = _ArticlePage()
        parser.feed(path.read_text("utf-8"))
        if parser.slug is not None:
            pages[path.relative_to(output).as_posix()] = parser
    return pages


def target(page: str, href: str) -> str:
    """The output path a link on ``page`` points to (the site uses RELATIVE_URLS)."""
    assert "://" not in href and not href.startswith("/"), href
    return posixpath.normpath(posixpath.join(posixpath.dirname(page), href))


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    captured = {}

    def keep_articles(generator, writer):
        captured["articles"] = list(generator.articles) + list(generator.translations)

    output, errors = build(tmp_path_factory.mktemp("pelican"), receiver=keep_articles)
    return output, errors, read_pages(output), captured["articles"]


# -- the built site ---------------------------------------------------------------------------


def test_the_build_logs_no_error_and_writes_one_page_per_article(site):
    output, errors, pages, _ = site
    assert errors == []  # "Cannot load plugin" would only be logged
    assert len(pages) == len(SOURCES) == 10
    assert (output / "index.html").is_file()


def test_every_article_page_links_to_other_existing_article_pages(site):
    output, _, pages, _ = site
    for page, parsed in pages.items():
        assert parsed.related, f"{page} has no related links"
        for item in parsed.related:
            linked = target(page, item["href"])
            assert (output / linked).is_file(), f"{page} links to missing {linked}"
            assert linked in pages, f"{page} links to {linked}, not an article page"
            assert linked != page, f"{page} links to itself"


def test_the_top_related_article_is_on_the_same_topic(site):
    _, _, pages, _ = site
    categories = {parsed.category for parsed in pages.values()}
    assert categories == {"terra", "tecnologia"}
    for page, parsed in pages.items():
        top = parsed.related[0]
        assert top["data-category"] == parsed.category, (page, top)
        assert pages[target(page, top["href"])].category == parsed.category


def test_lists_follow_the_settings_in_pelicanconf(site):
    # pelicanconf.py: RECOMMENDER = {"min_score": 0.02}, RECOMMENDER_K = 3
    _, _, pages, _ = site
    for parsed in pages.values():
        scores = [float(item["data-score"]) for item in parsed.related]
        assert 1 <= len(scores) <= 3
        assert scores == sorted(scores, reverse=True)
        assert all(0.02 <= score <= 1.0 for score in scores)


def test_a_translation_is_offered_as_such_never_as_related(site):
    _, _, pages, _ = site
    original, translation = f"{ORIGINAL}.html", f"{ORIGINAL}-en.html"
    assert [target(original, h) for h in pages[original].also_in] == [translation]
    assert [target(translation, h) for h in pages[translation].also_in] == [original]
    assert translation not in {target(original, i["href"]) for i in pages[original].related}
    assert original not in {target(translation, i["href"]) for i in pages[translation].related}


def test_templates_get_pelican_articles_scores_and_recommendations(site):
    _, _, _, articles = site
    assert len(articles) == 10
    by_url = {article.url: article for article in articles}
    for article in articles:
        posts, scores, items = (article.related_posts, article.related_scores,
                                article.recommendations)
        assert 1 <= len(posts) == len(scores) == len(items) <= 3
        assert all(post in articles and post is not article for post in posts)
        assert all(isinstance(score, float) for score in scores)
        assert [item["score"] for item in items] == scores
        assert [by_url[item["url"]] for item in items] == posts  # url: Pelican's article.url
        assert [item["title"] for item in items] == [post.title for post in posts]
        assert [item["date"] for item in items] == [post.date.isoformat() for post in posts]
        assert set(items[0]) >= {"id", "title", "url", "author", "date", "blurb", "score"}


def test_ids_are_slugs_and_a_translation_gets_its_language(site):
    _, _, pages, _ = site
    ids = {item["data-id"]: target(page, item["href"])
           for page, parsed in pages.items() for item in parsed.related}
    for ident, page in ids.items():
        assert page == f"{ident}.html" or page == f"{ident.removesuffix('-en')}-en.html"
    assert ids[f"{ORIGINAL}-en"] == f"{ORIGINAL}-en.html"


def test_blurbs_are_the_summaries_as_text(site):
    _, _, _, articles = site
    blurbs = {item["id"]: item["blurb"] for a in articles for item in a.recommendations}
    assert blurbs["marco-temporal-e-as-terras-indigenas"] == (
        "A tese do marco temporal transforma a demarcação de terras indígenas em "
        "disputa fundiária.")


def test_the_same_site_gives_the_same_lists(site, tmp_path):
    _, _, pages, _ = site
    output, errors = build(tmp_path)
    assert errors == []
    again = read_pages(output)
    assert {p: parsed.related for p, parsed in again.items()} == \
        {p: parsed.related for p, parsed in pages.items()}


# -- edge cases -------------------------------------------------------------------------------


def test_shared_slugs_get_distinct_ids(tmp_path):
    # Without translation linkage the original and its translation are two articles with
    # one slug: the second is indexed as "slug-en", and both pages still get lists.
    kept = {}

    def keep(generator, writer):
        kept["index"] = plugin.relate_articles(generator)  # the same lists again, and the index

    output, errors = build(tmp_path, receiver=keep, ARTICLE_TRANSLATION_ID=None)
    assert errors == []
    assert {ORIGINAL, f"{ORIGINAL}-en"} <= set(kept["index"].ids_)
    assert len(kept["index"].ids_) == 10
    pages = read_pages(output)
    assert len(pages) == 10
    for page, parsed in pages.items():
        assert parsed.related
        for item in parsed.related:
            assert target(page, item["href"]) in pages
            assert target(page, item["href"]) != page


def test_articles_without_a_page_are_never_linked_to(tmp_path):
    # ARTICLE_LANG_SAVE_AS = "": the English articles are read (and indexed) but not written.
    output, errors = build(tmp_path, ARTICLE_LANG_SAVE_AS="")
    assert errors == []
    pages = read_pages(output)
    assert len(pages) == 6 and not any(page.endswith("-en.html") for page in pages)
    for page, parsed in pages.items():
        assert parsed.related
        assert all((output / target(page, item["href"])).is_file() for item in parsed.related)


HIDDEN = """Title: Nota interna sobre cabos submarinos
Date: 2024-11-11 10:00
Category: tecnologia
Status: {status}
Slug: nota-{status}

Os cabos submarinos e a nuvem das big techs guardam os dados do país.
"""


def test_hidden_articles_and_drafts_get_empty_lists_and_are_never_listed(tmp_path):
    kept = {}

    def keep(generator, writer):
        kept.update(hidden=generator.hidden_articles, drafts=generator.drafts,
                    published=generator.articles + generator.translations)

    output, errors = build(tmp_path, receiver=keep,
                           extra={f"nota-{s}.md": HIDDEN.format(status=s)
                                  for s in ("hidden", "draft")})
    assert errors == []
    assert [a.slug for a in kept["hidden"]] == ["nota-hidden"]
    assert [a.slug for a in kept["drafts"]] == ["nota-draft"]
    for article in kept["hidden"] + kept["drafts"]:
        assert article.related_posts == article.related_scores == article.recommendations == []
    listed = {post.slug for a in kept["published"] for post in a.related_posts}
    assert listed and not listed & {"nota-hidden", "nota-draft"}
    assert (output / "nota-hidden.html").is_file()
    assert (output / "drafts" / "nota-draft.html").is_file()


def test_a_site_without_articles_builds_unchanged(tmp_path):
    site = tmp_path / "empty"
    shutil.copytree(SITE, site, ignore=shutil.ignore_patterns("*.md"))
    settings = _settings(site)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sys, "path", list(sys.path))
        pelican.Pelican(settings).run()
    assert [p.name for p in (site / "output").iterdir()] == ["index.html"]


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"RECOMMENDER": {"min_scor": 0.1}},
         r"RECOMMENDER: unknown setting\(s\) min_scor; known settings are"),
        ({"RECOMMENDER": {"min_score": 2}}, r"RECOMMENDER: min_score must be a number from 0 to 1"),
        ({"RECOMMENDER": ["min_score", 0.1]}, r"RECOMMENDER must be a dict"),
        ({"RECOMMENDER_K": 0}, r"RECOMMENDER_K must be a whole number >= 1 .*got 0"),
        ({"RECOMMENDER_K": "5"}, r"RECOMMENDER_K must be a whole number >= 1 .*got '5'"),
        ({"RECOMMENDER_K": True}, r"RECOMMENDER_K must be a whole number >= 1 .*got True"),
    ],
)
def test_bad_settings_stop_pelican_before_reading_content(tmp_path, override, message):
    settings = _settings(_copy_site(tmp_path), **override)
    with pytest.MonkeyPatch.context() as patch, pytest.raises(ConfigError, match=message):
        patch.setattr(sys, "path", list(sys.path))
        pelican.Pelican(settings)


def test_the_pelican_command_fails_on_an_unknown_setting(tmp_path):
    site = _copy_site(tmp_path)
    with open(site / "pelicanconf.py", "a", encoding="utf-8") as conf:
        conf.write('RECOMMENDER = {"min_scor": 0.1}\n')
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT),
                                                                     os.environ.get("PYTHONPATH")])),
           "COLUMNS": "200"}
    done = subprocess.run([sys.executable, "-m", "pelican", "content", "-s", "pelicanconf.py",
                           "-o", "output"], cwd=site, env=env, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 1
    said = " ".join((done.stdout + done.stderr).split())
    assert "ConfigError" in said and "RECOMMENDER: unknown setting(s) min_scor" in said
    assert not (site / "output").exists()


# -- pieces -----------------------------------------------------------------------------------


def test_plugin_settings_defaults():
    index_settings, k = plugin.plugin_settings({})
    assert k == plugin.DEFAULT_K == 5
    assert index_settings == {}


def test_all_problems_are_reported_together():
    with pytest.raises(ConfigError) as caught:
        plugin.plugin_settings({"RECOMMENDER": {"min_scor": 0.1, "mmr_lambda": 3},
                                "RECOMMENDER_K": -1})
    lines = str(caught.value).splitlines()
    assert lines[0] == "invalid recommender settings in the Pelican configuration:"
    assert len(lines) == 4 and "RECOMMENDER_K" in lines[-1]


@pytest.mark.parametrize(
    ("code", "lang"),
    [("pt", "pt"), ("pt-BR", "pt"), ("pt_br", "pt"), ("en", "en"), ("en_US", "en"),
     ("EN-gb", "en"), ("es", None), ("", None), (None, None), ("portuguese", None)],
)
def test_languages_from_pelican_codes(code, lang):
    assert plugin._language(code) == lang


def test_without_pelican_the_import_error_says_what_to_install(monkeypatch):
    monkeypatch.delitem(sys.modules, plugin.__name__)
    for name in [n for n in sys.modules if n == "pelican" or n.startswith("pelican.")]:
        monkeypatch.setitem(sys.modules, name, None)  # None: "import halted", as if absent
    with pytest.raises(ImportError, match=r"needs Pelican 4\.9 or newer: "
                                          r"pip install 'recommender\[pelican\]'"):
        importlib.import_module(plugin.__name__)
