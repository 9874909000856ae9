"""Small builders of model values for tests, so each test states only what it is about."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

from shared.model import Job, Observation, Quarantine, Schedule, ServicePrincipal, SyncError, SyncStatus, TaskExecution

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=timezone.utc)
TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"


def job(sp: str = "sp-1", job_id: str = "salesforce.1", code: str | None = "Active", *, name: str = "Salesforce",
        template: str = "salesforce", reason: str | None = None, message: str | None = None) -> Job:
    quarantine = Quarantine(reason=reason, error=SyncError("E", message)) if code == "Quarantine" else None
    return Job(ServicePrincipal(sp, f"app-{sp}", name), job_id, template, status=SyncStatus(code=code, quarantine=quarantine))


def observed(*jobs: Job, unread: tuple[str, ...] = (), listing_complete: bool = True, extra_sps: tuple[str, ...] = ()) -> Observation:
    listed = frozenset(j.service_principal.id for j in jobs) | frozenset(unread) | frozenset(extra_sps)
    return Observation(jobs=tuple(jobs), listed_sps=listed, unread_sps=frozenset(unread), listing_complete=listing_complete)


def snapshot(*jobs: Job) -> dict:
    return {j.key: j for j in jobs}


def with_status(base: Job, **status: object) -> Job:
    """`base` with some synchronizationStatus fields replaced."""
    return replace(base, status=replace(base.status, **status))


def with_schedule(base: Job, *, state: str | None = "Active", interval: str | None = "PT40M") -> Job:
    return replace(base, schedule=Schedule(interval=interval, state=state))


def run(state: str = "Succeeded", began: datetime = NOW, *, escrowed: int | None = 0, error: str | None = None,
        activity: str | None = None) -> TaskExecution:
    """One execution; runs are told apart by their start (and activity id)."""
    return TaskExecution(
        activity_identifier=activity or began.isoformat(), count_escrowed=escrowed, state=state, time_began=began,
        time_ended=began + timedelta(minutes=2), error=SyncError(error, f"{error} happened") if error else None,
    )
