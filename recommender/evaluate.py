"""Relevance of related lists against labelled corpora, and the baselines to beat.

Neighbour lists are held as an ``(n, k)`` integer array: row ``i`` lists the
corpus rows of article ``i``'s neighbours, best first, padded with ``-1`` when
the list is shorter than ``k``. Scores, when known, are a parallel float array
padded with NaN. :func:`neighbours_from_lists` converts the
``dict[id, list[id or Related]]`` form that :meth:`RelatedIndex.related_all`
returns.

A neighbour is *relevant* when it shares at least one label with the query.
Queries that have no relevant partner anywhere in the corpus (including those
without labels) cannot be scored for precision, recall, nDCG or MRR: those
metrics return NaN for them and :func:`run_evaluation` reports how many were
excluded. Coverage is computed over every query.

Baselines follow one protocol, ``baseline(texts, k, *, return_scores=False)``,
returning the ``(n, k)`` neighbour array (and the scores when asked). The
article itself is masked by index, never sliced off, so a duplicate article is
still found; ties are broken by score descending, then row ascending.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer

__all__ = [
    "neighbours_from_lists",
    "relevance",
    "count_relevant",
    "precision_at_k",
    "recall_at_k",
    "ndcg_at_k",
    "reciprocal_rank",
    "coverage",
    "bootstrap_interval",
    "sklearn_default",
    "tuned_tfidf",
    "bm25",
    "lsa",
    "BASELINES",
    "default_methods",
    "run_evaluation",
    "to_markdown",
]

#: Memory budget of one block of the all-pairs score matrix, in float64 cells.
_BLOCK_CELLS = 4_000_000

Labels = Sequence[Iterable[str]]


# --- representation ----------------------------------------------------------------------


def neighbours_from_lists(
    lists: Mapping[str, Sequence[Any]], ids: Sequence[str], k: int
) -> tuple[np.ndarray, np.ndarray | None]:
    """Convert ``{query id: [neighbour, ...]}`` into the array form.

    Parameters
    ----------
    lists : mapping of str to sequence
        Neighbours best first, each an id (str) or an object with ``.id`` and
        ``.score`` (such as :class:`~recommender.results.Related`). A query
        missing from ``lists`` has an empty list.
    ids : sequence of str
        Article ids in corpus order; row ``i`` is ``ids[i]``.
    k : int
        Width of the result; longer lists are cut to ``k``.

    Returns
    -------
    neighbours : ndarray of shape (n, k), int64
        Corpus rows, ``-1`` where the list is shorter than ``k``.
    scores : ndarray of shape (n, k), float64, or None
        Scores where the items carry them, NaN padding; None for plain ids.

    Raises
    ------
    KeyError
        When a neighbour id is not in ``ids``.

    Examples
    --------
    >>> nb, sc = neighbours_from_lists({"a": ["c"], "c": ["a", "b"]}, ["a", "b", "c"], 2)
    >>> nb.tolist(), sc
    ([[2, -1], [-1, -1], [0, 1]], None)
    """
    row = {ident: i for i, ident in enumerate(ids)}
    neighbours = np.full((len(ids), k), -1, dtype=np.int64)
    scores = np.full((len(ids), k), np.nan)
    has_scores = False
    for ident, items in lists.items():
        i = row[ident]
        for j, item in enumerate(list(items)[:k]):
            if isinstance(item, str):
                neighbours[i, j] = row[item]
            else:
                neighbours[i, j] = row[item.id]
                scores[i, j] = item.score
                has_scores = True
    return neighbours, (scores if has_scores else None)


def _label_matrix(labels: Labels) -> sp.csr_matrix:
    """Articles × distinct labels, 1 where the article has the label."""
    vocabulary: dict[str, int] = {}
    rows, cols = [], []
    for i, names in enumerate(labels):
        for name in set(names):
            rows.append(i)
            cols.append(vocabulary.setdefault(name, len(vocabulary)))
    data = np.ones(len(rows), dtype=np.int32)
    return sp.csr_matrix((data, (rows, cols)), shape=(len(labels), max(len(vocabulary), 1)))


def relevance(neighbours: np.ndarray, labels: Labels) -> np.ndarray:
    """Which neighbours share at least one label with their query.

    Parameters
    ----------
    neighbours : ndarray of shape (n, k), int
        Corpus rows, ``-1`` padding.
    labels : sequence of iterables of str
        ``labels[i]`` are the labels of corpus row ``i``.

    Returns
    -------
    ndarray of shape (n, k), bool
        False at padding.
    """
    return _relevance(np.asarray(neighbours), _label_matrix(labels))


def _relevance(neighbours: np.ndarray, label_matrix: sp.csr_matrix) -> np.ndarray:
    n, k = neighbours.shape
    queries, slots = np.nonzero(neighbours >= 0)
    shared = label_matrix[queries].multiply(label_matrix[neighbours[queries, slots]]).sum(axis=1)
    out = np.zeros((n, k), dtype=bool)
    out[queries, slots] = np.asarray(shared).ravel() > 0
    return out


def count_relevant(labels: Labels) -> np.ndarray:
    """For each article, how many *other* articles share at least one label with it.

    Returns
    -------
    ndarray of shape (n,), int64
        0 for an article without labels or whose labels nobody else has.

    Examples
    --------
    >>> count_relevant([{"a"}, {"a", "b"}, {"b"}, set()]).tolist()
    [1, 2, 1, 0]
    """
    return _count_relevant(_label_matrix(labels))


def _count_relevant(label_matrix: sp.csr_matrix) -> np.ndarray:
    n = label_matrix.shape[0]
    counts = np.zeros(n, dtype=np.int64)
    transposed = label_matrix.T.tocsc()
    step = max(1, _BLOCK_CELLS // max(n, 1))
    for start in range(0, n, step):
        # Entries of the product are shared-label counts, all positive: nnz = related articles.
        counts[start:start + step] = (label_matrix[start:start + step] @ transposed).getnnz(axis=1)
    has_labels = label_matrix.getnnz(axis=1) > 0
    return counts - has_labels  # the article itself


# --- metrics (one value per query, NaN where the query has no relevant partner) ------------


def _check_k(k: int, width: int) -> None:
    if not isinstance(k, int | np.integer) or isinstance(k, bool) or not 1 <= k <= width:
        raise ValueError(f"k must be a whole number from 1 to the list width {width}, got {k!r}")


def _precision(rel: np.ndarray, n_relevant: np.ndarray, k: int) -> np.ndarray:
    _check_k(k, rel.shape[1])
    return np.where(n_relevant > 0, rel[:, :k].sum(axis=1) / k, np.nan)


def _recall(rel: np.ndarray, n_relevant: np.ndarray, k: int) -> np.ndarray:
    _check_k(k, rel.shape[1])
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(n_relevant > 0, rel[:, :k].sum(axis=1) / n_relevant, np.nan)


def _ndcg(rel: np.ndarray, n_relevant: np.ndarray, k: int) -> np.ndarray:
    _check_k(k, rel.shape[1])
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    dcg = rel[:, :k] @ discounts
    ideal_cumulative = np.concatenate(([0.0], np.cumsum(discounts)))
    ideal = ideal_cumulative[np.minimum(n_relevant, k)]
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(n_relevant > 0, dcg / ideal, np.nan)


def _reciprocal_rank(rel: np.ndarray, n_relevant: np.ndarray) -> np.ndarray:
    first = np.argmax(rel, axis=1)
    found = rel[np.arange(rel.shape[0]), first]
    values = np.where(found, 1.0 / (first + 1), 0.0)
    return np.where(n_relevant > 0, values, np.nan)


def precision_at_k(neighbours: np.ndarray, labels: Labels, k: int) -> np.ndarray:
    """Share of the first ``k`` slots holding a relevant neighbour.

    The denominator is always ``k``: a list shorter than ``k`` counts its
    missing slots as misses.

    Parameters
    ----------
    neighbours : ndarray of shape (n, width), int
        Corpus rows best first, ``-1`` padding; ``width >= k``.
    labels : sequence of iterables of str
        Labels per corpus row.
    k : int

    Returns
    -------
    ndarray of shape (n,), float
        NaN for queries with no relevant partner in the corpus.

    Examples
    --------
    >>> labels = [{"x"}, {"x"}, {"y"}, {"x"}]
    >>> precision_at_k(np.array([[1, 2], [0, -1], [0, 1], [0, 1]]), labels, 2).tolist()
    [0.5, 0.5, nan, 1.0]
    """
    neighbours = np.asarray(neighbours)
    matrix = _label_matrix(labels)
    return _precision(_relevance(neighbours, matrix), _count_relevant(matrix), k)


def recall_at_k(neighbours: np.ndarray, labels: Labels, k: int) -> np.ndarray:
    """Relevant neighbours among the first ``k``, over all relevant articles in the corpus.

    The query itself never counts as relevant to itself.

    Returns
    -------
    ndarray of shape (n,), float
        NaN for queries with no relevant partner in the corpus.

    Examples
    --------
    >>> labels = [{"x"}, {"x"}, {"x"}, {"y"}]
    >>> recall_at_k(np.array([[1, 3], [3, -1], [3, 0], [0, 1]]), labels, 2).tolist()
    [0.5, 0.0, 0.5, nan]
    """
    neighbours = np.asarray(neighbours)
    matrix = _label_matrix(labels)
    return _recall(_relevance(neighbours, matrix), _count_relevant(matrix), k)


def ndcg_at_k(neighbours: np.ndarray, labels: Labels, k: int = 10) -> np.ndarray:
    """Normalised discounted cumulative gain with binary gains.

    ``DCG = sum(rel_i / log2(i + 1))`` over positions ``i = 1..k``, divided by
    the DCG of an ideal list holding ``min(k, relevant in corpus)`` hits first.

    Returns
    -------
    ndarray of shape (n,), float
        In [0, 1]; NaN for queries with no relevant partner in the corpus.

    Examples
    --------
    >>> labels = [{"x"}, {"x"}, {"x"}, {"y"}]
    >>> round(float(ndcg_at_k(np.array([[3, 1], [0, 2], [3, -1], [0, 1]]), labels, 2)[0]), 4)
    0.3869
    """
    neighbours = np.asarray(neighbours)
    matrix = _label_matrix(labels)
    return _ndcg(_relevance(neighbours, matrix), _count_relevant(matrix), k)


def reciprocal_rank(neighbours: np.ndarray, labels: Labels) -> np.ndarray:
    """``1 / rank`` of the first relevant neighbour in the list, 0 when there is none.

    The mean over queries is the MRR.

    Returns
    -------
    ndarray of shape (n,), float
        NaN for queries with no relevant partner in the corpus.

    Examples
    --------
    >>> labels = [{"x"}, {"x"}, {"x"}, {"y"}]
    >>> reciprocal_rank(np.array([[3, 1], [0, 2], [3, -1], [0, 1]]), labels).tolist()
    [0.5, 1.0, 0.0, nan]
    """
    neighbours = np.asarray(neighbours)
    matrix = _label_matrix(labels)
    return _reciprocal_rank(_relevance(neighbours, matrix), _count_relevant(matrix))


def coverage(
    neighbours: np.ndarray, k: int, scores: np.ndarray | None = None, floor: float = 0.0
) -> np.ndarray:
    """Whether each query's list is full: ``k`` neighbours, each scoring above ``floor``.

    Parameters
    ----------
    neighbours : ndarray of shape (n, width), int
        ``-1`` padding.
    k : int
    scores : ndarray of shape (n, width), optional
        When given, a neighbour scoring ``<= floor`` (or NaN) does not count:
        a baseline that fills its list with zero-similarity articles is not full.
    floor : float, default 0.0

    Returns
    -------
    ndarray of shape (n,), bool
        Defined for every query, labelled or not.

    Examples
    --------
    >>> coverage(np.array([[1, 2], [0, -1]]), 2).tolist()
    [True, False]
    >>> coverage(np.array([[1, 2], [0, 2]]), 2, scores=np.array([[0.5, 0.0], [0.3, 0.1]])).tolist()
    [False, True]
    """
    neighbours = np.asarray(neighbours)
    if neighbours.shape[1] < k:
        return np.zeros(neighbours.shape[0], dtype=bool)
    full = (neighbours[:, :k] >= 0).all(axis=1)
    if scores is not None:
        with np.errstate(invalid="ignore"):
            full &= (np.asarray(scores)[:, :k] > floor).all(axis=1)
    return full


# --- bootstrap ---------------------------------------------------------------------------


def bootstrap_interval(
    values: np.ndarray, *, n_resamples: int = 1000, confidence: float = 0.95, seed: int = 0
) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean over queries.

    Parameters
    ----------
    values : array-like of shape (n,)
        One value per query; NaN values (excluded queries) are dropped first.
    n_resamples : int, default 1000
    confidence : float, default 0.95
    seed : int, default 0
        The same seed and values give the same interval.

    Returns
    -------
    (low, high) : tuple of float
        NaN, NaN when no value is left.

    Examples
    --------
    >>> low, high = bootstrap_interval(np.array([0.0, 1.0, 1.0, 1.0]), seed=1)
    >>> low <= 0.75 <= high
    True
    """
    return _bootstrap(np.asarray(values, dtype=float)[:, None], n_resamples, confidence, seed)[0]


