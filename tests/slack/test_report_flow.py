"""`/mentor report` and `/mentor mydata` over signed HTTP, against the stand-in."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from bot.app import build_app
from bot.sandbox import FakeSlack, SlackSim, SlackUser
from bot.sandbox.databases import wipe
from bot.store.db import Database
from bot.store.models import Pair, ReportAudit
from bot.web import WebApp
from tests.conftest import SIGNING_SECRET, RunningApp, make_settings, serve
from tests.helpers import answer_to, make_pair, text_of
from tests.services.test_reports import _seed

HR = "UHRADMIN"


def _command(app: RunningApp, user: str, text: str) -> dict[str, Any]:
    if user not in app.fake.users:
        app.fake.add_user(SlackUser(id=user, name=user.lower()))
    resp = app.sim.slash(user, text)
    assert resp.status == 200
    return answer_to(app.fake, resp)


def _report_post(app: RunningApp) -> dict[str, Any]:
    calls = app.fake.wait_for(
        "chat.postMessage", lambda c: "report" in str(c.args.get("text", "")).lower()
    )
    return dict(calls[-1].args)


def _audits(app: RunningApp) -> list[tuple[str, str, str]]:
    # The listener finishes its audit row just after its last Slack call: give it a moment.
    deadline = time.monotonic() + 5
    while True:
        with app.db.sessions() as s:
            rows = [
                (a.requested_by, a.period, a.outcome)
                for a in s.scalars(select(ReportAudit).order_by(ReportAudit.id))
            ]
        if all(r[2] != "requested" for r in rows) or time.monotonic() > deadline:
            return rows
        time.sleep(0.02)


def _uploaded(app: RunningApp) -> dict[str, bytes]:
    return {f["name"]: f["content"] for f in app.fake.files.values() if f["completed"]}


def test_an_hr_admin_gets_the_report_a_chart_and_a_csv_in_their_dm(running: RunningApp) -> None:
    wipe(running.db)
    _seed(running.db, {"Sales": (6, [5] * 6), "Finance": (5, [3] * 5), "Legal": (4, [1] * 4)})
    ack = _command(running, HR, "report 2026-10 csv")
    assert "Preparing the report for 2026-10" in text_of(ack)
    report = text_of(_report_post(running))
    assert "Reverse mentoring report: 2026-10" in report
    assert "15 mentors, 15 mentees" in report
    # Legal is below k; Finance is hidden with it, or all minus the rest would be Legal.
    assert "• Sales: 6" in report
    assert "• Legal" not in report and "• Finance" not in report
    assert "could not be attached" not in report
    files = _uploaded(running)
    png = files["mentoring-report-2026-10.png"]
    assert png.startswith(b"\x89PNG")
    (chart,) = [f for f in running.fake.files.values() if f["name"].endswith(".png")]
    assert chart["alt_txt"].startswith("Reverse mentoring report: 2026-10. Chart: jour fixes")
    csv_text = files["mentoring-report-2026-10.csv"].decode()
    assert csv_text.startswith("\ufeffSection,Group,Figure,Value,Key")
    assert "department: Legal" not in csv_text and "department: Finance" not in csv_text
    assert "department: Sales" in csv_text
    assert _audits(running) == [(HR, "2026-10", "delivered")]


def test_a_normal_user_is_refused_nothing_is_computed_and_the_attempt_is_logged(
    running: RunningApp,
) -> None:
    wipe(running.db)
    _seed(running.db, {"Sales": (6, [5] * 6)})
    refusal = text_of(_command(running, "UM00001", "report all"))
    assert "only for the programme's HR admins" in refusal
    assert "mentors" not in refusal.lower()
    assert running.fake.calls_to("files.getUploadURLExternal") == []
    assert _audits(running) == [("UM00001", "all", "refused")]


def test_a_failed_upload_still_delivers_the_text_and_says_so(running: RunningApp) -> None:
    wipe(running.db)
    _seed(running.db, {"Sales": (6, [5] * 6)})
    running.fake.fail_next("files.getUploadURLExternal", error="internal_error")
    _command(running, HR, "report 2026-10")
    report = text_of(_report_post(running))
    assert "The chart could not be attached" in report
    assert "• Sales: 6" in report
    assert _audits(running) == [(HR, "2026-10", "partial")]


def test_an_empty_programme_gets_a_clear_answer_and_no_empty_chart(running: RunningApp) -> None:
    wipe(running.db)
    _command(running, HR, "report")
    report = text_of(_report_post(running))
    assert "Nobody has joined the programme yet" in report
    assert running.fake.calls_to("files.getUploadURLExternal") == []
    assert _audits(running) == [(HR, "30d", "delivered")]


def test_an_unknown_period_gets_the_accepted_forms(running: RunningApp) -> None:
    reply = text_of(_command(running, HR, "report last-month"))
    assert "I don't know the period `last-month`" in reply
    assert "2026-Q3" in reply
    assert _audits(running) == [(HR, "last-month", "bad_period")]
    assert running.fake.calls_to("files.getUploadURLExternal") == []


def test_mydata_sends_everything_stored_about_the_person_as_json(running: RunningApp) -> None:
    make_pair(running.db)
    reply = text_of(_command(running, "UANNA", "mydata"))
    assert "JSON file" in reply
    running.fake.wait_for("files.completeUploadExternal")
    data = json.loads(_uploaded(running)["mentor-bot-my-data.json"])
    assert data["participant"]["slack_user_id"] == "UANNA"
    assert data["pair"][0]["partner"] == "UBERND"
    assert {"poll_answer", "outbox", "jour_fixe", "report_audit"} <= set(data)
    # Someone who never joined gets the join hint, and no file.
    assert "haven't joined" in text_of(_command(running, "UNOBODY", "mydata"))


@pytest.fixture
def with_hr_group(fake_slack: FakeSlack, db: Database, database_url: str) -> Iterator[RunningApp]:
    """The app with MENTOR_HR_USERGROUP set: members of S0HRTEAM are HR admins too."""
    settings = make_settings(fake_slack, database_url, mentor_hr_usergroup="S0HRTEAM")
    base, server = serve(WebApp(build_app(settings, db), db))
    sim = SlackSim(fake_slack, app_url=f"{base}/slack/events", signing_secret=SIGNING_SECRET)
    yield RunningApp(url=base, settings=settings, db=db, fake=fake_slack, sim=sim)
    server.shutdown()
    server.server_close()


def test_members_of_the_hr_user_group_may_run_reports(with_hr_group: RunningApp) -> None:
    app = with_hr_group
    wipe(app.db)
    app.fake.add_usergroup("S0HRTEAM", ["UGRETA"])
    assert "Preparing the report" in text_of(_command(app, "UGRETA", "report 90d"))
    assert "Reverse mentoring report" in text_of(_report_post(app))
    assert "only for the programme's HR admins" in text_of(_command(app, "UOSKAR", "report"))
    # The group is read once and cached, like users.info.
    assert len(app.fake.calls_to("usergroups.users.list")) == 1
    assert [row[2] for row in _audits(app)] == ["delivered", "refused"]


def test_members_of_the_hr_user_group_may_run_matching_too(with_hr_group: RunningApp) -> None:
    from tests.slack.test_matching_flow import _message_with, count, preview, twenty_people

    app = with_hr_group
    twenty_people(app)
    app.fake.add_user(SlackUser(id="UGRETA", name="greta"))
    app.fake.add_usergroup("S0HRTEAM", ["UGRETA"])
    assert "/mentor match" in text_of(_command(app, "UGRETA", "help"))
    assert "match_create" in json.dumps(preview(app, "UGRETA"))
    app.sim.click("UGRETA", "match_create", message=_message_with(app, "match_create"))
    app.fake.wait_for("response_url", lambda c: "created and introduced" in text_of(c.args))
    assert count(app, Pair) == 7


def test_the_help_waits_for_the_hr_group_before_it_goes_in_the_ack(
    with_hr_group: RunningApp,
) -> None:
    app = with_hr_group
    app.fake.add_usergroup("S0HRTEAM", ["UGRETA"])
    _command(app, "UGRETA", "status")  # the language is known now, the group not yet
    first = app.sim.slash("UGRETA", "help")
    assert first.ack is None
    assert "/mentor match" in text_of(answer_to(app.fake, first))
    again = app.sim.slash("UGRETA", "help")
    assert again.ack is not None and "/mentor match" in text_of(again.ack)
    assert len(app.fake.calls_to("usergroups.users.list")) == 1


def test_if_slack_cannot_list_the_group_nobody_becomes_an_admin(
    with_hr_group: RunningApp,
) -> None:
    app = with_hr_group
    app.fake.add_usergroup("S0HRTEAM", ["UGRETA"])
    app.fake.fail_next("usergroups.users.list", error="missing_scope")
    assert "only for the programme's HR admins" in text_of(_command(app, "UGRETA", "report"))


def test_a_report_that_cannot_be_posted_is_audited_as_failed_and_apologised_for(
    running: RunningApp,
) -> None:
    wipe(running.db)
    _seed(running.db, {"Sales": (6, [5] * 6)})
    running.fake.fail_next("chat.postMessage", error="internal_error")
    _command(running, HR, "report 2026-10")
    apology = running.fake.wait_for(
        "response_url", lambda c: "something went wrong" in str(c.args.get("text", ""))
    )
    assert "reference `" in str(apology[-1].args["text"])
    assert _audits(running) == [(HR, "2026-10", "failed")]


def test_an_hr_admin_who_never_joined_gets_their_stored_requests(running: RunningApp) -> None:
    wipe(running.db)
    _command(running, HR, "report 2026-10")
    _report_post(running)
    _audits(running)
    assert "JSON file" in text_of(_command(running, HR, "mydata"))
    running.fake.wait_for("files.completeUploadExternal", lambda c: True)
    data = json.loads(_uploaded(running)["mentor-bot-my-data.json"])
    assert [(a["requested_by"], a["period"]) for a in data["report_audit"]] == [(HR, "2026-10")]
    assert "participant" not in data
