"""A small copy of the latent vectors, for the estimate of a single free-text query.

The approximate path (:mod:`recommender.candidates`) estimates a query's score against
every article to choose the few it scores exactly. For a block of an index's own rows
the latent part of that estimate is one matrix product, cheap per row. For one
free-text query (:meth:`~recommender.RelatedIndex.similar`) it is a matrix-vector
product that reads every article's latent vector from memory: 50 MB at 100,000
articles with the default spaces of 25 and 100 dimensions, 4 of a query's 7.7 ms
there (measured on generated essays of 1,200 words).

The estimate only decides which articles are scored exactly, so it can be coarse. This
copy keeps the first latent space alone, as int8 codes with one scale per dimension,
stored a dimension at a time so that the estimate is one pass per dimension over a
row of codes: 2.5 MB at 100,000 articles. The first space's cosine stands in for the
mean of all the spaces' cosines (the combined latent cosine). Measured there, 150
held-out queries: recall@10 against the exact answer 0.985 (0.993 with every
dimension in float32).

It is used only where it pays and keeps that recall. On a small archive the full pass
is cheap (:data:`COARSE_FROM_BYTES`). A short text leans on its latent vector, which
the first space alone describes worse: on the same 100,000 essays, 100 held-out queries
cut to their first words agreed with the exact answer 0.818 (12 words), 0.833 (60) and
0.948 (300) with the coarse estimate, against 1.0, 1.0 and 0.996 with the full one; so
only texts of :data:`COARSE_MIN_TERMS` distinct terms or more use it (a 1,200-word
essay has about 700).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["CoarseLatent", "COARSE_FROM_BYTES", "COARSE_MIN_TERMS"]

#: Full latent vectors smaller than this (about 33,000 articles with the default 125
#: dimensions) are read whole: the pass costs under a millisecond.
COARSE_FROM_BYTES = 16 << 20

#: Distinct terms a free text needs for the coarse estimate (see above).
COARSE_MIN_TERMS = 400


@dataclass(frozen=True)
class CoarseLatent:
    """The first latent space of every article, as int8 codes, dimension-major.

    Attributes
    ----------
    codes : ndarray of shape (d, n_articles), int8
        ``rint(vectors[:, t] / scales[t])``, one row per dimension.
    scales : ndarray of shape (d,), float64
        Per dimension, its largest magnitude over 127 (0 for an all-zero dimension).
    spaces : int
        How many latent spaces the full vectors concatenate.
    """

    codes: np.ndarray
    scales: np.ndarray
    spaces: int

    @classmethod
    def of(cls, vectors: np.ndarray, blocks: tuple[int, ...]) -> CoarseLatent:
        """The coarse copy of the articles' latent ``vectors`` (their spaces' dimensions
        ``blocks``, concatenated, as :attr:`RelatedIndex.latent_vectors_` holds them).

        Examples
        --------
        >>> import numpy as np
        >>> vectors = np.array([[0.5, -0.25, 0.1], [0.0, 0.5, 0.2]], np.float32)
        >>> coarse = CoarseLatent.of(vectors, (2, 1))
        >>> coarse.codes.tolist(), coarse.spaces
        ([[127, 0], [-64, 127]], 2)
        """
        first = np.asarray(vectors[:, :blocks[0]], dtype=np.float64) if blocks \
            else np.zeros((len(vectors), 0))
        scales = np.abs(first).max(axis=0, initial=0.0) / 127.0
        codes = np.rint(np.divide(first, scales, out=np.zeros_like(first), where=scales > 0))
        return cls(np.ascontiguousarray(codes.T.astype(np.int8)), scales, len(blocks))

    def estimate(self, query: np.ndarray, alpha: float) -> np.ndarray:
        """``alpha`` times the coarse latent cosines of one query with every article.

        Parameters
        ----------
        query : ndarray of shape (1, D)
            The query's full latent vector (every space), as ``RelatedIndex._project``
            gives it.
        alpha : float
            Latent weight.

        Returns
        -------
        ndarray of shape (1, n_articles), float32
            The same bits with or without numba: each article's terms are added in
            dimension order, a float32 product at a time.
        """
        d = self.codes.shape[0]
        # The first space's part of the query is its unit vector over sqrt(spaces):
        # times spaces, the products sum to the first space's cosine.
        factors = (np.asarray(query[0, :d], np.float64) * self.scales
                   * (alpha * self.spaces)).astype(np.float32)
        out = np.zeros((1, self.codes.shape[1]), dtype=np.float32)
        from . import kernels

        if kernels.AVAILABLE:
            kernels.add_scaled_codes(out[0], self.codes, factors)
            return out
        term = np.empty(self.codes.shape[1], dtype=np.float32)
        for t in range(d):
            np.multiply(self.codes[t], factors[t], out=term, dtype=np.float32)
            out[0] += term
        return out
