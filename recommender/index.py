"""RelatedIndex: learns a TF-IDF model of a corpus and answers related-article queries."""

from __future__ import annotations

import difflib
import numbers
import os
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import closing
from typing import Any

import numpy as np
import scipy.sparse as sp

from .analysis import make_analyzer, prepared_text
from .bylines import Bylines, author_agreement, joined
from .candidates import block_candidates, latent_estimate, prune_rows
from .catalog import Entry
from .clusters import CLUSTERED_FROM, LatentClusters
from .coarse import COARSE_FROM_BYTES, COARSE_MIN_TERMS, CoarseLatent
from .corpus import Article, CorpusCheck
from .counting import Counted, count_articles
from .errors import ConfigError, NotFittedError, UnknownArticleError
from .explain import EXPLAINED_FIELDS, Explanation, explain_pair
from .groups import author_groups, translation_groups
from .heap import release_free_memory
from .latent import blend, leading_components, n_latent_components, unit_rows
from .occurrences import document_frequencies, field_tfidf_rows, narrow_columns, smoothed_idf
from .packing import pack_lists, unpack_lists
from .parallel import dispatch, in_process, parallel_map, task_groups, thread_map
from .products import sparse_times_dense
from .query_columns import ChunkColumns
from .ranking import tiebreak_ranks, timestamps_in_days
from .results import SCORE_DECIMALS, Related
from .selection import Diversity, select
from .settings import DEFAULTS, FIELDS, check_list_length, validate_settings
from .sparse_rows import PoolCosines, Rows, row_of, take_rows
from .term_codes import TermCodes, term_codes
from .text import fold
from .weighting import count_matrix, tfidf_row, tfidf_row_of_columns, weighted_tf

__all__ = ["RelatedIndex"]

#: Scores computed at once in ``related_all``: rows per block times articles.
_BLOCK_CELLS = 1 << 22
#: Fewest rows per block: with fewer, the latent product reads every article's vector
#: for too few queries. At a million articles, on one core, 16 rows a block cost about
#: twice the time per query of 64 (4 rows: three times more again); 64 rows of scores
#: take 256 MB there.
_MIN_BLOCK_ROWS = 64
#: Most candidates of a pair table (see :meth:`RelatedIndex._paired_lists`): 2**21 slots
#: of 24 bytes, 48 MB, hold every candidate of 10,000 articles at 200 each. A corpus
#: with more candidates than that computes its lists block by block: in a table of a
#: tenth of 100,000 articles the pairs that are each other's candidates are too few to
#: pay for its memory (lists 8% faster, 109 MB more at the peak).
_TABLE_SLOTS = 1 << 21


