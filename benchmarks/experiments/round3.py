"""Round 3: saturating body tf (BM25-style), latent spaces, author weight, and what the
author cap should count — screened on the full harness sets with the list controls on.

Usage::

    python -m benchmarks.experiments.round3 --corpus reuters21578-en --grid tf [--tag T]

Reuses ``round2.Lab`` (articles analysed once; every weighting rebuilt from the per-field
term counts and checked against ``RelatedIndex.matrix_``; ``_scores`` + ``selection.select``
simulated). Adds tf schemes:

- ``bm25:k1:b``     body tf ``tf·(k1+1)/(tf + k1·(1−b+b·dl/avgdl))``, other fields ``1+log tf``
- ``bm25all:k1:b``  the same on every field (dl, avgdl per field)
- ``<tf>|idf:p``   (after any tf) idf raised to the power p

and author-key variants for the cap (``desk``: bylines on more than a share of the corpus
are not capped). One line of ``log.jsonl`` per configuration (tag ``round3-*``).
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import numpy as np
import scipy.sparse as sp

from recommender.weighting import tfidf_rows, weighted_tf

from . import round2
from .common import load
from .round2 import Lab, run_config


def saturate(counts: sp.csr_matrix, k1: float, b: float) -> sp.csr_matrix:
    out = sp.csr_matrix(counts, dtype=np.float64, copy=True)
    dl = np.asarray(out.sum(axis=1)).ravel()
    avg = dl[dl > 0].mean() if np.any(dl > 0) else 1.0
    row_of = np.repeat(np.arange(out.shape[0]), np.diff(out.indptr))
    out.data = out.data * (k1 + 1) / (out.data + k1 * (1 - b + b * dl[row_of] / avg))
    return out


class Lab3(Lab):
    def matrix(self, spec: dict) -> sp.csr_matrix:
        key = ("m", json.dumps(spec, sort_keys=True))
        if key in self._cache:
            return self._cache[key]
        tf_mode, _, idf_part = spec.get("tf", "log").partition("|idf:")
        if (tf_mode in ("log", "raw") or tf_mode.startswith("bm25:")) and not idf_part:
            return super().matrix(spec)
        weights = {"title": 1.0, "blurb": 1.0, "body": 1.0, "tags": 1.0, "author": 0.5}
        weights.update(spec.get("fw", {}))
        if tf_mode.startswith("bm25"):
            kind, k1, b = tf_mode.split(":")
            k1, b = float(k1), float(b)
            tf = sp.csr_matrix((self.n, len(self.vocab)), dtype=np.float64)
            for f, counts in self.counts.items():
                if weights.get(f, 0) <= 0:
                    continue
                if kind == "bm25all" or f == "body":
                    tf = tf + saturate(counts, k1, b) * weights[f]
                else:
                    tf = tf + weighted_tf({f: counts}, weights, sublinear=True)
            tf = sp.csr_matrix(tf)
        else:
            tf = weighted_tf(self.counts, weights, sublinear=tf_mode == "log")
        idf = self.idf ** float(idf_part) if idf_part else self.idf
        out = tfidf_rows(tf, idf)
        self._cache[key] = out
        return out


def desk_authors(lab: Lab, share: float) -> np.ndarray:
    """Author keys with bylines on more than ``share`` of the corpus set to -1 (not capped)."""
    keys = lab.authors.copy()
    counts = np.bincount(keys[keys >= 0])
    big = np.flatnonzero(counts > share * lab.n)
    keys[np.isin(keys, big)] = -1
    return keys


TWO25, TWO35 = [(25, 0.5), (100, 0.5)], [(35, 0.5), (100, 0.5)]
CAPS = [(None, None), (3, 0.8), (4, 0.8)]


def grid(name: str):
    g = []
    if name == "tf":
        g.append(("defaults (log, 25/100, au.5)", {"latent": TWO25}, CAPS))
        g.append(("bm25 1.2/.75 35/100 au1", {"tf": "bm25:1.2:0.75", "latent": TWO35,
                                              "fw": {"author": 1.0}}, CAPS))
        g.append(("bm25 1.2/0 35/100 au1", {"tf": "bm25:1.2:0.0", "latent": TWO35,
                                            "fw": {"author": 1.0}}, CAPS))
        g.append(("bm25 1.2/.75 25/100 au.5", {"tf": "bm25:1.2:0.75", "latent": TWO25}, CAPS))
        g.append(("bm25 1.2/0 25/100 au.5", {"tf": "bm25:1.2:0.0", "latent": TWO25}, CAPS))
        g.append(("log 35/100 au1", {"latent": TWO35, "fw": {"author": 1.0}}, CAPS))
        g.append(("log 25/100 au1", {"latent": TWO25, "fw": {"author": 1.0}}, CAPS))
    if name == "cand":
        g.append(("defaults (log, 25/100, au.5)", {"latent": TWO25}, CAPS))
        g.append(("bm25 1.2/0 25/100 au.5", {"tf": "bm25:1.2:0.0", "latent": TWO25}, CAPS))
        g.append(("bm25 1.2/0 35/100 au1", {"tf": "bm25:1.2:0.0", "latent": TWO35,
                                            "fw": {"author": 1.0}}, CAPS))
        g.append(("bm25 1.2/0 25/100 au1", {"tf": "bm25:1.2:0.0", "latent": TWO25,
                                            "fw": {"author": 1.0}}, CAPS))
    if name == "k1":
        base = {"tf": "bm25:1.2:0.0", "latent": TWO25}
        for k1 in (0.8, 2.0):
            g.append((f"bm25 {k1}/0 25/100", {**base, "tf": f"bm25:{k1}:0.0"}, CAPS))
    if name == "more":
        base = {"tf": "bm25:1.2:0.0", "latent": TWO25}
        g.append(("bm25all 1.2/0 25/100", {**base, "tf": "bm25all:1.2:0.0"}, CAPS))
        g.append(("bm25/0 25/100 idf^.5", {**base, "tf": "bm25:1.2:0.0|idf:0.5"}, CAPS))
        g.append(("bm25/0 25/100 title1.5", {**base, "fw": {"title": 1.5}}, CAPS))
        g.append(("bm25/0 25/50/100", {**base, "latent": [(25, 1 / 3), (50, 1 / 3),
                                                          (100, 1 / 3)]}, CAPS))
        g.append(("bm25/0 25/100 a.6", {**base, "alpha": 0.6}, CAPS))
        g.append(("bm25/0 35/100", {**base, "latent": TWO35}, CAPS))
    return g


def main(argv=None) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--corpus", required=True)  # name or name:size
    p.add_argument("--grid", default="tf")
    p.add_argument("--tag", default="round3")
    p.add_argument("--desk", type=float, action="append", default=[],
                   help="also run the grid with bylines above this corpus share uncapped")
    p.add_argument("--spec", action="append", default=[], help="extra LABEL=JSON spec")
    p.add_argument("--dup", type=float, default=0.8,
                   help="duplicate threshold simulated (on the tf-idf cosine) instead of 0.8")
    args = p.parse_args(argv)
    if args.dup != 0.8:
        round2.DUP = args.dup
        global CAPS
        CAPS = [(None, None), (3, args.dup), (4, args.dup)]
    name, _, size = args.corpus.partition(":")
    corpus = load(name, int(size) if size else None)
    t = time.perf_counter()
    lab = Lab3(corpus)
    print(f"{corpus.name}: {lab.n} docs, {len(lab.vocab)} terms, setup {time.perf_counter() - t:.1f}s; "
          f"best baseline {lab.best} {lab.base[lab.best]['p5'].mean():.4f}", flush=True)
    configs = grid(args.grid) if args.grid != "none" else []
    for text in args.spec:
        label, _, js = text.partition("=")
        spec = json.loads(js)
        if "latent" in spec:
            spec["latent"] = [tuple(v) for v in spec["latent"]]
        controls = [tuple(c) for c in spec.pop("controls", CAPS)]
        configs.append((label, spec, controls))
    for label, spec, controls in configs:
        run_config(lab, label, spec, controls, f"{args.tag}-{args.grid}")
    real = lab.authors
    for share in args.desk:
        lab.authors = desk_authors(lab, share)
        for label, spec, controls in configs:
            run_config(lab, f"{label} desk>{share}", spec,
                       [c for c in controls if c[0] is not None], f"{args.tag}-desk")
        lab.authors = real
    return 0


if __name__ == "__main__":
    sys.exit(main())
