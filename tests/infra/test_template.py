"""main.bicep, read with pycep-parser: the invariants of a keyless, least-privilege Function App.

checkov (test_checkov.py) covers the same ground from the outside; these tests read the template's structure
directly, including what checkov's older parser cannot evaluate.
"""

from __future__ import annotations

import re

import pytest

from tests.infra.bicep import BICEP_DIR, COMPUTED, main_template

ROLES = {  # built-in role definition ids (Azure RBAC)
    "Storage Blob Data Owner": "b7e6dc6d-f1e8-4753-8033-0f276bb0955b",
    "Storage Queue Data Contributor": "974c5e8b-45b9-4653-ba55-5f855dd0fb88",
    "Storage Table Data Contributor": "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3",
    "Monitoring Metrics Publisher": "3913510d-42f4-4e42-8a64-420c390055eb",
    "Key Vault Secrets User": "4633458b-17de-408a-b874-0445c86b69e6",
}
# Each role on the narrowest scopes that work (symbolic names of main.bicep's resources).
ROLE_SCOPES = {
    "Storage Blob Data Owner": {"storage"},  # the host creates its own containers: account scope
    "Storage Queue Data Contributor": {"transitionsQueue"},
    "Storage Table Data Contributor": {"snapshotTable", "tenantsTableResource"},  # the latter only when deployed
    "Monitoring Metrics Publisher": {"appInsights"},
    "Key Vault Secrets User": {"keyVault"},
}


@pytest.fixture(scope="module")
def template():
    return main_template()


def test_plain_resources_only_no_registry_modules_no_extensions(template):
    assert "modules" not in template.tree
    assert "extensions" not in template.tree, "the Graph extension lives in graph-roles.bicep"
    assert not [r for r in template.resources.values() if r["type"].startswith("Microsoft.Graph/")]
    for path in BICEP_DIR.glob("*.bicep"):
        modules = re.findall(r"^\s*module\s+\w+\s+'([^']*)'", path.read_text(encoding="utf-8"), re.MULTILINE)
        assert not [m for m in modules if m.startswith(("br/", "br:", "ts/", "ts:"))], (
            f"{path.name}: registry modules need network"
        )


def test_no_secret_passes_through_the_deployment(template):
    secure = [name for name, p in template.parameters.items() if any(d["type"] == "secure" for d in p["decorators"])]
    assert secure == [], "no secret is a parameter: webhook URLs go into Key Vault by hand"
    assert not template.of_type("Microsoft.KeyVault/vaults/secrets")
    for path in BICEP_DIR.glob("*.bicep"):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"listKeys|listConnectionStrings|AccountKey=|SharedAccessSignature", text, re.I), path.name


def test_storage_is_hardened(template):
    _, storage = template.only("Microsoft.Storage/storageAccounts")
    assert storage["kind"] == "StorageV2"
    properties = storage["properties"]
    assert properties["allowSharedKeyAccess"] is False
    assert properties["allowBlobPublicAccess"] is False
    assert properties["minimumTlsVersion"] == "TLS1_2"
    assert properties["supportsHttpsTrafficOnly"] is True
    assert properties["defaultToOAuthAuthentication"] is True
    assert properties["allowCrossTenantReplication"] is False


def test_storage_account_name_is_valid_for_every_allowed_app_name(template):
    """3-24 lowercase letters and digits: appName (3-11 of them) plus a 13-character uniqueString, cut at 24."""
    assert template.variable("storageName") == {
        "function": {"type": "take", "parameters": {"original_value": "${appName}${suffix}", "number_to_take": 24}}
    }
    app_name = template.parameters["appName"]
    bounds = {d["type"]: d["argument"] for d in app_name["decorators"] if d["type"] in ("min_length", "max_length")}
    assert bounds == {"min_length": 3, "max_length": 11}
    assert re.fullmatch(r"[a-z0-9]{3,11}", app_name["default"])
    assert re.search(r"^var suffix = uniqueString\(resourceGroup\(\)\.id\)$", template.text, re.MULTILINE)


