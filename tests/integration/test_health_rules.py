"""Health rules and noise control through whole ticks: the simulator scripts each situation, Azurite keeps
the snapshot, memory and mutes, the queue gets every event and the Teams sink only what people should see."""

import json
from datetime import UTC, datetime, timedelta

import pytest

from shared.settings import load_settings
from shared.simulator.scenarios import DemoTenant
from tests.cards import card_of, card_texts
from tests.integration.queue_reader import queued_events
from tests.integration.test_cli import cli
from tests.integration.ticks import FACTS_PER_QUARANTINE, everything, tick
from tests.schema import type_validator


@pytest.fixture
def watched(environ, sim, teams):
    """A tenant after its baseline, with Teams on; the queue emptied."""
    settings = load_settings({**environ, "TEAMS_WEBHOOK_URL": teams.new_webhook("default"), "DISCOVERY_INTERVAL": "6h"})
    tenant = DemoTenant(sim)
    tick(settings, sim)
    queued_events(settings)
    return settings, tenant


def titles(teams):
    return [card_of(message)["body"][0]["items"][0]["text"] for message in teams.posts("default")]


def queued(settings):
    """The queued events, each checked against the schema of its own type."""
    events = queued_events(settings)
    for event in events:
        type_validator(event["type"]).validate(event)
    return events


def kinds(events):
    return sorted(event["type"].removeprefix("syncwatch.job.") for event in events)


def test_failed_runs_raise_failure_streak_and_execution_failed_before_any_quarantine(watched, sim, teams):
    settings, tenant = watched
    sim.record_run(tenant.salesforce, tenant.salesforce_job, state="Failed", error_code="SalesforceInvalidCredentials")
    first = tick(settings, sim)
    assert everything(first) == ["executionFailed:Salesforce", "failureStreak:Salesforce"]
    events = queued(settings)
    streak = next(e for e in events if e["type"] == "syncwatch.job.failureStreak")
    assert streak["data"]["details"] == {"count": 1, "previousCount": 0, "threshold": 1}
    failed = next(e for e in events if e["type"] == "syncwatch.job.executionFailed")
    assert failed["data"]["details"]["errorCode"] == "SalesforceInvalidCredentials"
    assert titles(teams) == ["⚠️ Salesforce: 1 provisioning runs failed in a row", "⚠️ Salesforce: the last run failed"]

    sim.record_run(tenant.salesforce, tenant.salesforce_job, state="Failed")
    assert everything(tick(settings, sim)) == ["executionFailed:Salesforce"]  # 2: no threshold
    sim.record_run(tenant.salesforce, tenant.salesforce_job, state="Failed")
    assert everything(tick(settings, sim)) == ["executionFailed:Salesforce", "failureStreak:Salesforce"]  # 3
    sim.record_run(tenant.salesforce, tenant.salesforce_job, state="Succeeded")
    back = tick(settings, sim)
    assert [(t.kind.value, t.severity.value) for t in back.transitions] == [("failureStreak", "resolved")]
    assert titles(teams)[-1] == "✅ Salesforce: provisioning runs succeed again"


def test_entry_level_errors_are_info_and_reach_only_routes_that_want_info(environ, sim, teams):
    routes = [{"name": "all", "urlSetting": "URL_ALL", "minSeverity": "info"}]
    settings = load_settings({**environ, "TEAMS_WEBHOOK_URL": teams.new_webhook("default"),
                              "TEAMS_ROUTES": json.dumps(routes), "URL_ALL": teams.new_webhook("all")})
    tenant = DemoTenant(sim)
    tick(settings, sim)
    sim.record_run(tenant.servicenow, tenant.servicenow_job, state="EntryLevelErrors")
    report = tick(settings, sim)
    assert [(t.kind.value, t.severity.value) for t in report.transitions] == [("executionFailed", "info")]
    assert teams.posts("default") == [] and len(teams.posts("all")) == 1


def test_a_job_that_stops_running_while_active_is_stalled_until_it_runs_again(watched, sim, teams):
    settings, tenant = watched
    sim.stop_running(tenant.workday, tenant.workday_job, since=timedelta(minutes=100))
    assert tick(settings, sim).transitions == ()  # within max(3 x 40 min, 2 h)
    sim.advance(timedelta(minutes=30))
    stalled = tick(settings, sim)
    assert everything(stalled) == ["stalled:Workday to Microsoft Entra ID user provisioning"]
    [event] = queued(settings)
    assert event["data"]["details"]["state"] == "began" and event["data"]["details"]["thresholdSeconds"] == 7200
    assert tick(settings, sim).transitions == ()  # reported once
    sim.record_run(tenant.workday, tenant.workday_job, state="Succeeded")
    ended = tick(settings, sim)
    assert [(t.kind.value, t.severity.value) for t in ended.transitions] == [("stalled", "resolved")]
    assert [t.split(":")[0] for t in titles(teams)] == ["⚠️ Workday to Microsoft Entra ID user provisioning",
                                                        "✅ Workday to Microsoft Entra ID user provisioning"]


