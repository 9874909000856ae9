"""Every card kind syncwatch sends, rendered by the official Adaptive Cards renderer in headless Chromium."""

import pytest

from tests.cards import assert_valid_card, card_of
from tools.card_render.renderer import CardRenderer
from tools.card_samples import sample_messages

MESSAGES = sample_messages()
KEY_TEXTS = {
    "critical": ["Salesforce: provisioning is in quarantine", "EncounteredQuarantineException", "Failed runs in a row", "Next retry"],
    "resolved": ["Resolved: Salesforce provisioning left quarantine (now Active)", "Quarantine → Active"],
    "warning-paused": ["Salesforce: provisioning is paused", "Active → Paused"],
    "warning-removed": ["provisioning job removed", "Active → —"],
    "info-added": ["Now watching Salesforce provisioning", "— → Active"],
    "digest": ["12 provisioning changes", "App 00", "and 2 more"],
    "baseline-summary": ["now watching 3 provisioning jobs: 2 need attention", "Workday", "Slack"],
    "critical-reason-changed": ["quarantine reason changed to EncounteredQuarantineException", "Previous reason",
                                "EncounteredEscrowProportionThreshold"],
    "warning-series-started": ["a new series of quarantine attempts began", "Attempts in this series"],
    "warning-failure-streak": ["3 provisioning runs failed in a row", "Threshold crossed"],
    "critical-failure-streak": ["10 provisioning runs failed in a row", "Threshold crossed"],
    "resolved-failure-streak": ["provisioning runs succeed again", "Before"],
    "warning-execution-failed": ["the last run failed", "Run result", "SalesforceInvalidCredentials"],
    "warning-stalled": ["no successful run for 3 h 20 min", "Last success", "Allowed without success"],
    "resolved-stalled": ["provisioning runs again", "Last success"],
    "critical-schedule-disabled": ["provisioning was disabled", "Schedule was", "Disabled"],
    "warning-escrow-spike": ["objects in escrow jumped from 4 to 212", "In escrow now"],
    "warning-flapping": ["flapping (4 status changes)", "Quiet until stable for"],
    "resolved-flapping": ["provisioning is stable again", "Status changes"],
    "critical-reminder": ["still in quarantine after 2 d (reminder 2)", "Quarantined for"],
}


@pytest.fixture(scope="module")
def renderer():
    with CardRenderer() as running:
        yield running


def test_every_kind_has_key_texts_listed():
    assert set(KEY_TEXTS) == set(MESSAGES)


@pytest.mark.parametrize("kind", sorted(MESSAGES))
def test_card_renders_without_errors_and_shows_its_key_texts(renderer, kind):
    card = card_of(MESSAGES[kind])
    assert_valid_card(card)
    result = renderer.render(card)
    assert result.errors == ()
    for text in KEY_TEXTS[kind]:
        assert text in result.text, text
    assert result.png.startswith(b"\x89PNG") and len(result.png) > 2000


def test_buttons_open_the_portal_and_troubleshooting_pages(renderer):
    actions = renderer.render(card_of(MESSAGES["critical"])).actions
    assert [title for title, _ in actions] == ["Troubleshoot", "Open provisioning in Entra"]
    assert actions[1][1].startswith("https://entra.microsoft.com/")
