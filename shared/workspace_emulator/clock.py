"""The emulator's own clock: monotonic time plus an offset the control API moves forward.

Consistency windows and quota buckets read it, so a test can step past a window instead of sleeping
through it (and racing it on a loaded machine). Time only moves forward, so a window never reopens.
"""

from __future__ import annotations

import threading
import time


class Clock:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._offset = 0.0

    def now(self) -> float:
        """Seconds on the monotonic scale, shifted by every advance so far."""
        with self._lock:
            return time.monotonic() + self._offset

    @property
    def offset(self) -> float:
        with self._lock:
            return self._offset

    def advance(self, seconds: float) -> float:
        """Jump forward; a negative or infinite step is refused: time running back would reopen windows."""
        if not seconds >= 0 or seconds == float("inf"):
            raise ValueError(f"advanceSeconds must be a finite number >= 0, not {seconds!r}")
        with self._lock:
            self._offset += seconds
            return self._offset
