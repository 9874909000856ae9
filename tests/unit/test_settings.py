import json

import pytest

from shared.errors import SettingsError
from shared.settings import DEFAULT_MESSAGE_TTL, load_settings, read_environment

GUID = "11111111-2222-3333-4444-555555555555"
CONNECTION = "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=c2VjcmV0LWtleQ==;EndpointSuffix=core.windows.net"
BASE = {"AZURE_TENANT_ID": GUID, "AzureWebJobsStorage": CONNECTION}


def test_defaults():
    settings = load_settings(BASE)
    assert settings.graph_base_url == "https://graph.microsoft.com/v1.0"
    assert (settings.snapshot_table, settings.transitions_queue) == ("syncsnapshot", "sync-transitions")
    assert settings.message_ttl == DEFAULT_MESSAGE_TTL == 604800
    assert settings.storage.table_endpoint == "https://acct.table.core.windows.net"
    assert settings.service_principal_ids == ()


@pytest.mark.parametrize(
    ("overrides", "setting"),
    [
        ({"AZURE_TENANT_ID": ""}, "AZURE_TENANT_ID"),
        ({"AZURE_TENANT_ID": "not a tenant!"}, "AZURE_TENANT_ID"),
        ({"AZURE_CLIENT_ID": "nope"}, "AZURE_CLIENT_ID"),
        ({"GRAPH_SERVICE_PRINCIPAL_IDS": f"{GUID},oops"}, "GRAPH_SERVICE_PRINCIPAL_IDS"),
        ({"AzureWebJobsStorage": ""}, "AzureWebJobsStorage"),
        ({"AzureWebJobsStorage": "AccountName=x"}, "AzureWebJobsStorage"),
        ({"SNAPSHOT_TABLE": "bad-name"}, "SNAPSHOT_TABLE"),
        ({"TRANSITIONS_QUEUE": "Bad_Queue"}, "TRANSITIONS_QUEUE"),
        ({"TRANSITIONS_MESSAGE_TTL": "0"}, "TRANSITIONS_MESSAGE_TTL"),
        ({"TRANSITIONS_MESSAGE_TTL": "soon"}, "TRANSITIONS_MESSAGE_TTL"),
        ({"POLL_SCHEDULE": "*/5 * * * *"}, "POLL_SCHEDULE"),
        ({"EXCLUDE_SERVICE_PRINCIPAL_IDS": "test-app"}, "EXCLUDE_SERVICE_PRINCIPAL_IDS"),
        ({"FAILURE_STREAK_THRESHOLDS": "1,three"}, "FAILURE_STREAK_THRESHOLDS"),
        ({"FAILURE_STREAK_THRESHOLDS": "0"}, "FAILURE_STREAK_THRESHOLDS"),
        ({"STALL_FLOOR": "2 hours"}, "STALL_FLOOR"),
        ({"ESCROW_SPIKE_FACTOR": "1"}, "ESCROW_SPIKE_FACTOR"),
        ({"ESCROW_SPIKE_FACTOR": "nan"}, "ESCROW_SPIKE_FACTOR"),
        ({"ESCROW_SPIKE_MIN": "-5"}, "ESCROW_SPIKE_MIN"),
        ({"FLAP_MAX_CHANGES": "0"}, "FLAP_MAX_CHANGES"),
        ({"FLAP_WINDOW": "0h"}, "FLAP_WINDOW"),
        ({"FLAP_COOLDOWN": "soon"}, "FLAP_COOLDOWN"),
        ({"REMIND_INTERVAL": "daily"}, "REMIND_INTERVAL"),
    ],
)
def test_bad_value_raises_one_line_naming_the_setting(overrides, setting):
    with pytest.raises(SettingsError) as caught:
        load_settings({**BASE, **overrides})
    message = str(caught.value)
    assert setting in message and "\n" not in message
    assert "c2VjcmV0LWtleQ" not in message


@pytest.mark.parametrize("url", ["http://graph.contoso.com/v1.0", "ftp://x", "graph.microsoft.com"])
def test_non_https_graph_url_is_refused_with_https_in_the_message(url):
    with pytest.raises(SettingsError, match="https") as caught:
        load_settings({**BASE, "GRAPH_BASE_URL": url})
    assert "GRAPH_BASE_URL" in str(caught.value)


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080/v1.0", "http://localhost:1/v1.0/", "http://[::1]:5/v1.0"])
def test_loopback_http_is_accepted_without_trailing_slash(url):
    assert load_settings({**BASE, "GRAPH_BASE_URL": url}).graph_base_url == url.rstrip("/")


def test_ttl_minus_one_means_never_expires():
    assert load_settings({**BASE, "TRANSITIONS_MESSAGE_TTL": "-1"}).message_ttl == -1


def test_service_principal_ids_are_deduplicated_and_lowercased():
    ids = f"{GUID.upper()}, {GUID} ,"
    assert load_settings({**BASE, "GRAPH_SERVICE_PRINCIPAL_IDS": ids}).service_principal_ids == (GUID,)


def test_connection_string_never_appears_in_repr():
    assert "c2VjcmV0LWtleQ" not in repr(load_settings(BASE))


def test_identity_based_storage():
    settings = load_settings({"AZURE_TENANT_ID": GUID, "AzureWebJobsStorage__accountName": "acct", "AZURE_CLIENT_ID": GUID})
    assert settings.storage.connection_string is None
    assert settings.storage.queue_endpoint == "https://acct.queue.core.windows.net"
    assert settings.storage.client_id == GUID


def test_development_storage_shorthand_expands_to_the_fixed_ports():
    settings = load_settings({**BASE, "AzureWebJobsStorage": "UseDevelopmentStorage=true"})
    assert settings.storage.table_endpoint == "http://127.0.0.1:10002/devstoreaccount1"


def test_local_settings_fill_only_what_the_environment_lacks(tmp_path, monkeypatch):
    path = tmp_path / "local.settings.json"
    path.write_text(json.dumps({"IsEncrypted": False, "Values": {"SNAPSHOT_TABLE": "fromfile", "TRANSITIONS_QUEUE": "from-file"}}))
    monkeypatch.setenv("TRANSITIONS_QUEUE", "from-env")
    environ = read_environment(path)
    assert (environ["SNAPSHOT_TABLE"], environ["TRANSITIONS_QUEUE"]) == ("fromfile", "from-env")


def test_unreadable_local_settings_is_a_settings_error(tmp_path):
    path = tmp_path / "local.settings.json"
    path.write_text("{not json")
    with pytest.raises(SettingsError, match="local.settings.json"):
        read_environment(path)


def test_health_and_noise_settings_have_their_defaults_and_read_overrides():
    policy = load_settings(BASE).policy
    assert policy.rules.failure_thresholds == (1, 3, 10) and policy.rules.stall_floor.total_seconds() == 7200
    assert (policy.noise.flap_max_changes, policy.noise.remind_interval.total_seconds()) == (3, 86400)
    custom = load_settings({**BASE, "FAILURE_STREAK_THRESHOLDS": "10, 2,2", "ESCROW_SPIKE_FACTOR": "1.5",
                            "EXCLUDE_SERVICE_PRINCIPAL_IDS": GUID.upper(), "EXCLUDE_TEMPLATE_IDS": "scim, AD2AADPasswordHash"}).policy
    assert custom.rules.failure_thresholds == (2, 10) and custom.rules.escrow_spike_factor == 1.5
    assert custom.exclusions.service_principal_ids == {GUID} and custom.exclusions.template_ids == {"scim", "AD2AADPasswordHash"}
