"""The operator's commands as a user runs them (status, check, outbox), over real Azurite, the Graph simulator
and the local Teams sink: real processes, exit codes and output."""

import importlib
import json
import socket
import tomllib

import pytest

from shared.settings import load_settings
from shared.simulator.scenarios import DemoTenant
from shared.storage_account import DEV_KEY, development_connection_string
from tests.cards import assert_valid_card, card_of, card_texts
from tests.integration.test_cli import REPO, cli
from tests.integration.ticks import tick

APPS = ("Salesforce", "ServiceNow", "Workday to Microsoft Entra ID user provisioning", "contoso.com")


def closed_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def with_teams(environ, teams, **extra):
    routes = [{"name": "hr", "urlSetting": "TEAMS_URL_HR", "minSeverity": "critical", "match": {"appDisplayName": "Workday*"}}]
    return {**environ, "TEAMS_WEBHOOK_URL": teams.new_webhook("default"), "TEAMS_ROUTES": json.dumps(routes),
            "TEAMS_URL_HR": teams.new_webhook("hr"), **extra}


def assert_no_secret(result, *secrets):
    output = result.stdout + result.stderr
    assert "sig=" not in output and DEV_KEY[:10] not in output
    assert not [secret for secret in secrets if secret in output]


def webhook_sig(url: str) -> str:
    return url.rsplit("sig=", 1)[1]


# ── status ──────────────────────────────────────────────────────────────────────────────────────────


@pytest.fixture
def ticked(environ, settings, sim):
    """The demo tenant after a baseline tick, with Salesforce now in quarantine and ServiceNow paused."""
    tenant = DemoTenant(sim)
    tick(settings, sim)
    sim.set_status(tenant.salesforce, tenant.salesforce_job, code="Quarantine", quarantine_reason="TooManyDeletes")
    sim.set_status(tenant.servicenow, tenant.servicenow_job, code="Paused")
    return tenant


def test_status_shows_every_job_with_its_code_most_severe_first(environ, ticked):
    result = cli("status", env=environ)
    assert result.returncode == 0, result.stderr
    header, *lines = result.stdout.strip().splitlines()
    assert header.split()[:3] == ["APP", "TEMPLATE", "CODE"] and "QUARANTINE REASON" in header
    assert len(lines) == 7 and all(any(line.startswith(app) for line in lines) for app in APPS)
    assert lines[0].split()[:3] == ["Salesforce", "salesforce", "Quarantine"] and "TooManyDeletes" in lines[0]
    assert lines[1].split()[:3] == ["ServiceNow", "serviceNowOutDelta", "Paused"]
    assert "\x1b[" not in result.stdout and result.stderr == ""  # not a terminal: plain, no colour


def test_status_json_has_every_field(environ, ticked):
    result = cli("status", "--json", env=environ)
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["source"] == "graph" and document["notRead"] == [] and document["readAt"].endswith("Z")
    jobs = {job["templateId"]: job for job in document["jobs"]}
    assert len(jobs) == 7
    salesforce = jobs["salesforce"]
    assert {"app", "templateId", "code", "since", "successiveFailures", "lastRun", "lastResult", "quarantineReason",
            "servicePrincipalId", "jobId", "severity"} <= set(salesforce)
    assert salesforce["app"] == "Salesforce" and salesforce["code"] == "Quarantine" and salesforce["severity"] == "critical"
    assert salesforce["quarantineReason"] == "TooManyDeletes" and salesforce["since"].endswith("Z")
    assert jobs["serviceNowOutDelta"]["code"] == "Paused" and jobs["workdayInbound"]["code"] == "Active"


def test_status_from_the_snapshot_needs_no_graph(environ, ticked):
    offline = {**environ, "GRAPH_BASE_URL": f"http://127.0.0.1:{closed_port()}/v1.0"}
    result = cli("status", "--from-snapshot", "--json", env=offline)
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["source"] == "snapshot"
    # As the baseline tick stored them: the quarantine happened after it.
    assert {job["app"]: job["code"] for job in document["jobs"]}["Salesforce"] == "Active"
    table = cli("status", "--from-snapshot", env=offline)
    assert table.returncode == 0 and all(app in table.stdout for app in APPS)


