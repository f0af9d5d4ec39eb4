"""Editor controls: floors, filters, diversity, duplicates, translations, decay, pins,
explanations and settings files."""

import json

import pytest

from recommender import Article, ConfigError, CorpusError, RelatedIndex
from recommender.config import read_settings_file

from .conftest import write_jsonl
from .test_cli import run

OFF = {"max_per_author": None, "duplicate_threshold": None, "detect_translations": False}


def art(ident, body, **fields):
    return Article(id=ident, title=fields.pop("title", ident), body=body, **fields)


LAND = "reforma agrária latifúndio terra camponeses assentamento"
NATO = "otan rússia guerra ucrânia aliança militar"
FILLER = ("cidade rio mar sol lua vento chuva pedra fogo livro escola música teatro "
          "cinema jornal rádio ponte estrada trem porto").split()


def varied(base, seed):
    """``base`` plus six words of its own, so that texts are related but not duplicates."""
    return base + " " + " ".join(FILLER[(seed * 7 + i * 3) % len(FILLER)] + str(seed)
                                 for i in range(6))


def ids(items):
    return [r.id for r in items]


@pytest.fixture()
def dated():
    return [
        art("query", LAND, date="2024-06-01", tags=["terra"]),
        art("old", LAND + " história", date="2020-06-01", tags=["arquivo"]),
        art("recent", LAND + " hoje", date="2024-05-01", tags=["Política"]),
        art("newer", LAND + " amanhã", date="2024-07-01"),
        art("undated", LAND + " sempre"),
        art("other", NATO, date="2024-06-01"),
    ]


def test_exclude_ids_and_tags_as_settings_and_per_query(dated):
    base = RelatedIndex(**OFF).fit(dated)
    assert {"old", "recent", "newer", "undated"} <= set(ids(base.related("query")))
    index = RelatedIndex(**OFF, exclude_ids=["old"], exclude_tags=["politica"]).fit(dated)
    assert not {"old", "recent"} & set(ids(index.related("query")))
    per_query = base.related("query", exclude_ids=["newer"], exclude_tags=["ARQUIVO"])
    assert not {"newer", "old"} & set(ids(per_query))


def test_date_window_skips_older_candidates_but_keeps_undated(dated):
    items = RelatedIndex(**OFF, max_age_days=365).fit(dated).related("query")
    assert "old" not in ids(items) and {"recent", "newer", "undated"} <= set(ids(items))


def test_only_older_keeps_lists_stable_when_new_articles_arrive(dated):
    index = RelatedIndex(**OFF, only_older=True).fit(dated)
    assert set(ids(index.related("query"))) == {"old", "recent"}
    grown = RelatedIndex(**OFF, only_older=True).fit([*dated, art("later", LAND, date="2025-01-01")])
    assert ids(grown.related("query")) == ids(index.related("query"))  # scores move with IDF
    assert set(ids(RelatedIndex(**OFF).fit(dated).related("query", only_older=True))) == {"old", "recent"}


def test_half_life_halves_the_score_of_older_articles(dated):
    plain = {r.id: r.score for r in RelatedIndex(**OFF).fit(dated).related("query")}
    decayed = {r.id: r.score for r in RelatedIndex(**OFF, half_life_days=31).fit(dated)
               .related("query")}
    assert decayed["recent"] == pytest.approx(plain["recent"] / 2, abs=2e-6)
    assert decayed["newer"] == plain["newer"] and decayed["undated"] == plain["undated"]
    assert decayed.get("old", 0.0) < plain["old"] / 1000  # four years of halvings


def test_at_most_n_per_author():
    articles = [art("q", LAND, author="Ana")] + [
        art(f"a{i}", LAND + f" parte {i}", author="Bia Souza") for i in range(5)] + [
        art("c", LAND + " outro olhar", author="Caio")]
    capped = RelatedIndex().fit(articles).related("q")  # the default cap is 3
    assert sum(r.author == "Bia Souza" for r in capped) == 3 and "c" in ids(capped)
    assert sum(r.author == "Bia Souza" for r in RelatedIndex(max_per_author=None).fit(articles)
               .related("q")) == 5
    assert sum(r.author == "Bia Souza" for r in RelatedIndex(max_per_author=1).fit(articles)
               .related("q")) == 1


