"""Saving and loading an index: a folder of JSON and ``.npy`` files, never pickle.

Layout (format version 1)::

    manifest.json        format, version, library versions, settings, counts,
                         and the size and sha256 of every other file
    articles.json        display fields of each article, in row order
    vocabulary.json      indexed terms, in column order
    idf.npy              float64, one per term
    norms.npy            float64, each row's norm before L2 normalisation
    matrix.data.npy      float32  } the L2-normalised tf-idf rows as CSR arrays
    matrix.indices.npy   int32    }
    matrix.indptr.npy    int64    }
    latent.*.npy         float32, the latent model's components (dimensions x terms)
                         and each article's unit latent vector (articles x dimensions)
    lists.*.npy          kept related lists: article numbers (int32, -1 pads) and
                         scores (float64), articles x list_length
    fields.NAME.*.npy    the same three arrays for the weighted term frequencies of
                         the title, blurb, tags and author fields (for explanations)

A save writes a new folder beside the target and swaps it in with a rename,
so readers and a failed build never see a half-written index.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import stat
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
from .settings import settings_to_json, validate_settings

__all__ = ["save_index", "load_index", "FORMAT", "FORMAT_VERSION", "read_manifest"]

FORMAT = "recommender-index"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
_CSR_PARTS = {"data": np.dtype("<f4"), "indices": np.dtype("<i4"), "indptr": np.dtype("<i8")}
_MATRICES = ("matrix", *(f"fields.{name}" for name in EXPLAINED_FIELDS))
_ARRAYS = {
    "idf.npy": np.dtype("<f8"),
    "norms.npy": np.dtype("<f8"),
    "latent.components.npy": np.dtype("<f4"),
    "latent.vectors.npy": np.dtype("<f4"),
    "lists.ids.npy": np.dtype("<i4"),
    "lists.scores.npy": np.dtype("<f8"),
    **{f"{m}.{part}.npy": dtype for m in _MATRICES for part, dtype in _CSR_PARTS.items()},
}
_JSON_FILES = ("articles.json", "vocabulary.json")
FILES = (*_JSON_FILES, *_ARRAYS)
_MAX_MANIFEST_BYTES = 1 << 24


def _json_bytes(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def _npy_bytes(array: np.ndarray, dtype: np.dtype) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, np.ascontiguousarray(array, dtype=dtype), allow_pickle=False)
    return buffer.getvalue()


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
        "articles.json": _json_bytes([e.to_json() for e in index.entries_]),
        "vocabulary.json": _json_bytes(index.vocabulary_),
        "idf.npy": _npy_bytes(index.idf_, _ARRAYS["idf.npy"]),
        "norms.npy": _npy_bytes(index.norms_, _ARRAYS["norms.npy"]),
        "latent.components.npy": _npy_bytes(index.latent_components_.ravel(),
                                            _ARRAYS["latent.components.npy"]),
        "latent.vectors.npy": _npy_bytes(index.latent_vectors_.ravel(),
                                         _ARRAYS["latent.vectors.npy"]),
        "lists.ids.npy": _npy_bytes(index.lists_[0].ravel(), _ARRAYS["lists.ids.npy"]),
        "lists.scores.npy": _npy_bytes(index.lists_[1].ravel(), _ARRAYS["lists.scores.npy"]),
    }
    for name, csr in matrices.items():
        csr = sp.csr_matrix(csr)
        csr.sort_indices()
        for part, dtype in _CSR_PARTS.items():
            payload[f"{name}.{part}.npy"] = _npy_bytes(getattr(csr, part), dtype)
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "versions": _library_versions(),
        "settings": settings_to_json(index.get_settings()),
        "counts": {"articles": matrix.shape[0], "terms": matrix.shape[1],
                   "nonzeros": int(matrix.nnz), "list_length": int(index.lists_[0].shape[1]),
                   "latent_dimensions": [int(d) for d in index.latent_blocks_]},
        "model": {"articles_at_fit": int(getattr(index, "model_articles_", matrix.shape[0])),
                  "weighed_since_fit": int(getattr(index, "model_changes_", 0))},
        "files": {name: {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
                  for name, data in sorted(payload.items())},
    }
    payload[MANIFEST] = json.dumps(manifest, ensure_ascii=False, sort_keys=True,
                                   indent=2).encode() + b"\n"
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


def _check_replaceable(target: Path) -> None:
    if target.exists() and not target.is_dir():
        raise IndexFormatError(f"{target}: exists and is not a directory; choose another --out")
    if target.is_dir() and any(target.iterdir()) and not (target / MANIFEST).is_file():
        raise IndexFormatError(f"{target}: refusing to replace a non-empty directory that is "
                               "not a recommender index; choose an empty or new directory")










class _Folder:
    """An index folder opened once: every file is read relative to that handle, so a
    load sees one folder even while a rebuild swaps another in at the same path.
    Symbolic links, pipes and other special files are refused, never followed."""

    def __init__(self, directory: str | os.PathLike[str]):
        self.path = Path(directory)
        try:
            self.fd = os.open(self.path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        except (FileNotFoundError, NotADirectoryError):
            raise IndexFormatError(f"{self.path}: no index here (not a directory)") from None
        except OSError as exc:
            raise IndexFormatError(f"{self.path}: cannot open ({exc.strerror or exc})") from None

    def close(self) -> None:
        os.close(self.fd)

    def replaced(self) -> bool:
        """Whether another folder now stands at this path (a rebuild swapped it in)."""
        try:
            return os.stat(self.path).st_ino != os.fstat(self.fd).st_ino
        except OSError:
            return True

    def read(self, name: str, *, expected: int | None = None, limit: int | None = None) -> bytes:
        path = self.path / name
        flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
        try:
            fd = os.open(name, flags, dir_fd=self.fd)
        except FileNotFoundError:
            raise IndexFormatError(f"{path}: missing") from None
        except OSError as exc:
            if os.path.islink(path):
                raise IndexFormatError(f"{path}: a symbolic link; index files must be "
                                       "regular files inside the index") from None
            raise IndexFormatError(f"{path}: cannot be read ({exc.strerror or exc})") from None
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            os.close(fd)
            raise IndexFormatError(f"{path}: not a regular file")
        with os.fdopen(fd, "rb") as stream:
            if expected is not None and info.st_size != expected:
                raise IndexFormatError(f"{path}: {info.st_size} bytes, the manifest says "
                                       f"{expected} (truncated or replaced)")
            if limit is not None and info.st_size > limit:
                raise IndexFormatError(f"{path}: too large ({info.st_size} bytes)")
            return stream.read()


def _parse_json(path: Path, data: bytes) -> Any:
    try:
        return json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        reason = "nested too deeply" if isinstance(exc, RecursionError) else exc
        raise IndexFormatError(f"{path}: not valid JSON ({reason})") from None


def read_manifest(directory: str | os.PathLike[str] | _Folder) -> dict[str, Any]:
    """The checked manifest of the index in ``directory``."""
    folder = directory if isinstance(directory, _Folder) else _Folder(directory)
    try:
        return _check_manifest(folder)
    finally:
        if folder is not directory:
            folder.close()


def _check_manifest(folder: _Folder) -> dict[str, Any]:
    path = folder.path / MANIFEST
    try:
        raw = folder.read(MANIFEST, limit=_MAX_MANIFEST_BYTES)
    except IndexFormatError as exc:
        if str(exc).endswith(": missing"):
            raise IndexFormatError(f"{path}: missing; is {folder.path} an index written by "
                                   "'recommender build'?") from None
        raise
    manifest = _parse_json(path, raw)
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise IndexFormatError(f"{path}: not a recommender index manifest")
    version = manifest.get("format_version")
    if version != FORMAT_VERSION:
        raise IndexFormatError(f"{path}: index format version {version!r} is not supported; "
                               f"this recommender {__version__} reads version {FORMAT_VERSION}. "
                               "Rebuild the index with 'recommender build'.")
    files = manifest.get("files")
    if not isinstance(files, dict) or set(files) != set(FILES):
        raise IndexFormatError(f"{path}: the file list must be exactly {', '.join(FILES)}")
    for name, info in files.items():
        if (not isinstance(info, dict) or not isinstance(info.get("bytes"), int)
                or isinstance(info.get("bytes"), bool) or info["bytes"] < 0
                or not isinstance(info.get("sha256"), str)):
            raise IndexFormatError(f"{path}: entry for {name} needs 'bytes' and 'sha256'")
    for section in ("settings", "counts", "model", "versions"):
        if not isinstance(manifest.get(section, {}), dict):
            raise IndexFormatError(f"{path}: '{section}' must be an object")
    return manifest


def _read_verified(folder: _Folder, name: str, info: dict[str, Any]) -> bytes:
    data = folder.read(name, expected=info["bytes"])
    if hashlib.sha256(data).hexdigest() != info["sha256"]:
        raise IndexFormatError(f"{folder.path / name}: checksum mismatch (the file is damaged "
                               "or was modified)")
    return data


_NPY_HEADER = re.compile(rb"\{'descr': '([<>|][a-z]\d)', 'fortran_order': False, "
                         rb"'shape': \((\d+),\), \} *\n")


def _parse_array(path: Path, data: bytes, dtype: np.dtype) -> np.ndarray:
    """A 1-d array of ``dtype`` from .npy bytes. Only the header that ``np.save`` writes
    for such an array is accepted (matched as text, never evaluated), and the data's
    length is checked against it before anything is allocated; object arrays (pickles)
    are refused."""
    if len(data) < 10 or data[:8] != b"\x93NUMPY\x01\x00":
        raise IndexFormatError(f"{path}: not a valid .npy array (format 1.0 header expected)")
    header_length = int.from_bytes(data[8:10], "little")
    match = _NPY_HEADER.fullmatch(data[10:10 + header_length])
    if match is None:
        raise IndexFormatError(f"{path}: expected a 1-d {dtype} array (the .npy header is "
                               "not one that recommender writes)")
    found = match.group(1).decode("ascii")
    if found != dtype.str:
        raise IndexFormatError(f"{path}: expected a 1-d {dtype} array, got {found!r}")
    count, offset = int(match.group(2)), 10 + header_length
    if count * dtype.itemsize != len(data) - offset:
        raise IndexFormatError(f"{path}: the header claims {count} values, the file holds "
                               f"{(len(data) - offset) // dtype.itemsize}")
    return np.frombuffer(data, dtype=dtype, offset=offset).copy()


def load_index(cls: type, directory: str | os.PathLike[str]) -> Any:
    """Read and verify the index in ``directory`` into a fitted ``cls`` instance.

    When a rebuild swaps a new index in while this one is being read, the read
    starts again on the new one (up to three times) rather than failing.
    """
    for attempt in range(3):
        folder = _Folder(directory)
        try:
            return _load(cls, folder)
        except IndexFormatError:
            if attempt == 2 or not folder.replaced():
                raise
        finally:
            folder.close()
    raise AssertionError("unreachable")


def _load(cls: type, handle: _Folder) -> Any:
    folder = handle.path
    manifest = _check_manifest(handle)
    raw = {name: _read_verified(handle, name, info) for name, info in manifest["files"].items()}
    records = _parse_json(folder / "articles.json", raw["articles.json"])
    vocabulary = _parse_json(folder / "vocabulary.json", raw["vocabulary.json"])
    arrays = {name: _parse_array(folder / name, raw[name], dtype) for name, dtype in _ARRAYS.items()}
    if not isinstance(records, list):
        raise IndexFormatError(f"{folder / 'articles.json'}: expected a list of articles")
    if not isinstance(vocabulary, list) or not all(isinstance(t, str) for t in vocabulary):
        raise IndexFormatError(f"{folder / 'vocabulary.json'}: expected a list of strings")
    entries = [Entry.from_json(r, f"{folder / 'articles.json'}: item {i}")
               for i, r in enumerate(records)]
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
        raise IndexFormatError(f"{folder / 'articles.json'}: article ids are not unique")
    for entry in entries:
        unknown = [p for p in entry.pins if p not in ids or p == entry.id]
        if unknown:
            raise IndexFormatError(f"{folder / 'articles.json'}: article {entry.id!r} pins "
                                   f"{unknown[0]!r}, which is not another article of the index")
    if len(set(vocabulary)) != len(vocabulary):
        raise IndexFormatError(f"{folder / 'vocabulary.json'}: terms are not unique")
    try:
        settings = validate_settings(manifest.get("settings", {}))
    except ConfigError as exc:
        raise IndexFormatError(f"{folder / MANIFEST}: {exc}") from None
    components, vectors, blocks = _check_latent(folder, manifest, arrays, len(entries),
                                                len(vocabulary))
    index = cls(**settings)
    try:
        index._set_state(entries=entries, vocabulary=vocabulary, idf=arrays["idf.npy"],
                         matrix=matrix, norms=arrays["norms.npy"], field_tf=field_tf,
                         latent_components=components, latent_vectors=vectors,
                         latent_blocks=blocks)
    except ValueError as exc:  # latent arrays that the saved settings cannot have made
        raise IndexFormatError(f"{folder}: inconsistent index: {exc}") from None
    index.lists_ = _check_lists(folder, manifest, arrays, len(entries))
    model = manifest.get("model", {})
    at_fit, since = model.get("articles_at_fit", len(entries)), model.get("weighed_since_fit", 0)
    if not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in (at_fit, since)):
        raise IndexFormatError(f"{folder / MANIFEST}: 'model' counts must be whole numbers")
    index.model_articles_, index.model_changes_ = at_fit, since
    return index


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
    if not isinstance(width, int) or isinstance(width, bool) or width < 0 or ids.size != rows * width \
            or scores.size != rows * width:
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
