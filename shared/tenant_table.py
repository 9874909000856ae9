"""WATCH_TENANTS=table:<name> at run time: the one place that reads the tenants table into Settings, and the
CLI's edits of it. Every entry point (timer fan-out, work item, `poll --once`, health, the CLI) calls
resolve_tenants once; loading settings stays synchronous and free of I/O.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import replace
from typing import TYPE_CHECKING

from shared.cloud import cloud_for
from shared.errors import SettingsError
from shared.settings import Settings
from shared.tenants import Tenant, is_tenant_id, tenant_of_row, tenants_of_rows

if TYPE_CHECKING:
    from shared.adapters.table_tenants import TableTenants


async def resolve_tenants(settings: Settings, *, tenant_id: str | None = None) -> Settings:
    """Settings with watch_tenants read from the table and one tenant_problems line per bad row; without a
    table, the settings as they are. With `tenant_id` (a work item's), only that row is read: a deleted row
    leaves no tenant, and a bad one raises its SettingsError."""
    table = settings.tenants_table
    if table is None:
        return settings
    async with open_tenants(settings, table) as tenants:
        if tenant_id is not None:
            row = await tenants.get(tenant_id) if is_tenant_id(tenant_id) else None
            return replace(settings, watch_tenants=() if row is None else (_tenant(settings, table, row),))
        rows = await tenants.load()
    found, problems = tenants_of_rows(rows, table, settings.environ, global_routes=settings.teams.routes)
    return replace(settings, watch_tenants=found, tenant_problems=problems)


async def add_tenant(settings: Settings, row: Mapping[str, str]) -> Tenant:
    """Validates the row as the tick will read it, then writes it (creating the table)."""
    table = _editable(settings)
    tenant = _tenant(settings, table, row)
    async with open_tenants(settings, table) as tenants:
        await tenants.put(dict(row))
    return tenant


async def remove_tenant(settings: Settings, tenant_id: str) -> bool:
    """False when the table has no such tenant. Its queued work items are refused from now on."""
    table = _editable(settings)
    async with open_tenants(settings, table) as tenants:
        return await tenants.remove(tenant_id.strip().lower())


@asynccontextmanager
async def open_tenants(settings: Settings, table: str) -> AsyncIterator[TableTenants]:
    """The tenants table, with the credential the snapshot table gets."""
    from shared.adapters.table_tenants import TableTenants
    from shared.bootstrap import home_credential

    async with AsyncExitStack() as stack:
        credential = home_credential(stack, settings, cloud_for(settings.graph_base_url))
        tenants = TableTenants(settings.storage, table, credential=credential)
        stack.push_async_callback(tenants.aclose)
        yield tenants


def _tenant(settings: Settings, table: str, row: Mapping[str, object]) -> Tenant:
    return tenant_of_row(row, table, settings.environ, global_routes=settings.teams.routes)


def _editable(settings: Settings) -> str:
    """Only a tenants table is edited here; a JSON list lives in the app setting itself."""
    if settings.tenants_table is not None:
        return settings.tenants_table
    if settings.watch_tenants:
        raise SettingsError("WATCH_TENANTS is a JSON list: add or remove a tenant by editing that setting "
                            "(or set WATCH_TENANTS=table:<name> to keep the tenants in a table)")
    raise SettingsError("WATCH_TENANTS is not set: set it to table:<name> (e.g. table:syncwatchtenants) to keep "
                        "the tenants in a table, then add them here")
