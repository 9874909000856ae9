"""WORK_QUEUE on Azure Storage: the timer puts one work item per tenant there; the queue trigger takes them.

Messages are base64, as the Functions host expects (host.json); the host moves an item that failed
MAX_DEQUEUE_COUNT times to `<queue>-poison`, whose length the timer reports.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from azure.core.exceptions import AzureError, ResourceNotFoundError
from azure.storage.queue import TextBase64EncodePolicy
from azure.storage.queue.aio import QueueClient

from shared.adapters.storage_common import gather_limited, open_client, storage_error
from shared.adapters.storage_queue import send_creating
from shared.errors import StorageError
from shared.storage_account import StorageAccount
from shared.work_items import WorkItem

POISON_SUFFIX = "-poison"
WORK_ITEM_TTL = 3600  # an item older than an hour belongs to a tick long superseded


class WorkQueue:
    def __init__(self, account: StorageAccount, queue_name: str, *, credential: Any = None) -> None:
        self.name = queue_name
        self._account = account
        options = {"message_encode_policy": TextBase64EncodePolicy()}
        self._queue: QueueClient = open_client(QueueClient, account, account.queue_endpoint, credential, queue_name=queue_name, **options)
        self._poison: QueueClient = open_client(
            QueueClient, account, account.queue_endpoint, credential, queue_name=queue_name + POISON_SUFFIX
        )

    async def put(self, items: list[WorkItem]) -> None:
        """A few at a time, as the other adapters write: one round trip per tenant in turn would grow the
        timer's run with every tenant."""
        sends = [partial(send_creating, self._queue, item.to_json(), time_to_live=WORK_ITEM_TTL) for item in items]
        try:
            await gather_limited(sends)
        except AzureError as error:
            raise self._error(error, self.name) from error

    async def poisoned(self) -> int:
        """How many work items the host gave up on (0 when the poison queue does not exist)."""
        try:
            properties = await self._poison.get_queue_properties()
        except ResourceNotFoundError:
            return 0
        except AzureError as error:
            raise self._error(error, self.name + POISON_SUFFIX) from error
        return int(properties.approximate_message_count or 0)

    async def aclose(self) -> None:
        await self._queue.close()
        await self._poison.close()

    def _error(self, error: AzureError, name: str) -> StorageError:
        return storage_error(error, self._account, f"queue {name}")
