import hashlib
import io
import json

import numpy as np
import pytest

from recommender import IndexFormatError, RelatedIndex, storage
from recommender.indexfiles import file_entry
from recommender.storage import FILES, FORMAT_VERSION

from .conftest import FIXTURES, vouch_for, write_manifest


@pytest.fixture()
def saved(fixture_index, tmp_path):
    folder = tmp_path / "index"
    fixture_index.save(folder)
    return folder


_rewrite = vouch_for


def test_loaded_index_answers_exactly_as_the_fitted_one(fixture_index, saved):
    loaded = RelatedIndex.load(saved)
    assert loaded.related_all(k=10) == fixture_index.related_all(k=10)
    for text in ("reforma agrária e latifúndio", "NATO and the war in Ukraine"):
        assert loaded.similar(text) == fixture_index.similar(text)
    assert loaded.get_settings() == fixture_index.get_settings()
    assert loaded.entries_ == fixture_index.entries_


def test_save_writes_only_json_and_npy_and_is_byte_identical(fixture_articles, tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    RelatedIndex().fit(fixture_articles).save(first)
    RelatedIndex().fit(fixture_articles).save(second)
    names = sorted(p.name for p in first.iterdir())
    assert names == sorted([*FILES, "manifest.json"])
    assert all(n.endswith((".json", ".jsonl", ".npy")) for n in names)
    for name in names:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


def test_manifest_holds_version_settings_versions_and_checksums(saved):
    manifest = json.loads((saved / "manifest.json").read_text())
    assert manifest["format_version"] == FORMAT_VERSION
    assert {"numpy", "scipy", "scikit-learn", "python", "recommender"} <= set(manifest["versions"])
    assert manifest["settings"]["field_weights"]["title"] == 2.0
    size = manifest["chunk_bytes"]
    for name in FILES:
        data = (saved / name).read_bytes()
        assert manifest["files"][name]["sha256"] == hashlib.sha256(data).hexdigest()
        assert manifest["files"][name]["chunks"] == [
            hashlib.sha256(data[i:i + size]).hexdigest() for i in range(0, len(data), size)]
    raw = (saved / "manifest.json").read_bytes()
    blank = raw.replace(manifest["manifest_sha256"].encode(), b"0" * 64)
    assert hashlib.sha256(blank).hexdigest() == manifest["manifest_sha256"]


def test_a_changed_manifest_value_is_detected(saved):
    raw = (saved / "manifest.json").read_text()
    (saved / "manifest.json").write_text(raw.replace('"min_score": 0.0', '"min_score": 0.5'))
    with pytest.raises(IndexFormatError, match="manifest.json: checksum mismatch"):
        RelatedIndex.load(saved)


def test_a_version_1_index_is_refused_with_advice_to_rebuild(saved):
    manifest = json.loads((saved / "manifest.json").read_text())
    manifest["format_version"] = 1  # as version 1 wrote it: no chunks, no own digest
    del manifest["manifest_sha256"], manifest["chunk_bytes"]
    (saved / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(IndexFormatError, match=r"manifest.json: index format version 1 .*"
                                               r"reads version 2 only. Rebuild the index"):
        RelatedIndex.load(saved)


def test_arrays_are_memory_mapped_not_copied(saved):
    import mmap

    def mapped(array):
        while array is not None and not isinstance(array, mmap.mmap):
            array = getattr(array, "base", None) if isinstance(array, np.ndarray) else getattr(
                array, "obj", None)
        return array is not None

    index = RelatedIndex.load(saved)
    assert mapped(index.latent_vectors_) and mapped(index.latent_components_)
    assert mapped(index.lists_[0]) and mapped(index.lists_[1]) and mapped(index.matrix_.data)
    assert mapped(index.idf_) and mapped(index.norms_)


@pytest.mark.parametrize("name", FILES)
def test_a_flipped_byte_is_detected_naming_the_file(saved, name):
    path = saved / name
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(IndexFormatError, match=f"{name}: checksum mismatch"):
        RelatedIndex.load(saved)


def test_a_truncated_file_is_detected(saved):
    path = saved / "matrix.data.npy"
    path.write_bytes(path.read_bytes()[:-8])
    with pytest.raises(IndexFormatError, match="matrix.data.npy: .* bytes, the manifest says"):
        RelatedIndex.load(saved)


def test_a_missing_file_is_detected(saved):
    (saved / "idf.npy").unlink()
    with pytest.raises(IndexFormatError, match="idf.npy: missing"):
        RelatedIndex.load(saved)


def test_an_unknown_format_version_is_refused(saved):
    manifest = json.loads((saved / "manifest.json").read_text())
    manifest["format_version"] = 99
    write_manifest(saved, manifest)
    with pytest.raises(IndexFormatError, match="version 99 is not supported"):
        RelatedIndex.load(saved)


def test_not_an_index_is_a_clear_error(tmp_path):
    with pytest.raises(IndexFormatError, match="not a directory"):
        RelatedIndex.load(tmp_path / "nothing")
    with pytest.raises(IndexFormatError, match="manifest.json: missing"):
        RelatedIndex.load(tmp_path)


def test_object_arrays_are_refused_even_with_a_matching_manifest(saved):
    buffer = io.BytesIO()
    np.save(buffer, np.array([{"x": 1}], dtype=object), allow_pickle=True)
    _rewrite(saved, "idf.npy", buffer.getvalue())
    with pytest.raises(IndexFormatError, match="idf.npy: expected a 1-d float64 array"):
        RelatedIndex.load(saved)


def test_manifest_cannot_name_files_outside_the_index(saved):
    manifest = json.loads((saved / "manifest.json").read_text())
    manifest["files"]["../secret.npy"] = manifest["files"].pop("idf.npy")
    write_manifest(saved, manifest)
    with pytest.raises(IndexFormatError, match="file list must be exactly"):
        RelatedIndex.load(saved)


def test_inconsistent_arrays_are_refused(saved):
    indices = np.load(saved / "matrix.indices.npy")
    indices[0] = 10**9
    buffer = io.BytesIO()
    np.save(buffer, indices)
    _rewrite(saved, "matrix.indices.npy", buffer.getvalue())
    with pytest.raises(IndexFormatError, match="column out of range"):
        RelatedIndex.load(saved)


def test_a_failed_save_leaves_the_previous_index_intact(fixture_index, saved, monkeypatch):
    before = {p.name: p.read_bytes() for p in saved.iterdir()}
    calls = []

    def failing_write(path, data):
        calls.append(path)
        if len(calls) == 3:
            raise OSError("disk full")
        path.write_bytes(b"".join(data) if isinstance(data, tuple) else data)

    monkeypatch.setattr(storage, "_write_synced", failing_write)
    with pytest.raises(OSError, match="disk full"):
        fixture_index.save(saved)
    assert {p.name: p.read_bytes() for p in saved.iterdir()} == before
    assert [p.name for p in saved.parent.iterdir()] == ["index"]  # no staging left behind


def test_saving_over_an_index_replaces_it(fixture_articles, saved):
    small = RelatedIndex().fit(fixture_articles[:5])
    small.save(saved)
    assert len(RelatedIndex.load(saved)) == 5
    assert [p.name for p in saved.parent.iterdir()] == ["index"]


def test_refuses_to_replace_a_folder_that_is_not_an_index(fixture_index, tmp_path):
    folder = tmp_path / "documents"
    folder.mkdir()
    (folder / "notes.txt").write_text("keep me")
    with pytest.raises(IndexFormatError, match="refusing to replace"):
        fixture_index.save(folder)
    assert (folder / "notes.txt").read_text() == "keep me"


def test_committed_fixture_index_keeps_loading_and_matches_a_fresh_fit(fixture_articles):
    committed = RelatedIndex.load(FIXTURES / "index")
    fresh = RelatedIndex.from_settings(committed.get_settings()).fit(fixture_articles)
    assert committed.ids_ == fresh.ids_
    saved, now = committed.related_all(k=5), fresh.related_all(k=5)
    assert saved.keys() == now.keys()
    for ident, items in saved.items():
        # the same lists; a score may differ by one in its last (6th) decimal, as the
        # decomposition's BLAS rounds differently on another CPU than the one that saved it
        assert [i.id for i in items] == [i.id for i in now[ident]]
        assert [i.score for i in items] == pytest.approx([i.score for i in now[ident]],
                                                          abs=1.5e-6)


def test_whether_the_kept_lists_are_exact_is_saved(fixture_articles, tmp_path):
    for exact in (False, True):
        RelatedIndex().fit(fixture_articles).precompute(5, exact=exact).save(tmp_path / "i")
        assert RelatedIndex.load(tmp_path / "i").lists_exact_ is exact


def test_kept_lists_answer_exactly_as_computing(fixture_articles, tmp_path):
    computed = RelatedIndex().fit(fixture_articles)
    kept = RelatedIndex().fit(fixture_articles).precompute(10)
    kept.save(tmp_path / "i")
    loaded = RelatedIndex.load(tmp_path / "i")
    assert loaded.lists_[0].shape == (len(fixture_articles), 10)
    for k in (1, 5, 10, 11):
        assert loaded.related_all(k=k) == computed.related_all(k=k) == kept.related_all(k=k)
    ident = computed.ids_[0]
    assert loaded.related(ident, explain=True) == computed.related(ident, explain=True)
    assert loaded.related(ident, exclude_tags=["geopolítica"]) == computed.related(
        ident, exclude_tags=["geopolítica"])


@pytest.mark.parametrize("sizes", [(3, 0, 20, 5), (7, 7), (0,), (1, 1, 1), (30,)])
def test_a_file_digested_in_parts_is_digested_as_its_bytes(sizes):
    """A large array is digested where it lies (header and memory as two parts): the
    manifest entry is the one of the joined bytes, chunk by chunk."""
    data = bytes(range(sum(sizes)))
    parts, start = [], 0
    for size in sizes:
        parts.append(data[start:start + size])
        start += size
    assert file_entry(tuple(parts), 7) == file_entry(data, 7)


def test_an_array_is_written_as_numpy_saves_it_without_a_copy():
    array = np.arange(100_000, dtype=np.float32)
    header, memory = storage._npy_parts(array, np.dtype("<f4"))
    expected = io.BytesIO()
    np.save(expected, array, allow_pickle=False)
    assert header + memory.tobytes() == expected.getvalue()
    assert np.shares_memory(np.frombuffer(memory, dtype=np.float32), array)
