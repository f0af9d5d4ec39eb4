"""Update benchmark: adding one article to a built index against a full build of it.

Usage::

    python -m benchmarks.update               # 20,000 generated essays
    python -m benchmarks.update --quick       # 3,000, for CI

A full build is fit + kept lists + save; an update is load + update + save, the
way ``recommender update`` runs. Both are timed in the same process on the same
corpus; the JSON written to ``benchmarks/results/update-<n>.json`` has the
medians and their ratio. Exit status 1 when the update takes more than a fifth
of a full build (the target of the site-build issue).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from recommender import Article, RelatedIndex

from .relevance import DEFAULT_OUT, machine
from .synthetic import generate

TARGET_RATIO = 0.2


def _articles(n: int, *, seed: int, mean_words: int) -> list[Article]:
    fields = ("id", "title", "body", "author", "date", "blurb", "tags", "lang", "url")
    return [Article(**{k: r[k] for k in fields}) for r in generate(n, seed=seed,
                                                                    mean_words=mean_words)]


def _median_seconds(work, repeats: int) -> list[float]:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.update", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="3,000 articles (CI)")
    parser.add_argument("-n", type=int, default=None, help="articles in the index")
    parser.add_argument("--mean-words", type=int, default=1200)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    n = args.n or (3000 if args.quick else 20000)
    corpus = _articles(n + 1, seed=0, mean_words=args.mean_words)
    base, newcomer = corpus[:n], corpus[n]
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch) / "index"

        def full_build() -> None:
            RelatedIndex().fit(base).precompute(10).save(folder)

        def one_update() -> None:
            index = RelatedIndex.load(folder)
            index.update([newcomer])
            index.save(folder)

        build_times = _median_seconds(full_build, args.repeats)
        update_times = []
        for _ in range(args.repeats):
            full_build()  # every update starts from the same index
            update_times += _median_seconds(one_update, 1)
    build, update = statistics.median(build_times), statistics.median(update_times)
    result = {
        "benchmark": "update", "articles": n, "mean_words": args.mean_words,
        "repeats": args.repeats, "full_build_s": build_times, "update_s": update_times,
        "median_full_build_s": build, "median_update_s": update,
        "ratio": update / build, "target_ratio": TARGET_RATIO, "machine": machine(),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"update-{n}.json").write_text(json.dumps(result, indent=2) + "\n")
    print(f"{n:,} articles: full build {build:.2f} s, one-article update {update:.2f} s, "
          f"ratio {update / build:.3f} (target <= {TARGET_RATIO})")
    return 0 if update / build <= TARGET_RATIO else 1


if __name__ == "__main__":
    sys.exit(main())
