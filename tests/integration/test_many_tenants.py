"""Many tenants through the real enqueue → queue-trigger path: the timer body puts work items on Azurite, the
queue trigger's body runs them as the host would hand them over (base64-decoded, with a dequeue count). Each
tenant is a Graph simulator of its own, with its own throttling bucket."""

import asyncio
import base64
import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from azure.functions.queue import QueueMessage
from azure.functions.timer import TimerRequest
from azure.storage.queue import QueueClient

from shared.errors import SettingsError
from shared.fanout import read_every_health
from shared.settings import load_settings
from shared.simulator.graph import GraphSimulator
from shared.simulator.scenarios import DemoTenant
from tests.integration.functions import functions
from tests.integration.queue_reader import queued_events
from tests.integration.test_cli import cli

NAMES = ("Contoso", "Fabrikam", "Northwind")


@pytest.fixture
def tenants() -> Iterator[dict[str, tuple[GraphSimulator, DemoTenant]]]:
    sims = {name: GraphSimulator().start() for name in NAMES}
    for sim in sims.values():
        sim.clock = datetime.now(UTC)  # the function bodies tick at the wall clock: their jobs ran just now
    try:
        yield {name: (sim, DemoTenant(sim)) for name, sim in sims.items()}
    finally:
        for sim in sims.values():
            sim.stop()


@pytest.fixture
def many(environ, tenants, teams, monkeypatch):
    """App settings watching three tenants; Fabrikam has a Teams route of its own."""
    watch = [{"tenantId": sim.tenant_id, "displayName": name, "graphBaseUrl": sim.base_url} for name, (sim, _) in tenants.items()]
    watch[1]["teamsRoutes"] = [{"name": "fabrikam", "urlSetting": "TEAMS_URL_FABRIKAM", "minSeverity": "warning"}]
    values = {**environ, "WATCH_TENANTS": json.dumps(watch), "WORK_QUEUE": f"work-{environ['TRANSITIONS_QUEUE'][-10:]}",
              "TEAMS_WEBHOOK_URL": teams.new_webhook("noc"), "TEAMS_URL_FABRIKAM": teams.new_webhook("fabrikam")}
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return values


def timer() -> None:
    asyncio.run(functions()["poll"].get_user_function()(TimerRequest(past_due=False)))


def work_messages(settings) -> list[QueueMessage]:
    """The work items on the queue, as the host hands them to the trigger (received, so they are invisible)."""
    client = QueueClient.from_connection_string(settings.storage.connection_string, settings.work_queue)
    with client:
        received = list(client.receive_messages(max_messages=32))
    return [QueueMessage(id=m.id, body=base64.b64decode(m.content), dequeue_count=m.dequeue_count) for m in received]


def trigger(message: QueueMessage) -> None:
    asyncio.run(functions()["tick_tenant"].get_user_function()(message))


def by_tenant(events) -> dict[str, int]:
    counts: dict[str, int] = {}
    for event in events:
        counts[event["data"]["tenantId"]] = counts.get(event["data"]["tenantId"], 0) + 1
    return counts


def test_the_timer_only_enqueues_and_the_trigger_ticks_each_tenant(many, tenants, caplog):
    settings = load_settings(many)
    caplog.set_level(logging.INFO)
    timer()
    assert not any("tick " in r.getMessage() for r in caplog.records)  # the timer ticked nobody itself
    messages = work_messages(settings)
    assert sorted(json.loads(m.get_body())["tenantId"] for m in messages) == sorted(sim.tenant_id for sim, _ in tenants.values())
    for message in messages:
        trigger(message)
    counts = by_tenant(queued_events(settings))
    assert counts == {sim.tenant_id: 7 for sim, _ in tenants.values()}  # each tenant's baseline, tagged with it
    assert sum("tick " in r.getMessage() and "(baseline)" in r.getMessage() for r in caplog.records) == 3
    ticks = [r.custom_dimensions for r in caplog.records if getattr(r, "custom_dimensions", {}).get("event") == "tick"]
    assert sorted(t["tenant_id"] for t in ticks) == sorted(sim.tenant_id for sim, _ in tenants.values())