def test_status_exits_1_with_one_line_naming_the_unread_service_principal(environ, ticked):
    ticked.sim.fail(f"/servicePrincipals/{ticked.workday}/synchronization/jobs", status=500)
    result = cli("status", env=environ)
    assert result.returncode == 1
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("syncwatch: not read:") and ticked.workday in line
    assert "Salesforce" in result.stdout and "Workday" not in result.stdout


# ── check ───────────────────────────────────────────────────────────────────────────────────────────


def test_check_passes_against_the_demo_environment(environ, sim):
    DemoTenant(sim)
    result = cli("check", env=environ)
    assert result.returncode == 0, result.stderr
    assert result.stderr == "" and result.stdout.strip().endswith("checks passed")
    for name in ("settings", f"table {environ['SNAPSHOT_TABLE']}", f"queue {environ['TRANSITIONS_QUEUE']}",
                 "Application.Read.All", "Synchronization.Read.All"):
        assert any(line.startswith("ok") and name in line for line in result.stdout.splitlines()), name


@pytest.mark.parametrize(("needle", "permission"), [
    ("$select=id&$top=1", "Application.Read.All"),
    ("/synchronization/jobs", "Synchronization.Read.All"),
])
def test_check_names_the_permission_to_grant_when_graph_answers_403(environ, sim, needle, permission):
    DemoTenant(sim)
    sim.fail(needle, status=403)
    result = cli("check", env=environ)
    assert result.returncode == 1
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("syncwatch: check failed:") and "403" in line and f"grant the Microsoft Graph application permission {permission}" in line
    assert "1 of" in result.stdout.splitlines()[-1]


def test_check_fails_with_a_line_per_store_when_storage_is_unreachable(environ, sim):
    DemoTenant(sim)
    port = closed_port()
    nowhere = development_connection_string(f"http://127.0.0.1:{port}/devstoreaccount1", f"http://127.0.0.1:{port}/devstoreaccount1")
    result = cli("check", env={**environ, "AzureWebJobsStorage": nowhere})
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 2
    assert f"table {environ['SNAPSHOT_TABLE']}" in lines[0] and f"queue {environ['TRANSITIONS_QUEUE']}" in lines[1]
    assert all("unreachable" in line and "fix: check AzureWebJobsStorage" in line for line in lines)
    assert "Synchronization.Read.All" in result.stdout  # Graph is still checked
    assert_no_secret(result)


def test_check_exits_2_on_an_invalid_setting(environ):
    result = cli("check", env={**environ, "SNAPSHOT_TABLE": "no_underscores"})
    assert result.returncode == 2 and result.stderr.count("\n") == 1 and "SNAPSHOT_TABLE" in result.stderr


def test_send_test_card_posts_one_valid_card_per_route_without_showing_the_url(environ, sim, teams):
    DemoTenant(sim)
    env = with_teams(environ, teams)
    result = cli("check", "--send-test-card", env=env)
    assert result.returncode == 0, result.stderr
    for route in ("default", "hr"):
        [message] = teams.posts(route)
        card = card_of(message)
        assert_valid_card(card)
        assert "syncwatch test card — no action needed" in card_texts(card) and route in card_texts(card)
        assert f"Teams route '{route}': test card posted to 127.0.0.1" in result.stdout
    assert_no_secret(result, webhook_sig(env["TEAMS_WEBHOOK_URL"]), webhook_sig(env["TEAMS_URL_HR"]))


