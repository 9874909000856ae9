"""The README documents every setting the code reads; docs/events.md every event type."""

import json
import re
from pathlib import Path

import pytest

from shared.model import TransitionKind
from shared.settings import DEFAULTS

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()


@pytest.mark.parametrize("name", sorted(DEFAULTS))
def test_every_setting_is_in_the_readme_settings_table(name):
    assert f"| `{name}` |" in README


EVENTS_DOC = (Path(__file__).resolve().parents[2] / "docs" / "events.md").read_text()
TYPE_SCHEMAS = Path(__file__).resolve().parents[2] / "shared" / "schemas" / "events"


@pytest.mark.parametrize("kind", [kind.value for kind in TransitionKind])
def test_every_event_type_is_in_the_catalogue_with_its_own_schema(kind):
    assert f"| `syncwatch.job.{kind}` |" in EVENTS_DOC
    schema = json.loads((TYPE_SCHEMAS / f"syncwatch.job.{kind}.v1.schema.json").read_text())
    assert schema["allOf"][1]["properties"]["type"]["const"] == f"syncwatch.job.{kind}"


def test_the_catalogue_has_no_type_the_code_does_not_make():
    documented = set(re.findall(r"\| `syncwatch\.job\.(\w+)` \|", EVENTS_DOC))
    assert documented == {kind.value for kind in TransitionKind}
    assert {path.name for path in TYPE_SCHEMAS.iterdir()} == {f"syncwatch.job.{k}.v1.schema.json" for k in documented}
