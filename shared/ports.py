"""The roles a tick depends on. Adapters implement them; tests may substitute fakes of the same shape."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from shared.events import Event
from shared.model import Job, JobKey, Observation
from shared.snapshot_plan import SnapshotPlan


class JobSource(Protocol):
    async def read(self) -> Observation: ...


class SnapshotStore(Protocol):
    async def load(self) -> dict[JobKey, Job]: ...

    async def apply(self, plan: SnapshotPlan) -> int: ...


@dataclass(frozen=True)
class SinkOutcome:
    """How many events a sink accepted, which ids it did not (to retry), and why not.

    Events a sink does not take at all (a Teams route whose rules exclude them) are neither.
    """

    sink: str
    accepted: int
    failed: frozenset[str] = frozenset()
    error: str | None = None


@dataclass(frozen=True)
class EventBatch:
    """One tick's events; at baseline (empty snapshot) people get a summary rather than one card a job."""

    events: tuple[Event, ...]
    baseline: bool = False


class EventSink(Protocol):
    name: str

    async def send(self, batch: EventBatch) -> SinkOutcome: ...
