"""Every Bicep file parses with pycep-parser: the stand-in for `bicep build`, which cannot be installed here."""

from __future__ import annotations

import pytest

from tests.infra.bicep import (
    BICEP_DIR,
    MAIN,
    MAIN_PARAMS,
    REPO_ROOT,
    bicep_files,
    main_template,
    parse,
    parse_bicepparam,
    using_target,
)


def test_the_templates_are_all_found():
    names = {path.relative_to(REPO_ROOT).as_posix() for path in bicep_files()}
    assert {"infra/bicep/main.bicep", "infra/bicep/graph-roles.bicep"} <= names


@pytest.mark.parametrize("path", bicep_files(), ids=lambda p: p.relative_to(REPO_ROOT).as_posix())
def test_parses(path):
    tree = parse(path)
    assert tree.get("resources"), f"{path.name} declares no resource"


@pytest.mark.parametrize("path", sorted(BICEP_DIR.glob("*.bicepparam")), ids=lambda p: p.name)
def test_parameter_files_parse_and_match_their_template(path):
    text = path.read_text(encoding="utf-8")
    target = (path.parent / using_target(text)).resolve()
    assert target == MAIN.resolve()
    values = parse_bicepparam(text)
    parameters = main_template().parameters
    assert set(values) <= set(parameters), f"unknown parameters: {sorted(set(values) - set(parameters))}"
    required = {name for name, p in parameters.items() if p.get("default") is None}
    assert required <= set(values), f"required parameters missing: {sorted(required - set(values))}"


def test_the_example_parameters_keep_teams_off_until_the_secrets_exist():
    """An unresolved Key Vault reference leaves the raw reference in the setting, and every tick fails on it."""
    values = parse_bicepparam(MAIN_PARAMS.read_text(encoding="utf-8"))
    assert values.get("teamsWebhookUrlInKeyVault", False) is False
    assert values.get("teamsRouteUrlSettings", []) == []
    assert values.get("teamsRoutes", "") == ""


def test_the_example_parameters_repeat_the_template_defaults():
    """The example is a map of what can be set; where it sets a value, it is the default (the code's default)."""
    template = main_template()
    values = parse_bicepparam(MAIN_PARAMS.read_text(encoding="utf-8"))
    for name in (
        "graphBaseUrl",
        "graphServicePrincipalIds",
        "snapshotTableName",
        "transitionsQueueName",
        "transitionsMessageTtl",
        "outboxDeadLetterAfter",
        "pollSchedule",
        "appName",
    ):
        assert values[name] == template.parameters[name]["default"], name
