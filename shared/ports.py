"""The roles a tick depends on. Adapters implement them; tests may substitute fakes of the same shape."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from shared.events import Event
from shared.model import Observation
from shared.outbox import Settlement
from shared.snapshot_plan import CommitPlan, StoredState


class JobSource(Protocol):
    async def read(self, now: datetime, *, sent: asyncio.Event | None = None) -> Observation:
        """`sent` is set once Graph has every read it can take for now (at the latest when the read ends)."""
        ...

    def stats(self) -> dict[str, int]:
        """Counts of what reading cost so far (requests, 429s, retries), for telemetry."""
        ...


class SnapshotStore(Protocol):
    async def load(self) -> StoredState: ...

    async def commit(self, plan: CommitPlan) -> int: ...

    async def settle(self, settlement: Settlement) -> int: ...


@dataclass(frozen=True)
class EventBatch:
    """Events owed to one sink; at baseline (empty snapshot) people get a summary rather than one card a job."""

    events: tuple[Event, ...]
    baseline: bool = False


@dataclass(frozen=True)
class SinkOutcome:
    """How many events a sink accepted, and the ones it did not (retried later), with why."""

    sink: str
    accepted: int
    failed: frozenset[str] = frozenset()
    error: str | None = None


class EventSink(Protocol):
    id: str  # stable: it keys the sink's entries in the outbox
    name: str  # for people

    def accepts(self, event: Event) -> bool: ...

    async def send(self, batch: EventBatch) -> SinkOutcome: ...
