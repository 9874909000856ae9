"""WATCH_TENANTS, per-tenant settings, work items and the choice of Graph credential per tenant."""

import asyncio
import json
import urllib.parse
from contextlib import AsyncExitStack
from datetime import datetime, timezone
from unittest.mock import Mock

import pytest
from azure.core.pipeline.transport import AsyncHttpTransport

from shared.bootstrap import graph_credential
from shared.cloud import cloud_for
from shared.errors import SettingsError
from shared.settings import load_settings
from shared.tenants import Tenant, tenant_of_row, tenant_row, tenants_of_rows
from shared.work_items import parse_work_item, tenant_of, work_items

HOME = "11111111-2222-3333-4444-555555555555"
CUSTOMER = "99999999-8888-7777-6666-555555555555"
APP = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
URL = "https://prod-00.westus.logic.azure.com/workflows/x/triggers/manual/paths/invoke?sig=secret"
BASE = {"AZURE_TENANT_ID": HOME, "AzureWebJobsStorage": "UseDevelopmentStorage=true", "TEAMS_WEBHOOK_URL": URL}


def tenants(*entries, **environ):
    return load_settings({**BASE, "WATCH_TENANTS": json.dumps(list(entries)), **environ})


def test_without_watch_tenants_the_one_tenant_is_azure_tenant_id():
    settings = load_settings(BASE)
    assert [t.tenant_id for t in settings.tenants] == [HOME] and settings.watch_tenants == ()
    assert settings.for_tenant(settings.tenants[0]) == settings


def test_each_tenant_has_its_graph_endpoint_and_its_own_routes_besides_the_global_ones():
    settings = tenants(
        {"tenantId": HOME},
        {"tenantId": CUSTOMER, "displayName": "Fabrikam", "graphBaseUrl": "https://graph.microsoft.us/v1.0/",
         "teamsRoutes": [{"name": "fabrikam", "urlSetting": "URL_FABRIKAM", "minSeverity": "critical"}]},
        URL_FABRIKAM=URL,
    )
    home, customer = (settings.for_tenant(t) for t in settings.tenants)
    assert (home.tenant_id, home.graph_base_url) == (HOME, "https://graph.microsoft.com/v1.0")
    assert (customer.tenant_id, customer.graph_base_url) == (CUSTOMER, "https://graph.microsoft.us/v1.0")
    assert [r.name for r in home.teams.routes] == ["default"]
    assert [r.name for r in customer.teams.routes] == ["default", "fabrikam"]
    assert settings.tenants[1].name == "Fabrikam" and customer.home_tenant_id == HOME


@pytest.mark.parametrize(("entries", "fragment"), [
    ("not json", "WATCH_TENANTS is not valid JSON"),
    ("[]", "non-empty JSON list"),
    ('[{"displayName": "x"}]', r"WATCH_TENANTS\[0\] must be an object whose \"tenantId\""),
    (f'[{{"tenantId": "{HOME}"}}, {{"tenantId": "{HOME.upper()}"}}]', "each tenantId may appear once"),
    (f'[{{"tenantId": "{HOME}", "color": "red"}}]', r"WATCH_TENANTS\[0\]: unknown key"),
    (f'[{{"tenantId": "{HOME}", "graphBaseUrl": "http://graph.example.com"}}]', f"tenant {HOME}: graphBaseUrl must be an https"),
    (f'[{{"tenantId": "{HOME}", "teamsRoutes": [{{"name": "x", "urlSetting": "NOPE"}}]}}]', "NOPE"),
    (f'[{{"tenantId": "{HOME}", "teamsRoutes": [{{"name": "default", "urlSetting": "U"}}]}}]', "unique"),
])
def test_bad_watch_tenants_name_the_entry(entries, fragment):
    with pytest.raises(SettingsError, match=fragment):
        load_settings({**BASE, "WATCH_TENANTS": entries, "U": URL})


def test_work_items_round_trip_and_name_their_tenant():
    settings = tenants({"tenantId": HOME}, {"tenantId": CUSTOMER})
    now = datetime(2026, 11, 25, 10, tzinfo=timezone.utc)
    items = work_items(settings.tenants, tick_id="t1", now=now)
    assert [parse_work_item(item.to_json()) for item in items] == items
    assert tenant_of(parse_work_item(items[1].to_json()), settings.tenants).tenant_id == CUSTOMER
    with pytest.raises(SettingsError, match="not in WATCH_TENANTS"):
        tenant_of(parse_work_item(items[1].to_json()), tenants({"tenantId": HOME}).tenants)
    with pytest.raises(SettingsError, match="not a syncwatch work item"):
        parse_work_item('{"hello": 1}')


