"""Atomicity of the saved index, tested with real processes.

``recommender build`` runs in a subprocess that is SIGKILLed at random moments:
afterwards ``--out`` must hold either the old index or the new one, complete, and
the next build must succeed. A reader process loads and queries the index in a loop
while this process replaces it: every load must succeed and give one version's
answers, never a mixture.

The build runs under a small wrapper that watches Python's audit events (``os.mkdir``
of the hidden folder beside ``--out``, ``open``, ``os.rename``, ``ctypes.dlsym`` of
``renameat2``, ``shutil.rmtree``): it prints ``STAGING``, ``SWAP`` and ``CLEANUP`` as
the save reaches them and pauses briefly at each file written, at the swap and at each
file of the clean-up, so that a kill lands inside the save (the interesting part)
rather than in the seconds of analysis before it. The pauses change timing only,
never what is done.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from recommender import RelatedIndex, load_articles

from .conftest import ROOT

pytestmark = [
    pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals"),
    pytest.mark.filterwarnings("ignore:invalid value encountered in divide:RuntimeWarning"),
]

ARTICLES = 60  # a build of 2-3 s, most of it starting Python
PAUSE = 0.02  # seconds, at each audited step of the save
PROBES = 10  # articles whose lists make a version's fingerprint

WRAPPER = textwrap.dedent("""
    import os, sys, time

    PAUSE = float(os.environ["ATOMIC_TEST_PAUSE"])
    PREFIX = "." + os.path.basename(sys.argv[sys.argv.index("--out") + 1]) + "."
    staging = []

    def hook(event, args):
        if event == "os.mkdir":  # the hidden staging folder beside --out
            path = os.fsdecode(args[0])
            if not staging and os.path.basename(path).startswith(PREFIX):
                staging.append(os.path.abspath(path))
                os.write(1, b"STAGING\\n")
            return
        if not staging:
            return
        if event in ("os.rename", "ctypes.dlsym"):  # just before the swap
            os.write(1, b"SWAP\\n")
        elif event == "shutil.rmtree":  # after it: the old index goes
            os.write(1, b"CLEANUP\\n")
        elif not (event in ("os.remove", "os.rmdir") or (
                event == "open" and isinstance(args[0], (str, os.PathLike))
                and os.path.abspath(os.fsdecode(args[0])).startswith(staging[0]))):
            return
        time.sleep(PAUSE)

    sys.addaudithook(hook)
    from recommender.cli import main
    sys.exit(main())
""")

# The reader pauses between reading the manifest and reading the first file it lists, so
# that a swap is likely to fall inside a load (without the pause, about one swap in ten
# does): this is the window in which a load could mix two versions.
READER = textwrap.dedent("""
    import hashlib, json, os, sys, time

    PAUSE = float(os.environ["ATOMIC_TEST_READER_PAUSE"])
    read_manifest = []

    def hook(event, args):
        if event != "open" or not isinstance(args[0], (str, bytes, os.PathLike)):
            return
        name = os.path.basename(os.fsdecode(args[0]))
        if name == "manifest.json":
            read_manifest.append(True)
        elif read_manifest and name.endswith((".json", ".npy")):
            read_manifest.clear()
            time.sleep(PAUSE)

    sys.addaudithook(hook)
    from recommender import RelatedIndex

    folder, probes, stop = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3]
    print("READY", flush=True)
    while not os.path.exists(stop):
        try:
            index = RelatedIndex.load(folder)
            lists = [[(i.id, i.score) for i in index.related(p, k=5)] for p in probes]
            line = "OK " + hashlib.sha256(json.dumps(lists).encode()).hexdigest()
        except Exception as exc:
            line = f"ERR {type(exc).__name__}: {exc}".replace("\\n", " ")
        print(line, flush=True)
