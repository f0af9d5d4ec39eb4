"""Shared fixtures: paths to the bundled data, and a fitted index of it."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
ARTICLES = FIXTURES / "articles.jsonl"
INVALID = FIXTURES / "invalid"


@pytest.fixture(scope="session")
def fixture_articles():
    from recommender import load_articles

    return load_articles(ARTICLES)


@pytest.fixture(scope="session")
def fixture_index(fixture_articles):
    from recommender import RelatedIndex

    return RelatedIndex().fit(fixture_articles)


def write_jsonl(path: Path, records) -> Path:
    import json

    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records),
                    encoding="utf-8")
    return path
