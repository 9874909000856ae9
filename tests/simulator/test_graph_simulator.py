"""The Graph simulator over real HTTP: paging, jobs, $batch, faults, latency, status shapes, and the
msgraph SDK's own transport (request adapter and RetryHandler) pointed at it."""

from __future__ import annotations

import asyncio
import re
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
from kiota_abstractions.authentication import AnonymousAuthenticationProvider
from kiota_abstractions.method import Method
from kiota_abstractions.native_response_handler import NativeResponseHandler
from kiota_abstractions.request_information import RequestInformation
from kiota_abstractions.request_option import RequestOption
from kiota_http.middleware.options import ResponseHandlerOption, RetryHandlerOption
from msgraph.graph_request_adapter import GraphRequestAdapter
from msgraph_core import GraphClientFactory

from shared.simulator.graph import GraphSimulator
from shared.simulator.payloads import NEVER

TENANT = "8a1f5c2e-0d5b-4b8e-9a51-6f4c1b2d3e4f"
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,7})?Z$")
EXECUTION_FIELDS = {
    "activityIdentifier", "countEntitled", "countEntitledForProvisioning", "countEscrowed", "countEscrowedRaw",
    "countExported", "countExports", "countImported", "countImportedDeltas", "countImportedReferenceDeltas",
    "error", "state", "timeBegan", "timeEnded",
}
STATUS_FIELDS = {
    "code", "countSuccessiveCompleteFailures", "escrowsPruned", "lastExecution", "lastSuccessfulExecution",
    "lastSuccessfulExecutionWithExports", "progress", "quarantine", "steadyStateFirstAchievedTime",
    "steadyStateLastAchievedTime", "synchronizedEntryCountByType", "troubleshootingUrl",
}
QUARANTINE_FIELDS = {"currentBegan", "nextAttempt", "reason", "seriesBegan", "seriesCount", "error"}


@pytest.fixture
def sim() -> Iterator[GraphSimulator]:
    with GraphSimulator(tenant_id=TENANT) as simulator:
        yield simulator


@pytest.fixture
def client(sim: GraphSimulator) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sim.base_url, timeout=5.0) as http:
        yield http


