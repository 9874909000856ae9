"""graph-roles.bicep: the two Microsoft Graph application roles, granted with the Microsoft Graph Bicep extension.

checkov cannot parse the extension (test_checkov.py skips this file on purpose), so its checks live here.
"""

from __future__ import annotations

import json
import re

from tests.infra.bicep import BICEP_DIR, INFRA, REPO_ROOT, graph_template

GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"
LEAST_PRIVILEGE = ["Synchronization.Read.All", "Application.Read.All"]


def test_uses_the_microsoft_graph_v1_extension_pinned_in_bicepconfig():
    template = graph_template()
    assert list(template.tree["extensions"]) == ["microsoftGraphV1"]
    config = json.loads((BICEP_DIR / "bicepconfig.json").read_text(encoding="utf-8"))
    reference = config["extensions"]["microsoftGraphV1"]
    assert re.fullmatch(r"br:mcr\.microsoft\.com/bicep/extensions/microsoftgraph/v1\.0:\d+\.\d+\.\d+", reference)


def test_grants_exactly_the_two_read_only_application_roles_on_microsoft_graph():
    template = graph_template()
    ((graph_name, graph),) = template.of_type("Microsoft.Graph/servicePrincipals").items()
    assert graph["existing"] is True
    assert graph["api_version"] == "v1.0"
    assert graph["config"] == {"appId": GRAPH_APP_ID}

    ((_, grants),) = template.of_type("Microsoft.Graph/appRoleAssignedTo").items()
    assert grants["api_version"] == "v1.0"
    loop = grants["config"]["loop_type"]["detail"]
    assert template.resolve(loop["array_name"]) == LEAST_PRIVILEGE
    assignment = grants["config"]["config"]
    assert assignment["principalId"] == "principalId"
    assert assignment["resourceId"] == {
        "operator": {"type": "property_accessor", "operands": {"operand_1": graph_name, "operand_2": "id"}}
    }
    assert "appRoles" in json.dumps(assignment["appRoleId"]), "role ids are looked up by name in Graph's appRoles"


def test_the_principal_is_a_required_parameter():
    principal = graph_template().parameters["principalId"]
    assert principal["type"] == "string" and principal["default"] is None


def test_only_graph_resources_here():
    types = {resource["type"] for resource in graph_template().resources.values()}
    assert types == {"Microsoft.Graph/servicePrincipals", "Microsoft.Graph/appRoleAssignedTo"}


def test_the_admin_step_is_documented():
    deploy = (REPO_ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
    assert "Privileged Role Administrator" in deploy
    assert "infra/bicep/graph-roles.bicep" in deploy
    for role in LEAST_PRIVILEGE:
        assert role in deploy
    assert "Privileged Role Administrator" in (BICEP_DIR / "graph-roles.bicep").read_text(encoding="utf-8")
    assert "Privileged Role Administrator" in (INFRA / "grant-graph-roles.sh").read_text(encoding="utf-8")
