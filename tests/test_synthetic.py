"""The seeded synthetic corpus generator (benchmarks/synthetic.py)."""

from __future__ import annotations

import datetime as dt
import doctest
import gzip
import json
import re
from pathlib import Path

import numpy as np
import pytest

from benchmarks import synthetic
from benchmarks.synthetic import generate, held_out_queries, main, write_jsonl

FUNCTION_WORDS = {w for w, _ in synthetic._FUNCTION_WORDS}
DIACRITICS = set("áàâãéêíóôõúç")
WORD = re.compile(r"\w+")
KEYS = ["id", "title", "body", "author", "date", "blurb", "tags", "lang", "url", "labels"]
SMALL = {"vocabulary_size": 5_000}   # a quick model for tests that do not need the full one


@pytest.fixture(scope="module")
def corpus() -> list[dict]:
    return list(generate(300, seed=0, mean_words=300))


def tokens(text: str) -> list[str]:
    return WORD.findall(text.lower())


def test_same_arguments_give_identical_bytes(tmp_path: Path) -> None:
    for name in ("a.jsonl", "b.jsonl", "a.jsonl.gz", "b.jsonl.gz"):
        write_jsonl(generate(60, seed=3, mean_words=80, **SMALL), tmp_path / name)
    assert (tmp_path / "a.jsonl").read_bytes() == (tmp_path / "b.jsonl").read_bytes()
    assert (tmp_path / "a.jsonl.gz").read_bytes() == (tmp_path / "b.jsonl.gz").read_bytes()


def test_different_seeds_differ() -> None:
    a = list(generate(20, seed=3, mean_words=80, **SMALL))
    b = list(generate(20, seed=4, mean_words=80, **SMALL))
    assert all(x["body"] != y["body"] for x, y in zip(a, b, strict=True))
    assert {x["title"] for x in a}.isdisjoint(y["title"] for y in b)


def test_first_articles_do_not_depend_on_how_many_follow() -> None:
    # Across a block boundary; holds when n_topics and n_authors are given.
    params = dict(seed=2, mean_words=12, n_topics=15, n_authors=12, **SMALL)
    longer = list(generate(synthetic.CHUNK_SIZE + 150, **params))
    shorter = list(generate(synthetic.CHUNK_SIZE + 40, **params))
    assert longer[: len(shorter)] == shorter


def test_record_schema(corpus: list[dict]) -> None:
    ids = [r["id"] for r in corpus]
    assert ids == [f"synthetic-{i:07d}" for i in range(len(corpus))]
    first, last = dt.date(2005, 1, 1), dt.date(2024, 12, 31)
    for r in corpus:
        assert list(r) == KEYS
        assert all(isinstance(r[k], str) for k in ("id", "title", "body", "author", "date",
                                                   "blurb", "lang", "url"))
        assert first <= dt.date.fromisoformat(r["date"]) <= last
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", r["date"])
        assert r["lang"] == "pt"
        assert r["url"] == f"https://revista.example/artigos/{r['id']}/"
        assert 5 <= len(r["title"].split()) <= 10 and r["title"][0].isupper()
        assert 8 <= len(r["blurb"].split()) <= 20
        assert r["blurb"][0].isupper() and r["blurb"].endswith(".")
        assert r["blurb"].count(".") == 1
        assert isinstance(r["tags"], list) and 1 <= len(r["tags"]) <= 4
        assert len(set(r["tags"])) == len(r["tags"])
        assert all(isinstance(t, str) and t for t in r["tags"])
        assert 1 <= len(r["labels"]) <= 3 and len(set(r["labels"])) == len(r["labels"])
        assert all(re.fullmatch(r"t\d{3}", label) for label in r["labels"])
    assert len({r["author"] for r in corpus}) > 1


def test_dates_respect_the_range() -> None:
    records = list(generate(50, seed=0, mean_words=10, start_date="2020-02-28",
                            end_date=dt.date(2020, 3, 1), **SMALL))
    assert {r["date"] for r in records} <= {"2020-02-28", "2020-02-29", "2020-03-01"}


