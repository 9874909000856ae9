"""WATCH_TENANTS=table:<name> against real Azurite: the tenants are that table's rows. The timer body fans out from
the table, the queue trigger's body reads its tenant's row, health and `check` report bad rows, and the CLI edits
the table. Each tenant is a Graph simulator of its own (the fixtures of test_many_tenants)."""

import asyncio
import json
import logging
import uuid

import pytest
from azure.core.exceptions import ResourceNotFoundError
from azure.data.tables import TableClient
from azure.functions import HttpRequest
from azure.functions.queue import QueueMessage

from shared.errors import SettingsError
from shared.settings import load_settings
from tests.integration.functions import functions
from tests.integration.queue_reader import queued_events
from tests.integration.test_cli import cli
from tests.integration.test_many_tenants import NAMES, by_tenant, tenants, timer, trigger, work_messages  # noqa: F401 - tenants is a fixture

BAD = "bad.example.com"


@pytest.fixture
def table_env(environ, tenants, teams, monkeypatch):  # noqa: F811 - the imported fixture
    """App settings whose WATCH_TENANTS names a table of the test's own; Fabrikam has a Teams route of its own."""
    suffix = environ["TRANSITIONS_QUEUE"][-10:]
    values = {**environ, "WATCH_TENANTS": f"table:tenants{suffix}", "WORK_QUEUE": f"work-{suffix}",
              "TEAMS_WEBHOOK_URL": teams.new_webhook("noc"), "TEAMS_URL_FABRIKAM": teams.new_webhook("fabrikam")}
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return values


@pytest.fixture
def rows(table_env, tenants):  # noqa: F811 - the imported fixture
    """The tenants table, written as an operator would (one row per tenant), plus one bad row."""
    table = tenants_table(table_env)
    table.create_table()
    for name, (sim, _) in tenants.items():
        row = {"PartitionKey": "tenant", "RowKey": sim.tenant_id, "DisplayName": name, "GraphBaseUrl": sim.base_url}
        if name == "Fabrikam":
            row["TeamsRoutes"] = json.dumps([{"name": "fabrikam", "urlSetting": "TEAMS_URL_FABRIKAM"}])
        table.upsert_entity(row)
    table.upsert_entity({"PartitionKey": "tenant", "RowKey": BAD, "GraphBaseUrl": "http://graph.example.com/v1.0"})
    return table


def tenants_table(values) -> TableClient:
    return TableClient.from_connection_string(values["AzureWebJobsStorage"], values["WATCH_TENANTS"].removeprefix("table:"))


def health(values) -> tuple[int, dict]:
    response = asyncio.run(functions()["health"].get_user_function()(HttpRequest(method="GET", url="/api/health", body=b"")))
    return response.status_code, json.loads(response.get_body())


def ids(messages) -> list[str]:
    return sorted(json.loads(m.get_body())["tenantId"] for m in messages)


def test_the_timer_enqueues_one_item_per_valid_row_and_logs_each_bad_row(table_env, tenants, rows, teams, caplog):
    settings = load_settings(table_env)
    caplog.set_level(logging.INFO)
    timer()
    messages = work_messages(settings)
    assert ids(messages) == sorted(sim.tenant_id for sim, _ in tenants.values())
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert errors == [f"syncwatch: WATCH_TENANTS table {settings.tenants_table} row {BAD}: graphBaseUrl must be an "
                      "https:// URL (plain http is allowed only on loopback), got 'http://graph.example.com/v1.0'"]
    for message in messages:
        trigger(message)  # tick_tenant: each reads its own row, Graph endpoint and routes included
    assert by_tenant(queued_events(settings)) == {sim.tenant_id: 7 for sim, _ in tenants.values()}
    for sim, demo in tenants.values():
        sim.set_status(demo.servicenow, demo.servicenow_job, code="Paused")
    timer()
    for message in work_messages(settings):
        trigger(message)
    assert len(teams.posts("noc")) == 3 and len(teams.posts("fabrikam")) == 1  # Fabrikam's row has its own route


def test_a_work_item_whose_row_was_deleted_is_refused(table_env, tenants, rows):
    settings = load_settings(table_env)
    timer()
    gone, _ = tenants["Northwind"]
    rows.delete_entity("tenant", gone.tenant_id)
    messages = work_messages(settings)
    [message] = [m for m in messages if json.loads(m.get_body())["tenantId"] == gone.tenant_id]
    with pytest.raises(SettingsError, match=f"tenant {gone.tenant_id}: that tenant is not in WATCH_TENANTS table "
                                            f"{settings.tenants_table} \\(any more\\)"):
        trigger(message)
    for other in messages:
        if other is not message:
            trigger(other)
    assert by_tenant(queued_events(settings)) == {sim.tenant_id: 7 for name, (sim, _) in tenants.items() if name != "Northwind"}


def test_health_is_503_while_a_row_is_bad_and_lists_it(table_env, tenants, rows):
    settings = load_settings(table_env)
    timer()
    for message in work_messages(settings):
        trigger(message)
    status, body = health(table_env)
    assert status == 503 and not body["healthy"]
    assert [problem.split(":")[0] for problem in body["tenantProblems"]] == [
        f"WATCH_TENANTS table {settings.tenants_table} row {BAD}"]
    assert sorted(t["displayName"] for t in body["tenants"]) == sorted(NAMES) and all(t["healthy"] for t in body["tenants"])
    rows.delete_entity("tenant", BAD)
    assert health(table_env)[0] == 200


