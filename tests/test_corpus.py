import datetime as dt
import gzip
import json

import pytest

from recommender import Article, ConfigError, CorpusError, iter_articles, load_articles
from recommender.corpus import MAX_REPORTED_PROBLEMS

from .conftest import ARTICLES, INVALID, write_jsonl

# file -> (line, field) of its one defect
DEFECTS = {
    "malformed-json.jsonl": "json",
    "not-an-object.jsonl": "json",
    "missing-id.jsonl": "id",
    "empty-id.jsonl": "id",
    "id-not-string.jsonl": "id",
    "duplicate-id.jsonl": "id",
    "title-not-string.jsonl": "title",
    "tags-not-list.jsonl": "tags",
    "tags-item-not-string.jsonl": "tags",
    "author-wrong-type.jsonl": "author",
    "bad-date.jsonl": "date",
    "bad-lang.jsonl": "lang",
    "no-title-no-body.jsonl": "title",
    "invalid-utf8.jsonl": "encoding",
}


def test_fixture_corpus_loads_in_file_order():
    articles = load_articles(ARTICLES)
    ids_in_file = [json.loads(line)["id"] for line in ARTICLES.read_text("utf-8").splitlines()
                   if line.strip()]
    assert [a.id for a in articles] == ids_in_file
    assert len(articles) >= 80
    assert all(isinstance(a, Article) for a in articles)


@pytest.mark.parametrize("name", sorted(DEFECTS))
def test_each_invalid_file_names_file_line_and_field(name):
    path = INVALID / name
    with pytest.raises(CorpusError) as caught:
        load_articles(path)
    problems = caught.value.problems
    assert len(problems) == 1, problems
    where, field = problems[0].split(": ")[:2]
    assert where.startswith(f"{path}:") and where.rsplit(":", 1)[1].isdigit()
    assert field == DEFECTS[name]


def test_duplicate_ids_name_both_lines(tmp_path):
    path = write_jsonl(tmp_path / "d.jsonl", [
        {"id": "a", "title": "um"}, {"id": "b", "title": "dois"}, {"id": "a", "title": "três"}])
    with pytest.raises(CorpusError, match=r"d\.jsonl:3: id: duplicate id 'a' \(first used on line 1\)"):
        load_articles(path)


def test_duplicate_ids_across_files_name_both_files(tmp_path):
    first = write_jsonl(tmp_path / "one.jsonl", [{"id": "a", "title": "um"}])
    second = write_jsonl(tmp_path / "two.jsonl", [{"id": "a", "title": "outro"}])
    with pytest.raises(CorpusError, match=r"two\.jsonl:1: id: duplicate id 'a' .*one\.jsonl:1"):
        load_articles([first, second])


def test_every_problem_is_listed_not_just_the_first():
    with pytest.raises(CorpusError) as caught:
        load_articles(INVALID / "many-problems.jsonl")
    lines = sorted({int(p.split(":")[1]) for p in caught.value.problems})
    assert lines == [1, 2, 4, 5]
    assert str(caught.value).startswith(f"{len(caught.value.problems)} problems found")


def test_problem_list_is_capped_with_a_count_of_the_rest(tmp_path):
    path = write_jsonl(tmp_path / "bad.jsonl", [{"id": i} for i in range(150)])
    with pytest.raises(CorpusError) as caught:
        load_articles(path)
    problems = caught.value.problems
    assert len(problems) == MAX_REPORTED_PROBLEMS + 1
    assert problems[-1].startswith("... and ")


def test_invalid_utf8_names_the_line_and_other_lines_still_checked(tmp_path):
    path = tmp_path / "enc.jsonl"
    path.write_bytes(b'{"id": "a", "title": "ok"}\n{"id": "b", "title": "\xff\xfe"}\n'
                     b'{"id": 3, "title": "x"}\n')
    with pytest.raises(CorpusError) as caught:
        load_articles(path)
    assert [p.split(": ")[:2] for p in caught.value.problems] == [
        [f"{path}:2", "encoding"], [f"{path}:3", "id"]]


