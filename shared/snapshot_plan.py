"""Which snapshot entries a tick may write or delete. Pure. No I/O.

A job's entry advances only when every event about it was accepted by every sink; otherwise the
next tick detects the same transition again, with the same event id, and nothing is lost.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from shared.model import Job, JobKey, Observation, Transition, TransitionKind


@dataclass(frozen=True)
class SnapshotPlan:
    upserts: tuple[Job, ...] = ()
    deletes: tuple[JobKey, ...] = ()

    def __len__(self) -> int:
        return len(self.upserts) + len(self.deletes)


def plan_snapshot(
    previous: Mapping[JobKey, Job],
    observation: Observation,
    transitions: Sequence[Transition],
    undelivered: Collection[JobKey],
) -> SnapshotPlan:
    """Only entries whose content changed are written, so a quiet tick writes nothing."""
    upserts = tuple(
        job for job in observation.jobs if job.key not in undelivered and previous.get(job.key) != job
    )
    deletes = tuple(
        t.job.key for t in transitions if t.kind is TransitionKind.REMOVED and t.job.key not in undelivered
    )
    return SnapshotPlan(upserts, deletes)
