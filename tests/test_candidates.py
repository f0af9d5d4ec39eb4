"""The approximate query paths: candidates found by the heaviest terms and the latent
vectors, scored exactly; compared with scoring every article."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from benchmarks import synthetic
from recommender import Article, ConfigError, RelatedIndex
from recommender.candidates import add_products, block_candidates, prune_rows, top_candidates
from recommender.clusters import LatentClusters
from recommender.term_codes import TermCodes, term_codes

# Small nets, so that the approximation is really used on a small corpus:
# k=5 asks for max(60, 4 * 5 + 50) = 70 candidates out of 600 articles.
NARROW = {"candidates": 60, "candidate_terms": 8}


@pytest.fixture(scope="module")
def corpus():
    records = synthetic.generate(600, seed=3, mean_words=80, n_topics=12, n_authors=40)
    return [Article(id=r["id"], title=r["title"], body=r["body"], author=tuple(r["author"]),
                    tags=tuple(r["tags"]), date=r["date"]) for r in records]


@pytest.fixture(scope="module")
def narrow(corpus):
    return RelatedIndex(**NARROW).fit(corpus)


def overlap(left, right):
    return len({i.id for i in left} & {i.id for i in right}) / max(len(right), 1)


def test_prune_rows_keeps_the_heaviest_entries_in_column_order():
    rows = sp.csr_matrix(np.array([[0.1, 0.5, 0.3, 0.5, 0.0], [0.0, 0.0, 0.2, 0.0, 0.0]]))
    pruned = prune_rows(rows, 2)
    assert pruned.toarray().tolist() == [[0.0, 0.5, 0.0, 0.5, 0.0], [0.0, 0.0, 0.2, 0.0, 0.0]]
    assert pruned.has_sorted_indices


def test_top_candidates_breaks_ties_by_the_lower_column():
    estimate = np.array([0.3, 0.1, 0.3, 0.3, 0.0, -0.2], dtype=np.float32)
    assert top_candidates(estimate, 2).tolist() == [0, 2]
    assert top_candidates(estimate, 10).tolist() == [0, 1, 2, 3]  # positive ones only


def test_add_products_adds_the_coded_product_in_place():
    rng = np.random.default_rng(8)
    matrix = sp.random(300, 40, density=0.1, random_state=1, dtype=np.float32, format="csr")
    codes = term_codes(matrix)
    rows = sp.random(5, 40, density=0.3, random_state=2, dtype=np.float32).toarray()
    rows[3] = 0.0  # a query with no terms adds nothing
    rows = sp.csr_matrix(rows)
    start = rng.random((5, 300), dtype=np.float32)
    dense = start.copy()
    add_products(dense, rows, codes, 0.25)
    assert np.allclose(dense, start + 0.25 * codes.products(rows).toarray(), rtol=1e-6,
                       atol=1e-7)
    # within half a step of each weight of the exact product
    slack = 0.25 * (abs(rows) @ sp.diags(codes.steps / 2)).sum(axis=1)
    error = np.abs(dense - (start + 0.25 * (rows @ matrix.T).toarray())).max(axis=1)
    assert np.all(error <= np.asarray(slack).ravel() + 1e-6)
    assert np.array_equal(dense[3], start[3])
    with pytest.raises(ValueError, match="C-contiguous"):
        add_products(np.asfortranarray(start), rows, codes, 0.25)
    with pytest.raises(ValueError, match="float32.*float64"):
        add_products(start.astype(np.float64), rows, codes, 0.25)


def test_term_codes_keep_each_weight_within_half_a_step():
    used = sp.random(500, 60, density=0.1, random_state=3, dtype=np.float32, format="csr")
    matrix = sp.hstack([used, sp.csr_matrix((500, 1), dtype=np.float32)]).tocsr()
    codes = term_codes(matrix)  # term 60: nobody uses it
    assert codes.codes.dtype == np.uint8 and codes.n_articles == 500
    assert np.array_equal(codes.indptr, sp.csr_matrix(matrix.T).indptr)
    assert np.array_equal(codes.indices, sp.csr_matrix(matrix.T).indices)
    weights = codes.products(sp.identity(61, dtype=np.float32, format="csr")).toarray()
    error = np.abs(weights - matrix.T.toarray()).max(axis=1)
    assert np.all(error <= codes.steps / 2 + 1e-7)
    assert np.allclose(codes.steps * 255, matrix.max(axis=0).toarray().ravel())
    assert codes.steps[60] == 0.0 and codes.codes.max() == 255


def test_term_codes_do_not_depend_on_the_chunk_size(monkeypatch):
    from recommender import term_codes as module

    matrix = sp.random(400, 90, density=0.2, random_state=5, dtype=np.float32, format="csr")
    whole = term_codes(matrix)
    monkeypatch.setattr(module, "_CHUNK", 7)
    chunked = term_codes(matrix)
    for name in ("indptr", "indices", "codes", "steps"):
        assert getattr(whole, name).tobytes() == getattr(chunked, name).tobytes()


@pytest.mark.parametrize("split", ["all term by term", "mixed", "all gathered"])
def test_add_products_term_by_term_or_gathered_give_the_same_bits(split, monkeypatch):
    """Rows reaching long postings are added a term at a time, the others gathered: the
    adds come in the same order either way, so every bit is the same (lists computed
    before and after the switch can be pasted together)."""
    from recommender import candidates

    matrix = sp.random(2000, 60, density=0.02, random_state=4, dtype=np.float32, format="csr")
    matrix.data[:] = np.random.default_rng(5).random(matrix.nnz, dtype=np.float32)
    codes = term_codes(matrix)
    rows = sp.random(9, 60, density=0.3, random_state=6, dtype=np.float32).toarray()
    rows[2] = 0.0
    rows[5, :50] = 0.0  # a row of few terms
    rows = sp.csr_matrix(rows)
    start = np.random.default_rng(7).random((9, 2000), dtype=np.float32)
    reference = start.copy()
    for row in range(9):  # one posting after another, in term order: what both must do
        for term, value in zip(rows[row].indices, rows[row].data):
            factor = np.float32(value * np.float32(0.4)) * codes.steps[term]
            for p in range(codes.indptr[term], codes.indptr[term + 1]):
                reference[row, codes.indices[p]] += np.float32(codes.codes[p]) * factor
    lengths = np.diff(codes.indptr)
    means = [lengths[rows[r].indices].mean() for r in range(9) if rows[r].nnz]
    threshold = {"all term by term": 0, "mixed": np.median(means), "all gathered": 10**9}[split]
    assert split != "mixed" or min(means) < threshold < max(means)
    monkeypatch.setattr(candidates, "_TERM_AT_A_TIME", threshold)
    dense = start.copy()
    add_products(dense, rows, codes, 0.4)
    assert dense.tobytes() == reference.tobytes()


def test_add_products_reads_a_memory_mapped_or_unpickled_term_index(tmp_path):
    """Dask workers get the coded term index unpickled, with dtypes that equal numpy's own
    but are other objects, and arrays may be memory-mapped; the sums are the same as
    from arrays in memory."""
    import pickle

    codes = term_codes(sp.random(400, 50, density=0.2, random_state=9, dtype=np.float32,
                                 format="csr"))
    arrays = []
    for name in ("indptr", "indices", "codes", "steps"):
        np.save(tmp_path / f"{name}.npy", getattr(codes, name))
        arrays.append(np.load(tmp_path / f"{name}.npy", mmap_mode="r"))
    mapped = TermCodes(*arrays, codes.n_articles)
    assert isinstance(mapped.codes, np.memmap)
    rows = sp.random(6, 50, density=0.4, random_state=10, dtype=np.float32, format="csr")
    start = np.random.default_rng(11).random((6, 400), dtype=np.float32)
    from_memory, from_map = start.copy(), start.copy()
    add_products(from_memory, rows, codes, 0.3)
    add_products(from_map, rows, mapped, 0.3)
    assert from_map.tobytes() == from_memory.tobytes()
    unpickled = pickle.loads(pickle.dumps(codes))
    assert unpickled.codes.dtype == np.uint8 and unpickled.codes.dtype is not codes.codes.dtype
    from_copy = start.copy()
    add_products(from_copy, pickle.loads(pickle.dumps(rows)), unpickled, 0.3)
    assert from_copy.tobytes() == from_memory.tobytes()
    assert not np.array_equal(from_map, start)


def test_block_candidates_equal_a_full_sort_of_the_estimate():
    rng = np.random.default_rng(0)
    matrix = sp.random(300, 80, density=0.1, format="csr", random_state=1, dtype=np.float32)
    latent = rng.standard_normal((300, 6)).astype(np.float32)
    codes = term_codes(matrix)
    found = block_candidates(prune_rows(matrix[:7], 3), codes, latent[:7], latent, 0.5, 40)
    partial = codes.products(prune_rows(matrix[:7], 3)).toarray()
    for row, cols in enumerate(found):
        estimate = (0.5 * (latent[:7] @ latent.T) + 0.5 * partial)[row]
        order = sorted(np.flatnonzero(estimate > 0), key=lambda c: (-estimate[c], c))[:40]
        assert cols.tolist() == sorted(order)


def test_candidate_settings_are_checked():
    with pytest.raises(ConfigError, match="candidates"):
        RelatedIndex(candidates=0)
    with pytest.raises(ConfigError, match="candidate_terms"):
        RelatedIndex(candidate_terms=2.5)


def test_approximate_lists_agree_with_exact_ones(narrow, monkeypatch):
    exact = narrow.related_all(k=5, exact=True)
    with monkeypatch.context() as patch:  # the approximate path never scores everything
        patch.setattr(narrow, "_scores", lambda *a, **k: pytest.fail("scored every article"))
        approximate = narrow.related_all(k=5)
    recall = np.mean([overlap(approximate[i], exact[i]) for i in narrow.ids_])
    assert recall >= 0.9


def test_approximate_scores_are_the_exact_scores_of_those_articles(narrow):
    for ident in narrow.ids_[:40]:
        exact = {item.id: item.score for item in narrow.related(ident, k=len(narrow) - 1,
                                                                exact=True)}
        for item in narrow.related(ident, k=5):
            if item.id in exact:  # exact lists may drop it for diversity, never rescore it
                assert item.score == exact[item.id]


def test_related_equals_related_all_in_approximate_mode(narrow):
    everything = narrow.related_all(k=5)
    for ident in narrow.ids_[::7]:
        assert narrow.related(ident, k=5) == everything[ident]


def test_kept_lists_remember_their_mode(corpus):
    index = RelatedIndex(**NARROW).fit(corpus)
    computed = index.related_all(k=5)
    index.precompute(5)
    assert index.related_all(k=5) == computed
    ident = index.ids_[0]
    assert index.related(ident, k=5, exact=True) == \
        RelatedIndex(**NARROW).fit(corpus).related(ident, k=5, exact=True)
    index.precompute(5, exact=True)
    assert index.lists_exact_
    assert index.related_all(k=5) == index.related_all(k=5, exact=True)


def test_filters_that_eat_the_candidates_widen_the_net(narrow):
    keep = set(narrow.ids_[::10])
    excluded = [i for i in narrow.ids_ if i not in keep]
    for ident in list(keep)[:10]:
        exact = narrow.related(ident, k=5, exact=True, exclude_ids=excluded)
        approximate = narrow.related(ident, k=5, exclude_ids=excluded)
        assert len(approximate) == len(exact)
        assert {i.id for i in approximate} <= keep


def test_similar_approximate_agrees_with_exact(narrow, corpus):
    texts = synthetic.held_out_queries(15, seed=3, n_articles=600, mean_words=80, n_topics=12,
                                       n_authors=40)
    recalls = []
    for text in texts:
        exact = narrow.similar(text, k=5, exact=True)
        approximate = narrow.similar(text, k=5)
        everything = narrow._scores(narrow.vectorize(text))[0][0]  # every article, exactly
        assert all(item.score == round(float(everything[narrow.ids_.index(item.id)]), 6)
                   for item in approximate)
        recalls.append(overlap(approximate, exact))
    assert np.mean(recalls) >= 0.9


def test_approximate_lists_are_repeatable(corpus, narrow):
    again = RelatedIndex(**NARROW).fit(corpus)
    assert again.related_all(k=5) == narrow.related_all(k=5)


def test_a_corpus_smaller_than_the_net_is_answered_exactly(fixture_index):
    assert fixture_index.related_all(k=5) == fixture_index.related_all(k=5, exact=True)


@pytest.mark.parametrize("exact", [False, True])
def test_lists_do_not_depend_on_the_number_of_processes(corpus, exact, monkeypatch):
    from recommender import index as module

    monkeypatch.setattr(module, "_BLOCK_CELLS", 600 * 70)  # 9 blocks of 70 rows
    one = RelatedIndex(**NARROW, n_jobs=1).fit(corpus).precompute(5, exact=exact)
    two = RelatedIndex(**NARROW, n_jobs=2).fit(corpus).precompute(5, exact=exact)
    assert np.array_equal(one.lists_[0], two.lists_[0])
    assert one.lists_[1].tobytes() == two.lists_[1].tobytes()
    assert two.related_all(k=4) == one.related_all(k=4)
    early = two.iter_related(4, use_stored=False)  # stopping early cancels quietly
    assert next(early) == next(one.iter_related(4, use_stored=False))
    early.close()


def test_local_jobs_share_the_blocks_among_threads_not_processes(corpus, monkeypatch):
    """With local jobs the matrix is shared by threads: no worker process gets a copy."""
    import threading

    from recommender import index as module

    def no_processes(*args, **kwargs):
        raise AssertionError("lists were sent to worker processes")

    monkeypatch.setattr(module, "parallel_map", no_processes)
    monkeypatch.setattr(module, "_BLOCK_CELLS", 600 * 70)  # 9 blocks of 70 rows
    threads = set()

    def recording(method):
        def record(self, *args):
            threads.add(threading.current_thread().name)
            return method(self, *args)
        return record

    jobs, thread_map = [], module.thread_map

    def counting(function, tasks, *, n_jobs=None):
        jobs.append(n_jobs)
        return thread_map(function, tasks, n_jobs=n_jobs)

    monkeypatch.setattr(module, "thread_map", counting)
    # approximate lists come from pair tables, exact ones block by block (a quick thread
    # may take every task of a phase: two threads asked for, not two seen)
    for name in ("_block_candidates", "_paired_block", "_block_lists"):
        monkeypatch.setattr(RelatedIndex, name, recording(getattr(RelatedIndex, name)))
    for exact in (False, True):
        threads.clear()
        jobs.clear()
        two = RelatedIndex(**NARROW, n_jobs=2).fit(corpus).precompute(5, exact=exact)
        assert threads and threading.current_thread().name not in threads
        assert jobs and set(jobs) == {2}
        one = RelatedIndex(**NARROW, n_jobs=1).fit(corpus).precompute(5, exact=exact)
        assert np.array_equal(one.lists_[0], two.lists_[0])
        assert one.lists_[1].tobytes() == two.lists_[1].tobytes()


def arrays_sent(value) -> int:
    """How many numpy arrays pickling ``value`` writes (each one costs joblib's memmap
    reducer a call, whatever its size)."""
    import io
    import pickle

    class Counting(pickle.Pickler):
        count = 0

        def reducer_override(self, obj):
            if isinstance(obj, np.ndarray):
                Counting.count += 1
            return NotImplemented

    Counting(io.BytesIO()).dump(value)
    return Counting.count


def test_the_state_sent_to_workers_does_not_grow_an_array_per_article(corpus):
    """Sending the scoring state to a worker task costs the same whatever the number of
    articles: a per-article list of arrays (as pins once were) cost minutes at a million."""
    small, big = (RelatedIndex(**NARROW).fit(corpus[:size]) for size in (100, 600))
    assert arrays_sent(big._scoring_state()) == arrays_sent(small._scoring_state()) < 40
    pinned = [Article(id=a.id, title=a.title, body=a.body, author=a.author, tags=a.tags,
                      date=a.date, related=(corpus[0].id,) if i == 5 else ())
              for i, a in enumerate(corpus[:100])]
    assert RelatedIndex(**NARROW).fit(pinned).related(pinned[5].id, k=3)[0].id == corpus[0].id


def test_lists_computed_in_row_ranges_are_those_of_one_pass(corpus, monkeypatch):
    """A build can compute its lists a range of rows at a time (the scale benchmark does,
    to spread a million articles over several runs); pasted together, they are the
    same bits as one pass, with the last range ending at the corpus's end."""
    from recommender import index as module

    monkeypatch.setattr(module, "_BLOCK_CELLS", 600 * 70)  # blocks of 70 rows
    index = RelatedIndex(**NARROW, n_jobs=2).fit(corpus)
    whole = index.precompute(5).lists_
    assert index._block_rows() == 70
    parts = [index._list_arrays(5, exact=False, rows=range(start, start + 70 * 3))
             for start in range(0, 600, 70 * 3)]
    assert np.array_equal(np.concatenate([ids for ids, _ in parts]), whole[0])
    assert np.concatenate([s for _, s in parts]).tobytes() == whole[1].tobytes()
    for wrong in (range(1, 70), range(0, 80), range(0, 140, 2)):
        with pytest.raises(ValueError, match="multiples of 70"):
            index._list_arrays(5, exact=False, rows=wrong)


