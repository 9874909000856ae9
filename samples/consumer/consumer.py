"""The consumer's logic, free of the Functions host: read, validate, dedupe, react.

`handle` takes the body the host hands over (already base64-decoded), so it runs the same in tests.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from contextlib import suppress
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol

from azure.core.exceptions import ResourceExistsError, ResourceNotFoundError
from azure.data.tables import TableClient
from cloudevents.core.base import BaseCloudEvent
from cloudevents.core.exceptions import BaseCloudEventException
from cloudevents.core.formats.json import JSONFormat
from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

# A copy of syncwatch's shared/schemas/job-event.v1.schema.json; it must stay byte-for-byte identical.
SCHEMA_PATH = Path(__file__).with_name("job-event.v1.schema.json")
VALIDATOR = Draft202012Validator(json.loads(SCHEMA_PATH.read_bytes()))
TYPE_PREFIX = "syncwatch.job."
KNOWN_TYPES = frozenset(TYPE_PREFIX + kind for kind in ("statusChanged", "added", "removed"))
DEFAULT_TABLE = "consumerdedupe"

log = logging.getLogger("syncwatch.consumer")
Reaction = Callable[[BaseCloudEvent], None]


class Outcome(StrEnum):
    REACTED = "reacted"  # a new event that called for a reaction
    PROCESSED = "processed"  # a new event, nothing to do
    DUPLICATE = "duplicate"  # its id was seen before: at-least-once delivery
    IGNORED = "ignored"  # a syncwatch.job.* type this consumer does not know yet


class InvalidEvent(ValueError):
    """Raised so the host retries the message, then moves it to `<queue>-poison`."""

    def __init__(self, event_id: object, problem: str) -> None:
        name = f"event {event_id}" if isinstance(event_id, str) else "event (id unreadable)"
        super().__init__(f"invalid {name}: {' '.join(problem.split())[:300]}")


class DedupeStore(Protocol):
    def claim(self, event_id: str) -> bool:
        """True for the first claim of an id, False for every later one."""

    def release(self, event_id: str) -> None:
        """Forgets a claim, so a retried message is handled again."""


def handle(body: bytes, *, seen: DedupeStore, react: Reaction) -> Outcome:
    """One message. Raises InvalidEvent for a body that is not a valid job event."""
    event, document = read(body)
    event_id, event_type = event.get_id(), event.get_type()
    if event_type not in KNOWN_TYPES and event_type.startswith(TYPE_PREFIX):
        log.info("event %s: type %s is unknown to this consumer, ignored", event_id, event_type)
        return Outcome.IGNORED
    validate(event_id, document)
    if not seen.claim(event_id):
        log.info("event %s: duplicate, skipped", event_id)
        return Outcome.DUPLICATE
    if not is_new_quarantine(document["data"]):
        return Outcome.PROCESSED
    try:
        react(event)
    except Exception:
        seen.release(event_id)  # the host retries the message: let the retry react
        raise
    return Outcome.REACTED


def read(body: bytes) -> tuple[BaseCloudEvent, dict[str, Any]]:
    """The CloudEvent (parsed by the SDK) and the raw JSON object (for the schema)."""
    try:
        document = json.loads(body)
    except ValueError as error:  # not UTF-8, or not JSON
        raise InvalidEvent(None, f"not JSON ({error})") from error
    if not isinstance(document, dict):
        raise InvalidEvent(None, "not a JSON object")
    try:
        return JSONFormat().read(None, body), document
    except (BaseCloudEventException, ValueError, TypeError) as error:
        raise InvalidEvent(document.get("id"), f"not a CloudEvent ({error})") from error


def validate(event_id: str, document: dict[str, Any]) -> None:
    error = best_match(VALIDATOR.iter_errors(document))
    if error is not None:
        where = "/".join(str(part) for part in error.absolute_path)
        raise InvalidEvent(event_id, f"{where}: {error.message}" if where else error.message)


def is_new_quarantine(data: Mapping[str, Any]) -> bool:
    return data["previousCode"] == "Active" and data["currentCode"] == "Quarantine"


def open_incident(event: BaseCloudEvent) -> None:
    """PLACEHOLDER for your ITSM call (ServiceNow, Jira, PagerDuty…): this sample only logs.

    Pass the event id as the incident's correlation id, so the ITSM side can refuse a second one too.
    """
    data: Any = event.get_data()
    reason = ((data["status"] or {}).get("quarantine") or {}).get("reason")
    log.warning(
        "open_incident PLACEHOLDER: %s / %s went Active → Quarantine (reason %s), event %s, %s",
        data["servicePrincipalName"], data["jobId"], reason, event.get_id(), data["portalUrl"],
    )


class TableDedupeStore:
    """One row per event id in an Azure Table. Insert-only: of two instances racing on one id, one wins."""

    def __init__(self, table: TableClient) -> None:
        self._table = table

    def claim(self, event_id: str) -> bool:
        try:
            self._insert({"PartitionKey": _partition(event_id), "RowKey": event_id})
        except ResourceExistsError:
            return False
        return True

    def release(self, event_id: str) -> None:
        self._table.delete_entity(_partition(event_id), event_id)

    def _insert(self, entity: dict[str, str]) -> None:
        try:
            self._table.create_entity(entity)
        except ResourceNotFoundError:  # first use: create the table
            with suppress(ResourceExistsError):  # another instance just did
                self._table.create_table()
            self._table.create_entity(entity)


def _partition(event_id: str) -> str:
    """From the id alone, so a redelivery always finds the row (the event time may differ on re-detection)."""
    return event_id[:2]


def table_client(environ: Mapping[str, str]) -> TableClient:
    """The dedupe table in the trigger's own AzureWebJobsStorage: a connection string or identity-based."""
    table = environ.get("DEDUPE_TABLE") or DEFAULT_TABLE
    if connection := environ.get("AzureWebJobsStorage"):
        return TableClient.from_connection_string(connection, table)
    from azure.identity import DefaultAzureCredential  # only identity-based connections need it

    endpoint = environ.get("AzureWebJobsStorage__tableServiceUri") or (
        f"https://{environ['AzureWebJobsStorage__accountName']}.table.core.windows.net"
    )
    credential = DefaultAzureCredential(managed_identity_client_id=environ.get("AzureWebJobsStorage__clientId"))
    return TableClient(endpoint, table, credential=credential)
