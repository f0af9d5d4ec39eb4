"""Saving and loading an index: a folder of JSON and ``.npy`` files, never pickle.

Layout (format version 2)::

    manifest.json          format, version, library versions, settings, counts,
                           whether the kept lists were computed exactly, the size,
                           sha256 and per-chunk sha256s (``chunk_bytes`` pieces) of
                           every other file, and its own sha256
    articles.jsonl         display fields of each article, one JSON record a line,
                           in row order
    articles.offsets.npy   int64, n + 1 byte offsets of the records in articles.jsonl
    articles.by_id.npy     int32, the rows sorted by id (UTF-8 bytes): find an id by
                           binary search, reading only the records probed
    vocabulary.json        indexed terms, in column order
    idf.npy                float64, one per term
    norms.npy              float64, each row's norm before L2 normalisation
    matrix.data.npy        float32  } the L2-normalised tf-idf rows as CSR arrays
    matrix.indices.npy     int32    }
    matrix.indptr.npy      int64    }
    latent.*.npy           float32, the latent model's components (dimensions x terms)
                           and each article's unit latent vector (articles x dimensions)
    lists.*.npy            kept related lists: article numbers (int32, -1 pads) and
                           scores (float64), articles x list_length
    translations.*.npy     each article's other language versions as
                           ``RelatedIndex.translations`` gives them: indptr (int64,
                           n + 1), article numbers (int32) and scores (float64)
    fields.NAME.*.npy      the same three arrays for the weighted term frequencies of
                           the title, blurb, tags and author fields (for explanations)

A save writes a new folder beside the target and swaps it in with a rename,
so readers and a failed build never see a half-written index. A load verifies
every file whole and memory-maps the arrays; :mod:`recommender.lookup` answers
one query reading and verifying only the chunks it needs.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from ._version import __version__
from .atomic import fsync_directory, new_directory_beside, remove_stale_siblings, swap_in
from .atomic import write_synced as _write_synced  # a module name, so tests can fail it
from .catalog import Entry
from .errors import ConfigError, IndexFormatError
from .explain import EXPLAINED_FIELDS
from .groups import translation_groups
from .indexfiles import (
    ARRAYS,
    CATALOG,
    CHUNK_BYTES,
    FILES,
    FORMAT,
    FORMAT_VERSION,
    MANIFEST,
    Folder,
    check_manifest,
    file_entry,
    id_key,
    manifest_bytes,
    npy_header_length,
    npy_layout,
    parse_json,
    read_manifest,
)
from .settings import saved_settings, validate_saved_settings

__all__ = ["save_index", "load_index", "FORMAT", "FORMAT_VERSION", "FILES", "read_manifest"]

_CSR_PARTS = ("data", "indices", "indptr")
_MATRICES = ("matrix", *(f"fields.{name}" for name in EXPLAINED_FIELDS))
_ARRAYS = {name: np.dtype(dtype) for name, dtype in ARRAYS.items()}


def _json_bytes(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def _npy_parts(array: np.ndarray, dtype: np.dtype) -> tuple[bytes, memoryview]:
    """The ``.npy`` file of ``array`` as ``np.save`` writes it, in two parts: its header,
    and the array's own memory (no copy when it already has ``dtype``)."""
    array = np.ascontiguousarray(array, dtype=dtype)
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, np.lib.format.header_data_from_array_1_0(array))
    return header.getvalue(), memoryview(array).cast("B")


def _library_versions() -> dict[str, str]:
    versions = {"python": sys.version.split()[0], "recommender": __version__}
    for name in ("numpy", "scipy", "scikit-learn"):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "unknown"
    return versions


