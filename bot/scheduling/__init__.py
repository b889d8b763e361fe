"""APScheduler set-up: short ticks over our own tables (see GUIDE §1, the scheduler design).

APScheduler only runs three in-memory interval jobs: the planner (due occurrences -> outbox
rows), the dispatcher (outbox rows -> Slack) and housekeeping. Every job first makes sure this
process holds the leader lock, so a second scheduler against the same database stays idle.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from dataclasses import dataclass

from apscheduler.schedulers.background import BackgroundScheduler
from slack_sdk import WebClient

from bot.config import Settings
from bot.scheduling.compose import render
from bot.scheduling.dispatcher import Dispatcher, DispatchStats, Pacer
from bot.scheduling.lock import LeaderLock
from bot.services import enrollment, privacy
from bot.services import jour_fixe as jour_fixes
from bot.services.catalog import CatalogDef
from bot.services.clock import utc_now
from bot.services.timing import Timing
from bot.slack.transport import KeepAliveWebClient
from bot.slack.workspaces import Workspaces
from bot.store.db import Database, session_scope
from bot.store.queries import forget_old_events

log = logging.getLogger(__name__)
HOUSEKEEPING_MINUTES = 15


class _NoOverlapNoise(logging.Filter):
    """A tick still running when the next is due is expected (a long send); not a warning."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Drop APScheduler's "maximum number of running instances reached" lines."""
        return "maximum number of running instances reached" not in record.getMessage()


logging.getLogger("apscheduler.scheduler").addFilter(_NoOverlapNoise())


def housekeeping(
    db: Database, now: dt.datetime | None = None, *, retention_days: int = 180
) -> None:
    """Return people whose pause ended to the pool, forget stale event ids and old free text."""
    now = now or utc_now()
    with session_scope(db.sessions) as session:
        resumed = enrollment.resume_expired_pauses(now, session=session)
        forgotten = forget_old_events(session=session, now=now)
        purged = privacy.purge_old_feedback_text(
            session=session, now=now, retention_days=retention_days
        )
    if resumed or forgotten or purged:
        log.info(
            "Housekeeping: %d pauses ended, %d old event ids dropped, %d answers' free text"
            " deleted after retention",
            resumed,
            forgotten,
            purged,
        )


def timing_from(settings: Settings) -> Timing:
    """The message timing rules as configured."""
    lead = settings.mentor_nudge_lead_hours
    return Timing(
        nudge_time=settings.mentor_nudge_time,
        nudge_lead=dt.timedelta(hours=lead) if lead else None,
        plan_ahead=dt.timedelta(days=4, hours=lead or 0),
        window=settings.mentor_send_window,
        checkin_after=dt.timedelta(hours=settings.mentor_checkin_after_hours),
        weekly_budget=settings.mentor_weekly_dm_budget,
    )


def pacer_from(settings: Settings) -> Pacer:
    """The workspace-wide chat.postMessage pace as configured."""
    return Pacer(settings.mentor_send_rate, settings.mentor_send_burst)


def dispatch_client(settings: Settings, token: str | None = None) -> WebClient:
    """A Web API client for the dispatcher: 429s are handled by its pacer, not by sleeping.

    It keeps its connection to Slack open, so thousands of DMs in a row do not each pay for
    a new TCP and TLS handshake. The token is SLACK_BOT_TOKEN unless one is given.
    """
    if token is None and settings.slack_bot_token is not None:
        token = settings.slack_bot_token.get_secret_value()
    return KeepAliveWebClient(token=token, base_url=settings.slack_api_url, timeout=10)


def dispatch_workspaces(settings: Settings, db: Database) -> Workspaces:
    """The dispatcher's client for each workspace (one, or each OAuth installation's)."""
    from bot.app import make_workspaces

    return make_workspaces(settings, db, lambda token: dispatch_client(settings, token))


def make_dispatcher(
    settings: Settings,
    db: Database,
    client: WebClient | Workspaces,
    catalog: CatalogDef,
    *,
    pacer: Pacer | None = None,
    owner: str | None = None,
) -> Dispatcher:
    """A dispatcher wired to the settings, the catalog and the message renderers."""
    default_language = settings.mentor_default_language
    return Dispatcher(
        db,
        client,
        render=lambda row, subject, now: render(
            row, subject, catalog=catalog, default_language=default_language, now=now
        ),
        timing=timing_from(settings),
        pacer=pacer or pacer_from(settings),
        lease=dt.timedelta(seconds=settings.mentor_dispatch_lease_seconds),
        max_attempts=settings.mentor_send_max_attempts,
        owner=owner,
    )


