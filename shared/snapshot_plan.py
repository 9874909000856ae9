"""What a tick commits: changed snapshot entries and the outbox entries of their events. Pure. No I/O.

Both go into one entity-group transaction per service principal, so a snapshot never advances without
the events that describe the change, and a crash after the commit loses nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from shared.model import Job, JobKey, JobMemory, Mute
from shared.outbox import OutboxEntry


@dataclass(frozen=True)
class StoredState:
    """What the last committed tick left: the snapshot, the deliveries still owed, what syncwatch
    remembers of each job, and the operators' mutes (keyed by job id)."""

    jobs: dict[JobKey, Job]
    outbox: tuple[OutboxEntry, ...]
    memory: dict[JobKey, JobMemory] = field(default_factory=dict)
    mutes: dict[str, Mute] = field(default_factory=dict)


@dataclass(frozen=True)
class CommitPlan:
    upserts: tuple[Job, ...] = ()
    deletes: tuple[JobKey, ...] = ()
    outbox: tuple[OutboxEntry, ...] = ()
    memory: Mapping[JobKey, JobMemory] = field(default_factory=dict)  # written with each upserted job
    expired_mutes: tuple[str, ...] = ()

    def __len__(self) -> int:
        return len(self.upserts) + len(self.deletes) + len(self.outbox) + len(self.expired_mutes)


def plan_commit(
    stored: StoredState,
    current: Sequence[Job],
    gone: Sequence[JobKey],
    memory: Mapping[JobKey, JobMemory],
    outbox: Sequence[OutboxEntry],
    *,
    now: datetime,
) -> CommitPlan:
    """Only rows whose job or memory changed are written, so a quiet tick writes nothing. `gone` are
    jobs removed or newly excluded: their rows are deleted."""
    upserts = tuple(
        job for job in current
        if stored.jobs.get(job.key) != job or stored.memory.get(job.key, JobMemory()) != memory.get(job.key, JobMemory())
    )
    expired = tuple(job_id for job_id, mute in stored.mutes.items() if not mute.active(now))
    return CommitPlan(upserts, tuple(gone), tuple(outbox), {job.key: memory.get(job.key, JobMemory()) for job in upserts}, expired)
