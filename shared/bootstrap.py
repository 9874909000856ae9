"""The one place that builds adapters from settings and runs a tick with them.

SDKs are imported here, inside the functions, so that importing function_app.py stays cheap.
"""

from __future__ import annotations

from contextlib import AsyncExitStack
from datetime import datetime, timezone
from typing import Any

from shared.cloud import Cloud, cloud_for
from shared.settings import Settings
from shared.tick import TickReport, run_tick


async def run_configured_tick(settings: Settings, *, now: datetime | None = None, retry_delay: float | None = None) -> TickReport:
    """Exactly one tick with the adapters the settings describe; the adapters create the table and queue on first use."""
    from shared.adapters.graph_client import create_graph_client
    from shared.adapters.graph_jobs import GraphJobSource
    from shared.adapters.storage_queue import StorageQueueSink
    from shared.adapters.table_store import TableSnapshotStore

    cloud = cloud_for(settings.graph_base_url)
    async with AsyncExitStack() as stack:
        credential = _credential(stack, settings, cloud)
        retry = {} if retry_delay is None else {"retry_delay": retry_delay}
        graph = create_graph_client(cloud, settings.graph_base_url, credential=credential, **retry)
        stack.push_async_callback(graph.aclose)
        store = TableSnapshotStore(settings.storage, settings.snapshot_table, settings.tenant_id, credential=credential)
        stack.push_async_callback(store.aclose)
        queue = StorageQueueSink(settings.storage, settings.transitions_queue, ttl_seconds=settings.message_ttl, credential=credential)
        stack.push_async_callback(queue.aclose)
        source = GraphJobSource(graph, service_principal_ids=settings.service_principal_ids)
        return await run_tick(
            source, store, [queue], tenant_id=settings.tenant_id, cloud=cloud, now=now or datetime.now(timezone.utc)
        )


def _credential(stack: AsyncExitStack, settings: Settings, cloud: Cloud) -> Any:
    """DefaultAzureCredential, when anything needs a token: the managed identity in Azure
    (AZURE_CLIENT_ID picks a user-assigned one), the environment or an Azure CLI sign-in locally."""
    if cloud.loopback and settings.storage.connection_string:
        return None
    from azure.identity.aio import DefaultAzureCredential

    client_id = settings.client_id or settings.storage.client_id
    credential = DefaultAzureCredential(managed_identity_client_id=client_id, authority=cloud.authority_host)
    stack.push_async_callback(credential.close)
    return credential
