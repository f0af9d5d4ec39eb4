"""The files of a saved index: their names and types, the manifest, and verified reads.

Standard library only: :mod:`recommender.lookup` answers one query from a saved
index with this module and never imports scipy or scikit-learn. Whole files are
verified against the sha256 the manifest gives them (a full load); ranges of a
file are verified chunk by chunk (:class:`ChunkedFile`, a lookup), so reading a
record costs the chunks it lies in, not the file.

The manifest vouches for itself too: ``manifest_sha256`` is the sha256 of the
manifest file with that value written as 64 zeros.
"""

from __future__ import annotations

import hashlib
import json
import mmap
import os
import re
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ._version import __version__
from .errors import IndexFormatError

__all__ = ["FORMAT", "FORMAT_VERSION", "MANIFEST", "CHUNK_BYTES", "CATALOG", "FILES",
           "ARRAYS", "Folder", "ChunkedFile", "read_manifest", "check_manifest",
           "file_entry", "manifest_bytes", "npy_header_length", "npy_layout", "parse_json",
           "id_key"]

FORMAT = "recommender-index"
FORMAT_VERSION = 2
MANIFEST = "manifest.json"
#: Size of the pieces each file is digested in, for reads of part of a file.
CHUNK_BYTES = 1 << 18

CATALOG = "articles.jsonl"
_CSR_PARTS = {"data": "<f4", "indices": "<i4", "indptr": "<i8"}
# The fields explain.EXPLAINED_FIELDS names (that module needs scipy); a test keeps
# the two equal.
_MATRICES = ("matrix", *(f"fields.{name}" for name in ("title", "blurb", "tags", "author")))
#: Every .npy file of an index and its dtype (always a 1-d array).
ARRAYS: dict[str, str] = {
    "articles.offsets.npy": "<i8",
    "articles.by_id.npy": "<i4",
    "idf.npy": "<f8",
    "norms.npy": "<f8",
    "latent.components.npy": "<f4",
    "latent.vectors.npy": "<f4",
    "lists.ids.npy": "<i4",
    "lists.scores.npy": "<f8",
    "translations.indptr.npy": "<i8",
    "translations.ids.npy": "<i4",
    "translations.scores.npy": "<f8",
    **{f"{m}.{part}.npy": dtype for m in _MATRICES for part, dtype in _CSR_PARTS.items()},
}
FILES = (CATALOG, "vocabulary.json", *ARRAYS)

_MAX_MANIFEST_BYTES = 1 << 24
_SELF = "manifest_sha256"
_HEX = re.compile(r"[0-9a-f]{64}")
_ZEROS = "0" * 64


def id_key(article_id: str) -> bytes:
    """The order of ``articles.by_id.npy``: an id's UTF-8 bytes (lone surrogates kept)."""
    return article_id.encode("utf-8", "surrogatepass")


def parse_json(path: Path, data: bytes, line: int | None = None) -> Any:
    """``data`` parsed as JSON, or IndexFormatError naming ``path`` (and ``line``)."""
    try:
        return json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        reason = "nested too deeply" if isinstance(exc, RecursionError) else exc
        where = f"{path}: line {line}" if line is not None else f"{path}"
        raise IndexFormatError(f"{where}: not valid JSON ({reason})") from None


# -- writing ----------------------------------------------------------------------------------

def file_entry(data: bytes | tuple, chunk_bytes: int = CHUNK_BYTES) -> dict[str, Any]:
    """What the manifest keeps of one file: its size, its sha256 and the sha256 of
    each ``chunk_bytes`` piece of it (the last one shorter).

    ``data``: the file's bytes, or a tuple of the bytes-like parts it is written from
    in order (a ``.npy`` header and the memory of its array), so that a large array
    is digested where it lies instead of copied into one ``bytes``."""
    parts = [memoryview(part).cast("B") for part in (data if isinstance(data, tuple) else (data,))]
    whole, chunks = hashlib.sha256(), []
    for chunk in _chunks(parts, chunk_bytes):
        whole.update(chunk)
        chunks.append(hashlib.sha256(chunk).hexdigest())
    return {"bytes": sum(len(part) for part in parts), "sha256": whole.hexdigest(),
            "chunks": chunks}


def _chunks(parts: list[memoryview], size: int):
    """The concatenation of ``parts`` in pieces of ``size`` bytes (the last shorter); only
    a piece that straddles two parts is copied."""
    pending = bytearray()
    for part in parts:
        start = 0
        if pending:
            start = min(size - len(pending), len(part))
            pending += part[:start]
            if len(pending) < size:
                continue
            yield pending
            pending = bytearray()
        while len(part) - start >= size:
            yield part[start:start + size]
            start += size
        pending += part[start:]
    if pending:
        yield pending


def manifest_bytes(manifest: Mapping[str, Any]) -> bytes:
    """The manifest file for ``manifest``, sealed with its own ``manifest_sha256``."""
    document = {key: value for key, value in manifest.items() if key != _SELF}
    document[_SELF] = _ZEROS
    text = json.dumps(document, ensure_ascii=False, sort_keys=True, indent=2) + "\n"
    digest = hashlib.sha256(text.encode()).hexdigest()
    return text.replace(_seal(_ZEROS), _seal(digest)).encode()


