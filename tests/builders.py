"""Small builders of model values for tests, so each test states only what it is about."""

from __future__ import annotations

from datetime import datetime, timezone

from shared.model import Job, Observation, Quarantine, ServicePrincipal, SyncError, SyncStatus

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
