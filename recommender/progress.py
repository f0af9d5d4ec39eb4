"""A minimal progress bar for long builds, drawn on stderr only when it is a terminal."""

from __future__ import annotations

import sys
import time
from typing import TextIO

__all__ = ["Progress"]


class Progress:
    """Counts work done out of ``total`` (None: not known in advance, as for a stream)
    and redraws one line at most ten times a second."""

    def __init__(self, total: int | None, label: str, stream: TextIO | None = None,
                 enabled: bool | None = None):
        self.total = None if total is None else max(total, 1)
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self.done = 0
        self._drawn = 0.0

    def advance(self, count: int = 1) -> None:
        self.done += count
        now = time.monotonic()
        finished = self.total is not None and self.done >= self.total
        if self.enabled and (now - self._drawn > 0.1 or finished):
            self._drawn = now
            if self.total is None:
                self.stream.write(f"\r{self.label} {self.done:,} articles")
            else:
                bar = "#" * int(min(self.done / self.total, 1.0) * 30)
                self.stream.write(f"\r{self.label} [{bar:<30}] {self.done}/{self.total}")
            self.stream.flush()

    def close(self) -> None:
        if self.enabled:
            self.stream.write("\r\033[K")
            self.stream.flush()
