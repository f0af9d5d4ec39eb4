"""The term index of the candidate estimate, its weights stored as one byte each.

Finding a query's candidates walks the postings of its heaviest terms and adds each
posting's weight into an estimate (see :mod:`recommender.candidates`). The estimate
only has to rank: its best ``candidates`` are then scored exactly from the tf-idf
matrix. So the term index it walks keeps each weight as a code of one byte, the
weight in steps of a 255th of the largest weight of its term, instead of a float32:
a quarter of the weights' memory, and five bytes per posting to read instead of
eight. At 100,000 essays of 1,200 words that is 359 MB instead of 574 MB, the
largest thing a build holds besides the matrix while it computes every list.

The exact paths (``exact=True``, and a query's cosines against every article) keep
reading the float32 term index, :meth:`recommender.RelatedIndex._term_index`.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import scipy.sparse as sp

__all__ = ["TermCodes", "term_codes", "LEVELS"]

#: The largest code: a term's largest weight.
LEVELS = 255

#: Entries of the matrix coded at once (bounds the temporaries to a few dozen MB).
_CHUNK = 1 << 22


class TermCodes(NamedTuple):
    """Postings by term with one-byte weights: term ``t``'s articles are
    ``indices[indptr[t]:indptr[t + 1]]``, ascending, and the weight of each is taken
    as ``float32(codes[p]) * steps[t]`` (within half a step of the tf-idf weight).

    Attributes
    ----------
    indptr : ndarray of int
    indices : ndarray of int32
    codes : ndarray of uint8
    steps : ndarray of float32, one per term
    n_articles : int
    """

    indptr: np.ndarray
    indices: np.ndarray
    codes: np.ndarray
    steps: np.ndarray
    n_articles: int

    def products(self, rows: sp.csr_matrix) -> sp.csr_matrix:
        """``rows @ W`` (queries by articles), ``W`` the coded weights as a float32 term
        index; only the postings of the terms ``rows`` use are read."""
        rows = sp.csr_matrix(rows)
        terms = np.unique(rows.indices)
        index = sp.csr_matrix((self.codes, self.indices, self.indptr),
                              shape=(self.steps.size, self.n_articles))
        weights = index[terms].astype(np.float32)
        weights.data *= np.repeat(self.steps[terms], np.diff(weights.indptr))
        return sp.csr_matrix(rows[:, terms] @ weights)


def term_codes(matrix: sp.csr_matrix) -> TermCodes:
    """The coded term index of a tf-idf ``matrix`` (articles by terms, non-negative).

    Made a chunk of entries at a time, without a float copy of the matrix: the peak
    is the result plus a byte per entry.

    Examples
    --------
    >>> import numpy as np, scipy.sparse as sp
    >>> codes = term_codes(sp.csr_matrix(np.array([[0.5, 0.0], [0.2, 0.4]], np.float32)))
    >>> codes.indices.tolist(), codes.codes.tolist()  # term 0: articles 0 and 1; term 1: 1
    ([0, 1, 1], [255, 102, 255])
    """
    matrix = sp.csr_matrix(matrix)
    n_terms = matrix.shape[1]
    data, columns = matrix.data, matrix.indices
    largest = np.zeros(n_terms, dtype=np.float32)
    for start in range(0, data.size, _CHUNK):
        np.maximum.at(largest, columns[start:start + _CHUNK], data[start:start + _CHUNK])
    steps = largest / np.float32(LEVELS)
    inverse = np.divide(np.float32(1.0), steps, out=np.zeros_like(steps), where=steps > 0)
    codes = np.empty(data.size, dtype=np.uint8)
    for start in range(0, data.size, _CHUNK):
        part = slice(start, start + _CHUNK)
        scaled = data[part] * inverse[columns[part]]
        np.rint(scaled, out=scaled)
        np.clip(scaled, 0, LEVELS, out=scaled)
        codes[part] = scaled
    by_term = sp.csr_matrix((codes, columns, matrix.indptr), shape=matrix.shape).T.tocsr()
    del codes
    return TermCodes(by_term.indptr, by_term.indices, by_term.data, steps, matrix.shape[0])
