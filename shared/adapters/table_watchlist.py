"""The watchlist and the discovery cursor, as rows of the snapshot table in one partition per tenant.

Only rows that changed are written, so a steady tick costs at most the cursor row.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from azure.core.exceptions import AzureError, ResourceNotFoundError
from azure.data.tables.aio import TableClient

from shared.adapters.storage_common import storage_error
from shared.adapters.table_store import transactions
from shared.discovery import DiscoveryState, WatchedSp
from shared.errors import StorageError
from shared.model import ServicePrincipal
from shared.storage_account import StorageAccount

_STATE_ROW = "~discovery"


class TableWatchlist:
    def __init__(self, table: TableClient, tenant_partition: str, account: StorageAccount) -> None:
        self._table = table
        self._partition = f"{tenant_partition}~watch"
        self._account = account

    async def load(self, on_page: Callable[[list[WatchedSp]], None] | None = None) -> tuple[dict[str, WatchedSp], DiscoveryState]:
        """`on_page` hears of each page of watched SPs as it arrives, so their reads can start while the
        rest of the watchlist loads."""
        watched: dict[str, WatchedSp] = {}
        state = DiscoveryState()
        try:
            async for page in self._table.query_entities(f"PartitionKey eq '{self._partition}'").by_page():
                rows = [row async for row in page]
                state = next((_state(row) for row in rows if row["RowKey"] == _STATE_ROW), state)
                entries = [_watched(row) for row in rows if row["RowKey"] != _STATE_ROW]
                watched.update((entry.service_principal.id, entry) for entry in entries)
                if on_page:
                    on_page(entries)
        except ResourceNotFoundError:
            return {}, DiscoveryState()  # the snapshot store creates the table
        except AzureError as error:
            raise self._error(error) from error
        return watched, state

    async def save(
        self,
        before: tuple[Mapping[str, WatchedSp], DiscoveryState],
        after: tuple[Mapping[str, WatchedSp], DiscoveryState],
    ) -> int:
        """Writes what differs; returns the number of rows written."""
        operations: list[tuple[Any, ...]] = []
        for sp_id, entry in after[0].items():
            if before[0].get(sp_id) != entry:
                operations.append(("upsert", self._row(entry)))
        operations += [("delete", {"PartitionKey": self._partition, "RowKey": sp_id}) for sp_id in before[0] if sp_id not in after[0]]
        if before[1] != after[1]:
            operations.append(("upsert", self._state_row(after[1])))
        try:
            for batch in transactions({(self._partition, str(index)): [op] for index, op in enumerate(operations)}):
                await self._table.submit_transaction(batch)
        except AzureError as error:
            raise self._error(error) from error
        return len(operations)

    def _row(self, entry: WatchedSp) -> dict[str, Any]:
        sp = entry.service_principal
        return {"PartitionKey": self._partition, "RowKey": sp.id, "AppId": sp.app_id, "DisplayName": sp.display_name,
                "EmptyReads": entry.empty_reads}

    def _state_row(self, state: DiscoveryState) -> dict[str, Any]:
        return {"PartitionKey": self._partition, "RowKey": _STATE_ROW, "Cursor": state.cursor,
                "CycleStartedAt": state.cycle_started_at, "LastCompletedAt": state.last_completed_at}

    def _error(self, error: AzureError) -> StorageError:
        return storage_error(error, self._account, f"table {self._table.table_name} (watchlist)")


def _watched(row: Mapping[str, Any]) -> WatchedSp:
    sp = ServicePrincipal(row["RowKey"], row.get("AppId"), row.get("DisplayName"))
    return WatchedSp(sp, int(row.get("EmptyReads") or 0))


def _state(row: Mapping[str, Any]) -> DiscoveryState:
    return DiscoveryState(row.get("Cursor"), row.get("CycleStartedAt"), row.get("LastCompletedAt"))