def test_text_is_sentences_and_paragraphs(corpus: list[dict]) -> None:
    for r in corpus:
        body = r["body"]
        assert body == body.strip() and "  " not in body and "\n\n\n" not in body
        assert body.endswith(".")
        for paragraph in body.split("\n\n"):
            assert "\n" not in paragraph and paragraph.endswith(".")
            for sentence in paragraph.split(". "):
                assert sentence[0].isupper()
                last = tokens(sentence)[-1]
                assert last not in FUNCTION_WORDS   # sentences end on a content word
    assert sum(r["body"].count("\n\n") for r in corpus) > len(corpus)
    assert sum(r["body"].count(", ") for r in corpus) > len(corpus)


def test_body_length_median_follows_mean_words(corpus: list[dict]) -> None:
    lengths = np.array([len(r["body"].split()) for r in corpus])
    assert abs(np.median(lengths) - 300) <= 0.2 * 300
    assert lengths.std() > 50     # lognormal spread, not a constant


def test_portuguese_shape(corpus: list[dict]) -> None:
    words = [w for r in corpus for w in tokens(r["body"])]
    text = "".join(words)
    for char in "çãõéê":
        assert char in text
    with_diacritic = sum(1 for w in words if DIACRITICS & set(w)) / len(words)
    assert 0.05 <= with_diacritic <= 0.25
    function = sum(1 for w in words if w in FUNCTION_WORDS) / len(words)
    assert 0.35 <= function <= 0.45
    content = {w for w in words if w not in FUNCTION_WORDS}
    assert all(2 <= len(w) <= 14 and w.isalpha() for w in content)


def label_contrast(records: list[dict]) -> float:
    """Mean cosine of content-word counts over pairs sharing a label / pairs sharing none.

    Function words are left out, as the index leaves them out: they make up 40 % of the
    tokens, the same in every article, and would swamp the topic words in a raw count.
    """
    vocabulary: dict[str, int] = {}
    rows = [[vocabulary.setdefault(w, len(vocabulary))
             for w in tokens(r["body"]) if w not in FUNCTION_WORDS] for r in records]
    counts = np.array([np.bincount(row, minlength=len(vocabulary)) for row in rows], float)
    unit = counts / np.linalg.norm(counts, axis=1, keepdims=True)
    cosine = unit @ unit.T
    labels = [set(r["labels"]) for r in records]
    i, j = np.triu_indices(len(records), k=1)
    shared = np.array([bool(labels[a] & labels[b]) for a, b in zip(i, j, strict=True)])
    assert shared.any() and (~shared).any()
    return cosine[i, j][shared].mean() / cosine[i, j][~shared].mean()


def test_articles_sharing_a_label_are_more_similar() -> None:
    records = list(generate(200, seed=0, mean_words=200, n_topics=10))
    assert label_contrast(records) > 1.1
    stronger = list(generate(200, seed=0, mean_words=200, n_topics=10, topic_share=0.3))
    assert label_contrast(stronger) > label_contrast(records) + 0.2


def test_topic_share_zero_leaves_no_topic_signal() -> None:
    records = list(generate(200, seed=0, mean_words=200, n_topics=10, topic_share=0.0))
    assert abs(label_contrast(records) - 1) < 0.05


def test_held_out_queries_are_new_text(corpus: list[dict]) -> None:
    queries = held_out_queries(25, seed=0, n_articles=300, mean_words=300)
    assert len(queries) == 25 and len(set(queries)) == 25
    assert queries == held_out_queries(25, seed=0, n_articles=300, mean_words=300)
    texts = {f"{r['title']}\n\n{r['body']}" for r in corpus}
    bodies = {r["body"] for r in corpus}
    for query in queries:
        title, body = query.split("\n\n", 1)
        assert query not in texts and body not in bodies
    # Same vocabulary as the corpus: most query words occur in it (all but the rarest).
    known = {w for r in corpus for w in tokens(r["body"])}
    words = [w for q in queries for w in tokens(q)]
    assert sum(w in known for w in words) / len(words) > 0.8


def test_held_out_queries_reject_unknown_parameters() -> None:
    with pytest.raises(TypeError, match="unknown parameter.*n_articels"):
        held_out_queries(1, seed=0, n_articles=10, n_articels=5)