def save_index(index: Any, directory: str | os.PathLike[str]) -> None:
    """Write a fitted index to ``directory``, atomically replacing any index there."""
    target = Path(directory)
    _check_replaceable(target)
    matrix = index.matrix_
    matrices = {"matrix": matrix,
                **{f"fields.{name}": index.field_tf_[name] for name in EXPLAINED_FIELDS}}
    payload = {
        **_catalog_files(index.entries_),
        "vocabulary.json": _json_bytes(index.vocabulary_),
        "idf.npy": _npy_parts(index.idf_, _ARRAYS["idf.npy"]),
        "norms.npy": _npy_parts(index.norms_, _ARRAYS["norms.npy"]),
        "latent.components.npy": _npy_parts(index.latent_components_.ravel(),
                                            _ARRAYS["latent.components.npy"]),
        "latent.vectors.npy": _npy_parts(index.latent_vectors_.ravel(),
                                         _ARRAYS["latent.vectors.npy"]),
        "lists.ids.npy": _npy_parts(index.lists_[0].ravel(), _ARRAYS["lists.ids.npy"]),
        "lists.scores.npy": _npy_parts(index.lists_[1].ravel(), _ARRAYS["lists.scores.npy"]),
    }
    for name, csr in matrices.items():
        csr = sp.csr_matrix(csr)
        csr.sort_indices()
        for part in _CSR_PARTS:
            payload[f"{name}.{part}.npy"] = _npy_parts(getattr(csr, part),
                                                       _ARRAYS[f"{name}.{part}.npy"])
    payload.update(_translation_files(index))
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "versions": _library_versions(),
        "settings": saved_settings(index.get_settings()),
        "counts": {"articles": matrix.shape[0], "terms": matrix.shape[1],
                   "nonzeros": int(matrix.nnz), "list_length": int(index.lists_[0].shape[1]),
                   "latent_dimensions": [int(d) for d in index.latent_blocks_]},
        "model": {"articles_at_fit": int(getattr(index, "model_articles_", matrix.shape[0])),
                  "weighed_since_fit": int(getattr(index, "model_changes_", 0)),
                  "author_agreement": [[list(names), value] for names, value
                                       in sorted(index.author_agreement_.items())]},
        "lists_exact": bool(getattr(index, "lists_exact_", False)),
        "chunk_bytes": CHUNK_BYTES,
        "files": {name: file_entry(data, CHUNK_BYTES) for name, data in sorted(payload.items())},
    }
    payload[MANIFEST] = manifest_bytes(manifest)
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_siblings(target)  # left by builds that were killed while saving
    staging = new_directory_beside(target)
    try:
        for name, data in payload.items():  # manifest last: it vouches for the rest
            _write_synced(staging / name, data)
        fsync_directory(staging)
        swap_in(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _catalog_files(entries: list[Entry]) -> dict[str, bytes | tuple]:
    """The articles as JSON Lines, the byte offset of each line, and the rows in id order."""
    lines = [_json_bytes(entry.to_json()) + b"\n" for entry in entries]
    offsets = np.zeros(len(lines) + 1, dtype=np.int64)
    np.cumsum([len(line) for line in lines], out=offsets[1:])
    by_id = sorted(range(len(entries)), key=lambda row: id_key(entries[row].id))
    return {CATALOG: b"".join(lines),
            "articles.offsets.npy": _npy_parts(offsets, _ARRAYS["articles.offsets.npy"]),
            "articles.by_id.npy": _npy_parts(np.array(by_id, dtype=np.int64),
                                             _ARRAYS["articles.by_id.npy"])}


def _translation_files(index: Any) -> dict[str, bytes | tuple]:
    """Each article's ``index.translations``, kept so that a lookup needs no matrix.
    Only articles whose translation group has other members can have any."""
    entries = index.entries_
    groups = translation_groups(entries, detect=index.get_settings()["detect_translations"])
    sizes = np.bincount(groups, minlength=len(entries))
    position = {entry.id: row for row, entry in enumerate(entries)}
    indptr, rows, scores = [0], [], []
    for row, entry in enumerate(entries):
        if sizes[groups[row]] > 1:
            for item in index.translations(entry.id):
                rows.append(position[item.id])
                scores.append(item.score)
        indptr.append(len(rows))
    return {name: _npy_parts(np.array(values), _ARRAYS[name]) for name, values in (
        ("translations.indptr.npy", indptr), ("translations.ids.npy", rows),
        ("translations.scores.npy", scores))}


def _check_replaceable(target: Path) -> None:
    if target.exists() and not target.is_dir():
        raise IndexFormatError(f"{target}: exists and is not a directory; choose another --out")
    if target.is_dir() and any(target.iterdir()) and not (target / MANIFEST).is_file():
        raise IndexFormatError(f"{target}: refusing to replace a non-empty directory that is "
                               "not a recommender index; choose an empty or new directory")


def _read_verified(folder: Folder, name: str, info: dict[str, Any]) -> bytes | Any:
    """The file ``name`` checked against its size and sha256: bytes for the text files,
    a copy-on-write memory map for arrays (hashed in place, never copied)."""
    if name.endswith(".npy"):
        data = folder.map(name, expected=info["bytes"])
    else:
        data = folder.read(name, expected=info["bytes"])
    if hashlib.sha256(data).hexdigest() != info["sha256"]:
        raise IndexFormatError(f"{folder.path / name}: checksum mismatch (the file is damaged "
                               "or was modified)")
    return data


def _parse_array(path: Path, data: Any, dtype: np.dtype) -> np.ndarray:
    """The 1-d array of ``dtype`` in .npy bytes or a memory map of them, without a copy;
    see :func:`recommender.indexfiles.npy_layout` for what is accepted."""
    length = npy_header_length(path, bytes(data[:10]))
    count, offset = npy_layout(path, bytes(data[:length]), dtype.str, len(data))
    return np.frombuffer(data, dtype=dtype, count=count, offset=offset)


def load_index(cls: type, directory: str | os.PathLike[str]) -> Any:
    """Read and verify the index in ``directory`` into a fitted ``cls`` instance.

    Arrays are memory-mapped once verified, so a load costs little memory beyond
    what queries touch. When a rebuild swaps a new index in while this one is being
    read, the read starts again on the new one (up to three times) rather than failing.
    """
    for attempt in range(3):
        folder = Folder(directory)
        try:
            return _load(cls, folder)
        except IndexFormatError:
            if attempt == 2 or not folder.replaced():
                raise
        finally:
            folder.close()
    raise AssertionError("unreachable")


def _load(cls: type, handle: Folder) -> Any:
    folder = handle.path
    manifest = check_manifest(handle)
    raw = {name: _read_verified(handle, name, info) for name, info in manifest["files"].items()}
    vocabulary = parse_json(folder / "vocabulary.json", raw["vocabulary.json"])
    arrays = {name: _parse_array(folder / name, raw[name], dtype)
              for name, dtype in _ARRAYS.items()}
    if not isinstance(vocabulary, list) or not all(isinstance(t, str) for t in vocabulary):
        raise IndexFormatError(f"{folder / 'vocabulary.json'}: expected a list of strings")
    entries = _parse_catalog(folder, raw[CATALOG], arrays["articles.offsets.npy"])
    if manifest.get("counts", {}).get("articles") != len(entries):
        raise IndexFormatError(f"{folder / MANIFEST}: 'counts' must give the number of "
                               f"articles, {len(entries)}")
    idf, norms = arrays["idf.npy"], arrays["norms.npy"]
    if idf.shape != (len(vocabulary),) or not np.all(np.isfinite(idf)) or np.any(idf < 1):
        raise IndexFormatError(f"{folder / 'idf.npy'}: expected {len(vocabulary)} finite "
                               "values of at least 1 (smoothed idf)")
    if norms.shape != (len(entries),) or not np.all(np.isfinite(norms)) or np.any(norms < 0):
        raise IndexFormatError(f"{folder / 'norms.npy'}: expected {len(entries)} finite, "
                               "non-negative values")
    matrix = _check_matrix(folder, "matrix", arrays, len(entries), len(vocabulary), unit=True)
    field_tf = {name: _check_matrix(folder, f"fields.{name}", arrays, len(entries),
                                    len(vocabulary), unit=False)
                for name in EXPLAINED_FIELDS}
    ids = {e.id for e in entries}
    if len(ids) != len(entries):
        raise IndexFormatError(f"{folder / CATALOG}: article ids are not unique")
    for entry in entries:
        unknown = [p for p in entry.pins if p not in ids or p == entry.id]
        if unknown:
            raise IndexFormatError(f"{folder / CATALOG}: article {entry.id!r} pins "
                                   f"{unknown[0]!r}, which is not another article of the index")
    by_id = sorted(range(len(entries)), key=lambda row: id_key(entries[row].id))
    if arrays["articles.by_id.npy"].tolist() != by_id:
        raise IndexFormatError(f"{folder / 'articles.by_id.npy'}: expected the {len(entries)} "
                               "article numbers in id order")
    _check_translations(folder, arrays, len(entries))
    if len(set(vocabulary)) != len(vocabulary):
        raise IndexFormatError(f"{folder / 'vocabulary.json'}: terms are not unique")
    try:
        settings = validate_saved_settings(manifest.get("settings", {}))
    except ConfigError as exc:
        raise IndexFormatError(f"{folder / MANIFEST}: {exc}") from None
    components, vectors, blocks = _check_latent(folder, manifest, arrays, len(entries),
                                                len(vocabulary))
    agreement = _parse_agreement(folder, manifest)
    index = cls(**settings)
    try:
        index._set_state(entries=entries, vocabulary=vocabulary, idf=arrays["idf.npy"],
                         matrix=matrix, norms=arrays["norms.npy"], field_tf=field_tf,
                         latent_components=components, latent_vectors=vectors,
                         latent_blocks=blocks, author_agreement=agreement)
    except ValueError as exc:  # latent arrays that the saved settings cannot have made
        raise IndexFormatError(f"{folder}: inconsistent index: {exc}") from None
    index.lists_ = _check_lists(folder, manifest, arrays, len(entries))
    index.lists_exact_ = manifest.get("lists_exact", False)
    if not isinstance(index.lists_exact_, bool):
        raise IndexFormatError(f"{folder / MANIFEST}: 'lists_exact' must be true or false")
    model = manifest.get("model", {})
    at_fit, since = model.get("articles_at_fit", len(entries)), model.get("weighed_since_fit", 0)
    if not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in (at_fit, since)):
        raise IndexFormatError(f"{folder / MANIFEST}: 'model' counts must be whole numbers")
    index.model_articles_, index.model_changes_ = at_fit, since
    return index


