"""`/mentor` sub-commands other than join: help, status, skills, pause, resume, leave."""

from __future__ import annotations

import datetime as dt
import time

import pytest

from bot.store.models import SkillKind, Status
from tests.conftest import RunningApp
from tests.helpers import (
    MENTOR_VALUES,
    answer_to,
    choose_skills,
    count_participants,
    join,
    participant,
    rows_mentioning,
    text_of,
)


def reply_to(app: RunningApp, user: str, text: str) -> str:
    resp = app.sim.slash(user, text)
    assert resp.status == 200, resp.text
    return text_of(answer_to(app.fake, resp))


@pytest.mark.parametrize(
    "text",
    [
        "",
        "help",
        "frobnicate",
        "x" * 10_000,
        "🚀🎉 ünïcödé",
        "<!channel> hello",
        "'; DROP TABLE participant; --",
        "JOIN'); DELETE FROM participant; --",
        "   \t  ",
    ],
    ids=[
        "empty",
        "help",
        "unknown",
        "10kB",
        "emoji",
        "channel-mention",
        "sql",
        "sql-join",
        "whitespace",
    ],
)
def test_any_slash_text_gets_a_helpful_answer_and_changes_nothing(
    running: RunningApp, text: str
) -> None:
    answer = reply_to(running, "UANNA", text)
    assert "/mentor join" in answer and "/mentor leave" in answer
    assert count_participants(running) == 0
    assert "<!channel>" not in answer


def test_an_unknown_word_is_named_escaped_and_shortened(running: RunningApp) -> None:
    answer = reply_to(running, "UANNA", "<!channel>" + "y" * 100)
    assert "I don't know the command `&lt;!channel&gt;" in answer
    assert "y" * 41 not in answer


def test_help_comes_in_the_persons_language(running: RunningApp) -> None:
    answer = reply_to(running, "UBERND", "help")
    assert "mitmachen oder dein Profil bearbeiten" in answer


def test_once_the_persons_language_is_known_the_help_comes_in_the_ack_itself(
    running: RunningApp,
) -> None:
    first = running.sim.slash("UBERND", "help")
    # The first time, the language needs users.info: nothing may delay the ack for that, so
    # the help follows through the response_url.
    assert first.ack is None
    assert "mitmachen oder dein Profil bearbeiten" in text_of(answer_to(running.fake, first))
    posted = len(running.fake.calls_to("response_url"))
    for text in ("help", "", "frobnicate"):
        resp = running.sim.slash("UBERND", text)
        assert resp.ack is not None, text
        assert "mitmachen oder dein Profil bearbeiten" in text_of(resp.ack)
        assert resp.ack.get("response_type", "ephemeral") == "ephemeral"
    assert "frobnicate" in text_of(resp.ack)
    assert "/mentor match" not in text_of(resp.ack)
    time.sleep(0.2)  # nothing else follows
    assert len(running.fake.calls_to("response_url")) == posted
    assert len(running.fake.calls_to("users.info")) == 1


def test_status_before_joining_offers_a_join_button(running: RunningApp) -> None:
    answer = reply_to(running, "UANNA", "status")
    assert "You haven't joined yet." in answer
    msg = running.fake.calls_to("response_url")[-1].args
    assert any(
        e.get("action_id") == "open_join"
        for b in msg["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
    )


def test_the_join_button_in_a_message_opens_the_modal(running: RunningApp) -> None:
    reply_to(running, "UANNA", "status")
    running.sim.click("UANNA", "open_join")
    call = running.fake.wait_for("views.open")[0]
    assert call.args["view"]["callback_id"] == "mentor_join"


def test_status_shows_the_profile_privately(running: RunningApp) -> None:
    join(running, "UANNA")
    answer = reply_to(running, "UANNA", "status")
    assert "Marketing" in answer and "Social media (LinkedIn, Instagram) (4/5)" in answer
    assert "Active" in answer and "Only you can see this" in answer
    assert (
        running.fake.calls_to("response_url")[-1].args.get("response_type", "ephemeral")
        == "ephemeral"
    )


def test_skills_edits_the_skills_in_a_prefilled_modal(running: RunningApp) -> None:
    join(running, "UANNA")
    running.sim.slash("UANNA", "skills")
    call = running.fake.wait_for(
        "views.open", lambda c: c.args["view"]["callback_id"] == "mentor_skills"
    )[0]
    view = running.fake.views[call.response["view"]["id"]]
    offered = next(b for b in view["blocks"] if b.get("block_id") == "skills_offered")
    assert {o["value"] for o in offered["element"]["initial_options"]} == {
        "social_media",
        "ai_assistants",
    }
    view = choose_skills(running, "UANNA", view, "skills_offered", ["prompting"])
    resp = running.sim.submit_view(
        "UANNA", view["id"], {"skills_offered": ["prompting"], "level_offered__prompting": "5"}
    )
    assert resp.ack is None
    p = participant(running, "UANNA")
    assert p is not None and p.skill_levels(SkillKind.OFFERED) == {"prompting": 5}
    assert p.department == "Marketing"


def test_a_mentor_cannot_remove_every_offered_skill(running: RunningApp) -> None:
    join(running, "UANNA")
    running.sim.slash("UANNA", "skills")
    call = running.fake.wait_for(
        "views.open", lambda c: c.args["view"]["callback_id"] == "mentor_skills"
    )[0]
    resp = running.sim.submit_view("UANNA", call.response["view"]["id"], {"skills_offered": []})
    assert resp.ack["response_action"] == "errors"
    assert "As a mentor" in resp.ack["errors"]["skills_offered"]


def test_skills_before_joining_says_to_join_first(running: RunningApp) -> None:
    assert "You haven't joined yet" in reply_to(running, "UANNA", "skills")
    assert running.fake.calls_to("views.open") == []


@pytest.mark.parametrize(
    ("args", "until"),
    [("", None), ("2w", 14), ("until 2099-01-01", None), ("bis 2099-01-01", None)],
)
def test_pause_and_resume(running: RunningApp, args: str, until: int | None) -> None:
    join(running, "UANNA")
    today = dt.datetime.now(dt.UTC).date()
    if args.endswith("2099-01-01"):
        args = args.replace("2099-01-01", (today + dt.timedelta(days=30)).isoformat())
    answer = reply_to(running, "UANNA", f"pause {args}".strip())
    assert "You're on a break" in answer
    p = participant(running, "UANNA")
    assert p is not None and p.status is Status.PAUSED
    if until is not None:
        assert p.paused_until is not None and abs((p.paused_until - today).days - until) <= 1
    assert "Paused" in reply_to(running, "UANNA", "status")
    assert "Welcome back" in reply_to(running, "UANNA", "resume")
    p = participant(running, "UANNA")
    assert p is not None and (p.status, p.paused_until) == (Status.ACTIVE, None)


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        ("until 2001-01-01", "not in the future"),
        ("99w", "at most a year"),
        ("soon", "didn't understand"),
    ],
)
def test_a_bad_pause_is_explained_and_changes_nothing(
    running: RunningApp, args: str, reason: str
) -> None:
    join(running, "UANNA")
    answer = reply_to(running, "UANNA", f"pause {args}")
    assert reason in answer and "/mentor pause 2w" in answer
    p = participant(running, "UANNA")
    assert p is not None and p.status is Status.ACTIVE


