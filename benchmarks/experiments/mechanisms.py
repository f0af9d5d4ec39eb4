"""Scoring mechanisms applied on top of a fitted index's ``matrix_`` (L2-normalised rows).

Each builder returns ``score_rows(start, stop) -> dense (stop - start, n) scores``.
A blend ``(1 - a) cos_tfidf + a cos_lsa`` is the cosine of the stacked rows
``[sqrt(1 - a) x, sqrt(a) z]`` (each of norm 1), so pseudo-relevance feedback can
work in that stacked space too.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from sklearn.decomposition import TruncatedSVD


def normalise_rows(dense: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(dense, axis=1, keepdims=True)
    return np.divide(dense, norms, out=np.zeros_like(dense), where=norms > 0)


def renormalise_sparse(matrix: sp.csr_matrix) -> sp.csr_matrix:
    matrix = sp.csr_matrix(matrix, dtype=np.float64, copy=True)
    norms = np.sqrt(matrix.multiply(matrix).sum(axis=1).A1)
    norms[norms == 0] = 1.0
    return sp.csr_matrix(sp.diags(1.0 / norms) @ matrix)


def reweight_columns(matrix: sp.csr_matrix, weights: np.ndarray) -> sp.csr_matrix:
    """Multiply column j by weights[j] and re-normalise rows (idf variants)."""
    return renormalise_sparse(matrix @ sp.diags(weights))


def idf_power_weights(matrix: sp.csr_matrix, power: float) -> np.ndarray:
    """Turn tf * idf into tf * idf**power (idf = smooth idf learned from df)."""
    n = matrix.shape[0]
    df = np.bincount(matrix.indices, minlength=matrix.shape[1])
    idf = np.log((1 + n) / (1 + df)) + 1.0
    return idf ** (power - 1.0)


def prob_idf_weights(matrix: sp.csr_matrix) -> np.ndarray:
    """Turn tf * smooth idf into tf * max(probabilistic idf, small)."""
    n = matrix.shape[0]
    df = np.bincount(matrix.indices, minlength=matrix.shape[1])
    idf = np.log((1 + n) / (1 + df)) + 1.0
    prob = np.log((n - df + 0.5) / (df + 0.5))
    prob = np.maximum(prob, 0.1)
    return prob / idf


def lsa(matrix: sp.csr_matrix, n_components: int = 200, n_iter: int = 5,
        random_state: int = 0, sigma_power: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """(unit rows of U Sigma^p, V^T) for a randomized truncated SVD of the matrix
    (p = 1: X V, the usual LSA rows)."""
    d = max(1, min(n_components, min(matrix.shape) - 1))
    svd = TruncatedSVD(n_components=d, algorithm="randomized", n_iter=n_iter,
                       random_state=random_state)
    reduced = svd.fit_transform(matrix.astype(np.float64))
    if sigma_power != 1.0:
        sigma = np.linalg.norm(reduced, axis=0)
        reduced = reduced * np.where(sigma > 0, sigma, 1.0) ** (sigma_power - 1.0)
    return normalise_rows(reduced), svd.components_


def cosine(matrix: sp.csr_matrix):
    transposed = sp.csr_matrix(matrix.T)

    def score_rows(start, stop):
        return (matrix[start:stop] @ transposed).toarray()

    return score_rows


def stacked(matrix: sp.csr_matrix, latent: np.ndarray | None, alpha: float):
    """Rows [sqrt(1-a) x, sqrt(a) z] as (sparse part, dense part) scaled copies."""
    x = matrix.astype(np.float64) * np.sqrt(1.0 - alpha)
    z = None if latent is None or alpha == 0 else latent * np.sqrt(alpha)
    return x, z


def blend(matrix: sp.csr_matrix, latent: np.ndarray | None, alpha: float):
    x, z = stacked(matrix, latent, alpha)
    xt = sp.csr_matrix(x.T)

    def score_rows(start, stop):
        s = (x[start:stop] @ xt).toarray()
        if z is not None:
            s += z[start:stop] @ z.T
        return s

    return score_rows


def blend_prf(matrix: sp.csr_matrix, latent: np.ndarray | None, alpha: float, beta: float,
              m: int, space: str = "stacked"):
    """Rocchio feedback: query = unit(v + beta * mean of the top-m neighbours' v), rescored.

    ``space`` "stacked" expands in the stacked (tf-idf + latent) space; "latent"
    expands only the latent part; "tfidf" only the tf-idf part.
    """
    x, z = stacked(matrix, latent, alpha)
    xt = sp.csr_matrix(x.T)
    n = matrix.shape[0]

    def score_rows(start, stop):
        s = (x[start:stop] @ xt).toarray()
        if z is not None:
            s += z[start:stop] @ z.T
        rows = np.arange(stop - start)
        masked = s.copy()
        masked[rows, rows + start] = -np.inf
        top = np.argpartition(-masked, m - 1, axis=1)[:, :m]
        # the expansion: mean of the neighbours' rows
        pick = sp.csr_matrix((np.full(top.size, 1.0 / m), top.ravel(),
                              np.arange(0, top.size + 1, m)), shape=(stop - start, n))
        qx = x[start:stop] + (beta * (pick @ x) if space in ("stacked", "tfidf") else 0)
        qx = sp.csr_matrix(qx)
        qz = None
        if z is not None:
            qz = z[start:stop] + (beta * (pick @ z) if space in ("stacked", "latent") else 0)
        sq = np.asarray(qx.multiply(qx).sum(axis=1)).ravel()
        if qz is not None:
            sq += (qz * qz).sum(axis=1)
        norms = np.sqrt(sq)
        norms[norms == 0] = 1.0
        out = (qx @ xt).toarray()
        if qz is not None:
            out += qz @ z.T
        return out / norms[:, None]

    return score_rows


def expanded(matrix: sp.csr_matrix, latent: np.ndarray | None, alpha: float, beta: float,
             m: int, block: int = 1000):
    """Symmetric document expansion: every row becomes unit(v + beta * mean of its top-m
    neighbours' v) (neighbours by the blended score), then plain cosine between the
    expanded rows. Returns score_rows."""
    x, z = stacked(matrix, latent, alpha)
    xt = sp.csr_matrix(x.T)
    n = matrix.shape[0]
    tops = np.empty((n, m), dtype=np.int64)
    for start in range(0, n, block):
        stop = min(start + block, n)
        s = (x[start:stop] @ xt).toarray()
        if z is not None:
            s += z[start:stop] @ z.T
        rows = np.arange(stop - start)
        s[rows, rows + start] = -np.inf
        tops[start:stop] = np.argpartition(-s, m - 1, axis=1)[:, :m]
    pick = sp.csr_matrix((np.full(tops.size, 1.0 / m), tops.ravel(),
                          np.arange(0, tops.size + 1, m)), shape=(n, n))
    ex = sp.csr_matrix(x + beta * (pick @ x))
    ez = None if z is None else z + beta * (pick @ z)
    sq = np.asarray(ex.multiply(ex).sum(axis=1)).ravel()
    if ez is not None:
        sq += (ez * ez).sum(axis=1)
    inv = 1.0 / np.sqrt(np.where(sq > 0, sq, 1.0))
    ex = sp.csr_matrix(sp.diags(inv) @ ex)
    ez = None if ez is None else ez * inv[:, None]
    ext = sp.csr_matrix(ex.T)

    def score_rows(start, stop):
        out = (ex[start:stop] @ ext).toarray()
        if ez is not None:
            out += ez[start:stop] @ ez.T
        return out

    return score_rows