def test_the_snapshot_table_the_queue_and_its_poison_queue_are_created(template):
    queues = {
        template.resolve(r["config"]["name"])
        for r in template.of_type("Microsoft.Storage/storageAccounts/queueServices/queues").values()
    }
    assert queues == {"sync-transitions", "sync-transitions-poison"}
    tables = template.of_type("Microsoft.Storage/storageAccounts/tableServices/tables")
    assert set(tables) == {"snapshotTable", "tenantsTableResource"}
    assert template.resolve(template.resource("snapshotTable")["name"]) == "syncsnapshot"
    assert template.condition("snapshotTable") is True
    container = template.resource("deploymentContainer")
    assert container["properties"]["publicAccess"] == "None"


def test_each_role_is_assigned_once_to_the_identity_on_its_narrowest_scope(template):
    assignments = template.of_type("Microsoft.Authorization/roleAssignments")
    found: dict[str, set[str]] = {}
    for name in assignments:
        config = template.resource(name)
        properties = config["properties"]
        role_var = properties["roleDefinitionId"]["function"]["parameters"]["resource_name_1"]
        role_id = template.resolve(role_var)
        role = next(role for role, guid in ROLES.items() if guid == role_id)
        assert config["scope"] not in found.get(role, set()), f"{role} assigned twice on {config['scope']}"
        found.setdefault(role, set()).add(config["scope"])
        assert properties["principalType"] == "ServicePrincipal", name
        assert _accessor(properties["principalId"]) == ["identity", "properties", "principalId"], name
        # Deterministic name: the same deployment twice updates instead of failing on a duplicate.
        assert config["name"]["function"]["type"] == "guid", name
    assert found == ROLE_SCOPES


def test_a_tenants_table_is_made_only_when_named_and_gets_the_table_role_on_itself_alone(template):
    """WATCH_TENANTS=table:<name>: the table and its role assignment come and go together with tenantsTable."""
    for name in ("tenantsTableResource", "tenantsTableContributor"):
        assert template.resolve(template.condition(name)) is False, name
        assert template.resolve(template.condition(name), {"tenantsTable": "custtenants"}) is True, name
    assert template.resolve(template.resource("tenantsTableResource")["name"], {"tenantsTable": "custtenants"}) == "custtenants"
    assert template.resource("tenantsTableResource")["parent"] == "tableService"
    assert template.resource("tenantsTableContributor")["scope"] == "tenantsTableResource"


def test_application_insights_takes_entra_authenticated_telemetry_only(template):
    _, insights = template.only("Microsoft.Insights/components")
    assert insights["properties"]["DisableLocalAuth"] is True
    assert _accessor(insights["properties"]["WorkspaceResourceId"]) == ["workspace", "id"]
    settings = _settings(template)
    assert (
        settings["APPLICATIONINSIGHTS_AUTHENTICATION_STRING"]
        == "Authorization=AAD;ClientId=${identity.properties.clientId}"
    )
    assert _accessor(settings["APPLICATIONINSIGHTS_CONNECTION_STRING"]) == [
        "appInsights",
        "properties",
        "ConnectionString",
    ]


def test_key_vault_is_in_rbac_mode_and_the_app_resolves_references_with_its_identity(template):
    _, vault = template.only("Microsoft.KeyVault/vaults")
    assert vault["properties"]["enableRbacAuthorization"] is True
    assert vault["properties"]["enableSoftDelete"] is True
    assert vault["properties"]["enablePurgeProtection"] is True
    assert "accessPolicies" not in vault["properties"]
    site = template.resource("functionApp")
    assert _accessor(site["properties"]["keyVaultReferenceIdentity"]) == ["identity", "id"]


def test_function_app_runs_on_flex_consumption_linux_python_311(template):
    _, plan = template.only("Microsoft.Web/serverfarms")
    assert plan["sku"] == {"name": "FC1", "tier": "FlexConsumption"}
    assert plan["properties"]["reserved"] is True  # Linux
    _, site = template.only("Microsoft.Web/sites")
    assert site["kind"] == "functionapp,linux"
    config = site["properties"]["functionAppConfig"]
    assert config["runtime"] == {"name": "python", "version": "3.11"}
    storage = config["deployment"]["storage"]
    assert storage["type"] == "blobContainer"
    assert storage["value"] == "${storage.properties.primaryEndpoints.blob}${deploymentContainerName}"
    assert storage["authentication"]["type"] == "UserAssignedIdentity"
    assert _accessor(storage["authentication"]["userAssignedIdentityResourceId"]) == ["identity", "id"]


