"""The snapshot adapter against real Azurite: limits, keys, versions, minimal writes."""

import asyncio
import uuid

import pytest
from azure.data.tables import TableClient

from shared.adapters.table_store import CHUNK_CHARS, TableSnapshotStore
from shared.errors import StorageError
from shared.graph_json import parse_job
from shared.model import ServicePrincipal
from shared.snapshot_plan import CommitPlan
from tests.builders import TENANT, job


def run(coro):
    return asyncio.run(coro)


async def roundtrip(settings, jobs, deletes=()):
    store = TableSnapshotStore(settings.storage, settings.snapshot_table, TENANT)
    try:
        await store.load()  # creates the table, reads the ETags the commit is guarded by
        written = await store.commit(CommitPlan(tuple(jobs), tuple(deletes)))
        return written, (await store.load()).jobs
    finally:
        await store.aclose()


def test_status_larger_than_one_property_is_split_and_read_back_whole(settings):
    raw = {"id": "big", "status": {k: {"error": {"message": "é" * 4000, "code": "x" * 4000}, "activityIdentifier": "y" * 4000}
                                     for k in ("lastExecution", "lastSuccessfulExecution", "lastSuccessfulExecutionWithExports")}}
    big = parse_job(raw, ServicePrincipal("sp-1", "app", "Big"))
    written, loaded = run(roundtrip(settings, [big]))
    assert written == 1 and loaded == {big.key: big}
    entity = TableClient.from_connection_string(settings.storage.connection_string, settings.snapshot_table).get_entity(f"{TENANT}|sp-1", "job|big")
    assert entity["StatusChunks"] >= 2 and all(len(entity[f"Status{i or ''}"]) <= CHUNK_CHARS for i in range(entity["StatusChunks"]))
    assert entity["FormatVersion"] == 1


def test_keys_with_forbidden_characters_are_escaped_and_round_trip(settings):
    odd = job("sp/1#?", "job\\with/slashes?#%")
    _, loaded = run(roundtrip(settings, [odd]))
    assert loaded == {odd.key: odd}


def test_more_than_100_jobs_in_one_partition_are_written_in_several_transactions(settings):
    jobs = [job("sp-1", f"job-{i:03}") for i in range(250)]
    written, loaded = run(roundtrip(settings, jobs))
    assert written == 250 and len(loaded) == 250


def test_deletes_remove_entities(settings):
    a, b = job("sp-1", "a"), job("sp-1", "b")
    run(roundtrip(settings, [a, b]))
    _, loaded = run(roundtrip(settings, [], [b.key]))
    assert list(loaded) == [a.key]


def test_other_tenants_entities_are_not_loaded(settings):
    run(roundtrip(settings, [job("sp-1", "a")]))
    other = TableSnapshotStore(settings.storage, settings.snapshot_table, str(uuid.uuid4()))
    try:
        assert run(other.load()).jobs == {}
    finally:
        run(other.aclose())


def test_unknown_format_version_is_a_clear_storage_error(settings):
    run(roundtrip(settings, [job("sp-1", "a")]))
    table = TableClient.from_connection_string(settings.storage.connection_string, settings.snapshot_table)
    entity = table.get_entity(f"{TENANT}|sp-1", "job|a")
    entity["FormatVersion"] = 99
    table.upsert_entity(entity)
    with pytest.raises(StorageError, match="format version 99"):
        run(roundtrip(settings, []))


def test_memory_and_mutes_round_trip_and_expired_mutes_are_deleted(settings):
    from datetime import timedelta

    from shared.adapters.table_mutes import TableMutes
    from shared.model import JobMemory, Mute
    from tests.builders import NOW

    remembered = JobMemory(stalled=True, changes=(NOW, NOW + timedelta(minutes=5)), flapping=True, reminders=2, withheld=7)
    quiet, busy = job("sp-1", "quiet"), job("sp-1", "busy")

    async def scenario():
        store = TableSnapshotStore(settings.storage, settings.snapshot_table, TENANT)
        mutes = TableMutes(store.table, store.tenant_partition, settings.storage)
        try:
            await store.load()
            await store.commit(CommitPlan((quiet, busy), memory={busy.key: remembered}))
            await mutes.put(Mute("busy", NOW + timedelta(hours=1), "rotation", NOW))
            await mutes.put(Mute("quiet", NOW - timedelta(hours=1), "over", NOW - timedelta(hours=2)))
            loaded = await store.load()
            written = await store.commit(CommitPlan(expired_mutes=("quiet",)))
            return loaded, written, await mutes.list()
        finally:
            await store.aclose()

    loaded, written, left = run(scenario())
    assert loaded.memory == {busy.key: remembered}  # a job with nothing to remember has no Memory property
    assert set(loaded.mutes) == {"busy", "quiet"} and loaded.mutes["busy"].reason == "rotation"
    assert written == 1 and [mute.job_id for mute in left] == ["busy"]
