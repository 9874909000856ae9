"""The watchlist adapter against real Azurite: SPs packed into buckets, minimal writes, the earlier format."""

import asyncio

from azure.data.tables import TableClient

from shared.adapters.table_store import TableSnapshotStore
from shared.adapters.table_watchlist import TableWatchlist
from shared.discovery import DiscoveryState, WatchedSp
from shared.model import ServicePrincipal
from tests.builders import TENANT

NEXT = DiscoveryState("next", None, None)


def watched(count, *, start=0, name="App"):
    return {f"sp-{i:05}": WatchedSp(ServicePrincipal(f"sp-{i:05}", f"app-{i}", f"{name} {i}")) for i in range(start, start + count)}


def session(settings, steps):
    """Runs `steps(watchlist)` against a fresh adapter on the settings' table; returns what it returns."""

    async def scenario():
        store = TableSnapshotStore(settings.storage, settings.snapshot_table, TENANT)
        try:
            await store.load()  # creates the table
            return await steps(TableWatchlist(store.table, store.tenant_partition, settings.storage))
        finally:
            await store.aclose()

    return asyncio.run(scenario())


def rows(settings):
    table = TableClient.from_connection_string(settings.storage.connection_string, settings.snapshot_table)
    return {row["RowKey"]: row for row in table.query_entities(f"PartitionKey eq '{TENANT}~watch'")}


def test_thousands_of_sps_take_a_few_hundred_rows_and_read_back_whole(settings):
    """At 10,000 SPs a row each, the load cost a second of every tick and the first save 100 transactions."""
    entries = watched(3000)

    async def steps(watchlist):
        written = await watchlist.save(entries, NEXT)
        return written, await watchlist.load()

    written, (loaded, state) = session(settings, steps)
    stored = rows(settings)
    assert loaded == entries and state == NEXT
    assert len(stored) == written <= 257  # 256 buckets at most, and the cursor row
    assert written > 101  # more than one transaction's worth, in one partition


def test_a_steady_save_writes_nothing_and_one_change_rewrites_one_bucket(settings):
    entries = watched(500)
    session(settings, lambda watchlist: watchlist.save(entries, NEXT))
    renamed = {**entries, "sp-00007": WatchedSp(ServicePrincipal("sp-00007", "app-7", "Renamed"))}

    async def steps(watchlist):
        loaded, state = await watchlist.load()
        unchanged = await watchlist.save(loaded, state)
        return unchanged, await watchlist.save(renamed, state), await watchlist.load()

    unchanged, changed, (loaded, _) = session(settings, steps)
    assert (unchanged, changed) == (0, 1)
    assert loaded == renamed


def test_an_sp_that_leaves_is_gone_and_an_emptied_bucket_is_deleted(settings):
    session(settings, lambda watchlist: watchlist.save(watched(3), NEXT))
    buckets = set(rows(settings)) - {"~discovery"}

    async def steps(watchlist):
        await watchlist.load()
        return await watchlist.save({}, NEXT), await watchlist.load()

    written, (loaded, _) = session(settings, steps)
    assert written == len(buckets) and loaded == {}
    assert set(rows(settings)) == {"~discovery"}


def test_rows_of_the_earlier_format_are_read_and_replaced_by_buckets(settings):
    """Deployments before the buckets kept one row per SP: the next save migrates them, losing none."""
    table = TableClient.from_connection_string(settings.storage.connection_string, settings.snapshot_table)
    session(settings, lambda watchlist: watchlist.save({}, NEXT))  # the table and the cursor row
    for i in range(150):
        table.upsert_entity({"PartitionKey": f"{TENANT}~watch", "RowKey": f"sp-{i:05}", "AppId": f"app-{i}",
                             "DisplayName": f"App {i}", "EmptyReads": i % 2})
    expected = {sp_id: WatchedSp(entry.service_principal, int(sp_id[-1]) % 2) for sp_id, entry in watched(150).items()}

    async def steps(watchlist):
        loaded, state = await watchlist.load()
        migrated = await watchlist.save(loaded, state)
        return loaded, migrated, await watchlist.load(), await watchlist.save(loaded, state)

    loaded, migrated, (reloaded, _), again = session(settings, steps)
    assert loaded == expected and reloaded == expected and again == 0
    assert migrated > 150  # every old row deleted, and the buckets written
    assert all(key.startswith("sps|") or key == "~discovery" for key in rows(settings))


def test_a_bucket_too_big_for_one_row_continues_in_the_next(settings, monkeypatch):
    from shared.adapters import table_watchlist

    monkeypatch.setattr(table_watchlist, "_ROW_CHARS", 200)  # a few entries a row, as very long names would make it
    monkeypatch.setattr(table_watchlist, "_bucket", lambda sp_id: "00")  # all in one bucket
    entries = watched(40, name="A long display name")

    async def steps(watchlist):
        await watchlist.save(entries, NEXT)
        loaded, _ = await watchlist.load()
        continued = set(rows(settings))
        return loaded, continued, await watchlist.save(dict(list(entries.items())[:1]), NEXT), await watchlist.load()

    loaded, continued, shrunk, (after, _) = session(settings, steps)
    assert loaded == entries and {"sps|00|0", "sps|00|1", "sps|00|9"} <= continued
    assert list(after) == ["sp-00000"] and set(rows(settings)) == {"~discovery", "sps|00|0"}
    assert shrunk == len(continued) - 1  # one row rewritten, the others deleted
