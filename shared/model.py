"""The product's own frozen types for what Graph reports and what a tick decides. Pure. No I/O.

Enum-like fields stay plain strings so that a value Graph adds later survives as written.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime

QUARANTINE = "Quarantine"
PAUSED = "Paused"
ACTIVE = "Active"


@dataclass(frozen=True, slots=True)
class SyncError:
    code: str | None = None
    message: str | None = None
    tenant_actionable: bool | None = None


@dataclass(frozen=True, slots=True)
class TaskExecution:
    activity_identifier: str | None = None
    count_entitled: int | None = None
    count_entitled_for_provisioning: int | None = None
    count_escrowed: int | None = None
    count_escrowed_raw: int | None = None
    count_exported: int | None = None
    count_exports: int | None = None
    count_imported: int | None = None
    count_imported_deltas: int | None = None
    count_imported_reference_deltas: int | None = None
    error: SyncError | None = None
    state: str | None = None
    time_began: datetime | None = None
    time_ended: datetime | None = None


@dataclass(frozen=True, slots=True)
class Quarantine:
    current_began: datetime | None = None
    next_attempt: datetime | None = None
    reason: str | None = None
    series_began: datetime | None = None
    series_count: int | None = None
    error: SyncError | None = None


@dataclass(frozen=True, slots=True)
class Progress:
    completed_units: int | None = None
    progress_observation_date_time: datetime | None = None
    total_units: int | None = None
    units: str | None = None


@dataclass(frozen=True, slots=True)
class SyncStatus:
    code: str | None = None
    count_successive_complete_failures: int | None = None
    escrows_pruned: bool | None = None
    last_execution: TaskExecution | None = None
    last_successful_execution: TaskExecution | None = None
    last_successful_execution_with_exports: TaskExecution | None = None
    progress: tuple[Progress, ...] = ()
    quarantine: Quarantine | None = None
    steady_state_first_achieved_time: datetime | None = None
    steady_state_last_achieved_time: datetime | None = None
    synchronized_entry_count_by_type: tuple[tuple[str, int | None], ...] = ()
    troubleshooting_url: str | None = None


@dataclass(frozen=True, slots=True)
class Schedule:
    expiration: datetime | None = None
    interval: str | None = None
    state: str | None = None


@dataclass(frozen=True, slots=True)
class ServicePrincipal:
    id: str
    app_id: str | None = None
    display_name: str | None = None


@dataclass(frozen=True, order=True, slots=True)
class JobKey:
    """Identifies one job across ticks: a job id is unique only within its service principal."""

    service_principal_id: str
    job_id: str


@dataclass(frozen=True, slots=True)
class Job:
    service_principal: ServicePrincipal
    id: str
    template_id: str | None = None
    schedule: Schedule = field(default_factory=Schedule)
    status: SyncStatus = field(default_factory=SyncStatus)

    @property
    def key(self) -> JobKey:
        return JobKey(self.service_principal.id, self.id)

    @property
    def code(self) -> str | None:
        return self.status.code


@dataclass(frozen=True, slots=True)
class ReadFailure:
    """Something Graph did not give this tick; `service_principal_id` is None for the SP listing itself."""

    service_principal_id: str | None
    message: str


@dataclass(frozen=True, slots=True)
class Observation:
    """What one tick saw, and how far it may be trusted to prove that a job is gone."""

    jobs: tuple[Job, ...]
    listed_sps: frozenset[str]
    unread_sps: frozenset[str] = frozenset()
    listing_complete: bool = True
    failures: tuple[ReadFailure, ...] = ()
    bookkeeping_read: int = 0  # storage rows read and written to keep the watchlist
    bookkeeping_written: int = 0

    def __repr__(self) -> str:
        """Short, as TickReport's: `discover` returns one through asyncio.run."""
        return f"Observation({len(self.jobs)} jobs of {len(self.listed_sps)} service principals, {len(self.failures)} failures)"

    def proves_absence(self, service_principal_id: str) -> bool:
        """True when a job of this SP that is not in `jobs` is really gone, not merely unread."""
        if service_principal_id in self.unread_sps:
            return False
        return service_principal_id in self.listed_sps or self.listing_complete


class TransitionKind(enum.Enum):
    """Each kind is its own CloudEvent type, `syncwatch.job.<value>`; docs/events.md is the catalogue."""

    ADDED = "added"
    REMOVED = "removed"
    STATUS_CHANGED = "statusChanged"
    QUARANTINE_REASON_CHANGED = "quarantineReasonChanged"
    QUARANTINE_SERIES_STARTED = "quarantineSeriesStarted"
    FAILURE_STREAK = "failureStreak"
    EXECUTION_FAILED = "executionFailed"
    STALLED = "stalled"
    SCHEDULE_CHANGED = "scheduleChanged"
    ESCROW_SPIKE = "escrowSpike"
    FLAPPING = "flapping"
    QUARANTINE_REMINDER = "quarantineReminder"


class Severity(enum.Enum):
    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"
    RESOLVED = "resolved"


Detail = str | int | float | bool | None


@dataclass(frozen=True, slots=True)
class Transition:
    """One detected change of one job. `previous` is None when added, `current` None when removed.
    `details` are the kind's own facts (a threshold crossed, a duration); `withheld` says why people
    are not told (muted, flapping, inhibited), while programs still are."""

    kind: TransitionKind
    severity: Severity
    previous: Job | None
    current: Job | None
    details: tuple[tuple[str, Detail], ...] = ()
    withheld: str | None = None

    @property
    def job(self) -> Job:
        """The job as last seen: current when it exists, else the stored one."""
        job = self.current or self.previous
        assert job is not None, "a transition has at least one side"
        return job


@dataclass(frozen=True, slots=True)
class JobMemory:
    """What syncwatch remembers of a job between ticks, beyond what Graph says: kept in the job's row and
    written only when it changes, so a quiet tick writes nothing."""

    stalled: bool = False
    changes: tuple[datetime, ...] = ()  # status-code changes within the flap window
    last_change_at: datetime | None = None
    flapping: bool = False
    reminded_at: datetime | None = None  # the quarantine card, or its last reminder
    reminders: int = 0
    withheld: int = 0  # cards kept from people so far, for `status`


@dataclass(frozen=True, slots=True)
class Mute:
    """An operator silenced a job's Teams cards until `until`; its events still reach the queue."""

    job_id: str
    until: datetime
    reason: str
    created_at: datetime

    def active(self, now: datetime) -> bool:
        return now < self.until
