"""Teams routes from settings: where cards go, and which events each route takes.

A webhook URL is a secret (its `sig` grants posting): it is validated here, then never printed; errors
show only its host.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from shared.cloud import is_loopback
from shared.errors import SettingsError
from shared.model import Severity, TransitionKind

DEFAULT_ROUTE = "default"
DEFAULT_DIGEST_THRESHOLD = 5
# Teams Workflows (Power Automate / Logic Apps) trigger hosts, plus the retired connectors' host.
ALLOWED_HOST_SUFFIXES = (
    ".logic.azure.com", ".logic.azure.us", ".logic.azure.cn",
    ".powerplatform.com", ".powerautomate.com", ".webhook.office.com",
)
_SEVERITIES = {"info": Severity.INFO, "warning": Severity.WARNING, "critical": Severity.CRITICAL}


@dataclass(frozen=True)
class RouteMatch:
    """Optional filters; an empty one matches every job."""

    app_display_name: str | None = None  # a glob, e.g. "Workday*"
    service_principal_ids: frozenset[str] = frozenset()
    template_ids: frozenset[str] = frozenset()
    event_kinds: frozenset[str] = frozenset()  # e.g. {"statusChanged", "stalled"}: docs/events.md
    tenant_ids: frozenset[str] = frozenset()  # lower case; with WATCH_TENANTS, the tenants this route hears of


@dataclass(frozen=True)
class TeamsRoute:
    name: str
    url: str = field(repr=False)
    min_severity: Severity = Severity.WARNING
    match: RouteMatch = RouteMatch()

    @property
    def host(self) -> str:
        """What may be shown of the URL."""
        return urlsplit(self.url).hostname or "?"


@dataclass(frozen=True)
class TeamsSettings:
    routes: tuple[TeamsRoute, ...] = ()
    digest_threshold: int = DEFAULT_DIGEST_THRESHOLD


def teams_settings_from(environ: Mapping[str, str]) -> TeamsSettings:
    """No Teams setting at all means Teams is off."""
    routes = []
    default_url = environ.get("TEAMS_WEBHOOK_URL", "").strip()
    if default_url:
        routes.append(TeamsRoute(DEFAULT_ROUTE, webhook_url(default_url, "TEAMS_WEBHOOK_URL")))
    routes.extend(_routes(environ))
    return TeamsSettings(unique_routes(routes, "TEAMS_ROUTES"), _threshold(environ))


def unique_routes(routes: list[TeamsRoute], setting: str) -> tuple[TeamsRoute, ...]:
    """A route's name keys its deliveries in the outbox: two routes of one name would share them."""
    names = [route.name for route in routes]
    if len(set(names)) != len(names):
        raise SettingsError(f"{setting}: route names must be unique (and '{DEFAULT_ROUTE}' is TEAMS_WEBHOOK_URL's)")
    return tuple(routes)


def webhook_url(value: str, setting: str) -> str:
    """https on a known Teams/Power Automate/Logic Apps host; plain http only on loopback (the local sink)."""
    parts = urlsplit(value)
    host = (parts.hostname or "").lower()
    if parts.scheme == "http" and is_loopback(host):
        return value
    if parts.scheme == "https" and host.endswith(ALLOWED_HOST_SUFFIXES):
        return value
    shown = f"{parts.scheme}://{host}" if host else "a value that is not a URL"
    raise SettingsError(
        f"{setting} must be an https:// Teams Workflows URL on a Power Automate or Logic Apps host "
        f"(plain http only on loopback), got {shown}"
    )


def _routes(environ: Mapping[str, str]) -> list[TeamsRoute]:
    raw = environ.get("TEAMS_ROUTES", "").strip()
    if not raw:
        return []
    try:
        items = json.loads(raw)
    except ValueError as error:
        raise SettingsError(f"TEAMS_ROUTES is not valid JSON: {error}") from error
    return routes_from(items, environ, "TEAMS_ROUTES")


def routes_from(items: object, environ: Mapping[str, str], setting: str) -> list[TeamsRoute]:
    """Routes as TEAMS_ROUTES writes them (also a WATCH_TENANTS entry's teamsRoutes); `setting` names them in errors."""
    if not isinstance(items, list):
        raise SettingsError(f"{setting} must be a JSON list of routes")
    return [_route(item, index, environ, setting) for index, item in enumerate(items)]


def _route(item: object, index: int, environ: Mapping[str, str], setting: str) -> TeamsRoute:
    where = f"{setting}[{index}]"
    if not isinstance(item, dict) or not isinstance(item.get("name"), str) or not item["name"]:
        raise SettingsError(f"{where} must be an object with a non-empty \"name\"")
    where = f"{setting} route '{item['name']}'"
    url_setting = item.get("urlSetting")
    if not isinstance(url_setting, str) or not url_setting:
        raise SettingsError(f"{where} needs \"urlSetting\": the name of the app setting that holds its webhook URL")
    url = environ.get(url_setting, "").strip()
    if not url:
        raise SettingsError(f"{url_setting} (the URL of {where}) is not set")
    severity = item.get("minSeverity", "warning")
    if severity not in _SEVERITIES:
        raise SettingsError(f"{where}: minSeverity must be one of {', '.join(_SEVERITIES)}, got {severity!r}")
    return TeamsRoute(item["name"], webhook_url(url, url_setting), _SEVERITIES[severity], _match(item.get("match", {}), where))


def _match(raw: object, where: str) -> RouteMatch:
    if not isinstance(raw, dict):
        raise SettingsError(f"{where}: \"match\" must be an object")
    unknown = set(raw) - {"appDisplayName", "servicePrincipalIds", "templateIds", "eventKinds", "tenantIds"}
    if unknown:
        raise SettingsError(
            f"{where}: unknown match key(s) {sorted(unknown)}; use appDisplayName, servicePrincipalIds, templateIds, "
            "eventKinds, tenantIds"
        )
    glob = raw.get("appDisplayName")
    if glob is not None and not isinstance(glob, str):
        raise SettingsError(f"{where}: match.appDisplayName must be a string glob such as \"Workday*\"")
    return RouteMatch(glob, _strings(raw, "servicePrincipalIds", where, lower=True), _strings(raw, "templateIds", where),
                      _event_kinds(raw, where), _strings(raw, "tenantIds", where, lower=True))


def _event_kinds(raw: dict[str, object], where: str) -> frozenset[str]:
    kinds = _strings(raw, "eventKinds", where)
    known = {kind.value for kind in TransitionKind}
    unknown = sorted(kinds - known)
    if unknown:
        raise SettingsError(f"{where}: match.eventKinds has unknown kind(s) {unknown}; known: {', '.join(sorted(known))}")
    return kinds


def _strings(raw: dict[str, object], key: str, where: str, *, lower: bool = False) -> frozenset[str]:
    values = raw.get(key, [])
    if isinstance(values, str):
        values = [values]
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise SettingsError(f"{where}: match.{key} must be a list of strings")
    return frozenset(v.lower() if lower else v for v in values)


def _threshold(environ: Mapping[str, str]) -> int:
    raw = environ.get("TEAMS_DIGEST_THRESHOLD", "").strip() or str(DEFAULT_DIGEST_THRESHOLD)  # settings.DEFAULTS
    if not raw.isdigit() or int(raw) < 1:
        raise SettingsError(f"TEAMS_DIGEST_THRESHOLD must be a whole number >= 1, got {raw!r}")
    return int(raw)
