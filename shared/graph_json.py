"""Graph's synchronization JSON <-> the product's frozen types. Pure. No I/O.

Parsed by hand rather than through msgraph's models: those turn an unknown enum into None and cost
about 160x the CPU. Field names are derived (snake_case <-> camelCase), so the types are the schema.
"""

from __future__ import annotations

import dataclasses
import functools
import types
import typing
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any, TypeVar

from shared.errors import MalformedJobError
from shared.model import Job, Schedule, ServicePrincipal, SyncStatus

_NEVER = datetime(1, 1, 1, tzinfo=timezone.utc)  # Graph writes 0001-01-01T00:00:00Z for "never"
_INT64 = 2**63 - 1
MAX_ID = 256
# Bounds that keep a snapshot entity and a queue message within storage limits whatever Graph sends.
MAX_TEXT = 4096
MAX_ITEMS = 50
TRUNCATED = "…[truncated]"
Decoder = Callable[[object], Any]
_ENTRY_COUNTS = "synchronized_entry_count_by_type"
_REQUIRED = object()  # a field without a default: null or absent is malformed
T = TypeVar("T")


def parse_job(raw: object, service_principal: ServicePrincipal) -> Job:
    """One job object from `.../synchronization/jobs`; raises MalformedJobError naming the job."""
    if not isinstance(raw, dict):
        raise MalformedJobError(f"job of {service_principal.id} is {type(raw).__name__}, not an object")
    job_id = raw.get("id")
    if not is_plain_id(job_id):
        raise MalformedJobError(f"job of {service_principal.id} has no usable id (a string of 1-{MAX_ID} printable characters)")
    try:
        template_id = _decode(str | None, raw.get("templateId"))
        schedule = _decode(Schedule | None, raw.get("schedule")) or Schedule()
        status = _decode(SyncStatus | None, raw.get("status")) or SyncStatus()
    except (TypeError, ValueError) as error:
        raise MalformedJobError(f"job {job_id} of {service_principal.id}: {error}") from error
    return Job(service_principal, job_id, template_id, schedule, status)


def parse_status(raw: object) -> SyncStatus:
    """A synchronizationStatus object, as stored in a snapshot."""
    return _decode(SyncStatus | None, raw) or SyncStatus()


def parse_schedule(raw: object) -> Schedule:
    return _decode(Schedule | None, raw) or Schedule()


def decode_as(cls: type[T], raw: object) -> T:
    """Any of the model's dataclasses from the JSON `to_graph_json` made of it (syncwatch's own memory too)."""
    return _decode(cls, raw)  # type: ignore[no-any-return]


def to_graph_json(value: Any) -> Any:
    """A model value rendered back as Graph spells it (camelCase, ISO timestamps with Z)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {_camel(f.name): _encode_field(f.name, getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple):
        return [to_graph_json(item) for item in value]
    if isinstance(value, datetime):
        return format_timestamp(value)
    return value


def format_timestamp(value: datetime) -> str:
    return value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def iso(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC with a Z, as Graph and the events write it; None stays None."""
    return format_timestamp(moment) if moment else None


def _encode_field(name: str, value: Any) -> Any:
    if name == _ENTRY_COUNTS:
        return [{"key": key, "value": count} for key, count in value]
    return to_graph_json(value)


def _decode(annotation: Any, raw: object) -> Any:
    """Decode `raw` as `annotation`; raise TypeError or ValueError naming the offending value."""
    return _decoder(annotation)(raw)


@functools.cache
def _decoder(annotation: Any) -> Decoder:
    """A decoder built once per type: reading the type hints again for every value of every job took
    more than half of a steady tick's CPU at 10,000 jobs."""
    decode, if_missing = _field_decoder(annotation)
    if if_missing is _REQUIRED:
        return functools.partial(_required, decode)
    return functools.partial(_or_missing, decode, if_missing)


def _field_decoder(annotation: Any) -> tuple[Decoder, Any]:
    """How to decode a present value, and what a missing one (null or absent) means: None for an optional
    field, () for a list, or _REQUIRED. Split so that the hot loop calls one function per present value."""
    optional, base = _split_optional(annotation)
    if typing.get_origin(base) is tuple:
        return functools.partial(_decode_tuple, _decoder(typing.get_args(base)[0])), ()
    decode = _dataclass_decoder(base) if dataclasses.is_dataclass(base) else _DECODERS[base]
    return decode, None if optional else _REQUIRED


