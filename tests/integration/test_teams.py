"""Whole ticks with Teams routes: real Azurite, the Graph simulator and the local Workflows sink."""

import asyncio
import json
import logging

import httpx

from shared.adapters.teams_webhook import TeamsWebhookSink, WebhookPacer
from shared.ports import EventBatch
from shared.settings import load_settings
from shared.simulator.scenarios import DemoTenant
from shared.teams_settings import TeamsRoute
from tools.card_samples import many
from tests.cards import assert_valid_card, card_of, card_texts
from tests.integration.queue_reader import queued_events
from tests.integration.ticks import FACTS_PER_QUARANTINE, delivered_ids, tick



def with_teams(environ, teams, **extra):
    return load_settings({**environ, "TEAMS_WEBHOOK_URL": teams.new_webhook("default"), **extra})


def test_quarantine_posts_one_valid_card_and_the_queue_still_gets_the_event(environ, sim, teams):
    settings = with_teams(environ, teams)
    tenant = DemoTenant(sim)
    tick(settings, sim)
    assert teams.posts("default") == []  # healthy baseline: no summary card
    queued_events(settings)
    sim.set_status(tenant.salesforce, tenant.salesforce_job, code="Quarantine", quarantine_reason="TooManyDeletes")
    report = tick(settings, sim)
    assert report.exit_code == 0
    [message] = teams.posts("default")
    card = card_of(message)
    assert_valid_card(card)
    assert "Salesforce" in card_texts(card) and "TooManyDeletes" in card_texts(card)
    assert len(queued_events(settings)) == FACTS_PER_QUARANTINE


def test_recovery_gets_its_own_resolved_card(environ, sim, teams):
    settings = with_teams(environ, teams)
    tenant = DemoTenant(sim)
    tick(settings, sim)
    sim.set_status(tenant.salesforce, tenant.salesforce_job, code="Quarantine")
    tick(settings, sim)
    sim.set_status(tenant.salesforce, tenant.salesforce_job, code="Active")
    tick(settings, sim)
    quarantine, resolved = (card_of(m) for m in teams.posts("default"))
    assert quarantine["body"][0]["style"] == "attention"
    assert resolved["body"][0]["style"] == "good" and "Resolved" in card_texts(resolved)


def test_unhealthy_baseline_posts_exactly_one_summary(environ, sim, teams):
    settings = with_teams(environ, teams)
    tenant = DemoTenant(sim)
    sim.set_status(tenant.salesforce, tenant.salesforce_job, code="Quarantine")
    sim.set_status(tenant.servicenow, tenant.servicenow_job, code="Paused")
    tick(settings, sim)
    [summary] = teams.posts("default")
    text = card_texts(card_of(summary))
    assert "2 need attention" in text and "Salesforce" in text and "ServiceNow" in text


def test_many_changes_in_one_tick_become_one_digest(environ, sim, teams):
    settings = with_teams(environ, teams, TEAMS_DIGEST_THRESHOLD="2")
    tenant = DemoTenant(sim)
    tick(settings, sim)
    for sp, job in ((tenant.salesforce, tenant.salesforce_job), (tenant.servicenow, tenant.servicenow_job), (tenant.workday, tenant.workday_job)):
        sim.set_status(sp, job, code="Quarantine")
    tick(settings, sim)
    [digest] = teams.posts("default")
    assert "3 provisioning changes" in card_texts(card_of(digest))


def test_routes_select_by_severity_and_app_and_resolved_follows_the_problem(environ, sim, teams):
    routes = [{"name": "hr", "urlSetting": "TEAMS_URL_HR", "minSeverity": "critical", "match": {"appDisplayName": "Workday*"}}]
    # Workday changes four times here: more than flap damping allows by default, and this test is about routes.
    settings = with_teams(environ, teams, TEAMS_ROUTES=json.dumps(routes), TEAMS_URL_HR=teams.new_webhook("hr"),
                          FLAP_MAX_CHANGES="10")
    tenant = DemoTenant(sim)
    tick(settings, sim)
    sim.set_status(tenant.workday, tenant.workday_job, code="Quarantine")
    sim.set_status(tenant.salesforce, tenant.salesforce_job, code="Quarantine")
    tick(settings, sim)
    assert [card_texts(card_of(m)).count("Workday") > 0 for m in teams.posts("hr")] == [True]
    assert len(teams.posts("default")) == 2
    sim.set_status(tenant.workday, tenant.workday_job, code="Paused")  # warning: not for the hr route
    sim.set_status(tenant.salesforce, tenant.salesforce_job, code="Active")
    tick(settings, sim)
    assert len(teams.posts("hr")) == 1
    sim.set_status(tenant.workday, tenant.workday_job, code="Quarantine")
    tick(settings, sim)
    sim.set_status(tenant.workday, tenant.workday_job, code="Active")  # resolved reaches hr too
    tick(settings, sim)
    assert "Resolved" in card_texts(card_of(teams.posts("hr")[-1]))


