import io
import json
import subprocess
import sys

import pytest

from recommender.cli import main

from .conftest import ARTICLES, INVALID, ROOT, write_jsonl

SMALL = [
    {"id": "fiori-otan", "title": "What time is it on the NATO war clock?",
     "author": "José Luís Fiori", "date": "2024-07-17", "lang": "en",
     "url": "https://revista.example/artigos/fiori-otan/",
     "blurb": "A reading of NATO's summit.",
     "body": "NATO expands east and Russia answers; the war clock runs faster."},
    {"id": "putin-coreia", "title": "Vladimir Putin in North Korea",
     "author": "Bruno Fabricio Alcebino da Silva", "lang": "en",
     "body": "Russia and North Korea sign a pact while NATO grows."},
    {"id": "krenak", "title": "Ailton Krenak e a terra", "author": ["Ana Souza", "Bia Lima"],
     "date": "2024-07-11", "body": "Krenak pensa a terra, os rios e os povos indígenas."},
]


def run(*argv, stdin=None):
    out, err = io.StringIO(), io.StringIO()
    if stdin is not None:
        old, sys.stdin = sys.stdin, io.StringIO(stdin)
    try:
        code = main(list(map(str, argv)), stdout=out, stderr=err)
    finally:
        if stdin is not None:
            sys.stdin = old
    return code, out.getvalue(), err.getvalue()


@pytest.fixture()
def small_index(tmp_path):
    source = write_jsonl(tmp_path / "small.jsonl", SMALL)
    code, out, err = run("build", source, "--out", tmp_path / "idx")
    assert code == 0, err
    return tmp_path / "idx"


def test_build_prints_a_summary_on_stderr_and_nothing_on_stdout(tmp_path):
    source = write_jsonl(tmp_path / "small.jsonl", SMALL)
    code, out, err = run("build", source, "--out", tmp_path / "idx")
    assert code == 0 and out == ""
    assert err.startswith("indexed 3 articles, ") and err.rstrip().endswith(str(tmp_path / "idx"))
    assert (tmp_path / "idx" / "manifest.json").is_file()


def test_related_text_is_the_sidebar(small_index):
    code, out, err = run("related", small_index, "putin-coreia", "-k", "2")
    assert code == 0 and err == ""
    assert out == (
        "1. What time is it on the NATO war clock?\n"
        "   José Luís Fiori · 17/07/2024\n"
        "   By JOSÉ LUÍS FIORI: A reading of NATO's summit.\n"
        "   https://revista.example/artigos/fiori-otan/\n"
    )


def test_related_json_is_one_array_with_the_documented_keys(small_index):
    code, out, _ = run("related", small_index, "putin-coreia", "--json")
    items = json.loads(out)
    assert code == 0 and [i["id"] for i in items] == ["fiori-otan"]
    assert list(items[0]) == ["id", "title", "url", "author", "date", "blurb", "score"]
    assert items[0]["date"] == "2024-07-17" and 0 < items[0]["score"] <= 1


def test_unknown_id_exits_1_with_one_clear_line(small_index):
    code, out, err = run("related", small_index, "putin")
    assert code == 1 and out == ""
    assert err.startswith("recommender: error: unknown article id 'putin'")
    assert "Traceback" not in err and err.count("\n") == 1


@pytest.mark.parametrize("argv", [[], ["related"], ["related", "x", "y", "-k", "0"],
                                  ["frobnicate"], ["build", "in.jsonl"]])
def test_usage_errors_exit_2(argv):
    code, out, err = run(*argv)
    assert code == 2 and out == "" and "error" in err


def test_bad_data_exits_1_lists_problems_and_writes_no_index(tmp_path):
    code, out, err = run("build", INVALID / "many-problems.jsonl", "--out", tmp_path / "idx")
    assert code == 1 and out == ""
    assert err.startswith("recommender: error: ") and "many-problems.jsonl:1" in err
    assert "many-problems.jsonl:5" in err and "Traceback" not in err
    assert not (tmp_path / "idx").exists()


def test_a_failed_build_keeps_the_existing_index(small_index, tmp_path):
    before = {p.name: p.read_bytes() for p in small_index.iterdir()}
    code, _, _ = run("build", INVALID / "bad-date.jsonl", "--out", small_index)
    assert code == 1
    assert {p.name: p.read_bytes() for p in small_index.iterdir()} == before


