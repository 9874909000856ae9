"""Adaptive Cards (version 1.5, the highest Teams renders) for people. Pure. No I/O.

A card answers, without opening anything else: which app and job, what changed, why, since when,
when Entra retries, how many runs failed. Every message stays under Teams' 28 KB limit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shared.events import Event
from shared.fit import fit, json_bytes
from shared.model import PAUSED, QUARANTINE, Severity

CARD_VERSION = "1.5"
MAX_MESSAGE_BYTES = 28 * 1024
MAX_ERROR_CHARS = 1000
MAX_NAME_CHARS = 200
MAX_DIGEST_ROWS = 10
_STYLE = {Severity.CRITICAL: "attention", Severity.WARNING: "warning", Severity.RESOLVED: "good", Severity.INFO: "accent"}
_COLOR = {Severity.CRITICAL: "attention", Severity.WARNING: "warning", Severity.RESOLVED: "good", Severity.INFO: "default"}
_RANK = (Severity.INFO, Severity.RESOLVED, Severity.WARNING, Severity.CRITICAL)
STATUS_KINDS = ("added", "removed", "statusChanged")
_ICON = {Severity.CRITICAL: "🚨", Severity.WARNING: "⚠️", Severity.RESOLVED: "✅", Severity.INFO: "ℹ️"}
_SCHEDULE_PHRASES = {
    "Disabled": "provisioning was disabled (Entra disables a job left in quarantine too long)",
    "Paused": "the provisioning schedule was paused",
    "Active": "the provisioning schedule is active again",
}
_DETAIL_LABELS = {
    "previousReason": "Previous reason", "reason": "Reason", "seriesBegan": "Series began",
    "seriesCount": "Attempts in this series", "count": "Failed runs in a row", "previousCount": "Before",
    "threshold": "Threshold crossed", "state": "", "errorCode": "Error code", "timeBegan": "Run began",
    "timeEnded": "Run ended", "lastSuccessAt": "Last success", "thresholdSeconds": "Allowed without success",
    "previousState": "Schedule was", "previousEscrowed": "In escrow before", "escrowed": "In escrow now",
    "factor": "Spike factor", "changes": "Status changes", "windowSeconds": "Counted over",
    "cooldownSeconds": "Quiet until stable for", "reminder": "Reminder", "quarantinedSince": "Quarantined since",
    "quarantinedSeconds": "Quarantined for",
}
QUARANTINE_REASONS = {
    "EncounteredBaseEscrowThreshold": "too many objects failed to provision (the base escrow threshold was reached)",
    "EncounteredTotalEscrowThreshold": "the total number of objects in error passed its threshold",
    "EncounteredEscrowProportionThreshold": "too large a share of the objects failed to provision",
    "EncounteredQuarantineException": "an error the job cannot get past by itself, often invalid credentials for the target app",
    "Unknown": "Entra gave no reason",
    "QuarantinedOnDemand": "the job was quarantined on request",
    "TooManyDeletes": "the run would delete more objects than the accidental-deletion threshold allows",
    "IngestionInterrupted": "ingestion of source data was interrupted",
}


@dataclass(frozen=True)
class Post:
    """One Teams message and the events it carries: they are delivered when it is accepted."""

    message: dict[str, Any]
    event_ids: frozenset[str]


def plan_posts(events: Sequence[Event], *, baseline: bool, digest_threshold: int) -> tuple[Post, ...]:
    """One card per event, one digest above the threshold, and at baseline one summary of unhealthy jobs."""
    if not events:
        return ()
    ids = frozenset(event.id for event in events)
    if baseline:
        unhealthy = [e for e in events if e.data["currentCode"] in (QUARANTINE, PAUSED)]
        return (Post(teams_message(baseline_card(unhealthy, watched=len(events))), ids),) if unhealthy else ()
    if len(events) > digest_threshold:
        return (Post(teams_message(digest_card(events)), ids),)
    return tuple(Post(teams_message(transition_card(event)), frozenset({event.id})) for event in events)


def teams_message(card: dict[str, Any]) -> dict[str, Any]:
    """The Workflows webhook body, shrunk if needed so it stays under 28 KB."""
    message = {
        "type": "message",
        "attachments": [{"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None, "content": card}],
    }
    return message if json_bytes(message) <= MAX_MESSAGE_BYTES else fit(message, MAX_MESSAGE_BYTES)


def transition_card(event: Event) -> dict[str, Any]:
    data = event.data
    status = data["status"]
    body: list[dict[str, Any]] = [_header(event.severity, _title(event), _subtitle(data)), _facts(_transition_facts(data))]
    message = _error_message(status)
    if message:
        body.append(_text(message, wrap=True, isSubtle=True, size="small"))
    return _card(body, _actions(data))


def digest_card(events: Sequence[Event]) -> dict[str, Any]:
    worst = max((e.severity for e in events), key=_RANK.index)
    title = f"{len(events)} provisioning changes"
    return _card([_header(worst, title, _tenant_line(events)), *_rows(events)], [])


def baseline_card(unhealthy: Sequence[Event], *, watched: int) -> dict[str, Any]:
    worst = max((e.severity for e in unhealthy), key=_RANK.index)
    title = f"syncwatch is now watching {watched} provisioning jobs: {len(unhealthy)} need attention"
    return _card([_header(worst, title, _tenant_line(unhealthy)), *_rows(unhealthy)], [])


def health_card(*, unhealthy: bool, failures: int, problem: str, tenant_id: str) -> dict[str, Any]:
    """syncwatch about itself: failing ticks nobody else would notice, and their end."""
    if unhealthy:
        header = _header(Severity.CRITICAL, f"⚠️ syncwatch is unhealthy: {failures} ticks in a row failed",
                         f"Tenant {tenant_id} · provisioning transitions may go unreported until this is fixed")
        return _card([header, _facts([("Cause", _clip(problem or "unknown", MAX_ERROR_CHARS)), ("What to do", _remedy(problem))])], [])
    header = _header(Severity.RESOLVED, "✅ syncwatch is healthy again", f"Tenant {tenant_id} · ticks succeed again")
    return _card([header], [])


def _remedy(problem: str) -> str:
    if "403" in problem:
        return "Grant the identity Application.Read.All and Synchronization.Read.All (an administrator), see docs/deploy.md"
    if "401" in problem:
        return "Check the managed identity or credential syncwatch signs in with"
    if "storage" in problem:
        return "Check the storage account, its firewall, and the identity's table and queue roles"
    return "Run `python -m shared check` with the Function's settings and follow its lines"


def _title(event: Event) -> str:
    data = event.data
    app = _name(data)
    if event.kind in STATUS_KINDS:
        return _status_title(event, app)
    return f"{_ICON[event.severity]} {app}: {_finding(event)}"


def _status_title(event: Event, app: str) -> str:
    before, after = event.data["previousCode"], event.data["currentCode"]
    if after is None:
        return f"🗑️ {app}: provisioning job removed"
    if after == QUARANTINE:
        return f"🚨 {app}: provisioning is in quarantine"
    if event.severity is Severity.RESOLVED:
        return f"✅ Resolved: {app} provisioning left quarantine (now {after})"
    if after == PAUSED:
        return f"⏸️ {app}: provisioning is paused"
    if before is None:
        return f"➕ Now watching {app} provisioning ({after})"
    return f"ℹ️ {app}: provisioning is now {after} (was {before})"


def _finding(event: Event) -> str:
    """What a health rule or noise control found, in words; the card's facts give the figures."""
    d = event.data.get("details") or {}
    resolved = event.severity is Severity.RESOLVED
    match event.kind:
        case "quarantineReasonChanged":
            return f"quarantine reason changed to {d.get('reason') or 'Unknown'}"
        case "quarantineSeriesStarted":
            return "a new series of quarantine attempts began"
        case "failureStreak":
            return "provisioning runs succeed again" if resolved else f"{d.get('count')} provisioning runs failed in a row"
        case "executionFailed":
            return "the last run failed" if d.get("state") == "Failed" else "the last run had errors on some objects"
        case "stalled":
            return "provisioning runs again" if resolved else f"no successful run for {_since(d.get('lastSuccessAt'), event)}"
        case "scheduleChanged":
            return _SCHEDULE_PHRASES.get(d.get("state") or "", f"the schedule is now {d.get('state')}")
        case "escrowSpike":
            return f"objects in escrow jumped from {d.get('previousEscrowed')} to {d.get('escrowed')}"
        case "flapping":
            return "provisioning is stable again" if resolved else (
                f"flapping ({d.get('changes')} status changes); cards pause until it is stable for "
                f"{_duration(d.get('cooldownSeconds'))}")
        case "quarantineReminder":
            return f"still in quarantine after {_duration(d.get('quarantinedSeconds'))} (reminder {d.get('reminder')})"
    return f"{event.kind}"