def _seal(digest: str) -> str:
    return f'"{_SELF}": "{digest}"'


# -- the folder -------------------------------------------------------------------------------

class Folder:
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

    def open(self, name: str, *, expected: int | None = None,
             limit: int | None = None) -> tuple[int, int]:
        """A descriptor of the regular file ``name`` and its size, checked against the
        manifest's ``expected`` size; the caller closes it."""
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
        problem = None
        if not stat.S_ISREG(info.st_mode):
            problem = "not a regular file"
        elif expected is not None and info.st_size != expected:
            problem = (f"{info.st_size} bytes, the manifest says {expected} "
                       "(truncated or replaced)")
        elif limit is not None and info.st_size > limit:
            problem = f"too large ({info.st_size} bytes)"
        if problem is not None:
            os.close(fd)
            raise IndexFormatError(f"{path}: {problem}")
        return fd, info.st_size

    def read(self, name: str, *, expected: int | None = None, limit: int | None = None) -> bytes:
        """The whole file ``name``."""
        fd, _ = self.open(name, expected=expected, limit=limit)
        with os.fdopen(fd, "rb") as stream:
            return stream.read()

    def map(self, name: str, *, expected: int | None = None) -> bytes | mmap.mmap:
        """The whole file ``name``, memory-mapped copy-on-write (writes stay in this
        process); ``b""`` when it is empty. Index files are never rewritten in place
        (a save swaps in a new folder), so the mapping keeps what was verified."""
        fd, size = self.open(name, expected=expected)
        try:
            return mmap.mmap(fd, 0, access=mmap.ACCESS_COPY) if size else b""
        finally:
            os.close(fd)


def read_manifest(directory: str | os.PathLike[str] | Folder) -> dict[str, Any]:
    """The checked manifest of the index in ``directory``."""
    folder = directory if isinstance(directory, Folder) else Folder(directory)
    try:
        return check_manifest(folder)
    finally:
        if folder is not directory:
            folder.close()


def check_manifest(folder: Folder) -> dict[str, Any]:
    """Read the manifest of ``folder``; check its format version, its own digest and
    that it lists exactly the index's files with sizes and digests."""
    path = folder.path / MANIFEST
    try:
        raw = folder.read(MANIFEST, limit=_MAX_MANIFEST_BYTES)
    except IndexFormatError as exc:
        if str(exc).endswith(": missing"):
            raise IndexFormatError(f"{path}: missing; is {folder.path} an index written by "
                                   "'recommender build'?") from None
        raise
    manifest = parse_json(path, raw)
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise IndexFormatError(f"{path}: not a recommender index manifest")
    version = manifest.get("format_version")
    if type(version) is int and version == 1:
        raise IndexFormatError(f"{path}: index format version 1 was written by an older "
                               f"recommender; this recommender {__version__} reads version "
                               f"{FORMAT_VERSION} only. Rebuild the index with 'recommender "
                               "build' (from the articles; 'update' cannot convert it).")
    if type(version) is not int or version != FORMAT_VERSION:
        raise IndexFormatError(f"{path}: index format version {version!r} is not supported; "
                               f"this recommender {__version__} reads version {FORMAT_VERSION}. "
                               "Rebuild the index with 'recommender build'.")
    _check_own_digest(path, raw, manifest.get(_SELF))
    chunk_bytes = manifest.get("chunk_bytes")
    if not isinstance(chunk_bytes, int) or isinstance(chunk_bytes, bool) or chunk_bytes < 1:
        raise IndexFormatError(f"{path}: 'chunk_bytes' must be a positive whole number")
    files = manifest.get("files")
    if not isinstance(files, dict) or set(files) != set(FILES):
        raise IndexFormatError(f"{path}: the file list must be exactly {', '.join(FILES)}")
    for name, info in files.items():
        if not _valid_entry(info, chunk_bytes):
            raise IndexFormatError(f"{path}: entry for {name} needs 'bytes', 'sha256' and "
                                   f"one sha256 per {chunk_bytes} bytes in 'chunks'")
    for section in ("settings", "counts", "model", "versions"):
        if not isinstance(manifest.get(section, {}), dict):
            raise IndexFormatError(f"{path}: '{section}' must be an object")
    return manifest


def _check_own_digest(path: Path, raw: bytes, digest: Any) -> None:
    if not isinstance(digest, str) or not _HEX.fullmatch(digest):
        raise IndexFormatError(f"{path}: '{_SELF}' must be a sha256 in hex")
    sealed = _seal(digest).encode()
    if raw.count(sealed) != 1:
        raise IndexFormatError(f"{path}: '{_SELF}' must appear once, written as "
                               "'recommender build' writes it")
    blank = raw.replace(sealed, _seal(_ZEROS).encode())
    if hashlib.sha256(blank).hexdigest() != digest:
        raise IndexFormatError(f"{path}: checksum mismatch (the file is damaged or was "
                               "modified)")


