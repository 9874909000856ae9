"""Local Microsoft Graph v1.0 simulator over real HTTP for tests: service principals, their provisioning
(synchronization) jobs and JSON batching, with scripted faults, delays, a settable clock, a request log and,
optionally, Entra-style throttling in resource units over a sliding window."""

from __future__ import annotations

import json
import math
import re
import threading
import time
import uuid
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from email.message import Message
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from shared.simulator import payloads
from shared.simulator.loopback import BackgroundServer, LoopbackServer

API_PREFIX = "/v1.0"
MAX_BATCH_REQUESTS = 20
MAX_PAGE_SIZE = 999
DEFAULT_CLOCK = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
ODATA_JSON = "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8"
ERROR_JSON = "application/json"
_SP_PATH = re.compile(r"/servicePrincipals/([^/]+)/?")
_JOBS_PATH = re.compile(r"/servicePrincipals/([^/]+)/synchronization/jobs(?:/([^/]+))?/?")
_ABSOLUTE_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")
GET_UNITS = 1
"""Resource units one GET costs: Entra's base cost of every path served here (servicePrincipals, a
servicePrincipal, synchronization jobs); $select and a small $top never take a cost below 1."""


class _GraphError(Exception):
    """An error answer; `body` replaces the generated Graph error body when given."""

    def __init__(self, status: int, code: str, message: str, *, headers: dict[str, str] | None = None,
                 body: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.headers, self.body = status, code, message, headers or {}, body


def _not_found(resource: str) -> _GraphError:
    return _GraphError(404, "Request_ResourceNotFound", f"Resource '{resource}' does not exist or one of "
                       "its queried reference-property objects are not present.")


def _unknown_segment(path: str, *, status: int = 404) -> _GraphError:
    segment = path.strip("/").split("/", 1)[0]
    return _GraphError(status, "BadRequest" if status == 400 else "UnknownError",
                       f"Resource not found for the segment '{segment}'.")


@dataclass
class _Rule:
    """A scripted fault (status) or delay (seconds) for the next `remaining` matching requests."""

    needle: str
    remaining: int
    status: int = 0
    seconds: float = 0.0
    retry_after: str | None = None
    body: dict[str, Any] | None = None


@dataclass
class _Reply:
    status: int
    body: Any
    headers: dict[str, str]


@dataclass
class _ServicePrincipal:
    record: dict[str, Any]
    jobs: dict[str, dict[str, Any]] = field(default_factory=dict)
    jobs_hidden: bool = False
    frozen: set[str] = field(default_factory=set)  # jobs that do not run on their schedule as the clock moves


class _SlidingWindow:
    """Units spent over the last `window` seconds, as a deque of (monotonic time, units) under a lock.

    A unit spent at t counts while now < t + window. Spending is O(1) amortised (each entry is appended
    and popped once), and so is finding the wait after a refusal, since one GET costs one unit."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._spent: deque[tuple[float, int]] = deque()
        self._used = 0

    def _prune(self, now: float, window: float) -> None:
        horizon = now - window
        while self._spent and self._spent[0][0] <= horizon:
            self._used -= self._spent.popleft()[1]

    def spend(self, units: int, *, limit: int | None, window: float) -> tuple[int, float]:
        """Spend `units` now if they fit under `limit` (None: no limit): (units used now, 0.0).
        Otherwise spend nothing: (units used now, seconds until enough units leave the window)."""
        with self._lock:
            now = self._clock()
            self._prune(now, window)
            if limit is None or self._used + units <= limit:
                if units:
                    self._spent.append((now, units))
                    self._used += units
                return self._used, 0.0
            needed, freed = self._used + units - limit, 0
            for spent_at, spent in self._spent:
                freed += spent
                if freed >= needed:
                    return self._used, spent_at + window - now
            return self._used, window  # more units than the limit: they never fit

    def used(self, window: float) -> int:
        with self._lock:
            self._prune(self._clock(), window)
            return self._used


class GraphSimulator:
    """A Graph v1.0 endpoint on 127.0.0.1. State changes are copy-on-write under one lock, so a
    response never mixes two states.

    `latency` (seconds) delays every HTTP request once: a direct request, or a `$batch` envelope as a
    whole (Graph answers a batch in about one round trip), never each batch item.

    Throttling (off unless `units_per_window` is given) follows Entra's identity limits per app and
    tenant, with a sliding window in place of Graph's token bucket: every GET costs `GET_UNITS` (1),
    directly or as a `$batch` item; the POST /$batch envelope and other methods cost nothing. A GET that
    would take the units spent in the last `window_seconds` above `units_per_window` is refused with 429,
    a Graph error body and a fractional `Retry-After` (seconds until enough units leave the window, at
    least 0.001); a refusal spends no units. Batch items are admitted one by one in order, so later items
    may get 429 (with Retry-After in the item's headers) while the envelope answers 200. The answer to an
    admitted GET (a direct one or a batch item, whatever its status) carries `x-ms-resource-unit`, and,
    while the window is at least 80 % used, `x-ms-throttle-limit-percentage` (the used fraction rounded
    down to hundredths: "0.8", "0.93", "1.0"); so does a batch envelope, measured after its items.
    Scripted faults (`fail`) come first: a faulted request spends nothing and is not counted as
    throttled. Units are stamped when the request is answered, i.e. after `latency`.
    `units_per_window` and `window_seconds` are plain attributes and may be changed while running."""

    def __init__(self, *, tenant_id: str | None = None, latency: float = 0.0, page_size: int = 100,
                 units_per_window: int | None = None, window_seconds: float = 10.0) -> None:
        if units_per_window is not None and units_per_window < 1:
            raise ValueError("units_per_window must be at least 1 (or None for no throttling)")
        if not window_seconds > 0:
            raise ValueError("window_seconds must be positive")
        self.tenant_id = tenant_id or str(uuid.uuid4())
        self.latency = latency
        self.page_size = page_size
        self.units_per_window = units_per_window
        self.window_seconds = window_seconds
        self._lock = threading.Lock()
        self._clock = DEFAULT_CLOCK
        self._sps: dict[str, _ServicePrincipal] = {}
        self._faults: list[_Rule] = []
        self._delays: list[_Rule] = []
        self._log: list[tuple[str, str]] = []
        self._counts: Counter[str] = Counter()
        self._throttled = 0
        self._window = _SlidingWindow()
        self._http = BackgroundServer("graph-simulator")
        self._base_url = ""

    def start(self) -> GraphSimulator:
        self._base_url = self._http.start(LoopbackServer(self._serve_http)) + API_PREFIX
        return self

    def stop(self) -> None:
        self._http.stop()

    __enter__ = start

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        """Where the simulator serves (or, once stopped, served): no trailing slash."""
        if not self._base_url:
            raise RuntimeError("GraphSimulator has not been started")
        return self._base_url

    @property
    def clock(self) -> datetime:
        with self._lock:
            return self._clock

    @clock.setter
    def clock(self, value: datetime) -> None:
        if value.tzinfo is None:
            raise ValueError("the simulator clock must be timezone-aware")
        with self._lock:
            self._clock = value.astimezone(UTC)
            self._run_due_jobs()

    def advance(self, delta: timedelta) -> datetime:
        with self._lock:
            self._clock += delta
            self._run_due_jobs()
            return self._clock

    def _run_due_jobs(self) -> None:
        """As the clock moves, Active jobs that fall due on their schedule run (and succeed), so a healthy
        job never looks stalled. Jobs scripted with `stop_running` or `set_raw_job` stay as they are."""
        for sp in self._sps.values():
            for job_id, job in sp.jobs.items():
                if job_id not in sp.frozen and payloads.is_due(job, self._clock):
                    sp.jobs[job_id] = payloads.with_run(job, state="Succeeded", now=self._clock, activity_id=str(uuid.uuid4()))

    @property
    def request_log(self) -> list[tuple[str, str]]:
        with self._lock:
            return list(self._log)

    def reset_log(self) -> None:
        """Forget the request log, `request_counts()` and `throttled_count` (not the units spent)."""
        with self._lock:
            self._log.clear()
            self._counts.clear()
            self._throttled = 0

    def request_counts(self) -> Counter[str]:
        """A copy of the number of requests received since start (or `reset_log`), by kind:
        "<method> <resource>", with method "GET", "POST", ... for direct requests and "BATCH-GET", ... for
        `$batch` items, and resource derived from the path:

        - "servicePrincipals": /servicePrincipals (the list, any page)
        - "servicePrincipal": /servicePrincipals/{id}
        - "jobs": /servicePrincipals/{id}/synchronization/jobs
        - "job": /servicePrincipals/{id}/synchronization/jobs/{jobId}
        - "$batch": /$batch
        - "other": anything else (unknown paths, other API versions, absolute batch item URLs)

        e.g. "GET servicePrincipals", "POST $batch", "BATCH-GET jobs". Every request counts, whatever its
        answer (throttled, faulted, 404)."""
        with self._lock:
            return Counter(self._counts)

    @property
    def throttled_count(self) -> int:
        """How many 429s the throttling window answered (direct requests and batch items); scripted
        faults do not count."""
        with self._lock:
            return self._throttled

    def units_used(self) -> int:
        """Resource units spent within the last `window_seconds` (counted even when throttling is off)."""
        return self._window.used(self.window_seconds)

    def add_service_principal(self, display_name: str, app_id: str | None = None, sp_id: str | None = None) -> str:
        sp_id = sp_id or str(uuid.uuid4())
        record = payloads.service_principal(sp_id=sp_id, app_id=app_id or str(uuid.uuid4()),
                                            display_name=display_name, tenant_id=self.tenant_id)
        with self._lock:
            if sp_id in self._sps:
                raise ValueError(f"service principal {sp_id} already exists")
            self._sps[sp_id] = _ServicePrincipal(record)
        return sp_id

    def add_job(self, sp_id: str, template_id: str = "salesforce", code: str = "Active",
                job_id: str | None = None) -> str:
        job_id = job_id or f"{template_id}.{uuid.uuid4().hex}"
        with self._lock:
            jobs = self._sps[sp_id].jobs
            if job_id in jobs:
                raise ValueError(f"job {job_id} already exists")
            jobs[job_id] = payloads.with_status({"id": job_id, "templateId": template_id}, code=code,
                                                now=self._clock, activity_id=str(uuid.uuid4()))
        return job_id

    def set_status(self, sp_id: str, job_id: str, *, code: str, quarantine_reason: str | None = None,
                   error_code: str | None = None, error_message: str | None = None) -> None:
        self._edit(sp_id, job_id, partial(payloads.with_status, code=code, reason=quarantine_reason,
                                          error_code=error_code, error_message=error_message))

    def record_run(self, sp_id: str, job_id: str, *, state: str = "Failed", error_code: str | None = None,
                   escrowed: int = 0) -> None:
        """One more run of the job at the clock (Succeeded, Failed or EntryLevelErrors); its code stays."""
        self._edit(sp_id, job_id, partial(payloads.with_run, state=state, error_code=error_code, escrowed=escrowed))

    def stop_running(self, sp_id: str, job_id: str, *, since: timedelta) -> None:
        """The job's last successful run ended `since` before the clock: an Active job that stalled."""
        with self._lock:
            at = self._clock - since
        self._edit(sp_id, job_id, lambda job, now, activity_id: payloads.with_last_success(job, at=at, activity_id=activity_id),
                   frozen=True)

    def set_schedule(self, sp_id: str, job_id: str, *, state: str | None = None, interval: str | None = None) -> None:
        self._edit(sp_id, job_id, lambda job, now, activity_id: payloads.with_schedule(job, state=state, interval=interval))

    def _edit(self, sp_id: str, job_id: str, change: Callable[..., dict[str, Any]], *, frozen: bool = False) -> None:
        """`frozen` jobs stop running on their schedule; any other edit lets them run again."""
        with self._lock:
            sp = self._sps[sp_id]
            sp.jobs[job_id] = change(sp.jobs[job_id], now=self._clock, activity_id=str(uuid.uuid4()))
            (sp.frozen.add if frozen else sp.frozen.discard)(job_id)

    def set_raw_job(self, sp_id: str, job_id: str, raw: dict[str, Any]) -> None:
        """Replace (or add) a job's JSON verbatim; it is copied, so later edits to `raw` do not leak in."""
        copied = json.loads(json.dumps(raw))
        with self._lock:
            self._sps[sp_id].jobs[job_id] = copied
            self._sps[sp_id].frozen.add(job_id)

    def remove_job(self, sp_id: str, job_id: str) -> None:
        with self._lock:
            del self._sps[sp_id].jobs[job_id]

    def remove_service_principal(self, sp_id: str) -> None:
        with self._lock:
            del self._sps[sp_id]

    def set_jobs_not_found(self, sp_id: str, not_found: bool) -> None:
        with self._lock:
            self._sps[sp_id].jobs_hidden = not_found

    def fail(self, path_contains: str, *, status: int, times: int = 1, retry_after: str | None = None,
             body: dict[str, Any] | None = None) -> None:
        """Answer the next `times` requests whose decoded path and query contain `path_contains` with
        `status`, a Graph error body (or `body`) and, when given, a Retry-After header."""
        with self._lock:
            self._faults.append(_Rule(path_contains, times, status=status, retry_after=retry_after, body=body))

    def clear_faults(self) -> None:
        """Forget scripted faults and delays not yet used."""
        with self._lock:
            self._faults.clear()
            self._delays.clear()

    def delay(self, path_contains: str, *, seconds: float, times: int = 1) -> None:
        with self._lock:
            self._delays.append(_Rule(path_contains, times, seconds=seconds))

    def _take(self, rules: list[_Rule], path: str) -> _Rule | None:
        with self._lock:
            rule = next((r for r in rules if r.needle in path), None)
            if rule is not None:
                rule.remaining -= 1
                if rule.remaining <= 0:
                    rules.remove(rule)
            return rule

    def _record(self, method: str, path: str) -> None:
        kind = f"{method} {_resource_kind(method, path)}"
        with self._lock:
            self._log.append((method, path))
            self._counts[kind] += 1

    def _serve_http(self, method: str, raw_path: str, body: bytes, headers: Message) -> tuple[int, dict[str, str], bytes]:
        reply = self._handle(method, raw_path, body, headers.get("client-request-id"))
        return reply.status, reply.headers, json.dumps(reply.body).encode()

    def _handle(self, method: str, raw_path: str, body: bytes, client_request_id: str | None) -> _Reply:
        ids = (str(uuid.uuid4()), client_request_id or str(uuid.uuid4()))
        path = unquote(raw_path)
        self._record(method, path)
        time.sleep(self.latency)
        target = raw_path[len(API_PREFIX):] if raw_path.startswith(API_PREFIX + "/") else None
        reply = self._answer(method, path, target, ids, body)
        reply.headers.update({"request-id": ids[0], "client-request-id": ids[1]})
        return reply

    def _answer(self, method: str, shown: str, target: str | None, ids: tuple[str, str],
                body: bytes | None = None) -> _Reply:
        """Answer one request (direct, or a batch item when `body` is None) after scripted delays/faults."""
        rule = self._take(self._delays, shown)
        if rule:
            time.sleep(rule.seconds)  # never sleep(0): 20 of them a batch made the simulator's threads thrash
        usage: dict[str, str] = {}
        try:
            self._inject_fault(shown)
            if target is None:
                raise _unknown_segment(urlsplit(shown).path)
            if method == "GET":
                usage = self._spend(GET_UNITS, ids)
            is_batch = method == "POST" and body is not None and unquote(urlsplit(target).path) == "/$batch"
            result = self._batch(body or b"", ids) if is_batch else self._route(method, target)
            if is_batch:
                usage = self._usage_headers(self._window.used(self.window_seconds))
            reply = _Reply(200, result, {"Content-Type": ODATA_JSON})
        except _GraphError as err:
            reply = self._error_reply(err, ids)
        reply.headers.update(usage)
        return reply

    def _spend(self, units: int, ids: tuple[str, str]) -> dict[str, str]:
        """Spend `units` in the window, or raise the 429 of a refusal. Returns the usage headers."""
        limit = self.units_per_window
        used, wait = self._window.spend(units, limit=limit, window=self.window_seconds)
        if wait > 0:
            with self._lock:
                self._throttled += 1
                now = self._clock
            raise _GraphError(429, "TooManyRequests", "Please retry again later.",
                              headers={"Retry-After": _retry_after(wait),
                                       "x-ms-throttle-information": "ResourceUnitLimitExceeded"},
                              body=payloads.throttled_error(now=now, request_id=ids[0],
                                                            client_request_id=ids[1]))
        if limit is None:
            return {}
        return {"x-ms-resource-unit": str(units), **self._usage_headers(used)}

    def _usage_headers(self, used: int) -> dict[str, str]:
        """x-ms-throttle-limit-percentage when `used` is at least 80 % of the limit (and a limit is set)."""
        limit = self.units_per_window
        if limit is None or used * 5 < limit * 4:  # integers: no float edge at exactly 80 %
            return {}
        return {"x-ms-throttle-limit-percentage": _fraction(used, limit)}

    def _inject_fault(self, path: str) -> None:
        rule = self._take(self._faults, path)
        if rule is not None:
            headers = {"Retry-After": rule.retry_after} if rule.retry_after is not None else {}
            raise _GraphError(rule.status, payloads.ERROR_CODES.get(rule.status, "UnknownError"),
                              f"Simulated failure with status {rule.status}.", headers=headers, body=rule.body)

    def _error_reply(self, err: _GraphError, ids: tuple[str, str]) -> _Reply:
        body = err.body if err.body is not None else payloads.graph_error(
            err.code, err.message, now=self.clock, request_id=ids[0], client_request_id=ids[1])
        return _Reply(err.status, body, {"Content-Type": ERROR_JSON, **err.headers})

    def _batch(self, body: bytes, ids: tuple[str, str]) -> dict[str, Any]:
        return {"responses": [self._batch_item(item, ids) for item in _parse_batch(body)]}

    def _batch_item(self, item: dict[str, Any], ids: tuple[str, str]) -> dict[str, Any]:
        method, url = str(item["method"]).upper(), str(item["url"])
        absolute = _ABSOLUTE_URL.match(url) is not None
        shown = url if absolute else "/" + unquote(url).lstrip("/")
        self._record(f"BATCH-{method}", shown)
        reply = self._error_reply(_unknown_segment(url, status=400), ids) if absolute else \
            self._answer(method, shown, "/" + url.lstrip("/"), ids)
        return {"id": item["id"], "status": reply.status, "headers": reply.headers, "body": reply.body}

    def _route(self, method: str, target: str) -> dict[str, Any]:
        parts = urlsplit(target)
        path = unquote(parts.path)
        build = None if path == "/$batch" else self._resolve(path, parse_qs(parts.query))
        if build is None or method != "GET":
            raise _GraphError(405, "Request_BadRequest", "Specified HTTP method is not allowed for the request target.")
        with self._lock:
            return build()

    def _resolve(self, path: str, query: dict[str, list[str]]) -> Callable[[], dict[str, Any]]:
        if path.rstrip("/") == "/servicePrincipals":
            return partial(self._list_service_principals, query)
        if match := _SP_PATH.fullmatch(path):
            return partial(self._service_principal, match[1], _select(query))
        if match := _JOBS_PATH.fullmatch(path):
            return partial(self._jobs, match[1], match[2])
        raise _unknown_segment(path)

    def _list_service_principals(self, query: dict[str, list[str]]) -> dict[str, Any]:
        select = _select(query)
        top = _page_size(query.get("$top", [None])[0], self.page_size)
        try:
            offset = payloads.skiptoken_offset(query["$skiptoken"][0]) if "$skiptoken" in query else 0
        except ValueError:
            raise _GraphError(400, "Request_BadRequest", "Invalid paging token.") from None
        echo: dict[str, str] = {key: query[key][0] for key in ("$select", "$top") if key in query}
        return payloads.service_principal_page([sp.record for sp in self._sps.values()], base_url=self.base_url,
                                               select=select, offset=offset, top=top, echo=echo)

    def _service_principal(self, sp_id: str, select: list[str]) -> dict[str, Any]:
        if sp_id not in self._sps:
            raise _not_found(sp_id)
        return payloads.service_principal_entity(self._sps[sp_id].record, base_url=self.base_url, select=select)

    def _jobs(self, sp_id: str, job_id: str | None) -> dict[str, Any]:
        sp = self._sps.get(sp_id)
        if sp is None or sp.jobs_hidden:
            raise _not_found(sp_id)
        if job_id is None:
            return payloads.job_collection(self.base_url, sp_id, sp.jobs.values())
        if job_id not in sp.jobs:
            raise _not_found(job_id)
        return payloads.job_entity(self.base_url, sp_id, sp.jobs[job_id])


def _resource_kind(method: str, path: str) -> str:
    """The resource a logged request asks for (see `GraphSimulator.request_counts`): `path` is a direct
    request's decoded path with /v1.0 and query, or a batch item's relative URL."""
    if not method.startswith("BATCH-"):
        if not path.startswith(API_PREFIX + "/"):
            return "other"
        path = path[len(API_PREFIX):]
    elif _ABSOLUTE_URL.match(path):
        return "other"
    path = urlsplit(path).path
    if path == "/$batch":
        return "$batch"
    if path.rstrip("/") == "/servicePrincipals":
        return "servicePrincipals"
    if _SP_PATH.fullmatch(path):
        return "servicePrincipal"
    if match := _JOBS_PATH.fullmatch(path):
        return "job" if match[2] else "jobs"
    return "other"


def _retry_after(seconds: float) -> str:
    """Seconds rounded up to whole milliseconds, at least 0.001: waiting that long always suffices."""
    return f"{max(math.ceil(seconds * 1000), 1) / 1000:.3f}"


def _fraction(used: int, limit: int) -> str:
    """used/limit rounded down to hundredths, without trailing zeros: "0.8", "0.93", "1.0"."""
    whole, rest = divmod(used * 100 // limit, 100)
    return f"{whole}.{f'{rest:02d}'.rstrip('0') or '0'}"


def _parse_batch(body: bytes) -> list[dict[str, Any]]:
    invalid = _GraphError(400, "BadRequest", "Invalid batch payload format.")
    try:
        requests = json.loads(body or b"null")["requests"]
    except (ValueError, TypeError, KeyError):
        raise invalid from None
    if not isinstance(requests, list) or not all(
            isinstance(r, dict) and {"id", "method", "url"} <= r.keys() for r in requests):
        raise invalid
    if len(requests) > MAX_BATCH_REQUESTS:
        raise _GraphError(400, "BadRequest", f"The number of requests in the batch ({len(requests)}) exceeds "
                          f"the limit of {MAX_BATCH_REQUESTS}.")
    if len({str(r["id"]).lower() for r in requests}) != len(requests):
        raise _GraphError(400, "BadRequest", "Batch request ids must be unique.")
    return requests


def _select(query: dict[str, list[str]]) -> list[str]:
    return [name.strip() for name in query.get("$select", [""])[0].split(",") if name.strip()]


def _page_size(raw: str | None, server_max: int) -> int:
    """$top asks for a page size; like Graph, the server may page smaller (`page_size` is its cap)."""
    if raw is None:
        return server_max
    top = int(raw) if raw.isdigit() else 0
    if not 1 <= top <= MAX_PAGE_SIZE:
        raise _GraphError(400, "Request_UnsupportedQuery",
                          f"Invalid page size specified: '{raw}'. Must be between 1 and {MAX_PAGE_SIZE} inclusive.")
    return min(top, server_max)
