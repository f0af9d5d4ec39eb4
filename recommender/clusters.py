"""Latent candidates on a big archive: articles grouped by their latent vectors, so that a
query's latent estimate covers a few groups instead of every article.

The approximate path (:mod:`recommender.candidates`) blends a partial tf-idf cosine with
the latent cosine of the query against every article. That latent pass is one dense row
of ``n`` values per query: on a million articles, about 11 ms of matrix product on one
core (blocks of 64 queries) plus 4 ms of adding the partial products and selecting the
top, per query, which makes all-pairs lists take hours (about 3 h on two cores,
measured on ranges of 50,000 rows). Here the articles are grouped once, by a few
rounds of spherical k-means on their latent vectors (about ``sqrt(n)`` groups, seeded,
so the same index always gives the same groups), and a query takes the latent cosine
only against the members of its ``probes`` nearest groups. Articles that share the
query's telling terms are candidates too, whatever their group: from the term index as
before, the ``count`` of them with the best partial tf-idf cosine get their latent
cosine one by one (on a big archive, tens of thousands share some of the query's terms).

What this misses shows up as recall@10 against exact lists, which the scale
benchmark reports. It missed too much to be on by default (see :data:`CLUSTERED_FROM`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

__all__ = ["LatentClusters", "CLUSTERED_FROM"]

#: Archives from this many articles on take their latent candidates from groups; None:
#: never. Off, because it lost too much: on 300,000 generated essays of ~300 words,
#: recall@10 of the lists against exact ones fell to 0.74 (100 sampled articles), against
#: 0.996 for the dense pass over every article (15 ms per query there). The generator
#: makes n // 100 topics, which 100 latent dimensions cannot separate, so neighbours
#: scatter over many groups. Tests turn it on to keep the path working.
CLUSTERED_FROM: int | None = None

#: Rows of article vectors scored against the centroids at a time while grouping.
_ASSIGN_BLOCK = 16_384


@dataclass(frozen=True)
class LatentClusters:
    """Articles grouped by latent vector, each group's members and vectors contiguous.

    Attributes
    ----------
    centroids : ndarray of shape (n_groups, d), float32
        Unit mean vector of each group.
    members : ndarray of shape (n_articles,), int64
        Article numbers, group after group, ascending within a group.
    offsets : ndarray of shape (n_groups + 1,), int64
        Group ``g`` is ``members[offsets[g]:offsets[g + 1]]``.
    vectors : ndarray of shape (n_articles, d), float32
        The articles' latent vectors in ``members`` order.
    probes : int
        Groups a query looks into.
    """

    centroids: np.ndarray
    members: np.ndarray
    offsets: np.ndarray
    vectors: np.ndarray
    probes: int

    @classmethod
    def fit(cls, latent: np.ndarray, *, n_groups: int | None = None, rounds: int = 3,
            pool: int | None = None, seed: int = 0) -> LatentClusters:
        """Group the rows of ``latent`` by spherical k-means.

        Parameters
        ----------
        latent : ndarray of shape (n_articles, d), float32
        n_groups : int, optional
            Default ``round(sqrt(n_articles))``.
        rounds : int
            Assignment rounds after the seeded start (centroids are articles drawn
            at random, then each round moves them to their members' mean).
        pool : int, optional
            About how many articles a query's latent cosine should cover; the
            probes are the groups needed for that on average. Default
            ``max(4096, n_articles // 16)``: on 30,000 generated essays, recall@10 against
            exact lists was 0.937 with n // 32, 0.973 with n // 16 and 0.993 with n // 8.
        seed : int

        Returns
        -------
        LatentClusters
        """
        latent = np.ascontiguousarray(latent, dtype=np.float32)
        n, d = latent.shape
        n_groups = max(1, min(n, n_groups or int(round(np.sqrt(n)))))
        rng = np.random.default_rng(seed)
        centroids = latent[np.sort(rng.choice(n, size=n_groups, replace=False))].copy()
        for _ in range(rounds):
            labels = _nearest(latent, centroids)
            centroids = _means(latent, labels, centroids)
        labels = _nearest(latent, centroids)
        members = np.argsort(labels, kind="stable").astype(np.int64)
        offsets = np.zeros(n_groups + 1, dtype=np.int64)
        np.cumsum(np.bincount(labels, minlength=n_groups), out=offsets[1:])
        pool = max(4096, n // 16) if pool is None else pool
        probes = int(min(n_groups, max(1, np.ceil(pool * n_groups / max(n, 1)))))
        return cls(centroids, members, offsets, latent[members], probes)

    def block_candidates(self, partial: sp.csr_matrix, latent_rows: np.ndarray,
                         latent: np.ndarray, alpha: float, count: int) -> list[np.ndarray]:
        """Per query, the ``count`` best articles by the blended estimate, ascending.

        The estimate of an article is ``alpha * latent cosine + (1 - alpha) * partial``
        among the members of the query's probed groups and, outside them, the ``count``
        articles of best partial tf-idf cosine (its ``partial`` row); others are not
        candidates.
        """
        from .candidates import best_columns

        latent = np.asarray(latent)  # a memory map's own indexing costs a Python call
        n = latent.shape[0]
        scratch = np.zeros(n, dtype=np.float32)
        probed = np.zeros(n, dtype=bool)
        alpha32, rest32 = np.float32(alpha), np.float32(1.0 - alpha)
        rows = np.asarray(latent_rows, dtype=np.float32)
        nearest = _top_groups(rows @ self.centroids.T, self.probes)
        out = []
        for i, groups in enumerate(nearest):
            query = rows[i]
            spans = [(self.offsets[g], self.offsets[g + 1]) for g in groups]
            columns = np.concatenate([self.members[a:b] for a, b in spans])
            values = np.concatenate([self.vectors[a:b] @ query for a, b in spans])
            scratch[columns] = values * alpha32
            probed[columns] = True
            start, stop = partial.indptr[i], partial.indptr[i + 1]
            shared = partial.indices[start:stop].astype(np.int64)
            weights = partial.data[start:stop].astype(np.float32)
            outside = ~probed[shared]
            # Of the articles outside the probed groups, only those with the best partial
            # cosines: on a big archive, the query's terms are shared by tens of thousands.
            extra = best_columns(shared[outside], weights[outside], count)
            scratch[extra] = (latent[extra] @ query) * alpha32
            probed[extra] = True
            counted = probed[shared]  # the groups' members and the extra ones
            scratch[shared[counted]] += weights[counted] * rest32
            pool = np.concatenate((columns, extra))
            out.append(best_columns(pool, scratch[pool], count))
            scratch[pool] = 0.0
            probed[pool] = False
        return out


def _nearest(latent: np.ndarray, centroids: np.ndarray) -> np.ndarray:
    """Each row's group: the centroid of highest inner product (ties: the lower group)."""
    labels = np.empty(latent.shape[0], dtype=np.int64)
    transposed = np.ascontiguousarray(centroids.T)
    for start in range(0, latent.shape[0], _ASSIGN_BLOCK):
        block = latent[start:start + _ASSIGN_BLOCK] @ transposed
        labels[start:start + block.shape[0]] = block.argmax(axis=1)
    return labels


def _means(latent: np.ndarray, labels: np.ndarray, previous: np.ndarray) -> np.ndarray:
    """Unit mean vector of each group's members; an empty group keeps its centroid."""
    n = labels.size
    grouping = sp.csr_matrix((np.ones(n, dtype=np.float64), (labels, np.arange(n))),
                             shape=(previous.shape[0], n))
    sums = np.asarray(grouping @ latent.astype(np.float64))
    norms = np.linalg.norm(sums, axis=1)
    centroids = previous.copy()
    filled = norms > 0
    centroids[filled] = (sums[filled] / norms[filled, None]).astype(np.float32)
    return centroids


def _top_groups(scores: np.ndarray, probes: int) -> np.ndarray:
    """Per row, the ``probes`` groups of highest score (ties: the lower group)."""
    if probes >= scores.shape[1]:
        return np.tile(np.arange(scores.shape[1]), (scores.shape[0], 1))
    return np.argsort(-scores, axis=1, kind="stable")[:, :probes]