def _subtitle(data: dict[str, Any]) -> str:
    return f"Job {data.get('templateId') or '?'} · detected {_when(data['detectedAt'])}"


def _transition_facts(data: dict[str, Any]) -> list[tuple[str, str]]:
    status = data["status"]
    change = f"{data['previousCode'] or '—'} → {data['currentCode'] or '—'}"
    details = _detail_facts(data.get("details") or {})
    facts = [("App", _name(data)), ("Job", data["jobId"]), *(details or [("Change", change)])]
    if details:
        facts.append(("Status", data["currentCode"] or "—"))
    quarantine = status.get("quarantine") or {}
    if data["currentCode"] == QUARANTINE and quarantine:
        facts += _quarantine_facts(quarantine)
    failures = status.get("countSuccessiveCompleteFailures")
    if failures is not None:
        facts.append(("Failed runs in a row", str(failures)))
    last = status.get("lastExecution") or {}
    if last.get("timeBegan") or last.get("state"):
        facts.append(("Last run", f"{_when(last.get('timeEnded') or last.get('timeBegan'))} · {last.get('state') or '?'}"))
    return facts


def _detail_facts(details: dict[str, Any]) -> list[tuple[str, str]]:
    """The kind's own figures, labelled for people; the error message has its own block below."""
    facts = []
    for key, value in details.items():
        if value is None or key not in _DETAIL_LABELS or value in ("began", "ended"):  # the title says which
            continue
        if key == "state":
            facts.append(("Schedule now" if "previousState" in details else "Run result", str(value)))
            continue
        if key.endswith("Seconds"):
            value = _duration(value)
        elif key.endswith(("At", "Began", "Ended", "Since")):
            value = _when(value)
        facts.append((_DETAIL_LABELS[key], str(value)))
    return facts


