"""Hypothesis strategies for what Graph may send as a synchronizationJob, and for one tick's inputs.

A generated job is mostly well-shaped, so that parsing gets past the first field and the diff, the
events and the cards are reached. Its values are often the documented oddities ("" and 0001-01-01 for
"never", 7 fractional digits, Int64 as a string), unknown enums, huge strings (non-BMP, control
characters, lone surrogates) or nulls, and then a few mutations break its shape: a wrong JSON type, a
missing key, `{}`, `[]` or null in place of anything. Some documents are arbitrary JSON.

Everything generated is a value `json.loads` can return (hence lone surrogates, NaN, and integers of at
most 4300 digits), because that is all the Graph adapter ever passes on.

The object shapes are derived from the model's dataclasses with the parser's own naming rule
(snake_case -> camelCase), so a field added to the model is fuzzed without touching this file.
"""

from __future__ import annotations

import copy
import dataclasses
import types
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from shared.cloud import cloud_for
from shared.errors import MalformedJobError
from shared.events import EventContext
from shared.graph_json import MAX_ITEMS, MAX_TEXT, bounded_text, parse_job
from shared.model import Job, JobKey, Observation, ReadFailure, Schedule, ServicePrincipal, SyncStatus

HUGE_TEXT = 100_000
_ENTRY_COUNTS = "synchronizedEntryCountByType"


def weighted(*options: tuple[int, SearchStrategy[Any]]) -> SearchStrategy[Any]:
    """One of the strategies, picked in proportion to its weight; shrinks towards the first."""
    pool = [strategy for weight, strategy in options for _ in range(weight)]
    return st.sampled_from(pool).flatmap(lambda strategy: strategy)


# ---------------------------------------------------------------------------------------------- text

ODD_CHARACTERS = (
    "\x00", "\x01", "\t", "\n", "\r", "\x1b", "\x7f", "\x85", "\u2028", "\u2029",   # controls, line breaks
    "\u200b", "\u200d", "\u202e", "\ufeff", "\ufffd", "\uffff",       # zero-width, bidi, BOM, noncharacter
    "\ud800", "\udbff", "\udc00", "\udfff",            # lone surrogates: JSON's "\ud800" escape decodes to one
    "\U0001F600", "\U0001F469\u200d\U0001F4BB", "\U0010FFFF", "\U000E0001",       # non-BMP, a ZWJ sequence
    "é", "e\u0301", "ß", "İ", "\u0663", "\uff11",                                   # case/normalisation/digits
    '"', "\\", "/", "<", "&", "%", "{}", "…", "…[truncated]", "://",
)
_CHUNKS = weighted((3, st.characters()), (2, st.sampled_from(ODD_CHARACTERS)))
short_text: SearchStrategy[str] = st.lists(_CHUNKS, max_size=24).map("".join)


