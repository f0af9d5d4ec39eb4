"""The compiled lists equal the numpy path's, setting by setting.

``recommender.kernels`` chooses the lists without MMR, pins or per-call filters; the
numpy path (:meth:`RelatedIndex._choose`) chooses every other list, and all lists when
numba is missing. The two must give the same articles and the same scores.
"""

import numpy as np
import pytest

from benchmarks import synthetic
from recommender import RelatedIndex, kernels, pair_table

from .conftest import as_articles

pytestmark = pytest.mark.skipif(not kernels.AVAILABLE, reason="numba is not installed")

SETTINGS = {
    "defaults": {},
    "tight rules": {"max_per_author": 1, "duplicate_threshold": 0.3},
    "no rules": {"max_per_author": None, "duplicate_threshold": None},
    "time and floor": {"half_life_days": 2000, "max_age_days": 4000, "only_older": True,
                       "min_score": 0.05},
    "no latent": {"latent_components": 0},
}


@pytest.fixture(scope="module")
def articles():
    records = list(synthetic.generate(700, seed=11, mean_words=60, n_authors=25))
    # a translation pair and a copy, so that groups and near-duplicates take part
    records[5].update(lang="en", translation_of=records[4]["id"], body=records[4]["body"])
    records[9].update(body=records[8]["body"], title=records[8]["title"])
    return as_articles(records)


def _both(articles, settings, monkeypatch):
    """The same index built twice: with the kernels, and with the numpy path only."""
    built = {}
    for compiled in (True, False):
        with monkeypatch.context() as patch:
            patch.setattr(kernels, "AVAILABLE", compiled)
            built[compiled] = RelatedIndex(candidates=40, **settings).fit(articles)
    return built[True], built[False]


@pytest.mark.parametrize("name", SETTINGS)
def test_compiled_lists_equal_the_numpy_lists(articles, name, monkeypatch):
    compiled, plain = _both(articles, SETTINGS[name], monkeypatch)
    calls = []
    choose_paired = pair_table.choose_paired  # a build's lists, from a table of pair cosines
    monkeypatch.setattr(pair_table, "choose_paired",
                        lambda *args: calls.append(1) or choose_paired(*args))
    compiled.precompute(10)
    assert calls, "the kernels chose no list"
    monkeypatch.setattr(kernels, "AVAILABLE", False)
    plain.precompute(10)
    np.testing.assert_array_equal(compiled.lists_[0], plain.lists_[0])
    np.testing.assert_array_equal(compiled.lists_[1], plain.lists_[1])
    # full lists are the kernels' (a short one goes on to the numpy path's wider net)
    assert ((compiled.lists_[0] >= 0).sum(axis=1) == 10).mean() > 0.9


@pytest.mark.parametrize("name", ["defaults", "tight rules", "time and floor"])
def test_compiled_lookups_and_free_text_equal_the_numpy_ones(articles, name, monkeypatch):
    compiled, plain = _both(articles, SETTINGS[name], monkeypatch)
    ids = [a.id for a in articles[::37]]
    texts = [a.body for a in articles[3::53]]
    got = ([compiled.related(i, k=7) for i in ids], [compiled.similar(t) for t in texts])
    monkeypatch.setattr(kernels, "AVAILABLE", False)
    want = ([plain.related(i, k=7) for i in ids], [plain.similar(t) for t in texts])
    assert got == want


def test_free_text_from_several_threads_answers_as_one_thread_does(articles):
    # each thread chooses with its own scratch vectors, which every query leaves zeroed
    from concurrent.futures import ThreadPoolExecutor

    index = RelatedIndex().fit(articles)
    texts = [a.body for a in articles[1::23]] * 3
    alone = [index.similar(t) for t in texts]
    with ThreadPoolExecutor(4) as pool:
        assert list(pool.map(index.similar, texts)) == alone
    assert [index.similar(t) for t in texts] == alone