def _quarantine_facts(quarantine: dict[str, Any]) -> list[tuple[str, str]]:
    reason = quarantine.get("reason") or "Unknown"
    facts = [("Reason", f"{reason}: {QUARANTINE_REASONS.get(reason, 'a reason this version of syncwatch does not know')}")]
    error = quarantine.get("error") or {}
    if error.get("code"):
        facts.append(("Error code", error["code"]))
    facts.append(("Quarantined since", _when(quarantine.get("seriesBegan") or quarantine.get("currentBegan"))))
    facts.append(("Next retry", _when(quarantine.get("nextAttempt"))))
    return facts


def _error_message(status: dict[str, Any]) -> str | None:
    for source in (status.get("quarantine") or {}, status.get("lastExecution") or {}):
        message = (source.get("error") or {}).get("message")
        if message:
            return _clip(message, MAX_ERROR_CHARS)
    return None


def _actions(data: dict[str, Any]) -> list[dict[str, Any]]:
    actions = []
    if data.get("troubleshootingUrl"):
        actions.append(_open_url("Troubleshoot", data["troubleshootingUrl"]))
    actions.append(_open_url("Open provisioning in Entra", data["portalUrl"]))
    return actions


def _rows(events: Sequence[Event]) -> list[dict[str, Any]]:
    ordered = sorted(events, key=lambda e: _RANK.index(e.severity), reverse=True)
    rows = [
        _text(f"**{_name(e.data)}** · {e.data.get('templateId') or '?'}: {_row_change(e)} · [open]({e.data['portalUrl']})",
              wrap=True, color=_COLOR[e.severity])
        for e in ordered[:MAX_DIGEST_ROWS]
    ]
    if len(ordered) > MAX_DIGEST_ROWS:
        rows.append(_text(f"…and {len(ordered) - MAX_DIGEST_ROWS} more", isSubtle=True))
    return rows


