"""Fuzzing the readers and the index loader (hypothesis, bounded).

Every loader is fed random bytes, random JSON and mutations of the bundled
fixtures; whatever comes in, the only exceptions allowed out are the library's own
(:class:`RecommenderError` and its subclasses). ``RelatedIndex.load`` is fed saved
index folders with random damage, the manifest rewritten to vouch for it: it must
raise :class:`IndexFormatError` or give an index that answers queries.

Each loader test runs ``FUZZ_EXAMPLES`` examples; raise it locally to fuzz longer,
e.g. ``RECOMMENDER_FUZZ_EXAMPLES=5000 python -m pytest tests/test_fuzz.py``.
"""

from __future__ import annotations

import json
import os
import shutil
import warnings
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from recommender import IndexFormatError, RecommenderError, RelatedIndex, load_articles

from .conftest import ARTICLES, FIXTURES, vouch_for

FUZZ_EXAMPLES = int(os.environ.get("RECOMMENDER_FUZZ_EXAMPLES", "200"))
# In CI the examples come from a fixed seed, so that a run is repeatable; elsewhere each
# run explores new ones.
FUZZ = settings(max_examples=FUZZ_EXAMPLES, deadline=None, database=None,
                derandomize=bool(os.environ.get("CI")), suppress_health_check=list(HealthCheck))

FORMATS = FIXTURES / "formats"
HOSTILE = FIXTURES / "hostile"
SEEDS = {
    "jsonl": [ARTICLES.read_bytes()[:6000], (HOSTILE / "messy.jsonl").read_bytes()],
    "csv": [(FORMATS / "articles.csv").read_bytes(), (HOSTILE / "messy.csv").read_bytes()],
    "wxr": [(FORMATS / "wordpress-export.xml").read_bytes(), (HOSTILE / "messy.xml").read_bytes()],
    "markdown": [p.read_bytes() for p in sorted((FORMATS / "hugo-site").rglob("*.md"))
                 + sorted((FORMATS / "jekyll-site").rglob("*.md"))],
}
SUFFIX = {"jsonl": ".jsonl", "csv": ".csv", "wxr": ".xml", "markdown": ".md"}

# Byte strings that mean something to one of the parsers.
TOKENS = [b"\x00", b"\xff", b"\xef\xbb\xbf", b"\r", b"\n", b"\r\n", b'"', b"'", b",", b";",
          b"|", b"{", b"}", b"[", b"]", b":", b"\\", b"\\u", b"\\ud800", b"<", b">", b"&",
          b"&amp;", b"&#0;", b"]]>", b"<![CDATA[", b"<!--", b"<!DOCTYPE x [<!ENTITY a 'b'>]>",
          b"---\n", b"+++\n", b"...\n", b"&a ", b"*a", b"!!python/object ", b"\x1b[31m",
          b"9" * 400, b"[" * 300, b"1e999", b"NaN", b"null", b"true", b"2024-13-45",
          b"0000-00-00 00:00:00", "ação".encode(), "\u2028".encode()]


@st.composite
def mutated(draw, seeds: list[bytes]) -> bytes:
    data = bytearray(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(1, 6))):
        if not data:
            data.extend(draw(st.sampled_from(TOKENS)))
            continue
        at = draw(st.integers(0, len(data) - 1))
        how = draw(st.sampled_from(("flip", "delete", "insert", "repeat", "truncate")))
        if how == "flip":
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif how == "delete":
            del data[at:at + draw(st.integers(1, 64))]
        elif how == "insert":
            data[at:at] = draw(st.sampled_from(TOKENS) | st.binary(min_size=1, max_size=16))
        elif how == "repeat":
            data[at:at] = data[at:at + draw(st.integers(1, 200))] * draw(st.integers(1, 3))
        else:
            del data[at:]
    return bytes(data)


_scalars = (st.none() | st.booleans() | st.integers() | st.floats()
            | st.text(max_size=20) | st.sampled_from(["", " ", "2024-07-21", "pt", "en", "x"]))
_keys = st.sampled_from(["id", "title", "body", "url", "author", "date", "blurb", "tags",
                         "lang", "translation_of", "related", "labels"]) | st.text(max_size=6)
json_values = st.recursive(_scalars, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(_keys, inner, max_size=6), max_leaves=24)


def _json_lines(values: list) -> bytes:
    return "".join(json.dumps(v, ensure_ascii=False) + "\n" for v in values).encode(
        "utf-8", "surrogatepass")


def _front_matter(value, kind: str) -> bytes:
    if kind == "json":
        return (json.dumps(value) + "\ncorpo do texto\n").encode("utf-8", "surrogatepass")
    yaml = pytest.importorskip("yaml")
    return ("---\n" + yaml.safe_dump(value, allow_unicode=True) + "---\ncorpo\n").encode(
        "utf-8", "surrogatepass")


