"""Property-based tests: the Graph parser against arbitrary and malformed synchronizationJob JSON.

The tick reads whatever Graph sends; a job it cannot understand must be reported and skipped
(MalformedJobError), and everything it does understand must come out bounded and stable.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from shared.errors import MalformedJobError
from shared.graph_json import MAX_ITEMS, MAX_TEXT, bounded_text, parse_job, parse_schedule, parse_status, to_graph_json
from shared.model import Job, ServicePrincipal
from tests.fuzz.strategies import (
    SP_IDS,
    job_json,
    service_principals,
    timestamp_value,
)

# A job document costs a few milliseconds to generate, a tick input (test_diff_fuzz) tens, a timestamp almost
# nothing: so these get more of the profile's examples.
many_examples = settings(settings.default, max_examples=2 * settings.default.max_examples)
most_examples = settings(settings.default, max_examples=5 * settings.default.max_examples)


def _parse(raw: Any, sp: ServicePrincipal) -> Job | None:
    """The only two outcomes allowed: a Job, or MalformedJobError. Anything else fails the property."""
    try:
        job = parse_job(raw, sp)
    except MalformedJobError as error:
        event("malformed")
        assert sp.id in str(error), "the message names the service principal, so the report says whose job it was"
        return None
    event("parsed")
    return job


@many_examples
@given(raw=job_json, sp=service_principals(SP_IDS[0]))
def test_parse_job_returns_a_job_or_raises_malformed_job_error(raw: Any, sp: ServicePrincipal) -> None:
    job = _parse(raw, sp)
    if job is not None:
        assert isinstance(job, Job)
        assert job.service_principal == sp
        assert job.id == raw["id"] and job.id  # the only field taken as is, and never empty


@many_examples
@given(raw=job_json)
def test_a_parsed_status_survives_its_own_graph_json(raw: Any) -> None:
    """What the snapshot stores (to_graph_json) reads back (parse_status) as the same status."""
    job = _parse(raw, ServicePrincipal(SP_IDS[0]))
    if job is None:
        return
    assert parse_status(to_graph_json(job.status)) == job.status
    assert parse_schedule(to_graph_json(job.schedule)) == job.schedule
    rendered = {"id": job.id, "templateId": job.template_id or "",
                "schedule": to_graph_json(job.schedule), "status": to_graph_json(job.status)}
    assert parse_job(rendered, job.service_principal) == job


@most_examples
@given(stamp=timestamp_value, field=st.sampled_from(("steadyStateFirstAchievedTime", "steadyStateLastAchievedTime")))
def test_a_timestamp_is_refused_or_survives_its_own_graph_json(stamp: Any, field: str) -> None:
    """Timestamps alone, so that the ends of the datetime range and odd offsets come up often."""
    raw = {"id": "j", "status": {"code": "Active", field: stamp}}
    job = _parse(raw, ServicePrincipal(SP_IDS[0]))
    if job is None:
        return
    rendered = to_graph_json(job.status)[field]
    assert rendered is None or rendered.endswith("Z")
    assert parse_status(to_graph_json(job.status)) == job.status


def _strings_and_lists(value: Any) -> tuple[list[str], list[tuple[Any, ...]]]:
    strings: list[str] = []
    lists: list[tuple[Any, ...]] = []

    def walk(node: Any) -> None:
        if isinstance(node, str):
            strings.append(node)
        elif isinstance(node, tuple):
            lists.append(node)
            for item in node:
                walk(item)
        elif dataclasses.is_dataclass(node) and not isinstance(node, type):
            for f in dataclasses.fields(node):
                walk(getattr(node, f.name))

    walk(value)
    return strings, lists


@many_examples
@given(raw=job_json)
def test_everything_parsed_is_bounded(raw: Any) -> None:
    """Whatever Graph sends, a parsed job's strings and lists stay within MAX_TEXT and MAX_ITEMS, so a
    snapshot entity and a queue message stay within storage limits."""
    job = _parse(raw, ServicePrincipal(SP_IDS[0]))
    if job is None:
        return
    strings, lists = _strings_and_lists((job.template_id, job.schedule, job.status))
    assert all(len(text) <= MAX_TEXT for text in strings)
    assert len(job.status.progress) <= MAX_ITEMS and len(job.status.synchronized_entry_count_by_type) <= MAX_ITEMS
    assert all(len(items) <= MAX_ITEMS for items in lists)  # every list, however deep (and each key/count pair)
    assert len(job.id) <= MAX_TEXT
    # Empty strings are normalised to None (Graph writes "" for unset values), never kept.
    assert "" not in strings or any(key == "" for key, _ in job.status.synchronized_entry_count_by_type)


@many_examples
@given(raw=job_json)
def test_unknown_codes_are_kept_as_written(raw: Any) -> None:
    """A status code Graph adds later is kept (bounded), never turned into None or rejected."""
    job = _parse(raw, ServicePrincipal(SP_IDS[0]))
    if job is None:
        return
    status = raw.get("status")
    raw_code = status.get("code") if isinstance(status, dict) else None
    assert job.code == ((bounded_text(raw_code) or None) if isinstance(raw_code, str) else None)


# --------------------------------------------------------------------------------- fixed bugs
# Found by the properties above; one regression test each.

SP = ServicePrincipal(SP_IDS[0], None, "Salesforce")


def test_a_timestamp_beyond_the_end_of_time_in_utc_makes_its_job_malformed() -> None:
    """Bug A (found by fuzzing): it parsed, then crashed every tick when rendered in UTC."""
    raw = {"id": "j", "status": {"code": "Active", "steadyStateLastAchievedTime": "9999-12-31T23:00:00-05:00"}}
    with pytest.raises(MalformedJobError, match="out of range"):
        parse_job(raw, SP)


def test_a_timestamp_just_after_never_round_trips() -> None:
    """Bug B (found by fuzzing): only 0001-01-01T00:00:00Z exactly means never."""
    status = parse_status({"code": "Active", "steadyStateFirstAchievedTime": "0002-01-01T00:00:00+05:00"})
    assert status.steady_state_first_achieved_time is not None
    assert parse_status(to_graph_json(status)) == status  # stored as 0001-12-31T19:00:00Z, read back as None


def test_job_id_is_bounded() -> None:
    """Bug D1 (found by fuzzing): an unbounded id; such a job is now malformed."""
    try:
        job = parse_job({"id": "x" * 100_000, "status": {"code": "Active"}}, SP)
    except MalformedJobError:
        return  # rejecting it is a fix too: truncating an id would merge two jobs
    assert len(job.id) <= MAX_TEXT