def test_a_block_has_at_least_64_rows_on_a_big_archive(corpus, monkeypatch):
    from recommender import index as module

    monkeypatch.setattr(module, "_BLOCK_CELLS", 600 * 2)  # would be 2 rows a block
    index = RelatedIndex(**NARROW).fit(corpus)
    assert index._block_rows() == 64
    monkeypatch.setattr(module, "_BLOCK_CELLS", 1 << 22)
    assert index.precompute(4).related_all(k=4) == RelatedIndex(**NARROW).fit(
        corpus).related_all(k=4)


# -- latent groups, for big archives ----------------------------------------------------------


def test_latent_groups_partition_the_articles_the_same_way_every_time():
    rng = np.random.default_rng(4)
    latent = rng.standard_normal((500, 6)).astype(np.float32)
    groups = LatentClusters.fit(latent, pool=100)
    again = LatentClusters.fit(latent, pool=100)
    assert groups.centroids.shape == (22, 6)  # round(sqrt(500))
    assert sorted(groups.members.tolist()) == list(range(500))
    assert groups.offsets[0] == 0 and groups.offsets[-1] == 500
    assert np.array_equal(groups.vectors, latent[groups.members])
    assert groups.probes == 5  # ceil(100 * 22 / 500): about 100 articles a query
    for name in ("centroids", "members", "offsets", "vectors"):
        assert getattr(groups, name).tobytes() == getattr(again, name).tobytes()
    for g in range(22):  # each article sits in the group of its nearest centroid
        members = groups.members[groups.offsets[g]:groups.offsets[g + 1]]
        assert np.all((latent[members] @ groups.centroids.T).argmax(axis=1) == g)


