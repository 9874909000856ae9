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
from shared.model import Detail, Job, Observation, ServicePrincipal, Severity, Transition, TransitionKind

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
    transition = diff(previous, current, now=CONTEXT.detected_at)[0]  # the status change; rules follow it
    return build_event(transition, CONTEXT)


def many(count: int, after: str = "Quarantine") -> list[Event]:
    """`count` different apps making the same change."""
    return [event("Active", after, name=f"App {i:02}", sp_id=f"0a1b2c3d-0000-4000-8000-{i:012}") for i in range(count)]


def finding(kind: TransitionKind, severity: Severity, code: str = "Active", **details: Detail) -> Event:
    """The event of a health rule or of noise control, with the details its rule gives (docs/events.md)."""
    job = _job(code)
    return build_event(Transition(kind, severity, job, job, tuple(details.items())), CONTEXT)


K = TransitionKind
KINDS = {
    "critical": lambda: event("Active", "Quarantine"),
    "resolved": lambda: event("Quarantine", "Active"),
    "warning-paused": lambda: event("Active", "Paused"),
    "warning-removed": lambda: event("Active", None),
    "info-added": lambda: event(None, "Active"),
    "critical-reason-changed": lambda: finding(K.QUARANTINE_REASON_CHANGED, Severity.CRITICAL, "Quarantine",
                                               previousReason="EncounteredEscrowProportionThreshold",
                                               reason="EncounteredQuarantineException"),
    "warning-series-started": lambda: finding(K.QUARANTINE_SERIES_STARTED, Severity.WARNING, "Quarantine",
                                              seriesBegan="2026-11-25T09:21:13Z", seriesCount=1),
    "warning-failure-streak": lambda: finding(K.FAILURE_STREAK, Severity.WARNING, count=3, previousCount=1, threshold=3),
    "critical-failure-streak": lambda: finding(K.FAILURE_STREAK, Severity.CRITICAL, count=10, previousCount=9, threshold=10),
    "resolved-failure-streak": lambda: finding(K.FAILURE_STREAK, Severity.RESOLVED, count=0, previousCount=4, threshold=0),
    "warning-execution-failed": lambda: finding(
        K.EXECUTION_FAILED, Severity.WARNING, state="Failed", errorCode="SalesforceInvalidCredentials",
        errorMessage="The credentials supplied for the Salesforce tenant are invalid or expired.",
        timeBegan="2026-11-25T09:20:00Z", timeEnded="2026-11-25T09:21:13Z"),
    "warning-stalled": lambda: finding(K.STALLED, Severity.WARNING, state="began", lastSuccessAt="2026-11-25T06:40:00Z",
                                       thresholdSeconds=7200),
    "resolved-stalled": lambda: finding(K.STALLED, Severity.RESOLVED, state="ended", lastSuccessAt="2026-11-25T09:58:00Z",
                                        thresholdSeconds=7200),
    "critical-schedule-disabled": lambda: finding(K.SCHEDULE_CHANGED, Severity.CRITICAL, "Quarantine",
                                                  previousState="Active", state="Disabled"),
    "warning-escrow-spike": lambda: finding(K.ESCROW_SPIKE, Severity.WARNING, previousEscrowed=4, escrowed=212, factor=2.0),
    "warning-flapping": lambda: finding(K.FLAPPING, Severity.WARNING, "Quarantine", state="began", changes=4,
                                        windowSeconds=21600, cooldownSeconds=7200),
    "resolved-flapping": lambda: finding(K.FLAPPING, Severity.RESOLVED, state="ended", changes=5, windowSeconds=21600,
                                         cooldownSeconds=7200),
    "critical-reminder": lambda: finding(K.QUARANTINE_REMINDER, Severity.CRITICAL, "Quarantine", reminder=2,
                                         quarantinedSince="2026-11-23T09:21:13Z", quarantinedSeconds=175127),
}


def sample_messages() -> dict[str, dict[str, Any]]:
    """One Teams message per card kind, named for the preview files."""
    messages = {name: plan_posts([make()], baseline=False, digest_threshold=5)[0].message for name, make in KINDS.items()}
    messages["digest"] = plan_posts(many(12), baseline=False, digest_threshold=5)[0].message
    baseline = [event(None, "Active"), *(event(None, code, name=name, sp_id=name) for name, code in (("Workday", "Quarantine"), ("Slack", "Paused")))]
    messages["baseline-summary"] = plan_posts(baseline, baseline=True, digest_threshold=5)[0].message
    return messages