class RelatedIndex:
    """A TF-IDF index of articles that lists the ones related to each.

    Settings are stored by the constructor and checked at once (every problem
    reported together); :meth:`fit` learns the model. Fields are weighted,
    tf-idf weighted and each row L2-normalised, so a dot product of two rows is
    their cosine similarity.

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
    body_tf : {"log", "bm25"}, default "log"
        How the body's term counts become term frequencies. "log" treats the
        body like the other fields (see ``sublinear_tf``); "bm25" uses BM25's
        saturating ``tf·(k1 + 1) / (tf + k1)`` with k1 = 1.2 and no length term
        (rows are L2-normalised anyway), so a word repeated throughout a long
        essay counts at most 2.2 times one mention. Free-text queries
        (:meth:`similar`) are weighted as a body, so the same way.
    min_df, max_df : int or float, default 1 and 1.0
        Terms in fewer / more articles than this (count, or proportion when a
        float) are dropped, as in scikit-learn's ``CountVectorizer``.
    max_features : int, optional
        Keep only this many most frequent terms.
    latent_components : int or sequence of int, default (25, 100)
        Dimensions of latent topic spaces (truncated SVD, as in LSA) of the
        tf-idf matrix, one per entry; their cosines are averaged, so that a
        coarse and a finer view of the topics both count. A space needs ten
        articles per dimension and is left out (or shrunk) on a smaller corpus.
        0 or () turns it off.
    latent_weight : float, default 0.5
        The score is ``(1 - w) * tf-idf cosine + w * latent cosine``, clipped
        to [0, 1]. Chosen by measurement on labelled corpora (see the README).
    min_score : float, default 0.0
        Relevance floor: results must score at least this much; a zero score is
        never listed. Lists come out shorter rather than padded with junk.
    max_per_author : int or None, default 3
        At most this many articles by the same author(s) in one list.
    author_bonus : float, default 0.2
        An article by the query's author(s) scores this much more, times how
        alike that author's pieces are: 0 for pieces no more alike than any two
        articles, 1 for pieces at least twice as alike (see
        :mod:`recommender.bylines`). A byline that says what a piece is about
        counts; one that does not, does not. 0 turns it off.
    mmr_lambda : float, default 1.0
        Below 1, maximal marginal relevance picks a more varied list.
    duplicate_threshold : float or None, default 0.9
        Articles at least this similar to the query, or to an article already
        listed, are near-duplicates and never listed. None turns it off.
    detect_translations : bool, default True
        Besides ``translation_of`` links, treat articles in different languages
        with the same authors, date and url slug as translations.
        Translations are never listed as related; see :meth:`translations`.
    half_life_days : float or None, default None
        Soft time decay: a candidate older than the query by this many days has
        its score halved.
    max_age_days : float or None, default None
        Date window: skip candidates older than the query by more than this.
    only_older : bool, default False
        List only articles published before the query article (stable lists).
    exclude_ids, exclude_tags : sequence of str, default ()
        Articles never listed, by id or by tag (tags compared accent-folded).
    candidate_terms : int, default 50
        Queries look for candidates through this many of their heaviest terms
        (the rest of their terms still count in the exact score of a candidate).
    candidates : int, default 200
        Articles scored exactly per query (at least ``4 * k + 50``); the others
        cannot be listed. ``exact=True`` on a query, or on :meth:`precompute`,
        scores every article instead. The benchmarks measure how often the two
        differ (recall@10 against exact).
    n_jobs : int, optional
        Processes for text analysis and for :meth:`precompute` / :meth:`related_all`
        (-1 for all cores; None, the default, is this process only). Results do not
        depend on it, to the byte. The latent decomposition uses threads on every
        core whatever it is, as BLAS does (``OMP_NUM_THREADS`` caps them).
    backend : {"loky", "dask"}, default "loky"
        Where that work runs: local processes (through joblib), or the workers of a
        Dask cluster (needs ``pip install 'recommender[dask]'``).
        With "dask", ``n_jobs`` must be -1 or None: every worker of the cluster
        takes part. Results are the same, to the byte, when the workers run the same
        versions of the libraries.
    scheduler : str, optional
        With ``backend="dask"``, the scheduler's address, such as
        ``"tcp://10.0.0.5:8786"``; None uses the ``distributed.Client`` already
        running in this process. ``backend`` and ``scheduler`` say where a build
        runs, not what the index is: :meth:`save` does not keep them.

    Attributes
    ----------
    ids_ : list of str
        Article ids in corpus order.
    vocabulary_ : list of str
        Indexed terms, in column order.
    idf_ : ndarray of shape (n_terms,)
    matrix_ : scipy.sparse.csr_matrix of shape (n_articles, n_terms), float32
        L2-normalised tf-idf rows.
    author_agreement_ : dict
        Each author (accent-folded names, sorted) whose pieces are more alike
        than any two articles, to that agreement in (0, 1]; see ``author_bonus``.

    Examples
    --------
    >>> from recommender import RelatedIndex, load_articles
    >>> index = RelatedIndex().fit(load_articles("fixtures/articles.jsonl"))
    >>> items = index.related("vladimir-putin-in-north-korea", k=3)
    >>> len(items), items[0].score >= items[-1].score
    (3, True)
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
        body_tf: str = DEFAULTS["body_tf"],
        min_df: int | float = DEFAULTS["min_df"],
        max_df: int | float = DEFAULTS["max_df"],
        max_features: int | None = DEFAULTS["max_features"],
        latent_components: int | Sequence[int] = DEFAULTS["latent_components"],
        latent_weight: float = DEFAULTS["latent_weight"],
        min_score: float = DEFAULTS["min_score"],
        max_per_author: int | None = DEFAULTS["max_per_author"],
        author_bonus: float = DEFAULTS["author_bonus"],
        mmr_lambda: float = DEFAULTS["mmr_lambda"],
        duplicate_threshold: float | None = DEFAULTS["duplicate_threshold"],
        detect_translations: bool = DEFAULTS["detect_translations"],
        half_life_days: float | None = DEFAULTS["half_life_days"],
        max_age_days: float | None = DEFAULTS["max_age_days"],
        only_older: bool = DEFAULTS["only_older"],
        exclude_ids: Sequence[str] = DEFAULTS["exclude_ids"],
        exclude_tags: Sequence[str] = DEFAULTS["exclude_tags"],
        candidate_terms: int = DEFAULTS["candidate_terms"],
        candidates: int = DEFAULTS["candidates"],
        n_jobs: int | None = DEFAULTS["n_jobs"],
        backend: str = DEFAULTS["backend"],
        scheduler: str | None = DEFAULTS["scheduler"],
    ):
        given = {name: value for name, value in locals().items() if name in DEFAULTS}
        self._settings = validate_settings(given)
        self._analyzer = make_analyzer(self._settings)
        self._fitted = False

    # -- settings ----------------------------------------------------------------------------

    @classmethod
    def from_settings(cls, settings: dict[str, Any]) -> RelatedIndex:
        """An unfitted index from a settings mapping; unknown names raise ConfigError."""
        return cls(**validate_settings(settings))

    def get_settings(self) -> dict[str, Any]:
        """All settings, complete and normalised (a copy)."""
        return {k: dict(v) if isinstance(v, dict) else v for k, v in self._settings.items()}

    # -- learning ----------------------------------------------------------------------------

    def fit(self, articles: Iterable[Article], *,
            progress: Callable[[int], None] | None = None) -> RelatedIndex:
        """Learn the model of ``articles``.

        Parameters
        ----------
        articles : iterable of Article
            A list, or a stream such as :func:`~recommender.iter_articles` gives: it
            is read a chunk at a time and no article's body is kept, so memory
            follows the size of the index, not of the text. Ids must be unique;
            pins (``related``) must name articles of the corpus. A
            ``translation_of`` naming an article outside the corpus is ignored
            (the original may not be published here).
        progress : callable, optional
            Called with a count of articles each time a chunk has been analysed.

        Returns
        -------
        self

        Raises
        ------
        CorpusError
            Empty corpus, non-Articles, repeated ids, or links to unknown ids —
            every problem listed; or the error the stream of articles raised.
            The index is left as it was.
        """
        check = CorpusCheck()
        used = [name for name in FIELDS if self._settings["field_weights"][name] > 0]
        counted = count_articles(check.admitted(articles), self._analyzer, used,
                                 progress=progress, **dispatch(self._settings))
        check.raise_problems()
        vocabulary, idf, counts, spare = self._learn_vocabulary(counted)
        matrix, norms, field_tf = self._weigh_counts(counts, idf, spare=spare)
        del spare, counts
        release_free_memory()  # what the steps above freed, before the decomposition's peak
        components, vectors, blocks = self._fit_latent(matrix)
        terms = sorted(vocabulary, key=vocabulary.__getitem__)
        self._set_state(
            entries=counted.entries, vocabulary=terms, idf=idf, matrix=matrix, norms=norms,
            field_tf=field_tf, latent_components=components, latent_vectors=vectors,
            latent_blocks=blocks, author_agreement=self._author_agreement(
                matrix, terms, counted.entries),
        )
        self.model_articles_, self.model_changes_ = len(counted.entries), 0
        return self

    def update(self, articles: Sequence[Article], remove: Iterable[str] = ()) -> dict[str, Any]:
        """Add new articles, replace changed ones (same id, other content) and remove
        ids, under the model of the last full fit; recompute only the lists that
        can change.

        Parameters
        ----------
        articles : sequence of Article
            New or changed articles; unchanged ones are ignored.
        remove : iterable of str
            Ids to remove; no list will point to them afterwards.

        Returns
        -------
        dict
            ``added``, ``updated``, ``removed``, ``changed`` (existing articles
            whose kept list differs in ids, order or shown fields), ``unpinned``,
            ``drift`` (share of articles weighed by a model fitted before them)
            and ``rebuild_advised``; see :mod:`recommender.update`.
        """
        from .update import update_index

        return update_index(self, articles, remove)

    def _author_agreement(self, matrix: sp.csr_matrix, terms: list[str],
                          entries: list[Entry]) -> dict[tuple[str, ...], float]:
        """How alike each author's pieces are (none measured when the bonus is off)."""
        if not self._settings["author_bonus"]:
            return {}
        author_columns = np.fromiter((t.startswith("author:") for t in terms), dtype=bool,
                                     count=len(terms))
        return author_agreement(matrix, author_columns, entries)

    def _fit_latent(self, matrix: sp.csr_matrix) -> tuple[np.ndarray, np.ndarray, tuple]:
        """Each latent space's components stacked, the articles' vectors side by side (each
        space's unit vectors scaled so that a dot product averages the spaces' cosines),
        and the dimensions fitted per space (fewer than asked on a small corpus)."""
        spaces = self._settings["latent_components"]
        if not spaces or self._settings["latent_weight"] == 0.0:
            return (np.zeros((0, matrix.shape[1]), np.float32),
                    np.zeros((matrix.shape[0], 0), np.float32), ())
        sizes = [n_latent_components(*matrix.shape, d) for d in spaces]
        sizes = [d for d in sizes if d]  # spaces too big for the corpus
        if not sizes:
            return (np.zeros((0, matrix.shape[1]), np.float32),
                    np.zeros((matrix.shape[0], 0), np.float32), ())
        common = leading_components(_latent_sample(matrix), max(sizes), n_iter=5,
                                    random_state=0)
        # One product for every space: a space's columns are the leading ones of the
        # largest, with the same bits as a product of their own.
        raw = sparse_times_dense(matrix, common.T)
        scale = np.float32(1.0 / np.sqrt(len(sizes)))
        return (np.vstack([common[:d] for d in sizes]),
                np.hstack([unit_rows(raw[:, :d]) * scale for d in sizes]), tuple(sizes))

    def _weigh(self, fields: Sequence[dict[str, list[str]]], vocabulary: dict[str, int],
               idf: np.ndarray):
        """Rows of analysed articles under a vocabulary and IDF: the L2-normalised
        tf-idf matrix, the norms before normalisation, and the explained fields' tf."""
        weights = self._settings["field_weights"]
        used = [name for name in FIELDS if weights[name] > 0]
        counts = {name: count_matrix([f[name] for f in fields], vocabulary) for name in used}
        return self._weigh_counts(counts, idf)

    def _weigh_counts(self, counts: dict[str, sp.csr_matrix], idf: np.ndarray, *,
                      spare: tuple[str, np.ndarray] | None = None):
        """:meth:`_weigh` from the used fields' term counts (``spare``: see
        :func:`~recommender.occurrences.field_tfidf_rows`)."""
        weights = self._settings["field_weights"]
        sublinear = self._settings["sublinear_tf"]
        saturate = ("body",) if self._settings["body_tf"] == "bm25" else ()
        empty = sp.csr_matrix((next(iter(counts.values())).shape[0], idf.size),
                              dtype=np.float32)
        # first: the weighing may write over a field's counts (spare)
        field_tf = {name: weighted_tf({name: counts[name]}, weights, sublinear=sublinear)
                    .astype(np.float32) if name in counts else empty
                    for name in EXPLAINED_FIELDS}
        matrix, norms = field_tfidf_rows(counts, weights, idf, sublinear=sublinear,
                                         saturate=saturate, spare=spare)
        return matrix, norms, field_tf

    def _learn_vocabulary(self, counted: Counted) -> tuple[
            dict[str, int], np.ndarray, dict[str, sp.csr_matrix], tuple[str, np.ndarray] | None]:
        """Vocabulary, IDF and the used fields' term counts of a counted corpus, and the
        largest field's name with the array its indices start (``spare`` of
        :func:`~recommender.occurrences.field_tfidf_rows`).

        The vocabulary is the one scikit-learn's ``CountVectorizer`` chooses for the
        articles' tokens (sorted terms within ``min_df``/``max_df``, the most frequent
        ``max_features``); the IDF is ``TfidfTransformer``'s. Counting once (see
        :mod:`recommender.counting`) instead of in ``CountVectorizer`` and again per
        field makes a fit about 1.4 times faster.
        """
        n = len(counted.entries)
        found = counted.terms
        used = list(counted.fields)
        if not found:
            return {}, np.zeros(0), {name: sp.csr_matrix((n, 0)) for name in used}, None
        width = len(found)
        terms = sorted(found)
        # Columns numbered in the terms' sorted order from the start, so that every
        # matrix below keeps its indices sorted: sorting 70 million of them again after
        # each reordering took half of this step at 100,000 essays.
        order = np.array([found[t] for t in terms], dtype=np.int64)  # sorted -> first seen
        rank = np.empty(width, dtype=np.int32)
        rank[order] = np.arange(width, dtype=np.int32)
        sizes = {name: counted.fields[name][1].size for name in used}
        largest = max(used, key=sizes.__getitem__)
        raw, spare = {}, None
        for name in used:  # each field's occurrences become its matrix, in their own arrays
            lengths, columns, counts = counted.fields.pop(name)
            if name == largest:  # ... but the largest's indices, followed by room for the
                # weighed matrix's indices to be written over them (see field_tfidf_rows)
                spare = np.empty(sum(sizes.values()), dtype=columns.dtype)
                columns = _renumbered(columns, rank, out=spare[:columns.size])
            else:
                columns = _renumbered(columns, rank, out=columns)
            raw[name] = _count_matrix(lengths, columns, counts, (n, width))
            del lengths, columns, counts
        frequency = document_frequencies(raw.values())
        keep = self._limit_terms(frequency, lambda: sum(map(_column_sums, raw.values())), n)
        chosen = np.flatnonzero(keep)
        vocabulary = {terms[i]: column for column, i in enumerate(chosen)}
        idf = smoothed_idf(frequency[keep], n)
        # narrowed in place, as each field's matrix[:, keep]
        counts = {name: narrow_columns(raw.pop(name), keep) for name in used}
        return vocabulary, idf, counts, (largest, spare)

    def _limit_terms(self, dfs: np.ndarray, column_totals: Callable[[], np.ndarray],
                     n: int) -> np.ndarray:
        """Columns kept by the df limits and ``max_features``, exactly as
        ``CountVectorizer`` keeps them (its ``_limit_features``), from the columns'
        document frequencies and (called only for ``max_features``) total counts."""
        s = self._settings
        max_df, min_df, limit = s["max_df"], s["min_df"], s["max_features"]
        high = max_df if isinstance(max_df, numbers.Integral) else max_df * n
        low = min_df if isinstance(min_df, numbers.Integral) else min_df * n
        problem = None
        if high < low:
            problem = "max_df corresponds to < documents than min_df"
        mask = (dfs <= high) & (dfs >= low)
        if limit is not None and mask.sum() > limit:
            tfs = column_totals()
            picked = (-tfs[mask]).argsort()[:limit]
            narrowed = np.zeros(len(dfs), dtype=bool)
            narrowed[np.where(mask)[0][picked]] = True
            mask = narrowed
        if problem is None and not mask.any():
            problem = "After pruning, no terms remain. Try a lower min_df or a higher max_df."
        if problem is not None:
            raise ConfigError(f"min_df={min_df!r} and max_df={max_df!r} leave no terms in "
                              f"this corpus of {n} articles ({problem})")
        return mask

    def _set_state(self, *, entries: list[Entry], vocabulary: list[str], idf: np.ndarray,
                   matrix: sp.csr_matrix, norms: np.ndarray,
                   field_tf: dict[str, sp.csr_matrix], latent_components: np.ndarray,
                   latent_vectors: np.ndarray, latent_blocks: tuple[int, ...],
                   author_agreement: dict[tuple[str, ...], float]) -> None:
        """Install learned state (from fit or from a saved index) and derive the rest."""
        s = self._settings
        self.entries_ = entries
        self.ids_ = [e.id for e in entries]
        self.vocabulary_ = vocabulary
        self.idf_ = idf
        self.matrix_ = matrix
        self.norms_ = norms
        self.field_tf_ = field_tf
        self.latent_components_ = latent_components
        self.latent_vectors_ = latent_vectors
        if (sum(latent_blocks) != latent_components.shape[0]
                or latent_components.shape[0] != latent_vectors.shape[1]):
            raise ValueError(f"latent spaces of {latent_blocks} dimensions do not match "
                             f"{latent_components.shape[0]} components")
        self.latent_blocks_ = tuple(latent_blocks)
        self._position = {ident: i for i, ident in enumerate(self.ids_)}
        self._term_column = {term: i for i, term in enumerate(vocabulary)}
        dates = [e.date for e in entries]
        self._ranks = tiebreak_ranks(self.ids_, dates)
        self._days = timestamps_in_days(dates)
        self._newest_day = np.nanmax(self._days) if np.isfinite(self._days).any() else np.nan
        self._authors, author_names = author_groups(entries)
        self.author_agreement_ = dict(author_agreement)
        self._bylines = Bylines(self._authors, author_names, self.author_agreement_,
                                s["author_bonus"])
        self._groups = translation_groups(entries, detect=s["detect_translations"])
        # only the pinned rows: a list of a million small arrays costs seconds to send
        # to every worker task
        self._pins = {row: np.array([self._position[p] for p in e.pins], dtype=np.int64)
                      for row, e in enumerate(entries) if e.pins}
        self._tags = [{fold(t) for t in e.tags} for e in entries]
        self._allowed = self._exclusions(s["exclude_ids"], s["exclude_tags"])
        self._transposed = None
        self._codes = None
        self._groups_of_latent = None
        self._latent64 = None
        self._kernel_model = None
        self._components_t = None
        self._coarse_latent = None
        self._query_columns = None
        self.lists_ = (np.zeros((len(entries), 0), np.int32), np.zeros((len(entries), 0)))
        self.lists_exact_ = False
        self._fitted = True

    def precompute(self, k: int = 10, *, exact: bool = False) -> RelatedIndex:
        """Compute every article's list of length ``k`` now and keep it (also in
        :meth:`save`), so that :meth:`related` and :meth:`related_all` answer
        by lookup. Answers are identical either way.

        Returns
        -------
        self
        """
        self._check_fitted()
        check_list_length(k)
        self.lists_ = self._list_arrays(k, exact=exact)
        self.lists_exact_ = exact
        return self

    def _list_arrays(self, k: int, *, exact: bool,
                     rows: range | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The lists of ``rows`` (default all; see :meth:`_lists`) as kept by
        :meth:`precompute`: article numbers (int32, -1 past a list's end) and scores."""
        rows = range(len(self.ids_)) if rows is None else rows
        first, size = rows.start, len(range(rows.start, min(rows.stop, len(self.ids_))))
        ids = np.full((size, k), -1, dtype=np.int32)
        scores = np.zeros((size, k), dtype=np.float64)
        for row, (pins, pin_scores, found, values) in self._lists(k, exact=exact, rows=rows):
            chosen = np.concatenate((pins, found))
            ids[row - first, :chosen.size] = chosen
            scores[row - first, :chosen.size] = np.concatenate((pin_scores, values))
        return ids, scores

    def _stored(self, row: int, k: int, exact: bool = False) -> list[Related] | None:
        """The kept list of ``row`` cut to ``k``, when it equals what computing would give."""
        ids, scores = self.lists_
        width = ids.shape[1]
        if width == 0 or k > width or (k < width and self._settings["mmr_lambda"] < 1.0) \
                or (exact and not self.lists_exact_):
            return None
        entries, pinned = self.entries_, self._pinned(row).size
        rows, values = ids[row, :k].tolist(), scores[row, :k].tolist()  # values: floats
        if not pinned:  # most lists; a lookup is mostly the making of these ten items
            return [entries[i].related(v) for i, v in zip(rows, values) if i >= 0]
        return [entries[i].related(v, pinned=position < pinned)
                for position, (i, v) in enumerate(zip(rows, values)) if i >= 0]

    # -- queries -----------------------------------------------------------------------------

    def related(self, article_id: str, k: int = 10, *, explain: bool = False,
                exclude_ids: Iterable[str] = (), exclude_tags: Iterable[str] = (),
                max_age_days: float | None = None,
                only_older: bool | None = None, exact: bool = False) -> list[Related]:
        """Articles related to an indexed article, best first.

        The article itself is never listed, even when another article is an
        exact copy of it; nor are its near-duplicates and translations. Pinned
        articles come first, in the editor's order; the rest follow in the order
        score descending, date descending (undated last), id ascending.

        Parameters
        ----------
        article_id : str
        k : int, default 10
            At most this many results; fewer when fewer articles are related
            above the floor.
        explain : bool, default False
            Attach an :class:`~recommender.explain.Explanation` to each result.
        exclude_ids, exclude_tags : iterable of str
            Also skip these, on top of the index settings.
        max_age_days, only_older : optional
            Override the index settings for this query.
        exact : bool, default False
            Score every article exactly instead of the candidates found by the
            query's heaviest terms and latent vector (see ``candidates``). Lists
            kept by :meth:`precompute` are used when they answer the query.

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
        check_list_length(k)
        plain = not (explain or exclude_ids or exclude_tags) and max_age_days is None \
            and only_older is None
        stored = self._stored(row, k, exact) if plain else None
        if stored is not None:
            return stored
        chosen = self._list_of(row, k, exact=exact, exclude_ids=exclude_ids,
                               exclude_tags=exclude_tags, max_age_days=max_age_days,
                               only_older=only_older)
        return self._results(self.matrix_[row] if explain else None, chosen, explain=explain,
                             latent=self.latent_vectors_[row], row=row)

    def similar(self, text: str, k: int = 10, *, lang: str | None = None, explain: bool = False,
                exclude_ids: Iterable[str] = (), exclude_tags: Iterable[str] = (),
                max_age_days: float | None = None, exact: bool = False) -> list[Related]:
        """Articles most similar to free text (plain or HTML), best first.

        Parameters
        ----------
        text : str
            Portuguese or English; the language is detected when ``lang`` is None.
        k : int, default 10
        lang : {"pt", "en"}, optional
        explain, exclude_ids, exclude_tags, max_age_days
            As for :meth:`related`; ages count back from the newest article.
        exact : bool, default False
            Score every article exactly. By default only the ``candidates``
            articles with the best estimate are scored (exactly) and can be listed:
            the weight they share in the text's ``candidate_terms`` heaviest terms,
            plus their latent cosine with the text (for a long text on a large
            archive, the first latent space's, read from an int8 copy: see
            :mod:`recommender.coarse`).

        Returns
        -------
        list of Related
        """
        self._check_fitted()
        check_list_length(k)
        if not isinstance(text, str):
            raise TypeError(f"text must be a string, got {type(text).__name__}")
        if lang not in (None, "pt", "en"):
            raise ConfigError(f"lang must be 'pt', 'en' or None, got {lang!r}")
        query = self.vectorize(text, lang=lang)
        filters = {"exclude_ids": exclude_ids, "exclude_tags": exclude_tags,
                   "max_age_days": max_age_days}
        chosen = None if exact else self._widening(query, self._project(query), k, filters)
        if chosen is None:
            scores, cosines = self._scores(query)
            chosen = self._choose(None, scores[0], cosines[0], k, **filters)
        return self._results(query, chosen, explain=explain)

    def vectorize(self, text: str, *, lang: str | None = None) -> sp.csr_matrix:
        """The L2-normalised tf-idf row of free text, weighted as a body."""
        self._check_fitted()
        plain, lang = prepared_text(text, self._analyzer, lang)
        weighing = {"sublinear": self._settings["sublinear_tf"],
                    "saturate": self._settings["body_tf"] == "bm25"}
        if self._analyzer.ngram_range != (1, 1):  # n-grams span chunks
            return tfidf_row(self._analyzer(plain, lang=lang), self._term_column, self.idf_,
                             **weighing)
        if self._query_columns is None:
            self._query_columns = ChunkColumns(self._analyzer, self._term_column)
        return tfidf_row_of_columns(self._query_columns(plain, lang), len(self._term_column),
                                    self.idf_, **weighing)

    def related_all(self, k: int = 10, *, exact: bool = False) -> dict[str, list[Related]]:
        """The related list of every article, as :meth:`related` gives it.

        Scores are computed a block of rows at a time, so memory stays bounded
        (about 16 MB of scores at once) whatever the corpus size; never an
        n × n matrix.

        Returns
        -------
        dict
            Article id to its list, in corpus order.
        """
        return dict(self.iter_related(k, exact=exact))

    def iter_related(self, k: int = 10, *, use_stored: bool = True,
                     exact: bool = False) -> Iterator[tuple[str, list[Related]]]:
        """Yield ``(id, related list)`` for every article in corpus order, block by block
        (or from the lists kept by :meth:`precompute`)."""
        self._check_fitted()
        check_list_length(k)
        n = len(self.ids_)
        if use_stored and n and self._stored(0, k, exact) is not None:
            for row, ident in enumerate(self.ids_):
                yield ident, self._stored(row, k, exact)
            return
        for row, chosen in self._lists(k, exact=exact):
            yield self.ids_[row], self._results(None, chosen)

    def _lists(self, k: int, *, exact: bool, rows: range | None = None):
        """``(row, chosen)`` for every row in order, chosen as :meth:`_choose` gives it,
        computed a block of rows at a time. With ``n_jobs``, blocks are shared among
        threads of this process (the scoring is compiled code that releases the GIL, and
        threads need no copy of the matrix); on a Dask cluster among its workers, which
        get the scoring state once. Either way the blocks are the ones one thread
        computes, so the bits are the same.

        ``rows``: only these rows; it must start and end on block boundaries (see
        :meth:`_block_rows`) or at the end, so that every block is the one a full pass
        computes."""
        n = len(self.ids_)
        exact = exact or n <= self._candidate_count(k)
        block = self._block_rows()
        rows = range(n) if rows is None else rows
        if rows.step != 1 or rows.start % block or (rows.stop % block and rows.stop < n):
            raise ValueError(f"rows must start and stop on multiples of {block}, got {rows}")
        starts = list(range(rows.start, min(rows.stop, n), block))
        # The term indexes (the float32 one as big as the matrix, the coded one 5/8 of it)
        # and the float64 latent vectors are made for the pass and dropped after it,
        # unless they were there before: a build then saves without them, and a query
        # makes them again when it needs them.
        made_here = [name for name in _PASS_CACHES if getattr(self, name) is None]
        if made_here:  # the heap the fit freed, given back before the big arrays come
            release_free_memory()
        try:
            yield from self._lists_of_starts(starts, block, k, exact)
        finally:
            for name in made_here:
                setattr(self, name, None)

    def _lists_of_starts(self, starts: list[int], block: int, k: int, exact: bool):
        where = dispatch(self._settings)
        if in_process(where["n_jobs"], where["backend"], len(starts)):
            yield from self._lists_of_blocks(starts, block, k, exact)
            return
        if exact:  # made once here, not in every task
            self._term_index()
        else:
            self._term_codes()
            self._latent_groups()
        if where["backend"] == "loky":
            self._fill_caches(exact)
            if self._paired(k, exact):
                yield from self._paired_lists(starts, block, k, where["n_jobs"])
                return
            blocks = thread_map(self._block_lists, ((start, block, k, exact) for start in starts),
                                n_jobs=where["n_jobs"])
            with closing(blocks):  # a caller that stops early cancels the work left
                for lists in blocks:
                    yield from lists
            return
        state = self._scoring_state()
        tasks = task_groups(starts, where["n_jobs"], where["backend"])
        parts = parallel_map(_lists_task, ((state, task, block, k, exact) for task in tasks),
                             scatter=[state], **where)
        with closing(parts):  # a caller that stops early cancels the work left
            for part in parts:
                yield from unpack_lists(part)

    def _block_rows(self) -> int:
        """Rows scored at once when computing every list."""
        n = len(self.ids_)
        return max(_MIN_BLOCK_ROWS, _BLOCK_CELLS // max(n, 1))

    def _scoring_state(self) -> RelatedIndex:
        """A shallow copy with what list computing needs (no catalog, no analyzer), to send
        to worker processes."""
        state = object.__new__(RelatedIndex)
        state.__dict__.update({name: value for name, value in self.__dict__.items()
                               if name not in _NOT_FOR_WORKERS})
        # caches, rebuilt when needed
        state._latent64 = state._components_t = state._kernel_model = state._coarse_latent = None
        return state

    def _fill_caches(self, exact: bool) -> None:
        """Make the caches that every block reads before threads share the blocks (each
        thread would otherwise make its own copy of the same thing at the start)."""
        if _kernels().AVAILABLE:
            self._compiled_model()
        if exact:
            self._latent_float64()

    def _block_lists(self, start: int, block: int, k: int, exact: bool) -> list[tuple]:
        return list(self._lists_of_blocks([start], block, k, exact))

    def _paired(self, k: int, exact: bool) -> bool:
        """Whether every list is chosen by :meth:`_paired_lists`: approximate lists that
        the compiled kernels choose, when every article's candidates fit in one table."""
        return not exact and self._compiled_rules(k, None, {}) is not None \
            and len(self.ids_) * self._candidate_count(k) <= _TABLE_SLOTS

    def _paired_lists(self, starts: Sequence[int], block: int, k: int,
                      n_jobs: int | None = 1) -> Iterator[tuple[int, tuple]]:
        """The lists of the blocks at ``starts`` (contiguous), as :meth:`_lists_of_blocks`
        gives them, in ``n_jobs`` threads.

        Two articles are often each other's candidates (two pairs in three among 10,000
        generated essays): their exact cosines are computed once for both
        (:mod:`recommender.pair_table`). So first every row's candidates are found, then
        every pair's cosines computed, then the lists chosen. The cosines are the bits
        each row computes for itself, so the lists are the same."""
        from . import pair_table  # with numba, as _kernels()

        n, first = len(self.ids_), starts[0]
        count, model = self._candidate_count(k), self._compiled_model()
        spans = [(start - first, min(n, start + block) - first) for start in starts]
        found = thread_map(self._block_candidates,
                           ((first + lo, first + hi, count) for lo, hi in spans), n_jobs=n_jobs)
        pairs = pair_table.pair_table(first, (row for part in found for row in part),
                                      spans[-1][1], count + self._bylines.room(count))
        for _ in thread_map(pair_table.score_pairs,
                            ((pairs, lo, hi, model, self._latent_weight(), self.matrix_.shape[1])
                             for lo, hi in spans), n_jobs=n_jobs):
            pass
        blocks = thread_map(self._paired_block, ((pairs, lo, hi, k) for lo, hi in spans),
                            n_jobs=n_jobs)
        with closing(blocks):  # a caller that stops early cancels the work left
            for lists in blocks:
                yield from lists

    def _paired_block(self, pairs: tuple, lo: int, hi: int, k: int) -> list[tuple[int, tuple]]:
        """The lists of rows ``lo`` to ``hi`` of a scored pair table; a pinned row, or one
        the rules leave short, through :meth:`_approximate_row` as in a block."""
        from .pair_table import choose_paired

        first, starts, found = int(pairs[0]), pairs[1], pairs[2]
        chosen, scores, lengths = choose_paired(
            pairs, lo, hi, self._compiled_model(), self._compiled_rules(k, None, {}),
            self.matrix_.shape[1])
        lists = []
        for i in range(hi - lo):
            row = first + lo + i
            if lengths[i] >= k and not self._pinned(row).size:
                lists.append((row, (_NO_PINS, _NO_SCORES, chosen[i], scores[i])))
            else:
                candidates = found[starts[lo + i]:starts[lo + i + 1]]
                lists.append((row, self._approximate_row(row, k, {}, candidates)))
        return lists

    def _lists_of_blocks(self, starts: Sequence[int], block: int, k: int, exact: bool):
        if self._paired(k, exact):
            yield from self._paired_lists(starts, block, k)
            return
        n = len(self.ids_)
        for start in starts:
            stop = min(n, start + block)
            if exact:
                scores, cosines = self._scores(self.matrix_[start:stop],
                                               self.latent_vectors_[start:stop])
                for offset in range(stop - start):
                    yield start + offset, self._choose(None, scores[offset], cosines[offset], k,
                                                       row=start + offset)
            else:
                found = self._block_candidates(start, stop, self._candidate_count(k))
                compiled = self._compiled_lists(start, found, k)
                for offset, candidates in enumerate(found):
                    row = start + offset
                    yield row, compiled.get(row) or self._approximate_row(row, k, {},
                                                                          candidates)

    def translations(self, article_id: str) -> list[Related]:
        """The other language versions of an article ("also in English"), by id.

        Scores are the cosine similarities to the article (low across languages).
        """
        self._check_fitted()
        row = self._row_of(article_id)
        members = np.flatnonzero(self._groups == self._groups[row])
        members = members[members != row]
        scores = self._exact_scores(self.matrix_[row], self.latent_vectors_[row], members)[0]
        score = dict(zip(members.tolist(), scores.tolist()))
        return [self.entries_[i].related(_rounded(score[i]))
                for i in sorted(score, key=lambda i: self.ids_[i])]

    def explain(self, article_id: str, other_id: str) -> Explanation:
        """Why ``other_id`` is (or is not) related to ``article_id``: shared terms and
        each field's contribution to their cosine."""
        self._check_fitted()
        row, other = self._row_of(article_id), self._row_of(other_id)
        return self._explain(self.matrix_[row], other, self.latent_vectors_[row], row)

    # -- internals ---------------------------------------------------------------------------

    def _list_of(self, row: int, k: int, *, exact: bool, **filters: Any):
        """The list of one indexed article, as :meth:`_choose` gives it."""
        if exact:
            scores, cosines = self._scores(self.matrix_[row], self.latent_vectors_[row:row + 1])
            return self._choose(None, scores[0], cosines[0], k, row=row, **filters)
        return self._approximate_row(row, k, filters)

    def _reference_day(self, row: int | None) -> float:
        """The day ages count back from: the article's, or for free text the newest
        (NaN when unknown)."""
        return self._days[row] if row is not None else self._newest_day

    def _compiled_rules(self, k: int, row: int | None, filters: dict[str, Any]) -> tuple | None:
        """The settings for :mod:`recommender.kernels`, or None when this list must go
        through :meth:`_choose`: MMR, pins, per-call filters, or no numba."""
        s = self._settings
        kernels = _kernels()
        if not kernels.AVAILABLE or s["mmr_lambda"] < 1.0 or self._pinned(row).size \
                or filters.get("exclude_ids") or filters.get("exclude_tags") \
                or filters.get("max_age_days") is not None \
                or filters.get("only_older") is not None:
            return None
        return kernels.rules_of(
            alpha=self._latent_weight(), k=k, max_per_author=s["max_per_author"],
            duplicate_threshold=s["duplicate_threshold"], min_score=s["min_score"],
            max_age_days=s["max_age_days"], only_older=s["only_older"],
            half_life_days=s["half_life_days"])

    def _compiled_model(self) -> tuple:
        if self._kernel_model is None:
            self._kernel_model = _kernels().model_of(
                self.matrix_, self.latent_vectors_, self._allowed, self._groups,
                self._authors, self._ranks, self._days, self._bylines.bonus)
        return self._kernel_model

    def _compiled_lists(self, start: int, found: list[np.ndarray], k: int) -> dict[int, tuple]:
        """The lists of rows ``start, start + 1, ...`` that the compiled kernel completes
        from their candidates ``found`` (:meth:`_choose`'s form), by row."""
        rules = self._compiled_rules(k, None, {})
        rows = [start + i for i in range(len(found)) if not self._pinned(start + i).size]
        if rules is None or not rows:
            return {}
        chosen, scores, lengths = _kernels().choose_rows(
            np.array(rows), [found[row - start] for row in rows], self._compiled_model(),
            rules, self.matrix_.shape[1])
        return {row: (_NO_PINS, _NO_SCORES, chosen[i], scores[i])
                for i, row in enumerate(rows) if lengths[i] >= k}

    def _candidate_count(self, k: int) -> int:
        return max(self._settings["candidates"], 4 * k + 50)

    def _pinned(self, row: int | None) -> np.ndarray:
        """The article numbers ``row`` pins first (none for a free-text query)."""
        return self._pins.get(row, _NO_PINS)

    def _posting_sums(self, row: sp.csr_matrix) -> np.ndarray:
        """The tf-idf cosines of one row against every article (float32), through its
        terms' postings: ``term_index[row.indices].T @ row.data``, bit for bit."""
        kernels = _kernels()
        term_index = self._term_index()
        data = np.asarray(row.data, dtype=np.float32)
        if not kernels.AVAILABLE or term_index.dtype != np.float32:
            return np.asarray(term_index[row.indices].T @ data, dtype=np.float32)
        out = np.zeros(term_index.shape[1], dtype=np.float32)
        kernels.add_postings(term_index, row.indices, data, out)
        return out

    def _term_index(self) -> sp.csr_matrix:
        """The tf-idf matrix transposed: row ``t`` lists the articles that use term ``t``
        (the exact paths' postings)."""
        if self._transposed is None:
            with _MAKING:  # threads computing lists, or queries: made once
                if self._transposed is None:
                    self._transposed = sp.csr_matrix(self.matrix_.T)
        return self._transposed

    def _term_codes(self) -> TermCodes:
        """The term index with one-byte weights that candidates are estimated from."""
        if self._codes is None:
            with _MAKING:
                if self._codes is None:
                    self._codes = term_codes(self.matrix_)
        return self._codes

    def _latent_groups(self, *, make: bool = True) -> LatentClusters | None:
        """Groups of the latent vectors for candidates on a big archive (see
        :mod:`recommender.clusters`); None below :data:`CLUSTERED_FROM` articles (by
        default always: the groups are off).

        Computing every list makes them (about a minute at a million articles); a single
        query uses them only when they are there (``make=False``), since one dense pass
        costs it less than making them."""
        if self._groups_of_latent is None and make and CLUSTERED_FROM is not None \
                and len(self.ids_) >= CLUSTERED_FROM \
                and self.latent_vectors_.shape[1] and self._latent_weight():
            self._groups_of_latent = LatentClusters.fit(self.latent_vectors_)
        return self._groups_of_latent

    def _block_candidates(self, start: int, stop: int, count: int) -> list[np.ndarray]:
        clusters = self._latent_groups()
        stop = min(stop, len(self.ids_))
        latent = self.latent_vectors_[start:stop]
        rows = range(start, stop)
        if self._compiled_candidates(clusters):
            matrix = self.matrix_
            return self._candidates_of((matrix.indptr, matrix.indices, matrix.data), start,
                                       latent, count, rows=rows)
        pruned = prune_rows(self.matrix_[start:stop], self._settings["candidate_terms"])
        return self._numpy_candidates(pruned, latent, count, clusters, rows)

    def _numpy_candidates(self, pruned: sp.csr_matrix, latent: np.ndarray, count: int,
                          clusters: LatentClusters | None, rows: Sequence[int] | None,
                          estimate: np.ndarray | None = None) -> list[np.ndarray]:
        """:func:`~recommender.candidates.block_candidates` of queries whose heaviest
        terms are ``pruned``: the articles ``rows``, whose closest pieces by the same
        author(s) join their candidates (:meth:`Bylines.closest`), or free text (``rows``
        None), whose ``estimate`` is given when not the full one."""
        extras = None
        alpha = self._latent_weight()
        if rows is not None and self._bylines and alpha and clusters is None:
            # made here, not inside block_candidates, to pick the pieces from it first
            estimate = latent_estimate(latent, self.latent_vectors_, alpha)
            extras = self._bylines.closest(estimate, rows, count)
        return joined(block_candidates(pruned, self._term_codes(), latent, self.latent_vectors_,
                                       alpha, count, clusters, estimate=estimate), extras)

    def _compiled_candidates(self, clusters: LatentClusters | None) -> bool:
        """Whether :mod:`recommender.kernels` finds the candidates (the dense estimate, no
        latent groups, numba there): the same candidates as the numpy path."""
        return bool(self._latent_weight()) and clusters is None and _kernels().AVAILABLE

    def _candidates_of(self, queries: tuple, first: int, latent: np.ndarray,
                       count: int, estimate: np.ndarray | None = None, *,
                       rows: Sequence[int] | None = None) -> list[np.ndarray]:
        """Compiled candidates of rows ``first, ...`` of ``queries`` (CSR arrays) whose
        latent vectors are ``latent``; ``estimate``: their latent estimate, when not the
        full one; ``rows``: the articles they are (None: free text), whose closest
        pieces by the same author(s) join them (:meth:`Bylines.closest`)."""
        alpha = self._latent_weight()
        if estimate is None:
            estimate = latent_estimate(latent, self.latent_vectors_, alpha)
        extras = None if rows is None else self._bylines.closest(estimate, rows, count)
        return joined(_kernels().block_candidates(
            estimate, queries, first, self._settings["candidate_terms"], 1.0 - alpha,
            self._term_codes(), count), extras)

    def _free_text_estimate(self, query: sp.csr_matrix, latent: np.ndarray) -> np.ndarray | None:
        """The coarse latent estimate of one free-text query (see :mod:`recommender.coarse`),
        or None: the full one (a small archive, or a short text), or no dense estimate."""
        alpha = self._latent_weight()
        if not alpha or self._latent_groups(make=False) is not None \
                or self.latent_vectors_.nbytes < COARSE_FROM_BYTES \
                or query.nnz < COARSE_MIN_TERMS:
            return None
        if self._coarse_latent is None:  # made again by _set_state after an update
            self._coarse_latent = CoarseLatent.of(self.latent_vectors_, self.latent_blocks_)
        return self._coarse_latent.estimate(latent, alpha)

    def _approximate_row(self, row: int, k: int, filters: dict[str, Any],
                         candidates: np.ndarray | None = None):
        """:meth:`_choose` over the row's candidates (see :meth:`_widening`), or over every
        article when the net had to take them all."""
        chosen = self._widening(row_of(self.matrix_, row), self.latent_vectors_[row:row + 1],
                                k, filters, row=row, candidates=candidates)
        return chosen if chosen is not None else self._list_of(row, k, exact=True, **filters)

    def _widening(self, query: sp.csr_matrix | Rows, latent: np.ndarray, k: int,
                  filters: dict[str, Any], *, row: int | None = None,
                  candidates: np.ndarray | None = None):
        """:meth:`_choose` over the query's candidates, found again with a wider net while
        filters or diversity rules leave the list short; None when the net would take
        every article (then score them all). ``candidates``: the first net, if known."""
        count = self._candidate_count(k)
        pins = self._pinned(row)
        pruned = None
        rules = self._compiled_rules(k, row, filters)
        # Free text gets the coarse estimate; an article's own row keeps the one its
        # stored list was computed with, so that a lookup recomputed agrees with the build.
        coarse = self._free_text_estimate(query, latent) if row is None else None
        while count < len(self.ids_):
            if candidates is None and self._compiled_candidates(
                    self._latent_groups(make=False)):
                candidates = self._candidates_of((query.indptr, query.indices, query.data), 0,
                                                 latent, count, coarse,
                                                 rows=None if row is None else [row])[0]
            elif candidates is None:
                if pruned is None:
                    pruned = prune_rows(query.tocsr(), self._settings["candidate_terms"])
                candidates = self._numpy_candidates(
                    pruned, latent, count, self._latent_groups(make=False),
                    None if row is None else [row], coarse)[0]
            if rules is not None:  # the first net, compiled; a short list goes on below
                rows, values = _kernels().choose_one(
                    query.indices, query.data, latent[0], -1 if row is None else row,
                    self._reference_day(row), candidates, self._compiled_model(), rules,
                    self.matrix_.shape[1])
                if rows.size >= k:
                    return _NO_PINS, _NO_SCORES, rows, values
                rules = None
            found = np.union1d(candidates, pins)
            scores, cosines = self._exact_scores(query, latent[0], found)
            chosen = self._choose(found, scores, cosines, k, row=row, **filters)
            if chosen[0].size + chosen[2].size >= k:
                return chosen
            # a full net (with, for an article, its closest pieces by the same author(s))
            count = count * 4 if candidates.size >= count else len(self.ids_)
            candidates = None
            if coarse is not None:  # the net added the text's products to it
                coarse = self._free_text_estimate(query, latent)
        return None

    def _exact_scores(self, query: sp.csr_matrix | Rows, latent: np.ndarray,
                      found: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Blended scores and tf-idf cosines of ``query`` against the articles ``found``,
        computed as :meth:`_scores` computes them for every article."""
        dense = np.zeros(query.shape[1], dtype=np.float32)
        dense[query.indices.astype(np.intp)] = query.data
        # Sums each candidate's products in column order, as the sparse product does for
        # every article (the zeros added in between change nothing).
        cosines = take_rows(self.matrix_, found).dot(dense).astype(np.float32, copy=False)
        weight = self._latent_weight()
        if not weight:
            return cosines, cosines
        vectors = self.latent_vectors_[found].astype(np.float64)  # as _scores has them
        return blend(cosines[None, :], latent[None, :], vectors, weight)[0], cosines

    def _choose(self, found: np.ndarray | None, raw: np.ndarray, cosines: np.ndarray | None,
                k: int, *, row: int | None = None, exclude_ids: Iterable[str] = (),
                exclude_tags: Iterable[str] = (), max_age_days: float | None = None,
                only_older: bool | None = None):
        """The list among the articles ``found`` (None: all), as ``(pins, pin scores,
        rows, scores)`` — pinned articles first, then the chosen ones best first.

        ``raw`` and ``cosines`` are the blended scores and tf-idf cosines of ``found``.
        """
        s = self._settings

        def of(values: np.ndarray) -> np.ndarray:
            return values if found is None else values[found]

        raw = raw.astype(np.float64)
        allowed = of(self._allowed & self._exclusions(exclude_ids, exclude_tags)
                     if exclude_ids or exclude_tags else self._allowed).copy()
        max_age = s["max_age_days"] if max_age_days is None else max_age_days
        older = s["only_older"] if only_older is None else only_older
        groups = of(self._groups)
        days = of(self._days)
        if row is not None:
            allowed &= groups != self._groups[row]  # itself and its translations
            if s["duplicate_threshold"] is not None:  # copies share words, not just topics
                tfidf = raw if cosines is None else cosines.astype(np.float64)
                allowed &= np.round(tfidf, SCORE_DECIMALS) < s["duplicate_threshold"]
            members, bonus = self._bylines.of_row(row, found)
            if members.size:  # after the copies: a byline makes no copy
                raw[members] = np.minimum(raw[members] + bonus, 1.0)
        reference = self._reference_day(row)
        age = reference - days  # NaN where either date is unknown
        with np.errstate(invalid="ignore"):
            if max_age is not None:
                allowed &= ~(age > max_age)
            if older and row is not None and np.isfinite(reference):
                allowed &= age > 0
            shown = raw
            if s["half_life_days"] is not None:
                decay = np.where(age > 0, np.exp2(-age / s["half_life_days"]), 1.0)
                shown = raw * np.nan_to_num(decay, nan=1.0)
        pins = self._pinned(row)[:k]
        pin_positions = pins if found is None else np.searchsorted(found, pins)
        allowed[pin_positions] = False
        diversity = Diversity(s["max_per_author"], s["mmr_lambda"],
                              s["duplicate_threshold"] if s["duplicate_threshold"] is not None
                              else 1.01)
        places = np.arange(raw.size) if found is None else found

        def similarity(positions: np.ndarray) -> PoolCosines:
            return PoolCosines(self.matrix_, places[positions])

        positions, values = select(shown, k - pins.size, of(self._ranks), allowed=allowed,
                                   min_score=s["min_score"], diversity=diversity,
                                   authors=of(self._authors), groups=groups,
                                   similarity=similarity)
        pin_scores = np.array([_rounded(v) for v in shown[pin_positions].tolist()])
        return pins, pin_scores, places[positions], values

    def _results(self, query: sp.csr_matrix, chosen, *, explain: bool = False,
                 latent: np.ndarray | None = None, row: int | None = None) -> list[Related]:
        """Related items of a chosen list (see :meth:`_choose`)."""
        pins, pin_scores, rows, values = chosen
        entries = self.entries_
        if not explain:  # every list of a build comes through here: no per-item call
            results = [entries[i].related(v, pinned=True)
                       for i, v in zip(pins.tolist(), pin_scores.tolist())]
            results += [entries[i].related(v) for i, v in zip(rows.tolist(), values.tolist())]
            return results
        results = [entries[i].related(v, pinned=True,
                                      explanation=self._explain(query, i, latent, row))
                   for i, v in zip(pins.tolist(), pin_scores.tolist())]
        results += [entries[i].related(v, explanation=self._explain(query, i, latent, row))
                    for i, v in zip(rows.tolist(), values.tolist())]
        return results

    def _exclusions(self, ids: Iterable[str], tags: Iterable[str]) -> np.ndarray:
        allowed = np.ones(len(self.ids_), dtype=bool)
        if isinstance(ids, str) or isinstance(tags, str):
            raise ConfigError("exclude_ids and exclude_tags take lists of strings, not a string")
        for ident in ids:
            if ident in self._position:
                allowed[self._position[ident]] = False
        folded = {fold(t) for t in tags}
        if folded:
            allowed &= np.array([not (own & folded) for own in self._tags], dtype=bool)
        return allowed

    def _explain(self, query: sp.csr_matrix, row: int, latent: np.ndarray | None = None,
                 query_row: int | None = None) -> Explanation:
        """Why article ``row`` scores what it does for ``query`` (the article
        ``query_row``, or free text when None)."""
        if latent is None:
            latent = self._project(query)[0]
        weight = self._latent_weight()
        topical = float(latent @ self.latent_vectors_[row]) if weight else 0.0
        byline = 0.0
        if query_row is not None:
            members, bonus = self._bylines.of_row(query_row)
            byline = bonus if row in members else 0.0
        return explain_pair(query, row, self.matrix_, self.idf_, self.norms_, self.field_tf_,
                            self.vocabulary_, latent_weight=weight, latent_cosine=topical,
                            byline=byline)

    def _latent_weight(self) -> float:
        return self._settings["latent_weight"] if self.latent_vectors_.shape[1] else 0.0

    def _project(self, rows: sp.csr_matrix) -> np.ndarray:
        """Latent vectors of tf-idf rows, built as the articles' are (see ``_fit_latent``)."""
        if not self.latent_blocks_:
            return np.zeros((rows.shape[0], 0), np.float32)
        if self._components_t is None:  # a sparse product with a transposed view copies it
            self._components_t = np.ascontiguousarray(self.latent_components_.T)
        projected = np.asarray(rows @ self._components_t, dtype=np.float32)
        scale = np.float32(1.0 / np.sqrt(len(self.latent_blocks_)))
        edges = np.cumsum((0, *self.latent_blocks_))
        return np.hstack([unit_rows(projected[:, a:b]) * scale
                          for a, b in zip(edges[:-1], edges[1:])])

    def _scores(self, rows: sp.csr_matrix,
                latent: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Scores of ``rows`` against every article, and their tf-idf cosines (2-d).

        The score blends the tf-idf cosine with the latent cosine (``latent`` are
        the rows' unit latent vectors; projected when not given) and is clipped
        to [0, 1].
        """
        if rows.shape[0] == 1:  # the query terms' postings, summed in the same order
            cosines = self._posting_sums(rows)[None, :]
        else:
            cosines = np.asarray((rows @ self._term_index()).toarray(), dtype=np.float32)
        weight = self._latent_weight()
        if not weight:
            return cosines, cosines
        if latent is None:
            latent = self._project(rows)
        return blend(cosines, latent, self._latent_float64(), weight), cosines

    def _latent_float64(self) -> np.ndarray:
        """The latent vectors in float64, as :func:`blend` takes them (kept)."""
        if self._latent64 is None:
            self._latent64 = np.ascontiguousarray(self.latent_vectors_, dtype=np.float64)
        return self._latent64

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


#: What an unpinned row or a free-text query pins (read-only: it is shared).
_NO_PINS = np.zeros(0, dtype=np.int64)
_NO_SCORES = np.zeros(0, dtype=np.float64)
_NO_PINS.flags.writeable = False

#: Caches that computing every list makes (see :meth:`RelatedIndex._lists`).
_PASS_CACHES = ("_transposed", "_codes", "_latent64")

#: Held while a cache shared by threads is made.
_MAKING = threading.Lock()

#: Attributes a worker computing lists does not need (and that cost most to send).
_NOT_FOR_WORKERS = frozenset({"entries_", "field_tf_", "vocabulary_", "_analyzer",
                              "_term_column", "_tags", "_position", "_latent64",
                              "_components_t", "_kernel_model", "_coarse_latent",
                              "_query_columns"})


def _kernels():
    """:mod:`recommender.kernels`, imported when a list is first computed: importing numba
    costs half a second that loading an index and reading its kept lists do not need."""
    from . import kernels

    return kernels


def _lists_task(state: RelatedIndex, starts: Sequence[int], block: int, k: int,
                exact: bool) -> tuple:
    return pack_lists(state._lists_of_blocks(starts, block, k, exact))


def _rounded(value: float) -> float:
    return round(min(max(float(value), 0.0), 1.0), SCORE_DECIMALS)


#: Articles from which the latent components are learnt: a bigger archive learns them from
#: a seeded sample of this many (and projects every article), since each of the decomposition's
#: dozen passes over the matrix costs as much as the rest of the fit per article.
_LATENT_SAMPLE = 250_000


def _latent_sample(matrix: sp.csr_matrix) -> sp.csr_matrix:
    """``matrix``, or a seeded sample of :data:`_LATENT_SAMPLE` of its rows, in order."""
    if matrix.shape[0] <= _LATENT_SAMPLE:
        return matrix
    rows = np.random.default_rng(0).choice(matrix.shape[0], _LATENT_SAMPLE, replace=False)
    return matrix[np.sort(rows)]


def _renumbered(columns: np.ndarray, number: np.ndarray, *, out: np.ndarray) -> np.ndarray:
    """``number[columns]`` in ``out`` (which may be ``columns``), a stretch at a time."""
    step = 1 << 20
    for start in range(0, columns.size, step):
        out[start:start + step] = number[columns[start:start + step]]
    return out


def _column_sums(matrix: sp.csr_matrix) -> np.ndarray:
    return np.bincount(matrix.indices, weights=matrix.data, minlength=matrix.shape[1])


def _count_matrix(lengths: np.ndarray, columns: np.ndarray, counts: np.ndarray,
                  shape: tuple[int, int]) -> sp.csr_matrix:
    """CSR of counts given as each row's number of values, then the values row by row
    (each row's columns distinct), in those arrays: the pattern and counts
    scikit-learn's counting would make, in their integer type."""
    indptr = np.zeros(shape[0] + 1, dtype=np.int64)
    np.cumsum(lengths, out=indptr[1:])
    index_type = np.int32 if max(indptr[-1], shape[1]) < np.iinfo(np.int32).max else np.int64
    matrix = sp.csr_matrix((counts, columns.astype(index_type, copy=False),
                            indptr.astype(index_type)), shape=shape)
    matrix.sort_indices()
    return matrix
