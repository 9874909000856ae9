"""Scripted tenants for the demo and the tests: each step changes the simulator before a tick."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from shared.simulator.graph import GraphSimulator

DEMO_TENANT_ID = "72f988bf-86f1-41af-91ab-2d7cd011db47"


@dataclass(frozen=True)
class Step:
    title: str
    change: Callable[[GraphSimulator], None]
    expected: tuple[str, ...]  # "kind:app" for every transition the step should produce


WORKDAY = "Workday to Microsoft Entra ID user provisioning"
# What entering quarantine also shows: a new series, a failure, a failed run. The queue gets each; Teams
# gets the one quarantine card (inhibition).
QUARANTINE_FACTS = ("quarantineSeriesStarted", "failureStreak", "executionFailed")


def quarantined(app: str) -> tuple[str, ...]:
    return (f"statusChanged:{app}", *(f"{kind}:{app}" for kind in QUARANTINE_FACTS))


def recovered(app: str) -> tuple[str, ...]:
    """Back to Active: the status change, and the failure streak back to 0."""
    return f"statusChanged:{app}", f"failureStreak:{app}"


class DemoTenant:
    """A small tenant: HR inbound, SaaS apps (one of them flapping, one that silently stops running) and
    cloud sync with its two jobs."""

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
        self.dropbox = sim.add_service_principal(display_name="Dropbox")
        self.dropbox_job = sim.add_job(self.dropbox, template_id="dropbox")
        self.box = sim.add_service_principal(display_name="Box")
        self.box_job = sim.add_job(self.box, template_id="box")
        sim.add_service_principal(display_name="Microsoft Graph")  # most SPs have no provisioning at all

    def steps(self) -> tuple[Step, ...]:
        return (
            Step("Baseline: the first tick records every job", lambda sim: None, tuple(
                f"added:{name}" for name in ("Salesforce", "ServiceNow", WORKDAY, "contoso.com", "contoso.com", "Dropbox", "Box")
            )),
            Step("Salesforce hits the escrow threshold and is quarantined, so is Dropbox; Box stops running while "
                 "still Active; Graph throttles once", self._quarantine,
                 (*quarantined("Salesforce"), "escrowSpike:Salesforce", *quarantined("Dropbox"), "stalled:Box")),
            Step("Salesforce and Dropbox recover, ServiceNow is paused, Slack is connected", self._recover, (
                *recovered("Salesforce"), *recovered("Dropbox"), "statusChanged:ServiceNow", "scheduleChanged:ServiceNow",
                "added:Slack",
            )),
            Step("ServiceNow provisioning is removed; the Workday HR feed is interrupted; Dropbox is quarantined again",
                 self._remove, ("removed:ServiceNow", *quarantined(WORKDAY), *quarantined("Dropbox"))),
            Step("Dropbox recovers again: its fourth change within the window, so it is flapping: one card, then "
                 "quiet on Teams", self._dropbox_recovers, (*recovered("Dropbox"), "flapping:Dropbox")),
            Step("Dropbox goes back into quarantine: the queue hears it, Teams does not", self._dropbox_quarantined,
                 quarantined("Dropbox")),
            Step("Two hours on: Dropbox has been stable since, and Box runs again", self._two_hours_later,
                 ("flapping:Dropbox", "stalled:Box")),
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
        self._dropbox_quarantined(sim)
        sim.stop_running(self.box, self.box_job, since=timedelta(hours=3))

    def _recover(self, sim: GraphSimulator) -> None:
        sim.set_status(self.salesforce, self.salesforce_job, code="Active")
        sim.set_status(self.servicenow, self.servicenow_job, code="Paused")
        self._dropbox_recovers(sim)
        slack = sim.add_service_principal(display_name="Slack")
        sim.add_job(slack, template_id="slack")

    def _remove(self, sim: GraphSimulator) -> None:
        sim.remove_job(self.servicenow, self.servicenow_job)
        sim.set_status(
            self.workday, self.workday_job, code="Quarantine", quarantine_reason="IngestionInterrupted",
            error_code="HRSourceUnavailable", error_message="Workday web services answered 503 for the last 3 imports.",
        )
        self._dropbox_quarantined(sim)

    def _dropbox_quarantined(self, sim: GraphSimulator) -> None:
        sim.set_status(self.dropbox, self.dropbox_job, code="Quarantine", quarantine_reason="EncounteredQuarantineException",
                       error_code="DropboxTokenExpired", error_message="The Dropbox API token expired; it is refreshed every few minutes.")

    def _dropbox_recovers(self, sim: GraphSimulator) -> None:
        sim.set_status(self.dropbox, self.dropbox_job, code="Active")

    def _two_hours_later(self, sim: GraphSimulator) -> None:
        sim.advance(timedelta(hours=2))
        sim.record_run(self.box, self.box_job, state="Succeeded")
