"""syncwatch's own health record: one row beside the tenant's partitions in the snapshot table."""

from __future__ import annotations

from typing import Any

from azure.core.exceptions import AzureError, ResourceNotFoundError
from azure.data.tables import UpdateMode
from azure.data.tables.aio import TableClient

from shared.adapters.storage_common import storage_error
from shared.health import Health
from shared.storage_account import StorageAccount


class TableHealth:
    def __init__(self, table: TableClient, tenant_partition: str, account: StorageAccount) -> None:
        self._table = table
        self._keys = {"PartitionKey": f"{tenant_partition}~health", "RowKey": "tick"}
        self._account = account

    async def load(self) -> Health:
        try:
            row = await self._table.get_entity(self._keys["PartitionKey"], self._keys["RowKey"])
        except ResourceNotFoundError:
            return Health()
        except AzureError as error:
            raise storage_error(error, self._account, f"table {self._table.table_name} (health)") from error
        return Health(row.get("LastTickAt"), row.get("LastSuccessAt"), int(row.get("ConsecutiveFailures") or 0),
                      row.get("LastSummary") or "", row.get("LastProblem") or "", bool(row.get("Alerted")))

    async def save(self, health: Health) -> None:
        row: dict[str, Any] = {
            **self._keys, "LastTickAt": health.last_tick_at, "LastSuccessAt": health.last_success_at,
            "ConsecutiveFailures": health.consecutive_failures, "LastSummary": health.last_summary[:4000],
            "LastProblem": health.last_problem[:4000], "Alerted": health.alerted,
        }
        try:
            await self._table.upsert_entity(row, mode=UpdateMode.REPLACE)
        except AzureError as error:
            raise storage_error(error, self._account, f"table {self._table.table_name} (health)") from error
