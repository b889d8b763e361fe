"""The housekeeping tick: pauses end, old event ids are forgotten, and the scheduler runs it."""

from __future__ import annotations

import datetime as dt
import time

from freezegun import freeze_time
from sqlalchemy import func, select

from bot.scheduling import housekeeping, start_scheduler
from bot.services import enrollment
from bot.services.catalog import load_catalog
from bot.store.db import Database
from bot.store.models import Participant, ProcessedEvent, Role, Status
from bot.store.queries import claim_event

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
