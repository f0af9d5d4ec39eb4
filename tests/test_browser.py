"""The exported sidebar in a real browser: classic XSS payloads in every field must not
run, and must show as text. Needs Debian's ``chromium`` (installed by ``.ci/run``); the
module skips without it, except in CI, where it fails."""

import html
import os
import re
import shutil
import subprocess

import pytest

from recommender import Article, RelatedIndex
from recommender.export import export_html, fragment_filename

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
if CHROMIUM is None:
    if os.environ.get("CI"):
        pytest.fail("chromium is not installed: .ci/run must install Debian's chromium",
                    pytrace=False)
    pytest.skip("chromium is not installed (apt-get install chromium)", allow_module_level=True)

# Each payload, if it ever ran, would set the page title to PWNED.
RUN = "document.title='PWNED'"
PAYLOADS = [
    f"<script>{RUN}</script>",
    f'<img src=x onerror="{RUN}">',
    f"\"><svg onload={RUN}>",
    f"'><iframe srcdoc=\"<script>parent.{RUN}</script>\">",
    f"<a href=javascript:{RUN}>x</a>",
    f"</li></ul><script>{RUN}</script>",
    f"<style>@import 'javascript:{RUN}'</style>",
    f"<body onload={RUN}>",
]
URLS = [f"javascript:{RUN}", f"JaVaScRiPt:{RUN}", f"java\tscript:{RUN}",
        f"data:text/html,<script>{RUN}</script>", f"\" onmouseover=\"{RUN}",
        f"vbscript:{RUN}", f"//evil.example/x\" onfocus=\"{RUN}\" autofocus=\""]


def hostile_articles():
    query = Article(id="query", title="Reforma agrária e terra", lang="pt",
                    body="reforma agrária terra latifúndio camponeses assentamento")
    hostile = [
        Article(id=f"h{i}", title=f"Terra {payload}", author=payload, blurb=payload,
                url=URLS[i % len(URLS)], date="2024-07-21", lang="pt",
                body=f"reforma agrária terra latifúndio camponeses {i} {payload}")
        for i, payload in enumerate(PAYLOADS)
    ]
    return [query, *hostile]


def render_in_browser(page, tmp_path):
    profile = tmp_path / "profile"
    result = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
         "--no-first-run", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", f"--user-data-dir={profile}", "--virtual-time-budget=3000",
         "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def test_no_payload_runs_and_every_payload_shows_as_text(tmp_path):
    index = RelatedIndex(max_per_author=None, duplicate_threshold=None).fit(hostile_articles())
    export_html(index, tmp_path / "out", k=len(PAYLOADS))
    fragment = (tmp_path / "out" / fragment_filename("query")).read_text("utf-8")
    page = tmp_path / "page.html"
    page.write_text("<!doctype html><html><head><meta charset=utf-8><title>clean</title></head>"
                    f"<body>{fragment}</body></html>", encoding="utf-8")
    dom = render_in_browser(page, tmp_path)
    assert "<title>clean</title>" in dom, "a payload ran and changed the title"
    assert not re.search(r"<(script|iframe|svg|img|style)\b", dom.split("<body>", 1)[1])
    assert not re.search(r'href="\s*(javascript|vbscript|data):', dom, flags=re.I)
    text = html.unescape(re.sub(r"<[^>]+>", "", dom.split("<body>", 1)[1]))
    for payload in PAYLOADS:
        assert payload in text, f"not shown as text: {payload}"
    assert dom.count('class="related-title"') == len(PAYLOADS)
