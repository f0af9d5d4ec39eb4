"""The common case of a list, compiled: finding a query's candidates, their exact
scores, the filters of the settings, and the greedy choice under the author cap,
translation groups and near-duplicate rule, in one pass per query without numpy's
per-call cost.

:func:`block_candidates` is :func:`recommender.candidates.block_candidates` for the
dense estimate (the same candidates). :func:`choose_rows` and :func:`choose_one` are
:meth:`RelatedIndex._choose` with :func:`recommender.selection.select`, written out for
lists without MMR, pins or per-call filters (the lists of a build, and most lookups);
everything else goes through them. Every step does the arithmetic of the
numpy path in the same order — float32 sums of products in column order for tf-idf
cosines, the same float64 blend, clip and rounding — except the latent cosine, summed
here one dimension after another where numpy's BLAS may group the sum differently
(a difference in the last bit of a float64, far below the six decimals a score is
rounded to).

Compiled by numba on first use and cached on disk (:data:`AVAILABLE` is False when
numba cannot be imported; the numpy path then serves every list).
"""

from __future__ import annotations

import threading

import numpy as np

try:
    import numba
except ImportError:  # pragma: no cover - numba is a dependency; this keeps a broken install usable
    numba = None

__all__ = ["AVAILABLE", "add_columns_times_dense", "add_postings", "add_rows_times_dense",
           "add_scaled_codes", "block_candidates", "choose_one", "choose_rows", "compiled",
           "model_of", "rules_of"]

AVAILABLE = numba is not None


def compiled(function):
    """``function`` compiled by numba (releasing the GIL, cached on disk where it can be),
    or ``function`` itself without numba."""
    if not AVAILABLE:
        return function
    try:
        return numba.njit(cache=True, nogil=True)(function)
    except RuntimeError:  # nowhere to write the cache (a read-only install, no home):
        return numba.njit(nogil=True)(function)  # compiled again in every process


@compiled
def _round6(value):
    # np.round(value, 6): the same multiply, round half to even, divide
    return np.rint(value * 1e6) / 1e6


# Loops index with unsigned integers: numba checks a signed index for a negative value
# (counting from the end) at every access, which costs a third of a dot product.


@compiled
def _row_dot(indptr, indices, data, row, dense):
    total = np.float32(0.0)
    for p in range(np.uint64(indptr[row]), np.uint64(indptr[row + 1])):
        total += data[p] * dense[np.uint64(indices[p])]
    return total


@compiled
def _rows_dot(indptr, indices, data, rows, dense, out):
    """``out[j] = _row_dot(..., rows[j], dense)`` for every j, with the same bits: four
    rows at a time, their sums interleaved so that each add need not wait for the one
    before it (a row's own sum is still taken in its stored order)."""
    n = rows.size
    j = 0
    while j + 4 <= n:
        s0, s1 = np.uint64(indptr[rows[j]]), np.uint64(indptr[rows[j + 1]])
        s2, s3 = np.uint64(indptr[rows[j + 2]]), np.uint64(indptr[rows[j + 3]])
        e0, e1 = np.uint64(indptr[rows[j] + 1]), np.uint64(indptr[rows[j + 1] + 1])
        e2, e3 = np.uint64(indptr[rows[j + 2] + 1]), np.uint64(indptr[rows[j + 3] + 1])
        common = min(e0 - s0, e1 - s1, e2 - s2, e3 - s3)
        t0 = t1 = t2 = t3 = np.float32(0.0)
        for p in range(common):
            t0 += data[s0 + p] * dense[np.uint64(indices[s0 + p])]
            t1 += data[s1 + p] * dense[np.uint64(indices[s1 + p])]
            t2 += data[s2 + p] * dense[np.uint64(indices[s2 + p])]
            t3 += data[s3 + p] * dense[np.uint64(indices[s3 + p])]
        for p in range(s0 + common, e0):
            t0 += data[p] * dense[np.uint64(indices[p])]
        for p in range(s1 + common, e1):
            t1 += data[p] * dense[np.uint64(indices[p])]
        for p in range(s2 + common, e2):
            t2 += data[p] * dense[np.uint64(indices[p])]
        for p in range(s3 + common, e3):
            t3 += data[p] * dense[np.uint64(indices[p])]
        out[j], out[j + 1], out[j + 2], out[j + 3] = t0, t1, t2, t3
        j += 4
    for i in range(j, n):
        out[i] = _row_dot(indptr, indices, data, rows[i], dense)