@pytest.mark.parametrize("seed", range(3))
def test_compiled_candidates_equal_the_numpy_candidates(articles, seed, monkeypatch):
    index = RelatedIndex(candidates=40 + 30 * seed, candidate_terms=5 + 10 * seed).fit(articles)
    count = index._candidate_count(10)
    block = index._block_rows()
    compiled = index._block_candidates(0, block, count)
    monkeypatch.setattr(kernels, "AVAILABLE", False)
    plain = index._block_candidates(0, block, count)
    assert len(compiled) == len(plain) == min(block, len(articles))
    for got, want in zip(compiled, plain):
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("count", [1, 7, 64, 300, 2000])
def test_compiled_best_estimates_break_ties_as_numpy_does(count):
    # Few distinct values: most of the cut is ties, which go to the lower column.
    from recommender.candidates import top_candidates

    rng = np.random.default_rng(count)
    for _ in range(20):
        estimate = rng.choice(np.array([-0.1, 0.0, 0.1, 0.2, 0.3], np.float32), size=1500)
        passed = np.empty(estimate.size, dtype=np.int64)
        scratch = np.empty(estimate.size, dtype=np.float32)
        np.testing.assert_array_equal(kernels._best_of(estimate, count, passed, scratch),
                                      top_candidates(estimate, count))


def test_posting_sums_have_the_bits_of_gathered_postings(articles):
    index = RelatedIndex().fit(articles)
    term_index = index._term_index()
    rows = [index.matrix_[i] for i in range(0, len(articles), 17)]
    rows.append(index.vectorize(articles[3].body + " " + articles[40].title))
    for row in rows:
        expected = np.asarray(term_index[row.indices].T @ row.data, dtype=np.float32)
        assert index._posting_sums(row).tobytes() == expected.tobytes()


@pytest.mark.parametrize("count", [0, 1, 3, 4, 5, 11, 200])
def test_rows_dot_four_at_a_time_gives_each_rows_own_sum(count):
    """The candidates' cosines are summed four rows at a time, interleaved; each row's
    sum keeps its stored order, so every bit equals the row-by-row sum (and scipy's)."""
    import scipy.sparse as sp

    rng = np.random.default_rng(count)
    matrix = sp.random(300, 500, density=0.05, random_state=count, dtype=np.float32,
                       format="csr")
    matrix.data[matrix.indptr[7]:matrix.indptr[8]] = 0.0  # an empty row among them
    matrix.eliminate_zeros()
    dense = np.zeros(500, np.float32)
    dense[rng.choice(500, 60, replace=False)] = rng.random(60, dtype=np.float32)
    rows = np.sort(rng.choice(300, count, replace=False)).astype(np.int64)
    if count > 3:
        rows[2] = 7
    out = np.empty(count, np.float32)
    kernels._rows_dot(matrix.indptr, matrix.indices, matrix.data, rows, dense, out)
    one_by_one = [kernels._row_dot(matrix.indptr, matrix.indices, matrix.data, r, dense)
                  for r in rows]
    assert out.tobytes() == np.array(one_by_one, np.float32).tobytes()
    assert out.tobytes() == (matrix[rows] @ dense).astype(np.float32).tobytes()


@pytest.mark.parametrize("count", [0, 3, 4, 9, 200])
def test_latent_dots_four_at_a_time_give_each_rows_own_sum(count):
    rng = np.random.default_rng(count)
    latent = rng.standard_normal((300, 125)).astype(np.float32)
    query = rng.standard_normal(125).astype(np.float32)
    rows = rng.choice(300, count, replace=False).astype(np.int64)
    out = np.empty(count)
    kernels._latent_dots(latent, rows, query, out)
    expected = []
    for row in rows:
        total = 0.0
        for t in range(125):  # in t order, in float64
            total += float(query[t]) * float(latent[row, t])
        expected.append(total)
    assert out.tobytes() == np.array(expected).tobytes()