def test_probing_every_group_finds_what_the_dense_pass_finds():
    rng = np.random.default_rng(0)
    matrix = sp.random(300, 80, density=0.1, format="csr", random_state=1, dtype=np.float32)
    latent = rng.standard_normal((300, 6)).astype(np.float32)
    pruned = prune_rows(matrix[:7], 3)
    dense = block_candidates(pruned, term_codes(matrix), latent[:7], latent, 0.5, 40)
    everywhere = LatentClusters.fit(latent, pool=300)
    assert everywhere.probes == everywhere.centroids.shape[0]
    grouped = block_candidates(pruned, term_codes(matrix), latent[:7], latent, 0.5, 40,
                               everywhere)
    assert [c.tolist() for c in grouped] == [c.tolist() for c in dense]


def test_few_probes_still_find_the_articles_that_share_a_telling_term():
    rng = np.random.default_rng(2)
    matrix = sp.random(400, 60, density=0.05, format="csr", random_state=3, dtype=np.float32)
    latent = rng.standard_normal((400, 5)).astype(np.float32)
    one_group = LatentClusters.fit(latent, pool=1)
    assert one_group.probes == 1
    pruned = prune_rows(matrix[:5], 3)
    found = block_candidates(pruned, term_codes(matrix), latent[:5], latent, 0.5, 1000,
                             one_group)
    partial = (pruned @ matrix.T).tocsr()
    for row, cols in enumerate(found):
        sharing = partial.indices[partial.indptr[row]:partial.indptr[row + 1]]
        estimate = 0.5 * (latent[sharing] @ latent[row]) + 0.5 * partial[row, sharing].toarray()[0]
        assert set(sharing[estimate > 0]) <= set(cols.tolist())


