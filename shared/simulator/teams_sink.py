"""Local Teams Workflows webhook sink over real HTTP for tests: trigger URLs shaped like Power Automate's that
accept Adaptive Card messages with 202 and record them, with scripted answers (429, 5xx, legacy 200) and delays."""

from __future__ import annotations

import copy
import hmac
import json
import re
import secrets
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from email.message import Message
from typing import Any
from urllib.parse import parse_qs, urlsplit

from shared.simulator.loopback import BackgroundServer, LoopbackServer

MAX_BODY_BYTES = 28 * 1024
CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
_QUERY = "api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig="
_TRIGGER_PATH = re.compile(r"/workflows/([0-9a-f]{32})/triggers/manual/paths/invoke")


@dataclass
class _Script:
    """A scripted answer (status) or delay (seconds) for the next `remaining` POSTs to one webhook."""

    remaining: int
    status: int = 0
    seconds: float = 0.0
    retry_after: str | None = None
    body: str = ""

    def __post_init__(self) -> None:
        if self.remaining < 1:
            raise ValueError("times must be at least 1")


@dataclass
class _Webhook:
    workflow_id: str
    sig: str
    posts: list[dict[str, Any]] = field(default_factory=list)
    arrivals: list[float] = field(default_factory=list)
    answers: deque[_Script] = field(default_factory=deque)
    delays: deque[_Script] = field(default_factory=deque)


@dataclass
class _Reply:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


class TeamsSink:
    """Teams Workflows webhooks on 127.0.0.1, one per name. State is guarded by one lock."""

    def __init__(self, *, latency: float = 0.0) -> None:
        self.latency = latency
        self._lock = threading.Lock()
        self._by_name: dict[str, _Webhook] = {}
        self._by_id: dict[str, _Webhook] = {}
        self._http = BackgroundServer("teams-sink")
        self._base_url = ""

    def start(self) -> TeamsSink:
        self._base_url = self._http.start(LoopbackServer(self._serve_http))
        return self

    def stop(self) -> None:
        self._http.stop()

    __enter__ = start

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def new_webhook(self, name: str) -> str:
        """The trigger URL for `name`, created on first use; its `sig` is the webhook's secret."""
        if not self._base_url:
            raise RuntimeError("TeamsSink has not been started")
        with self._lock:
            hook = self._by_name.get(name)
            if hook is None:
                hook = _Webhook(uuid.uuid4().hex, secrets.token_urlsafe(32))
                self._by_name[name] = self._by_id[hook.workflow_id] = hook
        return f"{self._base_url}/workflows/{hook.workflow_id}/triggers/manual/paths/invoke?{_QUERY}{hook.sig}"

    def posts(self, name: str) -> list[dict[str, Any]]:
        with self._lock:
            return copy.deepcopy(self._by_name[name].posts)

    def arrivals(self, name: str) -> list[float]:
        with self._lock:
            return list(self._by_name[name].arrivals)

    def respond(self, name: str, *, status: int, times: int = 1, retry_after: str | None = None,
                body: str = "") -> None:
        """Answer the next `times` authorised POSTs to `name` with `status`, `body` and Retry-After when given."""
        script = _Script(times, status=status, retry_after=retry_after, body=body)
        with self._lock:
            self._by_name[name].answers.append(script)

    def delay(self, name: str, *, seconds: float, times: int = 1) -> None:
        script = _Script(times, seconds=seconds)
        with self._lock:
            self._by_name[name].delays.append(script)

    def clear_scripts(self) -> None:
        """Forget scripted answers and delays not yet used; keep what was received."""
        with self._lock:
            for hook in self._by_name.values():
                hook.answers.clear()
                hook.delays.clear()

    def reset(self) -> None:
        with self._lock:
            for hook in self._by_name.values():
                for kept in (hook.posts, hook.arrivals, hook.answers, hook.delays):
                    kept.clear()

    def _take(self, queue: deque[_Script]) -> _Script | None:
        with self._lock:
            script = queue[0] if queue else None
            if script is not None:
                script.remaining -= 1
                if script.remaining == 0:
                    queue.popleft()
            return script

    def _serve_http(self, method: str, raw_path: str, body: bytes, headers: Message) -> tuple[int, dict[str, str], bytes]:
        reply = self._handle(method, raw_path, body)
        return reply.status, reply.headers, reply.body

    def _handle(self, method: str, raw_path: str, body: bytes) -> _Reply:
        arrived = time.monotonic()
        time.sleep(self.latency)
        if method != "POST":
            return _error(405, "MethodNotAllowed", f"The HTTP method '{method}' is not allowed.", Allow="POST")
        parts = urlsplit(raw_path)
        match = _TRIGGER_PATH.fullmatch(parts.path)
        with self._lock:
            hook = self._by_id.get(match[1]) if match else None
            if hook is None:
                return _error(404, "TriggerNotFound", "The workflow trigger could not be found.")
            hook.arrivals.append(arrived)
        sig = parse_qs(parts.query).get("sig", [""])[0]
        if not hmac.compare_digest(sig.encode(), hook.sig.encode()):
            return _error(401, "DirectApiAuthorizationRequired",
                          "The request must be authenticated by a valid Shared Access signature (sig).")
        return self._deliver(hook, body)

    def _deliver(self, hook: _Webhook, body: bytes) -> _Reply:
        delay = self._take(hook.delays)
        time.sleep(delay.seconds if delay else 0.0)
        scripted = self._take(hook.answers)
        if scripted is not None:
            return _scripted_reply(scripted)
        if len(body) > MAX_BODY_BYTES:
            return _error(413, "MessageTooLarge", f"The message is {len(body)} bytes; at most {MAX_BODY_BYTES}.")
        try:
            message = json.loads(body)
        except ValueError as exc:
            return _error(400, "InvalidRequestContent", f"The request content is not valid JSON: {exc}.")
        if problem := _shape_problem(message):
            return _error(400, "TriggerInputSchemaMismatch", f"The message does not match its schema: {problem}.")
        with self._lock:
            hook.posts.append(message)
        return _Reply(202)


def _error(status: int, code: str, message: str, **headers: str) -> _Reply:
    body = json.dumps({"error": {"code": code, "message": message}}).encode()
    return _Reply(status, body, {"Content-Type": "application/json; charset=utf-8", **headers})


def _scripted_reply(script: _Script) -> _Reply:
    headers = {"Content-Type": "text/plain; charset=utf-8"} if script.body else {}
    if script.retry_after is not None:
        headers["Retry-After"] = script.retry_after
    return _Reply(script.status, script.body.encode(), headers)


def _shape_problem(message: Any) -> str | None:
    if not isinstance(message, dict) or message.get("type") != "message":
        return "the body must be an object whose 'type' is 'message'"
    attachments = message.get("attachments")
    if not isinstance(attachments, list) or not attachments:
        return "'attachments' must be a non-empty array"
    for index, attachment in enumerate(attachments):
        if not isinstance(attachment, dict) or attachment.get("contentType") != CARD_CONTENT_TYPE:
            return f"attachments[{index}].contentType must be '{CARD_CONTENT_TYPE}'"
        content = attachment.get("content")
        if not isinstance(content, dict) or content.get("type") != "AdaptiveCard":
            return f"attachments[{index}].content must be an object whose 'type' is 'AdaptiveCard'"
    return None
