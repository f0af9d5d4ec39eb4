"""A two-resolution latent view for RelatedIndex (round 2 candidate mechanism).

The latent cosine becomes the mean of the cosines in two LSA spaces of different
sizes (default 25 and 100 dimensions), each fitted by ``fit_latent`` exactly as the
index fits its single space (randomized SVD, n_iter 5, random_state 0, signs fixed)::

    cos_latent = share * cos_25 + (1 - share) * cos_100

It is stored as ONE latent array, so ``RelatedIndex._scores`` (and save/load) need no
change: ``latent_components_`` stacks the two component matrices and each article's
``latent_vectors_`` row is ``[sqrt(share) unit(x V25^T), sqrt(1 - share) unit(x V100^T)]``
(norm 1), whose dot products are the mixed cosine. Only the projection of a query
must normalise each block separately (``_project``).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from recommender import RelatedIndex
from recommender.latent import fit_latent, project


class MultiResIndex(RelatedIndex):
    """RelatedIndex whose latent cosine mixes two resolutions (``resolutions``)."""

    def __init__(self, *, resolutions: tuple[tuple[int, float], ...] = ((25, 0.5), (100, 0.5)),
                 **settings):
        super().__init__(**settings)
        self.resolutions = tuple((int(d), float(s)) for d, s in resolutions)
        self._blocks: list[tuple[int, int, float]] = []

    def _fit_latent(self, matrix: sp.csr_matrix) -> tuple[np.ndarray, np.ndarray]:
        if self._settings["latent_components"] == 0 or self._settings["latent_weight"] == 0.0:
            return super()._fit_latent(matrix)
        comps, vecs, blocks, at = [], [], [], 0
        for d, share in self.resolutions:
            c, v = fit_latent(matrix, d, n_iter=5, random_state=0)
            comps.append(c)
            vecs.append(v * np.float32(np.sqrt(share)))
            blocks.append((at, at + c.shape[0], share))
            at += c.shape[0]
        self._blocks = blocks
        return np.vstack(comps), np.hstack(vecs)

    def _project(self, rows: sp.csr_matrix) -> np.ndarray:
        if not self._blocks:
            return super()._project(rows)
        return np.hstack([project(rows, self.latent_components_[a:b]) * np.float32(np.sqrt(s))
                          for a, b, s in self._blocks])
