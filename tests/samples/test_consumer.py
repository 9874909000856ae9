"""The consumer sample, fed real messages that a tick put on Azurite, decoded the way the Functions host does."""

from __future__ import annotations

import base64
import importlib.util
import json
import logging
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from azure.functions.queue import QueueMessage
from azure.storage.queue import QueueClient

from shared.simulator.scenarios import DemoTenant
from tests.integration.ticks import tick

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "samples" / "consumer"
Body = Callable[[QueueMessage], None]


@pytest.fixture(scope="module")
def sample() -> Iterator[ModuleType]:
    """samples/consumer/function_app.py under a name of its own (the repo root has a function_app.py too)."""
    sys.path.insert(0, str(SAMPLE))  # as the host does: the app's folder, for `import consumer`
    spec = importlib.util.spec_from_file_location("sample_consumer_function_app", SAMPLE / "function_app.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.path.remove(str(SAMPLE))
        sys.modules.pop("consumer", None)


@pytest.fixture(scope="module")
def body(sample: ModuleType) -> Body:
    [function] = sample.app.get_functions()  # may be called once per FunctionApp
    trigger = function.get_bindings()[0]
    assert trigger.type == "queueTrigger" and trigger.queue_name == "%TRANSITIONS_QUEUE%"
    assert trigger.connection == "AzureWebJobsStorage"
    return function.get_user_function()


@pytest.fixture
def consumer_env(sample: ModuleType, azurite, monkeypatch) -> Iterator[None]:
    """The app settings the host would give the sample, with a dedupe table of the test's own."""
    monkeypatch.setenv("AzureWebJobsStorage", azurite.connection_string)
    monkeypatch.setenv("DEDUPE_TABLE", f"dedupe{uuid.uuid4().hex[:10]}")
    sample.dedupe_store.cache_clear()
    yield
    sample.dedupe_store.cache_clear()


@pytest.fixture
def messages(settings, sim) -> list[QueueMessage]:
    """A baseline tick (7 added), Salesforce quarantined, a second tick (its statusChanged and the three facts that
    come with a quarantine, types this consumer does not know): as the host delivers them."""
    tenant = DemoTenant(sim)
    tick(settings, sim)
    sim.set_status(tenant.salesforce, tenant.salesforce_job, code="Quarantine")
    tick(settings, sim)
    client = QueueClient.from_connection_string(settings.storage.connection_string, settings.transitions_queue)
    with client:
        received = list(client.receive_messages(max_messages=32))
    return [host_message(raw.content.encode(), raw.id, raw.dequeue_count) for raw in received]


def host_message(text: bytes, message_id: str = "m1", dequeue_count: int = 1) -> QueueMessage:
    """What the host passes with messageEncoding base64: the host's QueueMessage class, with the decoded bytes."""
    return QueueMessage(id=message_id, body=base64.b64decode(text, validate=True), dequeue_count=dequeue_count)


def event_of(message: QueueMessage) -> dict[str, Any]:
    return json.loads(message.get_body())


def quarantine(messages: list[QueueMessage]) -> QueueMessage:
    [found] = [m for m in messages if event_of(m)["type"] == "syncwatch.job.statusChanged"]
    return found


def altered(message: QueueMessage, change: Callable[[dict[str, Any]], None]) -> QueueMessage:
    event = event_of(message)
    change(event)
    return host_message(base64.b64encode(json.dumps(event).encode()))


def incidents(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.getMessage().startswith("open_incident PLACEHOLDER")]


def test_only_active_to_quarantine_opens_an_incident(body, consumer_env, messages, caplog):
    caplog.set_level(logging.INFO)
    assert len(messages) == 7 + 4
    for message in messages:
        body(message)
    [incident] = incidents(caplog)
    assert "Salesforce" in incident and event_of(quarantine(messages))["id"] in incident
    assert sum(r.getMessage().endswith(": processed") for r in caplog.records) == 7
    assert sum("unknown to this consumer, ignored" in r.getMessage() for r in caplog.records) == 3


def test_a_redelivered_event_reacts_once(body, consumer_env, messages, caplog):
    caplog.set_level(logging.INFO)
    body(quarantine(messages))
    body(quarantine(messages))
    assert len(incidents(caplog)) == 1
    assert caplog.records[-1].getMessage().endswith(": duplicate")


def test_a_failed_reaction_is_retried(sample, consumer_env, messages):
    consumer = sample.consumer
    store = sample.dedupe_store()
    message = quarantine(messages).get_body()

    def broken(event: Any) -> None:
        raise ConnectionError("ITSM down")

    with pytest.raises(ConnectionError):
        consumer.handle(message, seen=store, react=broken)
    assert consumer.handle(message, seen=store, react=consumer.open_incident) == consumer.Outcome.REACTED


def test_an_unknown_future_type_is_ignored(body, consumer_env, messages, caplog):
    caplog.set_level(logging.INFO)
    body(altered(messages[0], lambda e: e.update(type="syncwatch.job.somethingNew", data={"new": True})))
    assert "syncwatch.job.somethingNew is unknown to this consumer, ignored" in caplog.text
    assert incidents(caplog) == []


@pytest.mark.parametrize("text, problem", [
    (base64.b64encode(b"\xff{not json"), r"^invalid event \(id unreadable\): not JSON"),
    (base64.b64encode(b'{"id": "e1", "type": "syncwatch.job.added"}'), r"^invalid event e1: not a CloudEvent"),
])
def test_a_corrupt_body_raises_one_line(body, consumer_env, sample, text, problem):
    with pytest.raises(sample.consumer.InvalidEvent, match=problem) as raised:
        body(host_message(text))
    assert "\n" not in str(raised.value)


def test_an_event_breaking_the_schema_raises_naming_its_id(body, consumer_env, messages):
    message = altered(quarantine(messages), lambda e: e["data"].pop("jobId"))
    event_id = event_of(message)["id"]
    with pytest.raises(ValueError, match=rf"^invalid event {event_id}: data: 'jobId' is a required property$"):
        body(message)


def test_the_schema_copy_is_identical():
    shipped = (REPO / "shared" / "schemas" / "job-event.v1.schema.json").read_bytes()
    assert (SAMPLE / "job-event.v1.schema.json").read_bytes() == shipped


def test_identity_based_storage_needs_no_key(sample):
    client = sample.consumer.table_client(
        {"AzureWebJobsStorage__accountName": "stsyncwatch", "AzureWebJobsStorage__clientId": str(uuid.uuid4())}
    )
    assert client.url.startswith("https://stsyncwatch.table.core.windows.net")
    assert client.table_name == "consumerdedupe"
