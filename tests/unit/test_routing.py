import pytest

from shared.model import Severity
from shared.routing import takes
from shared.teams_settings import RouteMatch, TeamsRoute
from tools.card_samples import KINDS, event

URL = "https://prod-00.westus.logic.azure.com/workflows/x/triggers/manual/paths/invoke?sig=secret"


def route(min_severity=Severity.WARNING, **match):
    return TeamsRoute("r", URL, min_severity, RouteMatch(**match))


@pytest.mark.parametrize(
    ("kind", "minimum", "expected"),
    [
        ("critical", Severity.CRITICAL, True),
        ("warning-paused", Severity.CRITICAL, False),
        ("warning-paused", Severity.WARNING, True),
        ("info-added", Severity.WARNING, False),
        ("info-added", Severity.INFO, True),
        ("resolved", Severity.CRITICAL, True),  # resolved goes where the critical alert went
        ("resolved", Severity.WARNING, True),
    ],
)
def test_min_severity(kind, minimum, expected):
    assert takes(route(minimum), KINDS[kind]()) is expected


def test_app_display_name_glob_is_case_insensitive():
    hr = event("Active", "Quarantine", name="Workday to Entra ID", sp_id="hr")
    assert takes(route(app_display_name="workday*"), hr)
    assert not takes(route(app_display_name="workday*"), KINDS["critical"]())


def test_sp_id_and_template_matches():
    critical = KINDS["critical"]()
    sp = critical.data["servicePrincipalId"]
    assert takes(route(service_principal_ids=frozenset({sp.lower()})), critical)
    assert not takes(route(service_principal_ids=frozenset({"other"})), critical)
    assert takes(route(template_ids=frozenset({"salesforce"})), critical)
    assert not takes(route(template_ids=frozenset({"workday"})), critical)


def test_only_critical_hr_alerts_reach_a_second_channel():
    hr_route = route(Severity.CRITICAL, app_display_name="Workday*")
    events = [event("Active", "Quarantine", name="Workday inbound", sp_id="hr"), event("Active", "Paused", name="Workday 2", sp_id="hr2"), KINDS["critical"]()]
    assert [e.data["servicePrincipalName"] for e in events if takes(hr_route, e)] == ["Workday inbound"]


def test_event_kinds_select_what_a_route_takes():
    stalled, quarantined = KINDS["warning-stalled"](), KINDS["critical"]()
    assert takes(route(event_kinds=frozenset({"stalled"})), stalled)
    assert not takes(route(event_kinds=frozenset({"stalled"})), quarantined)
    assert takes(route(event_kinds=frozenset({"stalled", "statusChanged"})), quarantined)
