"""Incremental publish: an update equals a full rebuild under the same model, and
reports exactly the lists that changed."""

import dataclasses
import json

import numpy as np
import pytest

from recommender import CorpusError, RelatedIndex
from recommender.analysis import analyse_articles
from recommender.catalog import Entry

from .conftest import ARTICLES
from .test_cli import run

K = 5


def rebuild_under(model, articles):
    """A full rebuild of ``articles`` with ``model``'s vocabulary, IDF and latent
    components (the frozen model)."""
    fresh = RelatedIndex.from_settings(model.get_settings())
    analysed = analyse_articles(articles, fresh._analyzer)
    matrix, norms, field_tf = fresh._weigh([f for _, f in analysed], model._term_column,
                                           model.idf_)
    fresh._set_state(entries=[Entry.from_article(a, lang) for a, (lang, _) in zip(articles, analysed)],
                     vocabulary=model.vocabulary_, idf=model.idf_, matrix=matrix, norms=norms,
                     field_tf=field_tf, latent_components=model.latent_components_,
                     latent_vectors=model._project(matrix), latent_blocks=model.latent_blocks_,
                     author_agreement=model.author_agreement_)
    return fresh.precompute(K)


def shown(index, ident):
    return [r.to_dict() for r in index.related(ident, k=K)]


@pytest.fixture()
def scenario(fixture_articles):
    base, extra = list(fixture_articles[:78]), list(fixture_articles[78:])
    index = RelatedIndex().fit(base).precompute(K)
    before = {ident: shown(index, ident) for ident in index.ids_}
    retitled = dataclasses.replace(base[1], title="Um título novo para a guerra da OTAN")
    removed = base[5].id
    report = index.update([*extra, retitled, base[2]], remove=[removed])
    final = [retitled if a.id == retitled.id else a for a in base if a.id != removed] + extra
    return index, before, report, final, retitled, removed


def test_update_equals_a_full_rebuild_under_the_same_model(scenario):
    index, _, _, final, _, _ = scenario
    reference = rebuild_under(index, final)
    assert index.ids_ == [a.id for a in final]
    assert (index.matrix_ != reference.matrix_).nnz == 0
    assert np.array_equal(index.lists_[0], reference.lists_[0])
    assert np.array_equal(index.lists_[1], reference.lists_[1])
    assert index.related_all(k=K) == reference.related_all(k=K)


def test_report_names_exactly_the_lists_that_changed(scenario):
    index, before, report, _, retitled, removed = scenario
    assert report["added"] == sorted(a for a in index.ids_[-10:])
    assert report["updated"] == [retitled.id]  # base[2] came back unchanged
    assert report["removed"] == [removed]
    expected = sorted(i for i in before if i in index and shown(index, i) != before[i])
    assert report["changed"] == expected and expected
    listing_retitled = [i for i in before if any(r["id"] == retitled.id for r in before[i])
                        and i in index and any(r["id"] == retitled.id for r in shown(index, i))]
    assert set(listing_retitled) <= set(report["changed"])


def test_no_list_points_to_a_removed_article(scenario):
    index, _, _, _, _, removed = scenario
    assert all(removed not in [r.id for r in items] for items in index.related_all(k=K).values())


def test_update_survives_save_and_load(scenario, tmp_path):
    index = scenario[0]
    index.save(tmp_path / "i")
    loaded = RelatedIndex.load(tmp_path / "i")
    assert loaded.related_all(k=K) == index.related_all(k=K)
    assert loaded.model_changes_ == index.model_changes_ == 11


@pytest.mark.parametrize(("given", "remove", "message"), [
    ([], ["ghost"], "unknown article id 'ghost'"),
    ("first", ["first"], "both given and removed"),
])
def test_bad_updates_are_refused_whole(fixture_articles, given, remove, message):
    index = RelatedIndex().fit(fixture_articles[:10]).precompute(K)
    lists = index.lists_[0].copy()
    articles = [fixture_articles[0]] if given == "first" else given
    remove = [fixture_articles[0].id] if remove == ["first"] else remove
    with pytest.raises(CorpusError, match=message):
        index.update(articles, remove=remove)
    assert np.array_equal(index.lists_[0], lists)


def test_pins_to_removed_articles_are_dropped_and_reported(fixture_articles):
    base = list(fixture_articles[:10])
    base[0] = dataclasses.replace(base[0], related=(base[1].id,))
    index = RelatedIndex().fit(base).precompute(K)
    report = index.update([], remove=[base[1].id])
    assert report["unpinned"] == [f"{base[0].id} -> {base[1].id}"]
    assert base[1].id not in [r.id for r in index.related(base[0].id, k=K)]


def test_cli_update_reports_json_and_rewrites_the_index(tmp_path):
    lines = ARTICLES.read_text("utf-8").splitlines()
    (tmp_path / "base.jsonl").write_text("\n".join(lines[:80]) + "\n", encoding="utf-8")
    (tmp_path / "new.jsonl").write_text("\n".join(lines[80:]) + "\n", encoding="utf-8")
    assert run("build", tmp_path / "base.jsonl", "--out", tmp_path / "i", "-k", "5")[0] == 0
    removed = json.loads(lines[3])["id"]
    code, out, err = run("update", tmp_path / "i", tmp_path / "new.jsonl", "--remove", removed,
                         "--json")
    assert code == 0, err
    report = json.loads(out)
    assert len(report["added"]) == len(lines) - 80 and report["removed"] == [removed]
    code, out, _ = run("related", tmp_path / "i", json.loads(lines[81])["id"], "--json")
    assert code == 0 and json.loads(out)
    code, _, err = run("update", tmp_path / "i", "--remove", "ghost")
    assert code == 1 and "ghost" in err
