"""recommender: related-articles lists for editorial sites, Portuguese first.

>>> from recommender import RelatedIndex, load_articles
>>> index = RelatedIndex().fit(load_articles("fixtures/articles.jsonl"))
"""

from ._version import __version__
from .corpus import Article, CorpusWarning, load_articles
from .errors import (
    ConfigError,
    CorpusError,
    IndexFormatError,
    NotFittedError,
    RecommenderError,
    UnknownArticleError,
)
from .index import RelatedIndex
from .results import Related

__all__ = [
    "Article",
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
    "load_articles",
]
