"""infra/grant-graph-roles.sh against a stand-in `az`: it grants the two roles once, and only once."""

from __future__ import annotations

import json
import re
import stat
import subprocess

import pytest

from tests.infra.bicep import INFRA
from tests.infra.fake_az import FakeAz

SCRIPT = INFRA / "grant-graph-roles.sh"
PRINCIPAL = "11111111-2222-3333-4444-555555555555"
GRAPH_SP = "99999999-0000-0000-0000-000000000000"
ROLE_IDS = {
    "Synchronization.Read.All": "5ba43d2f-fa88-4db2-bd1c-a67c5f0fb1ce",
    "Application.Read.All": "9a5d68dd-52b0-4cc2-bd40-abcf44ac3a30",
}

# A fake Azure CLI: answers the calls the script makes from a JSON state file, and logs every call.
FAKE_AZ = r"""
if args[:2] == ["cloud", "show"]:
    out = state["graph"]
elif args[0] == "rest":
    url, query = opt("--url"), opt("--query") or ""
    assert url.startswith(state["graph"].rstrip("/") + "/v1.0/"), url
    if opt("--method") == "post":
        assert url.endswith("/servicePrincipals/{graph_sp}/appRoleAssignedTo"), url
        state["assignments"].append(json.loads(opt("--body")))
    elif "appId='00000003-0000-0000-c000-000000000000'" in url:
        out = "{graph_sp}"
    elif url.endswith("?$select=appRoles"):
        role = re.search(r"value=='([^']+)'", query).group(1)
        out = state["roles"].get(role, "")
    elif url.endswith("/appRoleAssignments"):
        role_id = re.search(r"appRoleId=='([^']+)'", query).group(1)
        principal = url.split("/servicePrincipals/")[1].split("/")[0]
        out = str(sum(a["appRoleId"] == role_id and a["principalId"] == principal for a in state["assignments"]))
    else:
        raise SystemExit("unexpected call: " + " ".join(args))
"""


@pytest.fixture
def az(tmp_path):
    program = FAKE_AZ.replace("{graph_sp}", GRAPH_SP)
    return FakeAz(tmp_path, program, {"graph": "https://graph.microsoft.com/", "roles": ROLE_IDS, "assignments": []}, SCRIPT)


def test_grants_both_roles_then_leaves_them_alone(az):
    first = az(PRINCIPAL)
    assert first.returncode == 0, first.stderr
    assert first.stdout.splitlines() == ["granted: Synchronization.Read.All", "granted: Application.Read.All"]
    assert az.state()["assignments"] == [
        {"principalId": PRINCIPAL, "resourceId": GRAPH_SP, "appRoleId": ROLE_IDS["Synchronization.Read.All"]},
        {"principalId": PRINCIPAL, "resourceId": GRAPH_SP, "appRoleId": ROLE_IDS["Application.Read.All"]},
    ]
    again = az(PRINCIPAL)
    assert again.returncode == 0, again.stderr
    assert again.stdout.splitlines() == [
        "already granted: Synchronization.Read.All",
        "already granted: Application.Read.All",
    ]
    assert len(az.state()["assignments"]) == 2


def test_uses_the_graph_endpoint_of_the_signed_in_cloud(az):
    az.set(graph="https://graph.microsoft.us/")
    assert az(PRINCIPAL).returncode == 0
    urls = [call[call.index("--url") + 1] for call in az.state()["calls"] if call[0] == "rest"]
    assert urls and all(url.startswith("https://graph.microsoft.us/v1.0/") for url in urls)


def test_refuses_anything_but_an_object_id(az):
    for args in ((), ("not-a-guid",), (PRINCIPAL + "0",)):
        result = az(*args)
        assert result.returncode == 2 and "usage:" in result.stderr
    assert az.state()["calls"] == []


def test_stops_when_graph_lacks_a_role(az):
    az.set(roles={"Application.Read.All": ROLE_IDS["Application.Read.All"]})
    result = az(PRINCIPAL)
    assert result.returncode == 1 and "no application role named Synchronization.Read.All" in result.stderr
    assert az.state()["assignments"] == []


def test_the_script_is_executable_and_strict():
    assert SCRIPT.stat().st_mode & stat.S_IXUSR, "chmod +x infra/grant-graph-roles.sh"
    text = SCRIPT.read_text(encoding="utf-8")
    assert text.startswith("#!/usr/bin/env bash\n") and "set -euo pipefail" in text
    library = (INFRA / "lib" / "graph.sh").read_text(encoding="utf-8")
    assert re.findall(r"GRAPH_ROLES=\(([^)]*)\)", library) == ["Synchronization.Read.All Application.Read.All"]
    assert subprocess.run(["bash", "-n", str(SCRIPT)]).returncode == 0
