"""html_to_text: tags, skipped elements, entities, word boundaries, malformed markup."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from recommender.markup import html_to_text
from recommender.text import tokenize


def words(html: str) -> list[str]:
    return tokenize(html_to_text(html))


@pytest.mark.parametrize(
    "text",
    ["Texto simples, sem marcação.", "x > y e y > z", "", "linha 1\nlinha 2\n\n"],
)
def test_text_without_markup_is_returned_unchanged(text):
    assert html_to_text(text) == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("P&amp;D", "P&D"),
        ("a&nbsp;b", "a b"),
        ("caf&eacute; &#233; &#xE9;", "café é é"),
        ("AT&T e P&D", "AT&T e P&D"),
    ],
)
def test_text_without_tags_only_has_its_entities_unescaped(text, expected):
    assert html_to_text(text) == expected


@pytest.mark.parametrize(
    "html",
    [
        "<p>antes</p><script>var segredo = 1;</script><p>depois</p>",
        "<p>antes</p><SCRIPT type='text/javascript'>segredo()</SCRIPT>depois",
        "antes<style>.segredo { color: red }</style>depois",
        "antes<noscript><p>segredo</p></noscript>depois",
        "antes<template><div>segredo</div></template>depois",
        "antes <!-- segredo --> depois",
        "antes<noscript><style>.segredo{}</style>segredo</noscript>depois",
    ],
)
def test_skipped_contents_are_dropped(html):
    assert words(html) == ["antes", "depois"]


def test_script_contents_with_tags_inside_are_dropped():
    html = "<p>antes</p><script>document.write('<p>segredo</p>')</script><p>depois</p>"
    assert words(html) == ["antes", "depois"]


def test_a_comment_inside_a_word_leaves_the_word_whole():
    # Comments are not elements: like a browser, nothing replaces them.
    assert words("pala<!-- nota -->vra") == ["palavra"]


def test_self_closed_script_does_not_swallow_the_text_after_it():
    assert words("antes<script src='x.js'/>depois") == ["antes", "depois"]


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ("<p>x &amp; y</p>", "x & y"),
        ("<p>1 &lt; 2</p>", "1 < 2"),
        ("<p>caf&eacute;</p>", "café"),
        ("<p>caf&#233;</p>", "café"),
        ("<p>&#x41;BC</p>", "ABC"),
        ("<p>a&nbsp;b</p>", "a b"),
    ],
)
def test_entities_are_unescaped(html, expected):
    assert html_to_text(html).strip() == expected


@pytest.mark.parametrize(
    "tag",
    [
        "p", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "tr", "td",
        "th", "section", "article", "figure", "figcaption", "header", "footer", "aside",
        "nav", "pre", "dd", "dt", "table", "ul", "ol", "my-widget",
    ],
)  # fmt: skip
def test_block_elements_separate_words(tag):
    assert words(f"<{tag}>alfa</{tag}><{tag}>beta</{tag}>") == ["alfa", "beta"]
    assert words(f"alfa<{tag}>beta") == ["alfa", "beta"]


@pytest.mark.parametrize("html", ["alfa<br>beta", "alfa<br/>beta", "alfa<hr>beta", "alfa<img>beta"])
def test_void_elements_separate_words(html):
    assert words(html) == ["alfa", "beta"]


@pytest.mark.parametrize("tag", ["b", "i", "em", "strong", "span", "a", "sup", "mark"])
def test_inline_elements_do_not_split_words(tag):
    assert words(f"pala<{tag}>vra</{tag}> inteira") == ["palavra", "inteira"]


def test_attributes_are_not_text():
    html = '<a href="https://example.org/segredo" title="segredo">ligação</a>'
    assert words(html) == ["ligacao"]


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ("<p>alfa <b>beta", ["alfa", "beta"]),  # unclosed tags
        ("<div><p>alfa</div> beta</p>", ["alfa", "beta"]),  # crossed tags
        ("se a < b então", ["se", "a", "b", "entao"]),  # stray < in prose
        ("<p>se a < b então</p>", ["se", "a", "b", "entao"]),
        ("x <3 y", ["x", "3", "y"]),
        ("alfa</p>beta", ["alfa", "beta"]),  # end tag with no start
        ("alfa <a href='beta", ["alfa", "a", "href", "beta"]),  # unterminated tag at the end
        ("<p>alfa</p><![foo beta", ["alfa", "foo", "beta"]),  # html.parser raises here
    ],
)
def test_malformed_markup_keeps_the_text(html, expected):
    assert words(html) == expected


def test_unclosed_comment_does_not_raise():
    assert "alfa" in words("alfa <!-- sem fim")


@given(st.text(alphabet=st.sampled_from(list("<>/!-[]?&;#=' \"abpsx\n"))))
def test_never_raises_on_markup_like_noise(html):
    assert isinstance(html_to_text(html), str)


@given(st.text())
def test_never_raises_on_any_text(text):
    assert isinstance(html_to_text(text), str)