@compiled
def _latent_dots(latent, rows, query, out):
    """``out[j] = sum(float64(query[t]) * float64(latent[rows[j], t]))`` for every j, each
    sum taken in ``t`` order, four rows at a time interleaved (as :func:`_rows_dot`)."""
    n = rows.size
    width = np.uint64(query.size)
    j = 0
    while j + 4 <= n:
        v0, v1, v2, v3 = latent[rows[j]], latent[rows[j + 1]], latent[rows[j + 2]], \
            latent[rows[j + 3]]
        t0 = t1 = t2 = t3 = 0.0
        for t in range(width):
            q = np.float64(query[t])
            t0 += q * np.float64(v0[t])
            t1 += q * np.float64(v1[t])
            t2 += q * np.float64(v2[t])
            t3 += q * np.float64(v3[t])
        out[j], out[j + 1], out[j + 2], out[j + 3] = t0, t1, t2, t3
        j += 4
    for i in range(j, n):
        vector = latent[rows[i]]
        total = 0.0
        for t in range(width):
            total += np.float64(query[t]) * np.float64(vector[t])
        out[i] = total


@compiled
def _put(dense, indices, values):
    for p in range(indices.size):
        dense[indices[p]] = values[p]


@compiled
def _clear(dense, indices):
    for p in range(indices.size):
        dense[indices[p]] = 0.0


@compiled
def _score_candidates(q_indices, q_data, q_latent, candidates, model, alpha, dense, cosines,
                      topicals):
    """Exact tf-idf ``cosines`` (float32) and, when ``alpha`` > 0, latent ``topicals``
    (float64) of a query against its ``candidates``. ``dense`` is a zeroed float32 vector
    of the vocabulary's width, left zeroed."""
    indptr, indices, data, latent = model[0], model[1], model[2], model[3]
    _put(dense, q_indices, q_data)
    _rows_dot(indptr, indices, data, candidates, dense, cosines)
    if alpha > 0.0:
        _latent_dots(latent, candidates, q_latent, topicals)
    _clear(dense, q_indices)


@compiled
def _slot_of(pairs, row, other):
    """Where ``pairs`` keeps the cosine of ``row`` and ``other`` (-1: not kept). A row's
    candidates are ascending, so a bisection finds ``other`` among them."""
    first, starts, found = pairs[0], pairs[1], pairs[2]
    local = row - first
    if local < 0 or local >= starts.size - 1:
        return -1
    lo, hi = starts[local], starts[local + 1]
    while lo < hi:
        middle = (lo + hi) // 2
        if found[middle] < other:
            lo = middle + 1
        else:
            hi = middle
    if lo < starts[local + 1] and found[lo] == other:
        return lo
    return -1


@compiled
def _kept_cosine(pairs, a, b):
    """The tf-idf cosine of articles ``a`` and ``b`` as ``pairs`` keeps it, or NaN."""
    slot = _slot_of(pairs, a, b)
    if slot < 0:
        slot = _slot_of(pairs, b, a)
    if slot < 0:
        return np.nan
    return np.float64(pairs[3][slot])


@compiled
def _no_pairs():
    """An empty pair table (see :mod:`recommender.pair_table`): every cosine is computed."""
    return (np.int64(0), np.zeros(1, dtype=np.int64), np.zeros(0, dtype=np.int64),
            np.zeros(0, dtype=np.float32), np.zeros(0), np.zeros(0, dtype=np.int32))


@compiled
def _choose_one(q_indices, q_data, q_latent, row, reference, candidates, model, rules,
                dense, other, out_rows, out_scores, pairs):
    """The list of one query (``row`` -1 for free text); returns its length. ``dense``
    and ``other`` are zeroed float32 vectors of the vocabulary's width, left zeroed."""
    n = candidates.size
    cosines = np.empty(n, dtype=np.float32)
    topicals = np.empty(n)
    _score_candidates(q_indices, q_data, q_latent, candidates, model, rules[0], dense,
                      cosines, topicals)
    return _choose_scored(row, reference, candidates, cosines, topicals, model, rules, other,
                          out_rows, out_scores, pairs)


