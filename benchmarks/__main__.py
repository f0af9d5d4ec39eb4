"""``python -m benchmarks [--quick] [--sizes N ...] [--out DIR]``: the speed suite.

Runs, for each corpus size, one script per measured operation — ``bench_build``
(fit), ``bench_all_pairs`` (related_all), ``bench_related`` (related by id),
``bench_similar`` (free text), ``bench_storage`` (save and load) and ``bench_cli``
(cold ``recommender related``) — against the baselines a user would pick instead, in
the same process on the same generated corpus. Each script and size writes
``OUT/speed-<operation>-<n>-w<words>.json``; then ``OUT/REPORT.md`` and the charts are
written (``benchmarks.report``).

``--quick`` (CI) runs 1,000 and 10,000 essays of ~300 words and exits 1 on a wrong
result (an exact mode below recall 1.0, an approximate one below its floor, a failed
command) or a speed-up ratio under its gate at 10,000 articles (``benchmarks.gates``).
Without ``--quick``: 1,000, 10,000 and 100,000 essays of ~1,200 words; the issue's
targets are reported, wrong results still exit 1.
"""

from __future__ import annotations

import sys

from .runner import main

if __name__ == "__main__":
    sys.exit(main())
