"""Paces posts to one Teams webhook across scaled-out instances: a rate record per webhook in the snapshot table.

With WATCH_TENANTS, every tenant's tick may run on another instance, and a route that hears of every tenant
posts to one webhook from all of them. Each post reserves the next free slot (at least 1/POSTS_PER_SECOND
after the previous one) by rewriting the webhook's row under its ETag; two instances racing for one slot
cannot both win, and the loser takes the next. The row is keyed by a hash of the URL: the URL, a secret,
is never stored.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from typing import Any

from azure.core import MatchConditions
from azure.core.exceptions import AzureError, ResourceExistsError, ResourceModifiedError, ResourceNotFoundError
from azure.data.tables import UpdateMode
from azure.data.tables.aio import TableClient

from shared.adapters.storage_common import storage_error
from shared.adapters.teams_webhook import POSTS_PER_SECOND
from shared.errors import StorageError
from shared.storage_account import StorageAccount

PARTITION = "~webhooks"  # beside every tenant's partitions, shared by all of them
MAX_RACES = 50


class TableWebhookPacer:
    def __init__(self, table: TableClient, account: StorageAccount, per_second: float = POSTS_PER_SECOND) -> None:
        self._table = table
        self._account = account
        self._interval = 1.0 / per_second

    async def wait(self, url: str) -> float:
        """Sleeps until this post's reserved slot (wall-clock seconds, shared by every instance); returns it."""
        slot = await self._reserve(hashlib.sha256(url.encode()).hexdigest()[:32])
        delay = slot - time.time()
        if delay > 0:
            await asyncio.sleep(delay)
        return slot

    async def _reserve(self, row: str) -> float:
        for _ in range(MAX_RACES):
            try:
                entity = await self._table.get_entity(PARTITION, row)
            except ResourceNotFoundError:
                entity = None
            except AzureError as error:
                raise self._error(error) from error
            slot = max(time.time(), float(entity["NextAt"]) if entity else 0.0)
            if await self._claim(row, entity, slot + self._interval):
                return slot
        return time.time() + self._interval  # pathological contention: post, a little late, rather than never

    async def _claim(self, row: str, entity: Any, next_at: float) -> bool:
        """False when another instance took the slot first."""
        record = {"PartitionKey": PARTITION, "RowKey": row, "NextAt": next_at}
        try:
            if entity is None:
                await self._table.create_entity(record)
            else:
                await self._table.update_entity(record, mode=UpdateMode.REPLACE, etag=entity.metadata["etag"],
                                                match_condition=MatchConditions.IfNotModified)
        except (ResourceExistsError, ResourceModifiedError):
            return False
        except AzureError as error:
            raise self._error(error) from error
        return True

    def _error(self, error: AzureError) -> StorageError:
        return storage_error(error, self._account, f"table {self._table.table_name} (webhook pacing)")
