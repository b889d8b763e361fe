"""`/mentor join` over HTTP as Slack would: the modal, inline errors, storing, re-joining."""

from __future__ import annotations

import logging

import pytest

from bot.store.models import Cadence, Role, SkillKind, Status, TimeWindow
from tests.conftest import RunningApp
from tests.helpers import (
    MENTEE_VALUES,
    MENTOR_VALUES,
    choose_skills,
    count_participants,
    fill_in,
    join,
    open_join_modal,
    participant,
    text_of,
)


def input_ids(view: dict) -> list[str]:
    return [b["block_id"] for b in view["blocks"] if b["type"] == "input"]


def test_join_opens_the_modal_with_every_input_matching_needs(running: RunningApp) -> None:
    view = open_join_modal(running, "UANNA")
    assert view["callback_id"] == "mentor_join"
    assert input_ids(view) == [
        "role",
        "skills_offered",
        "skills_wanted",
        "department",
        "languages",
        "cadence",
        "weekday",
        "time_window",
        "capacity",
        "avoid",
        "about",
        "consent",
    ]
    role = next(b for b in view["blocks"] if b["block_id"] == "role")
    assert [o["value"] for o in role["element"]["options"]] == ["mentor", "mentee"]
    offered = next(b for b in view["blocks"] if b["block_id"] == "skills_offered")
    keys = {o["value"] for g in offered["element"]["option_groups"] for o in g["options"]}
    assert {"social_media", "ai_assistants", "phishing_awareness"} <= keys
    text = text_of(view)
    assert "mentors" in text and "share digital skills" in text
    assert "Privacy" in text and "/mentor leave" in text


def test_submitting_as_a_mentor_stores_the_profile_and_confirms(running: RunningApp) -> None:
    resp = join(running, "UANNA")
    assert resp.status == 200 and resp.ack is None  # the modal closes
    p = participant(running, "UANNA")
    assert p is not None
    assert (p.role, p.department, p.languages, p.cadence, p.preferred_weekday, p.time_window) == (
        Role.MENTOR,
        "Marketing",
        ["en", "de"],
        Cadence.BIWEEKLY,
        2,
        TimeWindow.AFTERNOON,
    )
    assert p.skill_levels(SkillKind.OFFERED) == {"ai_assistants": 4, "social_media": 4}
    assert (p.timezone, p.locale, p.status) == ("Europe/Berlin", "en", Status.ACTIVE)
    assert p.consent_at is not None
    dm = running.fake.wait_for("chat.postMessage", lambda c: c.args["channel"] == "UANNA")[0]
    assert "Welcome to reverse mentoring" in text_of(dm.args)
    home = running.fake.wait_for("views.publish", lambda c: c.args["user_id"] == "UANNA")[0]
    assert "Marketing" in text_of(home.args["view"])


def test_choosing_skills_adds_a_level_picker_per_skill_and_stores_the_levels(
    running: RunningApp,
) -> None:
    view = open_join_modal(running, "UANNA")
    view = choose_skills(running, "UANNA", view, "skills_offered", ["social_media", "spreadsheets"])
    assert "level_offered__social_media" in input_ids(view)
    assert "level_offered__spreadsheets" in input_ids(view)
    values = {
        **MENTOR_VALUES,
        "skills_offered": ["social_media", "spreadsheets"],
        "level_offered__social_media": "5",
        "level_offered__spreadsheets": "3",
    }
    running.sim.submit_view("UANNA", view["id"], values)
    p = participant(running, "UANNA")
    assert p is not None and p.skill_levels(SkillKind.OFFERED) == {
        "social_media": 5,
        "spreadsheets": 3,
    }


def test_a_mentee_is_stored_with_wanted_skills(running: RunningApp) -> None:
    join(running, "UCLARA", MENTEE_VALUES)
    p = participant(running, "UCLARA")
    assert p is not None and p.role is Role.MENTEE
    assert p.skill_levels(SkillKind.WANTED) == {"social_media": 2}
    assert p.timezone == "America/New_York"


