"""A one-line progress indicator on stderr, shown only on a terminal."""

import sys
import time


class Progress:
    """``with Progress("pre-training", total) as bar: bar.update(done)``.

    Silent unless stderr is a TTY (so logs and pipes stay clean) and ``enabled``;
    redraws at most ten times a second and only after the first two seconds.
    """

    def __init__(self, label, total, unit="samples", enabled=True, stream=None):
        self.stream = stream or sys.stderr
        self.enabled = enabled and self.stream.isatty()
        self.label, self.total, self.unit = label, total, unit
        self.start = self.last = time.perf_counter()
        self.drawn = False

    def update(self, done):
        if not self.enabled:
            return
        now = time.perf_counter()
        if now - self.start < 2.0 or now - self.last < 0.1:
            return
        self.last = now
        frac = done / self.total if self.total else 1.0
        eta = (now - self.start) * (1 - frac) / frac if frac > 0 else float("nan")
        self.stream.write(f"\r{self.label}: {100 * frac:5.1f}% of {self.total:,} {self.unit}, "
                          f"{now - self.start:5.1f}s elapsed, ~{eta:4.0f}s left ")
        self.stream.flush()
        self.drawn = True

    def __call__(self, done, total=None):
        self.update(done)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.drawn:
            self.stream.write("\r" + " " * 100 + "\r")
            self.stream.flush()