@pytest.fixture(scope="module")
def grouped(corpus):
    from recommender import clusters

    with pytest.MonkeyPatch.context() as patch:  # groups from 0 articles, so used here
        patch.setattr("recommender.index.CLUSTERED_FROM", 0)
        index = RelatedIndex(**NARROW).fit(corpus)
        index._groups_of_latent = clusters.LatentClusters.fit(index.latent_vectors_, pool=60)
        yield index


def test_grouped_candidates_give_lists_close_to_exact_ones(grouped):
    assert grouped._latent_groups().probes < grouped._latent_groups().centroids.shape[0]
    exact = grouped.related_all(k=5, exact=True)
    approximate = grouped.related_all(k=5)
    assert np.mean([overlap(approximate[i], exact[i]) for i in grouped.ids_]) >= 0.9
    for ident in grouped.ids_[::11]:
        assert grouped.related(ident, k=5) == approximate[ident]


def test_grouped_lists_do_not_depend_on_the_number_of_processes(corpus, monkeypatch):
    from recommender import index as module

    monkeypatch.setattr(module, "_BLOCK_CELLS", 600 * 70)
    monkeypatch.setattr(module, "CLUSTERED_FROM", 0)
    one = RelatedIndex(**NARROW, n_jobs=1).fit(corpus).precompute(5)
    two = RelatedIndex(**NARROW, n_jobs=2).fit(corpus).precompute(5)
    assert one._groups_of_latent is not None
    assert np.array_equal(one.lists_[0], two.lists_[0])
    assert one.lists_[1].tobytes() == two.lists_[1].tobytes()


def test_outside_the_probed_groups_only_the_best_partial_cosines_are_candidates():
    rng = np.random.default_rng(5)
    matrix = sp.random(400, 60, density=0.08, format="csr", random_state=6, dtype=np.float32)
    latent = rng.standard_normal((400, 5)).astype(np.float32)
    one_group = LatentClusters.fit(latent, pool=1)
    pruned = prune_rows(matrix[:6], 4)
    found = block_candidates(pruned, term_codes(matrix), latent[:6], latent, 0.5, 5,
                             one_group)
    partial = (pruned @ matrix.T).tocsr()
    for row, cols in enumerate(found):
        group = int(np.argmax(latent[row] @ one_group.centroids.T))
        members = set(one_group.members[one_group.offsets[group]:
                                        one_group.offsets[group + 1]].tolist())
        sharing = partial.indices[partial.indptr[row]:partial.indptr[row + 1]]
        weights = partial.data[partial.indptr[row]:partial.indptr[row + 1]]
        outside = [(-w, c) for c, w in zip(sharing.tolist(), weights.tolist())
                   if c not in members]
        best = {c for _, c in sorted(outside)[:5]}
        assert len(outside) > 5  # the cut is really made here
        assert set(cols.tolist()) <= members | best
