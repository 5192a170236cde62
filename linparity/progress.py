"""The one progress display of every command: a tqdm bar on stderr, shown only on a terminal."""

import sys

from tqdm import tqdm


class Progress:
    """``with Progress("pre-training", total) as bar: bar(done)``.

    Silent unless the stream is a TTY (so logs and pipes stay clean) and ``enabled``;
    appears only after the first two seconds and redraws at most ten times a second.
    ``bar(done)`` takes the running count, which is what the training loops report.

    Parameters
    ----------
    label : str
    total : int
    unit : str
    enabled : bool
    stream : file, optional
        stderr by default.
    initial : int
        Work already done (a resumed sweep's runs).
    delay : float
        Seconds before the bar first appears.
    every : float
        Least seconds between redraws.
    scale : bool
        Counts with SI prefixes (``1.2M samples``); off for small counts such as runs.
    """

    def __init__(
        self, label, total, unit="samples", enabled=True, stream=None, initial=0, delay=2.0, every=0.1, scale=True
    ):
        self.stream = stream or sys.stderr
        self.enabled = enabled and self.stream.isatty()
        self._bar = tqdm(
            total=total,
            desc=label,
            unit=unit,
            file=self.stream,
            initial=initial,
            disable=not self.enabled,
            delay=delay,
            mininterval=every,
            leave=False,
            unit_scale=scale,
            dynamic_ncols=True,
        )
        self._done = initial

    def update(self, done):
        """Move the bar to ``done`` units."""
        if self.enabled:
            self._bar.update(done - self._done)
        self._done = done

    def __call__(self, done, total=None):
        self.update(done)

    def note(self, text):
        """Text beside the bar (counts that are not the bar's own)."""
        if self.enabled:
            self._bar.set_postfix_str(text, refresh=True)

    def write(self, line):
        """Print one line above the bar (or plainly, when there is no bar)."""
        if self.enabled:
            self._bar.write(line, file=self.stream)
        else:
            self.stream.write(line + "\n")
            self.stream.flush()

    def close(self):
        self._bar.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
