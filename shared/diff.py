"""What changed between the stored snapshot and this tick's observation. Pure. No I/O.

Absence only means "removed" for a service principal whose job list was read completely in this
tick; an SP that failed, or was missing from an incomplete listing, was "not read", not "gone".
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from shared.model import Job, JobKey, Observation, Transition, TransitionKind
from shared.severity import severity_of


def diff(previous: Mapping[JobKey, Job], observation: Observation) -> tuple[Transition, ...]:
    """Transitions ordered by job key; an empty `previous` (baseline) yields only `added`."""
    current = {job.key: job for job in observation.jobs}
    found = [*_added_or_changed(previous, current), *_removed(previous, current, observation)]
    return tuple(sorted(found, key=lambda transition: transition.job.key))


def _added_or_changed(previous: Mapping[JobKey, Job], current: Mapping[JobKey, Job]) -> Iterator[Transition]:
    for key, job in current.items():
        before = previous.get(key)
        if before is None:
            yield _transition(TransitionKind.ADDED, None, job)
        elif before.code != job.code:
            yield _transition(TransitionKind.STATUS_CHANGED, before, job)


def _removed(previous: Mapping[JobKey, Job], current: Mapping[JobKey, Job], observation: Observation) -> Iterator[Transition]:
    for key, job in previous.items():
        if key not in current and observation.proves_absence(key.service_principal_id):
            yield _transition(TransitionKind.REMOVED, job, None)


def _transition(kind: TransitionKind, previous: Job | None, current: Job | None) -> Transition:
    severity = severity_of(kind, previous and previous.code, current and current.code)
    return Transition(kind, severity, previous, current)
