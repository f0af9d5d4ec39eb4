"""The golden related lists of the fixtures, and how to rewrite them.

Run ``python -m tests.golden`` after a deliberate change of relevance, then
review the diff of ``fixtures/golden-top5.json`` like any other change.
"""

from __future__ import annotations

import json

from recommender import RelatedIndex, load_articles

from .conftest import ARTICLES, FIXTURES

GOLDEN = FIXTURES / "golden-top5.json"


def current_lists() -> dict[str, list[list]]:
    """Top-5 ids and scores of every fixture article under the default settings."""
    index = RelatedIndex().fit(load_articles(ARTICLES))
    return {ident: [[r.id, r.score] for r in items]
            for ident, items in sorted(index.related_all(k=5).items())}


def main() -> None:
    GOLDEN.write_text(json.dumps(current_lists(), ensure_ascii=False, indent=1) + "\n",
                      encoding="utf-8")
    print(f"wrote {GOLDEN}")


if __name__ == "__main__":
    main()
