"""Screen analysis settings and scoring mechanisms against the baselines.

Usage::

    python -m benchmarks.experiments.screen --corpus news-pt-500 --corpus bbc-news \
        --corpus reuters21578-en:2000 --grid analysis

Every configuration's P@5 and nDCG@10 (and its paired difference from the best
baseline, with a bootstrap interval) is appended to ``log.jsonl`` beside this file.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from pathlib import Path

from . import grids
from .common import (
    Judge,
    all_neighbours,
    baselines,
    check_ranking,
    fitted,
    load,
    paired_interval,
    ranks,
)
from .mechanisms import (
    blend,
    blend_prf,
    cosine,
    expanded,
    idf_power_weights,
    lsa,
    prob_idf_weights,
    reweight_columns,
)

LOG = Path(__file__).with_name("log.jsonl")


def build(matrix, mech: dict, cache: dict):
    """score_rows for a mechanism spec on a fitted matrix; cache holds SVDs by key."""
    idf = mech.get("idf")
    if idf:
        key = ("idf", idf)
        if key not in cache:
            weights = prob_idf_weights(matrix) if idf == "prob" else idf_power_weights(matrix, idf)
            cache[key] = reweight_columns(matrix, weights)
        matrix = cache[key]
    alpha = mech.get("alpha", 0.0)
    latent = None
    if alpha > 0:
        key = ("svd", idf, mech.get("d", 200), mech.get("n_iter", 5), mech.get("p", 1.0))
        if key not in cache:
            t = time.perf_counter()
            cache[key] = lsa(matrix, mech.get("d", 200), mech.get("n_iter", 5),
                             sigma_power=mech.get("p", 1.0))[0]
            cache[("time",) + key] = time.perf_counter() - t
        latent = cache[key]
    if mech.get("beta") and mech.get("space") == "expand":
        return expanded(matrix, latent, alpha, mech["beta"], mech.get("m", 5))
    if mech.get("beta"):
        return blend_prf(matrix, latent, alpha, mech["beta"], mech.get("m", 5),
                         mech.get("space", "stacked"))
    if latent is None:
        return cosine(matrix)
    return blend(matrix, latent, alpha)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--corpus", action="append", required=True,
                        help="name or name:size")
    parser.add_argument("--grid", required=True, help="a grid name in grids.py")
    parser.add_argument("--tag", default="")
    args = parser.parse_args(argv)
    configs = getattr(grids, args.grid)()
    for spec in args.corpus:
        name, _, size = spec.partition(":")
        corpus = load(name, int(size) if size else None)
        judge = Judge(corpus)
        rank = ranks(corpus)
        base = baselines(corpus, judge)
        best_name = max(base, key=lambda b: base[b]["p5"].mean())
        best = base[best_name]
        print(f"== {corpus.name} n={len(corpus)} baselines: "
              + ", ".join(f"{b} {v['p5'].mean():.3f}/{v['ndcg10'].mean():.3f}"
                          for b, v in base.items()), flush=True)
        checked = False
        by_settings: dict[str, dict] = {}
        for label, settings, mech in configs:
            skey = json.dumps(settings, sort_keys=True)
            matrix, fit_s = fitted(corpus, settings)
            cache = by_settings.setdefault(skey, {})
            started = time.perf_counter()
            score_rows = build(matrix, mech, cache)
            if not checked:
                check_ranking(score_rows(0, min(200, matrix.shape[0])), rank)
                checked = True
            nb = all_neighbours(score_rows, matrix.shape[0], rank)
            elapsed = time.perf_counter() - started
            q = judge.per_query(nb)
            diff = paired_interval(q["p5"], best["p5"])
            row = {"when": dt.datetime.now().isoformat(timespec="seconds"), "tag": args.tag,
                   "corpus": corpus.name, "n": len(corpus), "label": label,
                   "settings": settings, "mechanism": mech,
                   "p5": round(float(q["p5"].mean()), 4),
                   "ndcg10": round(float(q["ndcg10"].mean()), 4),
                   "best_baseline": best_name,
                   "best_p5": round(float(best["p5"].mean()), 4),
                   "diff_p5": [round(v, 4) for v in diff],
                   "fit_s": round(fit_s, 2), "score_s": round(elapsed, 2)}
            with LOG.open("a") as f:
                f.write(json.dumps(row) + "\n")
            print(f"{corpus.name[:10]:10s} {label:40s} P@5 {row['p5']:.3f} nDCG {row['ndcg10']:.3f}"
                  f"  vs {best_name} {diff[0]:+.3f} [{diff[1]:+.3f}, {diff[2]:+.3f}]"
                  f"  ({elapsed:.1f}s)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
