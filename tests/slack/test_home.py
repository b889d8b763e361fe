"""The App Home tab: published on open, with buttons to join, edit, pause, resume and leave."""

from __future__ import annotations

from bot.store.models import Status
from tests.conftest import RunningApp
from tests.helpers import MENTOR_VALUES, fill_in, join, participant, text_of


def home_of(app: RunningApp, user: str, count: int = 1) -> dict:
    calls = app.fake.wait_for("views.publish", lambda c: c.args["user_id"] == user, count=count)
    return dict(calls[-1].response["view"])  # as Slack stored it, with its id


def actions(view: dict) -> list[str]:
    return [e["action_id"] for b in view["blocks"] if b["type"] == "actions" for e in b["elements"]]


def test_opening_the_home_tab_publishes_it_with_a_join_button(running: RunningApp) -> None:
    resp = running.sim.open_home("UANNA")
    assert resp.status == 200
    view = home_of(running, "UANNA")
    assert view["type"] == "home" and actions(view) == ["home_join"]
    assert "Younger colleagues share digital skills" in text_of(view)


def test_the_home_tab_shows_profile_and_buttons_in_german(running: RunningApp) -> None:
    join(running, "UBERND")
    running.sim.open_home("UBERND")
    view = home_of(running, "UBERND", count=2)
    assert actions(view) == ["home_edit_profile", "home_edit_skills", "home_pause", "home_leave"]
    text = text_of(view)
    assert "Profil bearbeiten" in text and "Marketing" in text and "Aktiv" in text


def test_the_messages_tab_does_not_publish_the_home(running: RunningApp) -> None:
    running.sim.open_home("UANNA", tab="messages")
    running.sim.open_home("UANNA")
    home_of(running, "UANNA")
    assert len(running.fake.calls_to("views.publish")) == 1


def test_a_retried_event_is_processed_once(running: RunningApp) -> None:
    event = {
        "type": "app_home_opened",
        "user": "UANNA",
        "channel": running.fake.dm_channel_id("UANNA"),
        "tab": "home",
        "event_ts": "1.2",
    }
    first = running.sim.event(event, event_id="Ev0RETRY01")
    retry = running.sim.event(event, event_id="Ev0RETRY01", retry_num=1)
    other = running.sim.event(event, event_id="Ev0OTHER01")
    assert (first.status, retry.status, other.status) == (200, 200, 200)
    home_of(running, "UANNA", count=2)
    running.sim.event(event, event_id="Ev0RETRY01", retry_num=2)
    assert len(running.fake.calls_to("views.publish")) == 2


def test_home_buttons_join_edit_pause_resume_and_leave(running: RunningApp) -> None:
    running.sim.open_home("UANNA")
    home = home_of(running, "UANNA")
    running.sim.click("UANNA", "home_join", view_id=home["id"])
    view_id = running.fake.wait_for("views.open")[0].response["view"]["id"]
    view = fill_in(running, "UANNA", running.fake.views[view_id], MENTOR_VALUES)
    running.sim.submit_view("UANNA", view["id"], MENTOR_VALUES)
    home = home_of(running, "UANNA", count=2)

    running.sim.click("UANNA", "home_edit_skills", view_id=home["id"])
    skills = running.fake.wait_for("views.open", count=2)[-1]
    assert skills.args["view"]["callback_id"] == "mentor_skills"
    running.sim.close_view("UANNA", skills.response["view"]["id"])

    running.sim.click("UANNA", "home_pause", view_id=home["id"])
    pause_view = running.fake.wait_for("views.open", count=3)[-1].response["view"]
    assert pause_view["callback_id"] == "mentor_pause"
    resp = running.sim.submit_view("UANNA", pause_view["id"], {"pause_until": "2001-01-01"})
    assert "not in the future" in resp.ack["errors"]["pause_until"]
    running.sim.submit_view("UANNA", pause_view["id"], {"pause_until": None})
    p = participant(running, "UANNA")
    assert p is not None and (p.status, p.paused_until) == (Status.PAUSED, None)
    home = home_of(running, "UANNA", count=3)
    assert "home_resume" in actions(home)

    running.sim.click("UANNA", "home_resume", view_id=home["id"])
    home = home_of(running, "UANNA", count=4)
    p = participant(running, "UANNA")
    assert p is not None and p.status is Status.ACTIVE

    leave = next(
        e
        for b in home["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == "home_leave"
    )
    assert leave["confirm"]["style"] == "danger"  # Slack asks before the click arrives
    running.sim.click("UANNA", "home_leave", view_id=home["id"])
    home = home_of(running, "UANNA", count=5)
    assert actions(home) == ["home_join"]
    assert participant(running, "UANNA") is None