def test_healthy_jobs_run_on_their_schedule_and_are_never_stalled(watched, sim):
    settings, _ = watched
    for _ in range(4):
        sim.advance(timedelta(hours=1))
        assert tick(settings, sim).transitions == ()


def test_a_job_with_a_never_interval_is_not_judged(watched, sim):
    settings, tenant = watched
    sim.set_schedule(tenant.salesforce, tenant.salesforce_job, interval="P10675199DT2H48M5.4775807S")
    sim.stop_running(tenant.salesforce, tenant.salesforce_job, since=timedelta(days=30))
    assert tick(settings, sim).transitions == ()


def test_entra_disabling_a_quarantined_job_is_critical_news(watched, sim, teams):
    settings, tenant = watched
    sim.set_status(tenant.salesforce, tenant.salesforce_job, code="Quarantine")
    tick(settings, sim)
    sim.set_schedule(tenant.salesforce, tenant.salesforce_job, state="Disabled")
    report = tick(settings, sim)
    assert [(t.kind.value, t.severity.value, t.withheld) for t in report.transitions] == [("scheduleChanged", "critical", None)]
    assert titles(teams)[-1].startswith("🚨 Salesforce: provisioning was disabled")


def test_an_escrow_spike_is_a_warning_card(watched, sim, teams):
    settings, tenant = watched
    sim.record_run(tenant.servicenow, tenant.servicenow_job, state="Succeeded", escrowed=40)
    report = tick(settings, sim)
    assert everything(report) == ["escrowSpike:ServiceNow"]
    [event] = queued(settings)
    assert event["data"]["details"] == {"previousEscrowed": 0, "escrowed": 40, "factor": 2.0}
    assert titles(teams) == ["⚠️ ServiceNow: objects in escrow jumped from 0 to 40"]


def test_quarantine_is_one_card_its_symptoms_are_inhibited_but_a_new_reason_speaks(watched, sim, teams):
    settings, tenant = watched
    sim.set_status(tenant.salesforce, tenant.salesforce_job, code="Quarantine", quarantine_reason="TooManyDeletes")
    entered = tick(settings, sim)
    assert kinds(queued(settings)) == ["executionFailed", "failureStreak", "quarantineSeriesStarted", "statusChanged"]
    assert entered.withheld == {"inhibited": FACTS_PER_QUARANTINE - 1}
    assert "kept from Teams 3 (inhibited 3)" in entered.summary()
    assert titles(teams) == ["🚨 Salesforce: provisioning is in quarantine"]

    sim.set_status(tenant.salesforce, tenant.salesforce_job, code="Quarantine", quarantine_reason="EncounteredQuarantineException")
    again = tick(settings, sim)
    assert everything(again) == ["executionFailed:Salesforce", "quarantineReasonChanged:Salesforce"]
    assert [(t.kind.value, t.withheld) for t in again.transitions] == [("quarantineReasonChanged", None), ("executionFailed", "inhibited")]
    assert titles(teams)[-1] == "🚨 Salesforce: quarantine reason changed to EncounteredQuarantineException"


def test_a_job_still_in_quarantine_is_reminded_with_the_duration(watched, sim, teams):
    settings, tenant = watched
    sim.set_status(tenant.salesforce, tenant.salesforce_job, code="Quarantine")
    tick(settings, sim)
    sim.advance(timedelta(hours=24))
    reminded = tick(settings, sim)
    assert everything(reminded) == ["quarantineReminder:Salesforce"]
    [event] = queued(settings)[-1:]
    assert event["data"]["details"]["reminder"] == 1 and event["data"]["details"]["quarantinedSeconds"] >= 24 * 3600
    assert titles(teams)[-1] == "🚨 Salesforce: still in quarantine after 1 d (reminder 1)"
    assert tick(settings, sim).transitions == ()


def test_a_flapping_job_posts_one_card_and_the_queue_gets_every_change(watched, sim, teams):
    settings, tenant = watched
    for code in ("Paused", "Active", "Paused"):
        sim.set_status(tenant.servicenow, tenant.servicenow_job, code=code)
        tick(settings, sim)
    posted = len(teams.posts("default"))
    sim.set_status(tenant.servicenow, tenant.servicenow_job, code="Active")
    began = tick(settings, sim)
    assert [(t.kind.value, t.withheld) for t in began.transitions] == [("statusChanged", "flapping"), ("scheduleChanged", "flapping"), ("flapping", None)]
    assert len(teams.posts("default")) == posted + 1 and "flapping" in titles(teams)[-1]
    sim.set_status(tenant.servicenow, tenant.servicenow_job, code="Paused")
    quiet = tick(settings, sim)
    assert quiet.withheld == {"flapping": 2} and len(teams.posts("default")) == posted + 1
    assert "statusChanged" in kinds(queued(settings))  # every change still on the queue
    sim.advance(timedelta(hours=2))
    [ended] = tick(settings, sim).transitions
    assert (ended.kind.value, ended.severity.value) == ("flapping", "resolved")
    assert titles(teams)[-1] == "✅ ServiceNow: provisioning is stable again"