def test_mmr_trades_a_near_twin_for_a_different_angle():
    articles = [
        art("q", LAND + " " + LAND + " " + NATO, title="Terra"),
        art("twin-a", LAND + " semente", title="Terra"),
        art("twin-b", LAND + " colheita", title="Terra"),
        art("angle", NATO, title="Guerra"),
    ]
    relevance = RelatedIndex(**OFF).fit(articles).related("q", k=2)
    assert ids(relevance) == ["twin-a", "twin-b"] or ids(relevance) == ["twin-b", "twin-a"]
    varied = RelatedIndex(**OFF, mmr_lambda=0.3).fit(articles).related("q", k=2)
    assert "angle" in ids(varied)
    assert [r.score for r in varied] == sorted((r.score for r in varied), reverse=True)


def test_exact_and_near_duplicates_are_never_listed():
    articles = [
        art("q", LAND, title="Terra"),
        art("copy-of-q", LAND, title="Terra"),
        art("x", NATO + " análise", title="Guerra"),
        art("x-republished", NATO + " análise", title="Guerra"),
        art("y", NATO + " " + LAND, title="Guerra e terra"),
    ]
    items = RelatedIndex(max_per_author=None).fit(articles).related("q")
    assert "copy-of-q" not in ids(items)
    listed_x = [i for i in ids(RelatedIndex().fit(articles).related("y")) if i.startswith("x")]
    assert len(listed_x) == 1
    loose = RelatedIndex(**OFF).fit(articles)
    assert "copy-of-q" in ids(loose.related("q"))


def test_translations_are_never_related_and_are_offered_separately():
    original = art("pt", "A reforma agrária e o latifúndio no Brasil. Putin Kim OTAN",
                   lang="pt", author="Ana", date="2024-07-01")
    translated = art("en", "Land reform and large estates in Brazil. Putin Kim NATO",
                     lang="en", author="Ana", date="2024-07-01", translation_of="pt")
    other = art("other", "Putin Kim reforma", lang="pt")
    index = RelatedIndex().fit([original, translated, other])
    assert "en" not in ids(index.related("pt")) and "pt" not in ids(index.related("en"))
    assert ids(index.translations("pt")) == ["en"] and index.translations("en")[0].lang == "pt"


def test_translations_are_detected_by_slug_author_and_date():
    pair = [art("a", "Putin Kim aliança militar", lang="pt", author="Ana", date="2024-07-01",
                url="https://x.example/pt/putin-kim/"),
            art("b", "Putin Kim military alliance", lang="en", author="Ana", date="2024-07-01",
                url="https://x.example/en/putin-kim/")]
    assert RelatedIndex().fit(pair).related("a") == []
    assert ids(RelatedIndex(detect_translations=False).fit(pair).related("a")) == ["b"]


def test_pins_come_first_in_the_editors_order():
    articles = [art("q", LAND, related=["far", "near"]), art("near", LAND + " hoje"),
                art("far", NATO), art("mid", LAND + " " + NATO)]
    items = RelatedIndex(**OFF).fit(articles).related("q", k=3)
    assert ids(items) == ["far", "near", "mid"]
    assert [r.pinned for r in items] == [True, True, False]
    assert ids(RelatedIndex(**OFF).fit(articles).related("q", k=1)) == ["far"]


def test_pins_to_unknown_ids_or_itself_fail_the_build_naming_them():
    with pytest.raises(CorpusError) as caught:
        RelatedIndex().fit([art("q", LAND, related=["ghost", "q"]), art("b", NATO)])
    message = str(caught.value)
    assert "'ghost'" in message and "cannot pin itself" in message


def test_explanations_add_up_to_the_score_and_survive_save_and_load(fixture_index, tmp_path):
    items = fixture_index.related("vladimir-putin-in-north-korea", k=5, explain=True)
    for item in items:
        fields = dict(item.explanation.fields)
        assert sum(fields.values()) == pytest.approx(item.score, abs=1e-4)
        assert set(fields) == {"title", "blurb", "body", "tags", "author", "latent", "byline"}
        weights = [w for _, w in item.explanation.terms]
        assert weights == sorted(weights, reverse=True) and len(weights) <= 10
    assert fixture_index.explain("vladimir-putin-in-north-korea", items[0].id) == items[0].explanation
    fixture_index.save(tmp_path / "i")
    loaded = RelatedIndex.load(tmp_path / "i")
    assert loaded.related("vladimir-putin-in-north-korea", k=5, explain=True) == items
    assert "explanation" not in fixture_index.related("vladimir-putin-in-north-korea")[0].to_dict()
    assert "explanation" in items[0].to_dict()