@pytest.mark.parametrize(
    ("changes", "block", "message"),
    [
        (
            {"skills_offered": []},
            "skills_offered",
            "As a mentor, pick at least one skill you can share.",
        ),
        (
            {"role": "mentee", "skills_offered": [], "skills_wanted": []},
            "skills_wanted",
            "As a mentee, pick at least one skill",
        ),
        ({"consent": []}, "consent", "We can only match you with your consent"),
        ({"department": "x"}, "department", "at least 2 characters"),
        (
            {"skills_wanted": ["social_media"]},
            "skills_wanted",
            "can't share and learn the same skill",
        ),
    ],
)
def test_submit_errors_appear_inline_and_nothing_is_stored(
    running: RunningApp, changes: dict, block: str, message: str
) -> None:
    view = open_join_modal(running, "UANNA")
    # Slack's client blocks some of these (an empty required checkbox); the bot must not rely on it.
    resp = running.sim.submit_view(
        "UANNA", view["id"], {**MENTOR_VALUES, **changes}, client_checks=False
    )
    assert resp.ack is not None and resp.ack["response_action"] == "errors"
    assert message in resp.ack["errors"][block]
    assert count_participants(running) == 0
    assert running.fake.open_views("UANNA")[-1]["id"] == view["id"]  # the modal stays open


def test_free_text_over_its_bound_is_refused_even_if_the_client_let_it_through(
    running: RunningApp,
) -> None:
    view = open_join_modal(running, "UANNA")
    # Slack enforces max_length in the client; a forged or future client might not.
    dept = next(b for b in view["blocks"] if b["block_id"] == "department")
    assert dept["element"]["max_length"] == 80
    state = running.fake.views[view["id"]]["state"]["values"]
    state.setdefault("department", {})["department"] = {
        "type": "plain_text_input",
        "value": "D" * 81,
    }
    values = {k: v for k, v in MENTOR_VALUES.items() if k != "department"}
    resp = running.sim.submit_view("UANNA", view["id"], values)
    assert resp.ack["errors"] == {"department": "Please keep this to 80 characters."}
    assert count_participants(running) == 0


def test_joining_again_opens_the_modal_prefilled_and_updates_the_same_record(
    running: RunningApp,
) -> None:
    join(running, "UANNA")
    view = open_join_modal(running, "UANNA")
    assert view["title"]["text"] == "Edit your profile"
    blocks = {b["block_id"]: b for b in view["blocks"] if b["type"] == "input"}
    assert blocks["role"]["element"]["initial_option"]["value"] == "mentor"
    assert blocks["department"]["element"]["initial_value"] == "Marketing"
    assert {o["value"] for o in blocks["skills_offered"]["element"]["initial_options"]} == {
        "social_media",
        "ai_assistants",
    }
    assert blocks["consent"]["element"]["initial_options"][0]["value"] == "given"
    running.sim.submit_view("UANNA", view["id"], {"department": "Sales"})
    assert count_participants(running) == 1
    p = participant(running, "UANNA")
    assert p is not None and p.department == "Sales"


def test_resubmitting_an_identical_view_is_idempotent(running: RunningApp) -> None:
    join(running, "UANNA")
    first = participant(running, "UANNA")
    running.fake.wait_for("chat.postMessage")
    view = open_join_modal(running, "UANNA")
    running.sim.submit_view("UANNA", view["id"], {})
    running.fake.wait_for("views.publish", count=2)
    second = participant(running, "UANNA")
    assert first is not None and second is not None
    assert (second.id, second.updated_at) == (first.id, first.updated_at)
    assert count_participants(running) == 1
    # Nothing changed, so no second "profile updated" DM.
    assert len(running.fake.calls_to("chat.postMessage")) == 1


def test_the_whole_join_path_works_in_german(running: RunningApp) -> None:
    view = open_join_modal(running, "UBERND")
    assert view["title"]["text"] == "Beim Mentoring mitmachen"
    assert "Reverse Mentoring" in text_of(view) and "Datenschutz" in text_of(view)
    languages = next(b for b in view["blocks"] if b["block_id"] == "languages")
    assert {o["text"]["text"] for o in languages["element"]["options"]} >= {"Deutsch", "Englisch"}
    assert languages["element"]["initial_options"][0]["value"] == "de"
    resp = running.sim.submit_view(
        "UBERND", view["id"], {**MENTOR_VALUES, "consent": []}, client_checks=False
    )
    assert resp.ack["errors"]["consent"].startswith("Ohne deine Einwilligung")
    view = fill_in(running, "UBERND", view, MENTOR_VALUES)
    running.sim.submit_view("UBERND", view["id"], MENTOR_VALUES)
    dm = running.fake.wait_for("chat.postMessage", lambda c: c.args["channel"] == "UBERND")[0]
    assert "Willkommen beim Reverse Mentoring" in text_of(dm.args)
    p = participant(running, "UBERND")
    assert p is not None and p.locale == "de"


