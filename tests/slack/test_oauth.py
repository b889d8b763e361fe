"""Several workspaces: the OAuth install flow, tokens encrypted at rest, each team's token used."""

from __future__ import annotations

import datetime as dt
import os
import re
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select

from bot.app import build_app
from bot.config import Settings
from bot.sandbox import FakeSlack, SlackSim
from bot.scheduling import dispatch_workspaces, make_dispatcher, plan_pass, timing_from
from bot.services.catalog import load_catalog
from bot.slack.workspaces import NotInstalled
from bot.store.db import Database
from bot.store.installations import TokenCipher
from bot.store.models import Outbox, OutboxStatus, Workspace, slack_bots, slack_installations
from bot.web import WebApp
from tests.conftest import SIGNING_SECRET, make_settings, serve
from tests.helpers import make_pair, text_of
from tests.test_cli import run_cli

CLIENT_ID, CLIENT_SECRET = "1234567890.987654321", "app-client-secret-for-tests"
KEY = Fernet.generate_key().decode()
WED = dt.date(2026, 12, 2)


@dataclass
class Distributed:
    url: str
    settings: Settings
    db: Database
    fake: FakeSlack
    sim: SlackSim


@pytest.fixture
def distributed(fake_slack: FakeSlack, db: Database, database_url: str) -> Iterator[Distributed]:
    """The app with OAuth on (no bot token of its own), served over HTTP."""
    fake_slack.enable_oauth(CLIENT_ID, CLIENT_SECRET)
    settings = make_settings(
        fake_slack,
        database_url,
        slack_bot_token=None,
        slack_client_id=CLIENT_ID,
        slack_client_secret=CLIENT_SECRET,
        mentor_token_key=KEY,
    )
    base, server = serve(WebApp(build_app(settings, db), db))
    sim = SlackSim(fake_slack, app_url=f"{base}/slack/events", signing_secret=SIGNING_SECRET)
    yield Distributed(base, settings, db, fake_slack, sim)
    server.shutdown()


def _get(app: Distributed, path: str, cookie: str = "", language: str = "") -> tuple[int, str, str]:
    """GET like a browser; returns status, page and the cookie the page set."""
    headers = {"Cookie": cookie, "Accept-Language": language}
    request = urllib.request.Request(f"{app.url}{path}", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=5) as resp:
            set_cookie = resp.headers.get("Set-Cookie", "")
            return resp.status, resp.read().decode(), set_cookie.split(";", 1)[0]
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(), exc.headers.get("Set-Cookie", "").split(";", 1)[0]


def _start(app: Distributed, language: str = "") -> tuple[str, str, str]:
    """Open /slack/install: returns the page, the state in its button and the cookie."""
    status, page, cookie = _get(app, "/slack/install", language=language)
    assert status == 200
    # Bolt ties the state to this cookie (Secure: a browser sends it back over https only).
    assert cookie.startswith("slack-app-oauth-state=")
    state = re.search(r"[?&;]state=([\w-]+)", page)
    assert state is not None, page
    return page, state.group(1), cookie


def install(app: Distributed, user: str = "UANNA", language: str = "") -> str:
    """Click "Add to Slack", allow, come back: returns the page the installer sees."""
    page, state, cookie = _start(app, language)
    assert f"client_id={CLIENT_ID}" in page
    assert "scope=commands,chat:write" in page
    code = app.fake.approve_install(user)
    status, page, cleared = _get(
        app, f"/slack/oauth_redirect?code={code}&state={state}", cookie, language
    )
    assert status == 200, page
    assert cleared == "slack-app-oauth-state=deleted"  # the state cookie is spent
    return page


def test_installing_stores_only_encrypted_tokens_and_serves_the_workspace(
    distributed: Distributed,
) -> None:
    app = distributed
    # Before anyone installed the app, Bolt cannot authorise a request from the workspace:
    # the person is told so, and nothing else happens.
    assert app.sim.slash("UANNA", "help").status == 200
    (notice,) = app.fake.wait_for("response_url")
    assert "reinstall this app" in text_of(notice.args)
    assert not app.fake.calls_to("users.info")
    install(app)
    (token,) = app.fake.installed_tokens
    with app.db.engine.connect() as conn:
        (stored,) = conn.execute(
            select(slack_installations.c.bot_token, slack_installations.c.team_id)
        )
        (bot,) = conn.execute(select(slack_bots.c.bot_token))
    assert stored.team_id == app.fake.team_id
    for ciphertext in (stored.bot_token, bot.bot_token):
        assert token not in ciphertext
        assert TokenCipher([KEY]).decrypt(ciphertext) == token
    # Now requests from the workspace are served, with the workspace's own token.
    assert app.sim.slash("UANNA", "help").status == 200
    reply = app.fake.wait_for("response_url", count=2)[-1]
    assert "/mentor join" in text_of(reply.args)
    users_info = app.fake.calls_to("users.info")
    assert users_info
    assert all(c.headers.get("authorization") == f"Bearer {token}" for c in users_info)


