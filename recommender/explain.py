"""Why an article was recommended: the shared terms that carry the score, and how
much each field of the recommended article contributed."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from .results import SCORE_DECIMALS

__all__ = ["Explanation", "explain_pair", "EXPLAINED_FIELDS"]

#: Fields whose weighted term frequencies the index keeps for explanations; the
#: body's share is what remains of each term's weight.
EXPLAINED_FIELDS = ("title", "blurb", "tags", "author")
_TOP_TERMS = 10


@dataclass(frozen=True, slots=True)
class Explanation:
    """The parts of a cosine score.

    Attributes
    ----------
    terms : tuple of (str, float)
        The shared terms with the largest contributions ``q_t · d_t`` to the
        cosine, largest first (ties by term); at most ten.
    fields : tuple of (str, float)
        Contribution of each field of the recommended article (title, blurb,
        body, tags, author) through shared words, of the latent topic model
        (``latent``) and of a shared byline (``byline``: the ``author_bonus``
        of an article by the same author(s)); they add up to the score before
        clipping and time decay.
    """

    terms: tuple[tuple[str, float], ...]
    fields: tuple[tuple[str, float], ...]

    def to_dict(self) -> dict[str, Any]:
        return {"terms": [{"term": t, "weight": w} for t, w in self.terms],
                "fields": dict(self.fields)}

    def describe(self) -> str:
        """One line: ``title 0.120 + body 0.250 + latent 0.301 | otan 0.080, russia 0.061``."""
        parts = " + ".join(f"{name} {value:.3f}" for name, value in self.fields if value != 0)
        terms = ", ".join(f"{term} {value:.3f}" for term, value in self.terms)
        return f"{parts or 'nothing shared'} | {terms}"


def explain_pair(
    query: sp.csr_matrix,
    row: int,
    matrix: sp.csr_matrix,
    idf: np.ndarray,
    norms: np.ndarray,
    field_tf: Mapping[str, sp.csr_matrix],
    vocabulary: Sequence[str],
    *,
    latent_weight: float = 0.0,
    latent_cosine: float = 0.0,
    byline: float = 0.0,
) -> Explanation:
    """Explain the score of a (1, n_terms) query row against article ``row``:
    ``(1 - latent_weight) * tf-idf cosine + latent_weight * latent_cosine + byline``."""
    q_cols, q_vals = query.indices, query.data.astype(np.float64)
    start, end = matrix.indptr[row], matrix.indptr[row + 1]
    d_cols, d_vals = matrix.indices[start:end], matrix.data[start:end].astype(np.float64)
    shared, q_pos, d_pos = np.intersect1d(q_cols, d_cols, return_indices=True)
    contributions = (1.0 - latent_weight) * q_vals[q_pos] * d_vals[d_pos]
    total_weight = d_vals[d_pos] * norms[row] / idf[shared]
    fields: dict[str, float] = {}
    remaining = contributions.copy()
    for name in EXPLAINED_FIELDS:
        weights = np.asarray(field_tf[name][row, shared].todense()).ravel() if shared.size else np.zeros(0)
        share = np.divide(weights, total_weight, out=np.zeros_like(weights), where=total_weight > 0)
        part = contributions * np.clip(share, 0.0, 1.0)
        fields[name] = float(part.sum())
        remaining -= part
    fields["body"] = float(np.clip(remaining, 0.0, None).sum())
    order = sorted(range(shared.size), key=lambda i: (-contributions[i], vocabulary[shared[i]]))
    terms = tuple((vocabulary[shared[i]], round(float(contributions[i]), SCORE_DECIMALS))
                  for i in order[:_TOP_TERMS])
    fields["latent"] = latent_weight * latent_cosine
    fields["byline"] = byline
    ordered = ("title", "blurb", "body", "tags", "author", "latent", "byline")
    return Explanation(terms, tuple((n, round(fields[n], SCORE_DECIMALS)) for n in ordered))
