import pytest

from shared.errors import MalformedJobError
from shared.graph_json import MAX_ITEMS, MAX_TEXT, TRUNCATED, parse_job, parse_status, to_graph_json
from shared.model import ServicePrincipal

SP = ServicePrincipal("sp-1", "app-1", "Salesforce")

# Shaped like Graph's documented job examples, with the documented oddities: 7 fractional digits,
# "" for unset timestamps and enums, 0001-01-01 for never, {} schedule, empty troubleshootingUrl.
DOCUMENTED = {
    "id": "SfSandboxOutDelta.e4bbf44533ea4eabb17027f3a92e92aa",
    "templateId": "SfSandboxOutDelta",
    "schedule": {"expiration": "0001-01-01T00:00:00Z", "interval": "PT40M", "state": "Active"},
    "status": {
        "code": "Quarantine",
        "countSuccessiveCompleteFailures": 3,
        "escrowsPruned": False,
        "lastExecution": {
            "activityIdentifier": "a1b2",
            "countEntitled": 10,
            "countEscrowed": 2,
            "error": {"code": "SalesforceInvalidCredentials", "message": "bad", "tenantActionable": True},
            "state": "Failed",
            "timeBegan": "2026-11-24T09:00:00.1234567Z",
            "timeEnded": "",
        },
        "lastSuccessfulExecution": None,
        "lastSuccessfulExecutionWithExports": {"state": "", "timeBegan": "0001-01-01T00:00:00Z"},
        "progress": [],
        "quarantine": {
            "currentBegan": "2026-11-24T09:40:00Z",
            "nextAttempt": "2026-11-25T09:40:00Z",
            "reason": "EncounteredEscrowProportionThreshold",
            "seriesBegan": "2026-11-24T09:40:00Z",
            "seriesCount": 1,
            "error": {"code": "", "message": "", "tenantActionable": False},
        },
        "steadyStateFirstAchievedTime": "0001-01-01T00:00:00Z",
        "steadyStateLastAchievedTime": "",
        "synchronizedEntryCountByType": [{"key": "user to user", "value": 12}],
        "troubleshootingUrl": "",
    },
    "synchronizationJobSettings": [{"name": "QuarantineTooManyDeletesThreshold", "value": "500"}],
}


def test_documented_payload_parses_with_its_oddities_normalised():
    job = parse_job(DOCUMENTED, SP)
    status = job.status
    assert (job.id, job.template_id, job.schedule.interval) == (DOCUMENTED["id"], "SfSandboxOutDelta", "PT40M")
    assert job.schedule.expiration is None  # 0001-01-01 means never
    assert status.last_execution.time_began.microsecond == 123456
    assert status.last_execution.time_ended is None  # "" is null
    assert status.last_successful_execution_with_exports.state is None
    assert status.steady_state_first_achieved_time is None
    assert status.troubleshooting_url is None
    assert status.quarantine.reason == "EncounteredEscrowProportionThreshold"
    assert status.synchronized_entry_count_by_type == (("user to user", 12),)


def test_every_documented_status_field_survives_a_round_trip():
    status = parse_job(DOCUMENTED, SP).status
    rendered = to_graph_json(status)
    assert set(rendered) == {
        "code", "countSuccessiveCompleteFailures", "escrowsPruned", "lastExecution", "lastSuccessfulExecution",
        "lastSuccessfulExecutionWithExports", "progress", "quarantine", "steadyStateFirstAchievedTime",
        "steadyStateLastAchievedTime", "synchronizedEntryCountByType", "troubleshootingUrl",
    }
    assert rendered["lastExecution"]["timeBegan"] == "2026-11-24T09:00:00.123456Z"
    assert parse_status(rendered) == status


def test_unknown_enum_strings_survive_as_written():
    raw = {"id": "j", "status": {"code": "Hibernating", "quarantine": {"reason": "CosmicRays"}}}
    status = parse_job(raw, SP).status
    assert (status.code, status.quarantine.reason) == ("Hibernating", "CosmicRays")


def test_empty_schedule_and_status_objects_are_accepted():
    job = parse_job({"id": "j", "schedule": {}, "status": {}}, SP)
    assert job.code is None and job.schedule.state is None


def test_int64_as_string_is_accepted():
    assert parse_job({"id": "j", "status": {"countSuccessiveCompleteFailures": "7"}}, SP).status.count_successive_complete_failures == 7


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ([], "not an object"),
        ({"templateId": "x"}, "no usable id"),
        ({"id": 5}, "no usable id"),
        ({"id": "j", "status": "Active"}, "SyncStatus is str"),
        ({"id": "j", "status": {"countSuccessiveCompleteFailures": True}}, "countSuccessiveCompleteFailures"),
        ({"id": "j", "status": {"lastExecution": {"timeBegan": "yesterday"}}}, "lastExecution: timeBegan"),
        ({"id": "j", "status": {"code": 3}}, "code: int, not a string"),
        ({"id": "j", "status": {"progress": {}}}, "progress"),
    ],
)
def test_malformed_job_raises_naming_the_job_and_field(raw, fragment):
    with pytest.raises(MalformedJobError, match=fragment) as caught:
        parse_job(raw, SP)
    assert "sp-1" in str(caught.value) or "job j" in str(caught.value)


def test_huge_strings_and_lists_are_bounded_at_parse_time():
    raw = {"id": "j", "status": {
        "lastExecution": {"error": {"message": "x" * 100_000}},
        "synchronizedEntryCountByType": [{"key": str(i), "value": i} for i in range(1000)],
    }}
    status = parse_job(raw, SP).status
    assert len(status.last_execution.error.message) == MAX_TEXT
    assert status.last_execution.error.message.endswith(TRUNCATED)
    assert len(status.synchronized_entry_count_by_type) == MAX_ITEMS
    assert parse_status(to_graph_json(status)) == status  # bounded values round-trip unchanged
