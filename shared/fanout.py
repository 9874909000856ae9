"""Many tenants: the timer fans a tick out as work items, the queue trigger runs one, the CLI runs them all.

One tenant's failure (consent revoked, throttled, storage error) never blocks or fails another's: each
tenant's tick runs under its own lease, with its own adapters, snapshot, outbox and Graph budget.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, TypeVar

from shared.bootstrap import home_credential, read_health, run_configured_tick
from shared.cloud import cloud_for
from shared.errors import AnotherTickRunning, SyncwatchError
from shared.settings import Settings
from shared.tenants import Tenant
from shared.tick import TickReport
from shared.work_items import MAX_DEQUEUE_COUNT, WorkItem, parse_work_item, tenant_of, work_items

LOG = logging.getLogger("syncwatch")
T = TypeVar("T")
INLINE_CONCURRENCY = 4  # tenants ticking at once in `poll --once`: each has its own Graph budget


@dataclass(frozen=True)
class TenantOutcome:
    """One tenant's tick: its report, or why it did not run to the end (another tick held its lease, or an error)."""

    tenant: Tenant
    report: TickReport | None = None
    error: SyncwatchError | None = None


@dataclass(frozen=True)
class Fanned:
    items: list[WorkItem]
    poisoned: int  # work items the host gave up on so far, waiting in <WORK_QUEUE>-poison


async def fan_out(settings: Settings, *, now: datetime | None = None) -> Fanned:
    """The timer's whole job with WATCH_TENANTS: one work item per tenant on WORK_QUEUE, in seconds. A bad
    tenants table row is one ERROR line and no item; the valid tenants still get theirs."""
    from shared.adapters.work_queue import WorkQueue

    for problem in settings.tenant_problems:
        LOG.error("syncwatch: %s", problem)
    now = now or datetime.now(timezone.utc)
    items = work_items(settings.tenants, tick_id=uuid.uuid4().hex[:12], now=now)
    async with AsyncExitStack() as stack:
        credential = home_credential(stack, settings, cloud_for(settings.graph_base_url))
        queue = WorkQueue(settings.storage, settings.work_queue, credential=credential)
        stack.push_async_callback(queue.aclose)
        await queue.put(items)
        poisoned = await queue.poisoned()
    if poisoned:
        LOG.error("syncwatch: %d work item(s) failed %d times and wait in %s-poison: see the tenants' health and logs",
                  poisoned, MAX_DEQUEUE_COUNT, settings.work_queue)
    return Fanned(items, poisoned)


async def run_work_item(settings: Settings, body: str, *, dequeue_count: int = 1) -> TickReport | None:
    """One tenant's tick for a work item; None when another tick holds that tenant's lease (nothing to do).
    A SyncwatchError propagates, so that the host retries the item and finally moves it to the poison queue."""
    from shared.tenant_table import resolve_tenants

    item = parse_work_item(body)
    settings = await resolve_tenants(settings, tenant_id=item.tenant_id)  # a tenants table: this row only
    tenant = tenant_of(item, settings.tenants, settings.tenants_source)
    try:
        return await run_configured_tick(settings.for_tenant(tenant))
    except AnotherTickRunning as skipped:
        LOG.info("syncwatch: tenant %s: %s", tenant.name, skipped)
        return None
    except SyncwatchError as error:
        last = " (its last try: the host moves it to the poison queue)" if dequeue_count >= MAX_DEQUEUE_COUNT else ""
        LOG.error("syncwatch: tenant %s: work item of tick %s failed, try %d%s: %s",
                  tenant.name, item.tick_id, dequeue_count, last, error)
        raise


async def run_every_tenant(
    settings: Settings,
    *,
    now: datetime | None = None,
    retry_delay: float | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[TenantOutcome]:
    """Every configured tenant inline, a few at a time (`poll --once`); in configuration order."""

    async def one(tenant: Tenant) -> TenantOutcome:
        try:
            report = await run_configured_tick(settings.for_tenant(tenant), now=now, retry_delay=retry_delay, progress=progress)
        except SyncwatchError as error:  # AnotherTickRunning among them, with its exit code 0
            return TenantOutcome(tenant, error=error)
        return TenantOutcome(tenant, report)

    return await _each_tenant(settings, one)


async def read_every_health(settings: Settings, *, now: datetime | None = None) -> tuple[dict[str, Any], bool]:
    """`GET /api/health`: with WATCH_TENANTS, healthy only when every tenant is and no tenants table row is bad
    (each listed under tenantProblems), and each tenant's own record."""
    if not settings.many_tenants:
        return await read_health(settings, now=now)

    async def one(tenant: Tenant) -> tuple[dict[str, Any], bool]:
        body, healthy = await read_health(settings.for_tenant(tenant), now=now)
        return {"tenantId": tenant.tenant_id, "displayName": tenant.display_name, **body}, healthy

    results = await _each_tenant(settings, one)
    healthy = all(ok for _, ok in results) and not settings.tenant_problems
    problems = {"tenantProblems": list(settings.tenant_problems)} if settings.tenant_problems else {}
    return {"healthy": healthy, "tenants": [body for body, _ in results], **problems}, healthy


async def _each_tenant(settings: Settings, run: Callable[[Tenant], Awaitable[T]]) -> list[T]:
    """`run` for every tenant, INLINE_CONCURRENCY at a time, results in configuration order."""
    limit = asyncio.Semaphore(INLINE_CONCURRENCY)

    async def limited(tenant: Tenant) -> T:
        async with limit:
            return await run(tenant)

    return list(await asyncio.gather(*(limited(tenant) for tenant in settings.tenants)))