@pytest.mark.parametrize("name", ["corpus.jsonl", "corpus.jsonl.gz"])
def test_write_jsonl_round_trip(tmp_path: Path, name: str) -> None:
    records = list(generate(30, seed=0, mean_words=40, **SMALL))
    path = tmp_path / name
    assert write_jsonl(records, path) == 30
    data = path.read_bytes()
    if name.endswith(".gz"):
        assert data[:2] == b"\x1f\x8b"
        data = gzip.decompress(data)
    lines = data.decode("utf-8").split("\n")
    assert lines[-1] == "" and len(lines) == 31
    assert [json.loads(line) for line in lines[:-1]] == records
    assert lines[0] == json.dumps(records[0], ensure_ascii=False, separators=(",", ":"))
    assert "ã" in data.decode("utf-8") or "ç" in data.decode("utf-8")   # not \u escapes
    assert [p.name for p in tmp_path.iterdir()] == [name]               # no temporary left


def test_write_jsonl_failure_keeps_the_old_file(tmp_path: Path) -> None:
    path = tmp_path / "corpus.jsonl"
    path.write_text("old\n", encoding="utf-8")
    with pytest.raises(TypeError):
        write_jsonl([{"id": "a"}, {"id": object()}], path)
    assert path.read_text(encoding="utf-8") == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["corpus.jsonl"]


def test_generate_nothing() -> None:
    assert list(generate(0)) == []
    assert held_out_queries(0, seed=0, n_articles=0) == []


@pytest.mark.parametrize(("kwargs", "error", "match"), [
    ({"n_articles": -1}, ValueError, "n_articles must be >= 0, got -1"),
    ({"n_articles": 2.5}, TypeError, "n_articles must be an integer"),
    ({"n_articles": True}, TypeError, "n_articles must be an integer"),
    ({"seed": -3}, ValueError, "seed must be >= 0"),
    ({"mean_words": 0}, ValueError, r"mean_words must be in \(0, "),
    ({"mean_words": float("nan")}, ValueError, "mean_words must be in"),
    ({"sigma": -0.1}, ValueError, r"sigma must be in \[0, 3\]"),
    ({"topic_share": 1.5}, ValueError, r"topic_share must be in \[0, 1\]"),
    ({"n_topics": 0}, ValueError, "n_topics must be between 1 and"),
    ({"n_authors": 0}, ValueError, "n_authors must be between 1 and"),
    ({"vocabulary_size": 10}, ValueError, "vocabulary_size must be between 1,000 and 200,000"),
    ({"start_date": "2020-13-01"}, ValueError, "start_date must be an ISO date"),
    ({"end_date": 2020}, TypeError, "end_date must be an ISO date string"),
    ({"start_date": "2021-01-01", "end_date": "2020-01-01"}, ValueError,
     "end_date 2020-01-01 is before start_date 2021-01-01"),
])
def test_invalid_arguments_raise_at_the_call(kwargs: dict, error: type, match: str) -> None:
    kwargs = {"n_articles": 5, **kwargs}
    with pytest.raises(error, match=match):
        generate(kwargs.pop("n_articles"), **kwargs)   # no next(): raised by the call


def test_cli_writes_the_corpus(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "x.jsonl"
    code = main(["--n", "12", "--seed", "0", "--out", str(out), "--mean-words", "30",
                 "--vocabulary-size", "5000"])
    captured = capsys.readouterr()
    assert code == 0 and captured.out == ""
    lines = out.read_text(encoding="utf-8").splitlines()
    assert [json.loads(x) for x in lines] == list(generate(12, mean_words=30, **SMALL))
    words = sum(len(json.loads(x)["body"].split()) for x in lines)
    assert re.fullmatch(rf"12 articles, {words} words, {out.stat().st_size} bytes, "
                        rf"[0-9.]+ s -> {re.escape(str(out))} .*\n", captured.err)


def test_cli_rejects_bad_values(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "x.jsonl"
    assert main(["--n", "-5", "--out", str(out)]) == 2
    assert "n_articles must be >= 0" in capsys.readouterr().err
    assert main(["--n", "3", "--out", str(tmp_path / "missing" / "x.jsonl"),
                 "--vocabulary-size", "5000"]) == 1
    assert "cannot write" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        main(["--out", str(out)])
    assert exit_info.value.code == 2
    assert not out.exists()


def test_docstring_examples_run() -> None:
    result = doctest.testmod(synthetic, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