@compiled
def _choose_scored(row, reference, candidates, cosines, topicals, model, rules, other,
                   out_rows, out_scores, pairs):
    """:func:`_choose_one` once the candidates' exact cosines are known. A near-duplicate
    check reads the cosine of two candidates from ``pairs`` where it is kept there (the
    same bits: see :func:`_score_pairs`) and computes it otherwise."""
    indptr, indices, data, latent, allowed, groups, authors, ranks, days, bonus = model
    alpha, k, cap, threshold, min_score, max_age, only_older, half_life = rules
    duplicates = threshold <= 1.0  # the setting is (0, 1], or off
    byline = bonus[row] if row >= 0 and authors[row] >= 0 else 0.0
    n = candidates.size
    shown = np.zeros(n)
    keep = np.zeros(n, dtype=np.bool_)
    older = only_older and row >= 0 and np.isfinite(reference)
    for j in range(n):
        c = candidates[j]
        cosine = cosines[j]
        if alpha > 0.0:
            raw = min(max((1.0 - alpha) * np.float64(cosine) + alpha * topicals[j], 0.0),
                      1.0)
        else:
            raw = np.float64(cosine)
        if byline > 0.0 and authors[c] == authors[row]:
            raw = min(raw + byline, 1.0)
        ok = allowed[c]
        if row >= 0:  # not itself, its translations or its copies
            ok = ok and groups[c] != groups[row]
            ok = ok and not (duplicates and _round6(np.float64(cosine)) >= threshold)
        age = reference - days[c]  # NaN where either date is unknown
        if age > max_age or (older and not age > 0.0):  # max_age NaN: no window
            ok = False
        if half_life == half_life and age > 0.0:  # NaN: no decay
            raw = raw * np.exp2(-age / half_life)
        value = _round6(min(max(raw, 0.0), 1.0))
        if ok and value > 0.0 and (min_score <= 0.0 or value >= min_score):
            keep[j] = True
            shown[j] = value
    kept = np.flatnonzero(keep)
    # Best first: score descending, then the tie-break rank. Scores are whole millionths
    # and ranks unique, so one integer key orders them (an unstable sort is then exact).
    key = np.empty(kept.size, dtype=np.int64)
    span = np.int64(ranks.size)
    for t in range(kept.size):
        millionths = np.int64(np.rint(shown[kept[t]] * 1e6))
        key[t] = (np.int64(1_000_000) - millionths) * span + ranks[candidates[kept[t]]]
    order = kept[np.argsort(key)]
    chosen = 0
    for j in order:
        if chosen >= k:
            break
        c = candidates[j]
        ruled_out = False
        same_author = 0
        for i in range(chosen):
            if groups[out_rows[i]] == groups[c]:  # one article per translation group
                ruled_out = True
            if authors[c] >= 0 and authors[out_rows[i]] == authors[c]:
                same_author += 1
        if ruled_out or (cap >= 0 and same_author >= cap):
            continue
        if duplicates and chosen > 0:
            lo, hi = indptr[c], indptr[c + 1]
            placed = False
            highest = -np.inf
            for i in range(chosen):
                cosine = _kept_cosine(pairs, c, out_rows[i])
                if cosine != cosine:
                    if not placed:
                        _put(other, indices[lo:hi], data[lo:hi])
                        placed = True
                    cosine = np.float64(_row_dot(indptr, indices, data, out_rows[i], other))
                highest = max(highest, cosine)
            if placed:
                _clear(other, indices[lo:hi])
            if _round6(highest) >= threshold:
                continue
        out_rows[chosen] = c
        out_scores[chosen] = shown[j]
        chosen += 1
    return chosen


@compiled
def _choose_rows(rows, starts, candidates, model, rules, width, out_rows, out_scores,
                 out_lengths):
    indptr, indices, data, latent = model[0], model[1], model[2], model[3]
    days = model[8]
    dense = np.zeros(width, dtype=np.float32)
    other = np.zeros(width, dtype=np.float32)
    pairs = _no_pairs()
    for i in range(rows.size):
        row = rows[i]
        lo, hi = indptr[row], indptr[row + 1]
        out_lengths[i] = _choose_one(indices[lo:hi], data[lo:hi], latent[row], row,
                                     days[row], candidates[starts[i]:starts[i + 1]],
                                     model, rules, dense, other, out_rows[i], out_scores[i],
                                     pairs)


@compiled
def _choose_single(q_indices, q_data, q_latent, row, reference, candidates, model, rules, dense,
                   other, out_rows, out_scores):
    pairs = _no_pairs()
    return _choose_one(q_indices, q_data, q_latent, row, reference, candidates, model,
                       rules, dense, other, out_rows, out_scores, pairs)


