"""The Teams Workflows webhook sink over real HTTP: URL shape, 202 and recording, auth and shape errors, the
28 KB limit, scripted throttling, legacy and 5xx answers, delays, arrivals, reset and quiet logging."""

from __future__ import annotations

import copy
import json
import re
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from shared.simulator.teams_sink import MAX_BODY_BYTES, TeamsSink

CARD = {"type": "AdaptiveCard", "version": "1.5", "body": [{"type": "TextBlock", "text": "Job quarantined"}]}
MESSAGE: dict[str, Any] = {"type": "message", "attachments": [
    {"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None, "content": CARD}]}
URL_SHAPE = re.compile(r"http://127\.0\.0\.1:\d+/workflows/[0-9a-f]{32}/triggers/manual/paths/invoke"
                       r"\?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1\.0&sig=[A-Za-z0-9_-]{43}")
LEGACY_429 = "Webhook message delivery failed with error: Microsoft Teams endpoint returned HTTP error 429"


@pytest.fixture
def sink() -> Iterator[TeamsSink]:
    with TeamsSink() as running:
        yield running


@pytest.fixture(scope="module")
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=5.0) as http:
        yield http


@pytest.fixture
def url(sink: TeamsSink) -> str:
    return sink.new_webhook("default")


def _message(**changes: Any) -> dict[str, Any]:
    return {**copy.deepcopy(MESSAGE), **changes}


def _error_code(response: httpx.Response) -> str:
    code: str = response.json()["error"]["code"]
    return code


def test_valid_message_is_accepted_with_202_empty_body_and_recorded(sink: TeamsSink, client: httpx.Client,
                                                                    url: str) -> None:
    second = _message(attachments=[{"contentType": "application/vnd.microsoft.card.adaptive", "content": CARD}])
    responses = [client.post(url, json=MESSAGE), client.post(url, json=second)]
    assert [(r.status_code, r.content) for r in responses] == [(202, b""), (202, b"")]
    assert sink.posts("default") == [MESSAGE, second]
    sink.posts("default").clear()
    assert len(sink.posts("default")) == 2


def test_same_name_same_url_and_new_name_new_url(sink: TeamsSink, url: str) -> None:
    other = sink.new_webhook("ops")
    assert URL_SHAPE.fullmatch(url) and URL_SHAPE.fullmatch(other)
    assert sink.new_webhook("default") == url
    assert other.split("/")[4] != url.split("/")[4]
    assert other.rsplit("sig=", 1)[1] != url.rsplit("sig=", 1)[1]


def test_webhooks_keep_their_posts_apart(sink: TeamsSink, client: httpx.Client, url: str) -> None:
    assert client.post(sink.new_webhook("ops"), json=MESSAGE).status_code == 202
    assert (sink.posts("default"), sink.posts("ops")) == ([], [MESSAGE])


def test_wrong_or_missing_sig_is_401(sink: TeamsSink, client: httpx.Client, url: str) -> None:
    for bad in (url[:-1] + ("A" if url[-1] != "A" else "B"), url.split("&sig=")[0]):
        response = client.post(bad, json=MESSAGE)
        assert (response.status_code, _error_code(response)) == (401, "DirectApiAuthorizationRequired")
    assert sink.posts("default") == []


def test_unknown_trigger_is_404_and_other_methods_405(client: httpx.Client, url: str) -> None:
    unknown = re.sub(r"/workflows/[0-9a-f]{32}/", "/workflows/" + "0" * 32 + "/", url)
    for target in (unknown, url.replace("/invoke", "/run")):
        response = client.post(target, json=MESSAGE)
        assert (response.status_code, _error_code(response)) == (404, "TriggerNotFound")
    response = client.get(url)
    assert (response.status_code, response.headers["Allow"]) == (405, "POST")


def test_invalid_json_is_400(sink: TeamsSink, client: httpx.Client, url: str) -> None:
    response = client.post(url, content=b"{not json", headers={"Content-Type": "application/json"})
    assert (response.status_code, _error_code(response)) == (400, "InvalidRequestContent")
    assert sink.posts("default") == []


@pytest.mark.parametrize(("body", "named"), [
    ([MESSAGE], "'type'"),
    (_message(type="MessageCard"), "'type'"),
    (_message(attachments=[]), "'attachments'"),
    (_message(attachments={"content": CARD}), "'attachments'"),
    (_message(attachments=[{"contentType": "application/json", "content": CARD}]), "attachments[0].contentType"),
    (_message(attachments=[MESSAGE["attachments"][0], {"contentType": "application/vnd.microsoft.card.adaptive"}]),
     "attachments[1].content"),
    (_message(attachments=[{**MESSAGE["attachments"][0], "content": {"type": "MessageCard"}}]),
     "attachments[0].content"),
])
def test_wrong_shape_is_400_naming_the_problem(sink: TeamsSink, client: httpx.Client, url: str, body: Any,
                                              named: str) -> None:
    response = client.post(url, json=body)
    assert (response.status_code, _error_code(response)) == (400, "TriggerInputSchemaMismatch")
    assert named in response.json()["error"]["message"]
    assert sink.posts("default") == []


def test_body_over_28_kb_is_413_and_exactly_28_kb_is_accepted(sink: TeamsSink, client: httpx.Client,
                                                              url: str) -> None:
    padded = _message(padding="")
    padded["padding"] = "x" * (MAX_BODY_BYTES - len(json.dumps(padded).encode()))
    exact = json.dumps(padded).encode()
    assert len(exact) == MAX_BODY_BYTES
    headers = {"Content-Type": "application/json"}
    assert client.post(url, content=exact, headers=headers).status_code == 202
    response = client.post(url, content=exact.replace(b'"x', b'"xx', 1), headers=headers)
    assert response.status_code == 413 and "error" in response.json()
    assert len(sink.posts("default")) == 1


def test_scripted_429_with_retry_after_then_202(sink: TeamsSink, client: httpx.Client, url: str) -> None:
    sink.respond("default", status=429, times=2, retry_after="0.2")
    first, second, third = (client.post(url, json=MESSAGE) for _ in range(3))
    assert [r.status_code for r in (first, second, third)] == [429, 429, 202]
    assert first.headers["Retry-After"] == second.headers["Retry-After"] == "0.2"
    assert sink.posts("default") == [MESSAGE]


def test_legacy_connector_throttling_answers_200_with_text(sink: TeamsSink, client: httpx.Client, url: str) -> None:
    sink.respond("default", status=200, body=LEGACY_429)
    response = client.post(url, json=MESSAGE)
    assert (response.status_code, response.text) == (200, LEGACY_429)
    assert "Retry-After" not in response.headers
    assert sink.posts("default") == []


def test_scripts_queue_in_order_and_500_is_not_recorded(sink: TeamsSink, client: httpx.Client, url: str) -> None:
    sink.respond("default", status=500)
    sink.respond("default", status=503, retry_after="1")
    statuses = [client.post(url, json=MESSAGE).status_code for _ in range(3)]
    assert statuses == [500, 503, 202]
    assert len(sink.posts("default")) == 1
    with pytest.raises(ValueError):
        sink.respond("default", status=500, times=0)


def test_delay_slows_answers_and_trips_client_timeouts(sink: TeamsSink, client: httpx.Client, url: str) -> None:
    sink.delay("default", seconds=0.3)
    started = time.monotonic()
    assert client.post(url, json=MESSAGE).status_code == 202
    assert time.monotonic() - started >= 0.3
    sink.delay("default", seconds=0.5)
    with pytest.raises(httpx.ReadTimeout):
        client.post(url, json=MESSAGE, timeout=0.1)
    started = time.monotonic()
    assert client.post(url, json=MESSAGE).status_code == 202
    assert time.monotonic() - started < 0.3


def test_latency_applies_to_every_request(client: httpx.Client) -> None:
    with TeamsSink(latency=0.15) as slow:
        started = time.monotonic()
        assert client.post(slow.new_webhook("default"), json=MESSAGE).status_code == 202
        assert time.monotonic() - started >= 0.15


def test_arrivals_count_every_post_accepted_or_not(sink: TeamsSink, client: httpx.Client, url: str) -> None:
    sink.respond("default", status=429, retry_after="0")
    before = time.monotonic()
    for body in (MESSAGE, {"type": "message"}, MESSAGE):
        client.post(url, json=body)
    client.post(url.split("&sig=")[0], json=MESSAGE)
    client.get(url)
    arrivals = sink.arrivals("default")
    assert len(arrivals) == 4 and arrivals == sorted(arrivals) and arrivals[0] >= before
    assert sink.posts("default") == [MESSAGE]


def test_concurrent_posts_are_all_recorded(sink: TeamsSink, client: httpx.Client, url: str) -> None:
    def post(index: int) -> None:
        client.post(url, json=_message(seq=index)).raise_for_status()

    threads = [threading.Thread(target=post, args=(i,)) for i in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(p["seq"] for p in sink.posts("default")) == list(range(20))
    assert len(sink.arrivals("default")) == 20


def test_reset_forgets_posts_arrivals_and_scripts_but_keeps_webhooks(sink: TeamsSink, client: httpx.Client,
                                                                     url: str) -> None:
    client.post(url, json=MESSAGE)
    sink.respond("default", status=500)
    sink.delay("default", seconds=5)
    sink.reset()
    assert (sink.posts("default"), sink.arrivals("default")) == ([], [])
    assert sink.new_webhook("default") == url
    assert client.post(url, json=MESSAGE).status_code == 202


def test_unknown_names_and_unstarted_sinks_are_errors(sink: TeamsSink) -> None:
    for call in (sink.posts, sink.arrivals):
        with pytest.raises(KeyError):
            call("nobody")
    with pytest.raises(KeyError):
        sink.respond("nobody", status=500)
    with pytest.raises(RuntimeError):
        TeamsSink().new_webhook("default")


def test_nothing_is_logged_so_the_sig_stays_secret(sink: TeamsSink, client: httpx.Client, url: str,
                                                   capfd: pytest.CaptureFixture[str]) -> None:
    client.post(url, json=MESSAGE)
    client.post(url, json={})
    client.get(url)
    client.post(url.replace("/invoke", "/nope"), json=MESSAGE)
    captured = capfd.readouterr()
    assert captured.err == captured.out == ""