def test_missing_index_exits_1(tmp_path):
    code, _, err = run("related", tmp_path / "none", "x")
    assert code == 1 and "not a directory" in err


def test_similar_reads_stdin_with_dash(small_index):
    code, out, _ = run("similar", small_index, "-", "--json", stdin="os povos indígenas e a terra")
    assert code == 0 and json.loads(out)[0]["id"] == "krenak"
    assert json.loads(out)[0]["author"] == "Ana Souza, Bia Lima"


def test_empty_similar_text_is_a_usage_error(small_index):
    assert run("similar", small_index, "  ")[0] == 2


def test_export_is_sorted_and_byte_identical(small_index, tmp_path):
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    assert run("export", small_index, "--out", first, "-k", "5")[0] == 0
    assert run("export", small_index, "--out", second, "-k", "5")[0] == 0
    assert first.read_bytes() == second.read_bytes()
    document = json.loads(first.read_text("utf-8"))
    assert list(document) == sorted(item["id"] for item in SMALL)
    assert [i["id"] for i in document["putin-coreia"]] == ["fiori-otan"]


def test_export_to_stdout(small_index):
    code, out, _ = run("export", small_index, "--out", "-")
    assert code == 0 and set(json.loads(out)) == {"fiori-otan", "putin-coreia", "krenak"}


def test_info_describes_the_index(small_index):
    code, out, _ = run("info", small_index, "--json")
    report = json.loads(out)
    assert code == 0 and report["articles"] == 3 and report["terms"] > 5
    assert report["languages"] == {"en": 2, "pt": 1}
    assert report["bytes_on_disk"] == sum(report["files"].values())
    code, text, _ = run("info", small_index)
    assert code == 0 and "articles   3 (2 en, 1 pt)" in text


def test_info_on_a_damaged_index_exits_1(small_index):
    (small_index / "vocabulary.json").write_text("[]")
    code, _, err = run("info", small_index)
    assert code == 1 and "vocabulary.json" in err


def test_python_dash_m_runs_the_same_command(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "recommender", "build", str(ARTICLES), "--out", str(tmp_path / "i")],
        capture_output=True, text=True, cwd=ROOT, check=False)
    assert result.returncode == 0, result.stderr
    result = subprocess.run(
        [sys.executable, "-m", "recommender", "related", str(tmp_path / "i"),
         "vladimir-putin-in-north-korea", "-k", "3"],
        capture_output=True, text=True, cwd=ROOT, check=False)
    assert result.returncode == 0 and result.stdout.startswith("1. ")


def test_exact_flags_score_every_article_and_are_kept_with_the_lists(tmp_path):
    from benchmarks import synthetic
    from recommender import RelatedIndex

    records = list(synthetic.generate(400, seed=5, mean_words=60, n_topics=8, n_authors=30))
    source = write_jsonl(tmp_path / "c.jsonl", records)
    narrow = ["--config", write_toml(tmp_path / "s.toml", "candidates = 60\ncandidate_terms = 4\n")]
    assert run("build", source, "--out", tmp_path / "approx", *narrow)[0] == 0
    assert run("build", source, "--out", tmp_path / "exact", "--exact", *narrow)[0] == 0
    approx, exact = RelatedIndex.load(tmp_path / "approx"), RelatedIndex.load(tmp_path / "exact")
    assert not approx.lists_exact_ and exact.lists_exact_
    ident = records[0]["id"]
    want = [item.id for item in exact.related(ident, k=5, exact=True)]
    for folder in ("approx", "exact"):
        code, out, _ = run("related", tmp_path / folder, ident, "-k", "5", "--json", "--exact")
        assert code == 0 and [item["id"] for item in json.loads(out)] == want
    text = records[1]["body"]
    code, out, _ = run("similar", tmp_path / "approx", text, "-k", "5", "--json", "--exact")
    assert [item["id"] for item in json.loads(out)] == \
        [item.id for item in approx.similar(text, k=5, exact=True)]


def write_toml(path, text):
    path.write_text(text, encoding="utf-8")
    return path
