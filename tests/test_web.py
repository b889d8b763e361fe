"""The WSGI front: health checks and routing."""

from __future__ import annotations

import urllib.error
import urllib.request
from pathlib import Path

from bot.app import build_app
from bot.store.db import Database
from bot.web import WebApp
from tests.conftest import RunningApp, serve


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def test_healthz_answers_200_while_the_database_answers(running: RunningApp) -> None:
    assert get(f"{running.url}/healthz") == (200, "ok\n")


def test_healthz_answers_503_when_the_database_does_not(
    running: RunningApp, tmp_path: Path
) -> None:
    broken = Database(f"sqlite:///{tmp_path}/no/such/dir/db.sqlite3")
    base, server = serve(WebApp(build_app(running.settings, running.db), broken))
    try:
        assert get(f"{base}/healthz") == (503, "database unavailable\n")
    finally:
        server.shutdown()
        broken.dispose()


def test_unknown_paths_are_404(running: RunningApp) -> None:
    assert get(f"{running.url}/nope")[0] == 404
    assert get(f"{running.url}/slack/events")[0] == 405  # Slack only POSTs