def test_channel_mentions_typed_into_the_profile_are_echoed_literally(running: RunningApp) -> None:
    join(
        running,
        "UANNA",
        {**MENTOR_VALUES, "department": "<!channel> & <@UBERND>", "about": "<!here> hi"},
    )
    running.sim.slash("UANNA", "status")
    reply = running.fake.wait_for("response_url")[0].args
    text = text_of(reply)
    assert "&lt;!channel&gt; &amp; &lt;@UBERND&gt;" in text and "&lt;!here&gt; hi" in text
    assert "<!channel>" not in text and "<!here>" not in text


def test_an_expired_trigger_is_explained_to_the_person_and_logged_with_a_reference(
    running: RunningApp, caplog: pytest.LogCaptureFixture
) -> None:
    running.fake.fail_next("views.open", error="expired_trigger_id")
    with caplog.at_level(logging.ERROR):
        running.sim.slash("UANNA", "join")
        reply = running.fake.wait_for("response_url")[0].args
    text = text_of(reply)
    assert "Slack took too long to open the form" in text
    ref = text.split("Reference `")[1].split("`")[0]
    assert any(
        ref in r.getMessage() and "expired_trigger_id" in r.getMessage() for r in caplog.records
    )
    assert count_participants(running) == 0


def test_a_rate_limited_views_open_is_retried_after_retry_after(running: RunningApp) -> None:
    running.fake.fail_next("views.open", status=429, retry_after=1)
    view = open_join_modal(running, "UANNA")
    assert view["callback_id"] == "mentor_join"
    statuses = [c.status for c in running.fake.calls_to("views.open")]
    assert statuses == [429, 200]


def test_an_unknown_slack_user_still_gets_the_modal_in_the_default_language(
    running: RunningApp,
) -> None:
    running.fake.fail_next("users.info", error="user_not_found")
    view = open_join_modal(running, "UBERND")
    assert view["title"]["text"] == "Join reverse mentoring"


def test_a_submission_without_level_pickers_shows_them_instead_of_guessing(
    running: RunningApp,
) -> None:
    # Quick successive picks can leave the modal drawn for an older selection.
    view = open_join_modal(running, "UANNA")
    view = choose_skills(running, "UANNA", view, "skills_offered", ["social_media"])
    state = running.fake.views[view["id"]]["state"]["values"]
    state["skills_offered"]["skills_offered"]["selected_options"].append(
        {
            "text": {"type": "plain_text", "text": "Writing good prompts", "emoji": True},
            "value": "prompting",
        }
    )
    values = {k: v for k, v in MENTOR_VALUES.items() if k != "skills_offered"}
    resp = running.sim.submit_view("UANNA", view["id"], values)
    assert resp.ack is not None and resp.ack["response_action"] == "update"
    assert "level_offered__prompting" in input_ids(running.fake.views[view["id"]])
    assert count_participants(running) == 0
    resp = running.sim.submit_view("UANNA", view["id"], {"level_offered__prompting": "5"})
    assert resp.ack is None
    p = participant(running, "UANNA")
    assert p is not None and p.skill_levels(SkillKind.OFFERED) == {
        "social_media": 4,
        "prompting": 5,
    }


def test_a_failed_welcome_dm_does_not_tell_the_person_to_retry(
    running: RunningApp, caplog: pytest.LogCaptureFixture
) -> None:
    running.fake.fail_next("chat.postMessage", error="channel_not_found")
    with caplog.at_level(logging.WARNING):
        resp = join(running, "UANNA")
        running.fake.wait_for("views.publish")
    assert resp.ack is None and participant(running, "UANNA") is not None
    assert running.fake.calls_to("response_url") == []
    assert [c.status for c in running.fake.calls_to("chat.postMessage")] == [200]
    assert any("Could not send a confirmation" in r.getMessage() for r in caplog.records)