def _repeat(seed: str, length: int) -> str:
    return (seed * (length // len(seed) + 1))[:length]


# Built by repeating a short seed: drawing 100,000 characters one by one would be slow and exceed
# Hypothesis's choice budget, and the length (around MAX_TEXT, and the 100k extreme) is what matters.
huge_text: SearchStrategy[str] = st.builds(
    _repeat,
    st.lists(_CHUNKS, min_size=1, max_size=6).map("".join),
    weighted(
        (1, st.sampled_from([MAX_TEXT - 1, MAX_TEXT, MAX_TEXT + 1, HUGE_TEXT])),
        (2, st.integers(MAX_TEXT - 16, HUGE_TEXT)),
    ),
)

# Realistic values per (camelCase) field name; enum-like fields list Graph's documented members.
_REALISTIC: dict[str, tuple[str, ...]] = {
    "code": ("Active", "Quarantine", "Paused", "NotConfigured", "NotRun"),
    "state": ("Succeeded", "Failed", "EntryLevelErrors", "Active", "Disabled", "Paused"),
    "reason": (
        "EncounteredBaseEscrowThreshold", "EncounteredTotalEscrowThreshold", "EncounteredEscrowProportionThreshold",
        "EncounteredQuarantineException", "Unknown", "QuarantinedOnDemand", "TooManyDeletes", "IngestionInterrupted",
    ),
    "units": ("Users", "Groups"),
    "interval": ("PT40M", "PT20M", "P10675199DT2H48M5.4775807S"),
    "templateId": ("salesforce", "scim", "Workday2AAD", "AD2AADProvisioning", "SfSandboxOutDelta", "slack"),
    "troubleshootingUrl": (
        "https://learn.microsoft.com/entra/identity/app-provisioning/application-provisioning-quarantine-status",
    ),
    "message": ("The credentials are invalid.", "Too many objects failed to provision. {0} {1}"),
    "activityIdentifier": ("d76e8f0e-8f65-4c6b-9a47-2c5d0d6c7a11",),
    "key": ("user to user", "group to group"),
}
UNKNOWN_ENUMS = ("Hibernating", "quarantine", "ACTIVE", " Active", "Active\n", "Quarantine\x00", "null", "0", "None")


def text_value(field: str) -> SearchStrategy[str | None]:
    """Any string is a valid value for a string field: unknown enums and huge strings are oddities, not errors."""
    return weighted(
        (8, st.sampled_from(_REALISTIC.get(field, ("some text",)))),
        (2, st.sampled_from(UNKNOWN_ENUMS)),
        (2, short_text),
        (1, huge_text),
        (1, st.just("")),  # Graph's documented examples carry "" for unset enums and URLs
        (1, st.none()),
    )


# ------------------------------------------------------------------------------------------ numbers

INT_EDGES = (
    0, 1, -1, 2**31 - 1, 2**31, -(2**31) - 1, 2**53, 2**53 + 1, 2**63 - 1, 2**63, -(2**63), 2**64,
    10**40, -(10**40), 10**4299,  # 4300 digits: the longest integer json.loads accepts
)
INT_STRINGS = ("7", " 7 ", "+5", "-0", "1_000", "\u0663", "\uff11\uff12", "9" * 4300)  # int() takes them all
NEAR_MISS_INTS = ("", "1e3", "0x1F", "12.5", "NaN", "Infinity", "9" * 4301, "7 apples", True, False, 1.0, 1.5,
                  float("nan"), float("inf"))
int_value: SearchStrategy[Any] = weighted(
    (16, st.integers(0, 10**6)),
    (4, st.sampled_from(INT_EDGES)),
    (2, st.integers(-(10**40), 10**40)),
    (4, st.one_of(st.integers(-(2**63), 2**64).map(str), st.sampled_from(INT_STRINGS))),  # Int64 as a string
    (3, st.none()),
    (1, st.sampled_from(NEAR_MISS_INTS)),  # bools, floats and non-numbers where ints go
)
bool_value: SearchStrategy[Any] = weighted(
    (12, st.booleans()), (3, st.none()), (1, st.sampled_from(("true", 0, 1, "False"))),
)


# ------------------------------------------------------------------------------------------- times

def _offsets() -> SearchStrategy[str]:
    return weighted(
        (2, st.builds(lambda sign, hours, minutes: f"{sign}{hours:02d}:{minutes:02d}",
                      st.sampled_from("+-"), st.integers(0, 23), st.integers(0, 59))),
        (1, st.sampled_from(("+23:59", "-23:59", "+14:00", "-12:00", "+05:30", "-00:00"))),
    )


# Next to the ends of datetime's range an offset moves the UTC instant past them, or into year 1 ("never").
EDGE_MOMENTS = (
    datetime(1, 1, 1), datetime(1, 1, 1, 23, 59), datetime(1, 12, 31, 23, 59), datetime(2, 1, 1), datetime(2, 1, 1, 12),
    datetime(9999, 12, 31), datetime(9999, 12, 31, 12), datetime(9999, 12, 31, 23, 59, 59, 999999),
)


@st.composite
def iso_timestamps(draw: st.DrawFn) -> str:
    """ISO 8601 over the whole datetime range, with 0 to 7 fractional digits (Graph writes 7) and any offset."""
    moment = draw(weighted(
        (3, st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59, 59, 999999))),
        (1, st.sampled_from(EDGE_MOMENTS)),
    ))
    digits = draw(st.integers(0, 7))
    fraction = (f"{moment.microsecond:06d}" + str(draw(st.integers(0, 9))))[:digits]
    zone = draw(weighted((3, st.just("Z")), (1, st.just("")), (1, st.just("+00:00")), (3, _offsets())))
    text = (f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}"
            f"T{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d}")
    return text + (f".{fraction}" if digits else "") + zone


