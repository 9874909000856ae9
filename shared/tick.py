"""One tick: read Graph -> diff against the snapshot -> review for people -> commit snapshot and outbox
-> deliver -> settle.

The snapshot advances together with the events it produced (the outbox), in one transaction per
service principal. Delivery then works from the outbox, per sink, so a crash or a failing sink at any
point leaves every owed event to be delivered by a later tick, under the same id.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from shared.attention import review
from shared.cloud import Cloud
from shared.diff import diff
from shared.errors import EXIT_INCOMPLETE, EXIT_OK, SyncwatchError
from shared.events import Event, EventContext, build_event
from shared.model import PAUSED, QUARANTINE, Job, JobKey, Observation, ReadFailure, Transition, TransitionKind
from shared.outbox import UNKNOWN_SINK, OutboxEntry, Settlement, new_entries, settle
from shared.policy import Exclusions, Policy
from shared.ports import EventBatch, EventSink, JobSource, SinkOutcome, SnapshotStore
from shared.snapshot_plan import StoredState, plan_commit

DEFAULT_DEAD_LETTER_AGE = timedelta(days=7)


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
    read_failures: tuple[ReadFailure, ...]
    outcomes: tuple[SinkOutcome, ...]
    settlement: Settlement
    waiting: tuple[OutboxEntry, ...]  # owed, backing off until a later tick
    dead_lettered: int  # in the outbox, including earlier ticks'
    entities_read: int
    entities_written: int
    unhealthy_jobs: int = 0  # in Quarantine or Paused
    graph_stats: dict[str, int] = field(default_factory=dict)  # requests, batch items, 429s, retries
    withheld: Counter[str] = field(default_factory=Counter)  # events kept from people, by reason
    tenant_id: str = ""

    @property
    def undelivered(self) -> tuple[OutboxEntry, ...]:
        """Deliveries still owed after this tick (dead letters aside)."""
        return tuple(e for e in self.settlement.retried if not e.dead_lettered) + self.waiting

    @property
    def exit_code(self) -> int:
        """0 only when every job was read and nothing is owed to any sink."""
        return EXIT_INCOMPLETE if self.read_failures or self.undelivered else EXIT_OK

    def problems(self) -> list[str]:
        """One line per thing that was not read or not delivered; each is retried by a later tick."""
        lines = [f"not read: {failure.message}" for failure in self.read_failures]
        lines += [f"not delivered to {o.sink}: {len(o.failed)} event(s): {o.error}" for o in self.outcomes if o.failed]
        if self.waiting:
            lines.append(f"{len(self.waiting)} earlier deliveries wait for their next attempt")
        return lines

    def __repr__(self) -> str:
        """Short on purpose: asyncio.run, as the CLI uses it, formats the repr of its result on the way out
        (Python 3.11, restoring the SIGINT handler), and a baseline's 10,000 events made that one string
        about 200 MB and several seconds."""
        return f"TickReport({self.summary()})"

    def summary(self) -> str:
        delivered = Counter(entry.sink for entry in self.settlement.delivered)
        sinks = ", ".join(f"{o.sink}={delivered[o.sink]}" for o in self.outcomes) or "none due"
        return (
            f"tick {self.tick_id}{' (baseline)' if self.baseline else ''}: "
            f"{self.service_principals} service principals, {self.jobs} jobs, {len(self.transitions)} transitions; "
            f"delivered {sinks}; {len(self.read_failures)} not read, {len(self.undelivered)} owed, "
            f"{self.dead_lettered} dead-lettered;{self._withheld_text()} entities read {self.entities_read} "
            f"written {self.entities_written}; {self.seconds:.2f}s"
        )

    def _withheld_text(self) -> str:
        if not self.withheld:
            return ""
        reasons = ", ".join(f"{reason} {count}" for reason, count in sorted(self.withheld.items()))
        return f" kept from Teams {sum(self.withheld.values())} ({reasons});"


async def run_tick(
    source: JobSource,
    store: SnapshotStore,
    sinks: Sequence[EventSink],
    *,
    tenant_id: str,
    cloud: Cloud,
    now: datetime,
    dead_letter_age: timedelta = DEFAULT_DEAD_LETTER_AGE,
    policy: Policy = Policy(),
) -> TickReport:
    """Storage failures raise StorageError; Graph failures are per service principal and reported."""
    started = time.monotonic()
    sent = asyncio.Event()
    stored, observed = await asyncio.gather(_load_once_sent(store, sent), source.read(now, sent=sent))
    previous, observation, excluded = _without_excluded(stored, observed, policy.exclusions)
    facts = diff(previous, observation, now=now, memory=stored.memory, rules=policy.rules)
    attention = review(facts, previous, observation.jobs, stored.memory, stored.mutes,
                       now=now, noise=policy.noise, rules=policy.rules)
    transitions = attention.transitions
    events = tuple(build_event(t, EventContext(tenant_id, cloud, now)) for t in transitions)
    owed = new_entries(events, {sink.id: sink.accepts for sink in sinks}, baseline=not stored.jobs, now=now)
    gone = [t.job.key for t in transitions if t.kind is TransitionKind.REMOVED] + sorted(excluded)
    written = await store.commit(plan_commit(stored, observation.jobs, gone, attention.memory, owed, now=now))

    outbox = stored.outbox + owed
    due = tuple(entry for entry in outbox if entry.is_due(now))
    rounds = await asyncio.gather(*(_deliver(sink, due, store, now, dead_letter_age) for sink in _sinks_owed(due, sinks)))
    outcomes = tuple(outcome for outcome, _, _ in rounds)
    settlement = Settlement.combined(s for _, s, _ in rounds)
    written += sum(count for _, _, count in rounds)
    return TickReport(
        tick_id=uuid.uuid4().hex[:12],
        started_at=now,
        seconds=time.monotonic() - started,
        baseline=not stored.jobs,
        service_principals=len(observation.listed_sps),
        jobs=len(observation.jobs),
        transitions=transitions,
        events=events,
        read_failures=observation.failures,
        outcomes=outcomes,
        settlement=settlement,
        waiting=tuple(e for e in outbox if not e.dead_lettered and not e.is_due(now)),
        dead_lettered=sum(e.dead_lettered for e in outbox) + len(settlement.dead_lettered),
        entities_read=len(stored.jobs) + len(stored.outbox) + observation.bookkeeping_read,
        entities_written=written + observation.bookkeeping_written,
        unhealthy_jobs=sum(job.code in (QUARANTINE, PAUSED) for job in observation.jobs),
        graph_stats=source.stats(),
        withheld=attention.withheld,
        tenant_id=tenant_id,
    )


async def _load_once_sent(store: SnapshotStore, sent: asyncio.Event) -> StoredState:
    """The snapshot loads while Graph works, but only once Graph has all the reads it can take: Graph's
    throttling window is a tick's floor, and at 10,000 jobs loading alongside the first burst of reads
    slowed that burst, and with it (the window slides as it filled) the reads after it, by 2 s."""
    await sent.wait()
    return await store.load()


def _without_excluded(
    stored: StoredState, observed: Observation, exclusions: Exclusions
) -> tuple[dict[JobKey, Job], Observation, set[JobKey]]:
    """Excluded jobs vanish from both sides, silently: leaving them out is not their removal. The stored
    ones are returned too, for their rows to be deleted."""
    excluded = {key for key, job in stored.jobs.items() if exclusions.excludes(job)}
    previous = {key: job for key, job in stored.jobs.items() if key not in excluded}
    jobs = tuple(job for job in observed.jobs if not exclusions.excludes(job))
    return previous, replace(observed, jobs=jobs), excluded


async def _deliver(
    sink: EventSink, due: Sequence[OutboxEntry], store: SnapshotStore, now: datetime, max_age: timedelta
) -> tuple[SinkOutcome, Settlement, int]:
    """One sink's round, settled as soon as that sink answers: sinks never wait for, or re-send because
    of, one another."""
    entries = [entry for entry in due if entry.sink == sink.id]
    outcome = await _send(sink, EventBatch(tuple(e.event for e in entries), baseline=all(e.baseline for e in entries)))
    errors = {event_id: outcome.error or "not accepted" for event_id in outcome.failed}
    settlement = settle(entries, {sink.id: errors}, now=now, max_age=max_age)
    return outcome, settlement, await store.settle(settlement)


def _sinks_owed(due: Sequence[OutboxEntry], sinks: Sequence[EventSink]) -> list[EventSink]:
    """The configured sinks that are owed something, plus stand-ins for sinks no longer configured."""
    configured = {sink.id: sink for sink in sinks}
    owed = dict.fromkeys(entry.sink for entry in due)
    return [configured.get(sink_id) or _RemovedSink(sink_id) for sink_id in owed]


class _RemovedSink:
    """A sink that was configured when its events were committed, and is not any more: its entries are
    dead-lettered (kept and counted), never silently dropped."""

    def __init__(self, sink_id: str) -> None:
        self.id = self.name = sink_id

    def accepts(self, event: Event) -> bool:
        return False

    async def send(self, batch: EventBatch) -> SinkOutcome:
        return SinkOutcome(self.id, 0, frozenset(e.id for e in batch.events), UNKNOWN_SINK)


async def _send(sink: EventSink, batch: EventBatch) -> SinkOutcome:
    try:
        return await sink.send(batch)
    except SyncwatchError as error:
        return SinkOutcome(sink.id, 0, frozenset(e.id for e in batch.events), str(error))
