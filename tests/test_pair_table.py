"""Every list of a build is chosen from a table of pair cosines, each pair that is a
candidate of both its rows scored once (``kernels.pair_table``, ``score_pairs``,
``choose_paired``). The lists must be those each row computes for itself."""

import numpy as np
import pytest

from benchmarks import synthetic
from recommender import RelatedIndex, kernels, pair_table
from recommender import index as index_module

from .conftest import as_articles

pytestmark = pytest.mark.skipif(not kernels.AVAILABLE, reason="numba is not installed")


@pytest.fixture(scope="module")
def index():
    records = list(synthetic.generate(900, seed=21, mean_words=80, n_authors=30))
    records[9].update(body=records[8]["body"], title=records[8]["title"])  # a copy
    records[3]["related"] = [records[50]["id"]]  # a pin: that row's list is not the kernel's
    return RelatedIndex(candidates=60).fit(as_articles(records))


def _row_by_row(index, k):
    """Each row's list from its own candidates, through the kernel that scores them."""
    block, n = index._block_rows(), len(index.ids_)
    lists = {}
    for start in range(0, n, block):
        found = index._block_candidates(start, min(n, start + block), index._candidate_count(k))
        lists.update(index._compiled_lists(start, found, k))
    return lists


@pytest.mark.parametrize("slots", [1 << 21, 5_000])
@pytest.mark.parametrize("n_jobs", [1, 2])
def test_lists_equal_each_rows_own_with_or_without_a_pair_table(index, slots, n_jobs,
                                                               monkeypatch):
    # 5,000 slots: the corpus does not fit in a table and goes block by block
    monkeypatch.setattr(index_module, "_TABLE_SLOTS", slots)
    monkeypatch.setattr(index_module, "_BLOCK_CELLS", 64 * len(index.ids_))  # several blocks
    monkeypatch.setitem(index._settings, "n_jobs", n_jobs)
    tables = []
    make = pair_table.pair_table
    monkeypatch.setattr(pair_table, "pair_table", lambda *args: tables.append(1) or make(*args))
    expected = _row_by_row(index, 10)
    assert len(expected) > 0.9 * len(index.ids_)
    seen = 0
    for row, (pins, _, chosen, scores) in index._lists(10, exact=False):
        if row in expected:
            seen += 1
            want = expected[row]
            assert chosen.tolist() == want[2].tolist(), row
            assert scores.tobytes() == want[3].tobytes(), row
        else:  # the pinned row, or a list the rules leave short
            assert pins.size or row != 3
    assert seen == len(expected)
    assert len(tables) == (1 if slots > 900 * 60 else 0)


def test_a_pair_scored_once_has_the_bits_of_both_rows(index):
    n = len(index.ids_)
    count = index._candidate_count(10)
    found = index._block_candidates(0, n, count)
    pairs = pair_table.pair_table(0, found, n, count + index._bylines.room(count))
    model = index._compiled_model()
    pair_table.score_pairs(pairs, 0, n, model, index._latent_weight(), index.matrix_.shape[1])
    first, starts, flat, cosines, topicals, mirrors = pairs
    for row in range(0, n, 13):
        lo, hi = starts[row], starts[row + 1]
        dense = np.zeros(index.matrix_.shape[1], np.float32)
        own = index.matrix_[row]
        dense[own.indices] = own.data
        want = np.empty(hi - lo, np.float32)
        kernels._rows_dot(model[0], model[1], model[2], flat[lo:hi], dense, want)
        assert cosines[lo:hi].tobytes() == want.tobytes()
        topical = np.empty(hi - lo)
        kernels._latent_dots(model[3], flat[lo:hi], model[3][row], topical)
        assert topicals[lo:hi].tobytes() == topical.tobytes()
    assert (mirrors >= 0).mean() > 0.3  # most pairs here are each other's candidates


def test_mirror_slots_point_at_the_other_rows_slot():
    rng = np.random.default_rng(3)
    first, rows = 40, 30
    found = [np.sort(rng.choice(100, rng.integers(0, 25), replace=False)) for _ in range(rows)]
    starts, flat = kernels._flattened(found)
    mirrors = pair_table._mirror_slots(np.int64(first), starts, flat)
    for i in range(rows):
        for slot in range(starts[i], starts[i + 1]):
            c = flat[slot] - first
            other = (np.flatnonzero(found[c] == first + i) if 0 <= c < rows else [])
            if len(other):
                assert mirrors[slot] == starts[c] + other[0]
            else:
                assert mirrors[slot] == -1


@pytest.mark.parametrize("seed", range(5))
def test_selection_keeps_the_largest_and_breaks_ties_by_position(seed):
    rng = np.random.default_rng(seed)
    for _ in range(200):
        values = rng.integers(0, 6, size=rng.integers(2, 80)).astype(np.float32)
        k = int(rng.integers(0, values.size))
        assert kernels._kth_smallest(values.copy(), k) == np.partition(values, k)[k]
        count = int(rng.integers(1, values.size))
        want = np.sort(np.argsort(-values, kind="mergesort")[:count])
        got = kernels._top_positions(values, count, np.empty(values.size, np.float32))
        np.testing.assert_array_equal(got, want)
        np.testing.assert_array_equal(
            kernels._heaviest_terms(np.arange(values.size), values, count), want)