def test_mute_keeps_cards_from_teams_status_lists_it_and_it_expires(watched, environ, sim, teams):
    settings, tenant = watched
    muted = cli("mute", tenant.salesforce_job, "--for", "4h", "--reason", "credential rotation", env=environ)
    assert muted.returncode == 0 and "credential rotation" in muted.stdout, muted.stderr
    status = json.loads(cli("status", "--json", "--from-snapshot", env=environ).stdout)
    [noise] = status["noise"]
    assert (noise["app"], noise["jobId"], noise["muted"]["reason"]) == ("Salesforce", tenant.salesforce_job, "credential rotation")

    sim.clock = datetime.now(UTC)  # the CLI stamps the mute with the wall clock
    sim.set_status(tenant.salesforce, tenant.salesforce_job, code="Quarantine")
    report = tick(settings, sim)
    assert report.withheld == {"muted": FACTS_PER_QUARANTINE} and teams.posts("default") == []
    assert len(queued(settings)) == FACTS_PER_QUARANTINE
    plain = cli("status", "--from-snapshot", env=environ).stdout
    assert "muted until" in plain and "credential rotation" in plain and "Noise control" in plain

    sim.advance(timedelta(hours=4))
    sim.set_status(tenant.salesforce, tenant.salesforce_job, code="Active")
    expired = tick(settings, sim)
    assert [t.withheld for t in expired.transitions if t.kind.value == "statusChanged"] == [None]
    assert len(teams.posts("default")) == 1
    assert json.loads(cli("status", "--json", "--from-snapshot", env=environ).stdout)["noise"][0]["muted"] is None


def test_mute_and_unmute_name_what_is_wrong(watched, environ):
    _, tenant = watched
    unknown = cli("mute", "no-such-job", "--for", "1h", env=environ)
    assert unknown.returncode == 2 and "no-such-job" in unknown.stderr and len(unknown.stderr.strip().splitlines()) == 1
    bad = cli("mute", tenant.salesforce_job, "--for", "soon", env=environ)
    assert bad.returncode == 2 and "--for" in bad.stderr
    assert cli("unmute", tenant.salesforce_job, env=environ).returncode == 2
    assert cli("mute", tenant.salesforce_job, "--for", "1h", env=environ).returncode == 0
    assert cli("unmute", tenant.salesforce_job, env=environ).returncode == 0


def test_excluded_apps_and_templates_are_left_out_entirely(environ, sim):
    plain = load_settings(environ)
    tenant = DemoTenant(sim)
    tick(plain, sim)
    queued_events(plain)
    settings = load_settings({**environ, "EXCLUDE_SERVICE_PRINCIPAL_IDS": tenant.salesforce.upper(),
                              "EXCLUDE_TEMPLATE_IDS": "AD2AADPasswordHash"})
    sim.set_status(tenant.salesforce, tenant.salesforce_job, code="Quarantine")
    sim.set_status(tenant.cloud_sync, tenant.cloud_sync_jobs[1], code="Quarantine")
    report = tick(settings, sim)
    assert report.transitions == () and queued_events(settings) == []  # dropped silently: not "removed"
    status = json.loads(cli("status", "--json", "--from-snapshot", env={**environ, "EXCLUDE_TEMPLATE_IDS": "x"}).stdout)
    assert {job["app"] for job in status["jobs"]} == {"ServiceNow", "Workday to Microsoft Entra ID user provisioning",
                                                     "contoso.com", "Dropbox", "Box"}
    assert len(status["jobs"]) == 5


def test_routes_can_select_event_kinds(environ, sim, teams):
    routes = [{"name": "ops", "urlSetting": "URL_OPS", "minSeverity": "warning", "match": {"eventKinds": ["stalled"]}}]
    settings = load_settings({**environ, "TEAMS_ROUTES": json.dumps(routes), "URL_OPS": teams.new_webhook("ops")})
    tenant = DemoTenant(sim)
    tick(settings, sim)
    sim.set_status(tenant.salesforce, tenant.salesforce_job, code="Quarantine")
    sim.stop_running(tenant.workday, tenant.workday_job, since=timedelta(hours=3))
    tick(settings, sim)
    [card] = [card_of(message) for message in teams.posts("ops")]
    assert "Workday" in card_texts(card) and "no successful run" in card_texts(card)


def test_a_bad_threshold_setting_names_itself(environ):
    result = cli("poll", "--once", env={**environ, "FAILURE_STREAK_THRESHOLDS": "3,zero"})
    assert result.returncode == 2 and "FAILURE_STREAK_THRESHOLDS" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