def test_a_route_that_refuses_the_test_card_fails_the_check_naming_route_and_setting(environ, sim, teams):
    DemoTenant(sim)
    env = with_teams(environ, teams)
    teams.respond("hr", status=404, body=f"no trigger at {env['TEAMS_URL_HR']}")
    result = cli("check", "--send-test-card", env=env)
    assert result.returncode == 1
    [line] = result.stderr.strip().splitlines()
    assert "Teams route 'hr'" in line and "answered 404" in line and "TEAMS_ROUTES" in line
    assert len(teams.posts("default")) == 1
    assert_no_secret(result, webhook_sig(env["TEAMS_URL_HR"]))


# ── outbox ──────────────────────────────────────────────────────────────────────────────────────────


def owed(env, sink="teams:default"):
    result = cli("outbox", "--json", env=env)
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    return next(s for s in document["sinks"] if s["sink"] == sink), [e for e in document["entries"] if e["sink"] == sink]


def test_outbox_lists_a_failed_delivery_and_retry_then_a_tick_delivers_it(environ, sim, teams, no_retry_waits):
    env = {**environ, "TEAMS_WEBHOOK_URL": teams.new_webhook("default"), "OUTBOX_DEAD_LETTER_AFTER": "60"}
    settings = load_settings(env)
    tenant = DemoTenant(sim)
    tick(settings, sim)
    sim.set_status(tenant.salesforce, tenant.salesforce_job, code="Quarantine", quarantine_reason="TooManyDeletes")
    teams.respond("default", status=500, times=10)
    assert tick(settings, sim).exit_code == 1

    listing = cli("outbox", env=env)
    assert listing.returncode == 0, listing.stderr
    assert "queue: nothing owed" in listing.stdout and "teams:default: 1 pending, 0 dead-lettered" in listing.stdout
    assert "Salesforce" in listing.stdout and "Active → Quarantine" in listing.stdout and "answered 500" in listing.stdout
    assert_no_secret(listing, webhook_sig(env["TEAMS_WEBHOOK_URL"]))

    tick(settings, sim)  # fails again, now older than OUTBOX_DEAD_LETTER_AFTER: dead-lettered
    counts, [entry] = owed(env)
    assert counts == {"sink": "teams:default", "pending": 0, "deadLettered": 1} and entry["attempts"] == 2

    retry = cli("outbox", "retry", env=env)
    assert retry.returncode == 0, retry.stderr
    assert "1 made due now (1 were dead-lettered)" in retry.stdout and "poll --once" in retry.stdout
    counts, [entry] = owed(env)
    assert counts["pending"] == 1 and counts["deadLettered"] == 0
    assert entry["attempts"] == 2 and entry["nextAttemptAt"] is None and "answered 500" in entry["lastError"]

    teams.clear_scripts()
    delivered = cli("poll", "--once", env=env)
    assert delivered.returncode == 0, delivered.stderr
    [message] = teams.posts("default")
    assert "Salesforce" in card_texts(card_of(message))
    assert owed(env) == ({"sink": "teams:default", "pending": 0, "deadLettered": 0}, [])


def test_outbox_retry_with_an_unknown_sink_is_a_usage_error(environ):
    result = cli("outbox", "retry", "--sink", "pager", env=environ)
    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()
    assert "pager" in line and "queue" in line


# ── help and packaging ──────────────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize("command", [(), ("poll",), ("discover",), ("status",), ("check",), ("outbox",), ("outbox", "retry"), ("demo",)])
def test_every_command_has_help_with_an_example(command):
    result = cli(*command, "--help", env={"COLUMNS": "120"})
    assert result.returncode == 0, result.stderr
    assert "Example" in result.stdout and "syncwatch" in result.stdout


def test_status_help_says_which_time_since_is():
    result = cli("status", "--help", env={"COLUMNS": "200"})
    assert "seriesBegan" in result.stdout and "lastSuccessfulExecution" in result.stdout


def test_pyproject_declares_the_syncwatch_console_script():
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())
    target = pyproject["project"]["scripts"]["syncwatch"]
    assert target == "shared.cli:main"
    module, _, name = target.partition(":")
    assert callable(getattr(importlib.import_module(module), name))
    assert pyproject["tool"]["setuptools"]["packages"]["find"]["include"] == ["shared*"]
