"""Health rules: what a job's change between two observations means, beyond its status code. Pure. No I/O.

`status.code` moves late: a job can fail for hours, stop exporting or lose its schedule before Entra
quarantines it. Each rule compares the previous observation (and what syncwatch remembered of it) with
the current one, and returns at most one transition of its own kind. docs/events.md is the catalogue.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from shared.graph_json import format_timestamp, iso
from shared.iso_duration import parse_iso_duration
from shared.model import ACTIVE, PAUSED, QUARANTINE, Detail, Job, JobMemory, Severity, TaskExecution, Transition, TransitionKind
from shared.severity import severity_of

FAILED_STATES = ("Failed", "EntryLevelErrors")
MAX_STALL_INTERVAL = timedelta(days=7)  # longer (or Graph's ~29,000-year "never") switches `stalled` off
MAX_DETAIL_CHARS = 1000


@dataclass(frozen=True)
class RuleSettings:
    failure_thresholds: tuple[int, ...] = (1, 3, 10)  # ascending; the highest is critical
    stall_floor: timedelta = timedelta(hours=2)
    escrow_spike_factor: float = 2.0
    escrow_spike_min: int = 10  # a jump of fewer escrowed entries is no spike, whatever the factor


@dataclass(frozen=True)
class Before:
    """The previous observation of a job, with what syncwatch remembered of it."""

    job: Job
    memory: JobMemory = JobMemory()


Rule = Callable[[Before, Job, datetime, RuleSettings], "Transition | None"]


def detect(before: Before, current: Job, now: datetime, settings: RuleSettings) -> Iterator[Transition]:
    """Every rule's finding for one job seen in both observations, the status change first. A job Graph
    shows unchanged can only have stalled meanwhile: the usual case, checked first."""
    for rule in (stalled,) if before.job == current else RULES:
        found = rule(before, current, now, settings)
        if found is not None:
            yield found


def status_changed(before: Before, current: Job, now: datetime, settings: RuleSettings) -> Transition | None:
    previous = before.job
    if previous.code == current.code:
        return None
    severity = severity_of(TransitionKind.STATUS_CHANGED, previous.code, current.code)
    return Transition(TransitionKind.STATUS_CHANGED, severity, previous, current)


def quarantine_reason_changed(before: Before, current: Job, now: datetime, settings: RuleSettings) -> Transition | None:
    """Only within one quarantine: entering it is `statusChanged`'s news."""
    old, new = before.job.status.quarantine, current.status.quarantine
    if before.job.code != QUARANTINE or current.code != QUARANTINE or not old or not new or old.reason == new.reason:
        return None
    return _found(TransitionKind.QUARANTINE_REASON_CHANGED, Severity.CRITICAL, before, current,
                  previousReason=old.reason, reason=new.reason)


def quarantine_series_started(before: Before, current: Job, now: datetime, settings: RuleSettings) -> Transition | None:
    old, new = before.job.status.quarantine, current.status.quarantine
    began = new.series_began if new else None
    if began is None or (old is not None and old.series_began == began):
        return None
    return _found(TransitionKind.QUARANTINE_SERIES_STARTED, Severity.WARNING, before, current,
                  seriesBegan=format_timestamp(began), seriesCount=new.series_count if new else None)


def failure_streak(before: Before, current: Job, now: datetime, settings: RuleSettings) -> Transition | None:
    """Crossing a threshold upwards (the highest crossed is reported), and the return to 0."""
    old = before.job.status.count_successive_complete_failures or 0
    new = current.status.count_successive_complete_failures or 0
    crossed = [t for t in settings.failure_thresholds if old < t <= new]
    if crossed:
        highest = crossed[-1] == max(settings.failure_thresholds)
        return _found(TransitionKind.FAILURE_STREAK, Severity.CRITICAL if highest else Severity.WARNING, before,
                      current, count=new, previousCount=old, threshold=crossed[-1])
    if new == 0 and old >= min(settings.failure_thresholds, default=1):
        return _found(TransitionKind.FAILURE_STREAK, Severity.RESOLVED, before, current, count=0, previousCount=old, threshold=0)
    return None


