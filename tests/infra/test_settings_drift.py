"""Drift: the app settings main.bicep sets are exactly the settings shared/ reads, with the code's defaults.

The reference is shared.settings.DEFAULTS, imported at run time (never copied here): a setting added in code
without the template, or a default changed on one side only, fails this test.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

import pytest

from shared.settings import DEFAULTS
from tests.infra.bicep import COMPUTED, MAIN_PARAMS, REQUIRED, Template, main_template, parse_bicepparam

# The template makes host storage identity-based: `AzureWebJobsStorage` (a connection string, hence a secret) is
# replaced by this group. shared/storage_account.py reads __accountName and __clientId (and falls back to them);
# the Functions host reads all three.
IDENTITY_BASED = {
    "AzureWebJobsStorage": {
        "AzureWebJobsStorage__accountName": COMPUTED,  # the storage account's name
        "AzureWebJobsStorage__credential": "managedidentity",
        "AzureWebJobsStorage__clientId": COMPUTED,  # the user-assigned identity's client id
    },
}
# Read by the Functions host and the Application Insights integration, not by shared/.
PLATFORM_SETTINGS = {
    "APPLICATIONINSIGHTS_CONNECTION_STRING": COMPUTED,
    "APPLICATIONINSIGHTS_AUTHENTICATION_STRING": COMPUTED,
}
# Deliberate differences. POLL_SCHEDULE has no default in code, because the CLI (`poll --interval`) does not
# need it; the Functions host does (%POLL_SCHEDULE% in function_app.py), so the template defaults it.
TEMPLATE_DEFAULTS = {"POLL_SCHEDULE": "0 */5 * * * *"}


def app_settings(template: Template, overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The fixed app settings of the Function App (name -> value with parameters at their defaults)."""
    return {item["name"]: template.resolve(item["value"], dict(overrides or {})) for item in _fixed_entries(template)}


def drift(defaults: Mapping[str, str], settings: Mapping[str, Any]) -> list[str]:
    """Every difference between what the code reads (`defaults`) and what the template sets (`settings`)."""
    expected: dict[str, Any] = dict(PLATFORM_SETTINGS)
    for name, default in defaults.items():
        expected.update(IDENTITY_BASED.get(name, {name: TEMPLATE_DEFAULTS.get(name, default)}))
    problems = [
        f"{name}: read by shared/ but not set by infra/bicep/main.bicep; add it to coreAppSettings, from a parameter "
        f"defaulting to {expected[name]!r}"
        for name in sorted(expected.keys() - settings.keys())
    ]
    problems += [
        f"{name}: set by infra/bicep/main.bicep but not read by shared/ (not in shared.settings.DEFAULTS)"
        for name in sorted(settings.keys() - expected.keys())
    ]
    for name in sorted(expected.keys() & settings.keys()):
        want, got = expected[name], settings[name]
        if want == "" and got in ("", COMPUTED, REQUIRED):
            continue  # no default in code: the template may leave it empty, derive it, or require it
        if want != got:
            problems.append(f"{name}: the template's default is {got!r}, the code's is {want!r}")
    return problems


def test_the_template_sets_exactly_the_settings_the_code_reads_with_its_defaults():
    assert drift(DEFAULTS, app_settings(main_template())) == []


def test_a_setting_added_in_code_only_is_reported():
    defaults = {**DEFAULTS, "NEW_SETTING": "42"}
    assert drift(defaults, app_settings(main_template())) == [
        "NEW_SETTING: read by shared/ but not set by infra/bicep/main.bicep; add it to coreAppSettings, "
        "from a parameter defaulting to '42'"
    ]


def test_a_default_changed_on_one_side_only_is_reported():
    name = next(name for name, value in DEFAULTS.items() if value and name not in TEMPLATE_DEFAULTS)
    problems = drift({**DEFAULTS, name: "something else"}, app_settings(main_template()))
    assert len(problems) == 1 and problems[0].startswith(f"{name}: the template's default is ")


