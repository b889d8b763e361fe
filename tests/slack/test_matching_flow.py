"""HR runs a matching round over HTTP as Slack would: preview, create, intros, and the rest told."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from bot.sandbox import SlackUser
from bot.store.models import MatchRound, Pair, PairStatus, RepairRequest, RoundStatus, Status
from tests.conftest import RunningApp
from tests.helpers import (
    MENTEE_VALUES,
    MENTOR_VALUES,
    fill_in,
    open_join_modal,
    participant,
    text_of,
)

HR = "UHRADMIN"
DEPARTMENTS = ["Sales", "Finance", "IT", "Legal", "Logistics"]


def enrol(
    app: RunningApp,
    user: str,
    values: dict[str, Any],
    *,
    locale: str = "en-US",
    tz: str = "Europe/Berlin",
) -> None:
    app.fake.add_user(SlackUser(id=user, name=user.lower(), locale=locale, tz=tz))
    view = fill_in(app, user, open_join_modal(app, user), values)
    resp = app.sim.submit_view(user, view["id"], values)
    assert resp.ack is None, resp.ack


def twenty_people(app: RunningApp) -> tuple[list[str], list[str]]:
    """8 mentors and 12 mentees in five departments.

    Four mentors offer what seven mentees want, four offer what three want, and two mentees
    want what nobody offers: the optimum is 4 + 3 = 7 pairs, leaving one mentor and five
    mentees unmatched.
    """
    app.fake.add_user(SlackUser(id=HR, name="hr", locale="en-US", tz="Europe/Berlin"))
    mentors, mentees = [], []
    for i in range(8):
        user = f"UMENTOR{i:02d}"
        offered = ["social_media", "ai_assistants"] if i % 2 else ["spreadsheets", "video_calls"]
        enrol(
            app,
            user,
            {**MENTOR_VALUES, "skills_offered": offered, "department": DEPARTMENTS[i % 5]},
        )
        mentors.append(user)
    for i in range(12):
        user = f"UMENTEE{i:02d}"
        wanted = (
            ["phishing_awareness"]
            if i >= 10
            else [["social_media"], ["spreadsheets"], ["ai_assistants"]][i % 3]
        )
        locale = "de-DE" if i % 4 == 0 else "en-GB"
        enrol(
            app,
            user,
            {**MENTEE_VALUES, "skills_wanted": wanted, "department": DEPARTMENTS[(i + 2) % 5]},
            locale=locale,
        )
        mentees.append(user)
    return mentors, mentees


def preview(app: RunningApp, user: str = HR) -> dict[str, Any]:
    before = len(app.fake.calls_to("response_url"))
    assert app.sim.slash(user, "match").status == 200
    return dict(app.fake.wait_for("response_url", count=before + 1)[-1].args)


def count(app: RunningApp, model: Any, *where: Any) -> int:
    with app.db.sessions() as s:
        return int(s.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def test_twenty_people_join_hr_creates_pairs_and_everyone_hears_from_the_bot(
    running: RunningApp,
) -> None:
    mentors, mentees = twenty_people(running)
    running.fake.calls.clear()
    shown = preview(running)
    text = text_of(shown)
    assert (
        "Matching preview" in text
        and "8 mentors, 12 mentees" in text
        and "Pairs planned:* 7" in text
    )
    assert not any(u in text for u in mentors + mentees)  # figures only, no names
    # Unmet demand, for recruiting mentors; a count below 5 could point at people.
    assert "Security and phishing awareness (fewer than 5)" in text

    running.sim.click(HR, "match_create")
    done = running.fake.wait_for(
        "response_url", lambda c: "created and introduced" in text_of(c.args)
    )[0]
    assert "Done: 7 pairs created and introduced. 6 people were told" in text_of(done.args)

    opens = [c for c in running.fake.calls_to("conversations.open") if c.status == 200]
    assert len(opens) == 7
    channels = {c.response["channel"]["id"] for c in opens}
    intros = [c for c in running.fake.calls_to("chat.postMessage") if c.args["channel"] in channels]
    assert sorted(c.args["channel"] for c in intros) == sorted(channels)  # exactly one intro each
    for intro in intros:
        body = text_of(intro.args)
        assert ("is the *mentor*" in body) or ("ist *Mentor:in*" in body)
        assert ("Why you two" in body) or ("Warum ihr zwei" in body)
    unmatched = {f"UMENTEE{i:02d}" for i in range(12)} - {
        u for c in opens for u in c.args["users"].split(",")
    }
    assert len(unmatched) == 5
    dms = {c.args["channel"]: text_of(c.args) for c in running.fake.calls_to("chat.postMessage")}
    for user in unmatched:
        assert "pool" in dms[user] or "Pool" in dms[user]
    assert "No mentor offers what you want to learn yet." in dms["UMENTEE10"]
    assert count(running, Pair, Pair.status == PairStatus.ACTIVE) == 7


def test_a_second_press_or_a_stale_preview_does_nothing_harmful(running: RunningApp) -> None:
    twenty_people(running)
    preview(running)
    # A double click: both presses reach the app before the preview is replaced.
    running.sim.click(HR, "match_create")
    running.sim.click(HR, "match_create")
    running.fake.wait_for("response_url", lambda c: "created and introduced" in text_of(c.args))
    # The second press lands while the first is still delivering, or just after: either way
    # it says nothing was done.
    running.fake.wait_for(
        "response_url",
        lambda c: (
            "Nothing was done" in text_of(c.args)
            and "created and introduced" not in text_of(c.args)
        ),
    )
    assert count(running, Pair) == 7
    assert len([c for c in running.fake.calls_to("conversations.open") if c.status == 200]) == 7
    # A preview whose pool changed since is refused as stale.
    preview(running)
    enrol(running, "UNEWMENTEE", {**MENTEE_VALUES, "skills_wanted": ["prompting"]})
    running.sim.click(HR, "match_create", message=_message_with(running, "match_create"))
    running.fake.wait_for("response_url", lambda c: "out of date" in text_of(c.args))
    assert count(running, Pair) == 7
    assert count(running, MatchRound, MatchRound.status == RoundStatus.STALE) == 1


def _message_with(app: RunningApp, action_id: str) -> dict[str, Any]:
    for msg in reversed(app.fake.messages):
        for block in msg.get("blocks") or []:
            if any(e.get("action_id") == action_id for e in block.get("elements", [])):
                return msg
    raise AssertionError(f"no message with {action_id}")


def test_non_admins_are_refused_and_learn_nothing(running: RunningApp) -> None:
    twenty_people(running)
    refusal = text_of(preview(running, "UMENTEE00"))
    assert "HR-Team" in refusal or "HR team" in refusal
    assert "mentors" not in refusal.lower() and "pairs" not in refusal.lower()
    assert count(running, MatchRound) == 0


def test_another_admin_cannot_apply_someone_elses_preview(running: RunningApp) -> None:
    twenty_people(running)
    preview(running)
    round_id = _message_with(running, "match_create")["blocks"][-2]["elements"][0]["value"]
    running.sim.click(
        "UMENTOR00", "match_create", value=round_id, message=_message_with(running, "match_create")
    )
    running.fake.wait_for(
        "response_url", lambda c: "Matching is run by your HR team" in text_of(c.args)
    )
    assert count(running, Pair) == 0


def test_an_unreachable_person_is_marked_inactive_and_the_rest_go_on(running: RunningApp) -> None:
    twenty_people(running)
    preview(running)
    running.fake.users["UMENTEE01"].deleted = True
    running.sim.click(HR, "match_create", message=_message_with(running, "match_create"))
    done = running.fake.wait_for(
        "response_url", lambda c: "created and introduced" in text_of(c.args)
    )[0]
    assert "could not be reached" in text_of(done.args)
    assert count(running, Pair) == 6
    gone = participant(running, "UMENTEE01")
    assert gone is not None and gone.status is Status.INACTIVE


@pytest.fixture
def paired(running: RunningApp) -> tuple[RunningApp, str, str, str]:
    """One mentor and one mentee, matched and introduced."""
    running.fake.add_user(SlackUser(id=HR, name="hr", locale="en-US", tz="Europe/Berlin"))
    enrol(running, "UMENTORA", {**MENTOR_VALUES, "department": "IT"})
    enrol(running, "UMENTEEB", {**MENTEE_VALUES, "department": "Sales"}, locale="de-DE")
    preview(running)
    running.sim.click(HR, "match_create", message=_message_with(running, "match_create"))
    running.fake.wait_for("response_url", lambda c: "created and introduced" in text_of(c.args))
    channel = running.fake.calls_to("conversations.open")[-1].response["channel"]["id"]
    return running, "UMENTORA", "UMENTEEB", channel


def test_the_intro_speaks_a_shared_language_and_explains_the_match(
    paired: tuple[RunningApp, str, str, str],
) -> None:
    app, mentor, mentee, channel = paired
    intro = next(c for c in app.fake.calls_to("chat.postMessage") if c.args["channel"] == channel)
    body = text_of(intro.args)
    # The mentee's own language (German) is shared by both, so the pair is greeted in it.
    assert f"<@{mentor}> ist *Mentor:in* und <@{mentee}> *Mentee*" in body
    assert f"<@{mentor}> bietet Social Media (LinkedIn, Instagram)" in body
    assert "*Ein erstes Thema:* Gemeinsam ein LinkedIn-Profil aufpolieren" in body
    assert "Alle zwei Wochen" in body


def test_scheduling_the_first_jour_fixe_shows_in_status(
    paired: tuple[RunningApp, str, str, str],
) -> None:
    app, mentor, mentee, channel = paired
    app.sim.click(mentor, "pair_schedule", message=_message_with(app, "pair_schedule"))
    view_id = app.fake.wait_for(
        "views.open", lambda c: c.args["view"]["callback_id"] == "pair_schedule_modal"
    )[0].response["view"]["id"]
    app.sim.submit_view(
        mentor, view_id, {"jf_weekday": "3", "jf_time": "15:30", "jf_cadence": "weekly"}
    )
    posted = app.fake.wait_for(
        "chat.postMessage",
        lambda c: c.args["channel"] == channel and "Jour fixe steht" in text_of(c.args),
    )
    assert "15:30" in text_of(posted[0].args)
    app.sim.slash(mentee, "status")
    status = text_of(
        app.fake.wait_for("response_url", lambda c: "Dein Tandem" in text_of(c.args))[0].args
    )
    assert (
        f"<@{mentor}> ist seit dem" in status and "dein:e Mentor:in" in status and "15:30" in status
    )


def test_this_pair_does_not_fit_is_confidential(paired: tuple[RunningApp, str, str, str]) -> None:
    app, mentor, mentee, channel = paired
    before = len(app.fake.calls)
    app.sim.click(mentee, "pair_doesnt_fit", message=_message_with(app, "pair_doesnt_fit"))
    hr = app.fake.wait_for("chat.postMessage", lambda c: c.args["channel"] == HR)[0]
    assert "Confidential re-pair request" in text_of(hr.args)
    noted = app.fake.wait_for("response_url", lambda c: "HR meldet sich" in text_of(c.args))[0]
    assert noted.args["response_type"] == "ephemeral"
    # Nothing new reaches the mentor, in a DM or in the pair's conversation.
    later = app.fake.calls[before:]
    assert not [
        c
        for c in later
        if c.method == "chat.postMessage" and c.args["channel"] in (mentor, channel)
    ]
    assert count(app, RepairRequest) == 1


def test_either_side_can_end_the_pair_and_the_partner_is_told_kindly(
    paired: tuple[RunningApp, str, str, str],
) -> None:
    app, mentor, mentee, _ = paired
    app.sim.click(mentor, "pair_end", message=_message_with(app, "pair_end"))
    told = app.fake.wait_for(
        "chat.postMessage", lambda c: c.args["channel"] == mentee and "beendet" in text_of(c.args)
    )[0]
    assert f"<@{mentor}> hat euer Reverse-Mentoring-Tandem beendet" in text_of(told.args)
    assert count(app, Pair, Pair.status == PairStatus.ENDED) == 1
    app.sim.click(mentee, "pair_end", message=_message_with(app, "pair_end"))
    app.fake.wait_for("response_url", lambda c: "bereits beendet" in text_of(c.args))


def test_leaving_ends_the_pair_and_tells_the_partner(
    paired: tuple[RunningApp, str, str, str],
) -> None:
    app, mentor, mentee, _ = paired
    app.sim.slash(mentee, "leave")
    app.fake.wait_for("response_url", lambda c: "wirklich verlassen" in text_of(c.args))
    app.sim.click(mentee, "leave_confirm")
    told = app.fake.wait_for(
        "chat.postMessage", lambda c: c.args["channel"] == mentor and "has left" in text_of(c.args)
    )[0]
    assert f"<@{mentee}> has left the reverse-mentoring programme" in text_of(told.args)
    assert count(app, Pair, Pair.status == PairStatus.ACTIVE) == 0


def test_a_stranger_cannot_use_a_pairs_buttons(paired: tuple[RunningApp, str, str, str]) -> None:
    app, *_ = paired
    value = _message_with(app, "pair_end")["blocks"][1]["elements"][2]["value"]
    app.sim.click(HR, "pair_end", value=value, message=_message_with(app, "pair_end"))
    app.fake.wait_for("response_url", lambda c: "Only the two people" in text_of(c.args))
    assert count(app, Pair, Pair.status == PairStatus.ACTIVE) == 1


def test_status_shows_the_next_jour_fixe_in_the_viewers_own_zone(running: RunningApp) -> None:
    running.fake.add_user(SlackUser(id=HR, name="hr", locale="en-US"))
    enrol(running, "UNYMENTOR", {**MENTOR_VALUES, "department": "IT"}, tz="America/New_York")
    enrol(running, "UBERLINMENTEE", {**MENTEE_VALUES, "department": "Sales"})
    preview(running)
    running.sim.click(HR, "match_create", message=_message_with(running, "match_create"))
    running.fake.wait_for("response_url", lambda c: "created and introduced" in text_of(c.args))
    running.sim.click(
        "UBERLINMENTEE", "pair_schedule", message=_message_with(running, "pair_schedule")
    )
    opened = running.fake.wait_for(
        "views.open", lambda c: c.args["view"]["callback_id"] == "pair_schedule_modal"
    )[0]
    # 15:30 in the mentee's Berlin is 09:30 in New York (both on standard time in winter).
    running.sim.submit_view(
        "UBERLINMENTEE",
        opened.response["view"]["id"],
        {"jf_weekday": "3", "jf_time": "15:30", "jf_cadence": "weekly"},
    )
    running.fake.wait_for("chat.postMessage", lambda c: "Jour fixe set" in text_of(c.args))
    running.sim.slash("UNYMENTOR", "status")
    status = text_of(
        running.fake.wait_for("response_url", lambda c: "Next jour fixe" in text_of(c.args))[0].args
    )
    assert "Thursday" in status and "(America/New_York)" in status
    assert "at 09:30" in status or "at 10:30" in status  # 10:30 in the US-only DST weeks


def test_a_user_slack_no_longer_knows_is_marked_inactive(running: RunningApp) -> None:
    twenty_people(running)
    preview(running)
    del running.fake.users["UMENTEE04"]  # the account was deleted from the workspace
    running.sim.click(HR, "match_create", message=_message_with(running, "match_create"))
    running.fake.wait_for("response_url", lambda c: "created and introduced" in text_of(c.args))
    gone = participant(running, "UMENTEE04")
    assert gone is not None and gone.status is Status.INACTIVE
    assert count(running, Pair) == 6


def test_a_slack_outage_mid_round_is_retried_from_the_button_without_repeats(
    running: RunningApp,
) -> None:
    twenty_people(running)
    preview(running)
    running.fake.fail_next("conversations.open", error="internal_error")
    running.sim.click(HR, "match_create", message=_message_with(running, "match_create"))
    done = running.fake.wait_for(
        "response_url", lambda c: "created and introduced" in text_of(c.args)
    )[0]
    assert "6 pairs created" in text_of(done.args) and "1 pair could not be created" in text_of(
        done.args
    )
    assert count(running, Pair) == 6
    intros_before = len(running.fake.calls_to("chat.postMessage"))
    running.sim.click(HR, "match_create", message=_message_with(running, "match_create"))
    again = running.fake.wait_for(
        "response_url", lambda c: "1 pair created and introduced" in text_of(c.args)
    )[0]
    assert "could not be created" not in text_of(again.args)
    assert count(running, Pair) == 7
    opened = [c for c in running.fake.calls_to("conversations.open") if c.response.get("ok")]
    assert len(opened) == 7  # the six pairs already made were not opened again
    assert count(running, MatchRound, MatchRound.delivered_at.is_not(None)) == 1
    assert len(running.fake.calls_to("chat.postMessage")) > intros_before


def test_doesnt_fit_never_reaches_an_hr_admin_who_is_the_partner(running: RunningApp) -> None:
    running.fake.add_user(SlackUser(id=HR, name="hr", locale="en-US"))
    enrol(running, "UMENTORA", {**MENTOR_VALUES, "department": "IT"})
    enrol(running, HR, {**MENTEE_VALUES, "department": "Sales"})
    preview(running)
    running.sim.click(HR, "match_create", message=_message_with(running, "match_create"))
    running.fake.wait_for("response_url", lambda c: "created and introduced" in text_of(c.args))
    before = len(running.fake.calls)
    running.sim.click(
        "UMENTORA", "pair_doesnt_fit", message=_message_with(running, "pair_doesnt_fit")
    )
    running.fake.wait_for("response_url", lambda c: "No HR contact is set up" in text_of(c.args))
    later = running.fake.calls[before:]
    assert not [c for c in later if c.method == "chat.postMessage" and c.args["channel"] == HR]


def test_a_mentor_with_room_for_two_gets_two_mentees_and_no_unmatched_note(
    running: RunningApp,
) -> None:
    running.fake.add_user(SlackUser(id=HR, name="hr", locale="en-US"))
    enrol(running, "UMENTORA", {**MENTOR_VALUES, "department": "IT", "capacity": "2"})
    enrol(running, "UMENTEE1", {**MENTEE_VALUES, "department": "Sales"})
    enrol(running, "UMENTEE2", {**MENTEE_VALUES, "department": "Legal"})
    preview(running)
    running.sim.click(HR, "match_create", message=_message_with(running, "match_create"))
    running.fake.wait_for("response_url", lambda c: "2 pairs created" in text_of(c.args))
    notes = [
        c
        for c in running.fake.calls_to("chat.postMessage")
        if c.args["channel"] == "UMENTORA" and "pool" in text_of(c.args)
    ]
    assert notes == []
