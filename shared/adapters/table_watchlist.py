"""The watchlist and the discovery cursor, as rows of the snapshot table in one partition per tenant.

Watched SPs are packed, a few dozen to a row, into 256 buckets chosen by a hash of the SP id: a tick
reads about 256 entities rather than one per SP (at 10,000 SPs, turning rows into objects took a second
of every tick's CPU, and the first save sent 100 transactions). A bucket is rewritten only when one of
its SPs changed, so a steady tick writes at most the cursor row. Rows of the earlier format, one per
SP, are still read, and replaced by buckets at the next save.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from azure.core.exceptions import AzureError, ResourceNotFoundError
from azure.data.tables.aio import TableClient

from shared.adapters.storage_common import storage_error
from shared.adapters.table_store import MAX_STATUS_CHARS, chunked, transactions, unchunked
from shared.discovery import DiscoveryState, WatchedSp
from shared.errors import StorageError
from shared.model import ServicePrincipal
from shared.storage_account import StorageAccount

_STATE_ROW = "~discovery"
_BUCKET_ROW = "sps|"
MAX_NAME = 256  # Entra's own limit for a display name; the watchlist only shows it
_ROW_CHARS = MAX_STATUS_CHARS  # a bucket too big for one row (long non-ASCII names) continues in the next


class TableWatchlist:
    def __init__(self, table: TableClient, tenant_partition: str, account: StorageAccount) -> None:
        self._table = table
        self._partition = f"{tenant_partition}~watch"
        self._account = account
        # What the last load (or save) left in the table, to write only what differs: each bucket's
        # entries and row keys, the rows of the earlier format, and the discovery state.
        self._buckets: dict[str, tuple[WatchedSp, ...]] = {}
        self._rows: dict[str, set[str]] = {}
        self._legacy: dict[str, set[str]] = {}
        self._state = DiscoveryState()
        self.rows_read = 0

    async def load(self, on_page: Callable[[list[WatchedSp]], None] | None = None) -> tuple[dict[str, WatchedSp], DiscoveryState]:
        """`on_page` hears of each page of watched SPs as it arrives, so their reads can start while the
        rest of the watchlist loads."""
        watched: dict[str, WatchedSp] = {}
        self._buckets, self._rows, self._legacy, self._state, self.rows_read = {}, {}, {}, DiscoveryState(), 0
        try:
            async for page in self._table.query_entities(f"PartitionKey eq '{self._partition}'").by_page():
                rows = [row async for row in page]
                self.rows_read += len(rows)
                entries = [entry for row in rows for entry in self._take(row)]
                watched.update((entry.service_principal.id, entry) for entry in entries)
                if on_page:
                    on_page(entries)
        except ResourceNotFoundError:
            return {}, DiscoveryState()  # the snapshot store creates the table
        except AzureError as error:
            raise self._error(error) from error
        self._buckets = _by_bucket(watched.values())  # as stored, whichever format they came in
        return watched, self._state

    async def save(self, watched: Mapping[str, WatchedSp], state: DiscoveryState) -> int:
        """Writes the buckets and the state that differ from the last load; returns the rows written."""
        buckets = _by_bucket(watched.values())
        changed = sorted(b for b in buckets.keys() | self._buckets.keys() if buckets.get(b) != self._buckets.get(b) or b in self._legacy)
        rows = {bucket: self._bucket_rows(bucket, buckets.get(bucket, ())) for bucket in changed}
        operations: list[tuple[Any, ...]] = []
        for bucket, bucket_rows in rows.items():
            stale = (self._rows.get(bucket, set()) | self._legacy.get(bucket, set())) - {row["RowKey"] for row in bucket_rows}
            operations += [("upsert", row) for row in bucket_rows]
            operations += [("delete", {"PartitionKey": self._partition, "RowKey": key}) for key in sorted(stale)]
        if state != self._state:
            operations.append(("upsert", self._state_row(state)))
        try:
            for batch in transactions({(self._partition, str(index)): [op] for index, op in enumerate(operations)}):
                await self._table.submit_transaction(batch)
        except AzureError as error:
            raise self._error(error) from error
        self._buckets, self._state, self._legacy = buckets, state, {}
        self._rows.update({bucket: {row["RowKey"] for row in bucket_rows} for bucket, bucket_rows in rows.items()})
        return len(operations)

    def _take(self, row: Mapping[str, Any]) -> list[WatchedSp]:
        key = row["RowKey"]
        if key == _STATE_ROW:
            self._state = _state(row)
            return []
        if key.startswith(_BUCKET_ROW):
            self._rows.setdefault(key.split("|")[1], set()).add(key)
            return [_watched(item) for item in json.loads(unchunked("Entries", row))]
        self._legacy.setdefault(_bucket(key), set()).add(key)  # the earlier format: one row per SP, keyed by its id
        return [WatchedSp(ServicePrincipal(key, row.get("AppId"), row.get("DisplayName")), int(row.get("EmptyReads") or 0))]

    def _bucket_rows(self, bucket: str, entries: tuple[WatchedSp, ...]) -> list[dict[str, Any]]:
        return [{"PartitionKey": self._partition, "RowKey": f"{_BUCKET_ROW}{bucket}|{index}", **chunked("Entries", text)}
                for index, text in enumerate(_row_texts(entries))]

    def _state_row(self, state: DiscoveryState) -> dict[str, Any]:
        return {"PartitionKey": self._partition, "RowKey": _STATE_ROW, "Cursor": state.cursor,
                "CycleStartedAt": state.cycle_started_at, "LastCompletedAt": state.last_completed_at}

    def _error(self, error: AzureError) -> StorageError:
        return storage_error(error, self._account, f"table {self._table.table_name} (watchlist)")


def _bucket(sp_id: str) -> str:
    return hashlib.sha256(sp_id.encode()).hexdigest()[:2]


def _by_bucket(entries: Iterable[WatchedSp]) -> dict[str, tuple[WatchedSp, ...]]:
    buckets: dict[str, list[WatchedSp]] = defaultdict(list)
    for entry in entries:
        buckets[_bucket(entry.service_principal.id)].append(entry)
    return {bucket: tuple(sorted(items, key=lambda e: e.service_principal.id)) for bucket, items in buckets.items()}


def _row_texts(entries: tuple[WatchedSp, ...]) -> list[str]:
    """The bucket's entries as JSON, split over as many rows as it takes to keep each under _ROW_CHARS."""
    texts: list[str] = []
    current: list[str] = []
    length = 2  # the brackets
    for item in (json.dumps(_item(entry)) for entry in entries):
        if current and length + len(item) + 1 > _ROW_CHARS:
            texts.append(f"[{','.join(current)}]")
            current, length = [], 2
        current.append(item)
        length += len(item) + 1
    return texts + ([f"[{','.join(current)}]"] if current else [])


def _item(entry: WatchedSp) -> list[Any]:
    sp = entry.service_principal
    return [sp.id, sp.app_id, sp.display_name[:MAX_NAME] if sp.display_name else None, entry.empty_reads]


def _watched(item: list[Any]) -> WatchedSp:
    sp_id, app_id, display_name, empty_reads = item
    return WatchedSp(ServicePrincipal(sp_id, app_id, display_name), int(empty_reads))


def _state(row: Mapping[str, Any]) -> DiscoveryState:
    return DiscoveryState(row.get("Cursor"), row.get("CycleStartedAt"), row.get("LastCompletedAt"))
