"""The coverage report: short lists, orphans, hubs and missing targets.

The hand-made corpus shares no words between articles, so with k=2 each list is
exactly the editor's pins:

    hub:   [alfa, beta]      alfa: [hub, beta]     beta: [hub, gama]
    gama:  [hub, curta]      curta: [hub]          orfa: [hub, alfa]

hub is in 5 lists, alfa and beta in 2, gama and curta in 1, orfa in none;
curta's list is the one short list.
"""

import io
import json

import pytest

from recommender import Article, ConfigError, Related, RelatedIndex
from recommender.cli import main
from recommender.report import coverage_report, format_report

PINS = {
    "hub": ["alfa", "beta"],
    "alfa": ["hub", "beta"],
    "beta": ["hub", "gama"],
    "gama": ["hub", "curta"],
    "curta": ["hub"],
    "orfa": ["hub", "alfa"],
}
WORDS = {"hub": "Abacate", "alfa": "Berinjela", "beta": "Cenoura", "gama": "Damasco",
         "curta": "Ervilha", "orfa": "Figo"}


def corpus():
    return [Article(id=ident, title=f"{WORDS[ident]} maduro" if ident == "hub" else WORDS[ident],
                    body=f"{WORDS[ident].lower()}zal", lang="pt", related=pins)
            for ident, pins in PINS.items()]


@pytest.fixture()
def index():
    return RelatedIndex(latent_components=0).fit(corpus())  # lists = pins + shared words only


def run(*argv):
    out, err = io.StringIO(), io.StringIO()
    code = main([str(a) for a in argv], stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_report_numbers_on_a_hand_made_corpus(index):
    assert {i: [r.id for r in items] for i, items in index.iter_related(2)} == PINS
    report = coverage_report(index, k=2)
    assert report.articles == 6 and report.k == 2 and report.min_score == 0.0
    assert report.short == (("curta", "Ervilha", 1),)
    assert report.orphans == (("orfa", "Figo"),)
    assert report.hubs == (("hub", "Abacate maduro", 5), ("alfa", "Berinjela", 2),
                           ("beta", "Cenoura", 2), ("curta", "Ervilha", 1),
                           ("gama", "Damasco", 1))
    assert report.missing == ()


def test_a_longer_k_makes_every_list_short_and_hubs_can_be_cut(index):
    report = coverage_report(index, k=3, hubs=1)
    assert [row[0] for row in report.short] == ["curta", "alfa", "beta", "gama", "hub", "orfa"]
    assert report.hubs == (("hub", "Abacate maduro", 5),)
    with pytest.raises(ConfigError, match="hubs must be"):
        coverage_report(index, hubs=-1)


def test_report_json_is_one_object(index, tmp_path):
    index.save(tmp_path / "idx")
    code, out, err = run("report", tmp_path / "idx", "-k", "2", "--json")
    assert code == 0 and err == ""
    assert json.loads(out) == {
        "articles": 6, "k": 2, "min_score": 0.0,
        "short_lists": {"count": 1,
                        "articles": [{"id": "curta", "title": "Ervilha", "related": 1}]},
        "orphans": {"count": 1, "articles": [{"id": "orfa", "title": "Figo"}]},
        "hubs": [{"id": "hub", "title": "Abacate maduro", "in_degree": 5},
                 {"id": "alfa", "title": "Berinjela", "in_degree": 2},
                 {"id": "beta", "title": "Cenoura", "in_degree": 2},
                 {"id": "curta", "title": "Ervilha", "in_degree": 1},
                 {"id": "gama", "title": "Damasco", "in_degree": 1}],
        "missing": {"count": 0, "links": []},
    }


def test_report_text_is_for_editors(index, tmp_path):
    index.save(tmp_path / "idx")
    code, out, err = run("report", tmp_path / "idx", "-k", "2")
    assert code == 0 and err == ""
    assert out == (
        "6 articles, lists of up to 2 (relevance floor min_score = 0)\n"
        "\n"
        "Short lists: 1 article has fewer than 2 related articles (count, id, title)\n"
        "    1  curta  Ervilha\n"
        "\n"
        "Orphans: 1 article is in no related list\n"
        "  orfa  Figo\n"
        "\n"
        "Hubs: the most recommended articles (lists they are in, id, title)\n"
        "  5  hub  Abacate maduro\n"
        "  2  alfa  Berinjela\n"
        "  2  beta  Cenoura\n"
        "  1  curta  Ervilha\n"
        "  1  gama  Damasco\n"
        "\n"
        "Missing articles: 0 list entries point at articles not in the index (as it should be)\n"
    )


class _Broken:
    """An index whose lists name an article it does not hold (never happens for real)."""

    def __init__(self, index):
        self.entries_, self.ids_ = index.entries_, index.ids_
        self.get_settings = index.get_settings
        self._index = index

    def iter_related(self, k):
        for ident, items in self._index.iter_related(k):
            if ident == "hub":
                items = [*items, Related("ghost", "Fantasma", None, "", None, None, 0.1)]
            yield ident, items


def test_missing_targets_are_counted_and_exit_1(index, monkeypatch):
    report = coverage_report(_Broken(index), k=3)
    assert report.missing == (("hub", "ghost"),)
    assert "  hub -> ghost\n" in format_report(report)
    import recommender.cli as cli

    monkeypatch.setattr(cli, "_load", lambda path: _Broken(index))
    code, out, err = run("report", "anywhere", "-k", "3", "--json")
    assert code == 1 and json.loads(out)["missing"] == {
        "count": 1, "links": [{"from": "hub", "to": "ghost"}]}
    assert err == ("recommender: error: 1 list entry points at articles not in the index; "
                   "rebuild it\n")


def test_report_on_the_fixtures_agrees_with_the_lists(fixture_index):
    lists = fixture_index.related_all(k=5)
    report = coverage_report(fixture_index, k=5)
    listed = [item.id for items in lists.values() for item in items]
    assert report.articles == len(lists) == 88 and report.missing == ()
    assert [i for i, _ in report.orphans] == sorted(set(lists) - set(listed))
    assert [(i, n) for i, _, n in report.short] == sorted(
        ((i, len(items)) for i, items in lists.items() if len(items) < 5),
        key=lambda pair: (pair[1], pair[0]))
    top = sorted({i: listed.count(i) for i in set(listed)}.items(),
                 key=lambda pair: (-pair[1], pair[0]))[:10]
    assert [(i, n) for i, _, n in report.hubs] == top


def test_report_on_a_missing_index_exits_1(tmp_path):
    code, _, err = run("report", tmp_path / "none")
    assert code == 1 and "not a directory" in err
