"""recommender: related-articles lists for editorial sites, Portuguese first.

>>> from recommender import RelatedIndex, load_articles
>>> index = RelatedIndex().fit(load_articles("fixtures/articles.jsonl"))

The names below are imported when first used (PEP 562), so that ``import
recommender`` and the command line's lookups do not import scipy or scikit-learn.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._version import __version__

if TYPE_CHECKING:
    from .corpus import Article, CorpusWarning, iter_articles, load_articles
    from .errors import (
        ClusterError,
        ConfigError,
        CorpusError,
        IndexFormatError,
        NotFittedError,
        RecommenderError,
        UnknownArticleError,
    )
    from .index import RelatedIndex
    from .results import Related

#: Each public name and the module that defines it.
_LAZY = {
    "Article": "corpus",
    "CorpusWarning": "corpus",
    "iter_articles": "corpus",
    "load_articles": "corpus",
    "ClusterError": "errors",
    "ConfigError": "errors",
    "CorpusError": "errors",
    "IndexFormatError": "errors",
    "NotFittedError": "errors",
    "RecommenderError": "errors",
    "UnknownArticleError": "errors",
    "RelatedIndex": "index",
    "Related": "results",
}

__all__ = [
    "Article",
    "ClusterError",
    "ConfigError",
    "CorpusError",
    "CorpusWarning",
    "IndexFormatError",
    "NotFittedError",
    "RecommenderError",
    "Related",
    "RelatedIndex",
    "UnknownArticleError",
    "__version__",
    "iter_articles",
    "load_articles",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})
