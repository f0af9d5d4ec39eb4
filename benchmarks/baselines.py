"""The baselines a user would pick instead of our index, each as a user would write it.

* ``sklearn_brute``: ``TfidfVectorizer`` + ``linear_kernel(query, X)`` + ``argpartition``
  top-k — the reference every figure is also given as a ratio to.
* ``sklearn_nn``: ``NearestNeighbors(metric="cosine", algorithm="brute")`` on the same
  matrix.
* ``sparse_dot_topn``: ``sp_matmul_topn(X, X.T, top_n=k + 1, n_threads=...)`` for all
  pairs (package ``sparse_dot_topn`` 1.x).
* ``bm25s``: Okapi BM25 of the ``bm25s`` package, numba backend, for free text.
* ``tantivy_mlt``: tantivy's MoreLikeThis query from the query text
  (``Query.more_like_this_document_fields_query``, package ``tantivy``), for free text.

The vectorizer is the same for the scikit-learn family: ``TfidfVectorizer(
sublinear_tf=True, stop_words=<our Portuguese and English stop words>,
dtype=float32)`` — log term frequencies and stop words as in our defaults, float32 as
our matrix, so the brute-force baseline does no more arithmetic than it has to. The
text is title, blurb, body, tags and author (see
:func:`benchmarks.workspace.baseline_text`).

The optional ones raise :class:`Missing` (an ImportError) with the install command
when their package is absent; the scripts skip them with that message.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from recommender.stopwords import ENGLISH_STOP_WORDS, PORTUGUESE_STOP_WORDS

#: Our stop words that scikit-learn's default token pattern can produce (two or more
#: word characters); the others could never match and would only draw its warning.
STOP_WORDS = sorted(w for w in PORTUGUESE_STOP_WORDS | ENGLISH_STOP_WORDS
                    if re.fullmatch(r"\w\w+", w))

#: Scores of ``linear_kernel`` computed at once in the all-pairs baseline (block × n).
BLOCK_CELLS = 1 << 22


class Missing(ImportError):
    """An optional baseline's package is not installed."""


def available(factories, skipped: dict[str, str], label: str, say):
    """Yield ``(name, model)`` for each baseline factory that can be built; a missing
    optional package is recorded in ``skipped`` and announced, not raised."""
    for name, factory in factories:
        say(f"{label}: {name}")
        try:
            model = factory()
        except Missing as exc:
            skipped[name] = str(exc)
            say(f"  skipped {name}: {exc}")
            continue
        yield name, model


def _require(module: str, pip_name: str):
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise Missing(f"{pip_name} is not installed (pip install {pip_name}, or "
                      f"pip install -e '.[bench]')") from exc


def top_k(scores: np.ndarray, k: int, exclude: int | None = None) -> list[int]:
    """Rows of the ``k`` largest scores, best first (``exclude`` left out)."""
    scores = np.asarray(scores, dtype=np.float64).ravel()
    if exclude is not None:
        scores = scores.copy()
        scores[exclude] = -np.inf
    m = min(k, scores.size - (exclude is not None))
    if m <= 0:
        return []
    part = np.argpartition(-scores, m - 1)[:m]
    order = part[np.lexsort((part, -scores[part]))]
    return order.tolist()


def tfidf_vectorizer():
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(sublinear_tf=True, stop_words=STOP_WORDS, dtype=np.float32)


