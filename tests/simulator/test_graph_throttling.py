"""The Graph simulator's optional throttling over real HTTP: resource units in a sliding window, 429 with a
fractional Retry-After (directly and per `$batch` item), x-ms-throttle-limit-percentage from 80 % on, and
the counters tests read (units_used, throttled_count, request_counts)."""

from __future__ import annotations

import re
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest

from shared.simulator.graph import GraphSimulator

TENANT = "8a1f5c2e-0d5b-4b8e-9a51-6f4c1b2d3e4f"
RETRY_AFTER = re.compile(r"^\d+\.\d{3}$")
PERCENTAGE = "x-ms-throttle-limit-percentage"


@contextmanager
def _serving(**options: Any) -> Iterator[tuple[GraphSimulator, httpx.Client]]:
    with GraphSimulator(tenant_id=TENANT, **options) as sim, \
            httpx.Client(base_url=sim.base_url, timeout=5.0) as client:
        yield sim, client


def _batch(client: httpx.Client, urls: list[str]) -> httpx.Response:
    requests = [{"id": str(n), "method": "GET", "url": url} for n, url in enumerate(urls)]
    return client.post("/$batch", json={"requests": requests})


def _retry_after(value: str) -> float:
    assert RETRY_AFTER.match(value), value
    seconds = float(value)
    assert seconds >= 0.001
    return seconds


def _sleep_until(moment: float) -> None:
    time.sleep(max(0.0, moment - time.monotonic()))


def test_direct_gets_beyond_the_limit_get_429_until_retry_after_has_passed() -> None:
    with _serving(units_per_window=5, window_seconds=1.0) as (sim, client):
        assert [client.get("/servicePrincipals").status_code for _ in range(5)] == [200] * 5
        throttled = client.get("/servicePrincipals")
        assert throttled.status_code == 429
        assert throttled.headers["content-type"].startswith("application/json")
        error = throttled.json()["error"]
        assert error["code"] == "TooManyRequests" and error["message"]
        assert error["innerError"]["request-id"] == throttled.headers["request-id"]
        assert error["innerError"]["status"] == "429"
        wait = _retry_after(throttled.headers["Retry-After"])
        assert 0 < wait < 1.0  # the oldest unit is already some milliseconds old
        assert PERCENTAGE not in throttled.headers

        again = client.get("/servicePrincipals")  # refusals spend nothing
        assert again.status_code == 429 and sim.units_used() == 5

        time.sleep(_retry_after(again.headers["Retry-After"]))
        assert client.get("/servicePrincipals").status_code == 200
        assert sim.throttled_count == 2


def test_the_window_slides_rather_than_resetting_in_buckets() -> None:
    sp_urls = ["/servicePrincipals"] * 10
    with _serving(units_per_window=20, window_seconds=1.0) as (sim, client):
        first_sent = time.monotonic()
        assert _batch(client, sp_urls).status_code == 200
        first_answered = time.monotonic()
        _sleep_until(first_sent + 0.6)
        assert _batch(client, sp_urls).status_code == 200
        assert sim.units_used() == 20

        _sleep_until(first_sent + 0.9)  # the first ten units are younger than 0.9 s: they still count
        assert sim.units_used() == 20
        assert client.get("/servicePrincipals").status_code == 429

        _sleep_until(first_answered + 1.1)  # the first ten have left; the second ten (about 0.5 s old) count
        assert sim.units_used() == 10
        assert client.get("/servicePrincipals").status_code == 200
        assert sim.units_used() == 11


def test_a_batch_beyond_the_limit_answers_later_items_429_and_the_envelope_200() -> None:
    with _serving(units_per_window=15, window_seconds=1.0) as (sim, client):
        sp_id = sim.add_service_principal("Salesforce")
        sim.add_job(sp_id)
        response = _batch(client, [f"/servicePrincipals/{sp_id}/synchronization/jobs"] * 20)
        assert response.status_code == 200
        assert response.headers[PERCENTAGE] == "1.0"
        items = response.json()["responses"]
        assert [item["id"] for item in items] == [str(n) for n in range(20)]
        assert [item["status"] for item in items] == [200] * 15 + [429] * 5
        for item in items[:15]:
            assert item["headers"]["x-ms-resource-unit"] == "1" and "Retry-After" not in item["headers"]
            assert len(item["body"]["value"]) == 1
        for item in items[15:]:
            assert 0 < _retry_after(item["headers"]["Retry-After"]) <= 1.0
            assert item["body"]["error"]["code"] == "TooManyRequests"
            assert PERCENTAGE not in item["headers"]
        assert sim.units_used() == 15 and sim.throttled_count == 5


