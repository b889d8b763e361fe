"""Shared fixtures: a migrated database, the Slack stand-in, and the real app served over HTTP.

Set TEST_DATABASE_URL to a PostgreSQL URL to run everything against PostgreSQL; each test
session then works in a database of its own that is dropped at the end.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from socketserver import ThreadingMixIn
from typing import TYPE_CHECKING
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest

from bot.app import build_app
from bot.config import Settings, load_settings
from bot.sandbox.databases import scratch_postgres, wipe
from bot.services.catalog import load_catalog, migrate_and_sync
from bot.store.db import Database
from bot.web import WebApp

if TYPE_CHECKING:
    from bot.sandbox import FakeSlack, SlackSim

SIGNING_SECRET = "test-signing-secret-0123456789abcdef"
BOT_TOKEN = "xoxb-test-token"
TEAM = "T0001"


def _migrate_and_sync(url: str) -> None:
    migrate_and_sync(url, load_catalog())


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A freshly migrated database for this test session."""
    base = os.environ.get("TEST_DATABASE_URL", "")
    if base.startswith("postgres"):
        with scratch_postgres(base, "mentor_test") as url:
            _migrate_and_sync(url)
            yield url
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
        _migrate_and_sync(url)
        yield url


@pytest.fixture
def empty_database_url(tmp_path: Path) -> Iterator[str]:
    """A brand-new, empty database on the backend under test (for migration tests)."""
    base = os.environ.get("TEST_DATABASE_URL", "")
    if base.startswith("postgres"):
        with scratch_postgres(base, "mentor_test") as url:
            yield url
    else:
        yield f"sqlite:///{tmp_path / 'empty.sqlite3'}"


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    """The session database, emptied of everything but reference data after each test."""
    database = Database(database_url)
    yield database
    wipe(database)
    database.dispose()


@pytest.fixture
def session(db: Database) -> Iterator[object]:
    """A plain ORM session for service tests; committed work is wiped by `db`."""
    with db.sessions() as s:
        yield s


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    """The Slack Web API stand-in, with a few people in it; fails the test on any violation."""
    from bot.sandbox import FakeSlack, SlackUser

    fake = FakeSlack(team_id=TEAM, bot_token=BOT_TOKEN)
    fake.start()
    fake.add_user(
        SlackUser(
            id="UANNA", name="anna", real_name="Anna Adler", locale="en-US", tz="Europe/Berlin"
        )
    )
    fake.add_user(
        SlackUser(
            id="UBERND", name="bernd", real_name="Bernd Bauer", locale="de-DE", tz="Europe/Berlin"
        )
    )
    fake.add_user(
        SlackUser(
            id="UCLARA", name="clara", real_name="Clara Chen", locale="en-GB", tz="America/New_York"
        )
    )
    yield fake
    fake.stop()
    record_stand_in(fake)
    fake.assert_no_violations()


# Totals over every stand-in that served the real app, reported at the end of the run.
STAND_IN = {"calls": 0, "violations": 0}


def record_stand_in(fake: FakeSlack) -> None:
    """Add one stand-in's calls and contract violations to the run's totals."""
    STAND_IN["calls"] += len(fake.calls)
    STAND_IN["violations"] += len(fake.violations)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say how much of Slack's contract the app was checked against."""
    if STAND_IN["calls"]:
        terminalreporter.write_line(
            f"Slack stand-in: {STAND_IN['calls']} calls from the app checked against Slack's "
            f"specs, {STAND_IN['violations']} contract violations"
        )


def make_settings(fake: FakeSlack, database_url: str, **overrides: object) -> Settings:
    """Settings pointing at the stand-in, immune to a developer's own .env."""
    values: dict[str, object] = {
        "_env_file": None,
        "slack_bot_token": BOT_TOKEN,
        "slack_signing_secret": SIGNING_SECRET,
        "slack_api_url": fake.api_url,
        "database_url": database_url,
        "mentor_hr_admins": "UHRADMIN",
        "mentor_user_cache_seconds": 600,
    }
    values.update(overrides)
    return load_settings(**values)


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    # Python's default listen backlog is 5; tests open dozens of connections at once.
    request_queue_size = 128


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        return


@dataclass
class RunningApp:
    """The bot served over real HTTP, and a Slack client side that talks to it."""

    url: str
    settings: Settings
    db: Database
    fake: FakeSlack
    sim: SlackSim


def serve(web: WebApp) -> tuple[str, _ThreadingWSGIServer]:
    """Serve a WSGI app on 127.0.0.1, port 0, in a background thread."""
    server = make_server(
        "127.0.0.1", 0, web, server_class=_ThreadingWSGIServer, handler_class=_QuietHandler
    )
    threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    ).start()
    return f"http://127.0.0.1:{server.server_port}", server


@pytest.fixture
def running(fake_slack: FakeSlack, db: Database, database_url: str) -> Iterator[RunningApp]:
    """The real Bolt app behind the real WSGI front, pointed at the stand-in."""
    from bot.sandbox import SlackSim

    settings = make_settings(fake_slack, database_url)
    app = build_app(settings, db)
    base, server = serve(WebApp(app, db))
    sim = SlackSim(fake_slack, app_url=f"{base}/slack/events", signing_secret=SIGNING_SECRET)
    yield RunningApp(url=base, settings=settings, db=db, fake=fake_slack, sim=sim)
    server.shutdown()
    server.server_close()


REPO_ROOT = Path(__file__).resolve().parents[1]
