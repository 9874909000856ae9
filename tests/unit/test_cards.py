import json

import pytest

from shared.cards import MAX_DIGEST_ROWS, MAX_MESSAGE_BYTES, plan_posts, teams_message, transition_card
from tools.card_samples import KINDS, event, many
from tests.cards import assert_valid_card, card_of, card_texts


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_card_kind_is_a_valid_adaptive_card_1_5_with_only_open_url(kind):
    [post] = plan_posts([KINDS[kind]()], baseline=False, digest_threshold=5)
    assert_valid_card(card_of(post.message))


def test_quarantine_card_answers_what_why_since_when_and_how_often():
    text = card_texts(transition_card(event("Active", "Quarantine")))
    for expected in ("Salesforce", "salesforce", "Active → Quarantine", "EncounteredQuarantineException",
                     "invalid credentials", "SalesforceInvalidCredentials", "2026-11-25 09:21 UTC", "2026-11-25 10:01 UTC",
                     "Failed runs in a row", "3", "Failed", "invalid or expired"):
        assert expected in text, expected


def test_quarantine_card_links_to_troubleshooting_and_the_entra_provisioning_page():
    actions = transition_card(event("Active", "Quarantine"))["actions"]
    assert [a["title"] for a in actions] == ["Troubleshoot", "Open provisioning in Entra"]
    assert actions[1]["url"].startswith("https://entra.microsoft.com/#view/Microsoft_AAD_IAM/ManagedAppMenuBlade")


def test_card_without_troubleshooting_url_has_only_the_portal_button():
    actions = transition_card(event("Active", "Paused"))["actions"]
    assert [a["title"] for a in actions] == ["Open provisioning in Entra"]


@pytest.mark.parametrize(
    ("kind", "style", "wording"),
    [("critical", "attention", "quarantine"), ("resolved", "good", "Resolved"), ("warning-paused", "warning", "paused"),
     ("warning-removed", "warning", "removed"), ("info-added", "accent", "Now watching")],
)
def test_colour_and_wording_follow_severity(kind, style, wording):
    card = transition_card(KINDS[kind]())
    header = card["body"][0]
    assert header["style"] == style and wording in header["items"][0]["text"]


def test_at_most_the_threshold_gives_one_card_each_and_above_it_one_digest():
    assert len(plan_posts(many(5), baseline=False, digest_threshold=5)) == 5
    [digest] = plan_posts(many(6), baseline=False, digest_threshold=5)
    assert len(digest.event_ids) == 6
    assert_valid_card(card_of(digest.message))
    assert "6 provisioning changes" in card_texts(card_of(digest.message))


def test_digest_lists_are_capped_with_and_n_more():
    [digest] = plan_posts(many(25), baseline=False, digest_threshold=5)
    text = card_texts(card_of(digest.message))
    assert f"and {25 - MAX_DIGEST_ROWS} more" in text and text.count("App ") == MAX_DIGEST_ROWS


def test_baseline_posts_nothing_when_every_job_is_healthy():
    assert plan_posts([event(None, "Active"), event(None, "Active", name="B", sp_id="b")], baseline=True, digest_threshold=5) == ()


def test_baseline_posts_one_summary_of_the_unhealthy_jobs_carrying_every_event():
    events = [event(None, "Active"), event(None, "Quarantine", name="HR", sp_id="hr"), event(None, "Paused", name="Slack", sp_id="s")]
    [summary] = plan_posts(events, baseline=True, digest_threshold=5)
    card = card_of(summary.message)
    assert_valid_card(card)
    text = card_texts(card)
    assert "watching 3 provisioning jobs: 2 need attention" in text and "HR" in text and "Slack" in text
    assert summary.event_ids == {e.id for e in events}


def test_long_error_messages_are_truncated_and_every_message_stays_under_28_kb():
    huge = event("Active", "Quarantine")
    huge.data["status"]["quarantine"]["error"]["message"] = "x" * 4000
    huge.data["servicePrincipalName"] = "N" * 4000
    message = teams_message(transition_card(huge))
    assert len(json.dumps(message).encode()) <= MAX_MESSAGE_BYTES
    assert "…" in card_texts(card_of(message))
    [digest] = plan_posts(many(200), baseline=False, digest_threshold=5)
    assert len(json.dumps(digest.message).encode()) <= MAX_MESSAGE_BYTES
