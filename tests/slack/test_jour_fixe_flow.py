"""End to end over HTTP: `mentor-bot tick --now …` nudges, "We met" brings polls, answers count.

The app runs behind real HTTP; ticks run as the real command in a subprocess against the
same database and the same Slack stand-in.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from typing import Any

import pytest
from slack_sdk import WebClient
from sqlalchemy import select

from bot import scheduling
from bot.sandbox import SlackSim
from bot.services.catalog import load_catalog
from bot.store.models import (
    JourFixe,
    MeetingStatus,
    Outbox,
    OutboxKind,
    OutboxStatus,
    Pair,
    PairStatus,
    Participant,
    Poll,
    PollAnswer,
)
from tests.conftest import BOT_TOKEN, SIGNING_SECRET, RunningApp
from tests.helpers import make_pair, text_of

WED = dt.date(2026, 12, 2)
MEETING = dt.datetime(2026, 12, 2, 14, 0, tzinfo=dt.UTC)  # 15:00 in Berlin


def quick_tick(app: RunningApp, now: dt.datetime) -> None:
    """The same pass in-process (for the tests that are about something else)."""
    settings = app.settings.model_copy(update={"mentor_send_rate": 100.0, "mentor_send_burst": 100})
    client = WebClient(token=BOT_TOKEN, base_url=app.fake.api_url, timeout=5)
    scheduling.tick(
        settings, app.db, scheduling.make_dispatcher(settings, app.db, client, load_catalog()), now
    )


def tick(app: RunningApp, now: dt.datetime) -> str:
    """Run `mentor-bot tick --now NOW` as an operator would."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "MENTOR_", "DATABASE_URL"))
    }
    env.update(
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=app.fake.api_url,
        DATABASE_URL=app.settings.database_url,
        MENTOR_SEND_RATE="100",
        MENTOR_SEND_BURST="100",
    )
    done = subprocess.run(
        [sys.executable, "-m", "bot", "tick", "--now", now.isoformat()],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def posts_to(app: RunningApp, user: str) -> list[dict[str, Any]]:
    """Messages the bot posted in its DM with this user."""
    channel = app.fake.dm_channel_id(user)
    return [m for m in app.fake.messages if m["channel"] == channel and m["source"] != "ephemeral"]


def _pair(app: RunningApp) -> int:
    pair_id = make_pair(app.db, first_meeting=WED)
    with app.db.sessions.begin() as s:
        bernd = s.scalar(select(Participant).where(Participant.slack_user_id == "UBERND"))
        assert bernd is not None
        bernd.locale = "de"
    return pair_id


def _rows(app: RunningApp, kind: OutboxKind) -> list[Outbox]:
    with app.db.sessions() as s:
        return list(s.scalars(select(Outbox).where(Outbox.kind == kind).order_by(Outbox.id)))


def _answers(app: RunningApp) -> dict[str, int | None]:
    with app.db.sessions() as s:
        rows = s.execute(
            select(Participant.slack_user_id, PollAnswer.rating)
            .join(Poll, Poll.participant_id == Participant.id)
            .join(PollAnswer, PollAnswer.poll_id == Poll.id)
        ).all()
    return {user: rating for user, rating in rows}


def test_a_pair_is_nudged_at_nine_local_we_met_brings_polls_and_answers_are_recorded(
    running: RunningApp,
) -> None:
    _pair(running)
    # 08:30 in Berlin: planned, nothing due yet.
    out = tick(running, dt.datetime(2026, 12, 2, 7, 30, tzinfo=dt.UTC))
    assert "sent 0" in out
    assert posts_to(running, "UANNA") == []
    # 09:00 in Berlin: each partner gets the nudge, in their own language.
    out = tick(running, dt.datetime(2026, 12, 2, 8, 0, tzinfo=dt.UTC))
    assert "sent 2" in out
    (anna_nudge,) = posts_to(running, "UANNA")
    (bernd_nudge,) = posts_to(running, "UBERND")
    assert "Your jour fixe with <@UBERND> is today at 15:00" in text_of(anna_nudge)
    assert "heute um 15:00" in text_of(bernd_nudge)
    assert "A topic idea" in text_of(anna_nudge)

    # Anna clicks "We met": the jour fixe is met, and both get a private poll.
    resp = running.sim.click("UANNA", "jf_met", message=anna_nudge)
    assert resp.status == 200
    running.fake.wait_for("response_url")
    with running.db.sessions() as s:
        (jf,) = s.scalars(select(JourFixe))
        assert jf.status is MeetingStatus.MET
    polls = _rows(running, OutboxKind.POLL)
    assert len(polls) == 2
    latest_due = max(r.due_at for r in polls)
    tick(running, max(latest_due, dt.datetime.now(dt.UTC)))
    running.fake.wait_for("chat.postMessage", lambda c: c.response.get("ok"), count=4)
    anna_poll = next(m for m in posts_to(running, "UANNA") if "How valuable" in text_of(m))
    bernd_poll = next(m for m in posts_to(running, "UBERND") if "Wie wertvoll" in text_of(m))
    assert "performance appraisal" in text_of(anna_poll)
    # The check-ins are no longer needed: the pair answered.
    assert {r.status for r in _rows(running, OutboxKind.CHECKIN)} == {OutboxStatus.CANCELLED}

    # Bernd rates 4, then changes his mind to 2; Anna rates 5.
    running.sim.click("UBERND", "poll_rate_4", message=bernd_poll)
    running.fake.wait_for("response_url", count=2)
    assert _answers(running) == {"UBERND": 4}
    running.sim.click("UBERND", "poll_rate_2", message=bernd_poll)
    running.fake.wait_for("response_url", count=3)
    running.sim.click("UANNA", "poll_rate_5", message=anna_poll)
    updated = running.fake.wait_for("response_url", count=4)
    assert _answers(running) == {"UBERND": 2, "UANNA": 5}
    assert "Recorded: 5 of 5" in text_of(updated[-1].args)
    with running.db.sessions() as s:
        assert len(list(s.scalars(select(PollAnswer)))) == 2


def _tampered_click(
    sim: SlackSim, user: str, action_id: str, message: dict[str, Any], value: str
) -> Any:
    """Click a real button but send a value the message never carried."""
    with sim.fake._lock:
        payload = sim._message_click_payload(user, action_id, None, None, message, None)
    payload["actions"][0]["value"] = value
    return sim._send_interaction(f"tampered {action_id}", payload)


def _two_polls(app: RunningApp) -> tuple[dict[str, Any], dict[str, Any], list[Outbox]]:
    _pair(app)
    quick_tick(app, dt.datetime(2026, 12, 2, 8, 0, tzinfo=dt.UTC))
    (nudge,) = posts_to(app, "UANNA")
    app.sim.click("UANNA", "jf_met", message=nudge)
    app.fake.wait_for("response_url")
    polls = _rows(app, OutboxKind.POLL)
    quick_tick(app, max(max(r.due_at for r in polls), dt.datetime.now(dt.UTC)))
    # The clicker's own poll may still be on its way from the click's listener.
    app.fake.wait_for("chat.postMessage", lambda c: c.response.get("ok"), count=4)
    anna = next(m for m in posts_to(app, "UANNA") if "How valuable" in text_of(m))
    bernd = next(m for m in posts_to(app, "UBERND") if "Wie wertvoll" in text_of(m))
    return anna, bernd, polls


def test_a_click_on_someone_elses_poll_is_refused_and_writes_nothing(
    running: RunningApp,
) -> None:
    anna_poll, _, _ = _two_polls(running)
    with running.db.sessions() as s:
        bernds = s.scalar(
            select(Poll.id).join(Participant).where(Participant.slack_user_id == "UBERND")
        )
    resp = _tampered_click(running.sim, "UANNA", "poll_rate_1", anna_poll, str(bernds))
    assert resp.status == 200
    refusal = running.fake.wait_for("response_url", count=2)[-1]
    assert "Only the two people" in text_of(refusal.args)
    assert _answers(running) == {}


@pytest.mark.parametrize("value", ["999999", "abc", "-1", "1e3", ""])
def test_a_tampered_button_value_is_refused_and_writes_nothing(
    running: RunningApp, value: str
) -> None:
    anna_poll, _, _ = _two_polls(running)
    _tampered_click(running.sim, "UANNA", "poll_rate_3", anna_poll, value)
    refusal = running.fake.wait_for("response_url", count=2)[-1]
    assert "no longer exists" in text_of(refusal.args)
    assert _answers(running) == {}


def test_a_poll_of_an_ended_pair_is_refused_and_writes_nothing(running: RunningApp) -> None:
    anna_poll, _, _ = _two_polls(running)
    with running.db.sessions.begin() as s:
        pair = s.scalar(select(Pair))
        assert pair is not None
        pair.status = PairStatus.ENDED
    running.sim.click("UANNA", "poll_rate_5", message=anna_poll)
    refusal = running.fake.wait_for("response_url", count=2)[-1]
    assert "has ended" in text_of(refusal.args)
    assert _answers(running) == {}


def test_a_nudge_of_someone_elses_pair_is_refused(running: RunningApp) -> None:
    _pair(running)
    quick_tick(running, dt.datetime(2026, 12, 2, 8, 0, tzinfo=dt.UTC))
    (nudge,) = posts_to(running, "UANNA")
    with running.fake._lock:
        payload = running.sim._message_click_payload("UANNA", "jf_met", None, None, nudge, None)
    payload["user"]["id"] = "UCLARA"
    payload["user"]["username"] = "clara"
    running.sim._send_interaction("a stranger's click", payload)
    refusal = running.fake.wait_for("response_url")[-1]
    assert "Only the two people" in text_of(refusal.args)
    with running.db.sessions() as s:
        (jf,) = s.scalars(select(JourFixe))
        assert jf.status is MeetingStatus.PLANNED
    assert _rows(running, OutboxKind.POLL) == []


def test_skip_this_time_tells_the_partner_and_cancels_the_check_in(running: RunningApp) -> None:
    _pair(running)
    quick_tick(running, dt.datetime(2026, 12, 2, 8, 0, tzinfo=dt.UTC))
    (nudge,) = posts_to(running, "UBERND")
    running.sim.click("UBERND", "jf_skip", message=nudge)
    running.fake.wait_for("response_url")
    notices = _rows(running, OutboxKind.NOTICE)
    assert len(notices) == 1
    quick_tick(running, max(notices[0].due_at, dt.datetime.now(dt.UTC)))
    # Sent by the click's listener or by the tick, whichever claimed it first; once.
    running.fake.wait_for("chat.postMessage", lambda c: "skips your jour fixe" in text_of(c.args))
    told = [m for m in posts_to(running, "UANNA") if "skips your jour fixe" in text_of(m)]
    assert len(told) == 1
    assert {r.status for r in _rows(running, OutboxKind.CHECKIN)} == {OutboxStatus.CANCELLED}


def test_share_a_thought_stores_free_text_for_hr_only(running: RunningApp) -> None:
    anna_poll, _, _ = _two_polls(running)
    running.sim.click("UANNA", "poll_share", message=anna_poll)
    opened = running.fake.wait_for("views.open", lambda c: c.response.get("ok"))[-1]
    view_id = opened.response["view"]["id"]
    resp = running.sim.submit_view(
        "UANNA",
        view_id,
        {"fb_learned": "How to write prompts", "fb_keep": "Hands-on examples"},
    )
    assert resp.status == 200
    with running.db.sessions() as s:
        (answer,) = s.scalars(select(PollAnswer))
        assert (answer.learned, answer.keep, answer.stop) == (
            "How to write prompts",
            "Hands-on examples",
            None,
        )
    # Never shown to the partner.
    assert not any("How to write prompts" in text_of(m) for m in posts_to(running, "UBERND"))


def _schedule_view(app: RunningApp, user: str) -> str:
    app.sim.slash(user, "schedule")
    call = app.fake.wait_for(
        "views.open",
        lambda c: c.response.get("ok") and c.args["view"]["callback_id"] == "pair_schedule_modal",
    )[-1]
    return str(call.response["view"]["id"])


def test_mentor_schedule_sets_the_rhythm_in_the_chosen_zone_and_replans(
    running: RunningApp,
) -> None:
    pair_id = _pair(running)
    with running.db.sessions.begin() as s:
        anna = s.scalar(select(Participant).where(Participant.slack_user_id == "UANNA"))
        assert anna is not None
        anna.timezone = "America/New_York"
    quick_tick(running, dt.datetime(2026, 12, 1, 12, tzinfo=dt.UTC))
    view_id = _schedule_view(running, "UANNA")
    # Thursday 10:00 in the mentor's zone (New York), weekly.
    resp = running.sim.submit_view(
        "UANNA",
        view_id,
        {
            "jf_weekday": "3",
            "jf_time": "10:00",
            "jf_cadence": "weekly",
            "jf_timezone": "America/New_York",
        },
    )
    assert resp.status == 200
    with running.db.sessions() as s:
        pair = s.get(Pair, pair_id)
        assert pair is not None
        assert (pair.weekday, pair.local_time, pair.timezone) == (
            3,
            dt.time(10),
            "America/New_York",
        )
        # The occurrence planned for the old rhythm is gone, with its messages.
        assert list(s.scalars(select(JourFixe))) == []
        assert {r.status for r in s.scalars(select(Outbox))} == {OutboxStatus.CANCELLED}


@pytest.mark.parametrize("time", ["02:30", "05:59", "21:30"])
def test_a_jour_fixe_outside_working_hours_is_refused_inline(
    running: RunningApp, time: str
) -> None:
    pair_id = _pair(running)
    view_id = _schedule_view(running, "UBERND")
    resp = running.sim.submit_view(
        "UBERND", view_id, {"jf_weekday": "1", "jf_time": time, "jf_cadence": "weekly"}
    )
    assert resp.json()["response_action"] == "errors"
    assert "jf_time" in resp.json()["errors"]
    with running.db.sessions() as s:
        pair = s.get(Pair, pair_id)
        assert pair is not None
        assert pair.weekday == 2


def test_mentor_schedule_without_a_pair_says_so(running: RunningApp) -> None:
    running.sim.slash("UCLARA", "schedule")
    reply = running.fake.wait_for("response_url")[-1]
    assert "haven't joined" in text_of(reply.args)


def test_the_pause_offer_pauses_the_person_and_stops_their_messages(
    running: RunningApp,
) -> None:
    from bot.services import jour_fixe as meetings
    from bot.services.timing import Timing
    from bot.store.models import Status

    _pair(running)
    with running.db.sessions.begin() as s:
        for week in range(4):
            now = dt.datetime(2026, 12, 1, 12, tzinfo=dt.UTC) + dt.timedelta(weeks=week)
            meetings.plan(session=s, now=now, timing=Timing())
    ghosts = _rows(running, OutboxKind.GHOST)
    assert len(ghosts) == 2
    quick_tick(
        running, max(max(g.due_at for g in ghosts), dt.datetime(2026, 12, 22, 9, tzinfo=dt.UTC))
    )
    offer = next(m for m in posts_to(running, "UANNA") if "pause" in text_of(m))
    running.sim.click("UANNA", "ghost_pause", message=offer)
    reply = running.fake.wait_for("response_url")[-1]
    assert "Paused until" in text_of(reply.args)
    with running.db.sessions() as s:
        anna = s.scalar(select(Participant).where(Participant.slack_user_id == "UANNA"))
        assert anna is not None
        assert anna.status is Status.PAUSED


def test_move_it_moves_this_jour_fixe_only_and_tells_the_partner(running: RunningApp) -> None:
    _pair(running)
    quick_tick(running, dt.datetime(2026, 12, 2, 8, 0, tzinfo=dt.UTC))
    (nudge,) = posts_to(running, "UANNA")
    running.sim.click("UANNA", "jf_move", message=nudge)
    opened = running.fake.wait_for(
        "views.open", lambda c: c.response.get("ok") and "jf_move_modal" in str(c.args)
    )[-1]
    view_id = opened.response["view"]["id"]
    new_day = (dt.datetime.now(dt.UTC) + dt.timedelta(days=3)).date()
    # A time in the past is refused inline, and nothing changes.
    refused = running.sim.submit_view(
        "UANNA", view_id, {"jf_move_date": "2020-01-01", "jf_move_time": "10:00"}
    )
    assert refused.json()["response_action"] == "errors"
    with running.db.sessions() as s:
        (jf,) = s.scalars(select(JourFixe))
        assert jf.status is MeetingStatus.PLANNED
    resp = running.sim.submit_view(
        "UANNA", view_id, {"jf_move_date": new_day.isoformat(), "jf_move_time": "16:30"}
    )
    assert resp.status == 200
    with running.db.sessions() as s:
        (jf,) = s.scalars(select(JourFixe))
        assert jf.status is MeetingStatus.MOVED
        assert jf.moved_to is not None
        local = jf.moved_to.astimezone(dt.timezone(dt.timedelta(hours=1)))
        assert (local.date(), local.time()) == (new_day, dt.time(16, 30))
        pair = s.scalar(select(Pair))
        assert pair is not None
        assert pair.weekday == 2  # the rhythm is unchanged
    notices = _rows(running, OutboxKind.NOTICE)
    assert [n.payload["what"] for n in notices] == ["moved"]
    quick_tick(running, max(notices[0].due_at, dt.datetime.now(dt.UTC)))
    running.fake.wait_for(
        "chat.postMessage", lambda c: "hat euren nächsten Jour fixe verschoben" in text_of(c.args)
    )


def test_no_to_did_you_meet_records_a_missed_jour_fixe(running: RunningApp) -> None:
    _pair(running)
    quick_tick(running, dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC))
    checkins = _rows(running, OutboxKind.CHECKIN)
    quick_tick(running, max(c.due_at for c in checkins))
    ask = next(m for m in posts_to(running, "UANNA") if "Did you meet" in text_of(m))
    running.sim.click("UANNA", "jf_checkin_no", message=ask)
    running.fake.wait_for("response_url")
    with running.db.sessions() as s:
        (jf,) = s.scalars(select(JourFixe))
        assert (jf.status, jf.mentor_replied, jf.mentee_replied) == (
            MeetingStatus.MISSED,
            True,
            False,
        )
    assert _rows(running, OutboxKind.POLL) == []