def test_failing_webhook_does_not_block_the_queue_and_a_later_tick_posts_the_same_event(
    environ, sim, teams, no_retry_waits, caplog
):
    settings = with_teams(environ, teams)
    url = settings.teams.routes[0].url
    tenant = DemoTenant(sim)
    tick(settings, sim)
    queued_events(settings)
    sim.set_status(tenant.salesforce, tenant.salesforce_job, code="Quarantine")
    teams.respond("default", status=500, times=3)
    caplog.set_level(logging.DEBUG)
    failed = tick(settings, sim)
    assert failed.exit_code == 1 and teams.posts("default") == []
    events = queued_events(settings)  # the queue got them at once, and only once
    [event] = [e for e in events if e["type"] == "syncwatch.job.statusChanged"]
    assert len(events) == FACTS_PER_QUARANTINE
    problem = " ".join(failed.problems())
    assert "Teams route 'default'" in problem and "500" in problem
    sig = url.split("sig=")[1]
    assert sig not in problem and sig not in caplog.text

    retried = tick(settings, sim)
    assert retried.transitions == () and retried.exit_code == 0
    assert delivered_ids(retried, "teams:default") == [event["id"]] and delivered_ids(retried) == []
    assert len(teams.posts("default")) == 1 and queued_events(settings) == []


def test_404_from_a_webhook_fails_at_once_without_retrying(environ, sim, teams, no_retry_waits):
    settings = load_settings({**environ, "TEAMS_WEBHOOK_URL": teams.new_webhook("default").replace("sig=", "sig=x")})
    tenant = DemoTenant(sim)
    tick(settings, sim)
    sim.set_status(tenant.salesforce, tenant.salesforce_job, code="Quarantine")
    report = tick(settings, sim)
    assert report.exit_code == 1 and "401" in " ".join(report.problems())
    assert len(teams.arrivals("default")) == 1


def post_directly(teams, route_name, events, **options):
    route = TeamsRoute(route_name, teams.new_webhook(route_name))

    async def send():
        async with httpx.AsyncClient() as client:
            sink = TeamsWebhookSink(route, client, digest_threshold=100, pacer=WebhookPacer(), **options)
            return await sink.send(EventBatch(tuple(events)))

    return asyncio.run(send())


def test_throttled_post_waits_for_retry_after_then_succeeds(teams):
    teams.new_webhook("t")
    teams.respond("t", status=429, retry_after="0.5")
    outcome = post_directly(teams, "t", many(1), first_wait=0.01)
    assert outcome.failed == frozenset() and outcome.accepted == 1
    first, second = teams.arrivals("t")
    assert second - first >= 0.5


def test_legacy_connector_200_with_a_429_text_is_retried(teams):
    teams.new_webhook("legacy")
    teams.respond("legacy", status=200, body="Webhook message delivery failed with error: Microsoft Teams endpoint returned HTTP error 429")
    outcome = post_directly(teams, "legacy", many(1), first_wait=0.01)
    assert outcome.failed == frozenset() and len(teams.posts("legacy")) == 1 and len(teams.arrivals("legacy")) == 2


def test_posts_to_one_webhook_are_paced_to_four_a_second(teams):
    teams.new_webhook("paced")
    post_directly(teams, "paced", many(9))
    arrivals = teams.arrivals("paced")
    assert len(arrivals) == 9
    assert all(later - earlier >= 0.24 for earlier, later in zip(arrivals, arrivals[1:]))
