"""What a tick commits: changed snapshot entries and the outbox entries of their events. Pure. No I/O.

Both go into one entity-group transaction per service principal, so a snapshot never advances without
the events that describe the change, and a crash after the commit loses nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from shared.model import Job, JobKey, Observation, Transition, TransitionKind
from shared.outbox import OutboxEntry


@dataclass(frozen=True)
class StoredState:
    """What the last committed tick left: the snapshot, and the deliveries still owed."""

    jobs: dict[JobKey, Job]
    outbox: tuple[OutboxEntry, ...]


@dataclass(frozen=True)
class CommitPlan:
    upserts: tuple[Job, ...] = ()
    deletes: tuple[JobKey, ...] = ()
    outbox: tuple[OutboxEntry, ...] = ()

    def __len__(self) -> int:
        return len(self.upserts) + len(self.deletes) + len(self.outbox)


def plan_commit(
    previous: Mapping[JobKey, Job], observation: Observation, transitions: Sequence[Transition], outbox: Sequence[OutboxEntry]
) -> CommitPlan:
    """Only entries whose content changed are written, so a quiet tick writes nothing."""
    upserts = tuple(job for job in observation.jobs if previous.get(job.key) != job)
    deletes = tuple(t.job.key for t in transitions if t.kind is TransitionKind.REMOVED)
    return CommitPlan(upserts, deletes, tuple(outbox))
