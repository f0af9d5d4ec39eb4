"""Builds on a Dask cluster (worker processes on loopback) save the bytes of a local
build; a killed worker, an unreachable scheduler and bad settings never leave a
half-written index."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import sys

import pytest
from distributed import Client, LocalCluster, get_task_stream

from benchmarks import synthetic
from recommender import (
    ClusterError,
    ConfigError,
    IndexFormatError,
    RelatedIndex,
    analysis,
    load_articles,
    parallel,
)
from recommender import index as index_module
from recommender.lookup import related

from .conftest import FIXTURES, write_manifest
from .test_cli import run

ARTICLES = 1200  # three analysis chunks of 500
K = 10  # the list length a command-line build keeps


@pytest.fixture(scope="module")
def cluster():
    # Any free port for the scheduler's web server: even without a dashboard it takes
    # 8787, and warns (an error here) when another cluster on the machine has it.
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address="127.0.0.1:0", host="127.0.0.1") as local:
        yield local


@pytest.fixture(scope="module", autouse=True)
def _several_blocks():
    with pytest.MonkeyPatch.context() as patch:  # eight blocks of lists, not one
        patch.setattr(index_module, "_BLOCK_CELLS", ARTICLES * 150)
        yield


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    path = tmp_path_factory.mktemp("dask") / "corpus.jsonl"
    synthetic.write_jsonl(synthetic.generate(ARTICLES, seed=4, mean_words=30, n_topics=8,
                                             n_authors=20), path)
    return path


@pytest.fixture(scope="module")
def local_build(corpus, tmp_path_factory):
    """The index folder of a build in this process alone."""
    folder = tmp_path_factory.mktemp("local") / "index"
    RelatedIndex().fit(load_articles(corpus)).precompute(K).save(folder)
    return folder


def files(folder):
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


def test_a_build_on_the_cluster_saves_the_bytes_of_a_local_build(cluster, corpus, local_build,
                                                                  tmp_path):
    with Client(cluster.scheduler_address) as client, get_task_stream(client) as tasks:
        index = RelatedIndex(backend="dask")  # no scheduler: the client of this process
        index.fit(load_articles(corpus)).precompute(K).save(tmp_path / "index")
        early = index.iter_related(4, use_stored=False)  # stopping early cancels quietly
        next(early)
        early.close()
    ran = {task["key"].split("-")[0] for task in tasks.data}
    assert {"_in_worker", "_lists_task"} <= ran  # analysis and lists ran on the cluster
    assert files(tmp_path / "index") == files(local_build)
    assert index.related_all(k=K) == RelatedIndex.load(local_build).related_all(k=K)


def test_the_command_line_builds_on_the_cluster(cluster, corpus, tmp_path):
    assert run("build", corpus, "--out", tmp_path / "local")[0] == 0  # -1: every core
    code, out, err = run("build", corpus, "--out", tmp_path / "dask", "--backend", "dask",
                         "--scheduler", cluster.scheduler_address)
    assert code == 0 and out == "" and err.startswith(f"indexed {ARTICLES:,} articles"), err
    assert files(tmp_path / "dask") == files(tmp_path / "local")
    settings = json.loads((tmp_path / "dask" / "manifest.json").read_text())["settings"]
    assert settings["n_jobs"] == -1 and not {"backend", "scheduler"} & set(settings)
    assert RelatedIndex.load(tmp_path / "dask").get_settings()["backend"] == "loky"


def test_joblibs_dask_backend_around_a_local_build_gives_the_same_bytes(cluster, corpus,
                                                                        local_build, tmp_path):
    from joblib import parallel_config

    with Client(cluster.scheduler_address) as client, get_task_stream(client) as tasks, \
            parallel_config(backend="dask"):
        index = RelatedIndex(n_jobs=-1).fit(load_articles(corpus)).precompute(K)
        index.save(tmp_path / "index")
    assert tasks.data  # joblib sent the work to the cluster
    built, local = files(tmp_path / "index"), files(local_build)
    assert built.keys() == local.keys()
    assert {name: data for name, data in built.items() if name != "manifest.json"} == \
        {name: data for name, data in local.items() if name != "manifest.json"}
    assert index.related_all(k=K) == RelatedIndex.load(local_build).related_all(k=K)


def test_an_unreachable_scheduler_fails_at_once_and_leaves_the_index(tmp_path, monkeypatch):
    monkeypatch.setattr(parallel, "CONNECT_TIMEOUT", 1)
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        address = f"tcp://127.0.0.1:{probe.getsockname()[1]}"
    out = tmp_path / "index"
    shutil.copytree(FIXTURES / "index", out)
    before = files(out)
    code, _, err = run("build", FIXTURES / "articles.jsonl", "--out", out,
                       "--backend", "dask", "--scheduler", address)
    assert code == 1 and err.count("\n") == 1
    assert err.startswith(f"recommender: error: cannot reach the Dask scheduler at {address}: ")
    assert files(out) == before and [p.name for p in tmp_path.iterdir()] == ["index"]


@pytest.mark.parametrize(("settings", "message"), [
    ({"backend": "spark"}, "backend must be one of 'loky', 'dask', got 'spark'"),
    ({"scheduler": "tcp://10.0.0.5:8786"}, "scheduler is only used with backend 'dask'"),
    ({"backend": "dask", "n_jobs": 2}, "n_jobs must be -1 or null with backend 'dask'"),
    ({"backend": "dask", "scheduler": "10.0.0.5"}, "missing port number"),
    ({"backend": "dask", "scheduler": ""}, "scheduler must be a Dask scheduler address"),
])
def test_bad_backend_settings_are_config_errors(settings, message):
    with pytest.raises(ConfigError, match=message):
        RelatedIndex(**settings)


def test_the_dask_backend_without_distributed_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(ConfigError, match=r"pip install 'recommender\[dask\]'"):
        RelatedIndex(backend="dask")


def test_without_a_scheduler_or_a_client_the_build_says_which_is_missing(fixture_articles,
                                                                        tmp_path):
    with pytest.raises(ClusterError, match="needs a running distributed.Client"):
        RelatedIndex(backend="dask").fit(fixture_articles)
    code, _, err = run("build", FIXTURES / "articles.jsonl", "--out", tmp_path / "index",
                       "--backend", "dask")
    assert code == 1 and "--scheduler" in err and not any(tmp_path.iterdir())


def test_a_saved_index_naming_a_cluster_is_refused(tmp_path):
    out = tmp_path / "index"
    shutil.copytree(FIXTURES / "index", out)
    manifest = json.loads((out / "manifest.json").read_text())
    manifest["settings"].update(backend="dask", scheduler="tcp://10.0.0.5:8786")
    write_manifest(out, manifest)
    for load in (RelatedIndex.load, lambda folder: related(folder, "x", 1)):
        with pytest.raises(IndexFormatError, match="backend, scheduler: not a setting"):
            load(out)


def _kill_own_worker(*_):
    from distributed import get_worker

    get_worker()  # raises outside a worker: the test process is never killed
    os.kill(os.getpid(), signal.SIGKILL)


def test_a_build_the_cluster_gives_up_on_fails_and_leaves_the_index(cluster, monkeypatch,
                                                                    tmp_path):
    monkeypatch.setattr(cluster.scheduler, "allowed_failures", 0)  # no second try
    monkeypatch.setattr(analysis, "_in_worker", _kill_own_worker)  # each task kills its worker
    out = tmp_path / "index"
    shutil.copytree(FIXTURES / "index", out)
    before = files(out)
    code, _, err = run("build", FIXTURES / "articles.jsonl", "--out", out,
                       "--backend", "dask", "--scheduler", cluster.scheduler_address)
    assert code == 1 and err.count("\n") == 1
    assert err.startswith(f"recommender: error: the Dask cluster at {cluster.scheduler_address} "
                          "failed: KilledWorker: "), err
    assert files(out) == before and [p.name for p in tmp_path.iterdir()] == ["index"]


def test_a_worker_killed_mid_build_is_replaced_and_the_bytes_are_the_same(
        cluster, corpus, local_build, tmp_path):
    out = tmp_path / "index"
    shutil.copytree(FIXTURES / "index", out)  # an earlier build: kept unless all goes well
    with Client(cluster.scheduler_address, set_as_default=False) as client:
        client.wait_for_workers(2, timeout=30)
        victim = sorted(client.run(os.getpid).values())[0]
        killed = []

        def kill_once(count):  # after the first chunk, while the others are analysed
            if not killed:
                os.kill(victim, signal.SIGKILL)
                killed.append(victim)

        index = RelatedIndex(backend="dask", scheduler=cluster.scheduler_address)
        index.fit(load_articles(corpus), progress=kill_once).precompute(K).save(out)
        assert killed and victim not in client.run(os.getpid).values()
        client.wait_for_workers(2, timeout=30)  # the nanny started a new one
    assert files(out) == files(local_build)
