"""Progress of a long loop over a known number of items, for ``verbose=True`` callers.

On a terminal it redraws one bar in place; anywhere else (a log file, a pipe, CI) it
writes a plain line at each tenth, so a log holds no control characters.
"""

from __future__ import annotations

import sys
import threading
import time

__all__ = ["Progress"]

_WIDTH = 30


class Progress:
    """Count items done out of ``total``, reporting under ``label`` on ``stream``
    (standard output by default; standard error where standard output carries results).

    Safe to advance from several threads. Does nothing when ``enabled`` is false.

    Examples
    --------
    >>> from toonsklearn._utils.progress import Progress
    >>> with Progress("Checking images", 4, enabled=True, terminal=False) as progress:
    ...     for _ in range(4):
    ...         progress.advance()  # doctest: +ELLIPSIS
    Checking images: 1/4 (25%)...
    Checking images: 4/4 done in ...s
    """

    def __init__(self, label: str, total: int, *, enabled: bool = True,
                 terminal: bool | None = None, stream=None):
        self.label, self.total, self.enabled = label, int(total), bool(enabled) and total > 0
        self.stream = sys.stdout if stream is None else stream
        self.terminal = (getattr(self.stream, "isatty", lambda: False)() if terminal is None
                         else terminal)
        self.done, self._reported = 0, -1
        self._start = time.perf_counter()
        self._lock = threading.Lock()

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def advance(self, n: int = 1) -> None:
        """Count ``n`` more items done."""
        if not self.enabled:
            return
        with self._lock:
            self.done = min(self.done + n, self.total)
            if self.terminal:
                filled = _WIDTH * self.done // self.total
                bar = "#" * filled + "." * (_WIDTH - filled)
                self.stream.write(f"\r{self.label} [{bar}] {self.done}/{self.total}")
            else:
                tenth = 10 * self.done // self.total
                if tenth > self._reported and self.done < self.total:
                    self._reported = tenth
                    self.stream.write(f"{self.label}: {self.done}/{self.total} "
                                     f"({100 * self.done // self.total}%)\n")
            self.stream.flush()

    def close(self) -> None:
        """End the report with the time taken (once)."""
        if not self.enabled:
            return
        self.enabled = False
        seconds = time.perf_counter() - self._start
        start = "\r" if self.terminal else ""
        self.stream.write(f"{start}{self.label}: {self.done}/{self.total} done in "
                          f"{seconds:.1f}s{' ' * _WIDTH if self.terminal else ''}\n")
        self.stream.flush()