@compiled
def _kth_smallest(values, k):
    """The ``k``-th smallest of ``values`` (from 0), which it reorders: the value
    ``np.partition(values, k)[k]`` gives, by an in-place quickselect (numba's
    ``np.partition`` copies and costs twice as much on a few hundred values)."""
    lo, hi = 0, values.size - 1
    while lo < hi:
        a, b, c = values[lo], values[(lo + hi) // 2], values[hi]
        pivot = max(min(a, b), min(max(a, b), c))  # the median of the three
        i, j = lo, hi
        while i <= j:
            while values[i] < pivot:
                i += 1
            while values[j] > pivot:
                j -= 1
            if i <= j:
                values[i], values[j] = values[j], values[i]
                i += 1
                j -= 1
        if k <= j:
            hi = j
        elif k >= i:
            lo = i
        else:
            break
    return values[k]


@compiled
def _top_positions(values, count, scratch):
    """Positions of the ``count`` largest ``values`` (ties: the lower position),
    ascending; ``count`` < ``values.size``. ``scratch``: at least as long as ``values``.
    Branch-free, because whether a value makes the cut is a coin toss near it."""
    size = values.size
    scratch[:size] = values
    cut = _kth_smallest(scratch[:size], size - count)  # the count-th largest
    ties = count  # how many equal to the cut make it
    for t in range(size):
        ties -= values[t] > cut
    chosen = np.empty(count + 1, dtype=np.int64)
    taken = 0
    for t in range(size):
        equal = values[t] == cut
        take = (values[t] > cut) | (equal & (ties > 0))
        ties -= take & equal
        chosen[taken] = t
        taken += take
    return chosen[:count]


@compiled
def _heaviest_terms(indices, data, keep):
    """Positions of a row's ``keep`` largest weights (ties: the lower column), in column
    order, as :func:`recommender.candidates.prune_rows` keeps them."""
    if indices.size <= keep:
        return np.arange(indices.size)
    return _top_positions(data, keep, np.empty(data.size, dtype=data.dtype))


@compiled
def _best_of(estimate, count, passed, scratch):
    """Columns of the ``count`` highest positive estimates (ties: the lower column),
    ascending: :func:`recommender.candidates.top_candidates`. A strided sample guesses a
    threshold that about ``2 * count`` columns pass; too few, and every positive one is
    ranked. ``passed`` (int64) and ``scratch`` (the estimate's dtype): scratch of the
    estimate's length."""
    size = estimate.size
    sampled = (size + 31) // 32
    for t in range(sampled):
        scratch[t] = estimate[32 * t]
    picks = min(sampled, 2 * count // 32 + 1)
    threshold = np.float32(1.401298464324817e-45)  # the smallest positive float32
    if picks > 0:
        threshold = max(threshold, _kth_smallest(scratch[:sampled], sampled - picks))
    found = 0
    for j in range(np.uint64(size)):  # branch-free, as in _top_positions
        passed[found] = j
        found += estimate[j] >= threshold
    if found < count:
        found = 0
        for j in range(np.uint64(size)):
            passed[found] = j
            found += estimate[j] > 0.0
    best = passed[:found]  # ascending
    if found <= count:
        return best.copy()
    values = np.empty(found, dtype=estimate.dtype)
    for t in range(found):
        values[t] = estimate[best[t]]
    return best[_top_positions(values, count, scratch)]


@compiled
def _block_candidates(estimate, indptr, indices, data, first, keep, weight,
                      t_indptr, t_indices, t_codes, t_steps, count, out, starts):
    passed = np.empty(estimate.shape[1], dtype=np.int64)
    scratch = np.empty(estimate.shape[1], dtype=estimate.dtype)
    for i in range(estimate.shape[0]):
        row = first + i
        lo, hi = indptr[row], indptr[row + 1]
        target = estimate[i]
        for p in _heaviest_terms(indices[lo:hi], data[lo:hi], keep):
            term = indices[lo + p]
            factor = data[lo + p] * weight * t_steps[term]
            for q in range(np.uint64(t_indptr[term]), np.uint64(t_indptr[term + 1])):
                target[np.uint64(t_indices[q])] += np.float32(t_codes[q]) * factor
        found = _best_of(target, count, passed, scratch)
        starts[i + 1] = starts[i] + found.size
        out[starts[i]:starts[i + 1]] = found
    return starts


@compiled
def _add_scaled_codes(out, codes, factors):
    for t in range(np.uint64(codes.shape[0])):
        factor = factors[t]
        row = codes[t]
        for j in range(np.uint64(row.size)):
            out[j] += factor * np.float32(row[j])


def add_scaled_codes(out: np.ndarray, codes: np.ndarray, factors: np.ndarray) -> None:
    """``out += factors @ codes`` in place, float32, one row of ``codes`` (int8) after
    another: :meth:`recommender.coarse.CoarseLatent.estimate`, the same bits as its numpy
    loop."""
    _add_scaled_codes(out, codes, np.asarray(factors, dtype=np.float32))


@compiled
def _add_rows_times_dense(indptr, indices, data, dense, out, start, stop):
    width = np.uint64(dense.shape[1])
    for i in range(np.uint64(start), np.uint64(stop)):
        target = out[i]
        for p in range(np.uint64(indptr[i]), np.uint64(indptr[i + 1])):
            value = data[p]
            source = dense[np.uint64(indices[p])]
            for c in range(width):
                target[c] += value * source[c]


def add_rows_times_dense(indptr: np.ndarray, indices: np.ndarray, data: np.ndarray,
                         dense: np.ndarray, out: np.ndarray, start: int, stop: int) -> None:
    """``out[start:stop] += matrix[start:stop] @ dense`` for a CSR ``matrix`` (its arrays),
    in place, each value's products added in stored order as scipy adds them; releases
    the GIL (see :func:`recommender.products.sparse_times_dense`)."""
    _add_rows_times_dense(indptr, indices, data, dense, out, start, stop)


@compiled
def _add_columns_times_dense(indptr, indices, data, dense, out, first, stop):
    width = np.uint64(dense.shape[1])
    for i in range(np.uint64(indptr.size - 1)):
        begin, end = np.uint64(indptr[i]), np.uint64(indptr[i + 1])
        p = begin + np.uint64(np.searchsorted(indices[begin:end], first))
        source = dense[i]
        while p < end and indices[p] < stop:
            value = data[p]
            target = out[np.uint64(indices[p])]
            for c in range(width):
                target[c] += value * source[c]
            p += np.uint64(1)


def add_columns_times_dense(indptr: np.ndarray, indices: np.ndarray, data: np.ndarray,
                            dense: np.ndarray, out: np.ndarray, first: int, stop: int) -> None:
    """``out[first:stop] += (matrix.T @ dense)[first:stop]`` for a CSR ``matrix`` with
    sorted indices (its arrays), in place: each value's products added in row order, as
    scipy adds them in a CSR copy of the transpose; releases the GIL (see
    :func:`recommender.products.transposed_times_dense`)."""
    _add_columns_times_dense(indptr, indices, data, dense, out, first, stop)


@compiled
def _add_postings(indptr, indices, data, terms, weights, out):
    for t in range(terms.size):
        weight = weights[t]
        for p in range(np.uint64(indptr[terms[t]]), np.uint64(indptr[terms[t] + 1])):
            out[np.uint64(indices[p])] += data[p] * weight


def add_postings(term_index, terms: np.ndarray, weights: np.ndarray, out: np.ndarray) -> None:
    """``out += (term_index[terms].T @ weights)``, in place, with its bits: each term's
    postings added in the order of ``terms``, as scipy's product adds them, without
    gathering the postings into a new matrix first (half of an exact query's time)."""
    _add_postings(term_index.indptr, term_index.indices, term_index.data,
                  np.asarray(terms), np.asarray(weights), out)


def model_of(matrix, latent, allowed, groups, authors, ranks, days, bonus) -> tuple:
    """The arrays a list is chosen from, in the types the kernels are compiled for
    (views where they already are). ``bonus``: each article's byline bonus (see
    :mod:`recommender.bylines`)."""
    return (np.asarray(matrix.indptr), np.asarray(matrix.indices, dtype=matrix.indptr.dtype),
            np.asarray(matrix.data, dtype=np.float32),
            np.ascontiguousarray(latent, dtype=np.float32), np.asarray(allowed, dtype=np.bool_),
            np.asarray(groups, dtype=np.int64), np.asarray(authors, dtype=np.int64),
            np.asarray(ranks, dtype=np.int64), np.asarray(days, dtype=np.float64),
            np.asarray(bonus, dtype=np.float64))


def rules_of(*, alpha: float, k: int, max_per_author: int | None,
             duplicate_threshold: float | None, min_score: float,
             max_age_days: float | None, only_older: bool,
             half_life_days: float | None) -> tuple:
    """The settings a list is chosen by (None: off)."""
    return (float(alpha), int(k), -1 if max_per_author is None else int(max_per_author),
            2.0 if duplicate_threshold is None else float(duplicate_threshold),
            float(min_score), np.nan if max_age_days is None else float(max_age_days),
            bool(only_older), np.nan if half_life_days is None else float(half_life_days))


def choose_rows(rows: np.ndarray, candidates: list[np.ndarray], model: tuple, rules: tuple,
                width: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Lists of indexed articles ``rows``, each among its ``candidates`` (ascending).

    Returns
    -------
    chosen : ndarray of shape (len(rows), k), int64
        Article numbers best first; past a list's length, -1.
    scores : ndarray of shape (len(rows), k)
        Their shown scores, rounded.
    lengths : ndarray of shape (len(rows),)
    """
    starts, flat = _flattened(candidates)
    chosen, scores, lengths = _list_arrays(len(rows), rules[1])
    _choose_rows(np.asarray(rows, dtype=np.int64), starts, flat, model, rules, width,
                 chosen, scores, lengths)
    return chosen, scores, lengths


def _flattened(candidates: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Each row's candidates one after another (int64), and where each row's start."""
    starts = np.zeros(len(candidates) + 1, dtype=np.int64)
    np.cumsum([c.size for c in candidates], out=starts[1:])
    flat = np.concatenate(candidates).astype(np.int64) if candidates else np.zeros(0, np.int64)
    return starts, flat


def _list_arrays(rows: int, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return (np.full((rows, k), -1, dtype=np.int64), np.zeros((rows, k)),
            np.zeros(rows, dtype=np.int64))


_scratch = threading.local()


def _zeroed_pair(width: int) -> tuple[np.ndarray, np.ndarray]:
    """Two zeroed float32 vectors of ``width`` kept for this thread: :func:`_choose_one`
    leaves them zeroed, and fresh ones cost a single query more than its exact scores
    (the pages of two vocabulary-wide vectors, zeroed by the system on first touch)."""
    pair = getattr(_scratch, "pair", None)
    if pair is None or pair[0].size != width:
        pair = _scratch.pair = (np.zeros(width, np.float32), np.zeros(width, np.float32))
    return pair


def choose_one(indices: np.ndarray, data: np.ndarray, latent: np.ndarray, row: int,
               reference: float, candidates: np.ndarray, model: tuple, rules: tuple,
               width: int) -> tuple[np.ndarray, np.ndarray]:
    """The list of one query among its ``candidates``: tf-idf ``indices``/``data``, unit
    ``latent`` vector, ``row`` (the indexed article, or -1 for free text) and
    ``reference`` (the day ages count back from).

    Returns
    -------
    rows, scores : ndarray
        Best first; shorter than k when the candidates run out.
    """
    k = rules[1]
    chosen = np.full(k, -1, dtype=np.int64)
    scores = np.zeros(k)
    dense, other = _zeroed_pair(int(width))
    length = _choose_single(np.asarray(indices, dtype=model[0].dtype),
                            np.asarray(data, dtype=np.float32),
                            np.ascontiguousarray(latent, dtype=np.float32), int(row),
                            float(reference), np.asarray(candidates, dtype=np.int64), model,
                            rules, dense, other, chosen, scores)
    return chosen[:length], scores[:length]


def block_candidates(estimate: np.ndarray, queries: tuple, first: int, keep: int,
                     weight: float, codes, count: int) -> list[np.ndarray]:
    """:func:`recommender.candidates.block_candidates` for rows ``first, first + 1, ...``
    of ``queries`` (CSR arrays: indptr, indices, data), given their latent estimate
    (``alpha * latent cosines``, float32, one row per query; added to in place) and the
    coded term index ``codes`` (:class:`recommender.term_codes.TermCodes`): the same
    candidates, in one pass per row.
    """
    indptr, indices, data = queries
    out = np.empty(estimate.shape[0] * count, dtype=np.int64)
    starts = np.zeros(estimate.shape[0] + 1, dtype=np.int64)
    _block_candidates(estimate, np.asarray(indptr), np.asarray(indices),
                      np.asarray(data, dtype=np.float32),
                      int(first), int(keep), np.float32(weight),
                      np.asarray(codes.indptr), np.asarray(codes.indices),
                      np.asarray(codes.codes, np.uint8), np.asarray(codes.steps, np.float32),
                      int(count), out, starts)
    return [out[a:b] for a, b in zip(starts[:-1].tolist(), starts[1:].tolist())]
