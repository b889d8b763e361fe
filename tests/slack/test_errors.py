"""Unexpected errors: logged with a correlation id; the person sees a short apology with that id."""

from __future__ import annotations

import logging
import time

import pytest

from bot.services import enrollment
from tests.conftest import RunningApp
from tests.helpers import MENTOR_VALUES, count_participants, fill_in, open_join_modal, text_of


def _boom(*args: object, **kwargs: object) -> None:
    raise RuntimeError("database on fire")


def ref_in(text: str) -> str:
    return text.split("reference `")[1].split("`")[0]


def test_a_failing_command_apologises_with_a_reference_that_is_in_the_log(
    running: RunningApp, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(enrollment, "find_participant", _boom)
    with caplog.at_level(logging.ERROR):
        running.sim.slash("UANNA", "status")
        reply = running.fake.wait_for("response_url")[0].args
    text = text_of(reply)
    assert text.startswith("Sorry, something went wrong on our side")
    ref = ref_in(text)
    assert len(ref) == 12
    logged = [r for r in caplog.records if ref in r.getMessage()]
    assert logged and logged[0].exc_info is not None


def test_a_failing_submission_keeps_the_form_and_shows_the_apology_on_top(
    running: RunningApp, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    view = fill_in(running, "UBERND", open_join_modal(running, "UBERND"), MENTOR_VALUES)
    monkeypatch.setattr(enrollment, "save_profile", _boom)
    with caplog.at_level(logging.ERROR):
        resp = running.sim.submit_view(
            "UBERND", view["id"], {**MENTOR_VALUES, "about": "mein Geheimnis"}
        )
    assert resp.status == 200 and resp.ack["response_action"] == "push"
    text = text_of(resp.ack["view"])
    assert "Entschuldigung" in text
    stack = running.fake.open_views("UBERND")
    assert stack[0]["id"] == view["id"]  # the form is still there, under the apology
    assert stack[0]["state"]["values"]["about"]["about"]["value"] == "mein Geheimnis"
    assert count_participants(running) == 0
    assert any(
        ref_in(text.replace("Referenz", "reference")) in r.getMessage() for r in caplog.records
    )
    assert not any("mein Geheimnis" in r.getMessage() for r in caplog.records)


def test_a_failing_button_apologises_in_the_thread_it_came_from(
    running: RunningApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    running.sim.slash("UANNA", "help")
    running.sim.slash("UANNA", "status")
    running.fake.wait_for("response_url", count=2)
    monkeypatch.setattr("bot.slack.listeners.common.open_join_modal", _boom)
    monkeypatch.setattr("bot.slack.listeners.actions.open_join_modal", _boom)
    running.sim.click("UANNA", "open_join")
    reply = running.fake.wait_for("response_url", lambda c: "Sorry" in text_of(c.args))[0]
    assert "Sorry, something went wrong" in text_of(reply.args)


def test_a_failing_home_tab_is_logged_but_sends_nobody_an_unprompted_dm(
    running: RunningApp, caplog: pytest.LogCaptureFixture
) -> None:
    running.fake.fail_next("views.publish", error="internal_error", times=4)
    with caplog.at_level(logging.ERROR):
        assert running.sim.open_home("UANNA").status == 200
        running.fake.wait_for("views.publish")
        time.sleep(0.2)
    assert running.fake.calls_to("chat.postMessage") == []
    logged = [r.getMessage() for r in caplog.records]
    assert any("internal_error" in m and "ref=" in m for m in logged)
