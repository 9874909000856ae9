"""Transitions become CloudEvents 1.0 for queue consumers. Pure. No I/O.

An event id is a digest of what was observed before and after, so the same transition detected again
(after a crash before the commit) carries the same id, and consumers can drop the duplicate.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shared.cloud import Cloud
from shared.fit import fit, json_bytes
from shared.graph_json import TRUNCATED, format_timestamp, to_graph_json
from shared.model import JobKey, Severity, Transition

SCHEMA_VERSION = 1
SCHEMA_FILE = "job-event.v1.schema.json"
DATASCHEMA = f"urn:syncwatch:schema:{SCHEMA_FILE}"
TYPE_PREFIX = "syncwatch.job."
# A queue message is 64 KiB after base64, which leaves 48 KiB of JSON; keep room for the envelope.
MAX_DATA_BYTES = 46 * 1024
MAX_FIELD_CHARS = 256
_DROPPABLE_LISTS = ("progress", "synchronizedEntryCountByType")


@dataclass(frozen=True)
class EventContext:
    tenant_id: str
    cloud: Cloud
    detected_at: datetime


@dataclass(frozen=True)
class Event:
    """A CloudEvent's attributes and data, plus the job it belongs to (not serialised)."""

    id: str
    type: str
    source: str
    subject: str
    time: datetime
    data: dict[str, Any]
    key: JobKey
    severity: Severity
    withheld: str | None = None  # why people are not told (muted, flapping, inhibited); programs always are

    @property
    def kind(self) -> str:
        return self.type.removeprefix(TYPE_PREFIX)

    def attributes(self) -> dict[str, Any]:
        return {
            "specversion": "1.0",
            "id": self.id,
            "source": self.source,
            "type": self.type,
            "subject": self.subject,
            "time": self.time,
            "datacontenttype": "application/json",
            "dataschema": DATASCHEMA,
        }


def build_event(transition: Transition, context: EventContext) -> Event:
    job = transition.job
    sp = job.service_principal
    event_type = TYPE_PREFIX + transition.kind.value
    previous_code = transition.previous.code if transition.previous else None
    current_code = transition.current.code if transition.current else None
    status = to_graph_json(job.status)
    data = {
        "schemaVersion": SCHEMA_VERSION,
        "tenantId": context.tenant_id,
        "servicePrincipalId": sp.id,
        "servicePrincipalName": shorten(sp.display_name),
        "appId": shorten(sp.app_id),
        "jobId": job.id,
        "templateId": shorten(job.template_id),
        "previousCode": shorten(previous_code),
        "currentCode": shorten(current_code),
        "severity": transition.severity.value,
        "detectedAt": format_timestamp(context.detected_at),
        "details": dict(transition.details),
        "status": status,
        "troubleshootingUrl": job.status.troubleshooting_url,
        "portalUrl": context.cloud.provisioning_page(sp.id, sp.app_id),
    }
    # The previous status tells apart two real transitions with the same codes and the same new status
    # (Active -> NotRun twice): consumers drop repeated ids, so a repeat must really be the same transition.
    previous_status = to_graph_json(transition.previous.status) if transition.previous else None
    identity = [context.tenant_id, sp.id, job.id, event_type, previous_code, current_code, status, previous_status]
    if transition.details:  # a reminder repeats the same statuses: its number tells it apart
        identity.append(dict(transition.details))
    return Event(
        id=_digest_id(identity),
        type=event_type,
        source=f"/tenants/{context.tenant_id}/servicePrincipals/{sp.id}/synchronization/jobs/{job.id}",
        subject=job.id,
        time=context.detected_at,
        data=fit_data(data),
        key=job.key,
        severity=transition.severity,
        withheld=transition.withheld,
    )


def event_to_record(event: Event) -> dict[str, Any]:
    """A JSON-ready form of the whole event, for the outbox."""
    return {**event.attributes(), "time": format_timestamp(event.time), "data": event.data,
            "servicePrincipalId": event.key.service_principal_id, "jobId": event.key.job_id,
            "severity": event.severity.value}


def event_from_record(record: dict[str, Any]) -> Event:
    return Event(
        id=record["id"], type=record["type"], source=record["source"], subject=record["subject"],
        time=datetime.fromisoformat(record["time"]), data=record["data"],
        key=JobKey(record["servicePrincipalId"], record["jobId"]), severity=Severity(record["severity"]),
    )


def fit_data(data: dict[str, Any]) -> dict[str, Any]:
    """Within MAX_DATA_BYTES: the status's long strings are capped first, then its long lists dropped."""
    budget = MAX_DATA_BYTES - json_bytes({**data, "status": None})
    status = fit(data["status"], budget)
    if json_bytes(status) > budget:
        status = {key: value for key, value in status.items() if key not in _DROPPABLE_LISTS}
    return {**data, "status": status}


def shorten(text: str | None) -> str | None:
    """Names and codes outside `status` are not shrunk by fit_data, so they are kept short here."""
    if text is None or len(text) <= MAX_FIELD_CHARS:
        return text
    return text[: MAX_FIELD_CHARS - len(TRUNCATED)] + TRUNCATED


def _digest_id(identity: list[Any]) -> str:
    digest = hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()
    return str(uuid.UUID(hex=digest[:32]))
