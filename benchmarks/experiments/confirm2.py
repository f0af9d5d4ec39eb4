"""Round 2 confirmation: the real harness (``run_evaluation``), baselines in the same run,
the index's list controls ON (library defaults except what each finalist names).

Usage::

    python -m benchmarks.experiments.confirm2 [--corpus NAME ...] [--out DIR]

A finalist whose settings hold ``"_multires": [[25, 0.5], [100, 0.5]]`` runs as
:class:`benchmarks.experiments.multires.MultiResIndex` (this process only).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import recommender.evaluate as evaluate
from benchmarks.relevance import CORPORA, corpora_dir, load_corpus, machine
from recommender import RelatedIndex
from recommender.evaluate import BASELINES, run_evaluation, to_markdown

from .multires import MultiResIndex

TWO = [[25, 0.5], [100, 0.5]]
FINALISTS = {
    "ours (cap 2)": {},
    "cap3": {"max_per_author": 3},
    "cap4": {"max_per_author": 4},
    "multires cap4": {"max_per_author": 4, "_multires": TWO},
    "multires t1.5 cap4": {"max_per_author": 4, "_multires": TWO,
                           "field_weights": {"title": 1.5}},
}


def factory(**settings):
    resolutions = settings.pop("_multires", None)
    if resolutions:
        return MultiResIndex(resolutions=tuple(map(tuple, resolutions)), **settings)
    return RelatedIndex(**settings)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--corpus", action="append", choices=CORPORA)
    parser.add_argument("--out", type=Path, default=Path("/tmp/r2/confirm"))
    parser.add_argument("--only", action="append")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    evaluate._related_index_class = lambda: factory  # this process only
    finalists = {k: v for k, v in FINALISTS.items() if not args.only or k in args.only}
    results = []
    for name in args.corpus or CORPORA:
        corpus, info = load_corpus(name, corpora_dir())
        result = run_evaluation(corpus, methods={**BASELINES, **finalists},
                                progress=lambda line: print(line, file=sys.stderr, flush=True))
        result["run"] = {**info, "machine": machine()}
        (args.out / f"confirm2-{name}.json").write_text(json.dumps(result, indent=1) + "\n")
        results.append(result)
        print(to_markdown(result), flush=True)
    (args.out / "confirm2.md").write_text(to_markdown(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