class SklearnBrute:
    """TfidfVectorizer + linear_kernel + argpartition: brute force, one query at a time."""

    name = "sklearn_brute"
    description = ("TfidfVectorizer(sublinear_tf, stop words, float32) + linear_kernel + "
                   "argpartition")

    def __init__(self, k: int = 10):
        self.k = k

    def fit(self, texts: Sequence[str]) -> SklearnBrute:
        self.vectorizer = tfidf_vectorizer()
        self.X = self.vectorizer.fit_transform(texts)
        return self

    def related(self, row: int) -> list[int]:
        from sklearn.metrics.pairwise import linear_kernel

        return top_k(linear_kernel(self.X[row], self.X).ravel(), self.k, exclude=row)

    def similar(self, text: str) -> list[int]:
        from sklearn.metrics.pairwise import linear_kernel

        query = self.vectorizer.transform([text])
        return top_k(linear_kernel(query, self.X).ravel(), self.k)

    def all_pairs(self, rows: slice | None = None) -> list[list[int]]:
        """Every row's top k, a block of rows at a time (bounded memory)."""
        from sklearn.metrics.pairwise import linear_kernel

        n = self.X.shape[0]
        start, stop = (0, n) if rows is None else (rows.start or 0, min(rows.stop, n))
        block = max(1, BLOCK_CELLS // max(n, 1))
        k = min(self.k, n - 1)
        lists: list[list[int]] = []
        for a in range(start, stop, block):
            b = min(a + block, stop)
            scores = linear_kernel(self.X[a:b], self.X)
            scores[np.arange(b - a), np.arange(a, b)] = -np.inf
            part = np.argpartition(-scores, k - 1, axis=1)[:, :k]
            values = np.take_along_axis(scores, part, axis=1)
            order = np.argsort(-values, axis=1, kind="stable")
            lists += np.take_along_axis(part, order, axis=1).tolist()
        return lists

    def save(self, folder: Path) -> None:
        import joblib

        folder.mkdir(parents=True, exist_ok=True)
        joblib.dump((self.vectorizer, self.X), folder / "model.joblib")

    @staticmethod
    def load(folder: Path) -> Any:
        import joblib

        return joblib.load(folder / "model.joblib")


class SklearnNN:
    """NearestNeighbors(metric="cosine", algorithm="brute") on the TF-IDF matrix."""

    name = "sklearn_nn"
    description = 'NearestNeighbors(metric="cosine", algorithm="brute")'

    def __init__(self, brute: SklearnBrute, n_jobs: int | None = None):
        from sklearn.neighbors import NearestNeighbors

        self.brute = brute
        self.k = brute.k
        self.model = NearestNeighbors(n_neighbors=self.k + 1, metric="cosine",
                                      algorithm="brute", n_jobs=n_jobs).fit(brute.X)

    def related(self, row: int) -> list[int]:
        found = self.model.kneighbors(self.brute.X[row], n_neighbors=self.k + 1,
                                      return_distance=False)[0]
        return [int(i) for i in found if i != row][:self.k]

    def similar(self, text: str) -> list[int]:
        query = self.brute.vectorizer.transform([text])
        return self.model.kneighbors(query, n_neighbors=self.k,
                                     return_distance=False)[0].tolist()

    def all_pairs(self, rows: slice | None = None) -> list[list[int]]:
        X = self.brute.X if rows is None else self.brute.X[rows]
        offset = 0 if rows is None else (rows.start or 0)
        found = self.model.kneighbors(X, n_neighbors=self.k + 1, return_distance=False)
        return [[int(i) for i in line if i != offset + r][:self.k]
                for r, line in enumerate(found)]


class SparseDotTopn:
    """sp_matmul_topn(X, X.T, top_n=k + 1) for every article's top k at once."""

    name = "sparse_dot_topn"
    description = "sparse_dot_topn.sp_matmul_topn(X, X.T, top_n=k+1, sort=True, n_threads=T)"

    def __init__(self, brute: SklearnBrute, n_threads: int | None):
        self.module = _require("sparse_dot_topn", "sparse_dot_topn")
        self.brute = brute
        self.k = brute.k
        self.n_threads = n_threads

    def all_pairs(self, rows: slice | None = None) -> list[list[int]]:
        X = self.brute.X
        A = X if rows is None else X[rows]
        offset = 0 if rows is None else (rows.start or 0)
        threads = self.n_threads if self.n_threads and self.n_threads > 1 else None
        C = self.module.sp_matmul_topn(A, X.T, top_n=self.k + 1, sort=True, n_threads=threads)
        indptr, indices = C.indptr, C.indices
        return [[int(i) for i in indices[indptr[r]:indptr[r + 1]] if i != offset + r][:self.k]
                for r in range(A.shape[0])]


class BM25:
    """bm25s (numba backend): our stop words, its default tokenizer, one query at a time."""

    name = "bm25s"
    description = "bm25s.BM25(backend='numba'), Tokenizer(stopwords=our pt+en list)"

    def __init__(self, k: int = 10):
        self.bm25s = _require("bm25s", "bm25s")
        _require("numba", "numba")
        self.k = k

    def fit(self, texts: Sequence[str]) -> BM25:
        from bm25s.tokenization import Tokenizer

        self.tokenizer = Tokenizer(stopwords=STOP_WORDS)
        tokens = self.tokenizer.tokenize(list(texts), show_progress=False, return_as="tuple")
        self.retriever = self.bm25s.BM25(backend="numba")
        self.retriever.index(tokens, show_progress=False)
        self.size = len(texts)
        return self

    def similar(self, text: str) -> list[int]:
        query = self.tokenizer.tokenize([text], update_vocab=False, show_progress=False,
                                        return_as="ids")
        if not query or not query[0]:
            return []
        k = min(self.k, self.size)
        rows, scores = self.retriever.retrieve(query, k=k, show_progress=False, n_threads=1)
        return [int(r) for r, s in zip(rows[0], scores[0], strict=True) if s > 0]

    def save(self, folder: Path) -> None:
        self.retriever.save(str(folder))

    def load(self, folder: Path) -> Any:
        return self.bm25s.BM25.load(str(folder))


class TantivyMLT:
    """tantivy's MoreLikeThis: an on-disk index, the query text as the liked document."""

    name = "tantivy_mlt"
    description = ("tantivy Index (default tokenizer) + Query.more_like_this_document_fields_"
                   "query(text, stop_words=our list), other MLT settings at their defaults")

    def __init__(self, k: int = 10, threads: int | None = None):
        self.tantivy = _require("tantivy", "tantivy")
        self.k = k
        self.threads = threads or 0

    def fit(self, texts: Sequence[str], folder: Path) -> TantivyMLT:
        tantivy = self.tantivy
        builder = tantivy.SchemaBuilder()
        builder.add_integer_field("row", stored=True, fast=True)
        builder.add_text_field("text", stored=False, index_option="freq")
        self.schema = builder.build()
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self.index = tantivy.Index(self.schema, path=str(folder), reuse=False)
        writer = self.index.writer(heap_size=max(128_000_000, 64_000_000 * self.threads),
                                   num_threads=self.threads)
        for row, text in enumerate(texts):
            writer.add_document(tantivy.Document(row=row, text=text))
        writer.commit()
        writer.wait_merging_threads()
        self.index.reload()
        self.searcher = self.index.searcher()
        return self

    #: MoreLikeThis settings other than tantivy's (Lucene's) defaults.
    options: dict[str, Any] = {}

    def similar(self, text: str) -> list[int]:
        query = self.tantivy.Query.more_like_this_document_fields_query(
            self.schema, {"text": [text]}, stop_words=STOP_WORDS, **self.options)
        hits = self.searcher.search(query, limit=self.k, count=False).hits
        return [self.searcher.doc(address)["row"][0] for _, address in hits]

    def open(self, folder: Path) -> Any:
        index = self.tantivy.Index.open(str(folder))
        return index.searcher()


class TantivyMLTTuned(TantivyMLT):
    """The same tantivy index, MoreLikeThis tuned for recall: every query term counts
    (min_term_frequency=1, min_doc_frequency=1) and up to 100 of them (default 25).

    With the defaults, a query of a few hundred words keeps few terms (a term must occur
    twice in it and in five articles); on generated essays that ranks far from every
    TF-IDF model. This variant shows the peer at a quality nearer ours, and its cost.
    """

    name = "tantivy_mlt_tuned"
    description = ("tantivy MoreLikeThis, min_term_frequency=1, min_doc_frequency=1, "
                   "max_query_terms=100, stop_words=our list")
    options = {"min_term_frequency": 1, "min_doc_frequency": 1, "max_query_terms": 100}

    def __init__(self, fitted: TantivyMLT):  # shares the fitted index
        self.__dict__.update(fitted.__dict__)


def nnz_per_row(X: sp.csr_matrix) -> float:
    return X.nnz / max(X.shape[0], 1)


def quiet(func, *args, **kwargs):
    """Call a baseline with its packages' chatter (deprecation notices) silenced."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return func(*args, **kwargs)
