"""Pure builders of Microsoft Graph v1.0 JSON payloads (service principal, synchronizationJob and its
status parts, OData error), shaped after the documented examples in microsoft-graph-docs-contrib."""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

from shared.iso_duration import parse_iso_duration

NEVER = "0001-01-01T00:00:00Z"
"""Graph's DateTimeOffset.MinValue, meaning "never" (steadyState*Time, execution timeBegan)."""

HEALTHY_CODES = frozenset({"Active", "Paused"})
NEVER_RUN_CODES = frozenset({"NotConfigured", "NotRun"})
SCHEDULE_STATE = {"Active": "Active", "Paused": "Paused", "Quarantine": "Active",
                  "NotRun": "Active", "NotConfigured": "Disabled"}
DEFAULT_QUARANTINE_REASON = "EncounteredQuarantineException"
DEFAULT_SETTINGS = ({"name": "QuarantineTooManyDeletesThreshold", "value": "500"},)
ENTRY_COUNT = 25
ERROR_CODES = {400: "BadRequest", 401: "InvalidAuthenticationToken", 403: "Authorization_RequestDenied",
               404: "Request_ResourceNotFound", 429: "TooManyRequests", 500: "generalException",
               503: "serviceNotAvailable", 504: "UnknownError"}
_TOKEN_MAGIC = b"DSpt"  # base64 "RFNwdA", the prefix of real directory skiptokens

_REASON_ERRORS = {
    "EncounteredQuarantineException": (
        "InvalidCredentials",
        ("The credentials supplied for the target application are invalid. "
         "Update the admin credentials and test the connection."),
    ),
    "TooManyDeletes": (
        "TooManyDeletes", "The number of pending deletions exceeds the accidental deletions threshold."),
}


def timestamp(moment: datetime, *, tick: int | None = None) -> str:
    """UTC ISO 8601 with Z. With `tick`, a 7-digit (.NET ticks) fraction with trailing zeros trimmed,
    as Graph prints execution times; without it, whole seconds."""
    moment = moment.astimezone(UTC)
    base = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if tick is None:
        return f"{base}Z"
    fraction = f"{moment.microsecond:06d}{tick % 10}".rstrip("0")
    return f"{base}.{fraction}Z" if fraction else f"{base}Z"


def service_principal(*, sp_id: str, app_id: str, display_name: str, tenant_id: str) -> dict[str, Any]:
    """A servicePrincipal with the properties a provisioning-capable gallery app usually has."""
    return {
        "id": sp_id,
        "deletedDateTime": None,
        "accountEnabled": True,
        "appDisplayName": display_name,
        "appId": app_id,
        "appOwnerOrganizationId": tenant_id,
        "displayName": display_name,
        "servicePrincipalNames": [app_id],
        "servicePrincipalType": "Application",
        "signInAudience": "AzureADMyOrg",
        "tags": ["WindowsAzureActiveDirectoryIntegratedApp"],
    }


def skiptoken(offset: int) -> str:
    """An opaque $skiptoken for the page that starts at `offset`."""
    return base64.urlsafe_b64encode(_TOKEN_MAGIC + offset.to_bytes(8, "big")).decode()


def skiptoken_offset(token: str) -> int:
    """The offset inside a token made by `skiptoken`; ValueError for anything else."""
    raw = base64.urlsafe_b64decode(token)
    if len(raw) != 12 or not raw.startswith(_TOKEN_MAGIC):
        raise ValueError(f"not a simulator skiptoken: {token!r}")
    return int.from_bytes(raw[4:], "big")


def service_principal_page(records: Sequence[Mapping[str, Any]], *, base_url: str, select: Sequence[str],
                           offset: int, top: int, echo: Mapping[str, str]) -> dict[str, Any]:
    """One page of GET /servicePrincipals. `$select` keeps only those properties plus id; the nextLink
    repeats the `echo` query options ($select, $top) and adds a $skiptoken, as Graph does."""
    page: dict[str, Any] = {"@odata.context": _sp_context(base_url, select)}
    if offset + top < len(records):
        query = {**echo, "$skiptoken": skiptoken(offset + top)}
        encoded = "&".join(f"{key}={quote(value, safe=',')}" for key, value in query.items())
        page["@odata.nextLink"] = f"{base_url}/servicePrincipals?{encoded}"
    page["value"] = [_project(record, select) for record in records[offset:offset + top]]
    return page