@pytest.mark.parametrize("content", [b"", b"\n\n  \n"])
def test_a_file_without_articles_is_an_error(tmp_path, content):
    path = tmp_path / "empty.jsonl"
    path.write_bytes(content)
    with pytest.raises(CorpusError, match="empty.jsonl: file: holds no articles"):
        load_articles(path)


def test_missing_file_is_a_corpus_error_naming_it(tmp_path):
    with pytest.raises(CorpusError, match="nope.jsonl: file: no such file"):
        load_articles(tmp_path / "nope.jsonl")


def test_bom_crlf_and_blank_lines_are_accepted(tmp_path):
    path = tmp_path / "messy.jsonl"
    path.write_bytes(b'\xef\xbb\xbf{"id": "a", "title": "Um"}\r\n\r\n{"id": "b", "body": "Dois"}\r\n')
    assert [a.id for a in load_articles(path)] == ["a", "b"]


def test_gzip_input_is_read(tmp_path):
    path = tmp_path / "a.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as stream:
        stream.write(json.dumps({"id": "x", "title": "Reforma agrária"}) + "\n")
    assert load_articles(path)[0].title == "Reforma agrária"


def test_null_means_absent_and_unknown_keys_are_ignored(tmp_path):
    path = write_jsonl(tmp_path / "n.jsonl", [{
        "id": "a", "title": "Título", "body": None, "url": None, "author": None, "date": None,
        "blurb": None, "tags": None, "lang": None, "labels": ["x"], "anything": {"y": 1}}])
    article = load_articles(path)[0]
    assert article == Article(id="a", title="Título")
    assert article.body == "" and article.author == () and article.tags == ()


def test_fields_are_normalised(tmp_path):
    path = write_jsonl(tmp_path / "f.jsonl", [
        {"id": "a", "title": "T", "author": "Ana", "tags": ["x", "y"],
         "date": "2024-07-21T09:30:00-03:00", "lang": "pt"},
        {"id": "b", "title": "T", "author": ["Ana", "Bia"], "date": "2024-07-21"}])
    first, second = load_articles(path)
    assert first.author == ("Ana",) and first.tags == ("x", "y")
    assert first.date == dt.datetime(2024, 7, 21, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=-3)))
    assert second.author == ("Ana", "Bia") and second.date == dt.date(2024, 7, 21)


def test_article_validates_every_field_at_once():
    with pytest.raises(CorpusError) as caught:
        Article(id="x", title=3, tags="a", date="ontem", lang="es")
    fields = [p.split(": ")[1] for p in caught.value.problems]
    assert fields == ["title", "tags", "date", "lang"]


def test_article_is_frozen():
    article = Article(id="a", title="t")
    with pytest.raises(AttributeError):
        article.title = "u"


# -- streaming ------------------------------------------------------------------------------


def test_iter_articles_gives_what_load_articles_gives_one_at_a_time():
    stream = iter_articles(ARTICLES)
    first = next(stream)  # available before the rest of the file is read
    assert [first, *stream] == load_articles(ARTICLES)


def test_iter_articles_refuses_a_bad_format_at_once_not_when_read(tmp_path):
    with pytest.raises(ConfigError, match="unknown input format 'yaml'"):
        iter_articles(ARTICLES, format="yaml")
    (tmp_path / "notes.txt").write_text("not articles\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="notes.txt"):
        iter_articles([ARTICLES, tmp_path / "notes.txt"])


def test_a_stream_stops_at_the_first_problem_and_lists_every_one_at_its_end(tmp_path):
    path = write_jsonl(tmp_path / "late.jsonl", [
        {"id": "a", "title": "um"}, {"id": "b", "title": "dois"}, {"id": 3, "title": "três"},
        {"id": "d", "title": "quatro"}, {"id": "a", "title": "cinco"}])
    given = []
    with pytest.raises(CorpusError) as caught:
        for article in iter_articles([path, tmp_path / "missing.jsonl"]):
            given.append(article.id)
    assert given == ["a", "b"]  # nothing after the first problem
    assert [p.split(": ")[:2] for p in caught.value.problems] == [
        [f"{path}:3", "id"], [f"{path}:5", "id"], [f"{tmp_path / 'missing.jsonl'}", "file"]]
