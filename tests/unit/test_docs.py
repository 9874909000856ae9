"""The README documents every setting the code reads."""

from pathlib import Path

import pytest

from shared.settings import DEFAULTS

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()


@pytest.mark.parametrize("name", sorted(DEFAULTS))
def test_every_setting_is_in_the_readme_settings_table(name):
    assert f"| `{name}` |" in README