def test_a_setting_the_code_no_longer_reads_is_reported():
    defaults = {name: value for name, value in DEFAULTS.items() if name != "SNAPSHOT_TABLE"}
    assert drift(defaults, app_settings(main_template())) == [
        "SNAPSHOT_TABLE: set by infra/bicep/main.bicep but not read by shared/ (not in shared.settings.DEFAULTS)"
    ]


def test_a_tenants_table_sets_watch_tenants_to_it_unless_a_json_list_is_given():
    template = main_template()
    listed = '[{"tenantId": "contoso.com"}]'
    assert app_settings(template)["WATCH_TENANTS"] == ""
    assert app_settings(template, {"tenantsTable": "custtenants"})["WATCH_TENANTS"] == "table:custtenants"
    assert app_settings(template, {"tenantsTable": "custtenants", "watchTenants": listed})["WATCH_TENANTS"] == listed
    assert app_settings(template, {"watchTenants": listed})["WATCH_TENANTS"] == listed


def test_poll_schedule_stays_without_a_code_default():
    """If the code ever gets a default, TEMPLATE_DEFAULTS must go and the template follow the code."""
    assert DEFAULTS["POLL_SCHEDULE"] == ""


def test_the_app_settings_are_the_fixed_ones_plus_one_key_vault_reference_per_route_url_setting():
    template = main_template()
    site = template.resource("functionApp")
    assert site["properties"]["siteConfig"]["appSettings"] == {
        "function": {"type": "concat", "parameters": {"arg_1": "coreAppSettings", "arg_2": "teamsRouteAppSettings"}}
    }
    routes = template.variable("teamsRouteAppSettings")
    assert routes["loop_type"]["detail"] == {"item_name": "setting", "array_name": "teamsRouteUrlSettings"}
    assert template.parameters["teamsRouteUrlSettings"]["default"] == []
    assert routes["config"]["name"] == "setting"
    assert routes["config"]["value"] == (
        "@Microsoft.KeyVault(SecretUri=${keyVault.properties.vaultUri}secrets/${toLower(replace(setting, '_', '-'))})"
    )


@pytest.mark.parametrize("name", ["AzureWebJobsStorage", "TEAMS_WEBHOOK_URL"])
def test_secret_settings_never_hold_a_value_in_plain_text(name):
    template = main_template()
    entries = {item["name"]: item["value"] for item in _fixed_entries(template)}
    if name == "AzureWebJobsStorage":
        assert name not in entries, "host storage is identity-based: no connection string"
        return
    assert template.resolve(entries[name]) == "", "off until the secret is in Key Vault"
    assert template.resolve(entries[name], {"teamsWebhookUrlInKeyVault": True}) == COMPUTED
    assert entries[name]["operator"]["operands"]["true_value"] == (
        "@Microsoft.KeyVault(SecretUri=${keyVault.properties.vaultUri}secrets/teams-webhook-url)"
    )


def test_the_example_routes_name_only_url_settings_the_template_turns_into_key_vault_references():
    """TEAMS_ROUTES' urlSetting values are app settings of their own; the drift check above tolerates them
    because they come from teamsRouteUrlSettings. The Teams example in main.bicepparam must agree with itself."""
    values = parse_bicepparam(_uncommented_examples(MAIN_PARAMS.read_text(encoding="utf-8")))
    routes = json.loads(values["teamsRoutes"])
    url_settings = [route["urlSetting"] for route in routes]
    assert url_settings and sorted(url_settings) == sorted(values["teamsRouteUrlSettings"])
    for setting in url_settings:
        assert re.fullmatch(r"[A-Z][A-Z0-9_]*", setting), (
            f"{setting}: letters, digits and _ (a Key Vault secret name follows)"
        )
        assert setting not in DEFAULTS and setting not in app_settings(main_template())


def _fixed_entries(template: Template) -> list[dict[str, Any]]:
    entries = template.variable("coreAppSettings")
    names = [item["name"] for item in entries]
    assert len(names) == len(set(names)), f"duplicate app settings: {names}"
    return entries


def _uncommented_examples(text: str) -> str:
    """main.bicepparam with its commented-out `// param ...` example lines switched on."""
    return "\n".join(re.sub(r"^//\s*(param\s)", r"\1", line) for line in text.splitlines()) + "\n"
