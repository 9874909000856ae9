"""What changed between the stored snapshot and this tick's observation. Pure. No I/O.

Absence only means "removed" for a service principal whose job list was read completely in this
tick; an SP that failed, or was missing from an incomplete listing, was "not read", not "gone".
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime

from shared.model import Job, JobKey, JobMemory, Observation, Transition, TransitionKind
from shared.rules import Before, RuleSettings, detect
from shared.severity import severity_of


def diff(
    previous: Mapping[JobKey, Job],
    observation: Observation,
    *,
    now: datetime,
    memory: Mapping[JobKey, JobMemory] | None = None,
    rules: RuleSettings = RuleSettings(),
) -> tuple[Transition, ...]:
    """Transitions ordered by job key; an empty `previous` (baseline) yields only `added`: rules compare
    two observations, and the first has none."""
    current = {job.key: job for job in observation.jobs}
    found = [*_added_or_changed(previous, current, memory or {}, now, rules), *_removed(previous, current, observation)]
    return tuple(sorted(found, key=lambda transition: transition.job.key))


def _added_or_changed(
    previous: Mapping[JobKey, Job], current: Mapping[JobKey, Job], memory: Mapping[JobKey, JobMemory],
    now: datetime, rules: RuleSettings,
) -> Iterator[Transition]:
    for key, job in current.items():
        before = previous.get(key)
        if before is None:
            yield _transition(TransitionKind.ADDED, None, job)
        else:
            yield from detect(Before(before, memory.get(key, JobMemory())), job, now, rules)


def _removed(previous: Mapping[JobKey, Job], current: Mapping[JobKey, Job], observation: Observation) -> Iterator[Transition]:
    for key, job in previous.items():
        if key not in current and observation.proves_absence(key.service_principal_id):
            yield _transition(TransitionKind.REMOVED, job, None)


def _transition(kind: TransitionKind, previous: Job | None, current: Job | None) -> Transition:
    severity = severity_of(kind, previous and previous.code, current and current.code)
    return Transition(kind, severity, previous, current)
