"""A prototype of the blended index, as a subclass, for measuring it with the real harness.

``BlendedIndex`` is ``RelatedIndex`` plus a latent view (:mod:`recommender.latent`):
``fit`` learns ``latent_components_`` (d × n_terms) and ``latent_vectors_``
(n_articles × d) after the TF-IDF matrix, and every score -- ``related``,
``similar`` and ``related_all`` all go through ``_scores`` -- becomes
``(1 - latent_weight) * cos_tfidf + latent_weight * cos_latent``, clipped to [0, 1].
It is the code path proposed for ``RelatedIndex`` itself; it lives here because
``index.py`` is being edited by others.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from recommender import RelatedIndex
from recommender.latent import blend_scores, fit_latent, project


class BlendedIndex(RelatedIndex):
    """RelatedIndex with ``latent_components`` (int, 0 = off) and ``latent_weight`` (alpha)."""

    def __init__(self, *, latent_components: int = 0, latent_weight: float = 0.5,
                 latent_n_iter: int = 5, **settings):
        super().__init__(**settings)
        self.latent_components = latent_components
        self.latent_weight = latent_weight
        self.latent_n_iter = latent_n_iter

    def fit(self, articles, **kwargs):
        super().fit(articles, **kwargs)
        if self.latent_components > 0 and self.latent_weight > 0:
            self.latent_components_, self.latent_vectors_ = fit_latent(
                self.matrix_, self.latent_components, n_iter=self.latent_n_iter, random_state=0)
        else:
            self.latent_components_ = np.zeros((0, self.matrix_.shape[1]), np.float32)
            self.latent_vectors_ = np.zeros((self.matrix_.shape[0], 0), np.float32)
        return self

    def _scores(self, rows: sp.csr_matrix) -> np.ndarray:
        if self._transposed is None:
            self._transposed = sp.csr_matrix(self.matrix_.T)
        if self.latent_vectors_.shape[1] == 0:
            return np.clip((rows @ self._transposed).toarray(), 0.0, 1.0)
        return blend_scores(rows, project(rows, self.latent_components_), self._transposed,
                            self.latent_vectors_, self.latent_weight)
