"""Replacing a directory as a whole: write a new one beside it, then swap it in with
one rename, so that readers and failed runs never see half of one. Used for saved
indexes and for exported fragment directories."""

from __future__ import annotations

import ctypes
import os
import secrets
import sys
from pathlib import Path

__all__ = ["new_directory_beside", "remove_stale_siblings", "write_synced", "fsync_directory",
           "swap_in"]

#: A staging directory older than this was left by a run that died.
STALE_SECONDS = 3600


def new_directory_beside(target: Path) -> Path:
    """An empty hidden directory next to ``target``, with the usual permissions
    (not mkdtemp's 0700, so that a web server can read what lands there)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    for _ in range(100):
        candidate = target.parent / f".{target.name}.tmp-{secrets.token_hex(6)}"
        try:
            candidate.mkdir()
            return candidate
        except FileExistsError:
            continue
    raise FileExistsError(f"{target.parent}: could not create a temporary directory")


def remove_stale_siblings(target: Path, max_age: float = STALE_SECONDS) -> None:
    """Remove staging directories beside ``target`` that runs killed midway left behind.
    Only those older than ``max_age`` seconds: a younger one may belong to a run
    still going on."""
    import shutil
    import time

    if not target.parent.is_dir():
        return
    now = time.time()
    for sibling in target.parent.glob(f".{target.name}.tmp-*"):
        try:
            if sibling.is_dir() and not sibling.is_symlink() and \
                    now - sibling.stat().st_mtime > max_age:
                shutil.rmtree(sibling, ignore_errors=True)
        except OSError:
            continue


def write_synced(path: Path, data: bytes | tuple) -> None:
    """Create ``path`` (it must not exist) with ``data`` (bytes, or a tuple of bytes-like
    parts written one after the other), flushed to disk."""
    with open(path, "xb") as stream:
        for part in data if isinstance(data, tuple) else (data,):
            stream.write(part)
        stream.flush()
        os.fsync(stream.fileno())


def fsync_directory(path: Path) -> None:
    if hasattr(os, "O_DIRECTORY"):
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def swap_in(staging: Path, target: Path) -> None:
    """Put ``staging`` at ``target``; afterwards ``staging`` holds the old directory, if any."""
    if not target.exists():
        try:
            os.rename(staging, target)
            fsync_directory(target.parent)
            return
        except OSError:
            if not target.exists():
                raise
    if _exchange(staging, target):
        fsync_directory(target.parent)
        return
    # No atomic exchange on this platform: two renames, with a moment without ``target``.
    old = target.parent / f".{target.name}.old-{secrets.token_hex(6)}"
    os.rename(target, old)
    try:
        os.rename(staging, target)
    except BaseException:
        os.rename(old, target)
        raise
    os.rename(old, staging)
    fsync_directory(target.parent)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two directories atomically (Linux ``renameat2(RENAME_EXCHANGE)``); False if
    the platform or file system cannot."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    return renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0
