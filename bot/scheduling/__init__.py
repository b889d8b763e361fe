"""APScheduler set-up: short ticks over our own tables (see GUIDE §1, the scheduler design)."""

from __future__ import annotations

import datetime as dt
import logging

from apscheduler.schedulers.background import BackgroundScheduler

from bot.services import enrollment
from bot.services.clock import utc_now
from bot.store.db import Database, session_scope
from bot.store.queries import forget_old_events

log = logging.getLogger(__name__)
HOUSEKEEPING_MINUTES = 15


def housekeeping(db: Database, now: dt.datetime | None = None) -> None:
    """Return people whose pause ended to the pool, and forget stale event ids."""
    now = now or utc_now()
    with session_scope(db.sessions) as session:
        resumed = enrollment.resume_expired_pauses(now, session=session)
        forgotten = forget_old_events(session=session, now=now)
    if resumed or forgotten:
        log.info("Housekeeping: %d pauses ended, %d old event ids dropped", resumed, forgotten)


def start_scheduler(db: Database) -> BackgroundScheduler:
    """Start the in-memory scheduler that runs our ticks; jobs live in code, state in our tables."""
    scheduler = BackgroundScheduler(
        timezone=dt.UTC, job_defaults={"coalesce": True, "max_instances": 1}
    )
    scheduler.add_job(
        housekeeping,
        "interval",
        minutes=HOUSEKEEPING_MINUTES,
        args=[db],
        id="housekeeping",
        next_run_time=dt.datetime.now(dt.UTC),
        misfire_grace_time=HOUSEKEEPING_MINUTES * 60,
    )
    scheduler.start()
    return scheduler