def _parse_agreement(folder: Path, manifest: dict) -> dict[tuple[str, ...], float]:
    """The model's author agreements (none in an index saved before they were kept)."""
    pairs = manifest.get("model", {}).get("author_agreement", [])
    if not isinstance(pairs, list) or not all(
            isinstance(pair, list) and len(pair) == 2 and isinstance(pair[0], list)
            and pair[0] and all(isinstance(name, str) for name in pair[0])
            and isinstance(pair[1], float) and 0.0 < pair[1] <= 1.0 for pair in pairs):
        raise IndexFormatError(f"{folder / MANIFEST}: 'model' 'author_agreement' must list "
                               "[author names, agreement in (0, 1]] pairs")
    agreement = {tuple(names): value for names, value in pairs}
    if len(agreement) != len(pairs):
        raise IndexFormatError(f"{folder / MANIFEST}: 'model' 'author_agreement' names an "
                               "author twice")
    return agreement


def _parse_catalog(folder: Path, data: bytes, offsets: np.ndarray) -> list[Entry]:
    """The entries of ``articles.jsonl``, whose lines must end at ``offsets``."""
    path = folder / CATALOG
    if (offsets.size == 0 or offsets[0] != 0 or offsets[-1] != len(data)
            or np.any(np.diff(offsets) <= 0)):
        raise IndexFormatError(f"{folder / 'articles.offsets.npy'}: expected increasing byte "
                               f"offsets from 0 to the {len(data)} bytes of {CATALOG}")
    ends = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == ord("\n")) + 1
    if not np.array_equal(ends, offsets[1:]):
        raise IndexFormatError(f"{path}: expected one record a line, ending at the offsets of "
                               "articles.offsets.npy")
    bounds = offsets.tolist()
    lines = enumerate(zip(bounds[:-1], bounds[1:], strict=True))
    return [Entry.from_json(parse_json(path, data[start:stop], row + 1), f"{path}: line {row + 1}")
            for row, (start, stop) in lines]


