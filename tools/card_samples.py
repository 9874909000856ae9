"""Realistic events of every card kind, for the card tests and the PNG previews (`make previews`)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone
from typing import Any

from shared.cloud import cloud_for
from shared.diff import diff
from shared.events import Event, EventContext, build_event
from shared.graph_json import parse_job
from shared.cards import plan_posts
from shared.model import Job, Observation, ServicePrincipal

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=timezone.utc)
TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
CONTEXT = EventContext(TENANT, cloud_for("https://graph.microsoft.com/v1.0"), NOW)
SALESFORCE = ServicePrincipal("0a1b2c3d-0000-4000-8000-000000000001", "5ebb983a-6b00-4439-9915-62c3f86dbb2a", "Salesforce")
QUARANTINED = {
    "id": "salesforce.f10ba5b3ec9d4aacb71b50a821845028", "templateId": "salesforce",
    "schedule": {"interval": "PT40M", "state": "Active"},
    "status": {
        "code": "Quarantine", "countSuccessiveCompleteFailures": 3,
        "lastExecution": {"state": "Failed", "timeBegan": "2026-11-25T09:20:00Z", "timeEnded": "2026-11-25T09:21:13Z",
                          "error": {"code": "SalesforceInvalidCredentials", "message": "The credentials supplied for the Salesforce tenant are invalid or expired.", "tenantActionable": True}},
        "quarantine": {"currentBegan": "2026-11-25T09:21:13Z", "nextAttempt": "2026-11-25T10:01:13Z",
                       "reason": "EncounteredQuarantineException", "seriesBegan": "2026-11-25T09:21:13Z", "seriesCount": 1,
                       "error": {"code": "SalesforceInvalidCredentials", "message": "The credentials supplied for the Salesforce tenant are invalid or expired. Update the admin credentials on the Provisioning page and test the connection.", "tenantActionable": True}},
        "troubleshootingUrl": "https://learn.microsoft.com/entra/identity/app-provisioning/application-provisioning-quarantine-status",
    },
}


def _job(code: str, *, name: str = "Salesforce", sp_id: str | None = None) -> Job:
    raw = QUARANTINED if code == "Quarantine" else {**QUARANTINED, "status": {"code": code, "countSuccessiveCompleteFailures": 0,
                                                                             "lastExecution": {"state": "Succeeded", "timeBegan": "2026-11-25T09:40:00Z"}}}
    sp = replace(SALESFORCE, display_name=name, id=sp_id or SALESFORCE.id)
    return parse_job(raw, sp)


def event(before: str | None, after: str | None, **job_options: Any) -> Event:
    """The event of one job going from `before` to `after` (None: not there)."""
    previous = {} if before is None else {job.key: job for job in [_job(before, **job_options)]}
    jobs = (_job(after, **job_options),) if after else ()
    current = Observation(jobs, listed_sps=frozenset(j.service_principal.id for j in jobs) or frozenset({SALESFORCE.id}))
    [transition] = diff(previous, current)
    return build_event(transition, CONTEXT)


def many(count: int, after: str = "Quarantine") -> list[Event]:
    """`count` different apps making the same change."""
    return [event("Active", after, name=f"App {i:02}", sp_id=f"0a1b2c3d-0000-4000-8000-{i:012}") for i in range(count)]


KINDS = {
    "critical": lambda: event("Active", "Quarantine"),
    "resolved": lambda: event("Quarantine", "Active"),
    "warning-paused": lambda: event("Active", "Paused"),
    "warning-removed": lambda: event("Active", None),
    "info-added": lambda: event(None, "Active"),
}


def sample_messages() -> dict[str, dict[str, Any]]:
    """One Teams message per card kind, named for the preview files."""
    messages = {name: plan_posts([make()], baseline=False, digest_threshold=5)[0].message for name, make in KINDS.items()}
    messages["digest"] = plan_posts(many(12), baseline=False, digest_threshold=5)[0].message
    baseline = [event(None, "Active"), *(event(None, code, name=name, sp_id=name) for name, code in (("Workday", "Quarantine"), ("Slack", "Paused")))]
    messages["baseline-summary"] = plan_posts(baseline, baseline=True, digest_threshold=5)[0].message
    return messages
