"""Puts events on an Azure Storage queue as structured-mode CloudEvents, base64-encoded.

Base64 because a Functions queue trigger decodes base64 by default; plain text would fail silently
into the poison queue after five dequeues.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from azure.core.exceptions import AzureError, ResourceExistsError, ResourceNotFoundError
from azure.storage.queue import TextBase64EncodePolicy
from azure.storage.queue.aio import QueueClient
from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent

from shared.adapters.storage_common import gather_limited, open_client, storage_error
from shared.errors import StorageError
from shared.events import Event
from shared.ports import EventBatch, SinkOutcome
from shared.storage_account import StorageAccount


def serialize(event: Event) -> str:
    """The structured-mode JSON the CloudEvents SDK writes."""
    return JSONFormat().write(CloudEvent(event.attributes(), event.data)).decode()


async def send_creating(queue: QueueClient, message: str, **options: Any) -> None:
    """Creates the queue on first use rather than asking for it on every tick."""
    try:
        await queue.send_message(message, **options)
    except ResourceNotFoundError:
        try:
            await queue.create_queue()
        except ResourceExistsError:
            pass  # another instance created it meanwhile
        await queue.send_message(message, **options)


class StorageQueueSink:
    id = "queue"

    def __init__(self, account: StorageAccount, queue_name: str, *, ttl_seconds: int, credential: Any = None) -> None:
        self.name = f"queue {queue_name}"
        self._account = account
        self._ttl = ttl_seconds
        self._queue: QueueClient = open_client(
            QueueClient, account, account.queue_endpoint, credential,
            queue_name=queue_name, message_encode_policy=TextBase64EncodePolicy(),
            # The queue SDK's own retry starts at 15 s and triples; that alone would exceed our 30 s bound.
            initial_backoff=1, increment_base=2, random_jitter_range=1,
        )

    def accepts(self, event: Event) -> bool:
        """Programs get every fact."""
        return True

    async def send(self, batch: EventBatch) -> SinkOutcome:
        """Several messages in flight; after the first failure no new one starts: when storage is down,
        the rest would fail the same way, slowly."""
        sent: set[str] = set()
        errors: list[AzureError] = []

        async def one(event: Event) -> None:
            if errors:
                return
            try:
                await self._send(serialize(event))
            except AzureError as error:
                errors.append(error)
            else:
                sent.add(event.id)

        await gather_limited(partial(one, event) for event in batch.events)
        if not errors:
            return SinkOutcome(self.id, len(sent))
        failed = frozenset(e.id for e in batch.events if e.id not in sent)
        return SinkOutcome(self.id, len(sent), failed, str(self._error(errors[0])))

    async def _send(self, message: str) -> None:
        await send_creating(self._queue, message, time_to_live=self._ttl)

    async def aclose(self) -> None:
        await self._queue.close()

    def _error(self, error: AzureError) -> StorageError:
        return storage_error(error, self._account, self.name)