def _valid_entry(info: Any, chunk_bytes: int) -> bool:
    if not isinstance(info, dict):
        return False
    size, digest, chunks = info.get("bytes"), info.get("sha256"), info.get("chunks")
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        return False
    if not isinstance(digest, str) or not _HEX.fullmatch(digest) or not isinstance(chunks, list):
        return False
    return len(chunks) == -(-size // chunk_bytes) and all(
        isinstance(c, str) and _HEX.fullmatch(c) for c in chunks)


# -- .npy headers -----------------------------------------------------------------------------

_NPY_MAGIC = b"\x93NUMPY\x01\x00"
_NPY_HEADER = re.compile(rb"\{'descr': '([<>|][a-z]\d)', 'fortran_order': False, "
                         rb"'shape': \((\d+),\), \} *\n")


def npy_header_length(path: Path, head: bytes) -> int:
    """Bytes before an array's data, from the first 10 bytes of a .npy file."""
    if len(head) < 10 or head[:8] != _NPY_MAGIC:
        raise IndexFormatError(f"{path}: not a valid .npy array (format 1.0 header expected)")
    return 10 + int.from_bytes(head[8:10], "little")


def npy_layout(path: Path, header: bytes, dtype: str, size: int) -> tuple[int, int]:
    """``(count, offset)`` of the 1-d ``dtype`` array in a .npy file of ``size`` bytes
    whose header (at least the bytes :func:`npy_header_length` gives) is ``header``.

    Only the header that ``np.save`` writes for such an array is accepted (matched
    as text, never evaluated), and the file's length must match it, so that nothing
    is allocated on a header's word; object arrays (pickles) are refused.
    """
    offset = npy_header_length(path, header)
    match = _NPY_HEADER.fullmatch(header[10:offset])
    if match is None:
        raise IndexFormatError(f"{path}: expected a 1-d {_dtype_name(dtype)} array (the .npy "
                               "header is not one that recommender writes)")
    found = match.group(1).decode("ascii")
    if found != dtype:
        raise IndexFormatError(f"{path}: expected a 1-d {_dtype_name(dtype)} array, "
                               f"got {found!r}")
    count, itemsize = int(match.group(2)), int(dtype[2:])
    if count * itemsize != size - offset:
        raise IndexFormatError(f"{path}: the header claims {count} values, the file holds "
                               f"{max(size - offset, 0) // itemsize}")
    return count, offset


def _dtype_name(dtype: str) -> str:
    kinds = {"f": "float", "i": "int", "u": "uint"}
    return f"{kinds.get(dtype[1], dtype[1])}{8 * int(dtype[2:])}"


# -- reading parts of a file ------------------------------------------------------------------

class ChunkedFile:
    """One index file read by byte ranges; every chunk a range touches is checked
    against the manifest's digest before any of its bytes are used (and kept).

    Parameters
    ----------
    folder : Folder
    name : str
        The file, one of :data:`FILES`.
    info : dict
        Its manifest entry (``bytes``, ``chunks``).
    chunk_bytes : int
        The manifest's ``chunk_bytes``.
    """

    def __init__(self, folder: Folder, name: str, info: Mapping[str, Any], chunk_bytes: int):
        self.path = folder.path / name
        self.fd, self.size = folder.open(name, expected=info["bytes"])
        self._digests = info["chunks"]
        self._chunk_bytes = chunk_bytes
        self._verified: dict[int, bytes] = {}

    def close(self) -> None:
        os.close(self.fd)

    def read(self, start: int, stop: int) -> bytes:
        """Bytes ``start`` to ``stop`` (exclusive), verified."""
        if not 0 <= start <= stop <= self.size:
            raise IndexFormatError(f"{self.path}: bytes {start}..{stop} are outside the "
                                   f"file's {self.size}")
        if start == stop:
            return b""
        size = self._chunk_bytes
        first, last = start // size, (stop - 1) // size
        base = first * size
        if first == last:  # slice the one chunk: no copy of the rest of it
            return self._chunk(first)[start - base:stop - base]
        return b"".join(self._chunk(i) for i in range(first, last + 1))[start - base:stop - base]

    def _chunk(self, number: int) -> bytes:
        data = self._verified.get(number)
        if data is None:
            start = number * self._chunk_bytes
            length = min(self._chunk_bytes, self.size - start)
            data = os.pread(self.fd, length, start)
            if len(data) != length or hashlib.sha256(data).hexdigest() != self._digests[number]:
                raise IndexFormatError(f"{self.path}: checksum mismatch in bytes {start}.."
                                       f"{start + length} (the file is damaged or was "
                                       "modified)")
            self._verified[number] = data
        return data

    def array(self, dtype: str) -> tuple[int, int]:
        """``(count, offset)`` of the 1-d ``dtype`` array this .npy file holds."""
        head = self.read(0, min(10, self.size))
        length = npy_header_length(self.path, head)
        return npy_layout(self.path, self.read(0, min(length, self.size)), dtype, self.size)