def _bootstrap(
    columns: np.ndarray, n_resamples: int, confidence: float, seed: int
) -> list[tuple[float, float]]:
    """Intervals for each column of an (n, m) array, all from one set of resamples.

    Rows holding NaN in any column are dropped, so call it per query population.
    """
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence!r}")
    if not isinstance(n_resamples, int) or n_resamples < 1:
        raise ValueError(f"n_resamples must be a positive whole number, got {n_resamples!r}")
    columns = columns[~np.isnan(columns).any(axis=1)]
    n = columns.shape[0]
    if n == 0:
        return [(float("nan"), float("nan"))] * columns.shape[1]
    rng = np.random.default_rng(seed)
    resamples = rng.integers(0, n, size=(n_resamples, n), dtype=np.int32 if n < 2**31 else np.int64)
    tail = (1.0 - confidence) / 2.0 * 100.0
    out = []
    for column in columns.T:
        means = column[resamples].mean(axis=1)
        low, high = np.percentile(means, [tail, 100.0 - tail])
        out.append((float(low), float(high)))
    return out


# --- baselines ---------------------------------------------------------------------------


def _top_k(block: np.ndarray, k: int) -> np.ndarray:
    """Columns of the ``k`` best scores per row: score descending, then column ascending."""
    rows, width = block.shape
    if k >= width:
        return np.argsort(-block, axis=1, kind="stable")
    part = np.argpartition(-block, k - 1, axis=1)[:, :k]
    kth = np.take_along_axis(block, part, axis=1).min(axis=1)
    # Where more than k columns reach the k-th score, the partition chose among the tied ones
    # arbitrarily: those rows take the exact (slower) stable sort.
    tied = (block >= kth[:, None]).sum(axis=1) > k
    order = np.empty((rows, k), dtype=np.int64)
    clean = ~tied
    candidates = part[clean]
    values = np.take_along_axis(block[clean], candidates, axis=1)
    order[clean] = np.take_along_axis(candidates, np.lexsort((candidates, -values), axis=-1), 1)
    if tied.any():
        order[tied] = np.argsort(-block[tied], axis=1, kind="stable")[:, :k]
    return order