def _row_change(event: Event) -> str:
    if event.kind in STATUS_KINDS:
        return f"{event.data['previousCode'] or '—'} → {event.data['currentCode'] or '—'}"
    return _finding(event)


def _tenant_line(events: Sequence[Event]) -> str:
    return f"Tenant {events[0].data['tenantId']} · detected {_when(events[0].data['detectedAt'])}"


def _header(severity: Severity, title: str, subtitle: str) -> dict[str, Any]:
    return {
        "type": "Container", "style": _STYLE[severity], "bleed": True,
        "items": [_text(title, weight="Bolder", size="Medium", wrap=True), _text(subtitle, isSubtle=True, spacing="None", wrap=True)],
    }


def _facts(facts: list[tuple[str, str]]) -> dict[str, Any]:
    """The first fact of each title wins: a kind's own figure over the same one read from the status."""
    unique: dict[str, str] = {}
    for title, value in facts:
        unique.setdefault(title, value)
    return {"type": "FactSet", "facts": [{"title": title, "value": value} for title, value in unique.items()]}


def _text(text: str, **options: Any) -> dict[str, Any]:
    return {"type": "TextBlock", "text": text, **options}


def _open_url(title: str, url: str) -> dict[str, Any]:
    return {"type": "Action.OpenUrl", "title": title, "url": url}


def _card(body: list[dict[str, Any]], actions: list[dict[str, Any]]) -> dict[str, Any]:
    card: dict[str, Any] = {
        "type": "AdaptiveCard",
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "version": CARD_VERSION,
        "body": body,
        "msteams": {"width": "Full"},
    }
    if actions:
        card["actions"] = actions
    return card


def _name(data: dict[str, Any]) -> str:
    return _clip(data.get("servicePrincipalName") or data["servicePrincipalId"], MAX_NAME_CHARS)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _duration(seconds: object) -> str:
    """3 d 4 h, 5 h, 40 min: the largest unit and the next unless it is 0, which is all a reader takes in."""
    if not isinstance(seconds, int):
        return "unknown"
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    parts = [(days, "d"), (hours, "h"), (rest // 60, "min")]
    first = next((index for index, (amount, _) in enumerate(parts) if amount), None)
    if first is None:
        return f"{seconds} s"
    shown = [part for part in parts[first : first + 2] if part[0]]  # the first is never 0
    return " ".join(f"{amount} {unit}" for amount, unit in shown)


def _since(timestamp: str | None, event: Event) -> str:
    try:
        seconds = datetime.fromisoformat(event.data["detectedAt"]) - datetime.fromisoformat(timestamp or "")
    except (TypeError, ValueError):
        return "too long"
    return _duration(int(seconds.total_seconds()))


def _when(timestamp: str | None) -> str:
    if not timestamp:
        return "unknown"
    try:
        return datetime.fromisoformat(timestamp).strftime("%Y-%m-%d %H:%M UTC")
    except ValueError:
        return timestamp