def test_function_app_is_https_only_tls12_without_ftp_or_basic_auth(template):
    site = template.resource("functionApp")
    properties = site["properties"]
    assert properties["httpsOnly"] is True
    assert properties["siteConfig"]["minTlsVersion"] == "1.2"
    assert properties["siteConfig"]["scmMinTlsVersion"] == "1.2"
    assert properties["siteConfig"]["ftpsState"] == "Disabled"
    policies = template.of_type("Microsoft.Web/sites/basicPublishingCredentialsPolicies")
    assert {r["config"]["name"]: r["config"]["properties"]["allow"] for r in policies.values()} == {
        "ftp": False,
        "scm": False,
    }


def test_function_app_has_only_the_user_assigned_identity(template):
    site = template.resource("functionApp")
    assert site["identity"]["type"] == "UserAssigned"
    assert list(site["identity"]["userAssignedIdentities"]) == ["'${identity.id}'"]


def test_the_roles_exist_before_the_app_starts(template):
    """The host reads storage and resolves Key Vault references at start: with a user-assigned identity, the role
    assignments can (and must) be in place first."""
    depends_on = set(template.resource("functionApp")["dependsOn"])
    assert set(template.of_type("Microsoft.Authorization/roleAssignments")) <= depends_on
    assert "deploymentContainer" in depends_on


def test_identity_based_host_storage(template):
    settings = _settings(template)
    assert "AzureWebJobsStorage" not in settings
    assert _accessor(settings["AzureWebJobsStorage__accountName"]) == ["storage", "name"]
    assert settings["AzureWebJobsStorage__credential"] == "managedidentity"
    assert _accessor(settings["AzureWebJobsStorage__clientId"]) == ["identity", "properties", "clientId"]
    assert _accessor(settings["AZURE_CLIENT_ID"]) == ["identity", "properties", "clientId"]


def test_flex_consumption_settings_that_must_not_be_set(template):
    """Flex Consumption takes the runtime from functionAppConfig and always runs from the package."""
    settings = _settings(template)
    for name in (
        "FUNCTIONS_WORKER_RUNTIME",
        "FUNCTIONS_EXTENSION_VERSION",
        "WEBSITE_RUN_FROM_PACKAGE",
        "WEBSITE_CONTENTAZUREFILECONNECTIONSTRING",
        "WEBSITE_CONTENTSHARE",
    ):
        assert name not in settings


def test_secret_looking_settings_are_key_vault_references_or_empty(template):
    secretish = re.compile(r"WEBHOOK|SECRET|PASSWORD|TOKEN|KEY|CONNECTION_STRING", re.I)
    allowed_plain = {"APPLICATIONINSIGHTS_CONNECTION_STRING"}  # an ingestion endpoint; local auth is off
    for item in template.variable("coreAppSettings"):
        if not secretish.search(item["name"]) or item["name"] in allowed_plain:
            continue
        for value in (
            template.resolve(item["value"]),
            template.resolve(item["value"], {"teamsWebhookUrlInKeyVault": True}),
        ):
            assert value in ("", COMPUTED), item["name"]
        assert "@Microsoft.KeyVault(SecretUri=${keyVault.properties.vaultUri}secrets/" in str(item["value"]), item[
            "name"
        ]


def test_outputs_for_the_next_steps(template):
    outputs = template.outputs
    assert _accessor(outputs["functionAppName"]["value"]) == ["functionApp", "name"]
    assert (
        outputs["transitionsQueueUrl"]["value"] == "${storage.properties.primaryEndpoints.queue}${transitionsQueueName}"
    )
    assert _accessor(outputs["principalId"]["value"]) == ["identity", "properties", "principalId"]


def test_parameters_are_documented(template):
    undocumented = [
        name for name, p in template.parameters.items() if not any(d["type"] == "description" for d in p["decorators"])
    ]
    assert undocumented == []


def _settings(template):
    return {item["name"]: item["value"] for item in template.variable("coreAppSettings")}


def _accessor(value) -> list[str]:
    """`a.b.c` as pycep nests it, flattened: ["a", "b", "c"]."""
    if isinstance(value, str):
        return [value]
    operands = value["operator"]["operands"]
    assert value["operator"]["type"] == "property_accessor"
    return _accessor(operands["operand_1"]) + _accessor(operands["operand_2"])


def test_no_variable_is_named_like_an_output(template):
    """checkov's variable rendering stops at such a pair, and its app settings check would then see nothing."""
    assert set(template.variables) & set(template.outputs) == set()
