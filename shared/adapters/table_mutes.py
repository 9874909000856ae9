"""Operators' mutes in the snapshot table: one row per muted job id, in the tenant's `~mutes` partition.

That partition lies inside the tenant's key range, so the tick's one snapshot query loads the mutes with
the jobs; `mute`/`unmute` write them here, and the tick deletes each once it has expired.
"""

from __future__ import annotations

from typing import Any

from azure.core.exceptions import AzureError, ResourceNotFoundError
from azure.data.tables import UpdateMode
from azure.data.tables.aio import TableClient

from shared.adapters.storage_common import escape_key, storage_error
from shared.errors import StorageError
from shared.model import Mute
from shared.storage_account import StorageAccount

MUTE_ROW = "mute|"
_PARTITION = "~mutes"  # "~" sorts after every escaped service principal id's characters


def mutes_partition(tenant_partition: str) -> str:
    return f"{tenant_partition}|{_PARTITION}"


def mute_keys(tenant_partition: str, job_id: str) -> dict[str, str]:
    return {"PartitionKey": mutes_partition(tenant_partition), "RowKey": MUTE_ROW + escape_key(job_id)}


def is_mute(entity: dict[str, Any]) -> bool:
    return str(entity["RowKey"]).startswith(MUTE_ROW)


def mute_from(entity: dict[str, Any]) -> Mute:
    return Mute(entity["JobId"], entity["Until"], entity.get("Reason") or "", entity["CreatedAt"])


class TableMutes:
    def __init__(self, table: TableClient, tenant_partition: str, account: StorageAccount) -> None:
        self._table = table
        self._tenant = tenant_partition
        self._account = account

    async def put(self, mute: Mute) -> None:
        """A new mute of the same job replaces the old one: the last word counts."""
        row = {**mute_keys(self._tenant, mute.job_id), "JobId": mute.job_id, "Until": mute.until,
               "Reason": mute.reason[:1000], "CreatedAt": mute.created_at}
        await self._call(self._table.upsert_entity(row, mode=UpdateMode.REPLACE))

    async def remove(self, job_id: str) -> bool:
        """False when the job was not muted."""
        keys = mute_keys(self._tenant, job_id)
        try:
            await self._table.get_entity(keys["PartitionKey"], keys["RowKey"])
        except ResourceNotFoundError:
            return False
        except AzureError as error:
            raise self._error(error) from error
        await self._call(self._table.delete_entity(keys["PartitionKey"], keys["RowKey"]))
        return True

    async def list(self) -> list[Mute]:
        query = f"PartitionKey eq '{mutes_partition(self._tenant)}'"
        try:
            return [mute_from(entity) async for entity in self._table.query_entities(query)]
        except ResourceNotFoundError:
            return []
        except AzureError as error:
            raise self._error(error) from error

    async def _call(self, call: Any) -> None:
        try:
            await call
        except AzureError as error:
            raise self._error(error) from error

    def _error(self, error: AzureError) -> StorageError:
        return storage_error(error, self._account, f"table {self._table.table_name} (mutes)")