def test_resume_without_a_pause_says_so(running: RunningApp) -> None:
    join(running, "UANNA")
    assert "not on a break" in reply_to(running, "UANNA", "resume")


def test_pause_resume_and_leave_before_joining_say_to_join_first(running: RunningApp) -> None:
    for cmd in ("pause", "resume", "leave"):
        assert "You haven't joined yet" in reply_to(running, "UANNA", cmd)
    assert count_participants(running) == 0


def test_leave_asks_for_confirmation_then_erases_the_data(running: RunningApp) -> None:
    join(running, "UANNA", {**MENTOR_VALUES, "about": "secret thoughts"})
    answer = reply_to(running, "UANNA", "leave")
    assert "Do you really want to leave" in answer
    assert participant(running, "UANNA") is not None  # nothing happens before the click
    running.sim.click("UANNA", "leave_confirm")
    done = running.fake.wait_for("response_url", lambda c: "data is deleted" in text_of(c.args))[0]
    assert done.args["replace_original"] is True
    assert participant(running, "UANNA") is None
    assert count_participants(running, Status.LEFT) == 1
    assert rows_mentioning(running, "UANNA", "secret thoughts", "Marketing", "Europe/Berlin") == []
    home = running.fake.wait_for(
        "views.publish", lambda c: "Join the programme" in text_of(c.args["view"])
    )
    assert home
    assert "You haven't joined yet" in reply_to(running, "UANNA", "status")


def test_leave_can_be_cancelled(running: RunningApp) -> None:
    join(running, "UANNA")
    reply_to(running, "UANNA", "leave")
    running.sim.click("UANNA", "leave_cancel")
    running.fake.wait_for("response_url", lambda c: "Nothing was changed" in text_of(c.args))
    assert participant(running, "UANNA") is not None


def test_the_whole_lifecycle_works_in_german(running: RunningApp) -> None:
    join(running, "UBERND")
    assert "Abteilung" in reply_to(running, "UBERND", "status")
    assert "Du machst Pause" in reply_to(running, "UBERND", "pause 2w")
    assert "Willkommen zurück" in reply_to(running, "UBERND", "resume")
    assert "Willst du Reverse Mentoring wirklich verlassen?" in reply_to(running, "UBERND", "leave")
    running.sim.click("UBERND", "leave_confirm")
    running.fake.wait_for("response_url", lambda c: "Deine Daten sind gelöscht" in text_of(c.args))
    assert participant(running, "UBERND") is None


def test_sub_commands_tolerate_tabs_extra_spaces_and_capitals(running: RunningApp) -> None:
    join(running, "UANNA")
    assert "You're on a break" in reply_to(running, "UANNA", "  PAUSE\t\t2w ")
    p = participant(running, "UANNA")
    assert p is not None and p.paused_until is not None


def test_only_hr_admins_see_matching_in_the_help(running: RunningApp) -> None:
    from bot.sandbox import SlackUser

    running.fake.add_user(SlackUser(id="UHRADMIN", name="hr", locale="en-US"))
    assert "/mentor match" in reply_to(running, "UHRADMIN", "help")
    assert "/mentor match" not in reply_to(running, "UANNA", "help")