def _check_translations(folder: Path, arrays: dict[str, np.ndarray], rows: int) -> None:
    indptr, ids, scores = (arrays[f"translations.{part}.npy"]
                           for part in ("indptr", "ids", "scores"))
    if (indptr.shape != (rows + 1,) or indptr[0] != 0 or np.any(np.diff(indptr) < 0)
            or indptr[-1] != ids.size or ids.size != scores.size):
        raise IndexFormatError(f"{folder}: inconsistent index: the translations do not match "
                               f"{rows} articles")
    owners = np.repeat(np.arange(rows), np.diff(indptr))
    if ids.size and (ids.min() < 0 or ids.max() >= rows or np.any(ids == owners)):
        raise IndexFormatError(f"{folder / 'translations.ids.npy'}: article number out of "
                               "range, or an article listed as its own translation")
    if not np.all(np.isfinite(scores)) or (scores.size and (scores.min() < 0 or scores.max() > 1)):
        raise IndexFormatError(f"{folder / 'translations.scores.npy'}: scores must be within "
                               "[0, 1]")


def _check_latent(folder: Path, manifest: dict[str, Any], arrays: dict[str, np.ndarray],
                  rows: int, columns: int) -> tuple[np.ndarray, np.ndarray, tuple]:
    blocks = manifest.get("counts", {}).get("latent_dimensions")
    components, vectors = arrays["latent.components.npy"], arrays["latent.vectors.npy"]
    if not isinstance(blocks, list) or not all(
            isinstance(d, int) and not isinstance(d, bool) and d > 0 for d in blocks):
        raise IndexFormatError(f"{folder / MANIFEST}: 'latent_dimensions' must be a list of "
                               "positive whole numbers")
    dims = sum(blocks)
    if components.size != dims * columns or vectors.size != dims * rows:
        raise IndexFormatError(f"{folder}: inconsistent index: the latent arrays do not match "
                               f"{rows} articles, {columns} terms and {dims!r} dimensions")
    if not (np.all(np.isfinite(components)) and np.all(np.isfinite(vectors))):
        raise IndexFormatError(f"{folder}: inconsistent index: latent values must be finite")
    return components.reshape(dims, columns), vectors.reshape(rows, dims), tuple(blocks)


