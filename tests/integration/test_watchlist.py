"""Paced discovery and batched reads against the simulator and Azurite."""

import math

from shared.settings import load_settings
from shared.simulator.scenarios import DemoTenant
from tests.integration.test_cli import cli
from tests.integration.ticks import seen, tick


def steady(environ, **extra):
    return load_settings({**environ, "DISCOVERY_INTERVAL": "6h", **extra})


def test_a_new_app_appears_when_the_discovery_cycle_comes_round(environ, sim):
    settings = steady(environ, DISCOVERY_INTERVAL="30m")
    DemoTenant(sim)
    tick(settings, sim)
    slack = sim.add_service_principal(display_name="Slack")
    sim.add_job(slack, template_id="slack")
    assert tick(settings, sim).transitions == ()  # 5 minutes later: discovery not due
    for _ in range(6):
        report = tick(settings, sim)
        if report.transitions:
            break
    assert [t.job.service_principal.display_name for t in report.transitions] == ["Slack"]


def test_discover_command_finds_a_new_app_now(environ, sim):
    settings = steady(environ)
    DemoTenant(sim)
    tick(settings, sim)
    slack = sim.add_service_principal(display_name="Slack")
    sim.add_job(slack, template_id="slack")
    result = cli("discover", env={**environ, "DISCOVERY_INTERVAL": "6h"})
    assert result.returncode == 0 and "7 with provisioning jobs" in result.stdout
    assert [t.job.service_principal.display_name for t in tick(settings, sim).transitions] == ["Slack"]


def test_steady_ticks_poll_only_the_watchlist_in_batches_of_20(environ, sim):
    settings = steady(environ)
    for i in range(45):
        sim.add_job(sim.add_service_principal(display_name=f"App {i}"), template_id="scim")
    for i in range(100):
        sim.add_service_principal(display_name=f"No provisioning {i}")
    tick(settings, sim)
    sim.reset_log()
    report = tick(settings, sim)
    batches = [path for method, path in sim.request_log if method == "POST"]
    graph_requests = [entry for entry in sim.request_log if entry[0] in ("GET", "POST")]
    assert len(batches) == math.ceil(45 / 20) and report.jobs == 45
    assert len(graph_requests) <= math.ceil(45 / 20) + 5
    assert not any("servicePrincipals?" in path for _, path in sim.request_log)  # no listing in a steady tick


def test_a_throttled_batch_item_is_retried_after_its_retry_after(environ, sim):
    settings = steady(environ)
    tenant = DemoTenant(sim)
    tick(settings, sim)
    sim.set_status(tenant.salesforce, tenant.salesforce_job, code="Quarantine")
    sim.fail(f"{tenant.salesforce}/synchronization/jobs", status=429, retry_after="0.2")
    sim.reset_log()
    report = tick(settings, sim)
    assert seen(report) == ["statusChanged:Salesforce"]
    assert report.exit_code == 0
    assert sum(1 for method, path in sim.request_log if method == "BATCH-GET" and tenant.salesforce in path) == 2


def test_a_failing_batch_item_leaves_only_its_sp_unread(environ, sim):
    settings = steady(environ)
    tenant = DemoTenant(sim)
    tick(settings, sim)
    sim.remove_job(tenant.servicenow, tenant.servicenow_job)
    sim.set_status(tenant.salesforce, tenant.salesforce_job, code="Paused")
    sim.fail(f"{tenant.servicenow}/synchronization/jobs", status=500)
    report = tick(settings, sim)
    assert seen(report) == ["statusChanged:Salesforce"]  # ServiceNow's job is not "removed"
    assert report.exit_code == 1 and any("ServiceNow" in line for line in report.problems())


def test_an_sp_whose_jobs_vanish_is_reported_removed_then_dropped_after_confirmation(environ, sim):
    settings = steady(environ)
    tenant = DemoTenant(sim)
    tick(settings, sim)
    sim.remove_job(tenant.servicenow, tenant.servicenow_job)
    assert [t.kind.value for t in tick(settings, sim).transitions] == ["removed"]
    tick(settings, sim)  # second empty read: confirmed, off the watchlist
    sim.reset_log()
    tick(settings, sim)
    assert not any(tenant.servicenow in path for _, path in sim.request_log)


def test_progress_hears_of_every_service_principal_read(environ, sim):
    import asyncio

    from shared.bootstrap import run_configured_tick

    settings = steady(environ)
    for i in range(45):
        sim.add_job(sim.add_service_principal(display_name=f"App {i}"), template_id="scim")
    heard: list[tuple[int, int]] = []
    asyncio.run(run_configured_tick(settings, now=sim.clock, retry_delay=0, progress=lambda done, total: heard.append((done, total))))
    assert heard[-1] == (45, 45) and [done for done, _ in heard] == list(range(1, 46))