class LocalTokenEndpoint(AsyncHttpTransport):
    """Answers the customer tenant's token endpoint the way Entra does, and keeps each request."""

    def __init__(self) -> None:
        self.requests = []

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc_info):
        return None

    async def open(self):
        return None

    async def close(self):
        return None

    async def send(self, request, **kwargs):
        self.requests.append(request)
        body = json.dumps({"token_type": "Bearer", "expires_in": 3599, "access_token": f"graph-token-{len(self.requests)}"})
        return Mock(status_code=200, headers={"Content-Type": "application/json"}, content_type="application/json",
                    text=lambda encoding=None: body, body=lambda: body.encode(), request=request)


class ManagedIdentity:
    """Stands for the managed identity's synchronous credential: records the scope it is asked for."""

    def __init__(self) -> None:
        self.scopes = []

    def get_token(self, *scopes):
        self.scopes += scopes
        return Mock(token="managed-identity-assertion")


def test_a_customer_tenant_gets_its_token_with_the_managed_identity_as_assertion(monkeypatch):
    settings = tenants({"tenantId": HOME}, {"tenantId": CUSTOMER}, CROSS_TENANT_CLIENT_ID=APP)
    endpoint, identity = LocalTokenEndpoint(), ManagedIdentity()
    from shared.adapters import cross_tenant

    real = cross_tenant.cross_tenant_credential
    monkeypatch.setattr(cross_tenant, "cross_tenant_credential",
                        lambda *a, **k: real(*a, **k, assertion_source=identity, transport=endpoint))
    home = object()

    async def scenario():
        async with AsyncExitStack() as stack:
            own = graph_credential(stack, settings.for_tenant(settings.tenants[0]), cloud_for(settings.graph_base_url), home)
            customer = settings.for_tenant(settings.tenants[1])
            credential = graph_credential(stack, customer, cloud_for(customer.graph_base_url), home)
            return own, credential, await credential.get_token("https://graph.microsoft.com/.default")

    own, credential, token = asyncio.run(scenario())
    assert own is home and type(credential).__name__ == "ClientAssertionCredential"
    assert token.token == "graph-token-1" and identity.scopes == ["api://AzureADTokenExchange/.default"]
    [request] = endpoint.requests
    assert request.url == f"https://login.microsoftonline.com/{CUSTOMER}/oauth2/v2.0/token"
    form = request.body if isinstance(request.body, dict) else urllib.parse.parse_qs(request.body)
    assert form["client_id"] == APP and form["client_assertion"] == "managed-identity-assertion"
    assert form["client_assertion_type"] == "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


def test_national_clouds_exchange_tokens_with_their_own_audience():
    assert cloud_for("https://graph.microsoft.us/v1.0").token_exchange_scope == "api://AzureADTokenExchangeUSGov/.default"
    assert cloud_for("https://microsoftgraph.chinacloudapi.cn/v1.0").token_exchange_scope == "api://AzureADTokenExchangeChina/.default"


def test_without_the_cross_tenant_app_every_tenant_uses_syncwatchs_own_identity():
    settings = tenants({"tenantId": CUSTOMER})
    home = object()

    async def scenario():
        async with AsyncExitStack() as stack:
            customer = settings.for_tenant(settings.tenants[0])
            return graph_credential(stack, customer, cloud_for(customer.graph_base_url), home)

    assert asyncio.run(scenario()) is home


def test_host_json_gives_up_on_a_work_item_when_syncwatch_says_it_does():
    from pathlib import Path

    from shared.work_items import MAX_DEQUEUE_COUNT

    host = json.loads((Path(__file__).resolve().parents[2] / "host.json").read_text())
    queues = host["extensions"]["queues"]
    assert queues["maxDequeueCount"] == MAX_DEQUEUE_COUNT and queues["messageEncoding"] == "base64"
    assert queues["batchSize"] + queues["newBatchThreshold"] <= 4  # a few tenants per instance: the rest scale out


# ── WATCH_TENANTS=table:<name>: a row is validated as the JSON entry it is turned into ──────────────

TABLE = "syncwatchtenants"


def row(tenant_id=CUSTOMER, **columns):
    return {"PartitionKey": "tenant", "RowKey": tenant_id, **columns}


def test_the_table_form_is_many_tenant_mode_with_no_tenant_until_its_rows_are_read():
    settings = load_settings({**BASE, "WATCH_TENANTS": f"table:{TABLE}"})
    assert settings.many_tenants and settings.tenants_table == TABLE and settings.tenants == ()
    assert settings.tenants_source == f"WATCH_TENANTS table {TABLE}"
    assert not load_settings(BASE).many_tenants and tenants({"tenantId": HOME}).many_tenants


