"""A latent (LSA) view of the TF-IDF rows, blended with their cosine.

Latent semantic analysis projects each L2-normalised TF-IDF row onto the
leading right singular vectors of the article × term matrix, so two articles
on one subject score high even when they share few exact words. The index
blends the two similarities::

    score = (1 - alpha) * cos_tfidf + alpha * cos_latent, clipped to [0, 1]

Everything learned is a plain numpy array (no pickled scikit-learn object):
``components`` (n_components × n_terms) and the articles' unit latent rows
(n_articles × n_components), both float32, so an index can save them as
``.npy`` and project a query with a matrix product.

The decomposition is a float32 randomized truncated SVD (as scikit-learn's
``TruncatedSVD``, written here to multiply by a row-major transpose and to
serve several spaces from one decomposition) with a fixed ``random_state``;
component signs are fixed by the largest entry of each component. Cosines between latent rows do not depend on the signs or the order
of the components anyway, only on the subspace they span.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.linalg import solve_triangular

from .products import sparse_times_dense, transposed_times_dense

__all__ = ["n_latent_components", "fit_latent", "leading_components", "project", "blend", "blend_scores", "unit_rows"]


def n_latent_components(n_articles: int, n_terms: int, n_components: int) -> int:
    """Components actually fitted: ``n_components``, less on a corpus too small for it.

    Parameters
    ----------
    n_articles, n_terms : int
        Shape of the TF-IDF matrix.
    n_components : int
        Components asked for.

    Returns
    -------
    int
        ``min(n_components, n_articles // 10, n_terms - 1)``, and 0 when that is
        below 2. Ten articles per dimension at least: with fewer, the singular
        values of unrelated articles tie and the SVD returns an arbitrary
        subspace in which articles that share nothing look alike.

    Examples
    --------
    >>> n_latent_components(5000, 40000, 50), n_latent_components(300, 3000, 50)
    (50, 30)
    >>> n_latent_components(12, 300, 50)
    0
    """
    d = min(int(n_components), n_articles // 10, n_terms - 1)
    return d if d >= 2 else 0


def unit_rows(dense: np.ndarray) -> np.ndarray:
    """Rows divided by their L2 norm (zero rows stay zero)."""
    norms = np.linalg.norm(dense, axis=1, keepdims=True)
    return np.divide(dense, norms, out=np.zeros_like(dense), where=norms > 0)


def fit_latent(
    matrix: sp.spmatrix | np.ndarray, n_components: int = 50, *, n_iter: int = 5,
    random_state: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Fit the latent model of a TF-IDF matrix.

    Parameters
    ----------
    matrix : sparse matrix or ndarray of shape (n_articles, n_terms)
        L2-normalised TF-IDF rows (``RelatedIndex.matrix_``).
    n_components : int, default 50
        Latent dimensions asked for; see :func:`n_latent_components` for small corpora.
    n_iter : int, default 5
        Power iterations of the randomized SVD: more is closer to the exact
        SVD and slower (each costs two passes over the matrix).
    random_state : int, default 0
        Seed of the random projection; the same seed on the same data gives
        the same arrays.

    Returns
    -------
    components : ndarray of shape (d, n_terms), float32
        Right singular vectors, largest singular value first; ``d`` may be 0.
    vectors : ndarray of shape (n_articles, d), float32
        Each article's projection ``row @ components.T``, L2-normalised (a zero
        row stays zero).

    Raises
    ------
    ValueError
        When ``n_components`` or ``n_iter`` is not a positive whole number.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.tile([[1, 1, 0, 0], [1, 0.9, 0, 0], [0, 0, 1, 1], [0, 0, 1, 0.8]], (5, 1))
    >>> components, vectors = fit_latent(x / np.linalg.norm(x, axis=1, keepdims=True), 2)
    >>> components.shape, vectors.shape
    ((2, 4), (20, 2))
    >>> (np.round(vectors @ vectors.T, 2)[0, :4] + 0.0).tolist()
    [1.0, 1.0, 0.0, 0.0]
    """
    for name, value in (("n_components", n_components), ("n_iter", n_iter)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
            raise ValueError(f"{name} must be a positive whole number, got {value!r}")
    n_articles, n_terms = matrix.shape
    d = n_latent_components(n_articles, n_terms, n_components)
    if d == 0:
        return np.zeros((0, n_terms), np.float32), np.zeros((n_articles, 0), np.float32)
    components = leading_components(matrix, d, n_iter=n_iter, random_state=random_state)
    return components, project(matrix, components)


def leading_components(matrix: sp.spmatrix | np.ndarray, d: int, *, n_iter: int = 5,
                       random_state: int = 0, oversample: int = 10) -> np.ndarray:
    """The ``d`` leading right singular vectors of ``matrix``, float32, signs fixed.

    Randomized SVD (Halko, Martinsson and Tropp 2011, algorithm 4.4) in float32,
    renormalised by LU between power iterations and by QR once at the end, as
    scikit-learn's ``randomized_svd`` does (a QR per product costs ten times more). The
    sparse products share their rows (and the transposed ones their columns) among the
    cores, with the bits of scipy's products by the matrix and by a row-major copy of
    its transpose, but without that copy (:mod:`recommender.products`). The leading
    vectors of a larger ``d`` serve a smaller space too, so one decomposition is enough
    for several spaces.
    """
    if sp.issparse(matrix):
        rows = sp.csr_matrix(matrix, dtype=np.float32)
    else:
        rows = np.asarray(matrix, dtype=np.float32)
        columns = np.ascontiguousarray(rows.T)
    width = min(d + oversample, *rows.shape)
    basis = np.asarray(np.random.RandomState(random_state).normal(size=(rows.shape[1], width)),
                       dtype=np.float32)  # the float64 draw is not kept
    from scipy.linalg import lu

    def times(right):
        return sparse_times_dense(rows, right) if sp.issparse(rows) else rows @ right

    def transposed_times(right):
        if sp.issparse(rows):
            return transposed_times_dense(rows, right)
        return columns @ right

    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        for _ in range(n_iter):
            # overwrite_a: the products are temporaries, LU works in them instead of a copy
            basis = lu(times(basis), permute_l=True, overwrite_a=True, check_finite=False)[0]
            basis = lu(transposed_times(basis), permute_l=True, overwrite_a=True,
                       check_finite=False)[0]
        basis = _orthonormal(times(basis))
        small = transposed_times(basis).T  # basis.T @ rows, without a transposed view
        # The right singular vectors of the small (width × terms) matrix, through the
        # eigenvectors of its width × width Gram matrix: an SVD of the whole of it
        # costs more than everything above.
        small = small.astype(np.float64)
        values, vectors = np.linalg.eigh(small @ small.T)
        order = np.argsort(-values, kind="stable")[:d]
        scale = np.sqrt(np.clip(values[order], 0.0, None))
        components = np.divide(vectors[:, order].T @ small, scale[:, None],
                               out=np.zeros((order.size, small.shape[1])),
                               where=scale[:, None] > 0)
    components[~np.isfinite(components)] = 0.0
    # One sign per component, whatever the solver chose: largest |entry| positive.
    pivots = np.argmax(np.abs(components), axis=1)
    signs = np.sign(components[np.arange(components.shape[0]), pivots])
    signs[signs == 0] = 1.0
    return (components * signs[:, None]).astype(np.float32)


def _orthonormal(block: np.ndarray) -> np.ndarray:
    """An orthonormal basis of the columns of a tall block (Cholesky QR, twice, in
    float64: as accurate as Householder QR here and much cheaper on a tall block)."""
    basis = block.astype(np.float64)
    del block  # the caller's temporary goes before the float64 copies are made
    for _ in range(2):
        gram = basis.T @ basis
        gram[np.diag_indices_from(gram)] += 1e-12 * max(np.trace(gram), 1e-300)
        upper = np.linalg.cholesky(gram).T
        basis = solve_triangular(upper, basis.T, trans="T", lower=False,
                                 check_finite=False).T
    return basis.astype(np.float32)


def project(rows: sp.spmatrix | np.ndarray, components: np.ndarray) -> np.ndarray:
    """Unit latent rows of TF-IDF rows: ``rows @ components.T``, L2-normalised.

    Parameters
    ----------
    rows : sparse matrix or ndarray of shape (n, n_terms)
        TF-IDF rows built like the index's (a query from ``similar``, or a block of
        ``matrix_``).
    components : ndarray of shape (d, n_terms)
        From :func:`fit_latent`.

    Returns
    -------
    ndarray of shape (n, d), float32
        A row that shares no term with the corpus (or ``d == 0``) is all zeros.
    """
    projected = rows @ np.asarray(components, dtype=np.float32).T
    return unit_rows(np.asarray(projected, dtype=np.float32))


def blend(cosines: np.ndarray, rows_latent: np.ndarray, vectors: np.ndarray,
          alpha: float) -> np.ndarray:
    """``(1 - alpha) * cosines + alpha * cos_latent``, clipped to [0, 1], in float64.

    The latent cosines are one matrix-vector product per row, never a matrix product
    over the block: BLAS may sum in another order for a block than for one row, and a
    score must not depend on which other rows were asked along with it.

    Parameters
    ----------
    cosines : ndarray of shape (b, n_articles)
        TF-IDF cosines of the query rows.
    rows_latent : ndarray of shape (b, d)
        The query rows' latent vectors.
    vectors : ndarray of shape (n_articles, d)
        The articles' latent vectors (pass float64 to avoid a conversion per call).
    alpha : float
        Weight of the latent cosine, in [0, 1].
    """
    vectors = np.asarray(vectors, dtype=np.float64)
    topical = np.stack([vectors @ np.asarray(v, dtype=np.float64) for v in rows_latent]) \
        if len(rows_latent) else np.zeros_like(cosines, dtype=np.float64)
    scores = (1.0 - alpha) * np.asarray(cosines, dtype=np.float64) + alpha * topical
    return np.clip(scores, 0.0, 1.0, out=scores)


def blend_scores(
    rows: sp.spmatrix, rows_latent: np.ndarray, transposed: sp.spmatrix, vectors: np.ndarray,
    alpha: float,
) -> np.ndarray:
    """``(1 - alpha) * cos_tfidf + alpha * cos_latent`` of rows against every article.

    Parameters
    ----------
    rows : sparse matrix of shape (b, n_terms)
        Unit TF-IDF rows of the queries.
    rows_latent : ndarray of shape (b, d)
        Their unit latent rows, from :func:`project` (or rows of ``vectors``).
    transposed : sparse matrix of shape (n_terms, n_articles)
        The index's ``matrix_.T``.
    vectors : ndarray of shape (n_articles, d)
        The articles' unit latent rows.
    alpha : float
        Weight of the latent cosine, in [0, 1].

    Returns
    -------
    ndarray of shape (b, n_articles), float32
        Clipped to [0, 1]. A row with no term in the corpus scores 0 everywhere.

    Examples
    --------
    >>> import numpy as np, scipy.sparse as sp
    >>> x = sp.csr_matrix(np.eye(3, dtype=np.float32))
    >>> z = np.array([[1, 0], [1, 0], [0, 1]], dtype=np.float32)
    >>> blend_scores(x[:1], z[:1], x.T.tocsr(), z, 0.5).tolist()
    [[1.0, 0.5, 0.0]]
    """
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha must be a number from 0 to 1, got {alpha!r}")
    cosines = np.asarray((rows @ transposed).toarray(), dtype=np.float32)
    if alpha > 0.0 and vectors.shape[1] > 0:
        return blend(cosines, rows_latent, vectors, alpha).astype(np.float32)
    return np.clip(cosines, 0.0, 1.0, out=cosines)
