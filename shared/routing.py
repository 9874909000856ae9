"""Which Teams routes take which events. Pure. No I/O.

Severity order is info < warning < critical. A `resolved` event ends a quarantine, which was critical,
so it goes wherever that critical alert went: every route that received the problem hears it is over.
"""

from __future__ import annotations

from fnmatch import fnmatchcase

from shared.events import Event
from shared.model import Severity
from shared.teams_settings import RouteMatch, TeamsRoute

_RANK = {Severity.INFO: 0, Severity.WARNING: 1, Severity.CRITICAL: 2}


def routed_severity(severity: Severity) -> Severity:
    return Severity.CRITICAL if severity is Severity.RESOLVED else severity


def takes(route: TeamsRoute, event: Event) -> bool:
    return _RANK[routed_severity(event.severity)] >= _RANK[route.min_severity] and matches(route.match, event)


def matches(match: RouteMatch, event: Event) -> bool:
    data = event.data
    name = data.get("servicePrincipalName") or ""
    if match.app_display_name is not None and not fnmatchcase(name.lower(), match.app_display_name.lower()):
        return False
    if match.service_principal_ids and data["servicePrincipalId"].lower() not in match.service_principal_ids:
        return False
    if match.event_kinds and event.kind not in match.event_kinds:
        return False
    if match.tenant_ids and str(data["tenantId"]).lower() not in match.tenant_ids:
        return False
    return not match.template_ids or data.get("templateId") in match.template_ids