def test_replaying_a_work_item_delivers_nothing_twice(many, tenants, teams):
    settings = load_settings(many)
    timer()
    [first, *rest] = work_messages(settings)
    for message in (first, *rest):
        trigger(message)
    queued_events(settings)
    sim, demo = next(pair for pair in tenants.values() if pair[0].tenant_id == json.loads(first.get_body())["tenantId"])
    sim.set_status(demo.salesforce, demo.salesforce_job, code="Quarantine")
    timer()
    again = [m for m in work_messages(settings) if json.loads(m.get_body())["tenantId"] == sim.tenant_id]
    trigger(again[0])
    delivered = queued_events(settings)
    posts = len(teams.posts("noc"))
    trigger(again[0])  # the host hands the same item over again (e.g. its first run's host died after the tick)
    assert queued_events(settings) == [] and len(teams.posts("noc")) == posts
    assert {e["data"]["tenantId"] for e in delivered} == {sim.tenant_id} and len(delivered) == 4


def test_one_tenant_failing_never_holds_up_the_others(many, tenants):
    settings = load_settings(many)
    revoked, _ = tenants["Northwind"]
    revoked.fail("/servicePrincipals", status=403, times=1000)  # consent revoked
    timer()
    for message in work_messages(settings):
        trigger(message)
    counts = by_tenant(queued_events(settings))
    assert counts == {sim.tenant_id: 7 for name, (sim, _) in tenants.items() if name != "Northwind"}
    body, healthy = asyncio.run(read_every_health(settings))
    health = {entry["displayName"]: entry for entry in body["tenants"]}
    assert not healthy and health["Northwind"]["consecutiveFailures"] == 1 and "403" in health["Northwind"]["lastProblem"]
    assert health["Contoso"]["consecutiveFailures"] == 0 and health["Contoso"]["lastSuccessAt"]


def test_each_tenant_has_its_own_routes_and_the_global_route_hears_every_tenant(many, tenants, teams):
    settings = load_settings(many)
    timer()
    for message in work_messages(settings):
        trigger(message)
    for name, (sim, demo) in tenants.items():
        sim.set_status(demo.servicenow, demo.servicenow_job, code="Paused")
    timer()
    for message in work_messages(settings):
        trigger(message)
    assert len(teams.posts("noc")) == 3 and len(teams.posts("fabrikam")) == 1
    events = queued_events(settings)
    assert {e["data"]["tenantId"] for e in events if e["type"] == "syncwatch.job.statusChanged"} == {
        sim.tenant_id for sim, _ in tenants.values()}


def test_a_work_item_that_cannot_run_raises_for_the_host_and_says_when_it_is_the_last_try(many, caplog):
    settings = load_settings(many)
    stranger = json.dumps({"tenantId": "00000000-0000-0000-0000-000000000001", "tickId": "t", "enqueuedAt": "2026-11-25T10:00:00Z"})
    with pytest.raises(SettingsError, match="not in WATCH_TENANTS"):
        trigger(QueueMessage(id="m", body=stranger.encode(), dequeue_count=5))
    settings_without_storage = {**many, "AzureWebJobsStorage": "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;"
                                "AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;"
                                "TableEndpoint=http://127.0.0.1:9/devstoreaccount1;QueueEndpoint=http://127.0.0.1:9/devstoreaccount1"}
    from shared.fanout import run_work_item

    caplog.set_level(logging.ERROR)
    body = json.dumps({"tenantId": settings.tenants[0].tenant_id, "tickId": "t9", "enqueuedAt": "2026-11-25T10:00:00Z"})
    with pytest.raises(Exception):
        asyncio.run(run_work_item(load_settings(settings_without_storage), body, dequeue_count=5))
    assert any("t9" in r.getMessage() and "poison" in r.getMessage() for r in caplog.records)


def test_poll_once_runs_every_tenant_inline(many, tenants):
    result = cli("poll", "--once", env=many)
    assert result.returncode == 0, result.stderr
    for name in NAMES:
        assert f"── tenant {name}" in result.stdout
    assert result.stdout.count("(baseline)") == 3


def test_operator_commands_work_on_the_tenant_they_are_told(many, tenants):
    assert cli("poll", "--once", env=many).returncode == 0
    fabrikam, demo = tenants["Fabrikam"]
    status = cli("--tenant", "Fabrikam", "status", "--json", "--from-snapshot", env=many)
    assert status.returncode == 0, status.stderr
    with_jobs = {demo.salesforce, demo.servicenow, demo.workday, demo.cloud_sync, demo.dropbox, demo.box}
    assert {job["servicePrincipalId"] for job in json.loads(status.stdout)["jobs"]} == with_jobs
    muted = cli("--tenant", fabrikam.tenant_id, "mute", demo.salesforce_job, "--for", "1h", env=many)
    assert muted.returncode == 0, muted.stderr
    unknown = cli("--tenant", "Initech", "status", env=many)
    assert unknown.returncode == 2 and "Initech" in unknown.stderr and "Fabrikam" in unknown.stderr
