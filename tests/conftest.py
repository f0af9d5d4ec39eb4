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


def as_articles(records) -> list:
    """Articles of generated records (``benchmarks.synthetic``), leaving out the fields
    an Article does not take (``labels``)."""
    from recommender import Article

    return [Article(**{key: value for key, value in record.items()
                       if key in Article.__dataclass_fields__}) for record in records]


def write_jsonl(path: Path, records) -> Path:
    import json

    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records),
                    encoding="utf-8")
    return path


def write_manifest(folder: Path, manifest: dict) -> None:
    """Write ``manifest`` into an index folder, sealed with its own digest as a save
    seals it (digests are not signatures: anyone can do this)."""
    from recommender.indexfiles import manifest_bytes

    (folder / "manifest.json").write_bytes(manifest_bytes(manifest))


def vouch_for(folder: Path, name: str, data: bytes) -> None:
    """Replace a file of an index and make the manifest vouch for it, as an attacker could."""
    import json

    from recommender.indexfiles import file_entry

    (folder / name).write_bytes(data)
    manifest = json.loads((folder / "manifest.json").read_text("utf-8"))
    manifest["files"][name] = file_entry(data, manifest["chunk_bytes"])
    write_manifest(folder, manifest)


def write_catalog(folder: Path, records: list) -> None:
    """Replace the records of an index (``articles.jsonl`` and its offsets), vouched for."""
    import io
    import json

    import numpy as np

    lines = [json.dumps(r, ensure_ascii=False).encode() + b"\n" for r in records]
    offsets = np.cumsum([0] + [len(line) for line in lines], dtype=np.int64)
    buffer = io.BytesIO()
    np.save(buffer, offsets)
    vouch_for(folder, "articles.jsonl", b"".join(lines))
    vouch_for(folder, "articles.offsets.npy", buffer.getvalue())


def read_catalog(folder: Path) -> list:
    """The records of an index's ``articles.jsonl``."""
    import json

    return [json.loads(line) for line in (folder / "articles.jsonl").read_bytes().split(b"\n")
            if line]
