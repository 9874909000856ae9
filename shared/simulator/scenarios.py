"""Scripted tenants for the demo and the tests: each step changes the simulator before a tick."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from shared.simulator.graph import GraphSimulator

DEMO_TENANT_ID = "72f988bf-86f1-41af-91ab-2d7cd011db47"


@dataclass(frozen=True)
class Step:
    title: str
    change: Callable[[GraphSimulator], None]
    expected: tuple[str, ...]  # "kind:app" for every transition the step should produce


class DemoTenant:
    """A small tenant: HR inbound, two SaaS apps and cloud sync with its two jobs."""

    def __init__(self, sim: GraphSimulator) -> None:
        self.sim = sim
        self.salesforce = sim.add_service_principal(display_name="Salesforce")
        self.salesforce_job = sim.add_job(self.salesforce, template_id="salesforce")
        self.servicenow = sim.add_service_principal(display_name="ServiceNow")
        self.servicenow_job = sim.add_job(self.servicenow, template_id="serviceNowOutDelta")
        self.workday = sim.add_service_principal(display_name="Workday to Microsoft Entra ID user provisioning")
        self.workday_job = sim.add_job(self.workday, template_id="workdayInbound")
        self.cloud_sync = sim.add_service_principal(display_name="contoso.com")
        self.cloud_sync_jobs = (
            sim.add_job(self.cloud_sync, template_id="AD2AADProvisioning"),
            sim.add_job(self.cloud_sync, template_id="AD2AADPasswordHash"),
        )
        sim.add_service_principal(display_name="Microsoft Graph")  # most SPs have no provisioning at all

    def steps(self) -> tuple[Step, ...]:
        return (
            Step("Baseline: the first tick records every job", lambda sim: None, tuple(
                f"added:{name}" for name in ("Salesforce", "ServiceNow", "Workday to Microsoft Entra ID user provisioning", "contoso.com", "contoso.com")
            )),
            Step("Salesforce hits the escrow threshold and is quarantined; Graph throttles once", self._quarantine, ("statusChanged:Salesforce",)),
            Step("Salesforce recovers, ServiceNow is paused, Slack is connected", self._recover, (
                "statusChanged:Salesforce", "statusChanged:ServiceNow", "added:Slack",
            )),
            Step("ServiceNow provisioning is removed; the Workday HR feed is interrupted", self._remove, (
                "removed:ServiceNow", "statusChanged:Workday to Microsoft Entra ID user provisioning",
            )),
            Step("Nothing changes: a quiet tick", lambda sim: None, ()),
        )

    def _quarantine(self, sim: GraphSimulator) -> None:
        sim.set_status(
            self.salesforce, self.salesforce_job, code="Quarantine",
            quarantine_reason="EncounteredEscrowProportionThreshold",
            error_code="SalesforceInvalidCredentials",
            error_message="The credentials supplied for the Salesforce tenant are invalid or expired.",
        )
        sim.fail(f"{self.workday}/synchronization/jobs", status=429, retry_after="0.2")

    def _recover(self, sim: GraphSimulator) -> None:
        sim.set_status(self.salesforce, self.salesforce_job, code="Active")
        sim.set_status(self.servicenow, self.servicenow_job, code="Paused")
        slack = sim.add_service_principal(display_name="Slack")
        sim.add_job(slack, template_id="slack")

    def _remove(self, sim: GraphSimulator) -> None:
        sim.remove_job(self.servicenow, self.servicenow_job)
        sim.set_status(
            self.workday, self.workday_job, code="Quarantine", quarantine_reason="IngestionInterrupted",
            error_code="HRSourceUnavailable", error_message="Workday web services answered 503 for the last 3 imports.",
        )