NEVER_TIMESTAMPS = ("", "0001-01-01T00:00:00Z", "0001-01-01T00:00:00", "9999-12-31T23:59:59.9999999Z")
BAD_TIMESTAMPS = (
    "2026-13-01T00:00:00Z", "2026-02-30T00:00:00Z", "2026-11-24T24:00:00Z", "2026-11-24T09:00:00.12345678Z",
    "2026-11-24T09:00:00+25:00", "0000-01-01T00:00:00Z", "not a date", "1732438800", "\uff12026-11-24",
)
timestamp_value: SearchStrategy[Any] = weighted(
    (14, iso_timestamps()),
    (4, st.sampled_from(NEVER_TIMESTAMPS)),
    (3, st.none()),
    (1, st.one_of(st.sampled_from(BAD_TIMESTAMPS), short_text)),
)


# ------------------------------------------------------------------------------------ arbitrary JSON

_KNOWN_KEYS = ("id", "templateId", "schedule", "status", "code", "quarantine", "error", "message", "progress",
               _ENTRY_COUNTS, "key", "value", "lastExecution", "timeBegan", "reason")
_keys = weighted((2, short_text), (1, st.sampled_from(_KNOWN_KEYS)))
json_scalars: SearchStrategy[Any] = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True, allow_infinity=True), short_text,
)
arbitrary_json: SearchStrategy[Any] = st.recursive(
    json_scalars,
    lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(_keys, children, max_size=4)),
    max_leaves=16,
)


# --------------------------------------------------------------------------------- well-shaped jobs

def _camel(snake: str) -> str:
    head, *rest = snake.split("_")
    return head + "".join(word.capitalize() for word in rest)


def _strip_optional(annotation: Any) -> Any:
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        return next(arg for arg in typing.get_args(annotation) if arg is not type(None))
    return annotation


def _repeated(item: Any, count: int) -> list[Any]:
    return [copy.deepcopy(item) for _ in range(count)]


def _list_of(item: SearchStrategy[Any]) -> SearchStrategy[Any]:
    return weighted(
        (4, st.lists(item, max_size=3)),
        (1, st.builds(_repeated, item, st.integers(MAX_ITEMS - 1, MAX_ITEMS + 10))),  # around the MAX_ITEMS cap
        (1, st.just([])),
        (1, st.none()),
        (1, st.lists(st.none(), min_size=1, max_size=2)),  # nested nulls
    )


def _entry_counts() -> SearchStrategy[Any]:
    pair = st.fixed_dictionaries({}, optional={"key": text_value("key"), "value": int_value})
    return _list_of(pair)


def _object(cls: type, required: tuple[str, ...] = ()) -> SearchStrategy[dict[str, Any]]:
    """A JSON object for a model dataclass: each key present or not (all are optional in Graph's model)."""
    hints = typing.get_type_hints(cls)
    values = {
        _camel(f.name): _entry_counts() if _camel(f.name) == _ENTRY_COUNTS else _value(_camel(f.name), hints[f.name])
        for f in dataclasses.fields(cls)
    }
    return st.fixed_dictionaries({k: v for k, v in values.items() if k in required},
                                 optional={k: v for k, v in values.items() if k not in required})


def _value(field: str, annotation: Any) -> SearchStrategy[Any]:
    base = _strip_optional(annotation)
    if dataclasses.is_dataclass(base):
        return weighted((6, st.deferred(lambda: _object(base))), (1, st.just({})), (1, st.none()))
    if typing.get_origin(base) is tuple:
        return _list_of(_object(typing.get_args(base)[0]))
    return {str: lambda: text_value(field), int: lambda: int_value, bool: lambda: bool_value,
            datetime: lambda: timestamp_value}[base]()


_TEMPLATES = _REALISTIC["templateId"]
realistic_job_ids = st.builds(lambda template, digest: f"{template}.{digest:032x}",
                              st.sampled_from(_TEMPLATES), st.integers(0, 2**128 - 1))
job_ids: SearchStrategy[str] = weighted(
    (8, realistic_job_ids),
    (1, st.lists(_CHUNKS, min_size=1, max_size=24).map("".join)),
    (1, huge_text),
    (1, st.sampled_from(("\n", "a\nb", "a/b", "..", " ", "\x00", "\ud800", "%2F", "job?x=1#y"))),
)