def test_a_reused_code_or_a_forged_state_installs_nothing(distributed: Distributed) -> None:
    app = distributed
    _, state, _ = _start(app)
    code = app.fake.approve_install("UANNA")
    # A state the app never issued, or its state without the browser's cookie: refused,
    # with a page that says why and how to start again.
    forged = "slack-app-oauth-state=forged"
    status, page, _ = _get(app, f"/slack/oauth_redirect?code={code}&state=forged", forged)
    assert status == 401
    assert "expired or was used already" in page and 'href="/slack/install"' in page
    status, page, _ = _get(app, f"/slack/oauth_redirect?code={code}&state={state}", language="de")
    assert status == 400
    assert "in einem anderen Browser geöffnet" in page and '<html lang="de">' in page
    with app.db.engine.connect() as conn:
        assert conn.execute(select(slack_installations.c.id)).first() is None
    assert app.fake.installed_tokens == set()


def test_the_install_pages_speak_the_browsers_language(distributed: Distributed) -> None:
    app = distributed
    page, _, _ = _start(app, language="fr-CH, de;q=0.9, en;q=0.8")
    assert '<html lang="de">' in page and "Zu Slack hinzufügen" in page
    assert "vertraulichem Feedback" in page
    # Self-contained: no image or script from another host.
    assert "slack-edge.com" not in page and "<script" not in page
    english, _, _ = _start(app)
    assert '<html lang="en">' in english and "Add to Slack" in english
    done = install(app, language="de-DE")
    assert "mentor-bot ist jetzt in Sandbox Workspace installiert" in done
    assert f"slack://app?team={app.fake.team_id}&amp;id=" in done


def test_an_installer_who_cancels_at_slack_is_told_so(distributed: Distributed) -> None:
    app = distributed
    _, state, cookie = _start(app)
    status, page, _ = _get(app, f"/slack/oauth_redirect?error=access_denied&state={state}", cookie)
    assert status == 200
    assert "The installation was cancelled, so nothing was installed." in page
    assert 'href="/slack/install"' in page
    assert app.fake.installed_tokens == set()


def test_the_dispatcher_sends_with_each_installations_token_until_uninstalled(
    distributed: Distributed,
) -> None:
    app = distributed
    install(app)
    (token,) = app.fake.installed_tokens
    make_pair(app.db, first_meeting=WED)
    plan_pass(app.db, timing_from(app.settings), dt.datetime(2026, 12, 1, 12, tzinfo=dt.UTC))
    dispatcher = make_dispatcher(
        app.settings, app.db, dispatch_workspaces(app.settings, app.db), load_catalog()
    )
    nudge_time = dt.datetime(2026, 12, 2, 8, 1, tzinfo=dt.UTC)
    first = dispatcher.run(nudge_time)
    assert first.sent == 2
    posts = app.fake.calls_to("chat.postMessage")
    assert {c.headers.get("authorization") for c in posts} == {f"Bearer {token}"}

    # The workspace uninstalls the app: Slack sends app_uninstalled, the installation goes.
    assert app.sim.event({"type": "app_uninstalled"}).status == 200

    def bots_left() -> bool:
        with app.db.engine.connect() as conn:
            return conn.execute(select(slack_bots.c.id)).first() is not None

    deadline = time.monotonic() + 5  # Bolt acks events first, then runs the listener
    while bots_left() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not bots_left()
    with pytest.raises(NotInstalled):
        dispatch_workspaces(app.settings, app.db).client(app.fake.team_id)
    # Anything still due for it fails at once instead of retrying into a void.
    plan_pass(app.db, timing_from(app.settings), nudge_time + dt.timedelta(days=6))
    later = make_dispatcher(
        app.settings, app.db, dispatch_workspaces(app.settings, app.db), load_catalog()
    ).run(nudge_time + dt.timedelta(days=7))
    assert later.sent == 0
    assert later.failed == 2
    with app.db.sessions() as s:
        failed = s.scalars(select(Outbox).where(Outbox.status == OutboxStatus.FAILED)).all()
    assert {r.last_error for r in failed} == {"not_installed"}


def test_mentor_bot_tick_sends_with_the_installations_token(
    distributed: Distributed, tmp_path: Path
) -> None:
    app = distributed
    install(app)
    (token,) = app.fake.installed_tokens
    make_pair(app.db, first_meeting=WED)
    plan_pass(app.db, timing_from(app.settings), dt.datetime(2026, 12, 1, 12, tzinfo=dt.UTC))
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "MENTOR_", "DATABASE"))
    }
    env |= {
        "DATABASE_URL": app.settings.database_url,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": app.fake.api_url,
        "SLACK_CLIENT_ID": CLIENT_ID,
        "SLACK_CLIENT_SECRET": CLIENT_SECRET,
        "MENTOR_TOKEN_KEY": KEY,
    }
    done = run_cli("tick", "--now", "2026-12-02T08:01:00Z", env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    posts = app.fake.wait_for("chat.postMessage", count=2)
    assert {c.headers.get("authorization") for c in posts} == {f"Bearer {token}"}


def test_a_grid_workspace_is_remembered_with_its_organisation(distributed: Distributed) -> None:
    app = distributed
    app.fake.enterprise_id = "E0ORG"
    install(app)
    assert app.sim.slash("UANNA", "help").status == 200
    app.fake.wait_for("response_url")
    with app.db.sessions() as s:
        assert s.get(Workspace, app.fake.team_id).enterprise_id == "E0ORG"  # type: ignore[union-attr]
    # The dispatcher, knowing only the workspace, finds its installation.
    assert dispatch_workspaces(app.settings, app.db).client(app.fake.team_id).token