def test_limit_percentage_header_appears_from_80_percent_on() -> None:
    with _serving(units_per_window=20, window_seconds=2.0) as (sim, client):
        responses = [client.get("/servicePrincipals") for _ in range(20)]
        assert all(response.status_code == 200 for response in responses)
        assert all(response.headers["x-ms-resource-unit"] == "1" for response in responses)
        assert [response.headers.get(PERCENTAGE) for response in responses] == \
            [None] * 15 + ["0.8", "0.85", "0.9", "0.95", "1.0"]

    with _serving(units_per_window=20, window_seconds=2.0) as (sim, client):
        sp_id = sim.add_service_principal("Box")
        below = _batch(client, [f"/servicePrincipals/{sp_id}"] * 15)
        assert PERCENTAGE not in below.headers
        assert all(PERCENTAGE not in item["headers"] for item in below.json()["responses"])
        at = _batch(client, [f"/servicePrincipals/{sp_id}"])
        assert at.headers[PERCENTAGE] == "0.8" and at.json()["responses"][0]["headers"][PERCENTAGE] == "0.8"


def test_throttled_count_request_counts_and_scripted_faults() -> None:
    with _serving(units_per_window=6, window_seconds=5.0) as (sim, client):
        sp_id = sim.add_service_principal("Salesforce")
        job_id = sim.add_job(sp_id)
        jobs = f"/servicePrincipals/{sp_id}/synchronization/jobs"
        assert client.get("/servicePrincipals?$select=id&$top=999").status_code == 200
        assert client.get(f"/servicePrincipals/{sp_id}").status_code == 200
        assert client.get(jobs).status_code == 200
        assert client.get(f"{jobs}/{job_id}").status_code == 200
        assert client.get("/servicePrincipals/missing/synchronization/jobs").status_code == 404  # 404s cost too
        items = _batch(client, [jobs, jobs.lstrip("/"), f"{jobs}/{job_id}"]).json()["responses"]
        assert [item["status"] for item in items] == [200, 429, 429]
        assert sim.units_used() == 6 and sim.throttled_count == 2

        sim.fail("synchronization/jobs", status=429, retry_after="7")  # a scripted fault wins, spends nothing
        scripted = client.get(jobs)
        assert scripted.status_code == 429 and scripted.headers["Retry-After"] == "7"
        assert client.post("/servicePrincipals", json={}).status_code == 405  # only GETs cost units
        assert sim.units_used() == 6 and sim.throttled_count == 2
        assert client.get(jobs).status_code == 429 and sim.throttled_count == 3

        assert sim.request_counts() == Counter({
            "GET servicePrincipals": 1, "GET servicePrincipal": 1, "GET jobs": 4, "GET job": 1,
            "POST $batch": 1, "BATCH-GET jobs": 2, "BATCH-GET job": 1, "POST servicePrincipals": 1,
        })
        counts = sim.request_counts()
        counts["GET jobs"] += 100  # a copy
        assert sim.request_counts()["GET jobs"] == 4

        sim.reset_log()
        assert sim.throttled_count == 0 and sim.request_counts() == Counter() and sim.request_log == []
        assert sim.units_used() == 6  # the window is Graph's state, not the log's


def test_throttling_is_off_by_default() -> None:
    with _serving() as (sim, client):
        responses = [client.get("/servicePrincipals") for _ in range(100)]
        assert {response.status_code for response in responses} == {200}
        assert not any(PERCENTAGE in r.headers or "x-ms-resource-unit" in r.headers for r in responses)
        assert sim.throttled_count == 0
        assert sim.units_used() == 100  # still measured
        assert sim.request_counts() == Counter({"GET servicePrincipals": 100})


def test_latency_applies_once_per_batch_not_per_item() -> None:
    with _serving(latency=0.2, units_per_window=100) as (_, client):
        started = time.perf_counter()
        response = _batch(client, ["/servicePrincipals"] * 20)
        elapsed = time.perf_counter() - started
        assert response.status_code == 200 and len(response.json()["responses"]) == 20
        assert 0.2 <= elapsed < 0.6


def test_concurrent_batches_never_admit_more_than_the_limit() -> None:
    with _serving(units_per_window=1000, window_seconds=30.0) as (sim, _):
        statuses: Counter[int] = Counter()
        lock = threading.Lock()

        def worker() -> None:
            with httpx.Client(base_url=sim.base_url, timeout=5.0) as own:
                for _ in range(10):
                    items = _batch(own, ["/servicePrincipals"] * 20).json()["responses"]
                    with lock:
                        statuses.update(item["status"] for item in items)

        threads = [threading.Thread(target=worker) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert statuses == Counter({200: 1000, 429: 600})
        assert sim.units_used() == 1000 and sim.throttled_count == 600
        assert sim.request_counts() == Counter({"POST $batch": 80, "BATCH-GET servicePrincipals": 1600})


@pytest.mark.parametrize("options", [{"units_per_window": 0}, {"units_per_window": 5, "window_seconds": 0}])
def test_rejects_meaningless_limits(options: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        GraphSimulator(**options)
