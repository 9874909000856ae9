"""Property-based tests: the diff, and the events and cards it leads to, over fuzzed snapshots and reads.

Jobs come from the fuzzed Graph JSON of strategies.py, parsed as the Graph adapter parses them, so
every event and card here is one a tick could produce from what Graph sent.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from hypothesis import event, given
from hypothesis import strategies as st
from jsonschema import Draft202012Validator, FormatChecker

from shared.adapters.storage_queue import serialize
from shared.cards import MAX_MESSAGE_BYTES, plan_posts
from shared.cloud import cloud_for
from shared import diff as diff_module
from shared.errors import MalformedJobError
from shared.events import shorten, Event, EventContext, build_event
from shared.graph_json import parse_job
from shared.model import PAUSED, QUARANTINE, Observation, ServicePrincipal, Severity, Transition, TransitionKind
from tests.cards import assert_valid_card, card_of
from tests.fuzz.strategies import (
    SP_IDS,
    TENANT,
    TickInput,
    event_contexts,
    tick_inputs,
)
from tests.schema import EVENT_VALIDATOR

QUEUE_MESSAGE_LIMIT = 64 * 1024  # Azure Storage queue, after base64

# tests/schema.py's FormatChecker checks "date-time" and "uri" only when rfc3339-validator and rfc3987 are
# installed, and they are not: these two checks make the schema's formats count here.
_RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})")
_FORMATS = FormatChecker(formats=())


@_FORMATS.checks("date-time")
def _is_rfc3339(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if not _RFC3339.fullmatch(value):
        return False
    datetime.fromisoformat(value.upper().replace("Z", "+00:00"))  # raises ValueError on 2026-02-30
    return True


@_FORMATS.checks("uri", raises=ValueError)
def _is_absolute_uri(value: object) -> bool:
    return not isinstance(value, str) or bool(urlsplit(value).scheme and not re.search(r"[\s\x00-\x1f\x7f]", value))


FORMAT_VALIDATOR = Draft202012Validator(EVENT_VALIDATOR.schema, format_checker=_FORMATS)


def _expected_severity(kind: TransitionKind, before: str | None, after: str | None) -> Severity:
    """The README's table, read independently of shared/severity.py."""
    if kind is TransitionKind.REMOVED:
        return Severity.WARNING
    if after == QUARANTINE:
        return Severity.CRITICAL
    if after == PAUSED:
        return Severity.WARNING
    if before == QUARANTINE:
        return Severity.RESOLVED
    return Severity.INFO


# ---------------------------------------------------------------------------------------------- diff

NOW = datetime(2026, 11, 25, 10, tzinfo=timezone.utc)
CORE_KINDS = (TransitionKind.ADDED, TransitionKind.REMOVED, TransitionKind.STATUS_CHANGED)


def diff(previous: Any, observation: Observation) -> tuple[Transition, ...]:
    return diff_module.diff(previous, observation, now=NOW)


@given(tick=tick_inputs())
def test_diff_reports_exactly_what_changed(tick: TickInput) -> None:
    transitions = diff(tick.previous, tick.observation)
    core = [t for t in transitions if t.kind in CORE_KINDS]
    observation, previous = tick.observation, tick.previous
    current = {job.key: job for job in observation.jobs}

    expected: dict[Any, TransitionKind] = {}
    for key, job in current.items():
        if key not in previous:
            expected[key] = TransitionKind.ADDED
        elif previous[key].code != job.code:
            expected[key] = TransitionKind.STATUS_CHANGED
    for key in previous.keys() - current.keys():
        if observation.proves_absence(key.service_principal_id):
            expected[key] = TransitionKind.REMOVED
    assert {t.job.key: t.kind for t in core} == expected
    assert len(core) == len(expected), "one added, removed or status change per job"
    assert [t.job.key for t in transitions] == sorted(t.job.key for t in transitions)
    found = [(t.job.key, t.kind) for t in transitions]
    assert len(found) == len(set(found)), "each rule finds at most one transition per job"

    for t in transitions:
        key = t.job.key
        event(f"transition: {t.kind.value}")
        if t.kind is TransitionKind.ADDED:
            assert t.previous is None and t.current is current[key]
        elif t.kind is TransitionKind.REMOVED:
            assert t.current is None and t.previous is previous[key]
        elif t.kind is not TransitionKind.STATUS_CHANGED:
            assert t.previous is previous[key] and t.current is current[key], "rules compare two observations"
            continue
        else:
            assert t.previous is previous[key] and t.current is current[key]
            assert t.previous.code != t.current.code, "no transition for a job whose code did not change"
        assert t.severity is _expected_severity(t.kind, t.previous and t.previous.code, t.current and t.current.code)
        if t.kind is TransitionKind.REMOVED:  # never for an SP that was not read, whatever proves_absence says
            sp_id = key.service_principal_id
            assert sp_id not in observation.unread_sps
            assert sp_id in observation.listed_sps or observation.listing_complete
    if tick.baseline:
        assert all(t.kind is TransitionKind.ADDED for t in transitions)


@given(tick=tick_inputs(baseline=True))
def test_baseline_yields_only_added(tick: TickInput) -> None:
    transitions = diff({}, tick.observation)
    assert all(t.kind is TransitionKind.ADDED for t in transitions)
    assert len(transitions) == len({job.key for job in tick.observation.jobs})


# ------------------------------------------------------------------------------------ events, cards

