import json
import uuid
from dataclasses import replace

from shared.cloud import cloud_for
from shared.events import DATASCHEMA, MAX_DATA_BYTES, SCHEMA_FILE, EventContext, build_event
from shared.adapters.storage_queue import serialize
from shared import diff as diff_module
from shared.model import Severity, TransitionKind
from tests.builders import NOW, TENANT, job, observed, snapshot
from tests.schema import EVENT_VALIDATOR, SCHEMA_PATH

CONTEXT = EventContext(TENANT, cloud_for("https://graph.microsoft.com/v1.0"), NOW)


def only_transition(before, after):
    [transition] = diff_module.diff(snapshot(before) if before else {}, observed(after) if after else observed(listing_complete=True, extra_sps=(before.service_principal.id,)), now=NOW)
    return transition


def test_quarantine_event_has_every_contract_attribute_and_field():
    event = build_event(only_transition(job(code="Active"), job(code="Quarantine", reason="TooManyDeletes")), CONTEXT)
    document = json.loads(serialize(event))
    assert document["specversion"] == "1.0"
    assert document["type"] == "syncwatch.job.statusChanged"
    assert document["source"] == f"/tenants/{TENANT}/servicePrincipals/sp-1/synchronization/jobs/salesforce.1"
    assert document["subject"] == "salesforce.1"
    assert document["time"] == "2026-11-25T10:00:00Z"
    assert document["datacontenttype"] == "application/json"
    assert document["dataschema"] == DATASCHEMA and DATASCHEMA.endswith(SCHEMA_FILE) and SCHEMA_PATH.name == SCHEMA_FILE
    data = document["data"]
    assert (data["previousCode"], data["currentCode"], data["severity"]) == ("Active", "Quarantine", "critical")
    assert data["status"]["quarantine"]["reason"] == "TooManyDeletes"
    assert data["portalUrl"].startswith("https://entra.microsoft.com/#view/Microsoft_AAD_IAM/ManagedAppMenuBlade")
    assert "objectId/sp-1/appId/app-sp-1" in data["portalUrl"]
    EVENT_VALIDATOR.validate(document)


def test_added_and_removed_events_validate_with_null_codes():
    added = json.loads(serialize(build_event(only_transition(None, job()), CONTEXT)))
    removed = json.loads(serialize(build_event(only_transition(job(), None), CONTEXT)))
    assert (added["type"], added["data"]["previousCode"]) == ("syncwatch.job.added", None)
    assert (removed["type"], removed["data"]["currentCode"], removed["data"]["severity"]) == ("syncwatch.job.removed", None, "warning")
    EVENT_VALIDATOR.validate(added)
    EVENT_VALIDATOR.validate(removed)


def test_event_id_is_stable_for_the_same_observation_and_changes_with_it():
    transition = only_transition(job(code="Active"), job(code="Quarantine", message="a"))
    first = build_event(transition, CONTEXT)
    again = build_event(transition, replace(CONTEXT, detected_at=NOW.replace(hour=11)))
    other = build_event(only_transition(job(code="Active"), job(code="Quarantine", message="b")), CONTEXT)
    assert first.id == again.id != other.id
    uuid.UUID(first.id)


def test_event_id_differs_per_tenant():
    transition = only_transition(None, job())
    assert build_event(transition, CONTEXT).id != build_event(transition, replace(CONTEXT, tenant_id="other")).id


def test_national_cloud_gets_its_own_portal_link():
    gov = replace(CONTEXT, cloud=cloud_for("https://graph.microsoft.us/v1.0"))
    assert build_event(only_transition(None, job()), gov).data["portalUrl"].startswith("https://portal.azure.us/#view/")


def test_huge_status_is_trimmed_under_the_queue_limit_and_still_validates():
    from shared.graph_json import parse_job
    from shared.model import ServicePrincipal

    big = "é" * 5000
    raw = {"id": "j", "status": {
        "code": "Quarantine",
        **{k: {"error": {"message": big, "code": big}, "activityIdentifier": big} for k in ("lastExecution", "lastSuccessfulExecution", "lastSuccessfulExecutionWithExports")},
        "quarantine": {"reason": big, "error": {"message": big}},
        "synchronizedEntryCountByType": [{"key": big, "value": 1}] * 60,
        "progress": [{"units": big}] * 60,
    }}
    current = parse_job(raw, ServicePrincipal("sp-1", "app", big))
    event = build_event(only_transition(None, current), CONTEXT)
    body = serialize(event)
    assert len(body.encode()) <= MAX_DATA_BYTES + 1024
    assert event.severity is Severity.CRITICAL
    EVENT_VALIDATOR.validate(json.loads(body))


def test_transition_kind_values_are_the_contract_names():
    assert {k.value for k in TransitionKind} == {
        "added", "removed", "statusChanged", "quarantineReasonChanged", "quarantineSeriesStarted", "failureStreak",
        "executionFailed", "stalled", "scheduleChanged", "escrowSpike", "flapping", "quarantineReminder",
    }


def test_the_same_codes_and_new_status_twice_are_two_events_with_two_ids():
    """Bug found by the soak: Active -> NotRun, later again Active -> NotRun, with NotRun's status identical
    both times, gave one id, so consumers deduplicating by id dropped the second real transition."""
    from dataclasses import replace as changed

    from shared.model import SyncStatus

    not_run = job(code="NotRun")
    first_active = changed(job(code="Active"), status=SyncStatus(code="Active", count_successive_complete_failures=0))
    later_active = changed(job(code="Active"), status=SyncStatus(code="Active", escrows_pruned=True))
    first = build_event(only_transition(first_active, not_run), CONTEXT)
    second = build_event(only_transition(later_active, not_run), CONTEXT)
    assert first.id != second.id