def _or_missing(decode: Decoder, if_missing: Any, raw: object) -> Any:
    return if_missing if raw is None else decode(raw)


def _required(decode: Decoder, raw: object) -> Any:
    if raw is None:
        raise TypeError("missing value")
    return decode(raw)


def _dataclass_decoder(cls: type) -> Decoder:
    hints = typing.get_type_hints(cls)
    fields = tuple(
        (f.name, _camel(f.name), *((_decode_entry_counts, ()) if f.name == _ENTRY_COUNTS else _field_decoder(hints[f.name])))
        for f in dataclasses.fields(cls)
    )

    def decode(raw: object) -> Any:
        if not isinstance(raw, dict):
            raise TypeError(f"{cls.__name__} is {type(raw).__name__}, not an object")
        values = {}
        for name, camel, decode_field, if_missing in fields:
            value = raw.get(camel)
            try:
                if value is not None:
                    values[name] = decode_field(value)
                elif if_missing is _REQUIRED:
                    raise TypeError("missing value")
                else:
                    values[name] = if_missing
            except (TypeError, ValueError) as error:
                raise type(error)(f"{camel}: {error}") from error
        return cls(**values)

    return decode


def _decode_tuple(decode_item: Decoder, raw: object) -> tuple[Any, ...]:
    if not isinstance(raw, list):
        raise TypeError(f"{type(raw).__name__}, not a list")
    return tuple(decode_item(item) for item in raw[:MAX_ITEMS])


def _decode_entry_counts(raw: object) -> tuple[tuple[str, int | None], ...]:
    if not isinstance(raw, list) or not all(isinstance(pair, dict) for pair in raw):
        raise TypeError("not a list of key/value pairs")
    return tuple((_decode_str(pair.get("key")) or "", _decode(int | None, pair.get("value"))) for pair in raw[:MAX_ITEMS])


def is_plain_id(value: object) -> bool:
    """Ids end up in keys, URLs and event sources: bounded, printable, one line. Truncating one would merge
    two jobs, so an odd id makes its job malformed instead."""
    return isinstance(value, str) and 0 < len(value) <= MAX_ID and value.isprintable()


def bounded_text(raw: str) -> str:
    """At most MAX_TEXT characters, and valid Unicode: JSON's lone surrogates (\\ud800) cannot be encoded."""
    text = raw if len(raw) <= MAX_TEXT else raw[: MAX_TEXT - len(TRUNCATED)] + TRUNCATED
    return text if text.isascii() else text.encode("utf-8", "replace").decode("utf-8")


def _decode_str(raw: object) -> str | None:
    if type(raw) is str and len(raw) <= MAX_TEXT and raw.isascii():
        return raw or None  # the common case, taken without the checks below
    if not isinstance(raw, str):
        raise TypeError(f"{type(raw).__name__}, not a string")
    return bounded_text(raw) or None  # documented examples carry "" for unset enums and URLs


def _decode_int(raw: object) -> int:
    if type(raw) is int and -_INT64 - 1 <= raw <= _INT64:
        return raw  # the common case, taken without the checks below
    if isinstance(raw, bool) or not isinstance(raw, (int, str)):
        raise TypeError(f"{type(raw).__name__}, not an integer")
    if isinstance(raw, str) and len(raw) > 20:
        raise ValueError("not an Int64")
    value = int(raw)  # Int64 may arrive as a string under IEEE754Compatible
    if not -_INT64 - 1 <= value <= _INT64:
        raise ValueError("not an Int64")
    return value


def _decode_bool(raw: object) -> bool:
    if not isinstance(raw, bool):
        raise TypeError(f"{type(raw).__name__}, not a boolean")
    return raw


def _decode_datetime(raw: object) -> datetime | None:
    if not isinstance(raw, str):
        raise TypeError(f"{type(raw).__name__}, not a timestamp")
    if not raw:
        return None
    parsed = datetime.fromisoformat(raw)
    try:
        utc = (parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)
    except OverflowError as error:
        raise ValueError(f"timestamp out of range: {raw[:40]!r}") from error
    return None if utc == _NEVER else utc


_DECODERS: dict[Any, Decoder] = {str: _decode_str, int: _decode_int, bool: _decode_bool, datetime: _decode_datetime}


def _split_optional(annotation: Any) -> tuple[bool, Any]:
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        args = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
        return True, args[0]
    return False, annotation


@functools.cache
def _camel(snake: str) -> str:
    head, *rest = snake.split("_")
    return head + "".join(word.capitalize() for word in rest)