def check_event(event_: Event, transition: Transition, context: EventContext) -> None:
    """Schema-valid (formats included), within the queue limit, and true to its transition."""
    message = serialize(event_)
    document = json.loads(message)
    for validator in (EVENT_VALIDATOR, FORMAT_VALIDATOR):
        errors = list(validator.iter_errors(document))
        assert not errors, [f"{list(e.absolute_path)}: {e.message[:300]}" for e in errors]
    assert len(base64.b64encode(message.encode("utf-8"))) <= QUEUE_MESSAGE_LIMIT

    data = document["data"]
    assert document["type"] == f"syncwatch.job.{transition.kind.value}"
    # Codes outside `status` are kept short (MAX_FIELD_CHARS); `status.code` keeps more.
    assert data["previousCode"] == shorten(transition.previous.code if transition.previous else None)
    assert data["currentCode"] == shorten(transition.current.code if transition.current else None)
    assert (data["servicePrincipalId"], data["jobId"]) == (transition.job.key.service_principal_id, transition.job.id)
    assert data["severity"] == transition.severity.value
    assert build_event(transition, context).id == event_.id, "the id is deterministic"


def check_posts(events: Sequence[Event], *, baseline: bool, threshold: int) -> None:
    posts = plan_posts(events, baseline=baseline, digest_threshold=threshold)
    carried = [post.event_ids for post in posts]
    assert frozenset().union(*carried) <= {e.id for e in events}
    if not baseline:
        assert frozenset().union(*carried) == {e.id for e in events}, "every event is carried by a post"
        assert sum(map(len, carried)) == len({e.id for e in events}), "and by one post only"
    for post in posts:
        assert_valid_card(card_of(post.message))
        assert len(json.dumps(post.message)) <= MAX_MESSAGE_BYTES == 28 * 1024
    event(f"posts: {len(posts)}")


@given(tick=tick_inputs(), context=event_contexts, threshold=st.integers(0, 6))
def test_every_event_validates_and_fits_and_every_card_is_valid_and_fits(
    tick: TickInput, context: EventContext, threshold: int
) -> None:
    transitions = diff(tick.previous, tick.observation)
    events = [build_event(transition, context) for transition in transitions]
    for event_, transition in zip(events, transitions):
        check_event(event_, transition, context)
        check_posts([event_], baseline=False, threshold=1)  # its own card, whatever the batch becomes
    check_posts(events, baseline=tick.baseline, threshold=threshold)


# --------------------------------------------------------------------------------- fixed bugs
# Found by the properties above; one regression test each.

REPRO_CONTEXT = EventContext(TENANT, cloud_for("https://graph.microsoft.com/v1.0"), NOW)


def _added_event(raw: dict[str, Any]) -> Event:
    job = parse_job(raw, ServicePrincipal(SP_IDS[0], None, "Salesforce"))
    [transition] = diff({}, Observation((job,), frozenset({SP_IDS[0]})))
    return build_event(transition, REPRO_CONTEXT)


def test_long_text_outside_status_fits_the_queue() -> None:
    """Bug C: names and codes outside `status` were not shrunk."""
    # A status code of MAX_TEXT non-BMP characters: 12 bytes each as escaped JSON, in currentCode and status.code.
    message = serialize(_added_event({"id": "j", "status": {"code": "\U0001F600" * 5000}}))
    assert len(base64.b64encode(message.encode("utf-8"))) <= QUEUE_MESSAGE_LIMIT  # 67,720


def test_a_huge_job_id_fits_the_queue() -> None:
    """Bug D1: the job id was unbounded, and the envelope repeats it twice."""
    try:
        message = serialize(_added_event({"id": "x" * 100_000, "status": {"code": "Active"}}))
    except MalformedJobError:
        return  # a fix may well reject such a job instead: truncating an id would merge two jobs
    assert len(base64.b64encode(message.encode("utf-8"))) <= QUEUE_MESSAGE_LIMIT  # 401,512


def test_huge_integers_fit_the_queue() -> None:
    """Bug F: counts beyond Int64 were taken as they came."""
    counts = dict.fromkeys(("countEntitled", "countEscrowed", "countExported", "countImported", "countExports",
                            "countImportedDeltas", "countEscrowedRaw", "countEntitledForProvisioning"), 10**4299)
    status = {"code": "Active", "lastExecution": counts, "lastSuccessfulExecution": counts}  # json.loads takes them
    try:
        message = serialize(_added_event({"id": "j", "status": status}))
    except MalformedJobError:
        return  # refusing counts beyond Int64 is a fix too
    assert len(base64.b64encode(message.encode("utf-8"))) <= QUEUE_MESSAGE_LIMIT  # 94,192


def test_a_job_id_with_a_line_break_makes_its_job_malformed() -> None:
    """Bug D2: such an id gave an event whose `source` failed the published schema."""
    with pytest.raises(MalformedJobError):
        _added_event({"id": "a\nb", "status": {"code": "Active"}})


def test_a_card_with_a_lone_surrogate_can_be_posted() -> None:
    """Bug E: a lone surrogate from Graph's JSON (\\ud800) made the Teams post unencodable."""
    quarantine = {"reason": "Unknown", "error": {"message": "bad \ud800"}}  # what json.loads makes of "\\ud800"
    added = _added_event({"id": "j", "status": {"code": "Quarantine", "quarantine": quarantine}})
    [post] = plan_posts([added], baseline=False, digest_threshold=5)
    # What TeamsWebhookSink._post does: httpx encodes json= as UTF-8, which a lone surrogate cannot be. The
    # UnicodeEncodeError is not a SinkError, so it escapes the sink and fails the tick, and every tick after.
    httpx.Request("POST", "https://prod-00.westeurope.logic.azure.com/workflows/x", json=post.message)