def _job(client: httpx.Client, sp_id: str, job_id: str) -> dict[str, Any]:
    response = client.get(f"/servicePrincipals/{sp_id}/synchronization/jobs/{job_id}")
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def _assert_graph_error(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status
    assert response.headers["content-type"].startswith("application/json")
    error = response.json()["error"]
    assert error["code"] == code and error["message"]
    assert set(error["innerError"]) == {"date", "request-id", "client-request-id"}


def test_lists_service_principals_in_pages_honouring_select(sim: GraphSimulator, client: httpx.Client) -> None:
    ids = [sim.add_service_principal(f"App {n}") for n in range(5)]
    seen: list[dict[str, Any]] = []
    url: str | None = "/servicePrincipals?$select=id,displayName&$top=2"
    pages = 0
    while url:
        body = client.get(url).json()
        assert body["@odata.context"].endswith("$metadata#servicePrincipals(id,displayName)")
        seen.extend(body["value"])
        url = body.get("@odata.nextLink")
        pages += 1
        if url:
            assert url.startswith(sim.base_url + "/servicePrincipals?")
            assert "$select=id,displayName" in url and "$top=2" in url and "$skiptoken=" in url
    assert pages == 3
    assert [sp["id"] for sp in seen] == ids
    assert all(set(sp) == {"id", "displayName"} for sp in seen)


def test_full_service_principal_and_default_page_size() -> None:
    with GraphSimulator(tenant_id=TENANT, page_size=2) as sim, httpx.Client(base_url=sim.base_url) as client:
        sp_id = sim.add_service_principal("Salesforce", app_id="app-1", sp_id="sp-1")
        sim.add_service_principal("Box")
        sim.add_service_principal("Slack")
        first = client.get("/servicePrincipals").json()
        assert len(first["value"]) == 2 and "@odata.nextLink" in first
        assert first["value"][0] | {"servicePrincipalType": "Application"} == first["value"][0]
        assert first["value"][0]["appId"] == "app-1" and first["value"][0]["appOwnerOrganizationId"] == TENANT
        single = client.get(f"/servicePrincipals/{sp_id}?$select=appId").json()
        assert single["@odata.context"].endswith("servicePrincipals(appId)/$entity")
        assert {k: v for k, v in single.items() if k != "@odata.context"} == {"id": "sp-1", "appId": "app-1"}
        _assert_graph_error(client.get("/servicePrincipals?$top=1000"), 400, "Request_UnsupportedQuery")
        _assert_graph_error(client.get("/servicePrincipals?$skiptoken=garbage"), 400, "Request_BadRequest")


def test_jobs_list_empty_missing_and_hidden(sim: GraphSimulator, client: httpx.Client) -> None:
    sp_id = sim.add_service_principal("Cloud sync")
    provisioning = sim.add_job(sp_id, template_id="AD2AADProvisioning")
    password_hash = sim.add_job(sp_id, template_id="AD2AADPasswordHash", code="Paused")
    empty = sim.add_service_principal("No provisioning")

    body = client.get(f"/servicePrincipals/{sp_id}/synchronization/jobs").json()
    assert body["@odata.context"].endswith(f"$metadata#servicePrincipals('{sp_id}')/synchronization/jobs")
    assert [job["id"] for job in body["value"]] == [provisioning, password_hash]
    assert re.fullmatch(r"AD2AADProvisioning\.[0-9a-f]{32}", provisioning)
    assert client.get(f"/servicePrincipals/{empty}/synchronization/jobs").json()["value"] == []
    _assert_graph_error(client.get("/servicePrincipals/unknown/synchronization/jobs"), 404, "Request_ResourceNotFound")

    sim.set_jobs_not_found(empty, True)
    _assert_graph_error(client.get(f"/servicePrincipals/{empty}/synchronization/jobs"), 404, "Request_ResourceNotFound")
    sim.remove_job(sp_id, password_hash)
    _assert_graph_error(client.get(f"/servicePrincipals/{sp_id}/synchronization/jobs/{password_hash}"),
                        404, "Request_ResourceNotFound")
    sim.remove_service_principal(sp_id)
    assert client.get(f"/servicePrincipals/{sp_id}/synchronization/jobs").status_code == 404


def test_single_active_job_has_the_documented_shape(sim: GraphSimulator, client: httpx.Client) -> None:
    sp_id = sim.add_service_principal("Salesforce")
    job_id = sim.add_job(sp_id, job_id="salesforce.0123456789abcdef0123456789abcdef")
    job = _job(client, sp_id, job_id)
    assert job["@odata.context"].endswith("/synchronization/jobs/$entity")
    assert job["id"] == job_id and job["templateId"] == "salesforce"
    assert job["schedule"] == {"expiration": None, "interval": "PT40M", "state": "Active"}
    assert job["synchronizationJobSettings"][0].keys() == {"name", "value"}
    status = job["status"]
    assert set(status) == STATUS_FIELDS
    assert status["code"] == "Active" and status["quarantine"] is None
    assert status["countSuccessiveCompleteFailures"] == 0 and status["progress"] == []
    assert set(status["lastExecution"]) == EXECUTION_FIELDS
    assert status["lastExecution"]["state"] == "Succeeded" and status["lastExecution"]["error"] is None
    assert re.search(r"\.\d{7}Z$", status["lastExecution"]["timeBegan"])
    assert all(TIMESTAMP.match(status["lastExecution"][key]) for key in ("timeBegan", "timeEnded"))
    assert status["synchronizedEntryCountByType"][0]["value"] > 0


def test_set_status_quarantine_series_and_recovery(sim: GraphSimulator, client: httpx.Client) -> None:
    sp_id = sim.add_service_principal("Salesforce")
    job_id = sim.add_job(sp_id)
    first_steady = _job(client, sp_id, job_id)["status"]["steadyStateFirstAchievedTime"]
    sim.advance(timedelta(hours=1))  # the job ran again meanwhile, on its 40-minute schedule
    healthy_run = _job(client, sp_id, job_id)["status"]["lastSuccessfulExecution"]
    assert healthy_run["timeBegan"].startswith("2026-11-25T10:57")

    sim.set_status(sp_id, job_id, code="Quarantine", quarantine_reason="EncounteredEscrowProportionThreshold")
    status = _job(client, sp_id, job_id)["status"]
    quarantine = status["quarantine"]
    assert status["code"] == "Quarantine" and status["countSuccessiveCompleteFailures"] >= 1
    assert set(quarantine) == QUARANTINE_FIELDS
    assert quarantine["reason"] == "EncounteredEscrowProportionThreshold"
    assert quarantine["currentBegan"] == quarantine["seriesBegan"] == "2026-11-25T11:00:00Z"
    assert quarantine["nextAttempt"] > quarantine["currentBegan"]
    assert set(quarantine["error"]) == {"code", "message", "tenantActionable"}
    assert status["lastExecution"]["state"] == "Failed" and status["lastExecution"]["error"] == quarantine["error"]
    assert status["lastSuccessfulExecution"] == healthy_run

    sim.advance(timedelta(days=1))
    sim.set_status(sp_id, job_id, code="Quarantine", error_code="SalesforceInvalidCredentials",
                   error_message="Your Salesforce.com credentials are invalid.")
    again = _job(client, sp_id, job_id)["status"]
    assert again["quarantine"]["seriesBegan"] == quarantine["seriesBegan"]
    assert again["quarantine"]["seriesCount"] == quarantine["seriesCount"] + 1
    assert again["quarantine"]["currentBegan"] == "2026-11-26T11:00:00Z"
    assert again["quarantine"]["error"]["code"] == "SalesforceInvalidCredentials"
    assert again["countSuccessiveCompleteFailures"] == status["countSuccessiveCompleteFailures"] + 1

    sim.set_status(sp_id, job_id, code="Active")
    recovered = _job(client, sp_id, job_id)["status"]
    assert recovered["quarantine"] is None and recovered["countSuccessiveCompleteFailures"] == 0
    assert recovered["lastExecution"]["state"] == "Succeeded"
    assert recovered["steadyStateFirstAchievedTime"] == first_steady


def test_never_run_codes_and_raw_jobs(sim: GraphSimulator, client: httpx.Client) -> None:
    sp_id = sim.add_service_principal("Box")
    job_id = sim.add_job(sp_id, template_id="BoxOutDelta", code="NotConfigured")
    job = _job(client, sp_id, job_id)
    assert job["schedule"]["state"] == "Disabled"
    assert job["status"]["lastExecution"] is None and job["status"]["steadyStateFirstAchievedTime"] == NEVER

    raw: dict[str, Any] = {"id": job_id, "templateId": "BoxOutDelta", "schedule": {}, "status": {"code": "SomethingNew"}}
    sim.set_raw_job(sp_id, job_id, raw)
    raw["status"]["code"] = "edited after the fact"
    listed = client.get(f"/servicePrincipals/{sp_id}/synchronization/jobs").json()["value"]
    assert listed == [{"id": job_id, "templateId": "BoxOutDelta", "schedule": {}, "status": {"code": "SomethingNew"}}]


def test_clock_is_settable_and_aware(sim: GraphSimulator) -> None:
    assert sim.clock == datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
    sim.clock = datetime(2027, 1, 1, 12, 0, tzinfo=timezone(timedelta(hours=2)))
    assert sim.advance(timedelta(minutes=5)) == datetime(2027, 1, 1, 10, 5, tzinfo=UTC)
    with pytest.raises(ValueError):
        sim.clock = datetime(2027, 1, 1)


def test_batch_answers_each_item_and_logs_them(sim: GraphSimulator, client: httpx.Client) -> None:
    with_jobs = sim.add_service_principal("Salesforce")
    sim.add_job(with_jobs)
    empty = sim.add_service_principal("Empty")
    requests = [
        {"id": "1", "method": "GET", "url": f"/servicePrincipals/{with_jobs}/synchronization/jobs"},
        {"id": "2", "method": "GET", "url": f"servicePrincipals/{empty}/synchronization/jobs"},
        {"id": "3", "method": "GET", "url": "/servicePrincipals/missing/synchronization/jobs"},
        {"id": "4", "method": "GET", "url": f"{sim.base_url}/servicePrincipals/{empty}/synchronization/jobs"},
    ]
    response = client.post("/$batch", json={"requests": requests})
    assert response.status_code == 200
    items = {item["id"]: item for item in response.json()["responses"]}
    assert [items[key]["status"] for key in "1234"] == [200, 200, 404, 400]
    assert len(items["1"]["body"]["value"]) == 1 and items["2"]["body"]["value"] == []
    assert items["1"]["headers"]["Content-Type"].startswith("application/json")
    assert items["3"]["body"]["error"]["code"] == "Request_ResourceNotFound"
    assert items["4"]["body"]["error"]["code"] == "BadRequest"
    assert sim.request_log == [
        ("POST", "/v1.0/$batch"),
        ("BATCH-GET", f"/servicePrincipals/{with_jobs}/synchronization/jobs"),
        ("BATCH-GET", f"/servicePrincipals/{empty}/synchronization/jobs"),
        ("BATCH-GET", "/servicePrincipals/missing/synchronization/jobs"),
        ("BATCH-GET", f"{sim.base_url}/servicePrincipals/{empty}/synchronization/jobs"),
    ]


def test_batch_rejects_more_than_20_and_malformed_bodies(client: httpx.Client) -> None:
    requests = [{"id": str(n), "method": "GET", "url": "/servicePrincipals"} for n in range(21)]
    _assert_graph_error(client.post("/$batch", json={"requests": requests}), 400, "BadRequest")
    _assert_graph_error(client.post("/$batch", content=b"not json"), 400, "BadRequest")
    duplicate = [{"id": "1", "method": "GET", "url": "/servicePrincipals"}] * 2
    _assert_graph_error(client.post("/$batch", json={"requests": duplicate}), 400, "BadRequest")


def test_fault_injection_direct_429_and_503(sim: GraphSimulator, client: httpx.Client) -> None:
    sim.fail("/servicePrincipals?", status=429, retry_after="0.1")
    sim.fail("$top=5", status=503, times=2, retry_after="2")
    throttled = client.get("/servicePrincipals?$select=id")
    _assert_graph_error(throttled, 429, "TooManyRequests")
    assert throttled.headers["Retry-After"] == "0.1"
    assert client.get("/servicePrincipals?$select=id").status_code == 200
    for _ in range(2):
        unavailable = client.get("/servicePrincipals?$top=5")
        _assert_graph_error(unavailable, 503, "serviceNotAvailable")
        assert unavailable.headers["Retry-After"] == "2"
    assert client.get("/servicePrincipals?$top=5").status_code == 200

    sim.fail("synchronization/jobs", status=500, body={"error": {"code": "custom", "message": "odd"}})
    odd = client.get("/servicePrincipals/x/synchronization/jobs")
    assert odd.status_code == 500 and odd.json() == {"error": {"code": "custom", "message": "odd"}}
    assert "Retry-After" not in odd.headers


def test_fault_injection_inside_a_batch(sim: GraphSimulator, client: httpx.Client) -> None:
    first, second = sim.add_service_principal("A"), sim.add_service_principal("B")
    sim.fail(f"/servicePrincipals/{first}/", status=429, retry_after="2.128")
    requests = [{"id": str(n), "method": "GET", "url": f"/servicePrincipals/{sp}/synchronization/jobs"}
                for n, sp in enumerate((first, second))]
    items = client.post("/$batch", json={"requests": requests}).json()["responses"]
    assert [item["status"] for item in items] == [429, 200]
    assert items[0]["headers"]["Retry-After"] == "2.128"
    assert items[0]["body"]["error"]["code"] == "TooManyRequests"

    sim.fail("$batch", status=503)
    assert client.post("/$batch", json={"requests": requests}).status_code == 503


def test_latency_and_delay_injection(sim: GraphSimulator, client: httpx.Client) -> None:
    sim.delay("/servicePrincipals", seconds=0.5)
    with pytest.raises(httpx.ReadTimeout):
        client.get("/servicePrincipals", timeout=0.1)
    started = time.perf_counter()
    assert client.get("/servicePrincipals").status_code == 200
    assert time.perf_counter() - started < 0.3

    sim.latency = 0.2
    started = time.perf_counter()
    client.get("/servicePrincipals")
    assert time.perf_counter() - started >= 0.2


def test_headers_unknown_paths_methods_and_log_reset(sim: GraphSimulator, client: httpx.Client) -> None:
    response = client.get("/servicePrincipals", headers={"client-request-id": "abc-123"})
    assert response.headers["client-request-id"] == "abc-123" and response.headers["request-id"]
    assert response.headers["content-type"].startswith("application/json")
    _assert_graph_error(client.get("/users"), 404, "UnknownError")
    _assert_graph_error(client.get(sim.base_url.replace("/v1.0", "/beta") + "/servicePrincipals"), 404, "UnknownError")
    _assert_graph_error(client.post("/servicePrincipals", json={}), 405, "Request_BadRequest")
    _assert_graph_error(client.get("/$batch"), 405, "Request_BadRequest")
    assert [method for method, _ in sim.request_log] == ["GET", "GET", "GET", "POST", "GET"]
    sim.reset_log()
    assert sim.request_log == []


def test_concurrent_status_changes_never_tear_a_response(sim: GraphSimulator, client: httpx.Client) -> None:
    sp_id = sim.add_service_principal("Salesforce")
    job_id = sim.add_job(sp_id)
    done = threading.Event()

    def flap() -> None:
        while not done.is_set():
            sim.set_status(sp_id, job_id, code="Quarantine")
            time.sleep(0.0005)
            sim.set_status(sp_id, job_id, code="Active")
            time.sleep(0.0005)

    flapper = threading.Thread(target=flap)
    flapper.start()
    seen = set()
    try:
        for _ in range(60):
            status = _job(client, sp_id, job_id)["status"]
            seen.add(status["code"])
            assert (status["code"] == "Quarantine") == (status["quarantine"] is not None)
            assert (status["code"] == "Quarantine") == (status["lastExecution"]["state"] == "Failed")
    finally:
        done.set()
        flapper.join()
    assert seen == {"Active", "Quarantine"}


def _adapter(sim: GraphSimulator, options: dict[str, RequestOption] | None = None) -> GraphRequestAdapter:
    http = GraphClientFactory.create_with_default_middleware(client=httpx.AsyncClient(timeout=5.0), options=options)
    adapter = GraphRequestAdapter(AnonymousAuthenticationProvider(), client=http)
    adapter.base_url = sim.base_url
    return adapter


async def _send_raw(adapter: GraphRequestAdapter, url: str) -> httpx.Response:
    request = RequestInformation(Method.GET)
    request.url = url
    request.add_request_options([ResponseHandlerOption(NativeResponseHandler())])
    try:
        response: httpx.Response = await adapter.send_primitive_async(request, "bytes", {})
        return response
    finally:
        await adapter._http_client.aclose()


def test_msgraph_request_adapter_reaches_the_simulator(sim: GraphSimulator) -> None:
    sp_id = sim.add_service_principal("Salesforce")
    sim.add_job(sp_id)
    url = f"{sim.base_url}/servicePrincipals/{sp_id}/synchronization/jobs"
    response = asyncio.run(_send_raw(_adapter(sim), url))
    assert response.status_code == 200
    assert response.json()["value"][0]["status"]["code"] == "Active"
    assert sim.request_log == [("GET", f"/v1.0/servicePrincipals/{sp_id}/synchronization/jobs")]


def test_msgraph_retry_handler_retries_a_429(sim: GraphSimulator) -> None:
    sim.fail("/servicePrincipals", status=429, retry_after="1")
    options: dict[str, RequestOption] = {
        RetryHandlerOption.get_key(): RetryHandlerOption(delay=0, max_retries=3, should_retry=True)}
    response = asyncio.run(_send_raw(_adapter(sim, options), f"{sim.base_url}/servicePrincipals?$select=id"))
    assert response.status_code == 200
    assert sim.request_log == [("GET", "/v1.0/servicePrincipals?$select=id")] * 2
