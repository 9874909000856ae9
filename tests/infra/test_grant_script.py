"""infra/grant-graph-roles.sh against a stand-in `az`: it grants the two roles once, and only once."""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys

import pytest

from tests.infra.bicep import INFRA

SCRIPT = INFRA / "grant-graph-roles.sh"
PRINCIPAL = "11111111-2222-3333-4444-555555555555"
GRAPH_SP = "99999999-0000-0000-0000-000000000000"
ROLE_IDS = {
    "Synchronization.Read.All": "5ba43d2f-fa88-4db2-bd1c-a67c5f0fb1ce",
    "Application.Read.All": "9a5d68dd-52b0-4cc2-bd40-abcf44ac3a30",
}

# A fake Azure CLI: answers the calls the script makes from a JSON state file, and logs every call.
FAKE_AZ = r"""#!{python}
import json, re, sys
state_file = {state!r}
state = json.load(open(state_file))
args = sys.argv[1:]
state["calls"].append(args)
opt = lambda name: args[args.index(name) + 1] if name in args else None
out = ""
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
json.dump(state, open(state_file, "w"))
if out:
    print(out)
"""


@pytest.fixture
def az(tmp_path):
    state = tmp_path / "state.json"
    state.write_text(
        json.dumps({"graph": "https://graph.microsoft.com/", "roles": ROLE_IDS, "assignments": [], "calls": []})
    )
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "az"
    fake.write_text(
        FAKE_AZ.replace("{python}", sys.executable)
        .replace("{state!r}", repr(str(state)))
        .replace("{graph_sp}", GRAPH_SP)
    )
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}"}
        return subprocess.run(["bash", str(SCRIPT), *args], env=env, capture_output=True, text=True, timeout=30)

    run.state = lambda: json.loads(state.read_text())  # type: ignore[attr-defined]
    run.set = lambda **values: state.write_text(json.dumps({**json.loads(state.read_text()), **values}))  # type: ignore[attr-defined]
    return run


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
    assert re.findall(r"ROLES=\(([^)]*)\)", text) == ["Synchronization.Read.All Application.Read.All"]
    assert subprocess.run(["bash", "-n", str(SCRIPT)]).returncode == 0