def execution_failed(before: Before, current: Job, now: datetime, settings: RuleSettings) -> Transition | None:
    run = _new_run(before.job, current)
    if run is None or run.state not in FAILED_STATES:
        return None
    error = run.error
    return _found(TransitionKind.EXECUTION_FAILED, Severity.WARNING if run.state == "Failed" else Severity.INFO,
                  before, current, state=run.state, errorCode=error.code if error else None,
                  errorMessage=_clip(error.message if error else None),
                  timeBegan=iso(run.time_began), timeEnded=iso(run.time_ended))


def stalled(before: Before, current: Job, now: datetime, settings: RuleSettings) -> Transition | None:
    """Began: Active, yet no success for max(3 × interval, floor). Ended: a success came. A job that
    left Active ends its stall silently: its status change says more."""
    now_stalled = is_stalled(current, now, settings)
    if now_stalled == before.memory.stalled or (not now_stalled and current.code != ACTIVE):
        return None
    allowed = stall_threshold(current, settings)
    return _found(TransitionKind.STALLED, Severity.WARNING if now_stalled else Severity.RESOLVED, before, current,
                  state="began" if now_stalled else "ended", lastSuccessAt=iso(_last_success(current)),
                  thresholdSeconds=int(allowed.total_seconds()) if allowed else None)


def schedule_changed(before: Before, current: Job, now: datetime, settings: RuleSettings) -> Transition | None:
    """Includes Entra's own disable of a job left in quarantine too long."""
    old, new = before.job.schedule.state, current.schedule.state
    if old is None or new is None or old == new:
        return None
    severity = {"Disabled": Severity.CRITICAL, PAUSED: Severity.WARNING}.get(new)
    if severity is None:
        severity = Severity.RESOLVED if new == ACTIVE else Severity.INFO
    return _found(TransitionKind.SCHEDULE_CHANGED, severity, before, current, previousState=old, state=new)


def escrow_spike(before: Before, current: Job, now: datetime, settings: RuleSettings) -> Transition | None:
    """Escrowed entries of the new run against the run before it."""
    run = _new_run(before.job, current)
    old_run = before.job.status.last_execution
    if run is None or run.count_escrowed is None:
        return None
    old, new = (old_run.count_escrowed or 0) if old_run else 0, run.count_escrowed
    if new - old < settings.escrow_spike_min or new <= old * settings.escrow_spike_factor:
        return None
    return _found(TransitionKind.ESCROW_SPIKE, Severity.WARNING, before, current,
                  previousEscrowed=old, escrowed=new, factor=settings.escrow_spike_factor)


RULES: tuple[Rule, ...] = (
    status_changed, quarantine_reason_changed, quarantine_series_started, failure_streak, execution_failed,
    stalled, schedule_changed, escrow_spike,
)


def is_stalled(job: Job, now: datetime, settings: RuleSettings) -> bool:
    """A job that never succeeded is not judged: its failure streak and runs speak for it."""
    allowed, last = stall_threshold(job, settings), _last_success(job)
    return job.code == ACTIVE and allowed is not None and last is not None and now - last > allowed


def stall_threshold(job: Job, settings: RuleSettings) -> timedelta | None:
    """max(3 × interval, floor); None (rule off) for an interval over 7 days. An unreadable interval
    leaves the floor."""
    interval = parse_iso_duration(job.schedule.interval)
    if interval is None:
        return settings.stall_floor
    if interval > MAX_STALL_INTERVAL:
        return None
    return max(3 * interval, settings.stall_floor)


def _last_success(job: Job) -> datetime | None:
    run = job.status.last_successful_execution
    return (run.time_ended or run.time_began) if run else None


def _new_run(previous: Job, current: Job) -> TaskExecution | None:
    """The current last execution when it is another run than the previous one."""
    run, old = current.status.last_execution, previous.status.last_execution
    if run is None or run.time_began is None:
        return None
    if old is not None and (old.time_began, old.activity_identifier) == (run.time_began, run.activity_identifier):
        return None
    return run


def _found(kind: TransitionKind, severity: Severity, before: Before, current: Job, **details: Detail) -> Transition:
    return Transition(kind, severity, before.job, current, tuple(details.items()))


def _clip(text: str | None) -> str | None:
    return text if text is None or len(text) <= MAX_DETAIL_CHARS else text[: MAX_DETAIL_CHARS - 1] + "…"