def service_principal_entity(record: Mapping[str, Any], *, base_url: str, select: Sequence[str]) -> dict[str, Any]:
    """The body of GET /servicePrincipals/{id}, honouring $select like the list."""
    return {"@odata.context": f"{_sp_context(base_url, select)}/$entity", **_project(record, select)}


def _sp_context(base_url: str, select: Sequence[str]) -> str:
    shape = f"({','.join(select)})" if select else ""
    return f"{base_url}/$metadata#servicePrincipals{shape}"


def _project(record: Mapping[str, Any], select: Sequence[str]) -> dict[str, Any]:
    return {key: value for key, value in record.items() if not select or key == "id" or key in select}


def _jobs_context(base_url: str, sp_id: str) -> str:
    return f"{base_url}/$metadata#servicePrincipals('{sp_id}')/synchronization/jobs"


def job_collection(base_url: str, sp_id: str, jobs: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """The body of GET /servicePrincipals/{id}/synchronization/jobs."""
    return {"@odata.context": _jobs_context(base_url, sp_id), "value": list(jobs)}


def job_entity(base_url: str, sp_id: str, job_json: Mapping[str, Any]) -> dict[str, Any]:
    """The body of GET /servicePrincipals/{id}/synchronization/jobs/{jobId}."""
    return {"@odata.context": f"{_jobs_context(base_url, sp_id)}/$entity", **job_json}


def sync_error(code: str, message: str, *, tenant_actionable: bool = True) -> dict[str, Any]:
    """A synchronizationError."""
    return {"code": code, "message": message, "tenantActionable": tenant_actionable}


def quarantine_error(reason: str, code: str | None, message: str | None) -> dict[str, Any]:
    """The synchronizationError for a quarantine, defaulting code and message from the reason."""
    default_code, default_message = _REASON_ERRORS.get(
        reason, (reason, f"The job was quarantined: {reason}."))
    return sync_error(code or default_code, message or default_message)


def execution(*, activity_id: str | None, began: datetime, ended: datetime, state: str,
              error: Mapping[str, Any] | None, escrowed: int = 0) -> dict[str, Any]:
    """A synchronizationTaskExecution; a successful run imports and exports a few entries."""
    moved = 3 if state == "Succeeded" else 0
    return {
        "activityIdentifier": activity_id,
        "countEntitled": ENTRY_COUNT,
        "countEntitledForProvisioning": ENTRY_COUNT,
        "countEscrowed": escrowed,
        "countEscrowedRaw": escrowed,
        "countExported": moved,
        "countExports": moved,
        "countImported": ENTRY_COUNT,
        "countImportedDeltas": moved,
        "countImportedReferenceDeltas": 0,
        "error": dict(error) if error else None,
        "state": state,
        "timeBegan": timestamp(began, tick=7),
        "timeEnded": timestamp(ended, tick=3),
    }


def quarantine(*, now: datetime, reason: str, series_began: str, series_count: int,
               error: Mapping[str, Any]) -> dict[str, Any]:
    """A synchronizationQuarantine; re-evaluation backs off to once a day, as Entra does."""
    backoff = min(timedelta(minutes=40) * 2 ** (series_count - 1), timedelta(days=1))
    return {
        "currentBegan": timestamp(now),
        "nextAttempt": timestamp(now + backoff),
        "reason": reason,
        "seriesBegan": series_began,
        "seriesCount": series_count,
        "error": dict(error),
    }


def schedule(*, state: str, interval: str = "PT40M", expiration: str | None = None) -> dict[str, Any]:
    """A synchronizationSchedule."""
    return {"expiration": expiration, "interval": interval, "state": state}


def _status(code: str, **fields: Any) -> dict[str, Any]:
    return {
        "code": code,
        "countSuccessiveCompleteFailures": 0,
        "escrowsPruned": False,
        "lastExecution": None,
        "lastSuccessfulExecution": None,
        "lastSuccessfulExecutionWithExports": None,
        "progress": [],
        "quarantine": None,
        "steadyStateFirstAchievedTime": NEVER,
        "steadyStateLastAchievedTime": NEVER,
        "synchronizedEntryCountByType": [],
        "troubleshootingUrl": None,
        **fields,
    }


def _run_window(now: datetime) -> tuple[datetime, datetime]:
    return now - timedelta(minutes=2, seconds=3, microseconds=632578), now - timedelta(microseconds=367420)


def _healthy(previous: Mapping[str, Any], code: str, now: datetime, activity_id: str) -> dict[str, Any]:
    began, ended = _run_window(now)
    run = execution(activity_id=activity_id, began=began, ended=ended, state="Succeeded", error=None)
    first = previous.get("steadyStateFirstAchievedTime")
    return _status(
        code,
        lastExecution=run,
        lastSuccessfulExecution=run,
        lastSuccessfulExecutionWithExports=run,
        steadyStateFirstAchievedTime=first if first and first != NEVER else run["timeEnded"],
        steadyStateLastAchievedTime=run["timeEnded"],
        synchronizedEntryCountByType=[{"key": "user to User", "value": ENTRY_COUNT}],
        troubleshootingUrl="",
    )


def _quarantined(previous: Mapping[str, Any], now: datetime, activity_id: str, reason: str,
                 error: Mapping[str, Any]) -> dict[str, Any]:
    prior = previous.get("quarantine") if previous.get("code") == "Quarantine" else None
    prior = prior if isinstance(prior, Mapping) else {}
    count = int(prior.get("seriesCount") or 0) + 1
    failures = int(previous.get("countSuccessiveCompleteFailures") or 0) + 1
    began, ended = _run_window(now)
    escrowed = 12 if "Escrow" in reason else 0
    return _status(
        "Quarantine",
        countSuccessiveCompleteFailures=failures,
        lastExecution=execution(activity_id=activity_id, began=began, ended=ended, state="Failed",
                                error=error, escrowed=escrowed),
        lastSuccessfulExecution=previous.get("lastSuccessfulExecution"),
        lastSuccessfulExecutionWithExports=previous.get("lastSuccessfulExecutionWithExports"),
        quarantine=quarantine(now=now, reason=reason, series_count=count, error=error,
                              series_began=prior.get("seriesBegan") or timestamp(now)),
        steadyStateFirstAchievedTime=previous.get("steadyStateFirstAchievedTime", NEVER),
        steadyStateLastAchievedTime=previous.get("steadyStateLastAchievedTime", NEVER),
        synchronizedEntryCountByType=previous.get("synchronizedEntryCountByType") or [],
    )


def next_status(previous: Mapping[str, Any] | None, *, code: str, now: datetime, activity_id: str,
                reason: str | None = None, error_code: str | None = None,
                error_message: str | None = None) -> dict[str, Any]:
    """The synchronizationStatus a job shows after moving from `previous` to `code` at `now`.

    Quarantine keeps seriesBegan and counts up seriesCount and failures while it lasts; Active and
    Paused show a succeeded last run; NotRun and NotConfigured show a job that never ran."""
    prev = previous or {}
    if code == "Quarantine":
        reason = reason or DEFAULT_QUARANTINE_REASON
        return _quarantined(prev, now, activity_id, reason, quarantine_error(reason, error_code, error_message))
    if code in HEALTHY_CODES:
        return _healthy(prev, code, now, activity_id)
    if code in NEVER_RUN_CODES:
        return _status(code)
    raise ValueError(f"unknown synchronizationStatusCode {code!r}")


def with_status(job: Mapping[str, Any], *, code: str, now: datetime, activity_id: str,
                reason: str | None = None, error_code: str | None = None,
                error_message: str | None = None) -> dict[str, Any]:
    """A copy of the synchronizationJob `job` (possibly just id and templateId) moved to status `code`:
    schedule.state follows the code, other schedule fields and settings are kept or defaulted."""
    previous = job.get("status") if isinstance(job.get("status"), Mapping) else None
    status = next_status(previous, code=code, now=now, activity_id=activity_id, reason=reason,
                         error_code=error_code, error_message=error_message)
    kept: Mapping[str, Any] = job["schedule"] if isinstance(job.get("schedule"), Mapping) else {}
    state = SCHEDULE_STATE[code]
    return {
        **job,
        "schedule": {**schedule(state=state), **kept, "state": state},
        "status": status,
        "synchronizationJobSettings": job.get("synchronizationJobSettings", [dict(s) for s in DEFAULT_SETTINGS]),
    }


def with_run(job: Mapping[str, Any], *, state: str, now: datetime, activity_id: str,
             error_code: str | None = None, escrowed: int = 0) -> dict[str, Any]:
    """A copy of `job` after one more run at `now`, its status code kept: a failed run counts up
    countSuccessiveCompleteFailures, a succeeded one resets it and becomes the last success."""
    status = dict(job.get("status") or _status("Active"))
    error = sync_error(error_code or "SynchronizationFailed", f"The run ended {state}.") if state != "Succeeded" else None
    began, ended = _run_window(now)
    run = execution(activity_id=activity_id, began=began, ended=ended, state=state, error=error, escrowed=escrowed)
    status["lastExecution"] = run
    if state == "Failed":
        status["countSuccessiveCompleteFailures"] = int(status.get("countSuccessiveCompleteFailures") or 0) + 1
    else:
        status["countSuccessiveCompleteFailures"] = 0
        status["lastSuccessfulExecution"] = run
    return {**job, "status": status}


def is_due(job: Mapping[str, Any], now: datetime) -> bool:
    """An Active job on an Active schedule whose interval has passed since its last run began."""
    status, plan = job.get("status") or {}, job.get("schedule") or {}
    interval = parse_iso_duration(plan.get("interval"))
    run = status.get("lastExecution") or {}
    if status.get("code") != "Active" or plan.get("state") != "Active" or interval is None or not run.get("timeBegan"):
        return False
    return datetime.fromisoformat(run["timeBegan"]) + min(interval, timedelta(days=3650)) <= now


def with_last_success(job: Mapping[str, Any], *, at: datetime, activity_id: str) -> dict[str, Any]:
    """A copy of `job` whose last (successful) run ended at `at`: a job that stopped running."""
    began, ended = _run_window(at)
    run = execution(activity_id=activity_id, began=began, ended=ended, state="Succeeded", error=None)
    status = {**(job.get("status") or _status("Active")), "lastExecution": run, "lastSuccessfulExecution": run,
              "lastSuccessfulExecutionWithExports": run}
    return {**job, "status": status}


def with_schedule(job: Mapping[str, Any], *, state: str | None = None, interval: str | None = None) -> dict[str, Any]:
    """A copy of `job` with its schedule's state and/or interval changed."""
    changed = {key: value for key, value in (("state", state), ("interval", interval)) if value is not None}
    return {**job, "schedule": {**(job.get("schedule") or schedule(state="Active")), **changed}}


def graph_error(code: str, message: str, *, now: datetime, request_id: str,
                client_request_id: str) -> dict[str, Any]:
    """Graph's JSON error body; innerError.date has no zone designator, as Graph prints it."""
    return {"error": {"code": code, "message": message, "innerError": {
        "date": timestamp(now).removesuffix("Z"),
        "request-id": request_id,
        "client-request-id": client_request_id,
    }}}


def throttled_error(*, now: datetime, request_id: str, client_request_id: str) -> dict[str, Any]:
    """The body of a throttled (429) answer, after the sample in Graph's throttling guidance: innerError
    repeats the status as code and status strings."""
    return {"error": {"code": ERROR_CODES[429], "message": "Please retry again later.", "innerError": {
        "code": "429",
        "date": timestamp(now).removesuffix("Z"),
        "message": "Please retry after",
        "request-id": request_id,
        "client-request-id": client_request_id,
        "status": "429",
    }}}
