"""Telemetry: one structured line per tick, custom metrics, and in Azure the export to Application Insights.

Set up lazily at the first invocation, never at import: the distro loads hundreds of modules, and the
Functions host imports function_app.py on every cold start. Locally the lines stay readable text.
"""

from __future__ import annotations

import logging
import os
from collections import Counter
from collections.abc import Mapping
from typing import Any

from shared.tick import TickReport

LOGGER = logging.getLogger("syncwatch")
_state = {"configured": False}


def set_up_telemetry(environ: Mapping[str, str] | None = None) -> bool:
    """Exports logs, traces and metrics to Application Insights when the app has a connection string;
    authenticates with Entra when APPLICATIONINSIGHTS_AUTHENTICATION_STRING asks for it. Idempotent."""
    environ = os.environ if environ is None else environ
    connection = environ.get("APPLICATIONINSIGHTS_CONNECTION_STRING", "")
    if _state["configured"] or not connection:
        return _state["configured"]
    from azure.monitor.opentelemetry import configure_azure_monitor

    options: dict[str, Any] = {"connection_string": connection, "logger_name": LOGGER.name}
    if "Authorization=AAD" in environ.get("APPLICATIONINSIGHTS_AUTHENTICATION_STRING", ""):
        from azure.identity import ManagedIdentityCredential

        options["credential"] = ManagedIdentityCredential(client_id=environ.get("AZURE_CLIENT_ID") or None)
    configure_azure_monitor(**options)
    _state["configured"] = True
    return True


def record_tick(report: TickReport) -> dict[str, Any]:
    """Logs the tick's summary line with its counts as custom dimensions, and updates the metrics."""
    dimensions = tick_dimensions(report)
    LOGGER.info(report.summary(), extra={"custom_dimensions": dimensions, "tick_id": report.tick_id})
    for event in report.events:
        details = {**transition_dimensions(event.data, report.tick_id), "kind": event.kind, "keptFromTeams": event.withheld}
        LOGGER.info(f"transition {event.type}: {details['app']} {details['previousCode']} -> {details['currentCode']}",
                    extra={"custom_dimensions": details})
    for problem in report.problems():
        LOGGER.warning(problem, extra={"custom_dimensions": {"event": "problem", "tick_id": report.tick_id}})
    _metrics(report)
    return dimensions


def transition_dimensions(data: Mapping[str, Any], tick_id: str) -> dict[str, Any]:
    """One transition as dimensions a Kusto query can group by (docs/telemetry.md)."""
    quarantine = data["status"].get("quarantine") or {}
    return {
        "event": "transition", "tick_id": tick_id, "app": data.get("servicePrincipalName"),
        "servicePrincipalId": data["servicePrincipalId"], "jobId": data["jobId"], "templateId": data.get("templateId"),
        "previousCode": data["previousCode"], "currentCode": data["currentCode"], "severity": data["severity"],
        "reason": quarantine.get("reason"), "tenantId": data["tenantId"],
    }


def tick_dimensions(report: TickReport) -> dict[str, Any]:
    kinds = Counter(t.kind.value for t in report.transitions)
    delivered = Counter(entry.sink for entry in report.settlement.delivered)
    return {
        "event": "tick",
        "tick_id": report.tick_id,
        "tenant_id": report.tenant_id,
        "service_principals": report.service_principals,
        "jobs": report.jobs,
        "unhealthy_jobs": report.unhealthy_jobs,
        "transitions": len(report.transitions),
        **{f"transitions_{kind}": count for kind, count in kinds.items()},
        **{f"delivered_{sink}": count for sink, count in delivered.items()},
        **{f"kept_from_teams_{reason}": count for reason, count in report.withheld.items()},
        "not_read": len(report.read_failures),
        "owed": len(report.undelivered),
        "dead_lettered": report.dead_lettered,
        **{f"graph_{name}": count for name, count in report.graph_stats.items()},
        "entities_read": report.entities_read,
        "entities_written": report.entities_written,
        "duration_seconds": round(report.seconds, 3),
    }


def _metrics(report: TickReport) -> None:
    """No-ops until a meter provider is configured (in Azure, by the distro)."""
    from opentelemetry import metrics

    meter = metrics.get_meter("syncwatch")
    transitions = meter.create_counter("syncwatch.transitions", description="provisioning job transitions detected")
    for transition in report.transitions:
        transitions.add(1, {"kind": transition.kind.value, "severity": transition.severity.value})
    meter.create_gauge("syncwatch.jobs.unhealthy", description="jobs in Quarantine or Paused").set(report.unhealthy_jobs)
    meter.create_gauge("syncwatch.outbox.owed", description="deliveries still owed after the tick").set(len(report.undelivered))
