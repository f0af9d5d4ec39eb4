"""The exception tree: every error the library raises on purpose derives from
:class:`RecommenderError`, so a caller can catch one class."""

from __future__ import annotations

__all__ = [
    "RecommenderError",
    "CorpusError",
    "ConfigError",
    "ClusterError",
    "IndexFormatError",
    "NotFittedError",
    "UnknownArticleError",
]


class RecommenderError(Exception):
    """Root of every error raised by ``recommender``."""


class CorpusError(RecommenderError, ValueError):
    """Articles that cannot be used: unreadable, malformed or invalid records.

    Parameters
    ----------
    problems : list of str
        One line per problem, each ``path:line: field: message``.
    """

    def __init__(self, problems: list[str] | str):
        if isinstance(problems, str):
            problems = [problems]
        self.problems = list(problems)
        count = len(self.problems)
        if count == 1:
            message = self.problems[0]
        else:
            message = f"{count} problems found:\n" + "\n".join(self.problems)
        super().__init__(message)


class ConfigError(RecommenderError, ValueError):
    """A setting with an unknown name or a value outside what is allowed."""


class IndexFormatError(RecommenderError):
    """A saved index that is missing, damaged, or written by an unknown format version."""


class NotFittedError(RecommenderError):
    """The index was used before :meth:`RelatedIndex.fit` or :meth:`RelatedIndex.load`."""


class UnknownArticleError(RecommenderError, KeyError):
    """An article id that the index does not hold."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class ClusterError(RecommenderError):
    """A Dask cluster that cannot be reached, has no workers, or failed during a run."""
