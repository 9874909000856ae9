"""The published event schema, loaded the way a consumer would load it."""

from __future__ import annotations

import json
from pathlib import Path

from jsonschema import Draft202012Validator, FormatChecker

SCHEMA_PATH = Path(__file__).resolve().parents[1] / "shared" / "schemas" / "job-event.v1.schema.json"
EVENT_VALIDATOR = Draft202012Validator(json.loads(SCHEMA_PATH.read_text()), format_checker=FormatChecker())

TYPE_SCHEMAS = SCHEMA_PATH.parent / "events"


def type_validator(event_type: str) -> Draft202012Validator:
    """The schema of one event type (schemas/events/<type>.v1.schema.json), which refers to the base schema
    by its $id, as a consumer's registry resolves it."""
    from referencing import Registry, Resource

    base = json.loads(SCHEMA_PATH.read_text())
    registry = Registry().with_resource(base["$id"], Resource.from_contents(base))
    schema = json.loads((TYPE_SCHEMAS / f"{event_type}.v1.schema.json").read_text())
    return Draft202012Validator(schema, registry=registry, format_checker=FormatChecker())
