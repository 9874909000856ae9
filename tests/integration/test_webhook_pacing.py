"""Posts to one webhook stay paced across instances: two pacers (two instances) share the rate record in Azurite."""

import asyncio

from azure.data.tables.aio import TableClient

from shared.adapters.table_webhook_pacer import PARTITION, TableWebhookPacer

URL = "https://prod-00.westus.logic.azure.com/workflows/x/triggers/manual/paths/invoke?sig=secret"


def test_two_instances_posting_to_one_webhook_get_slots_a_quarter_second_apart(settings):
    async def scenario():
        tables = [TableClient.from_connection_string(settings.storage.connection_string, settings.snapshot_table) for _ in range(2)]
        await tables[0].create_table()
        pacers = [TableWebhookPacer(table, settings.storage) for table in tables]
        try:
            slots = await asyncio.gather(*(pacers[i % 2].wait(URL) for i in range(8)))
            rows = [row async for row in tables[0].query_entities(f"PartitionKey eq '{PARTITION}'")]
        finally:
            for table in tables:
                await table.close()
        return sorted(slots), rows

    slots, rows = asyncio.run(scenario())
    gaps = [later - earlier for earlier, later in zip(slots, slots[1:])]
    assert min(gaps) >= 0.25 - 1e-6, gaps  # 4 a second, whichever instance reserved the slot
    [row] = rows
    assert "secret" not in str(dict(row)) and "logic.azure.com" not in str(dict(row))  # the URL is never stored