def inputs(fmt: str) -> st.SearchStrategy[bytes]:
    strategy = st.binary(max_size=2000) | mutated(SEEDS[fmt])
    if fmt == "jsonl":
        strategy |= st.lists(json_values, max_size=5).map(_json_lines)
    elif fmt == "markdown":
        strategy |= st.builds(_front_matter, json_values, st.sampled_from(["yaml", "json"]))
    elif fmt == "csv":
        cells = st.lists(st.text(max_size=12), min_size=1, max_size=6)
        strategy |= st.lists(cells, min_size=1, max_size=5).map(
            lambda rows: "\n".join(",".join(r) for r in [["id", "title", "date"], *rows]).encode(
                "utf-8", "surrogatepass"))
    return strategy


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


def _load(workdir: Path, fmt: str, data: bytes) -> None:
    if fmt == "markdown":
        folder = workdir / "site"
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir()
        (folder / "artigo.md").write_bytes(data)
        target = folder
    else:
        target = workdir / f"input{SUFFIX[fmt]}"
        target.write_bytes(data)
    try:
        articles = load_articles(target, format=fmt)
    except RecommenderError:
        return
    for article in articles:  # what a loader accepts is clean enough to index
        assert isinstance(article.id, str) and article.id.strip()
    RelatedIndex().fit(articles)


@pytest.mark.filterwarnings("ignore:invalid value encountered in divide:RuntimeWarning")
@pytest.mark.parametrize("fmt", sorted(SEEDS))
def test_loaders_raise_only_library_errors(workdir, fmt):
    if fmt == "markdown":
        pytest.importorskip("yaml")

    @FUZZ
    @given(inputs(fmt))
    def fuzz(data: bytes) -> None:
        _load(workdir, fmt, data)

    fuzz()


# -- the index loader -------------------------------------------------------------------------

@pytest.fixture(scope="module")
def saved(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("fuzz-index") / "index"
    RelatedIndex().fit(load_articles(ARTICLES)[:12]).save(folder)
    return folder


_rewrite_manifest = vouch_for


@st.composite
def damage(draw, names: list[str]) -> tuple[str, list[tuple[str, int, int]]]:
    name = draw(st.sampled_from(names))
    edits = draw(st.lists(st.tuples(st.sampled_from(("flip", "set", "cut", "insert")),
                                    st.integers(0, 2**31), st.integers(0, 255)),
                          min_size=1, max_size=4))
    return name, edits


def _apply(data: bytes, edits) -> bytes:
    out = bytearray(data)
    for how, where, value in edits:
        if not out:
            break
        at = where % len(out)
        if how == "flip":
            out[at] ^= 1 << (value % 8)
        elif how == "set":
            out[at] = value
        elif how == "cut":
            del out[at:]
        else:
            out[at:at] = bytes([value])
    return bytes(out)


def test_damaged_indexes_raise_only_index_format_errors(saved):
    names = sorted(p.name for p in saved.iterdir())
    original = {name: (saved / name).read_bytes() for name in names}
    header_heavy = [n for n in names if n.endswith(".npy")]

    @FUZZ
    @given(damage(names) | damage(header_heavy).map(
        lambda d: (d[0], [(how, where % 128, value) for how, where, value in d[1]])))
    def fuzz(case) -> None:
        name, edits = case
        try:
            data = _apply(original[name], edits)
            (saved / name).write_bytes(data)
            if name != "manifest.json":
                _rewrite_manifest(saved, name, data)
            try:
                index = RelatedIndex.load(saved)
            except IndexFormatError:
                return
            # Accepted: the damage was in values the index can carry, so it must answer,
            # with scores in [0, 1]. (Float warnings from absurd values are not the point.)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                answers = [index.related(index.ids_[0], k=5, explain=True),
                           index.similar("terra e política", k=3),
                           *index.related_all(k=3).values()]
            for items in answers:
                assert all(0.0 <= item.score <= 1.0 for item in items), items
        finally:
            for restored, content in original.items():
                (saved / restored).write_bytes(content)

    fuzz()


@pytest.fixture(scope="module")
def kept(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("fuzz-kept") / "index"
    RelatedIndex().fit(load_articles(ARTICLES)[:12]).precompute(5).save(folder)
    return folder


def test_damaged_indexes_give_lookups_only_index_format_errors(kept):
    """The lookup path reads parts of files: damage there, vouched for or not, must be
    an IndexFormatError (or an unknown id) or an answer with scores in [0, 1]."""
    from recommender.lookup import related

    names = sorted(p.name for p in kept.iterdir())
    original = {name: (kept / name).read_bytes() for name in names}
    ids = [r["id"] for r in map(json.loads, original["articles.jsonl"].splitlines())]

    @FUZZ
    @given(damage(names), st.sampled_from(ids), st.booleans(), st.sampled_from((1, 3, 5)))
    def fuzz(case, ident, vouch, k) -> None:
        name, edits = case
        try:
            data = _apply(original[name], edits)
            (kept / name).write_bytes(data)
            if vouch and name != "manifest.json":
                _rewrite_manifest(kept, name, data)
            try:
                items, also = related(kept, ident, k)
            except RecommenderError:
                return
            assert all(0.0 <= item.score <= 1.0 for item in [*items, *also]), items
        finally:
            for restored, content in original.items():
                (kept / restored).write_bytes(content)

    fuzz()
