"""The transactional outbox: events owed to each sink, committed with the snapshot. Pure. No I/O.

Each (event, sink) pair is settled on its own, so one sink failing never re-sends to another. A pair
that keeps failing backs off, and after a maximum age is dead-lettered: kept and counted, never dropped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from shared.events import Event

FIRST_BACKOFF = timedelta(minutes=1)
MAX_BACKOFF = timedelta(hours=1)
UNKNOWN_SINK = "this sink is no longer configured"


@dataclass(frozen=True)
class OutboxEntry:
    """One event still owed to one sink."""

    event: Event
    sink: str
    created_at: datetime
    baseline: bool = False
    attempts: int = 0
    next_attempt_at: datetime | None = None
    last_error: str | None = None
    dead_lettered: bool = False

    def is_due(self, now: datetime) -> bool:
        return not self.dead_lettered and (self.next_attempt_at is None or self.next_attempt_at <= now)


@dataclass(frozen=True)
class Settlement:
    """What a delivery round changes: entries to delete (delivered) and entries to rewrite (failed)."""

    delivered: tuple[OutboxEntry, ...] = ()
    retried: tuple[OutboxEntry, ...] = ()

    @property
    def dead_lettered(self) -> tuple[OutboxEntry, ...]:
        return tuple(entry for entry in self.retried if entry.dead_lettered)

    @staticmethod
    def combined(parts: Iterable[Settlement]) -> Settlement:
        parts = tuple(parts)
        return Settlement(sum((p.delivered for p in parts), ()), sum((p.retried for p in parts), ()))


def new_entries(
    events: Sequence[Event], sinks: Mapping[str, Callable[[Event], bool]], *, baseline: bool, now: datetime
) -> tuple[OutboxEntry, ...]:
    """One entry per event and sink that takes it (a Teams route may not)."""
    return tuple(
        OutboxEntry(event, sink, now, baseline) for event in events for sink, accepts in sinks.items() if accepts(event)
    )


def settle(
    due: Sequence[OutboxEntry], failed: Mapping[str, Mapping[str, str]], *, now: datetime, max_age: timedelta
) -> Settlement:
    """`failed[sink][event_id]` is the error of each pair that was not delivered."""
    delivered, retried = [], []
    for entry in due:
        error = failed.get(entry.sink, {}).get(entry.event.id)
        if error is None:
            delivered.append(entry)
        else:
            retried.append(after_failure(entry, error, now=now, max_age=max_age))
    return Settlement(tuple(delivered), tuple(retried))


def after_failure(entry: OutboxEntry, error: str, *, now: datetime, max_age: timedelta) -> OutboxEntry:
    attempts = entry.attempts + 1
    if now - entry.created_at >= max_age or error == UNKNOWN_SINK:
        return replace(entry, attempts=attempts, last_error=error, dead_lettered=True, next_attempt_at=None)
    return replace(entry, attempts=attempts, last_error=error, next_attempt_at=now + backoff(attempts))


def backoff(attempts: int) -> timedelta:
    """1, 2, 4 … minutes after each failure, at most an hour: ticks are minutes apart."""
    return min(FIRST_BACKOFF * 2 ** (attempts - 1), MAX_BACKOFF)
