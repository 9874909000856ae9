"""Client-side pacing: Graph units spent in any sliding window stay under a limit, so ticks run at
Graph's throttling floor without being throttled.

Every GET, direct or as a `$batch` item, costs one unit. Graph's own signals tighten the pace: a
Retry-After pauses all requests, and x-ms-throttle-limit-percentage above 90 % shrinks the limit.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable, Mapping

GRAPH_LARGE_TENANT_UNITS = 8000
WINDOW_SECONDS = 10.0
# Units count from when Graph handles a request, a round trip after we send it: keep them a little longer.
MARGIN_SECONDS = 0.25
_TIGHTEN_ABOVE = 0.9


class SlidingWindowPacer:
    def __init__(
        self,
        units_per_window: int = GRAPH_LARGE_TENANT_UNITS,
        *,
        window_seconds: float = WINDOW_SECONDS,
        margin_seconds: float = MARGIN_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit = units_per_window
        self._configured = units_per_window
        self._window = window_seconds + margin_seconds
        self._clock = clock
        self._spent: deque[tuple[float, int]] = deque()
        self._used = 0
        self._paused_until = 0.0
        self._lock = asyncio.Lock()
        self.waited = 0.0
        self.holding = asyncio.Event()  # set once a request had to wait: Graph takes no more for now

    async def acquire(self, units: int) -> None:
        """Waits until `units` more fit in the window, then counts them as spent now."""
        units = min(units, self.limit)
        async with self._lock:
            while (delay := self._delay(units)) > 0:
                self.holding.set()
                self.waited += delay
                await asyncio.sleep(delay)
            self._spent.append((self._clock(), units))
            self._used += units

    def observe(self, headers: Mapping[str, str]) -> None:
        """Learns from a response's headers (direct, or a batch item's)."""
        retry_after = _seconds(headers.get("Retry-After") or headers.get("retry-after"))
        if retry_after:
            self._paused_until = max(self._paused_until, self._clock() + retry_after)
        used = _seconds(headers.get("x-ms-throttle-limit-percentage"))
        if used is not None and used > _TIGHTEN_ABOVE:
            # Graph says the budget is nearly spent (other apps may share it): keep a tenth in reserve.
            # Once, not per answer: hundreds of answers in a window carry the same signal.
            self.limit = min(self.limit, max(1, int(self._configured * _TIGHTEN_ABOVE)))

    def _delay(self, units: int) -> float:
        now = self._clock()
        while self._spent and self._spent[0][0] <= now - self._window:
            self._used -= self._spent.popleft()[1]
        if now < self._paused_until:
            return self._paused_until - now
        if self._used + units <= self.limit:
            return 0.0
        freed, needed = 0, self._used + units - self.limit
        for spent_at, spent in self._spent:
            freed += spent
            if freed >= needed:
                return max(spent_at + self._window - now, 0.001)
        return self._window


def _seconds(value: str | None) -> float | None:
    try:
        return float(value) if value else None
    except ValueError:
        return None