well_shaped_jobs: SearchStrategy[dict[str, Any]] = st.fixed_dictionaries(
    {"id": job_ids, "status": weighted((8, _object(SyncStatus, required=("code",))), (1, st.just({})), (1, st.none()))},
    optional={
        "templateId": text_value("templateId"),
        "schedule": _value("schedule", Schedule | None),
        "synchronizationJobSettings": st.just([{"name": "QuarantineTooManyDeletesThreshold", "value": "500"}]),
        "@odata.type": st.just("#microsoft.graph.synchronizationJob"),
        "somethingGraphAddsLater": arbitrary_json,
    },
)


# ------------------------------------------------------------------------------------------ breakage

MISSING = object()  # a mutation that removes the key (or list item)
_BREAKAGE: SearchStrategy[Any] = weighted(
    (1, st.sampled_from(NEAR_MISS_INTS + BAD_TIMESTAMPS)),
    (2, st.just(MISSING)),
    (2, st.none()),
    (2, st.sampled_from(({}, [], "", 0, True, 1.5, "null", "{}", [None], {"": None}))),
    (1, huge_text),
    (2, json_scalars),
    (1, arbitrary_json),
)


def _slots(node: Any) -> Iterator[tuple[Any, Any]]:
    """Every (container, key or index) in a JSON document, depth first."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield node, key
            yield from _slots(value)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield node, index
            yield from _slots(value)


@st.composite
def mutated(draw: st.DrawFn, documents: SearchStrategy[Any]) -> Any:
    """A document with 0 to 4 values replaced by something of the wrong shape, or removed."""
    document = copy.deepcopy(draw(documents))
    for _ in range(draw(weighted((5, st.just(0)), (3, st.just(1)), (2, st.integers(2, 4))))):
        slots = list(_slots(document))
        if not slots:
            break
        container, key = draw(st.sampled_from(slots))
        replacement = copy.deepcopy(draw(_BREAKAGE))
        if replacement is MISSING:
            del container[key]
        else:
            container[key] = replacement
    return document


EDGE_DOCUMENTS = (
    None, 0, "job", [], [{}], {}, {"id": None}, {"id": ""}, {"id": 7}, {"id": ["j"]}, {"id": "j"},
    {"id": "j", "status": None}, {"id": "j", "status": {}}, {"id": "j", "status": []}, {"id": "j", "schedule": "x"},
    {"id": "j", "status": {"code": None, "quarantine": {"error": None}, "lastExecution": {"error": {}}}},
    {"id": "j", "status": {"progress": [None]}}, {"id": "j", "status": {_ENTRY_COUNTS: [{"key": None, "value": 1}]}},
)

job_json: SearchStrategy[Any] = weighted(
    (12, mutated(well_shaped_jobs)),
    (1, arbitrary_json),
    (1, st.sampled_from(EDGE_DOCUMENTS).map(copy.deepcopy)),
)


# ------------------------------------------------------------------------------------- service principals

SP_IDS = tuple(f"0000000{n}-5b1a-4c2e-9d7f-1c2b3a4d5e6f" for n in range(1, 4))
POOL_JOB_IDS = ("salesforce.e4bbf44533ea4eabb17027f3a92e92aa", "slack.1")  # so that jobs of two ticks meet
TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"


def _listed_text(raw: Any) -> str | None:
    """As the Graph adapter keeps an SP's appId and displayName."""
    return bounded_text(raw) if isinstance(raw, str) and raw else None


def service_principals(sp_id: str) -> SearchStrategy[ServicePrincipal]:
    """SP ids are GUIDs from Graph's own listing; names are whatever an admin typed."""
    return st.builds(
        ServicePrincipal,
        st.just(sp_id),
        weighted((3, st.just(f"a{sp_id[1:]}")), (1, st.none())).map(_listed_text),
        weighted((3, st.sampled_from(("Salesforce", "Slack", "Workday to Entra"))), (1, st.none()),
                 (1, short_text), (1, huge_text)).map(_listed_text),
    )


def _with(raw: Any, job_id: str, code: Any = MISSING) -> Any:
    """The document with this id (and status code), when it is an object to put them in."""
    if not isinstance(raw, dict):
        return raw
    raw = {**raw, "id": job_id}
    if code is not MISSING and isinstance(raw.get("status"), dict):
        raw["status"] = {**raw["status"], "code": code}
    return raw


