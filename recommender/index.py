"""RelatedIndex: learns a TF-IDF model of a corpus and answers related-article queries."""

from __future__ import annotations

import difflib
import os
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp

from .analysis import analyse_articles, analyse_text, make_analyzer
from .catalog import Entry
from .corpus import Article
from .errors import ConfigError, CorpusError, NotFittedError, UnknownArticleError
from .ranking import tiebreak_ranks, top_k
from .results import Related
from .settings import DEFAULTS, FIELDS, validate_settings
from .weighting import count_matrix, tfidf_rows, weighted_tf

__all__ = ["RelatedIndex"]

#: Scores computed at once in ``related_all``: rows per block times articles.
_BLOCK_CELLS = 1 << 22


def _identity(tokens):
    return tokens


class RelatedIndex:
    """A TF-IDF index of articles that lists the ones related to each.

    Settings are stored by the constructor and checked at once; :meth:`fit`
    learns the model. Text fields are weighted, tf-idf weighted and each row is
    L2-normalised, so a dot product of two rows is their cosine similarity.

    Parameters
    ----------
    field_weights : dict, optional
        Weight of each field's term frequencies: ``title``, ``blurb``, ``body``,
        ``tags``, ``author``. Partial dicts are merged over the defaults
        ``{"title": 2.0, "blurb": 1.0, "body": 1.0, "tags": 1.0, "author": 0.5}``.
        Tags and authors each count as one identifier token.
    stop_words : {"pt+en", "pt", "en", None} or iterable of str, default "pt+en"
        Words that are never indexed, compared after accent folding.
    stemmer : {None, "snowball"}, default None
        Snowball stemming by each article's language (needs ``PyStemmer``).
    numbers : {"years", "all", "none"}, default "years"
        Which number tokens are kept; "years" keeps years and words with digits.
    ngram_range : (1, 1) or (1, 2) or (2, 2), default (1, 1)
        Word n-grams indexed.
    sublinear_tf : bool, default True
        Use ``1 + log(tf)`` per field.
    min_df, max_df : int or float, default 1 and 1.0
        Terms in fewer / more articles than this (count, or proportion when a
        float) are dropped, as in scikit-learn's ``CountVectorizer``.
    max_features : int, optional
        Keep only this many most frequent terms.
    min_score : float, default 0.0
        Results must score at least this much (a relevance floor). A zero score
        is never listed.
    n_jobs : int, optional
        Processes for text analysis (-1 for all cores). Results do not depend on it.

    Attributes
    ----------
    ids_ : list of str
        Article ids in corpus order.
    vocabulary_ : list of str
        Indexed terms, in column order.
    idf_ : ndarray of shape (n_terms,)
    matrix_ : scipy.sparse.csr_matrix of shape (n_articles, n_terms), float32
        L2-normalised tf-idf rows.

    Examples
    --------
    >>> from recommender import RelatedIndex, load_articles
    >>> index = RelatedIndex().fit(load_articles("fixtures/articles.jsonl"))
    >>> [r.id for r in index.related("vladimir-putin-in-north-korea", k=3)]  # doctest: +SKIP
    """

    def __init__(
        self,
        *,
        field_weights: dict[str, float] | None = None,
        stop_words: Any = DEFAULTS["stop_words"],
        stemmer: str | None = DEFAULTS["stemmer"],
        numbers: str = DEFAULTS["numbers"],
        ngram_range: tuple[int, int] = DEFAULTS["ngram_range"],
        sublinear_tf: bool = DEFAULTS["sublinear_tf"],
        min_df: int | float = DEFAULTS["min_df"],
        max_df: int | float = DEFAULTS["max_df"],
        max_features: int | None = DEFAULTS["max_features"],
        min_score: float = DEFAULTS["min_score"],
        n_jobs: int | None = DEFAULTS["n_jobs"],
    ):
        given = {name: value for name, value in locals().items() if name in DEFAULTS}
        self._settings = validate_settings(given)
        self._analyzer = make_analyzer(self._settings)
        self._fitted = False

    # -- settings ----------------------------------------------------------------------------

    @classmethod
    def from_settings(cls, settings: dict[str, Any]) -> RelatedIndex:
        """An unfitted index from a settings mapping; unknown names raise ConfigError."""
        validate_settings(settings)
        return cls(**settings)

    def get_settings(self) -> dict[str, Any]:
        """All settings, complete and normalised (a copy)."""
        return {k: dict(v) if isinstance(v, dict) else v for k, v in self._settings.items()}

    # -- learning ----------------------------------------------------------------------------

    def fit(self, articles: Sequence[Article], *,
            progress: Callable[[int], None] | None = None) -> RelatedIndex:
        """Learn the model of ``articles``.

        Parameters
        ----------
        articles : sequence of Article
            Ids must be unique.
        progress : callable, optional
            Called with a count of articles each time a chunk has been analysed.

        Returns
        -------
        self

        Raises
        ------
        CorpusError
            When ``articles`` is empty, holds something other than Articles,
            or repeats an id.
        """
        articles = list(articles)
        _check_corpus(articles)
        analysed = analyse_articles(articles, self._analyzer, n_jobs=self._settings["n_jobs"],
                                    progress=progress)
        weights = self._settings["field_weights"]
        used = [name for name in FIELDS if weights[name] > 0]
        vocabulary, idf = self._learn_vocabulary([[t for n in used for t in f[n]]
                                                  for _, f in analysed])
        counts = {name: count_matrix([f[name] for _, f in analysed], vocabulary) for name in used}
        tf = weighted_tf(counts, weights, sublinear=self._settings["sublinear_tf"])
        self._set_state(
            entries=[Entry.from_article(a, lang) for a, (lang, _) in zip(articles, analysed)],
            vocabulary=sorted(vocabulary, key=vocabulary.__getitem__),
            idf=idf,
            matrix=tfidf_rows(tf, idf),
        )
        return self

    def _learn_vocabulary(self, token_lists: list[list[str]]) -> tuple[dict[str, int], np.ndarray]:
        from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer

        s = self._settings
        vectorizer = CountVectorizer(analyzer=_identity, min_df=s["min_df"], max_df=s["max_df"],
                                     max_features=s["max_features"], dtype=np.float64)
        if not any(token_lists):
            return {}, np.zeros(0)
        try:
            presence = vectorizer.fit_transform(token_lists)
        except ValueError as exc:  # scikit-learn's words for "the df limits removed every term"
            raise ConfigError(f"min_df={s['min_df']!r} and max_df={s['max_df']!r} leave no "
                              f"terms in this corpus of {len(token_lists)} articles ({exc})") from None
        vocabulary = {term: int(col) for term, col in vectorizer.vocabulary_.items()}
        idf = TfidfTransformer(smooth_idf=True).fit(presence).idf_
        return vocabulary, np.asarray(idf, dtype=np.float64)

    def _set_state(self, *, entries: list[Entry], vocabulary: list[str], idf: np.ndarray,
                   matrix: sp.csr_matrix) -> None:
        """Install learned state (from fit or from a saved index)."""
        self.entries_ = entries
        self.ids_ = [e.id for e in entries]
        self.vocabulary_ = vocabulary
        self.idf_ = idf
        self.matrix_ = matrix
        self._position = {ident: i for i, ident in enumerate(self.ids_)}
        self._term_column = {term: i for i, term in enumerate(vocabulary)}
        self._ranks = tiebreak_ranks(self.ids_, [e.date for e in entries])
        self._transposed = None
        self._fitted = True

    # -- queries -----------------------------------------------------------------------------

    def related(self, article_id: str, k: int = 10) -> list[Related]:
        """Articles related to an indexed article, best first.

        The article itself is never listed, even when another article is an
        exact copy of it. Order: score descending, then date descending (undated
        last), then id ascending.

        Parameters
        ----------
        article_id : str
        k : int, default 10
            At most this many results; fewer when fewer articles share any term
            or score above ``min_score``.

        Returns
        -------
        list of Related

        Raises
        ------
        UnknownArticleError
            When the id is not in the index.
        """
        self._check_fitted()
        row = self._row_of(article_id)
        _check_k(k)
        return self._rank(self._scores(self.matrix_[row])[0], k, exclude=row)

    def similar(self, text: str, k: int = 10, *, lang: str | None = None) -> list[Related]:
        """Articles most similar to free text (plain or HTML), best first.

        Parameters
        ----------
        text : str
            Portuguese or English; the language is detected when ``lang`` is None.
        k : int, default 10
        lang : {"pt", "en"}, optional

        Returns
        -------
        list of Related
        """
        self._check_fitted()
        _check_k(k)
        if not isinstance(text, str):
            raise TypeError(f"text must be a string, got {type(text).__name__}")
        if lang not in (None, "pt", "en"):
            raise ConfigError(f"lang must be 'pt', 'en' or None, got {lang!r}")
        tokens = analyse_text(text, self._analyzer, lang)
        counts = count_matrix([tokens], self._term_column)
        query = tfidf_rows(weighted_tf({"body": counts}, {"body": 1.0},
                                       sublinear=self._settings["sublinear_tf"]), self.idf_)
        return self._rank(self._scores(query)[0], k)

    def related_all(self, k: int = 10) -> dict[str, list[Related]]:
        """The related list of every article, as :meth:`related` gives it.

        Scores are computed a block of rows at a time, so memory stays bounded
        (about 16 MB of scores at once) whatever the corpus size.

        Returns
        -------
        dict
            Article id to its list, in corpus order.
        """
        return dict(self.iter_related(k))

    def iter_related(self, k: int = 10) -> Iterator[tuple[str, list[Related]]]:
        """Yield ``(id, related list)`` for every article in corpus order, block by block."""
        self._check_fitted()
        _check_k(k)
        n = len(self.ids_)
        block = max(1, _BLOCK_CELLS // max(n, 1))
        for start in range(0, n, block):
            scores = self._scores(self.matrix_[start:start + block])
            for offset in range(scores.shape[0]):
                row = start + offset
                yield self.ids_[row], self._rank(scores[offset], k, exclude=row)

    # -- internals ---------------------------------------------------------------------------

    def _scores(self, rows: sp.csr_matrix) -> np.ndarray:
        """Dense cosine scores of ``rows`` against every article (float32)."""
        if self._transposed is None:
            self._transposed = sp.csr_matrix(self.matrix_.T)
        return (rows @ self._transposed).toarray()

    def _rank(self, scores: np.ndarray, k: int, exclude: int | None = None) -> list[Related]:
        rows, values = top_k(scores, k, self._ranks, exclude=exclude,
                             min_score=self._settings["min_score"])
        return [self.entries_[i].related(float(v)) for i, v in zip(rows.tolist(), values)]

    def _row_of(self, article_id: str) -> int:
        try:
            return self._position[article_id]
        except (KeyError, TypeError):
            close = difflib.get_close_matches(str(article_id), self.ids_, n=3)
            hint = f"; did you mean {', '.join(map(repr, close))}?" if close else ""
            raise UnknownArticleError(f"unknown article id {article_id!r}{hint}") from None

    def _check_fitted(self) -> None:
        if not self._fitted:
            raise NotFittedError("this RelatedIndex is not fitted yet: call fit(articles) "
                                 "or RelatedIndex.load(directory) first")

    def __len__(self) -> int:
        return len(self.ids_) if self._fitted else 0

    def __contains__(self, article_id: object) -> bool:
        return self._fitted and article_id in self._position

    def __repr__(self) -> str:
        state = f"{len(self)} articles, {len(self.vocabulary_)} terms" if self._fitted else "unfitted"
        return f"<RelatedIndex {state}>"

    # -- persistence -------------------------------------------------------------------------

    def save(self, directory: str | os.PathLike[str]) -> None:
        """Write the fitted index to ``directory`` (JSON and .npy files, no pickle).

        The index is written into a temporary directory beside it and swapped in
        by renaming, so a failure leaves any previous index there intact.
        """
        from .storage import save_index

        self._check_fitted()
        save_index(self, directory)

    @classmethod
    def load(cls, directory: str | os.PathLike[str]) -> RelatedIndex:
        """Read an index written by :meth:`save`, verifying its format and checksums.

        Raises
        ------
        IndexFormatError
            When a file is missing, damaged or of an unknown format version.
        """
        from .storage import load_index

        return load_index(cls, directory)


def _check_k(k: Any) -> None:
    if not isinstance(k, int) or isinstance(k, bool) or k < 1:
        raise ConfigError(f"k must be a positive whole number, got {k!r}")


def _check_corpus(articles: list[Any]) -> None:
    if not articles:
        raise CorpusError("cannot fit an index on an empty corpus: no articles were given")
    problems: list[str] = []
    seen: dict[str, int] = {}
    for position, article in enumerate(articles):
        if not isinstance(article, Article):
            problems.append(f"item {position}: expected an Article, got {type(article).__name__}")
        elif article.id in seen:
            problems.append(f"item {position}: id: duplicate id {article.id!r} "
                            f"(first used by item {seen[article.id]})")
        else:
            seen[article.id] = position
    if problems:
        raise CorpusError(problems)