def test_a_missing_table_is_one_error_saying_how_to_add_a_tenant(table_env, caplog):
    settings = load_settings(table_env)
    caplog.set_level(logging.ERROR)
    timer()  # no crash: the next timer run tries again
    with pytest.raises(ResourceNotFoundError):  # nothing was ever put on the work queue
        work_messages(settings)
    [error] = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert f"WATCH_TENANTS table {settings.tenants_table} has no tenants" in error and "syncwatch tenants add" in error
    status, body = health(table_env)
    assert status == 503 and "has no tenants" in body["tenantProblems"][0]


def test_poll_once_runs_every_table_tenant_and_names_the_bad_row(table_env, tenants, rows):
    result = cli("poll", "--once", env=table_env)
    assert result.returncode == 2, result.stderr  # the bad row is a settings error; the others ran all the same
    for name in NAMES:
        assert f"── tenant {name}" in result.stdout
    assert result.stdout.count("(baseline)") == 3
    assert result.stderr.splitlines() == [
        f"syncwatch: WATCH_TENANTS table {table_env['WATCH_TENANTS'][6:]} row {BAD}: graphBaseUrl must be an https:// "
        "URL (plain http is allowed only on loopback), got 'http://graph.example.com/v1.0'"]
    fabrikam, demo = tenants["Fabrikam"]
    status = cli("--tenant", "Fabrikam", "status", "--json", "--from-snapshot", env=table_env)
    assert status.returncode == 0, status.stderr
    assert demo.salesforce in {job["servicePrincipalId"] for job in json.loads(status.stdout)["jobs"]}


def test_check_fails_naming_the_bad_row(table_env, tenants, rows):
    result = cli("check", env=table_env)
    assert result.returncode == 1
    failed = [line for line in result.stderr.splitlines() if "check failed" in line]
    assert len(failed) == 1 and f"row {BAD}: graphBaseUrl must be an https://" in failed[0]
    assert "syncwatch tenants remove" in failed[0]
    [found] = [line for line in result.stdout.splitlines() if line.startswith("ok    tenants table")]
    assert all(name in found for name in NAMES)


def test_tenants_add_list_remove_round_trip(table_env, tenants):
    sim, _ = tenants["Contoso"]
    added = cli("tenants", "add", sim.tenant_id.upper(), "--name", "Contoso", "--graph-base-url", sim.base_url,
                "--teams-routes", '[{"name": "contoso", "urlSetting": "TEAMS_URL_FABRIKAM"}]', env=table_env)
    assert added.returncode == 0, added.stderr
    assert "Contoso" in added.stdout and sim.tenant_id in added.stdout
    listed = json.loads(cli("tenants", "list", "--json", env=table_env).stdout)
    assert listed == {"source": f"WATCH_TENANTS table {table_env['WATCH_TENANTS'][6:]}", "problems": [], "tenants": [
        {"tenantId": sim.tenant_id, "displayName": "Contoso", "graphBaseUrl": sim.base_url, "teamsRoutes": ["contoso"]}]}
    assert sim.tenant_id in cli("tenants", "list", env=table_env).stdout
    removed = cli("tenants", "remove", sim.tenant_id, env=table_env)
    assert removed.returncode == 0, removed.stderr
    listed = json.loads(cli("tenants", "list", "--json", env=table_env).stdout)
    assert listed["tenants"] == [] and "has no tenants" in listed["problems"][0]
    again = cli("tenants", "remove", sim.tenant_id, env=table_env)
    assert again.returncode == 2 and "is not in WATCH_TENANTS table" in again.stderr


def test_tenants_add_refuses_a_bad_row_and_writes_nothing(table_env):
    tenant = str(uuid.uuid4())
    refused = cli("tenants", "add", tenant, "--graph-base-url", "http://graph.example.com", env=table_env)
    assert refused.returncode == 2
    assert refused.stderr.splitlines() == [
        f"syncwatch: WATCH_TENANTS table {table_env['WATCH_TENANTS'][6:]} row {tenant}: graphBaseUrl must be an https:// "
        "URL (plain http is allowed only on loopback), got 'http://graph.example.com'"]
    with pytest.raises(ResourceNotFoundError):  # not even the table was created
        list(tenants_table(table_env).list_entities())


def test_with_a_json_list_add_and_remove_refuse_and_list_shows_the_list(environ, tenants):  # noqa: F811
    sim, _ = tenants["Contoso"]
    values = {**environ, "WATCH_TENANTS": json.dumps([{"tenantId": sim.tenant_id, "displayName": "Contoso"}])}
    for command in (("tenants", "add", str(uuid.uuid4())), ("tenants", "remove", sim.tenant_id)):
        result = cli(*command, env=values)
        assert result.returncode == 2 and result.stderr.splitlines() == [
            "syncwatch: WATCH_TENANTS is a JSON list: add or remove a tenant by editing that setting "
            "(or set WATCH_TENANTS=table:<name> to keep the tenants in a table)"]
    listed = json.loads(cli("tenants", "list", "--json", env=values).stdout)
    assert listed["source"] == "WATCH_TENANTS" and [t["tenantId"] for t in listed["tenants"]] == [sim.tenant_id]