def _parse_all(documents: list[Any], sp: ServicePrincipal) -> tuple[list[Job], int]:
    """As the Graph adapter does it: (the jobs, how many were malformed and skipped)."""
    jobs: dict[JobKey, Job] = {}
    malformed = 0
    for raw in documents:
        try:
            job = parse_job(raw, sp)
        except MalformedJobError:
            malformed += 1
            continue
        jobs.setdefault(job.key, job)
    return list(jobs.values()), malformed


@dataclass(frozen=True)
class TickInput:
    previous: dict[JobKey, Job]
    observation: Observation

    @property
    def baseline(self) -> bool:
        return not self.previous


_FATES = weighted((4, st.just("read")), (1, st.just("failed")), (1, st.just("unlisted")))
# What became of a job between two ticks. "fresh" draws a new document for it: the costly case, kept rare.
_CHANGES = weighted((3, st.just("same")), (3, st.just("new code")), (2, st.just("fresh")), (2, st.just("gone")))
_CODES = weighted((6, st.sampled_from(_REALISTIC["code"])), (1, st.sampled_from(UNKNOWN_ENUMS)), (1, huge_text),
                  (1, st.sampled_from(("", None))))


@st.composite
def tick_inputs(draw: st.DrawFn, *, baseline: bool | None = None) -> TickInput:
    """A stored snapshot and what this tick read, for a few SPs.

    The snapshot holds what an earlier tick parsed; this tick sees each of its jobs again unchanged, with a
    new code, as a new document, or not at all, and may see new ones. Each SP is read, failed (unread), or
    missing from the listing (deleted, or merely not listed when the listing is incomplete); an SP with a
    malformed job is not read completely, as in the Graph adapter. `baseline`: an empty snapshot or not
    (by default, 1 tick in 4 is a baseline)."""
    if baseline is None:
        baseline = draw(weighted((1, st.just(True)), (3, st.just(False))))
    listing_complete = draw(st.booleans())
    previous: dict[JobKey, Job] = {}
    jobs: list[Job] = []
    listed: set[str] = set()
    unread: set[str] = set()
    failures = [] if listing_complete else [ReadFailure(None, "listing service principals: Graph answered 503")]
    ids = weighted((6, st.sampled_from(POOL_JOB_IDS)), (1, job_ids))
    for sp_id in SP_IDS:
        sp = draw(service_principals(sp_id))
        before: dict[str, Any] = {}
        if not baseline:
            for job_id in draw(st.lists(ids, max_size=2, unique=True)):
                before[job_id] = _with(draw(job_json), job_id)
            stored, _ = _parse_all(list(before.values()), sp)
            previous.update((job.key, job) for job in stored)
        fate = draw(_FATES)
        if fate == "unlisted":
            continue
        listed.add(sp_id)
        if fate == "failed":
            unread.add(sp_id)
            failures.append(ReadFailure(sp_id, "Graph answered 500"))
            continue
        now = []
        for job_id in [*before, *(i for i in draw(st.lists(ids, max_size=2, unique=True)) if i not in before)]:
            change = draw(_CHANGES) if job_id in before else "fresh"
            if change == "same":
                now.append(before[job_id])
            elif change == "new code":
                now.append(_with(before[job_id], job_id, draw(_CODES)))
            elif change == "fresh":
                raw = draw(job_json)
                now.append(_with(raw, job_id) if draw(st.integers(0, 9)) else raw)  # sometimes its own id, or none
        found, malformed = _parse_all(now, sp)
        jobs.extend(found)
        if malformed:
            unread.add(sp_id)
            failures.append(ReadFailure(sp_id, f"skipped {malformed} malformed job(s)"))
    observation = Observation(tuple(jobs), frozenset(listed), frozenset(unread), listing_complete, tuple(failures))
    return TickInput(previous, observation)


event_contexts: SearchStrategy[EventContext] = st.builds(
    EventContext,
    st.sampled_from((TENANT, "contoso.onmicrosoft.com")),
    st.sampled_from(("https://graph.microsoft.com/v1.0", "https://graph.microsoft.us/v1.0",
                     "https://microsoftgraph.chinacloudapi.cn/v1.0", "http://127.0.0.1:8123/v1.0")).map(cloud_for),
    st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(timezone.utc)),
)
