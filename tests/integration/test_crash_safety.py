"""A tick that dies at any step boundary loses nothing: the next tick delivers what was due, with the same
event ids, and does not detect again what was already committed. Overlapping ticks never double-deliver."""

import asyncio
from datetime import timedelta

import httpx
import pytest

from shared.adapters.table_lease import TableTickLease
from shared.adapters.teams_webhook import TeamsWebhookSink, WebhookPacer
from shared.bootstrap import open_adapters
from shared.errors import AnotherTickRunning
from shared.settings import load_settings
from shared.simulator.scenarios import DemoTenant
from shared.tick import run_tick
from tests.integration.queue_reader import queued_events
from tests.integration.ticks import FACTS_PER_QUARANTINE, TICK_INTERVAL, delivered_ids, seen, tick
from tools.faults import Crash, CrashAfter, CrashOnRequest


def crashing_tick(settings, sim, *, source=None, store=None, sinks=None):
    """One tick whose adapters are swapped by the wrappers given; it must die with Crash."""

    async def run():
        async with open_adapters(settings, retry_delay=0) as real:
            chosen_sinks = sinks(real.sinks) if sinks else real.sinks
            await run_tick((source or (lambda s: s))(real.source), (store or (lambda s: s))(real.store), chosen_sinks,
                           tenant_id=settings.tenant_id, cloud=real.cloud, now=sim.clock)

    with pytest.raises(Crash):
        asyncio.run(run())
    sim.advance(TICK_INTERVAL)


@pytest.fixture
def quarantined(environ, sim, teams):
    """A tenant after its baseline, with Salesforce and Workday just quarantined (not yet ticked)."""
    settings = load_settings({**environ, "TEAMS_WEBHOOK_URL": teams.new_webhook("default")})
    tenant = DemoTenant(sim)
    tick(settings, sim)
    queued_events(settings)
    sim.set_status(tenant.salesforce, tenant.salesforce_job, code="Quarantine")
    sim.set_status(tenant.workday, tenant.workday_job, code="Quarantine")
    return settings


def test_crash_after_reading_graph_commits_nothing_and_the_next_tick_detects_the_same_ids(quarantined, sim, teams):
    crashing_tick(quarantined, sim, source=lambda s: CrashAfter(s, "read"))
    assert queued_events(quarantined) == [] and teams.posts("default") == []
    report = tick(quarantined, sim)
    assert len(seen(report)) == 2 and len(report.transitions) == 2 * FACTS_PER_QUARANTINE and report.exit_code == 0
    assert sorted(e["id"] for e in queued_events(quarantined)) == sorted(e.id for e in report.events)
    assert len(teams.posts("default")) == 2


def test_crash_after_the_commit_delivers_next_tick_without_detecting_again(quarantined, sim, teams):
    crashing_tick(quarantined, sim, store=lambda s: CrashAfter(s, "commit"))
    assert queued_events(quarantined) == []
    report = tick(quarantined, sim)
    assert report.transitions == ()
    ids = delivered_ids(report)
    assert len(ids) == 2 * FACTS_PER_QUARANTINE and sorted(e["id"] for e in queued_events(quarantined)) == sorted(ids)
    assert len(delivered_ids(report, "teams:default")) == 2 and set(delivered_ids(report, "teams:default")) <= set(ids)


def test_crash_between_queue_send_and_acknowledgement_resends_with_the_same_ids(quarantined, sim, teams):
    crashing_tick(quarantined, sim, sinks=lambda sinks: [CrashAfter(sinks[0], "send"), *sinks[1:]])
    first = queued_events(quarantined)
    assert len(first) == 2 * FACTS_PER_QUARANTINE  # sent, but the tick died before recording it
    report = tick(quarantined, sim)
    assert report.transitions == () and report.exit_code == 0
    again = queued_events(quarantined)
    assert sorted(e["id"] for e in again) == sorted(e["id"] for e in first)  # a duplicate a consumer can drop by id
    # Teams ran alongside: whatever it had not acknowledged when the process died is posted again.
    posted = " ".join(str(m) for m in teams.posts("default"))
    assert "Salesforce" in posted and "Workday" in posted


def test_crash_between_two_teams_posts_delivers_the_rest_next_tick(quarantined, sim, teams):
    def dying_after_one_post(sinks):
        route = quarantined.teams.routes[0]
        client = httpx.AsyncClient(transport=CrashOnRequest(allowed=1))
        return [sinks[0], TeamsWebhookSink(route, client, digest_threshold=5, pacer=WebhookPacer())]

    crashing_tick(quarantined, sim, sinks=dying_after_one_post)
    assert len(teams.posts("default")) == 1
    report = tick(quarantined, sim)
    assert report.exit_code == 0 and report.transitions == ()
    titles = [m["attachments"][0]["content"]["body"][0]["items"][0]["text"] for m in teams.posts("default")]
    assert len(titles) >= 3 and {t for t in titles if "Workday" in t} and {t for t in titles if "Salesforce" in t}


def test_overlapping_ticks_one_runs_and_the_other_exits_without_changes(quarantined, sim, teams):
    sim.latency = 0.05  # keeps the first tick busy while the second one starts

    async def both():
        from shared.bootstrap import run_configured_tick

        return await asyncio.gather(
            run_configured_tick(quarantined, now=sim.clock, retry_delay=0),
            run_configured_tick(quarantined, now=sim.clock, retry_delay=0),
            return_exceptions=True,
        )

    results = asyncio.run(both())
    losers = [r for r in results if isinstance(r, AnotherTickRunning)]
    winners = [r for r in results if not isinstance(r, BaseException)]
    assert len(losers) == 1 and len(winners) == 1 and losers[0].exit_code == 0
    assert "another tick is running" in str(losers[0])
    assert len(queued_events(quarantined)) == 2 * FACTS_PER_QUARANTINE and len(teams.posts("default")) == 2


def test_a_crashed_ticks_lease_expires_and_frees_the_tenant(settings):
    async def scenario():
        async with open_adapters(settings) as adapters:
            await adapters.store.load()
            table, partition = adapters.store.table, adapters.store.tenant_partition
            crashed = TableTickLease(table, partition, settings.storage, duration=timedelta(seconds=1))
            assert await crashed.acquire()  # ...and never released
            assert not await TableTickLease(table, partition, settings.storage).acquire()
            await asyncio.sleep(1.2)
            assert await TableTickLease(table, partition, settings.storage).acquire()

    asyncio.run(scenario())


def test_lease_duration_is_within_two_minutes():
    from shared.adapters.table_lease import LEASE_DURATION, RENEW_EVERY

    assert LEASE_DURATION <= timedelta(minutes=2) and RENEW_EVERY < LEASE_DURATION / 2
