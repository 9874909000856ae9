"""Which tenants syncwatch watches: the entries of WATCH_TENANTS, or the one tenant of AZURE_TENANT_ID. Pure.

Each tenant has its own snapshot partitions, outbox, watchlist, lease and Graph throttling budget; what
differs per tenant in settings is its Graph endpoint and its own Teams routes.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from shared.cloud import is_loopback
from shared.errors import SettingsError
from shared.teams_settings import TeamsRoute, routes_from

_DOMAIN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.-]*[A-Za-z0-9]$")
_KEYS = {"tenantId", "displayName", "graphBaseUrl", "teamsRoutes"}


@dataclass(frozen=True)
class Tenant:
    tenant_id: str
    display_name: str | None = None
    graph_base_url: str | None = None  # None: GRAPH_BASE_URL
    teams_routes: tuple[TeamsRoute, ...] = ()  # besides TEAMS_WEBHOOK_URL and TEAMS_ROUTES, which hear of every tenant

    @property
    def name(self) -> str:
        return self.display_name or self.tenant_id


def is_tenant_id(value: str) -> bool:
    """A directory id: a GUID, or a domain such as contoso.onmicrosoft.com."""
    return is_guid(value) or bool(_DOMAIN.match(value))


def is_guid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return len(value) == 36


def graph_base_url(value: str, setting: str = "GRAPH_BASE_URL") -> str:
    """https anywhere; plain http only on loopback, for the local simulator."""
    parts = urlsplit(value.strip())
    if parts.hostname and (parts.scheme == "https" or (parts.scheme == "http" and is_loopback(parts.hostname))):
        return value.strip().rstrip("/")
    raise SettingsError(f"{setting} must be an https:// URL (plain http is allowed only on loopback), got {value!r}")


def watch_tenants(raw: str, environ: Mapping[str, str]) -> tuple[Tenant, ...]:
    """WATCH_TENANTS, validated: a JSON list of {tenantId, displayName?, graphBaseUrl?, teamsRoutes?}."""
    try:
        items = json.loads(raw)
    except ValueError as error:
        raise SettingsError(f"WATCH_TENANTS is not valid JSON: {error}") from error
    if not isinstance(items, list) or not items:
        raise SettingsError("WATCH_TENANTS must be a non-empty JSON list of tenants, e.g. [{\"tenantId\": \"…\"}]")
    tenants = [_tenant(item, index, environ) for index, item in enumerate(items)]
    ids = [tenant.tenant_id.lower() for tenant in tenants]
    if len(set(ids)) != len(ids):
        raise SettingsError("WATCH_TENANTS: each tenantId may appear once")
    return tuple(tenants)


def _tenant(item: object, index: int, environ: Mapping[str, str]) -> Tenant:
    where = f"WATCH_TENANTS[{index}]"
    if not isinstance(item, dict) or not isinstance(item.get("tenantId"), str) or not is_tenant_id(item["tenantId"]):
        raise SettingsError(f"{where} must be an object whose \"tenantId\" is a tenant GUID or a domain")
    unknown = set(item) - _KEYS
    if unknown:
        raise SettingsError(f"{where}: unknown key(s) {sorted(unknown)}; use {', '.join(sorted(_KEYS))}")
    name = item.get("displayName")
    if name is not None and not isinstance(name, str):
        raise SettingsError(f"{where}: displayName must be a string")
    url = item.get("graphBaseUrl")
    if url is not None and not isinstance(url, str):
        raise SettingsError(f"{where}: graphBaseUrl must be a string")
    where = f"WATCH_TENANTS tenant {item['tenantId']}"
    routes = routes_from(item.get("teamsRoutes", []), environ, f"{where}: teamsRoutes")
    return Tenant(item["tenantId"], name, graph_base_url(url, f"{where}: graphBaseUrl") if url else None, tuple(routes))
