import json

import pytest

from shared.errors import SettingsError
from shared.model import Severity
from shared.teams_settings import teams_settings_from

URL = "https://prod-12.westeurope.logic.azure.com:443/workflows/abc/triggers/manual/paths/invoke?api-version=2016-06-01&sig=TOPSECRETSIG"
PP_URL = "https://default1234.56.environment.api.powerplatform.com:443/powerautomate/automations/direct/workflows/abc/triggers/manual/paths/invoke?sig=TOPSECRETSIG"


def test_no_teams_setting_means_teams_is_off():
    assert teams_settings_from({}).routes == ()


def test_default_route_takes_warning_and_above():
    [route] = teams_settings_from({"TEAMS_WEBHOOK_URL": URL}).routes
    assert (route.name, route.min_severity, route.host) == ("default", Severity.WARNING, "prod-12.westeurope.logic.azure.com")
    assert "TOPSECRETSIG" not in repr(route)


def test_routes_read_their_url_from_the_named_setting():
    routes = [{"name": "hr", "urlSetting": "TEAMS_URL_HR", "minSeverity": "critical",
               "match": {"appDisplayName": "Workday*", "templateIds": ["workday"], "servicePrincipalIds": ["ABC"]}}]
    settings = teams_settings_from({"TEAMS_ROUTES": json.dumps(routes), "TEAMS_URL_HR": PP_URL, "TEAMS_DIGEST_THRESHOLD": "3"})
    [hr] = settings.routes
    assert (hr.name, hr.min_severity, hr.match.app_display_name, hr.match.service_principal_ids) == ("hr", Severity.CRITICAL, "Workday*", {"abc"})
    assert settings.digest_threshold == 3


@pytest.mark.parametrize("url", ["http://prod-12.westeurope.logic.azure.com/x?sig=TOPSECRETSIG", "https://evil.example.com/hook?sig=TOPSECRETSIG", "not a url"])
def test_plain_http_and_unknown_hosts_are_refused_naming_the_setting_with_https(url):
    with pytest.raises(SettingsError) as caught:
        teams_settings_from({"TEAMS_WEBHOOK_URL": url})
    message = str(caught.value)
    assert "TEAMS_WEBHOOK_URL" in message and "https" in message and "TOPSECRETSIG" not in message


def test_loopback_http_is_allowed_for_the_local_sink():
    assert teams_settings_from({"TEAMS_WEBHOOK_URL": "http://127.0.0.1:8123/workflows/x?sig=s"}).routes


@pytest.mark.parametrize(
    ("routes", "extra", "fragment"),
    [
        ("{not json", {}, "TEAMS_ROUTES is not valid JSON"),
        ('{"name": "x"}', {}, "JSON list"),
        ('[{"urlSetting": "U"}]', {}, "TEAMS_ROUTES[0]"),
        ('[{"name": "hr"}]', {}, "urlSetting"),
        ('[{"name": "hr", "urlSetting": "MISSING"}]', {}, "MISSING"),
        ('[{"name": "hr", "urlSetting": "U", "minSeverity": "loud"}]', {"U": URL}, "minSeverity"),
        ('[{"name": "hr", "urlSetting": "U", "match": {"color": "red"}}]', {"U": URL}, "unknown match key"),
        ('[{"name": "hr", "urlSetting": "U", "match": {"eventKinds": ["stalled", "panic"]}}]', {"U": URL}, "unknown kind.*panic"),
        ('[{"name": "default", "urlSetting": "U"}]', {"U": URL, "TEAMS_WEBHOOK_URL": URL}, "unique"),
    ],
)
def test_bad_routes_name_what_to_fix(routes, extra, fragment):
    with pytest.raises(SettingsError, match=fragment.replace("[", r"\[").replace("]", r"\]")):
        teams_settings_from({"TEAMS_ROUTES": routes, **extra})


@pytest.mark.parametrize("value", ["0", "-1", "many"])
def test_digest_threshold_must_be_a_positive_whole_number(value):
    with pytest.raises(SettingsError, match="TEAMS_DIGEST_THRESHOLD"):
        teams_settings_from({"TEAMS_DIGEST_THRESHOLD": value})


def test_a_route_can_select_event_kinds():
    routes = '[{"name": "ops", "urlSetting": "U", "match": {"eventKinds": ["stalled", "failureStreak"]}}]'
    [route] = teams_settings_from({"TEAMS_ROUTES": routes, "U": URL}).routes
    assert route.match.event_kinds == {"stalled", "failureStreak"}
