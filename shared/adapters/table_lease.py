"""A lease row in the snapshot table, so that two ticks (timer and CLI, or two instances) never overlap.

Taken and renewed with ETags; it lasts 90 s and is renewed every 30 s while a tick runs, so the lease
of a crashed tick expires within 2 minutes and never blocks later ticks for long.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from datetime import datetime, timedelta, timezone

from azure.core import MatchConditions
from azure.core.exceptions import AzureError, ResourceExistsError, ResourceModifiedError, ResourceNotFoundError
from azure.data.tables import UpdateMode
from azure.data.tables.aio import TableClient

from shared.adapters.storage_common import storage_error
from shared.errors import AnotherTickRunning
from shared.storage_account import StorageAccount

LEASE_DURATION = timedelta(seconds=90)
RENEW_EVERY = timedelta(seconds=30)
_ROW = "tick"


class TableTickLease:
    def __init__(
        self, table: TableClient, tenant_partition: str, account: StorageAccount, *, duration: timedelta = LEASE_DURATION
    ) -> None:
        self._table = table
        self._account = account
        self._keys = {"PartitionKey": f"{tenant_partition}~lease", "RowKey": _ROW}
        self._owner = uuid.uuid4().hex
        self._duration = duration
        self._etag: str | None = None

    @contextlib.asynccontextmanager
    async def held(self) -> AsyncIterator[None]:
        """Holds the lease for the block, renewing it; raises AnotherTickRunning when it is taken."""
        try:
            acquired = await self.acquire()
        except AzureError as error:
            raise storage_error(error, self._account, f"table {self._table.table_name}") from error
        if not acquired:
            raise AnotherTickRunning("another tick is running for this tenant; this one exits without changes")
        renewer = asyncio.create_task(self._renew_forever())
        try:
            yield
        finally:
            renewer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewer
            await self.release()

    async def acquire(self) -> bool:
        try:
            current = await self._table.get_entity(self._keys["PartitionKey"], self._keys["RowKey"])
        except ResourceNotFoundError:
            return await self._create()
        if current["ExpiresAt"] > _now() and current["Owner"] != self._owner:
            return False
        return await self._replace(current.metadata["etag"])

    async def release(self) -> None:
        """Best effort: an unreleased lease simply expires."""
        with contextlib.suppress(AzureError):
            await self._table.delete_entity(self._keys, etag=self._etag, match_condition=MatchConditions.IfNotModified)

    async def _renew_forever(self) -> None:
        while True:
            await asyncio.sleep(RENEW_EVERY.total_seconds())
            if not await self._replace(self._etag):
                return  # lost it: the ETag-guarded commit then refuses to write over the other tick

    async def _create(self) -> bool:
        try:
            self._etag = (await self._table.create_entity(self._entity()))["etag"]
        except ResourceExistsError:
            return False
        except ResourceNotFoundError:
            await self._create_table()
            return await self._create()
        return True

    async def _replace(self, etag: str | None) -> bool:
        try:
            result = await self._table.update_entity(
                self._entity(), mode=UpdateMode.REPLACE, etag=etag, match_condition=MatchConditions.IfNotModified
            )
        except (ResourceModifiedError, ResourceNotFoundError):
            return False
        self._etag = result["etag"]
        return True

    async def _create_table(self) -> None:
        with contextlib.suppress(ResourceExistsError):
            await self._table.create_table()

    def _entity(self) -> dict[str, object]:
        return {**self._keys, "Owner": self._owner, "ExpiresAt": _now() + self._duration}


def _now() -> datetime:
    """Wall-clock time: the lease guards real concurrency, whatever clock the tick reports with."""
    return datetime.now(timezone.utc)