def plan_pass(db: Database, timing: Timing, now: dt.datetime | None = None) -> jour_fixes.PlanStats:
    """One planner pass in its own transaction."""
    with session_scope(db.sessions) as session:
        stats = jour_fixes.plan(session=session, now=now or utc_now(), timing=timing)
    if stats.jour_fixes or stats.closed or stats.ghost_checks:
        log.info(
            "Planner: %d jour fixes and %d messages planned, %d closed as missed, "
            "%d pairs at risk, %d pause offers",
            stats.jour_fixes,
            stats.messages,
            stats.closed,
            len(stats.at_risk),
            stats.ghost_checks,
        )
    return stats


@dataclass
class TickResult:
    """What one synchronous planner and dispatcher pass did."""

    plan: jour_fixes.PlanStats
    dispatch: DispatchStats


def tick(
    settings: Settings,
    db: Database,
    dispatcher: Dispatcher,
    now: dt.datetime | None = None,
) -> TickResult:
    """Plan, then dispatch everything due, as of `now` (the clock when None)."""
    planned = plan_pass(db, timing_from(settings), now)
    return TickResult(plan=planned, dispatch=dispatcher.run(now))


class Scheduler:
    """The background scheduler of one process, with its leader lock and a stop signal."""

    def __init__(
        self,
        db: Database,
        *,
        settings: Settings | None = None,
        dispatcher: Dispatcher | None = None,
        lock: LeaderLock | None = None,
    ) -> None:
        self.db, self.settings, self.dispatcher = db, settings, dispatcher
        self.lock = lock or LeaderLock(db)
        self.stop = threading.Event()
        self._aps = BackgroundScheduler(
            timezone=dt.UTC, job_defaults={"coalesce": True, "max_instances": 1}
        )

    def get_jobs(self) -> list[object]:
        """The APScheduler jobs (for tests and operators)."""
        return list(self._aps.get_jobs())

    def _leader(self) -> bool:
        try:
            held = self.lock.acquire()
        except Exception:
            log.exception("Could not check the scheduler lock")
            return False
        return held

    def _housekeeping(self) -> None:
        if self._leader():
            days = self.settings.mentor_feedback_retention_days if self.settings else 180
            housekeeping(self.db, retention_days=days)

    def _plan(self) -> None:
        if self._leader() and self.settings is not None:
            plan_pass(self.db, timing_from(self.settings))

    def _dispatch(self) -> None:
        if self._leader() and self.dispatcher is not None:
            stats = self.dispatcher.run(stop=self.stop)
            if stats.sent or stats.failed or stats.missed:
                log.info(
                    "Dispatcher: %d sent, %d missed, %d cancelled, %d failed, %d retries",
                    stats.sent,
                    stats.missed,
                    stats.cancelled,
                    stats.failed,
                    stats.retried,
                )

    def start(self) -> Scheduler:
        """Add the jobs and start ticking at once."""
        now = dt.datetime.now(dt.UTC)
        self._aps.add_job(
            self._housekeeping,
            "interval",
            minutes=HOUSEKEEPING_MINUTES,
            id="housekeeping",
            next_run_time=now,
            misfire_grace_time=HOUSEKEEPING_MINUTES * 60,
        )
        if self.settings is not None and self.dispatcher is not None:
            seconds = self.settings.mentor_tick_seconds
            for job_id, func in (("plan", self._plan), ("dispatch", self._dispatch)):
                self._aps.add_job(
                    func,
                    "interval",
                    seconds=seconds,
                    id=job_id,
                    next_run_time=now,
                    misfire_grace_time=seconds,
                )
        self._aps.start()
        return self

    def shutdown(self, wait: bool = True) -> None:
        """Stop: the dispatcher hands its unsent rows back, and the lock is released."""
        self.stop.set()
        self._aps.shutdown(wait=wait)
        self.lock.release()


def start_scheduler(
    db: Database,
    settings: Settings | None = None,
    *,
    client: WebClient | None = None,
    catalog: CatalogDef | None = None,
) -> Scheduler:
    """Start the in-memory scheduler; with settings, it also plans and sends jour-fixe messages."""
    dispatcher = None
    if settings is not None:
        from bot.services.catalog import load_catalog

        catalog = catalog or load_catalog(settings.mentor_skills_file)
        clients = client or dispatch_workspaces(settings, db)
        dispatcher = make_dispatcher(settings, db, clients, catalog)
    return Scheduler(db, settings=settings, dispatcher=dispatcher).start()
