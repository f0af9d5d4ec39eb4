"""Answers from a saved index without loading it (``recommender.lookup``), and the
command line's ``related`` that uses them: identical to a full load, verified chunk by
chunk, and without scipy or scikit-learn."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from recommender import IndexFormatError, RelatedIndex, UnknownArticleError, storage
from recommender.cli import main
from recommender.explain import EXPLAINED_FIELDS
from recommender.indexfiles import FILES
from recommender.lookup import SavedIndex, related
from recommender.render import dumps_list, sidebar_text

from .conftest import FIXTURES, ROOT, read_catalog, vouch_for, write_manifest

COMMITTED = FIXTURES / "index"
#: What the lookup reads; every other file is only checked for its size.
READ = ["articles.jsonl", "articles.offsets.npy", "articles.by_id.npy", "lists.ids.npy",
        "lists.scores.npy", "translations.indptr.npy", "translations.ids.npy",
        "translations.scores.npy"]


def cli(*argv: object) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main([str(a) for a in argv], stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def committed() -> RelatedIndex:
    return RelatedIndex.load(COMMITTED)


@pytest.fixture(scope="module")
def small_chunks(tmp_path_factory, fixture_index_kept) -> Path:
    """The fixture index saved with 512-byte chunks, so that files have many."""
    folder = tmp_path_factory.mktemp("chunks") / "index"
    patch = pytest.MonkeyPatch()
    patch.setattr(storage, "CHUNK_BYTES", 512)
    try:
        fixture_index_kept.save(folder)
    finally:
        patch.undo()
    return folder


@pytest.fixture(scope="module")
def fixture_index_kept(fixture_articles) -> RelatedIndex:
    return RelatedIndex().fit(fixture_articles).precompute(10)


@pytest.fixture()
def copy(small_chunks, tmp_path) -> Path:
    folder = tmp_path / "index"
    shutil.copytree(small_chunks, folder)
    return folder


# -- the same answers -------------------------------------------------------------------------

@pytest.mark.parametrize("k", [1, 5, 10, 11])
def test_lookup_answers_exactly_as_a_full_load(committed, k):
    assert committed.lists_[0].shape[1] == 10
    for ident in committed.ids_:
        items, also = related(COMMITTED, ident, k)
        assert items == committed.related(ident, k=k), ident
        assert also == committed.translations(ident), ident
    assert any(committed.translations(ident) for ident in committed.ids_)


def test_pinned_articles_are_marked_as_a_full_load_marks_them(fixture_articles, tmp_path):
    import dataclasses

    ids = [a.id for a in fixture_articles]
    pinned = [dataclasses.replace(a, related=(ids[-1], ids[-2], ids[-3])) if row % 9 == 0
              else a for row, a in enumerate(fixture_articles[:-3])] + fixture_articles[-3:]
    RelatedIndex().fit(pinned).precompute(10).save(tmp_path / "i")
    loaded = RelatedIndex.load(tmp_path / "i")
    for k in (1, 2, 5, 10):
        for ident in ids:
            assert related(tmp_path / "i", ident, k) == (loaded.related(ident, k=k),
                                                         loaded.translations(ident))
    assert [item.pinned for item in related(tmp_path / "i", ids[0], 4)[0]] == [True] * 3 + [False]


def test_the_kept_lists_answer_only_when_cutting_them_is_exact(fixture_articles, tmp_path):
    diverse = RelatedIndex(mmr_lambda=0.7).fit(fixture_articles).precompute(5)
    diverse.save(tmp_path / "diverse")
    RelatedIndex().fit(fixture_articles[:30]).save(tmp_path / "none kept")
    with SavedIndex(tmp_path / "diverse") as saved:
        assert [saved.answers(k) for k in (1, 4, 5, 6)] == [False, False, True, False]
        ident = diverse.ids_[3]
        assert saved.related(ident, 4) is None
        assert saved.related(ident, 5) == diverse.related(ident, k=5)
    with SavedIndex(tmp_path / "none kept") as saved:
        assert not saved.answers(1)
    for folder, index in ((tmp_path / "diverse", diverse),
                          (tmp_path / "none kept", RelatedIndex.load(tmp_path / "none kept"))):
        for k in (1, 4, 5, 6):
            ident = index.ids_[7]
            assert related(folder, ident, k) == (index.related(ident, k=k),
                                                 index.translations(ident))


def test_lookup_answers_as_a_load_after_an_update(fixture_articles, tmp_path):
    from recommender import Article

    index = RelatedIndex().fit(fixture_articles).precompute(10)
    original = next(a for a in fixture_articles if a.lang == "pt" and a.url)
    translation = Article(id="traducao-nova", title=original.title + " (English)",
                          body=original.body, lang="en", translation_of=original.id,
                          author=original.author, date=original.date)
    gone = next(e.id for e in index.entries_ if e.translation_of)
    index.update([translation], remove=[gone])
    index.save(tmp_path / "i")
    loaded = RelatedIndex.load(tmp_path / "i")
    assert loaded.translations(original.id)
    for ident in loaded.ids_:
        assert related(tmp_path / "i", ident, 10) == (loaded.related(ident, k=10),
                                                      loaded.translations(ident))


def test_an_unknown_id_gives_the_same_error_with_suggestions(committed):
    with pytest.raises(UnknownArticleError) as full:
        committed.related("vladimir-putin-in-north")
    with pytest.raises(UnknownArticleError) as looked_up:
        related(COMMITTED, "vladimir-putin-in-north")
    assert str(looked_up.value) == str(full.value)
    assert "did you mean 'vladimir-putin-in-north-korea'" in str(full.value)
    for odd in ("", "\udcff", "zzzz" * 100):
        with pytest.raises(UnknownArticleError, match="unknown article id"):
            related(COMMITTED, odd)


def test_bad_k_gives_the_same_error_as_a_full_load(committed):
    for k in (0, -1, True, "3"):
        with pytest.raises(Exception) as full:
            committed.related(committed.ids_[0], k=k)
        with pytest.raises(type(full.value), match="k must be"):
            related(COMMITTED, committed.ids_[0], k)


def test_indexfiles_names_the_explained_fields():
    assert all(f"fields.{name}.data.npy" in FILES for name in EXPLAINED_FIELDS)
    assert len([n for n in FILES if n.startswith("fields.")]) == 3 * len(EXPLAINED_FIELDS)


# -- the command line -------------------------------------------------------------------------

@pytest.mark.parametrize("k", [1, 5, 10, 11])
def test_cli_related_prints_what_a_full_load_gives(committed, k):
    for ident in committed.ids_:
        items, also = committed.related(ident, k=k), committed.translations(ident)
        assert cli("related", COMMITTED, ident, "-k", k) == (0, sidebar_text(items, also_in=also),
                                                              "")
        assert cli("related", COMMITTED, ident, "-k", k, "--json") == (0, dumps_list(items), "")


def test_cli_related_with_flags_still_computes(committed):
    ident = "vladimir-putin-in-north-korea"
    code, out, err = cli("related", COMMITTED, ident, "--exclude-tag", "geopolítica", "--json")
    assert code == 0, err
    items = committed.related(ident, exclude_tags=["geopolítica"])
    assert out == dumps_list(items) and items != committed.related(ident)


def test_cli_related_names_an_unknown_id_as_before(committed):
    code, out, err = cli("related", COMMITTED, "vladimir-putin")
    assert code == 1 and out == ""
    assert err.startswith("recommender: error: unknown article id 'vladimir-putin'; did you mean")


_PROBE = """
import sys
from recommender.cli import main
code = main(sys.argv[1:])
heavy = sorted({name.split(".")[0] for name in sys.modules} & {"scipy", "sklearn", "joblib"})
sys.stderr.write(f"HEAVY {heavy} CODE {code}\\n")
"""


@pytest.mark.parametrize("extra", [[], ["--json"], ["-k", "3"], ["-k", "99"]])
def test_cli_related_imports_neither_scipy_nor_sklearn(extra):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    argv = ["related", str(COMMITTED), "vladimir-putin-in-north-korea", *extra]
    done = subprocess.run([sys.executable, "-c", _PROBE, *argv], capture_output=True,
                          text=True, env=env, cwd=ROOT, timeout=120)
    assert "CODE 0" in done.stderr, done.stderr
    if extra == ["-k", "99"]:  # longer than the kept lists: computed, after a full load
        assert "'scipy'" in done.stderr
    else:
        assert "HEAVY []" in done.stderr, done.stderr
        assert "the NATO war clock" in done.stdout


def test_importing_the_package_is_light():
    done = subprocess.run([sys.executable, "-c", "import sys, recommender; "
                           "print(sorted(m for m in ('scipy', 'sklearn', 'numpy') "
                           "if m in sys.modules)); print(recommender.RelatedIndex.__name__)"],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.stdout.split() == ["[]", "RelatedIndex"], done.stderr


# -- integrity on the lookup path -------------------------------------------------------------

def _answer(folder: Path, ident: str):
    try:
        return related(folder, ident, 10)
    except IndexFormatError as exc:
        return exc


@pytest.mark.parametrize("name", READ)
def test_a_damaged_byte_in_what_the_lookup_reads_is_refused_naming_the_file(copy, name):
    """Every chunk of every file the lookup reads is damaged in turn: the lookup either
    refuses naming the file (it read that chunk) or answers as before (it did not)."""
    ident = "vladimir-putin-in-north-korea"
    expected = _answer(copy, ident)
    assert not isinstance(expected, IndexFormatError)
    path = copy / name
    data = path.read_bytes()
    refused = answered = 0
    for start in range(0, len(data), 512):
        flipped = bytearray(data)
        flipped[min(start + 300, len(data) - 1)] ^= 0x40
        path.write_bytes(bytes(flipped))
        outcome = _answer(copy, ident)
        if isinstance(outcome, IndexFormatError):
            assert f"{name}: checksum mismatch" in str(outcome)
            refused += 1
        else:
            assert outcome == expected
            answered += 1
    path.write_bytes(data)
    assert refused >= 1
    if len(data) > 4 * 512:
        assert answered >= 1, "a lookup should not read every chunk of a big file"


def test_a_damaged_manifest_is_refused_naming_it(copy):
    path = copy / "manifest.json"
    data = path.read_bytes()
    for position in range(0, len(data), 31):
        flipped = bytearray(data)
        flipped[position] ^= 0x01
        path.write_bytes(bytes(flipped))
        with pytest.raises(IndexFormatError, match="manifest.json"):
            related(copy, "vladimir-putin-in-north-korea")


def test_a_damaged_file_the_lookup_does_not_read_is_still_noticed_when_cut(copy):
    (copy / "latent.vectors.npy").write_bytes((copy / "latent.vectors.npy").read_bytes()[:-4])
    with pytest.raises(IndexFormatError, match="latent.vectors.npy: .* bytes, the manifest says"):
        related(copy, "vladimir-putin-in-north-korea")
    (copy / "idf.npy").unlink()
    with pytest.raises(IndexFormatError, match="idf.npy: missing"):
        related(copy, "vladimir-putin-in-north-korea")


def test_rows_out_of_id_order_are_noticed(copy):
    rows = np.load(copy / "articles.by_id.npy")
    buffer = io.BytesIO()
    np.save(buffer, rows[::-1].copy())
    vouch_for(copy, "articles.by_id.npy", buffer.getvalue())
    with pytest.raises(IndexFormatError, match="articles.by_id.npy: the rows are not in id order"):
        for record in read_catalog(copy):
            related(copy, record["id"])


def test_a_version_1_index_is_refused_with_advice_to_rebuild(copy):
    manifest = json.loads((copy / "manifest.json").read_text())
    manifest["format_version"] = 1
    (copy / "manifest.json").write_text(json.dumps(manifest))
    code, out, err = cli("related", copy, "vladimir-putin-in-north-korea")
    assert code == 1 and out == ""
    assert "index format version 1 was written by an older recommender" in err
    assert "Rebuild the index with 'recommender build'" in err


def test_kept_settings_out_of_range_are_refused(copy):
    manifest = json.loads((copy / "manifest.json").read_text())
    manifest["settings"]["mmr_lambda"] = 7
    manifest["settings"]["min_df"] = -3  # not used by a lookup, refused all the same
    write_manifest(copy, manifest)
    with pytest.raises(IndexFormatError, match="(?s)manifest.json: .*mmr_lambda") as caught:
        related(copy, "vladimir-putin-in-north-korea")
    assert "min_df" in str(caught.value)


def test_a_lookup_of_a_big_file_reads_only_some_chunks(copy, monkeypatch):
    from recommender import indexfiles

    read: list[tuple[str, int]] = []
    chunk = indexfiles.ChunkedFile._chunk

    def spy(self, number):
        read.append((self.path.name, number))
        return chunk(self, number)

    monkeypatch.setattr(indexfiles.ChunkedFile, "_chunk", spy)
    related(copy, "vladimir-putin-in-north-korea")
    catalog = {n for name, n in read if name == "articles.jsonl"}
    total = -(-(copy / "articles.jsonl").stat().st_size // 512)
    assert 0 < len(catalog) < total / 2, (len(catalog), total)