def _all_pairs_top_k(
    score_rows: Callable[[int, int], np.ndarray], n: int, k: int, return_scores: bool
) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """Top-k of every row of an n × n similarity, computed a block of rows at a time.

    ``score_rows(start, stop)`` returns the dense ``(stop - start, n)`` block.
    The diagonal is masked with -inf, so an article is never its own neighbour
    even when an identical article exists.
    """
    if not isinstance(k, int | np.integer) or isinstance(k, bool) or k < 1:
        raise ValueError(f"k must be a positive whole number, got {k!r}")
    width = min(k, n - 1)
    neighbours = np.full((n, k), -1, dtype=np.int64)
    scores = np.full((n, k), np.nan)
    step = max(1, _BLOCK_CELLS // max(n, 1))
    for start in range(0, n if width > 0 else 0, step):
        stop = min(start + step, n)
        block = np.asarray(score_rows(start, stop), dtype=np.float64)
        block[np.arange(stop - start), np.arange(start, stop)] = -np.inf
        best = _top_k(block, width)[:, :width]
        neighbours[start:stop, :width] = best
        scores[start:stop, :width] = np.take_along_axis(block, best, axis=1)
    return (neighbours, scores) if return_scores else neighbours


def _cosine_top_k(matrix, k: int, return_scores: bool):
    """Top-k by dot product of L2-normalised rows (sparse or dense)."""
    transposed = matrix.T.tocsc() if sp.issparse(matrix) else matrix.T

    def score_rows(start: int, stop: int) -> np.ndarray:
        block = matrix[start:stop] @ transposed
        return block.toarray() if sp.issparse(block) else block

    return _all_pairs_top_k(score_rows, matrix.shape[0], k, return_scores)


def _texts(texts: Sequence[str]) -> list[str]:
    texts = list(texts)
    if not texts or not all(isinstance(t, str) for t in texts):
        raise ValueError("texts must be a non-empty list of strings")
    return texts


def sklearn_default(texts: Sequence[str], k: int, *, return_scores: bool = False):
    """scikit-learn ``TfidfVectorizer()`` with its defaults, cosine similarity.

    What a user gets from the first tutorial: no stop words, no accent folding,
    raw term counts.

    Parameters
    ----------
    texts : list of str
        One text per article (the harness passes ``title + "\\n" + body``).
    k : int
        Neighbours per article.
    return_scores : bool, default False

    Returns
    -------
    neighbours : ndarray of shape (n, k), int64
        Rows best first (score descending, row ascending), ``-1`` padding
        when ``n - 1 < k``; the article itself never appears.
    scores : ndarray of shape (n, k), float64
        Only when ``return_scores``; NaN padding.

    Examples
    --------
    >>> sklearn_default(["red apple", "red apple", "blue sea"], 1).tolist()
    [[1], [0], [0]]
    """
    matrix = TfidfVectorizer().fit_transform(_texts(texts))
    return _cosine_top_k(matrix, k, return_scores)


def _tuned_vectorizer() -> TfidfVectorizer:
    return TfidfVectorizer(sublinear_tf=True, min_df=2, max_df=0.5, strip_accents="unicode")


def tuned_tfidf(texts: Sequence[str], k: int, *, return_scores: bool = False):
    """TF-IDF tuned by hand, cosine similarity.

    ``TfidfVectorizer(sublinear_tf=True, min_df=2, max_df=0.5,
    strip_accents="unicode")``: log term counts, terms of a single article and
    terms of more than half the articles dropped (a stop-word list learned from
    the corpus), accents folded. Parameters and returns as
    :func:`sklearn_default`; needs at least 4 texts (``max_df`` must leave room
    for ``min_df``).
    """
    matrix = _tuned_vectorizer().fit_transform(_texts(texts))
    return _cosine_top_k(matrix, k, return_scores)


def lsa(
    texts: Sequence[str], k: int, *, return_scores: bool = False, n_components: int = 200
):
    """Latent semantic analysis: truncated SVD of the tuned TF-IDF matrix, cosine.

    ``TruncatedSVD(n_components=200, random_state=0)`` on the matrix of
    :func:`tuned_tfidf`, rows L2-normalised after the projection. On a small
    corpus ``n_components`` is lowered to ``min(n_docs, n_terms) - 1``.
    Parameters and returns as :func:`sklearn_default`.
    """
    matrix = _tuned_vectorizer().fit_transform(_texts(texts))
    components = max(1, min(n_components, min(matrix.shape) - 1))
    reduced = TruncatedSVD(n_components=components, random_state=0).fit_transform(matrix)
    norms = np.linalg.norm(reduced, axis=1, keepdims=True)
    reduced = np.divide(reduced, norms, out=np.zeros_like(reduced), where=norms > 0)
    return _cosine_top_k(reduced, k, return_scores)


def bm25(texts: Sequence[str], k: int, *, return_scores: bool = False):
    """Okapi BM25 from the ``bm25s`` package, each article querying with its own text.

    Tokens come from ``bm25s.tokenize`` with its defaults (lower case,
    ``\\b\\w\\w+\\b``, *English* stop words, no stemming) — what a user of the
    package gets, also on Portuguese text. Every article is indexed with
    ``bm25s.BM25()`` defaults (Lucene variant, k1=1.5, b=0.75), then queried
    with its full token list, repeats included: bm25s adds a term's weight once
    per occurrence in the query, so long articles make long queries in which
    frequent terms weigh in proportion to their count. Scores come from
    ``BM25.get_scores`` (one query at a time), so they are not symmetric.
    Parameters and returns as :func:`sklearn_default`.

    Raises
    ------
    ImportError
        When ``bm25s`` is not installed, with the command to install it.
    """
    try:
        import bm25s
    except ImportError as exc:
        raise ImportError("the bm25 baseline needs the bm25s package: pip install bm25s") from exc
    texts = _texts(texts)
    tokens = bm25s.tokenize(texts, show_progress=False)
    retriever = bm25s.BM25()
    retriever.index(tokens, show_progress=False)

    def score_rows(start: int, stop: int) -> np.ndarray:
        block = np.zeros((stop - start, len(texts)))
        for row, query in enumerate(tokens.ids[start:stop]):
            if query:  # an article with no token scores 0 everywhere
                block[row] = retriever.get_scores(list(query))
        return block

    return _all_pairs_top_k(score_rows, len(texts), k, return_scores)


#: The baselines a user might pick instead of our index, by name.
BASELINES: dict[str, Callable[..., Any]] = {
    "sklearn_default": sklearn_default,
    "tuned_tfidf": tuned_tfidf,
    "bm25": bm25,
    "lsa": lsa,
}


# --- harness -----------------------------------------------------------------------------


def _related_index_class():
    from recommender import RelatedIndex  # lazily: the harness sits above the index

    return RelatedIndex


def default_methods() -> dict[str, Callable[..., Any] | dict[str, Any]]:
    """The four baselines and our index with its default settings (``"ours": {}``)."""
    return {**BASELINES, "ours": {}}


def _run_ours(corpus, k: int, settings: Mapping[str, Any]):
    index = _related_index_class()(**settings).fit(list(corpus.articles))
    return neighbours_from_lists(index.related_all(k=k), corpus.ids, k)


def _summary_line(function: Callable[..., Any]) -> str:
    doc = (function.__doc__ or function.__name__).strip()
    return doc.split("\n\n", 1)[0].replace("\n", " ")


def run_evaluation(
    corpus,
    *,
    ks: Sequence[int] = tuple(range(1, 11)),
    methods: Mapping[str, Callable[..., Any] | Mapping[str, Any]] | None = None,
    floor: float = 0.0,
    n_resamples: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Measure every method on one labelled corpus, on the same documents in the same run.

    Parameters
    ----------
    corpus : LabelledCorpus
        From :mod:`recommender.corpora`.
    ks : sequence of int, default 1..10
        Cut-offs for precision and recall; lists are ``max(ks)`` long, and
        nDCG, MRR and coverage are taken at that length.
    methods : mapping, optional
        Name to method. A callable is a baseline following the protocol
        ``f(texts, k, *, return_scores)`` (see :data:`BASELINES`) and gets
        ``title + "\\n" + body`` per article. A mapping is a settings dict for
        our index, run as ``RelatedIndex(**settings).fit(articles).related_all(k=k)``;
        give several under different names (``"ours"``, ``"ours-stemmed"``) to
        compare settings. Default: :func:`default_methods`.
    floor : float, default 0.0
        A neighbour must score above this to count toward coverage.
    n_resamples, confidence, seed
        Bootstrap over queries: the same resampled queries for every method
        and metric (paired), so the intervals are reproducible for a seed.
    progress : callable, optional
        Called with a line of text as each method starts and ends.

    Returns
    -------
    dict
        JSON-ready: ``corpus``, ``n_docs``, ``n_queries_scored``,
        ``n_queries_excluded`` (no other article shares a label),
        ``ks``, ``floor``, ``bootstrap`` (its parameters), ``methods``
        (per name: ``kind``, ``description``, ``settings``, ``wall_time_s``
        for fit plus all queries, ``metrics`` mapping ``precision@k``,
        ``recall@k``, ``ndcg@K``, ``mrr``, ``coverage@K`` to ``{"value",
        "low", "high"}``, and ``precision_at_k`` as a list over ``ks``),
        and ``skipped`` (name to reason, e.g. a package not installed), in
        the order the methods were given.
    """
    ks = sorted({int(k) for k in ks})
    if not ks or ks[0] < 1:
        raise ValueError(f"ks must hold positive whole numbers, got {ks!r}")
    width = ks[-1]
    methods = default_methods() if methods is None else dict(methods)
    say = progress or (lambda line: None)

    label_matrix = _label_matrix(corpus.labels)
    n_relevant = _count_relevant(label_matrix)
    scored = n_relevant > 0
    texts = corpus.texts()
    result: dict[str, Any] = {
        "corpus": corpus.name,
        "n_docs": len(corpus),
        "n_labels": int(label_matrix.shape[1]) if label_matrix.nnz else 0,
        "n_queries_scored": int(scored.sum()),
        "n_queries_excluded": int((~scored).sum()),
        "excluded_because": "no other article shares a label with it",
        "ks": ks,
        "floor": floor,
        "bootstrap": {"n_resamples": n_resamples, "confidence": confidence, "seed": seed,
                      "method": "percentile, queries resampled, same resamples for all methods"},
        "methods": {},
        "skipped": {},
    }
    for name, method in methods.items():
        say(f"{corpus.name}: {name} ...")
        started = time.perf_counter()
        try:
            if callable(method):
                kind, settings, description = "baseline", None, _summary_line(method)
                neighbours, scores = method(texts, width, return_scores=True)
            elif isinstance(method, Mapping):
                kind, settings = "ours", dict(method)
                description = f"RelatedIndex(**{settings!r})"
                neighbours, scores = _run_ours(corpus, width, settings)
            else:
                raise TypeError(f"method {name!r} must be a baseline function or a settings "
                                f"dict for RelatedIndex, got {type(method).__name__}")
        except ImportError as exc:
            result["skipped"][name] = str(exc)
            say(f"{corpus.name}: {name} skipped: {exc}")
            continue
        elapsed = time.perf_counter() - started
        rel = _relevance(neighbours, label_matrix)
        per_query = {f"precision@{k}": _precision(rel, n_relevant, k) for k in ks}
        per_query |= {f"recall@{k}": _recall(rel, n_relevant, k) for k in ks}
        per_query[f"ndcg@{width}"] = _ndcg(rel, n_relevant, width)
        per_query["mrr"] = _reciprocal_rank(rel, n_relevant)
        full = coverage(neighbours, width, scores, floor).astype(float)
        metrics = _summarise(per_query, scored, n_resamples, confidence, seed)
        metrics |= _summarise({f"coverage@{width}": full}, np.ones(len(corpus), dtype=bool),
                              n_resamples, confidence, seed)
        result["methods"][name] = {
            "kind": kind,
            "description": description,
            "settings": settings,
            "wall_time_s": round(elapsed, 3),
            "metrics": metrics,
            "precision_at_k": [metrics[f"precision@{k}"]["value"] for k in ks],
        }
        say(f"{corpus.name}: {name} done in {elapsed:.1f} s")
    return result


def _summarise(
    per_query: dict[str, np.ndarray], rows: np.ndarray, n_resamples: int, confidence: float,
    seed: int,
) -> dict[str, dict[str, float]]:
    names = list(per_query)
    columns = np.column_stack([per_query[name][rows] for name in names])
    intervals = _bootstrap(columns, n_resamples, confidence, seed)
    out = {}
    for name, column, (low, high) in zip(names, columns.T, intervals, strict=True):
        value = float(column.mean()) if column.size else float("nan")
        out[name] = {"value": _round(value), "low": _round(low), "high": _round(high)}
    return out


def _round(value: float) -> float | None:
    return None if np.isnan(value) else round(float(value), 6)


# --- report ------------------------------------------------------------------------------


def _cell(metric: dict[str, float | None] | None) -> str:
    if metric is None or metric["value"] is None:
        return "–"
    if metric["low"] is None:
        return f"{metric['value']:.3f}"
    return f"{metric['value']:.3f} [{metric['low']:.3f}, {metric['high']:.3f}]"


def to_markdown(results: Mapping[str, Any] | Iterable[Mapping[str, Any]]) -> str:
    """Markdown tables of :func:`run_evaluation` results, one per corpus.

    Methods are rows; columns are P@5, P@10, R@10, nDCG@10, MRR, coverage and
    wall time, each metric as ``mean [low, high]``.

    Parameters
    ----------
    results : dict or iterable of dict
        One result of :func:`run_evaluation`, or several.

    Returns
    -------
    str
    """
    if isinstance(results, Mapping):
        results = [results]
    parts = []
    for result in results:
        width = max(result["ks"])
        boot = result["bootstrap"]
        columns = [("P@5", "precision@5"), ("P@10", "precision@10"), ("R@10", "recall@10"),
                   (f"nDCG@{width}", f"ndcg@{width}"), ("MRR", "mrr"),
                   (f"coverage@{width}", f"coverage@{width}")]
        lines = [
            f"### {result['corpus']}",
            "",
            f"{result['n_docs']:,} documents; {result['n_queries_scored']:,} queries scored, "
            f"{result['n_queries_excluded']:,} excluded ({result['excluded_because']}). "
            f"Mean over queries [{boot['confidence']:.0%} bootstrap interval, "
            f"{boot['n_resamples']:,} resamples, seed {boot['seed']}].",
            "",
            "| method | " + " | ".join(title for title, _ in columns) + " | time (s) |",
            "|---" * (len(columns) + 2) + "|",
        ]
        for name, entry in result["methods"].items():
            cells = [_cell(entry["metrics"].get(key)) for _, key in columns]
            lines.append(f"| {name} | " + " | ".join(cells) + f" | {entry['wall_time_s']:.1f} |")
        for name, reason in result.get("skipped", {}).items():
            lines.append(f"\n*{name} skipped: {reason}*")
        parts.append("\n".join(lines))
    return "\n\n".join(parts) + "\n"