def test_title_matches_are_attributed_to_the_title():
    index = RelatedIndex().fit([art("q", "quilombo", title="Quilombo"),
                                art("t", "nada em comum aqui", title="Quilombo")])
    fields = dict(index.explain("q", "t").fields)
    assert fields["title"] > 0 and fields["body"] == 0


def test_settings_file_is_strict_and_names_the_file(tmp_path):
    good = tmp_path / "good.toml"
    good.write_text('min_score = 0.05\nexclude_tags = ["editorial"]\n[field_weights]\ntitle = 3\n')
    assert read_settings_file(good)["field_weights"] == {"title": 3}
    bad = tmp_path / "bad.toml"
    bad.write_text('min_scor = 0.05\nmax_per_author = 0\n')
    with pytest.raises(ConfigError) as caught:
        read_settings_file(bad)
    assert str(caught.value).startswith(f"{bad}: invalid settings")
    assert "min_scor" in str(caught.value) and "max_per_author" in str(caught.value)
    broken = tmp_path / "broken.toml"
    broken.write_text("min_score = \n")
    with pytest.raises(ConfigError, match=r"broken.toml: not valid TOML.*line 1"):
        read_settings_file(broken)


def test_cli_build_reads_the_settings_file_and_flags_override_it(tmp_path):
    source = write_jsonl(tmp_path / "a.jsonl", [
        {"id": "q", "body": varied(LAND, 1)}, {"id": "a", "body": varied(LAND, 2), "tags": ["x"]},
        {"id": "b", "body": varied(LAND, 3)}])
    config = tmp_path / "s.toml"
    config.write_text('exclude_tags = ["x"]\nmin_score = 0.01\n')
    assert run("build", source, "--out", tmp_path / "i", "--config", config,
               "--min-score", "0.02")[0] == 0
    settings = json.loads((tmp_path / "i" / "manifest.json").read_text())["settings"]
    assert settings["exclude_tags"] == ["x"] and settings["min_score"] == 0.02
    code, out, _ = run("related", tmp_path / "i", "q", "--json")
    assert [i["id"] for i in json.loads(out)] == ["b"]
    bad = tmp_path / "bad.toml"
    bad.write_text("colour = 1\n")
    code, _, err = run("build", source, "--out", tmp_path / "j", "--config", bad)
    assert code == 1 and "bad.toml" in err and "colour" in err and not (tmp_path / "j").exists()


def test_cli_explain_and_query_flags(tmp_path):
    source = write_jsonl(tmp_path / "a.jsonl", [
        {"id": "q", "title": "Reforma agrária", "body": varied(LAND, 1)},
        {"id": "a", "title": "Reforma", "body": varied(LAND, 2)},
        {"id": "b", "body": varied(LAND, 3)}])
    run("build", source, "--out", tmp_path / "i")
    code, out, _ = run("related", tmp_path / "i", "q", "--explain")
    assert code == 0 and out.count("why: ") == 2
    code, out, _ = run("related", tmp_path / "i", "q", "--exclude-id", "a", "--json")
    assert [i["id"] for i in json.loads(out)] == ["b"]
    code, out, _ = run("explain", tmp_path / "i", "q", "a", "--json")
    document = json.loads(out)
    assert code == 0 and document["fields"]["title"] > 0
    assert document["cosine"] == pytest.approx(sum(document["fields"].values()), abs=1e-6)
    code, text, _ = run("explain", tmp_path / "i", "q", "a")
    assert text.startswith(f"cosine {document['cosine']:.6f} between q and a")


def test_cli_evaluate_reports_ours_and_baselines(tmp_path):
    records = [{"id": f"l{i}", "body": varied(LAND, i), "labels": ["land"]} for i in range(4)]
    records += [{"id": f"n{i}", "body": varied(NATO, i + 10), "labels": ["nato"]}
                for i in range(4)]
    source = write_jsonl(tmp_path / "labelled.jsonl", records)
    code, out, _ = run("evaluate", source, "-k", "1,3", "--resamples", "50", "--json")
    result = json.loads(out)
    assert code == 0 and {"ours", "tuned_tfidf", "sklearn_default"} <= set(result["methods"])
    assert result["methods"]["ours"]["metrics"]["precision@1"]["value"] == 1.0
    assert run("evaluate", source, "-k", "0")[0] == 2
