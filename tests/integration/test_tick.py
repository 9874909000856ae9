"""Whole ticks against real Azurite and the Graph simulator."""


from shared.model import TransitionKind
from shared.settings import load_settings
from shared.simulator.scenarios import DemoTenant
from tests.integration.queue_reader import queued_events
from tests.integration.ticks import everything, seen, tick
from tests.schema import EVENT_VALIDATOR



def test_demo_scenario_produces_each_scripted_transition_and_queues_valid_cloudevents(settings, sim):
    tenant = DemoTenant(sim)
    for step in tenant.steps():
        step.change(sim)
        report = tick(settings, sim)
        assert everything(report) == sorted(step.expected), step.title
        assert report.exit_code == 0, report.problems()
        events = queued_events(settings)
        assert sorted(e["id"] for e in events) == sorted(e.id for e in report.events)
        for event in events:
            EVENT_VALIDATOR.validate(event)


def test_quiet_tick_writes_no_entities(environ, sim):
    settings = load_settings({**environ, "DISCOVERY_INTERVAL": "6h"})
    DemoTenant(sim)
    baseline = tick(settings, sim)
    watchlist = watchlist_rows(settings)  # the buckets the 6 SPs with jobs fall in, and the discovery cursor
    assert 2 <= watchlist <= 6 + 1
    # job rows, outbox rows committed then settled, the watchlist
    assert baseline.entities_written == 7 + 7 + 7 + watchlist
    quiet = tick(settings, sim)
    assert (quiet.transitions, quiet.entities_written) == ((), 0)
    assert quiet.entities_read == 7 + watchlist


def watchlist_rows(settings):
    from azure.data.tables import TableClient

    table = TableClient.from_connection_string(settings.storage.connection_string, settings.snapshot_table)
    return len(list(table.query_entities(f"PartitionKey eq '{settings.tenant_id}~watch'")))


def test_status_change_without_code_change_updates_the_snapshot_only(environ, sim):
    settings = load_settings({**environ, "DISCOVERY_INTERVAL": "6h"})
    tenant = DemoTenant(sim)
    tick(settings, sim)
    sim.set_status(tenant.salesforce, tenant.salesforce_job, code="Active")  # a new run, same code
    report = tick(settings, sim)
    assert report.transitions == ()
    assert report.entities_written <= 1


def test_server_error_for_one_sp_skips_it_keeps_its_snapshot_and_exits_1(settings, sim):
    tenant = DemoTenant(sim)
    tick(settings, sim)
    queued_events(settings)
    sim.remove_job(tenant.servicenow, tenant.servicenow_job)
    sim.set_status(tenant.salesforce, tenant.salesforce_job, code="Quarantine")
    sim.fail(f"/servicePrincipals/{tenant.servicenow}/synchronization/jobs", status=500)
    report = tick(settings, sim)
    assert seen(report) == ["statusChanged:Salesforce"]  # ServiceNow's job is not "removed"
    assert report.exit_code == 1
    assert any(tenant.servicenow in line and "ServiceNow" in line and "500" in line for line in report.problems())
    retried = tick(settings, sim)
    assert seen(retried) == ["removed:ServiceNow"]
    assert retried.exit_code == 0


def test_throttled_read_is_retried_after_retry_after(settings, sim):
    tenant = DemoTenant(sim)
    sim.fail(f"/servicePrincipals/{tenant.salesforce}/synchronization/jobs", status=429, retry_after="0.3", times=2)
    report = tick(settings, sim)
    assert report.exit_code == 0 and len(report.transitions) == 7
    job_reads = [path for method, path in sim.request_log if tenant.salesforce in path]
    assert len(job_reads) == 3


def test_sp_answering_404_for_jobs_has_no_jobs(settings, sim):
    tenant = DemoTenant(sim)
    tick(settings, sim)
    queued_events(settings)
    sim.set_jobs_not_found(tenant.servicenow, True)
    report = tick(settings, sim)
    assert seen(report) == ["removed:ServiceNow"] and report.exit_code == 0


def test_malformed_job_is_reported_and_leaves_its_sp_untouched_without_crashing(settings, sim):
    tenant = DemoTenant(sim)
    tick(settings, sim)
    provisioning, password_hash = tenant.cloud_sync_jobs
    sim.set_raw_job(tenant.cloud_sync, provisioning, {"id": provisioning, "status": "broken"})
    sim.set_status(tenant.cloud_sync, password_hash, code="Quarantine")
    sim.set_status(tenant.salesforce, tenant.salesforce_job, code="Paused")
    report = tick(settings, sim)
    assert seen(report) == ["statusChanged:Salesforce"]  # contoso.com waits until its jobs read cleanly
    assert report.exit_code == 1
    assert any("malformed" in line and provisioning in line for line in report.problems())
    sim.set_status(tenant.cloud_sync, provisioning, code="Active")
    assert seen(tick(settings, sim)) == ["statusChanged:contoso.com"]


def test_listing_failure_reads_nothing_as_removed(settings, sim):
    DemoTenant(sim)
    tick(settings, sim)
    sim.fail("/servicePrincipals?", status=500)
    report = tick(settings, sim)
    assert report.transitions == () and report.exit_code == 1
    assert any("listing service principals" in line for line in report.problems())


def test_paged_listing_finds_every_service_principal(settings, sim):
    sim.page_size = 2
    DemoTenant(sim)
    report = tick(settings, sim)
    assert len(report.transitions) == 7 and report.service_principals == 7
    assert sum(1 for _, path in sim.request_log if "skiptoken" in path.lower()) >= 2


def test_watch_only_listed_service_principals(environ, sim):
    from shared.settings import load_settings

    tenant = DemoTenant(sim)
    settings = load_settings({**environ, "GRAPH_SERVICE_PRINCIPAL_IDS": f"{tenant.salesforce},{tenant.cloud_sync}"})
    report = tick(settings, sim)
    assert seen(report) == ["added:Salesforce", "added:contoso.com", "added:contoso.com"]
    assert not any(path.startswith("/v1.0/servicePrincipals?") for _, path in sim.request_log)


def test_added_in_quarantine_at_baseline_is_critical(settings, sim):
    tenant = DemoTenant(sim)
    sim.set_status(tenant.salesforce, tenant.salesforce_job, code="Quarantine", quarantine_reason="TooManyDeletes")
    report = tick(settings, sim)
    critical = [t for t in report.transitions if t.severity.value == "critical"]
    assert [(t.kind, t.job.id) for t in critical] == [(TransitionKind.ADDED, tenant.salesforce_job)]
