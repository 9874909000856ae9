"""One tick: read Graph -> diff against the snapshot -> deliver events -> record what was delivered.

The snapshot is written last, and only for jobs whose events every sink accepted, so a crash or a
failed sink at any point means the next tick detects and delivers the same events again.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from shared.cloud import Cloud
from shared.diff import diff
from shared.errors import EXIT_INCOMPLETE, EXIT_OK, SyncwatchError
from shared.events import Event, EventContext, build_event
from shared.model import ReadFailure, Transition
from shared.ports import EventBatch, EventSink, JobSource, SinkOutcome, SnapshotStore
from shared.snapshot_plan import plan_snapshot


@dataclass(frozen=True)
class TickReport:
    tick_id: str
    started_at: datetime
    seconds: float
    baseline: bool
    service_principals: int
    jobs: int
    transitions: tuple[Transition, ...]
    events: tuple[Event, ...]
    outcomes: tuple[SinkOutcome, ...]
    read_failures: tuple[ReadFailure, ...]
    entities_read: int
    entities_written: int

    @property
    def undelivered(self) -> tuple[Event, ...]:
        return undelivered(self.events, self.outcomes)

    @property
    def exit_code(self) -> int:
        """0 only when every job was read and every event reached every sink."""
        return EXIT_INCOMPLETE if self.read_failures or self.undelivered else EXIT_OK

    def problems(self) -> list[str]:
        """One line per thing that was not read or not delivered; each is retried next tick."""
        lines = [f"not read: {failure.message}" for failure in self.read_failures]
        for outcome in self.outcomes:
            if outcome.failed:
                lines.append(f"not delivered to {outcome.sink}: {len(outcome.failed)} event(s): {outcome.error}")
        return lines

    def summary(self) -> str:
        delivered = ", ".join(f"{o.sink}={o.accepted}" for o in self.outcomes) or "no sinks"
        return (
            f"tick {self.tick_id}{' (baseline)' if self.baseline else ''}: "
            f"{self.service_principals} service principals, {self.jobs} jobs, "
            f"{len(self.transitions)} transitions, delivered {delivered}, "
            f"{len(self.read_failures)} not read, {len(self.undelivered)} undelivered, "
            f"entities read {self.entities_read} written {self.entities_written}, {self.seconds:.2f}s"
        )


async def run_tick(
    source: JobSource,
    store: SnapshotStore,
    sinks: Sequence[EventSink],
    *,
    tenant_id: str,
    cloud: Cloud,
    now: datetime,
) -> TickReport:
    """Storage failures raise StorageError; Graph failures are per service principal and reported."""
    started = time.monotonic()
    previous = await store.load()
    observation = await source.read()
    transitions = diff(previous, observation)
    context = EventContext(tenant_id, cloud, now)
    events = tuple(build_event(transition, context) for transition in transitions)
    outcomes = await _deliver(EventBatch(events, baseline=not previous), sinks)
    failed_keys = frozenset(event.key for event in undelivered(events, outcomes))
    plan = plan_snapshot(previous, observation, transitions, failed_keys)
    written = await store.apply(plan)
    return TickReport(
        tick_id=uuid.uuid4().hex[:12],
        started_at=now,
        seconds=time.monotonic() - started,
        baseline=not previous,
        service_principals=len(observation.listed_sps),
        jobs=len(observation.jobs),
        transitions=transitions,
        events=events,
        outcomes=outcomes,
        read_failures=observation.failures,
        entities_read=len(previous),
        entities_written=written,
    )


async def _deliver(batch: EventBatch, sinks: Sequence[EventSink]) -> tuple[SinkOutcome, ...]:
    """Every sink gets every event, independently: one sink being down never holds up another."""
    if not batch.events:
        return tuple(SinkOutcome(sink.name, 0) for sink in sinks)
    return tuple(await asyncio.gather(*(_send(sink, batch) for sink in sinks)))


async def _send(sink: EventSink, batch: EventBatch) -> SinkOutcome:
    try:
        return await sink.send(batch)
    except SyncwatchError as error:
        return SinkOutcome(sink.name, 0, frozenset(e.id for e in batch.events), str(error))


def undelivered(events: Sequence[Event], outcomes: Sequence[SinkOutcome]) -> tuple[Event, ...]:
    """Events some sink failed to take."""
    failed = frozenset().union(*(outcome.failed for outcome in outcomes))
    return tuple(e for e in events if e.id in failed)
