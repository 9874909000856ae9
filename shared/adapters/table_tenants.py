"""The tenants table (WATCH_TENANTS=table:<name>): one row per tenant in partition `tenant`, keyed by tenant id.

Rows go in and out as they are stored; shared/tenants.py turns them into tenants. A missing table holds no
tenant: reading never creates it, writing does.
"""

from __future__ import annotations

from typing import Any

from azure.core.exceptions import AzureError, ResourceExistsError, ResourceNotFoundError
from azure.data.tables import UpdateMode
from azure.data.tables.aio import TableClient

from shared.adapters.storage_common import open_client, storage_error
from shared.errors import StorageError
from shared.storage_account import StorageAccount
from shared.tenants import PARTITION

Row = dict[str, Any]


class TableTenants:
    def __init__(self, account: StorageAccount, table_name: str, *, credential: Any = None) -> None:
        self._account = account
        self._table: TableClient = open_client(
            TableClient, account, account.table_endpoint, credential, table_name=table_name
        )

    async def load(self) -> list[Row]:
        """Every tenant row, in RowKey order; none when the table is missing."""
        try:
            return [dict(row) async for row in self._table.query_entities(f"PartitionKey eq '{PARTITION}'")]
        except ResourceNotFoundError:
            return []
        except AzureError as error:
            raise self._error(error) from error

    async def get(self, tenant_id: str) -> Row | None:
        """One tenant's row (a work item's point read); None when it is gone."""
        try:
            return dict(await self._table.get_entity(PARTITION, tenant_id))
        except ResourceNotFoundError:
            return None
        except AzureError as error:
            raise self._error(error) from error

    async def put(self, row: Row) -> None:
        """Adds or replaces a tenant's row, creating the table on first use."""
        try:
            await self._create_table()
            await self._table.upsert_entity(row, mode=UpdateMode.REPLACE)
        except AzureError as error:
            raise self._error(error) from error

    async def remove(self, tenant_id: str) -> bool:
        """False when there was no such row."""
        if await self.get(tenant_id) is None:
            return False
        try:
            await self._table.delete_entity(PARTITION, tenant_id)
        except AzureError as error:
            raise self._error(error) from error
        return True

    async def aclose(self) -> None:
        await self._table.close()

    async def _create_table(self) -> None:
        try:
            await self._table.create_table()
        except ResourceExistsError:
            pass

    def _error(self, error: AzureError) -> StorageError:
        return storage_error(error, self._account, f"table {self._table.table_name} (tenants)")
