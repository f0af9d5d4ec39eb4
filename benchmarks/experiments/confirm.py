"""Confirm the finalists on the full corpora with the real harness, baselines in the same run.

Usage::

    python -m benchmarks.experiments.confirm [--corpus NAME ...] [--out DIR]

Runs :func:`recommender.evaluate.run_evaluation` with the four baselines and several
settings of :class:`BlendedIndex` (``_related_index_class`` is pointed at it for this
process only), writes one JSON per corpus and a Markdown table into ``--out``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import recommender.evaluate as evaluate
from benchmarks.relevance import CORPORA, corpora_dir, load_corpus, machine
from recommender.evaluate import BASELINES, run_evaluation, to_markdown

from .blended import BlendedIndex

T1 = {"field_weights": {"title": 1.0}}
LATENT = {"latent_components": 50, "latent_weight": 0.5}

FINALISTS = {
    "ours": {},
    "ours-title1": T1,
    "ours-latent": LATENT,
    "winner": {**T1, **LATENT},
    "winner+min_df2": {**T1, **LATENT, "min_df": 2},
}

#: The index's list controls that change what a label-based metric sees: at most two
#: articles per author, and neighbours scoring >= 0.8 dropped as duplicates. Off here,
#: to measure ranking alone (as the screening did).
PLAIN = {"max_per_author": None, "duplicate_threshold": None}
FINALISTS_PLAIN = {
    "ours-plain": PLAIN,
    "ours-title1-plain": {**T1, **PLAIN},
    "ours-latent-plain": {**LATENT, **PLAIN},
    "winner-plain": {**T1, **LATENT, **PLAIN},
    "winner-nodup": {**T1, **LATENT, "duplicate_threshold": None},
}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--corpus", action="append", choices=CORPORA)
    parser.add_argument("--out", type=Path, default=Path("/tmp/recexp/confirm"))
    parser.add_argument("--only", action="append", help="finalists to run (default all)")
    parser.add_argument("--plain", action="store_true",
                        help="run FINALISTS_PLAIN (list controls off) instead of FINALISTS")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    evaluate._related_index_class = lambda: BlendedIndex  # this process only
    pool = FINALISTS_PLAIN if args.plain else FINALISTS
    finalists = {k: v for k, v in pool.items() if not args.only or k in args.only}
    results = []
    for name in args.corpus or CORPORA:
        corpus, info = load_corpus(name, corpora_dir())
        result = run_evaluation(corpus, methods={**BASELINES, **finalists},
                                progress=lambda line: print(line, file=sys.stderr, flush=True))
        result["run"] = {**info, "machine": machine()}
        (args.out / f"confirm-{name}.json").write_text(json.dumps(result, indent=1) + "\n")
        results.append(result)
        print(to_markdown(result), flush=True)
    (args.out / "confirm.md").write_text(to_markdown(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
