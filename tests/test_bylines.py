"""A shared byline adds ``author_bonus`` times how alike the author's pieces are
(``recommender.bylines``)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import scipy.sparse as sp

from recommender import Article, RelatedIndex
from recommender.bylines import PRIOR_PAIRS, agreement, author_agreement
from recommender.catalog import Entry
from recommender.errors import ConfigError


def _entries(authors):
    return [Entry.from_article(Article(id=f"x{i}", title="t", body="b", author=a), "pt")
            for i, a in enumerate(authors)]


def _reference(matrix, author_columns, authors):
    """Agreement by its definition: pairwise cosines of rows without the author columns,
    one pair at a time."""
    rows = matrix.toarray().astype(np.float64)
    rows[:, author_columns] = 0.0
    norms = np.linalg.norm(rows, axis=1)
    filled = np.flatnonzero(norms > 0)
    unit = rows[filled] / norms[filled, None]
    n = filled.size
    gram = unit @ unit.T
    corpus = (gram.sum() - n) / (n * (n - 1))
    out = {}
    for key in {a for a in authors if a}:
        pieces = [i for i, r in enumerate(filled) if authors[r] == key]
        pairs = list(itertools.combinations(pieces, 2))
        if len([r for r in range(len(authors)) if authors[r] == key]) < 2:
            continue
        mean = (sum(gram[a, b] for a, b in pairs) + PRIOR_PAIRS * corpus) / (
            len(pairs) + PRIOR_PAIRS)
        value = min(max(mean / corpus - 1.0, 0.0), 1.0)
        if value > 0:
            out[tuple(sorted(n.lower() for n in key))] = value
    return out


@pytest.mark.parametrize("seed", range(4))
def test_agreement_is_the_shrunk_mean_cosine_of_an_authors_pieces(seed):
    rng = np.random.default_rng(seed)
    n, width = 60, 80
    # four topics of ten columns; authors A and B keep to one topic each, C writes on
    # any, D has one piece, E shares A's topic with another author in the byline
    topic_of = rng.integers(0, 4, size=n)
    authors = [("C",)] * n
    for i in range(n):
        if i % 6 == 0:
            authors[i], topic_of[i] = ("A",), 0
        elif i % 6 == 1:
            authors[i], topic_of[i] = ("B",), 1
        elif i % 6 == 2:
            authors[i], topic_of[i] = ("A", "E"), 0
    authors[5] = ("D",)
    authors[11] = ()
    dense = rng.random((n, width)) * (rng.random((n, width)) < 0.1)
    for i in range(n):
        dense[i, 10 * topic_of[i]:10 * topic_of[i] + 10] += rng.random(10)
    dense[:, 70:] = 0.0
    dense[np.arange(n), 70 + np.arange(n) % 10] = 5.0  # heavy author columns: left out
    dense[7] = 0.0  # an empty row counts nowhere
    matrix = sp.csr_matrix((dense / np.maximum(np.linalg.norm(dense, axis=1), 1e-12)[:, None])
                           .astype(np.float32))
    author_columns = np.zeros(width, dtype=bool)
    author_columns[70:] = True
    got = author_agreement(matrix, author_columns, _entries(authors))
    want = _reference(matrix, author_columns, authors)
    assert set(got) == set(want)
    for key, value in want.items():
        assert got[key] == pytest.approx(value, rel=1e-5)  # float32 rows
    assert got[("a",)] > got.get(("c",), 0.0) and got[("b",)] > got.get(("c",), 0.0)
    assert ("d",) not in got  # one piece: nothing to agree with


def test_agreement_is_bounded_and_shrunk_towards_the_corpus():
    # ten articles 0.1 alike on average; authors of 2 and 20 identical pieces
    low, high = agreement(np.array([4.0, 400.0, 10.0 + 90 * 0.1]), np.array([2, 20, 10]))
    assert 0.0 < low < high == 1.0  # one identical pair is weaker evidence than 190
    assert agreement(np.array([2.0, 19.0]), np.array([2, 10]))[0] == 0.0  # unlike pieces
    assert agreement(np.array([1.0, 1.0]), np.array([1, 1])).tolist() == [0.0]  # one article


SUBJECTS = {
    "clima": "chuva seca rios floresta desmatamento carbono temperatura clima",
    "moeda": "juros inflação banco central câmbio dólar crédito moeda",
    "bola": "futebol campeonato gol estádio técnico torcida bola jogo",
    "livro": "romance poesia editora leitura autora conto livro prosa",
}


def _article(ident, author, subject, date="2024-07-01"):
    words = SUBJECTS[subject].split()
    start = int(ident[1:]) + (3 if ident[0] in "bcd" else 0)  # only Ana's a0 is a0
    body = " ".join(words[i % len(words)] for i in range(start, start + 6))
    return Article(id=ident, title="", body=body, author=author, date=date)


@pytest.fixture(scope="module")
def beats():
    """Ana writes only on the climate; Bia on a different subject each time; the
    others once each."""
    articles = [_article(f"a{i}", "Ana", "clima") for i in range(6)]
    articles += [_article(f"b{i}", "Bia", s) for i, s in enumerate(SUBJECTS)]
    articles += [_article(f"c{i}", f"Outro {i}", s) for i, s in enumerate(SUBJECTS)]
    articles += [_article(f"d{i}", f"Mais {i}", s) for i, s in enumerate(SUBJECTS)]
    articles.append(Article(id="x0", title="", body="chuva seca rios floresta desmatamento",
                            author="Xavier", date="2024-07-01"))  # five of a0's six words
    return articles


def test_a_byline_counts_where_the_author_keeps_to_a_subject(beats):
    settings = {"min_df": 1, "duplicate_threshold": None, "max_per_author": None}
    index = RelatedIndex(**settings).fit(beats)
    assert index.author_agreement_[("ana",)] == 1.0
    assert ("bia",) not in index.author_agreement_
    plain = RelatedIndex(author_bonus=0.0, **settings).fit(beats)
    assert plain.author_agreement_ == {}
    with_bonus = {r.id: r.score for r in index.related("a0", k=20)}
    without = {r.id: r.score for r in plain.related("a0", k=20)}
    for ident, score in without.items():  # Ana's pieces score 0.2 more, nobody else's
        raised = round(min(score + 0.2, 1.0), 6) if ident.startswith("a") else score
        assert with_bonus[ident] == pytest.approx(raised, abs=2e-6)
    # x0 (five of a0's six words) comes second; with Ana's byline, after three more
    # of her pieces
    assert [r.id for r in plain.related("a0", k=8)].index("x0") == 1
    order = [r.id for r in index.related("a0", k=8)]
    assert order.index("x0") == 4 and all(i.startswith("a") for i in order[:4])
    assert index.related("b0", k=20) == plain.related("b0", k=20)  # no beat, no bonus


def test_the_bonus_is_explained_and_the_parts_add_up_to_the_clipped_score(beats):
    index = RelatedIndex(min_df=1, duplicate_threshold=None, max_per_author=None,
                         author_bonus=0.3).fit(beats)
    for item in index.related("a1", k=8, explain=True):
        fields = dict(item.explanation.fields)
        assert fields["byline"] == (0.3 if item.id.startswith("a") else 0.0)
        assert min(sum(fields.values()), 1.0) == pytest.approx(item.score, abs=1e-5)
    assert dict(index.explain("a1", "a2").fields)["byline"] == 0.3
    assert dict(index.explain("a1", "c1").fields)["byline"] == 0.0
    free = index.similar(beats[0].body, k=3, explain=True)  # free text has no byline
    assert all(dict(r.explanation.fields)["byline"] == 0.0 for r in free)


def test_agreement_is_saved_and_kept_by_an_update(beats, tmp_path):
    index = RelatedIndex(min_df=1).fit(beats).precompute(5)
    index.save(tmp_path / "i")
    loaded = RelatedIndex.load(tmp_path / "i")
    assert loaded.author_agreement_ == index.author_agreement_
    assert loaded.related_all(k=5) == index.related_all(k=5)
    new = [_article("a6", "Ana", "clima", "2024-08-01"),
           _article("e0", "Eva", "clima", "2024-08-01")]
    loaded.update(new)
    assert loaded.author_agreement_ == index.author_agreement_  # frozen with the model
    rebuilt_model = RelatedIndex(min_df=1).fit(beats)
    rebuilt_model.update(new)
    assert loaded.related_all(k=5) == rebuilt_model.related_all(k=5)
    # Ana's new piece enters the lists of her others, as an exact computation says
    for ident in ("a0", "a3"):
        assert loaded.related(ident, k=5) == loaded.related(ident, k=5, exact=True)
        assert "a6" in [r.id for r in loaded.related(ident, k=5)]


@pytest.mark.parametrize("value", [-0.1, 1.5, "0.2", None, True])
def test_an_author_bonus_out_of_range_is_refused(value):
    with pytest.raises(ConfigError, match="author_bonus must be a number from 0"):
        RelatedIndex(author_bonus=value)


@pytest.mark.parametrize("seed", range(3))
def test_the_closest_pieces_by_the_same_author_join_the_candidates(seed):
    """``closest`` picks, per row, the ``count // 10`` best other pieces by its author(s)
    by the estimate (ties: the lower article), and ``joined`` merges them in."""
    from recommender.bylines import Bylines, joined
    from recommender.groups import author_groups

    rng = np.random.default_rng(seed)
    n = 120
    authors = [("Ana",) if i % 3 else ("Bia",) for i in range(n)]
    authors[7] = ()
    entries = _entries(authors)
    agreements = {("ana",): 0.5} if seed else {("ana",): 0.5, ("bia",): 1.0}
    bylines = Bylines(*author_groups(entries), agreements, 0.2)
    rows = np.arange(10, 40)
    estimate = np.round(rng.random((rows.size, n)), 1).astype(np.float32)  # many ties
    extras = bylines.closest(estimate, rows, 60)
    flat, starts = extras
    for line, row in enumerate(rows.tolist()):
        got = flat[starts[line]:starts[line + 1]].tolist()
        key = tuple(n.lower() for n in authors[row])
        if not authors[row] or key not in agreements:
            assert got == []
            continue
        others = [i for i in range(n) if authors[i] == authors[row] and i != row]
        best = sorted(others, key=lambda i: (-estimate[line, i], i))[:6]
        assert got == sorted(best)
    found = [np.sort(rng.choice(n, size=rng.integers(0, 30), replace=False)) for _ in rows]
    for line, merged in enumerate(joined(found, extras)):
        want = np.union1d(found[line], flat[starts[line]:starts[line + 1]])
        np.testing.assert_array_equal(merged, want)
    assert joined(found, None) is found


def test_cli_build_takes_the_author_bonus_and_saves_the_agreements(beats, tmp_path):
    import json

    from .conftest import write_jsonl
    from .test_cli import run

    source = write_jsonl(tmp_path / "a.jsonl", [
        {"id": a.id, "body": a.body, "author": list(a.author), "date": str(a.date)}
        for a in beats])
    for flags, agreed in (((), True), (("--author-bonus", "0"), False)):
        out = tmp_path / f"i{len(flags)}"
        assert run("build", source, "--out", out, *flags)[0] == 0
        manifest = json.loads((out / "manifest.json").read_text())
        assert manifest["settings"]["author_bonus"] == (0.2 if agreed else 0.0)
        assert (manifest["model"]["author_agreement"] == [[["ana"], 1.0]]) is agreed
    code, _, err = run("build", source, "--out", tmp_path / "bad", "--author-bonus", "2")
    assert code == 2 and "--author-bonus" in err


def test_a_short_first_net_with_same_author_pieces_widens_rather_than_scoring_all(
        monkeypatch):
    """The same author's pieces make a net larger than ``count``: it is still a full net,
    so a short list widens it (x4) instead of scoring every article (which needs the
    whole term index: +0.7 GB at 100,000 essays)."""
    from benchmarks import synthetic

    from .conftest import as_articles

    articles = as_articles(synthetic.generate(700, seed=11, mean_words=60, n_authors=25))
    index = RelatedIndex(candidates=20).fit(articles)
    count = index._candidate_count(10)
    nets_of = index._block_candidates(0, len(articles), count)
    row = next(r for r, net in enumerate(nets_of) if net.size > count)  # the author's joined
    first = nets_of[row]
    nets, everything = [], []
    candidates_of, scores = index._candidates_of, index._scores
    monkeypatch.setattr(index, "_candidates_of", lambda *a, **k: nets.append(a[3])
                        or candidates_of(*a, **k))
    monkeypatch.setattr(index, "_scores", lambda *a, **k: everything.append(1)
                        or scores(*a, **k))
    excluded = [index.ids_[i] for i in first.tolist() if i != row]
    items = index.related(index.ids_[row], exclude_ids=excluded)
    assert len(items) == 10 and not {i.id for i in items} & set(excluded)
    assert nets == [90, 360] and not everything
