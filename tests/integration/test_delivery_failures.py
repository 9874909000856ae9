"""Nothing detected is lost: a sink that fails keeps the snapshot where it was."""

import time

import pytest

from shared.errors import StorageError
from shared.settings import load_settings
from shared.simulator.azurite import free_port, start_azurite
from shared.simulator.scenarios import DemoTenant
from shared.storage_account import development_connection_string
from tests.integration.queue_reader import queued_events
from tests.integration.ticks import delivered_ids, tick


@pytest.fixture
def own_azurite():
    """An Azurite of this test's own, so stopping its queue service disturbs no other test."""
    with start_azurite() as running:
        yield running



def test_queue_down_commits_to_the_outbox_and_a_later_tick_delivers_the_same_event_ids(environ, sim, own_azurite):
    settings = load_settings({**environ, "AzureWebJobsStorage": own_azurite.connection_string})
    tenant = DemoTenant(sim)
    tick(settings, sim)
    queued_events(settings)
    sim.set_status(tenant.salesforce, tenant.salesforce_job, code="Quarantine")

    own_azurite.queue.stop()
    started = time.monotonic()
    failed = tick(settings, sim)
    assert time.monotonic() - started < 30
    assert failed.exit_code == 1 and [e.event.id for e in failed.undelivered] == [e.id for e in failed.events]
    assert any(f"queue {settings.transitions_queue}" in line and "devstoreaccount1" in line for line in failed.problems())

    own_azurite.queue.start()
    retried = tick(settings, sim)
    assert retried.transitions == ()  # committed with its outbox: not detected again
    assert retried.exit_code == 0
    assert sorted(delivered_ids(retried)) == sorted(e.id for e in failed.events)
    assert sorted(e["id"] for e in queued_events(settings)) == sorted(e.id for e in failed.events)
    assert tick(settings, sim).settlement.delivered == ()


def test_unreachable_storage_fails_within_30_seconds_naming_account_and_table_never_the_key(environ, sim):
    dead = development_connection_string(f"http://127.0.0.1:{free_port()}/devstoreaccount1", f"http://127.0.0.1:{free_port()}/devstoreaccount1")
    settings = load_settings({**environ, "AzureWebJobsStorage": dead})
    DemoTenant(sim)
    started = time.monotonic()
    with pytest.raises(StorageError) as caught:
        tick(settings, sim)
    assert time.monotonic() - started < 30
    message = str(caught.value)
    assert settings.snapshot_table in message and "devstoreaccount1" in message
    assert "AccountKey" not in message and "Eby8vdM02x" not in message