@pytest.mark.parametrize(("value", "fragment"), [
    ("table:", "needs a table name"),
    ("table:2tenants", "needs a table name of 3-63 letters and digits"),
    ("table:tenants-list", "needs a table name"),
    ("table:syncsnapshot", "not SNAPSHOT_TABLE"),
])
def test_a_bad_table_name_is_refused_at_load(value, fragment):
    with pytest.raises(SettingsError, match=fragment):
        load_settings({**BASE, "WATCH_TENANTS": value})


def test_a_row_becomes_the_tenant_its_json_entry_would_be():
    routes = json.dumps([{"name": "fabrikam", "urlSetting": "URL_FABRIKAM", "minSeverity": "critical"}])
    tenant = tenant_of_row(row(DisplayName="Fabrikam", GraphBaseUrl="https://graph.microsoft.us/v1.0/", TeamsRoutes=routes),
                           TABLE, {"URL_FABRIKAM": URL})
    listed = tenants({"tenantId": CUSTOMER, "displayName": "Fabrikam", "graphBaseUrl": "https://graph.microsoft.us/v1.0/",
                      "teamsRoutes": json.loads(routes)}, URL_FABRIKAM=URL).tenants[0]
    assert tenant == listed and tenant.graph_base_url == "https://graph.microsoft.us/v1.0"
    assert tenant_of_row(row(DisplayName="", GraphBaseUrl=None), TABLE, {}) == Tenant(CUSTOMER)


@pytest.mark.parametrize(("columns", "fragment"), [
    ({"GraphBaseUrl": "http://graph.example.com"}, "graphBaseUrl must be an https"),
    ({"DisplayName": 42}, "displayName must be a string"),
    ({"TeamsRoutes": "[{"}, "TeamsRoutes is not valid JSON"),
    ({"TeamsRoutes": '{"name": "x"}'}, "teamsRoutes must be a JSON list"),
    ({"TeamsRoutes": '[{"name": "x", "urlSetting": "NOPE"}]'}, "NOPE"),
    ({"TeamsRoutes": '[{"name": "default", "urlSetting": "U"}]'}, "route names must be unique"),
    ({"Colour": "red"}, r"unknown column\(s\) \['Colour'\]"),
])
def test_a_bad_row_names_the_table_and_the_row(columns, fragment):
    with pytest.raises(SettingsError, match=fragment) as refused:
        tenant_of_row(row(**columns), TABLE, {"U": URL}, global_routes=load_settings(BASE).teams.routes)
    assert f"WATCH_TENANTS table {TABLE} row {CUSTOMER}: " in str(refused.value)


@pytest.mark.parametrize("tenant_id", [APP.upper(), "Contoso.com", "not a tenant!", ""])
def test_a_row_key_must_be_a_tenant_id_in_lower_case(tenant_id):
    with pytest.raises(SettingsError, match=f"WATCH_TENANTS table {TABLE} row "):
        tenant_of_row(row(tenant_id), TABLE, {})


def test_bad_rows_are_problems_beside_the_valid_tenants_never_instead_of_them():
    found, problems = tenants_of_rows([row(HOME), row(GraphBaseUrl="ftp://x"), row("contoso.com")], TABLE, {})
    assert [t.tenant_id for t in found] == [HOME, "contoso.com"]
    assert len(problems) == 1 and problems[0].startswith(f"WATCH_TENANTS table {TABLE} row {CUSTOMER}: graphBaseUrl")


@pytest.mark.parametrize(("rows", "fragment"), [([], "has no tenants"), ([row(GraphBaseUrl="ftp://x")], "has no valid tenants")])
def test_a_table_without_a_valid_tenant_says_how_to_add_one(rows, fragment):
    found, problems = tenants_of_rows(rows, TABLE, {})
    assert found == () and f"WATCH_TENANTS table {TABLE} {fragment}" in problems[-1]
    assert "syncwatch tenants add <tenantId>" in problems[-1]


def test_the_row_the_cli_writes_reads_back_as_its_tenant():
    written = tenant_row(f" {CUSTOMER.upper()} ", name="Fabrikam", graph_base_url="https://graph.microsoft.us/v1.0")
    assert written == {"PartitionKey": "tenant", "RowKey": CUSTOMER, "DisplayName": "Fabrikam",
                       "GraphBaseUrl": "https://graph.microsoft.us/v1.0"}
    assert tenant_of_row(written, TABLE, {}) == Tenant(CUSTOMER, "Fabrikam", "https://graph.microsoft.us/v1.0")


def test_a_work_item_for_a_tenant_gone_from_the_table_names_the_table():
    item = work_items((Tenant(CUSTOMER),), tick_id="t1", now=datetime(2026, 11, 25, 10, tzinfo=timezone.utc))[0]
    with pytest.raises(SettingsError, match=f"not in WATCH_TENANTS table {TABLE} \\(any more\\)"):
        tenant_of(item, (), f"WATCH_TENANTS table {TABLE}")