""")


def _env() -> dict[str, str]:
    env = dict(os.environ, ATOMIC_TEST_PAUSE=str(PAUSE), ATOMIC_TEST_READER_PAUSE="0.1",
               PYTHONWARNINGS="ignore")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def _fingerprint(index: RelatedIndex, probes: list[str]) -> str:
    lists = [[(i.id, i.score) for i in index.related(p, k=5)] for p in probes]
    return hashlib.sha256(json.dumps(lists).encode()).hexdigest()


@pytest.fixture(scope="module")
def versions(tmp_path_factory):
    """Two corpora with the same ids and different texts, fitted in this process."""
    from benchmarks.synthetic import generate, write_jsonl

    folder = tmp_path_factory.mktemp("atomic")
    fitted = {}
    for name, seed in (("old", 11), ("new", 12)):
        path = folder / f"{name}.jsonl"
        write_jsonl(generate(ARTICLES, seed=seed, mean_words=200, n_topics=10, n_authors=15),
                    path)
        fitted[name] = (path, RelatedIndex().fit(load_articles(path)))
    probes = fitted["old"][1].ids_[:: ARTICLES // PROBES][:PROBES]
    prints = {name: _fingerprint(index, probes) for name, (_, index) in fitted.items()}
    assert prints["old"] != prints["new"]
    return folder, fitted, probes, prints


def _check_complete(out: Path, probes: list[str], prints: dict[str, str]) -> str:
    """The version at ``out``; fails unless it is one complete index of the two."""
    manifest = json.loads((out / "manifest.json").read_text())
    assert sorted(p.name for p in out.iterdir()) == sorted([*manifest["files"], "manifest.json"])
    found = _fingerprint(RelatedIndex.load(out), probes)
    assert found in prints.values(), "the index answers like neither version"
    return next(name for name, value in prints.items() if value == found)


def _stray(out: Path) -> list[str]:
    return sorted(p.name for p in out.parent.iterdir() if p.name != out.name)


def test_a_killed_build_leaves_the_old_or_the_new_index_whole(versions, tmp_path):
    folder, fitted, probes, prints = versions
    wrapper = tmp_path / "build_with_pauses.py"
    wrapper.write_text(WRAPPER)
    out = tmp_path / "site" / "index"
    fitted["old"][1].save(out)
    current = "old"
    rng = random.Random(20240721)
    # Kill moments, after the start of the process or after a marker of the save: two
    # anywhere in the first 2 s (loading, analysis), one as the staging folder appears,
    # three at random in the save, one just before the swap, one during the clean-up
    # after it (leaving the old index's folder behind).
    plan = [(None, rng.uniform(0.0, 2.0)) for _ in range(2)]
    plan += [("STAGING", 0.0)] + [("STAGING", rng.uniform(0.0, 0.8)) for _ in range(3)]
    plan += [("SWAP", 0.0), ("CLEANUP", 0.0)]
    outcomes = []
    for run, (marker, delay) in enumerate(plan):
        target = "new" if current == "old" else "old"
        process = subprocess.Popen(
            [sys.executable, str(wrapper), "build", str(fitted[target][0]), "--out", str(out)],
            cwd=ROOT, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            if marker is not None:
                seen = b""
                while seen.strip() != marker.encode():
                    seen = process.stdout.readline()
                    assert seen, process.stderr.read()  # ended before the marker
            time.sleep(delay)
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=60)
        finally:
            if process.poll() is None:
                process.kill()
            process.stdout.close()
            process.stderr.close()
        found = _check_complete(out, probes, {current: prints[current], target: prints[target]})
        outcomes.append((run, marker, round(delay, 3), process.returncode,
                         "kept" if found == current else "replaced"))
        current = found
        # whatever the kill left beside --out is a hidden staging folder, never inside it
        assert all(name.startswith(f".{out.name}.") for name in _stray(out)), _stray(out)
    # both outcomes happened: a kill as the staging folder appears keeps the old index,
    # a kill in the clean-up comes after the swap
    assert {outcome for *_, outcome in outcomes} == {"kept", "replaced"}, outcomes
    target = "new" if current == "old" else "old"
    done = subprocess.run([sys.executable, "-m", "recommender", "build",
                           str(fitted[target][0]), "--out", str(out)],
                          cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert _check_complete(out, probes, prints) == target


def test_a_reader_never_sees_an_error_or_a_mixture_while_the_index_is_rebuilt(versions,
                                                                            tmp_path):
    folder, fitted, probes, prints = versions
    out = tmp_path / "index"
    fitted["old"][1].save(out)
    stop = tmp_path / "stop"
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(out), json.dumps(probes), str(stop)],
        cwd=ROOT, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert reader.stdout.readline() == "READY\n", reader.stderr.read()
        time.sleep(0.3)
        for rebuild in range(5):
            fitted["new" if rebuild % 2 == 0 else "old"][1].save(out)
            time.sleep(0.45)
        stop.touch()
        lines, errors = reader.communicate(timeout=60)
    finally:
        if reader.poll() is None:
            reader.kill()
            reader.communicate()
    loads = lines.splitlines()
    assert len(loads) >= 10, (loads, errors)  # about four loads per version
    failed = [line for line in loads if not line.startswith("OK ")]
    assert not failed, f"{len(failed)} of {len(loads)} loads failed, e.g. {failed[:3]}"
    assert {line[3:] for line in loads} <= set(prints.values()), "a load mixed two versions"


def test_staging_folders_left_by_killed_builds_are_cleaned_up_by_the_next_save(versions,
                                                                              tmp_path):
    _, fitted, _, _ = versions
    out = tmp_path / "index"
    fitted["old"][1].save(out)
    stale = tmp_path / f".{out.name}.tmp-killed"
    stale.mkdir()
    (stale / "articles.json").write_bytes(b"[]")  # as a kill in the middle of a save leaves
    day_ago = time.time() - 86_400
    os.utime(stale / "articles.json", (day_ago, day_ago))
    os.utime(stale, (day_ago, day_ago))
    fitted["new"][1].save(out)
    assert _stray(out) == []