def _check_lists(folder: Path, manifest: dict[str, Any], arrays: dict[str, np.ndarray],
                 rows: int) -> tuple[np.ndarray, np.ndarray]:
    width = manifest.get("counts", {}).get("list_length")
    ids, scores = arrays["lists.ids.npy"], arrays["lists.scores.npy"]
    if (not isinstance(width, int) or isinstance(width, bool) or width < 0
            or ids.size != rows * width or scores.size != rows * width):
        raise IndexFormatError(f"{folder}: inconsistent index: the kept lists do not match "
                               f"{rows} articles of list_length {width!r}")
    if ids.size and (ids.min() < -1 or ids.max() >= rows):
        raise IndexFormatError(f"{folder / 'lists.ids.npy'}: article number out of range")
    if not np.all(np.isfinite(scores)) or (scores.size and (scores.min() < 0 or scores.max() > 1)):
        raise IndexFormatError(f"{folder / 'lists.scores.npy'}: scores must be within [0, 1]")
    return ids.reshape(rows, width), scores.reshape(rows, width)


def _check_matrix(folder: Path, name: str, arrays: dict[str, np.ndarray], rows: int,
                  columns: int, *, unit: bool) -> sp.csr_matrix:
    data, indices, indptr = (arrays[f"{name}.{part}.npy"] for part in _CSR_PARTS)
    problems = []
    if indptr.shape != (rows + 1,) or indptr[0] != 0 or np.any(np.diff(indptr) < 0):
        problems.append(f"{name}.indptr.npy: expected {rows + 1} non-decreasing offsets from 0")
    elif indptr[-1] != data.size or data.size != indices.size:
        problems.append(f"{name}: data, indices and indptr disagree on the number of non-zeros")
    if indices.size and (indices.min() < 0 or indices.max() >= columns):
        problems.append(f"{name}.indices.npy: column out of range 0..{columns - 1}")
    if not np.all(np.isfinite(data)) or (data.size and data.min() < 0):
        problems.append(f"{name}.data.npy: values must be finite and not negative")
    elif unit and data.size and data.max() > 1:
        problems.append(f"{name}.data.npy: values of unit rows must be within [0, 1]")
    if problems:
        raise IndexFormatError(f"{folder}: inconsistent index: " + "; ".join(problems))
    return sp.csr_matrix((data, indices, indptr), shape=(rows, columns))
