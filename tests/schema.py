"""The published event schema, loaded the way a consumer would load it."""

from __future__ import annotations

import json
from pathlib import Path

from jsonschema import Draft202012Validator, FormatChecker

SCHEMA_PATH = Path(__file__).resolve().parents[1] / "shared" / "schemas" / "job-event.v1.schema.json"
EVENT_VALIDATOR = Draft202012Validator(json.loads(SCHEMA_PATH.read_text()), format_checker=FormatChecker())
