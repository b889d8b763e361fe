"""The housekeeping tick: pauses end, old event ids are forgotten, and the scheduler runs it."""

from __future__ import annotations

import datetime as dt
import time

from freezegun import freeze_time
from sqlalchemy import func, select

from bot.sandbox import FakeSlack
from bot.scheduling import housekeeping, start_scheduler
from bot.services import enrollment
from bot.services.catalog import load_catalog
from bot.store.db import Database
from bot.store.models import Participant, ProcessedEvent, Role, Status
from bot.store.queries import claim_event
from tests.conftest import make_settings

KNOWN = {s.key for s in load_catalog().skills}


def _enrol_and_pause(db: Database, until: dt.date) -> None:
    form = enrollment.ProfileForm(
        role=Role.MENTEE,
        offered={},
        wanted={"spreadsheets": 1},
        department="Finance",
        languages=("de",),
        cadence=enrollment.Cadence.WEEKLY,
        weekday=None,
        time_window=enrollment.TimeWindow.ANY,
        about="",
        consent=True,
    )
    with db.sessions.begin() as s:
        enrollment.save_profile(
            form,
            known_skills=KNOWN,
            session=s,
            team_id="T1",
            user_id="U1",
            timezone="Europe/Berlin",
            locale="de",
        )
        enrollment.pause(until, session=s, team_id="T1", user_id="U1")
        claim_event("Ev-old", session=s)


def _state(db: Database) -> tuple[Status, int]:
    with db.sessions() as s:
        status = s.scalars(select(Participant.status)).one()
        events = int(s.scalar(select(func.count()).select_from(ProcessedEvent)) or 0)
    return status, events


def test_housekeeping_ends_finished_pauses_and_drops_old_event_ids(db: Database) -> None:
    with freeze_time("2026-11-26T12:00:00+00:00"):
        _enrol_and_pause(db, dt.date(2026, 12, 1))
    housekeeping(db, now=dt.datetime(2026, 11, 27, 12, tzinfo=dt.UTC))
    assert _state(db) == (Status.PAUSED, 1)
    housekeeping(db, now=dt.datetime(2026, 12, 5, 12, tzinfo=dt.UTC))
    assert _state(db) == (Status.ACTIVE, 0)


def test_the_scheduler_runs_housekeeping_as_soon_as_it_starts(db: Database) -> None:
    _enrol_and_pause(db, dt.date(2020, 1, 1))  # long over
    scheduler = start_scheduler(db)
    try:
        assert [job.id for job in scheduler.get_jobs()] == ["housekeeping"]
        deadline = time.monotonic() + 5
        while _state(db)[0] is not Status.ACTIVE and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _state(db)[0] is Status.ACTIVE
    finally:
        scheduler.shutdown(wait=True)


def _old_thought(db: Database) -> int:
    """A rated poll with free text about a jour fixe in January 2026; returns the poll id."""
    from bot.store.models import PollAnswer
    from tests.helpers import add_polls, make_pair

    pair_id = make_pair(db, team="T1", mentor="UOLDM", mentee="UOLDE")
    (poll_id,) = add_polls(db, pair_id, dt.date(2026, 1, 14), ["UOLDE"])
    with db.sessions.begin() as s:
        s.add(PollAnswer(poll_id=poll_id, rating=5, learned="old words", keep="more of it"))
    return poll_id


def _answer(db: Database, poll_id: int) -> tuple[int | None, str | None, str | None]:
    from bot.store.models import PollAnswer

    with db.sessions() as s:
        answer = s.get(PollAnswer, poll_id)
        assert answer is not None
        return answer.rating, answer.learned, answer.keep


def test_the_scheduler_deletes_free_text_after_the_configured_retention(
    db: Database, database_url: str, fake_slack: FakeSlack
) -> None:
    poll_id = _old_thought(db)
    # January's free text lives until 180 days after 31 January (the default): still there.
    housekeeping(db, now=dt.datetime(2026, 7, 30, tzinfo=dt.UTC))
    assert _answer(db, poll_id) == (5, "old words", "more of it")
    settings = make_settings(fake_slack, database_url, mentor_feedback_retention_days=30)
    scheduler = start_scheduler(db, settings)
    try:
        deadline = time.monotonic() + 5
        while _answer(db, poll_id)[1] is not None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _answer(db, poll_id) == (5, None, None)
    finally:
        scheduler.shutdown(wait=True)
