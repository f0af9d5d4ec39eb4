"""Round 2: the library defaults *with* the editor controls on (author cap, duplicates).

Usage::

    python -m benchmarks.experiments.round2 --corpus news-pt-500 --grid core [--tag T]

One process per corpus: the articles are analysed once, then every weighting,
latent model and list-control setting is rebuilt from the per-field term counts
(checked equal to ``RelatedIndex.fit().matrix_`` for the default weighting) and
scored by a simulation of ``RelatedIndex._scores`` + ``selection.select`` (checked
against the real ``related_all`` on the first rows of the corpus at the defaults).
Each configuration is one line of ``log.jsonl`` (tag ``round2-*``).

Caches nothing in the repository; baselines come from ``/tmp/recexp`` (see common.py).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from recommender import RelatedIndex
from recommender.analysis import analyse_articles
from recommender.latent import fit_latent
from recommender.results import SCORE_DECIMALS
from recommender.weighting import count_matrix, tfidf_rows, weighted_tf

from .common import Judge, baselines, load, paired_interval

LOG = Path(__file__).with_name("log.jsonl")
K = 10
POOL = 300
DUP = 0.8  # the only duplicate threshold simulated


def unit_rows(dense):
    norms = np.linalg.norm(dense, axis=1, keepdims=True)
    return np.divide(dense, norms, out=np.zeros_like(dense), where=norms > 0)


class Lab:
    """Everything needed to rebuild and score one corpus under many configurations."""

    def __init__(self, corpus):
        self.corpus = corpus
        articles = list(corpus.articles)
        t = time.perf_counter()
        ref = RelatedIndex(latent_components=0).fit(articles)
        self.fit_s = time.perf_counter() - t
        self.ref = ref
        self.n = len(articles)
        self.idf = ref.idf_
        self.vocab = {term: i for i, term in enumerate(ref.vocabulary_)}
        analysed = analyse_articles(articles, ref._analyzer)
        self.counts = {name: count_matrix([f[name] for _, f in analysed], self.vocab)
                       for name in ("title", "blurb", "body", "tags", "author")}
        self.authors = ref._authors
        self.groups = ref._groups
        self.ranks = ref._ranks
        self._cache: dict = {}
        assert np.array_equal(self.groups, np.arange(self.n)), "translation groups present"
        default = self.matrix({})
        diff = abs(default - ref.matrix_).max() if default.nnz else 0
        assert diff == 0, f"rebuilt matrix differs from RelatedIndex.matrix_ by {diff}"
        self.judge = Judge(corpus)
        self.base = baselines(corpus, self.judge)
        self.best = max(self.base, key=lambda m: self.base[m]["p5"].mean())

    # -- weighting --------------------------------------------------------------------------
    def matrix(self, spec: dict) -> sp.csr_matrix:
        key = ("m", json.dumps(spec, sort_keys=True))
        if key in self._cache:
            return self._cache[key]
        weights = {"title": 1.0, "blurb": 1.0, "body": 1.0, "tags": 1.0, "author": 0.5}
        weights.update(spec.get("fw", {}))
        tf_mode = spec.get("tf", "log")
        if tf_mode == "log":
            tf = weighted_tf(self.counts, weights, sublinear=True)
        elif tf_mode == "raw":
            tf = weighted_tf(self.counts, weights, sublinear=False)
        elif tf_mode.startswith("bm25"):  # bm25:k1:b on the body, log tf on other fields
            _, k1, b = tf_mode.split(":")
            k1, b = float(k1), float(b)
            others = {f: c for f, c in self.counts.items() if f != "body"}
            tf = weighted_tf(others, weights, sublinear=True)
            body = sp.csr_matrix(self.counts["body"], dtype=np.float64, copy=True)
            dl = np.asarray(body.sum(axis=1)).ravel()
            avg = dl[dl > 0].mean()
            row_of = np.repeat(np.arange(body.shape[0]), np.diff(body.indptr))
            denom = body.data + k1 * (1 - b + b * dl[row_of] / avg)
            body.data = body.data * (k1 + 1) / denom
            tf = sp.csr_matrix(tf + body * weights["body"])
        else:
            raise ValueError(tf_mode)
        out = tfidf_rows(tf, self.idf)
        self._cache[key] = out
        return out

    # -- latent -----------------------------------------------------------------------------
    def latent(self, x: sp.csr_matrix, d: int, *, fit_on: str = "same", renorm: bool = True,
               xkey: str = ""):
        """Unit (or raw) latent rows of ``x``; the SVD is fitted on ``x`` or a variant."""
        key = ("z", xkey, d, fit_on, renorm)
        if key in self._cache:
            return self._cache[key]
        t = time.perf_counter()
        if fit_on == "same":
            components, _ = fit_latent(x, d, n_iter=5, random_state=0)
        elif fit_on == "mindf2":
            df = np.bincount(x.indices, minlength=x.shape[1])
            keep = df >= 2
            sub = x[:, np.flatnonzero(keep)]
            comp_sub, _ = fit_latent(sub, d, n_iter=5, random_state=0)
            components = np.zeros((comp_sub.shape[0], x.shape[1]), np.float32)
            components[:, keep] = comp_sub
        elif fit_on == "raw":  # SVD learned on the raw-tf matrix, applied to x
            components, _ = fit_latent(self.matrix({"tf": "raw"}), d, n_iter=5, random_state=0)
        else:
            raise ValueError(fit_on)
        z = np.asarray(x @ components.T, dtype=np.float32)
        if renorm:
            z = unit_rows(z)
        out = np.ascontiguousarray(z, dtype=np.float64)
        self._cache[key] = out
        self._cache[("t",) + key] = time.perf_counter() - t
        return out

    # -- scoring ----------------------------------------------------------------------------
    def candidates(self, x, latents, alpha, prf=None, block=500):
        """Top POOL candidates per row by the blended score (as the index ranks them), with
        their rounded scores and rounded tf-idf cosines to the query."""
        n = self.n
        xt = sp.csr_matrix(x.T)
        cand = np.full((n, POOL), -1, np.int64)
        cval = np.zeros((n, POOL))
        ccos = np.zeros((n, POOL))
        tie = (n - 1 - self.ranks)[None, :]
        dups: list[np.ndarray] = []
        for start in range(0, n, block):
            stop = min(start + block, n)
            rows = np.arange(stop - start)
            cos = np.asarray((x[start:stop] @ xt).toarray(), dtype=np.float32).astype(np.float64)
            near = np.round(np.clip(cos, 0, 1), SCORE_DECIMALS) >= DUP
            dups.extend(np.flatnonzero(r) for r in near)
            topical = np.zeros_like(cos)
            for z, share in latents:
                topical += share * (z[start:stop] @ z.T)
            if prf is not None:  # latent query expansion: z_q' = unit(z_q + beta mean top-m z)
                beta, m = prf
                first = np.clip((1 - alpha) * cos + alpha * topical, 0, 1)
                first[rows, rows + start] = -1
                top = np.argpartition(-first, m - 1, axis=1)[:, :m]
                topical = np.zeros_like(cos)
                for z, share in latents:
                    q = z[start:stop] + beta * z[top].mean(axis=1)
                    q = unit_rows(q)
                    topical += share * (q @ z.T)
            score = np.clip((1 - alpha) * cos + alpha * topical, 0.0, 1.0) if alpha else \
                np.clip(cos, 0, 1)
            rounded = np.round(score, SCORE_DECIMALS)
            keyv = np.round(rounded * 10**SCORE_DECIMALS).astype(np.int64) * n + tie
            keyv[rounded <= 0] = -1
            keyv[rows, rows + start] = -1
            part = np.argpartition(-keyv, POOL - 1, axis=1)[:, :POOL]
            pk = np.take_along_axis(keyv, part, axis=1)
            order = np.argsort(-pk, axis=1, kind="stable")
            best = np.take_along_axis(part, order, axis=1)
            bk = np.take_along_axis(pk, order, axis=1)
            best[bk < 0] = -1
            cand[start:stop] = best
            cval[start:stop] = np.take_along_axis(rounded, np.maximum(best, 0), axis=1)
            ccos[start:stop] = np.round(np.take_along_axis(cos, np.maximum(best, 0), axis=1),
                                        SCORE_DECIMALS)
        self._dups = dups
        return cand, cval, ccos

    def select(self, x, cand, ccos, cap, dup, k=K):
        out = np.full((self.n, k), -1, np.int64)
        short = 0
        for q in range(self.n):
            c = cand[q]
            ok = c >= 0
            if dup is not None:
                assert dup == DUP
                ok &= ccos[q] < dup
            c = c[ok]
            if cap is None and dup is None:
                chosen = c[:k]
            else:
                chosen = []
                per: dict[int, int] = {}
                blocked: set[int] = set()
                for row in c.tolist():
                    if len(chosen) >= k:
                        break
                    if dup is not None and row in blocked:
                        continue
                    a = int(self.authors[row])
                    if cap is not None and a >= 0:
                        if per.get(a, 0) >= cap:
                            continue
                        per[a] = per.get(a, 0) + 1
                    chosen.append(row)
                    if dup is not None:
                        blocked.update(self._dups[row].tolist())
                chosen = np.array(chosen, np.int64)
            if chosen.size < k and (cand[q] >= 0).sum() == POOL:
                short += 1
            out[q, :chosen.size] = chosen
        return out, short


def run_config(lab: Lab, label: str, spec: dict, controls, tag: str, log: bool = True):
    """spec: fw, tf, latent: list of (d, share), alpha, fit_on, renorm, prf."""
    t0 = time.perf_counter()
    xkey = json.dumps({k: spec.get(k) for k in ("fw", "tf")}, sort_keys=True)
    x = lab.matrix({k: spec[k] for k in ("fw", "tf") if k in spec})
    alpha = spec.get("alpha", 0.5)
    latents = []
    if alpha:
        for d, share in spec.get("latent", [(50, 1.0)]):
            z = lab.latent(x, d, fit_on=spec.get("fit_on", "same"),
                           renorm=spec.get("renorm", True), xkey=xkey)
            latents.append((z, share))
    cand, cval, ccos = lab.candidates(x, latents, alpha, prf=spec.get("prf"))
    score_s = time.perf_counter() - t0
    results = []
    for cap, dup in controls:
        nb, short = lab.select(x, cand, ccos, cap, dup)
        pq = lab.judge.per_query(nb)
        best = lab.base[lab.best]["p5"]
        diff = paired_interval(pq["p5"], best)
        line = {"when": dt.datetime.now().isoformat(timespec="seconds"), "tag": tag,
                "corpus": lab.corpus.name, "n": lab.n, "label": label, "spec": spec,
                "cap": cap, "dup": dup, "p5": round(float(pq["p5"].mean()), 4),
                "ndcg10": round(float(pq["ndcg10"].mean()), 4), "best_baseline": lab.best,
                "best_p5": round(float(best.mean()), 4),
                "diff_p5": [round(v, 4) for v in diff], "short_rows": short,
                "score_s": round(score_s, 1)}
        results.append(line)
        print(f"{lab.corpus.name[:12]:12} {label:38} cap={cap!s:4} dup={dup!s:4} "
              f"P@5 {line['p5']:.4f} nDCG {line['ndcg10']:.4f} Δ {diff[0]:+.4f} "
              f"[{diff[1]:+.4f},{diff[2]:+.4f}]" + (f" short={short}" if short else ""),
              flush=True)
        if log:
            with LOG.open("a") as fh:
                fh.write(json.dumps(line, default=str) + "\n")
    return results


CONTROLS = [(None, None), (2, 0.8), (3, 0.8), (4, 0.8)]
ON3 = [(None, None), (3, 0.8), (4, 0.8)]


def grid(name: str):
    T1 = {"fw": {"title": 1.0}}
    g = []
    if name == "check":
        g.append(("default", {}, [(2, 0.8)]))
    if name == "combo":
        two = [(35, 0.5), (100, 0.5)]
        g.append(("bm25+two-res35/100", {"tf": "bm25:1.2:0.75", "latent": two},
                  [(None, None), (4, 0.8)]))
        g.append(("bm25+two-res35/100+author1", {"tf": "bm25:1.2:0.75", "latent": two,
                                                  "fw": {"author": 1.0}}, [(4, 0.8)]))
        g.append(("two-res25/100 cap5", {"latent": [(25, 0.5), (100, 0.5)]}, [(5, 0.8)]))
    if name == "core":
        g.append(("default d50 a.5", {}, CONTROLS))
        for d in (25, 35, 75):
            g.append((f"d{d} a.5", {"latent": [(d, 1.0)]}, ON3))
        for a in (0.4, 0.6):
            g.append((f"d50 a{a}", {"alpha": a}, ON3))
        g.append(("two-res 25+100 a.5", {"latent": [(25, 0.5), (100, 0.5)]}, ON3))
        g.append(("two-res 35+100 a.5", {"latent": [(35, 0.5), (100, 0.5)]}, ON3))
        g.append(("svd on raw tf", {"fit_on": "raw"}, ON3))
        g.append(("svd on min_df2 cols", {"fit_on": "mindf2"}, ON3))
        g.append(("latent no renorm", {"renorm": False}, ON3))
        g.append(("latent prf b.5 m5", {"prf": (0.5, 5)}, ON3))
        g.append(("latent prf b1 m10", {"prf": (1.0, 10)}, ON3))
        g.append(("bm25 body 1.2/.75", {"tf": "bm25:1.2:0.75"}, ON3))
        g.append(("bm25 body 1.2/.5", {"tf": "bm25:1.2:0.5"}, ON3))
        g.append(("raw tf", {"tf": "raw"}, ON3))
        for t in (0.5, 1.5):
            g.append((f"title {t}", {"fw": {"title": t}}, ON3))
        for a in (0.0, 1.0):
            g.append((f"author {a}", {"fw": {"author": a}}, ON3))
    return g


def main(argv=None) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--corpus", required=True)  # name or name:size
    p.add_argument("--grid", default="core")
    p.add_argument("--tag", default="round2")
    p.add_argument("--spec", action="append", default=[],
                   help="extra LABEL=JSON spec, controls ON3")
    args = p.parse_args(argv)
    name, _, size = args.corpus.partition(":")
    corpus = load(name, int(size) if size else None)
    lab = Lab(corpus)
    print(f"{corpus.name}: {lab.n} docs, {len(lab.vocab)} terms, tf-idf fit {lab.fit_s:.1f}s; "
          f"best baseline {lab.best} {lab.base[lab.best]['p5'].mean():.4f}", flush=True)
    configs = grid(args.grid)
    for text in args.spec:
        label, _, js = text.partition("=")
        spec = json.loads(js)
        if "latent" in spec:
            spec["latent"] = [tuple(v) for v in spec["latent"]]
        if "prf" in spec:
            spec["prf"] = tuple(spec["prf"])
        controls = [tuple(c) for c in spec.pop("controls", ON3)]
        configs.append((label, spec, controls))
    for label, spec, controls in configs:
        run_config(lab, label, spec, controls, f"{args.tag}-{args.grid}")
    if args.grid == "check":  # the simulation against the real index at its defaults
        real = RelatedIndex().fit(list(corpus.articles))
        lists = real.related_all(k=K)
        x = lab.matrix({})
        z = lab.latent(x, 50, xkey=json.dumps({"fw": None, "tf": None}, sort_keys=True))
        cand, _, ccos = lab.candidates(x, [(z, 1.0)], 0.5)
        nb, _ = lab.select(x, cand, ccos, 2, 0.8)
        pos = {i: r for r, i in enumerate(corpus.ids)}
        mism = sum(1 for r, ident in enumerate(corpus.ids)
                   if [pos[it.id] for it in lists[ident]] != nb[r][nb[r] >= 0].tolist())
        print(f"check: {mism} of {lab.n} lists differ from RelatedIndex.related_all", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
