"""infra/create-cross-tenant-app.sh against a stand-in `az`: one multi-tenant app, its two Graph roles and the
federated credential that trusts the managed identity, made once; the consent link printed."""

from __future__ import annotations

import stat
import subprocess

import pytest

from tests.infra.bicep import INFRA
from tests.infra.fake_az import FakeAz

SCRIPT = INFRA / "create-cross-tenant-app.sh"
PRINCIPAL = "11111111-2222-3333-4444-555555555555"
HOME = "72f988bf-86f1-41af-91ab-2d7cd011db47"
APP = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
ROLE_IDS = {"Synchronization.Read.All": "5ba43d2f-fa88-4db2-bd1c-a67c5f0fb1ce", "Application.Read.All": "9a5d68dd-52b0-4cc2-bd40-abcf44ac3a30"}

FAKE_AZ = r"""
if args[:2] == ["cloud", "show"]:
    out = {"endpoints.microsoftGraphResourceId": state["graph"], "endpoints.activeDirectory": state["login"]}[opt("--query")]
elif args[:2] == ["account", "show"]:
    out = state["home"]
elif args[:3] == ["ad", "app", "list"]:
    out = state["app"]["appId"] if state["app"] else ""
elif args[:3] == ["ad", "app", "create"]:
    assert opt("--sign-in-audience") == "AzureADMultipleOrgs"
    state["app"] = {"appId": "{app}", "name": opt("--display-name"), "access": None, "credentials": []}
    out = "{app}"
elif args[:3] == ["ad", "app", "update"]:
    state["app"]["access"] = json.loads(opt("--required-resource-accesses"))
elif args[:4] == ["ad", "app", "federated-credential", "list"]:
    out = str(len(state["app"]["credentials"]))
elif args[:4] == ["ad", "app", "federated-credential", "create"]:
    state["app"]["credentials"].append(json.loads(opt("--parameters")))
elif args[0] == "rest":
    url, query = opt("--url"), opt("--query") or ""
    if "appId='00000003-0000-0000-c000-000000000000'" in url:
        out = "graph-sp"
    else:
        out = state["roles"].get(re.search(r"value=='([^']+)'", query).group(1), "")
else:
    raise SystemExit("unexpected call: " + " ".join(args))
"""


@pytest.fixture
def az(tmp_path):
    state = {"graph": "https://graph.microsoft.com/", "login": "https://login.microsoftonline.com", "home": HOME,
             "roles": ROLE_IDS, "app": None}
    return FakeAz(tmp_path, FAKE_AZ.replace("{app}", APP), state, SCRIPT)


def test_creates_the_app_with_its_roles_and_trusts_the_managed_identity_once(az):
    first = az(PRINCIPAL)
    assert first.returncode == 0, first.stderr
    app = az.state()["app"]
    assert app["access"] == [{"resourceAppId": "00000003-0000-0000-c000-000000000000", "resourceAccess": [
        {"id": ROLE_IDS["Synchronization.Read.All"], "type": "Role"}, {"id": ROLE_IDS["Application.Read.All"], "type": "Role"}]}]
    assert app["credentials"] == [{"name": "syncwatch-managed-identity", "issuer": f"https://login.microsoftonline.com/{HOME}/v2.0",
                                   "subject": PRINCIPAL, "audiences": ["api://AzureADTokenExchange"]}]
    assert f"CROSS_TENANT_CLIENT_ID={APP}" in first.stdout
    assert f"https://login.microsoftonline.com/<tenantId>/adminconsent?client_id={APP}" in first.stdout
    again = az(PRINCIPAL)
    assert again.returncode == 0 and "reusing" in again.stdout and len(az.state()["app"]["credentials"]) == 1


def test_a_national_cloud_gets_its_own_exchange_audience(az):
    az.set(graph="https://graph.microsoft.us/", login="https://login.microsoftonline.us")
    assert az(PRINCIPAL).returncode == 0
    [credential] = az.state()["app"]["credentials"]
    assert credential["audiences"] == ["api://AzureADTokenExchangeUSGov"]
    assert credential["issuer"].startswith("https://login.microsoftonline.us/")


def test_refuses_anything_but_an_object_id(az):
    result = az("not-a-guid")
    assert result.returncode == 2 and "usage:" in result.stderr and az.state()["calls"] == []


def test_the_script_is_executable_and_strict():
    assert SCRIPT.stat().st_mode & stat.S_IXUSR, "chmod +x infra/create-cross-tenant-app.sh"
    text = SCRIPT.read_text(encoding="utf-8")
    assert text.startswith("#!/usr/bin/env bash\n") and "set -euo pipefail" in text
    assert subprocess.run(["bash", "-n", str(SCRIPT)]).returncode == 0
