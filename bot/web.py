"""The WSGI application: Slack's endpoint plus health checks, served by gunicorn."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler

from bot.store.db import Database

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

SLACK_PATH = "/slack/events"
# Slack's payloads are a few kB; a cap keeps a hostile client from tying up a worker.
MAX_BODY_BYTES = 1_000_000


class WebApp:
    """Routes `/slack/events` to Bolt and `/healthz` to a database ping (and a socket check)."""

    def __init__(
        self, app: App | None, db: Database, *, connected: Callable[[], bool] | None = None
    ) -> None:
        # In Socket Mode there is no Slack traffic over HTTP (app=None); `connected` then
        # tells whether the WebSocket to Slack is up.
        self.slack = SlackRequestHandler(app, path=SLACK_PATH) if app is not None else None
        self.db = db
        self.connected = connected

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        """Dispatch one request."""
        path, method = environ.get("PATH_INFO", ""), environ.get("REQUEST_METHOD", "")
        if path == "/healthz":
            if method not in ("GET", "HEAD"):
                return _plain(start_response, "405 Method Not Allowed", "method not allowed\n")
            if not self.db.ping():
                return _plain(start_response, "503 Service Unavailable", "database unavailable\n")
            if self.connected is not None and not self.connected():
                return _plain(start_response, "503 Service Unavailable", "not connected to Slack\n")
            return _plain(start_response, "200 OK", "ok\n")
        if path == SLACK_PATH and self.slack is not None:
            if method != "POST":
                return _plain(start_response, "405 Method Not Allowed", "method not allowed\n")
            try:
                length = int(environ.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = -1
            if length < 0 or length > MAX_BODY_BYTES:
                return _plain(start_response, "413 Content Too Large", "request too large\n")
            if not environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP", "").isdigit():
                # slack_sdk's verifier crashes on a non-numeric timestamp instead of refusing it.
                return _plain(start_response, "401 Unauthorized", "invalid request\n")
            return self.slack(environ, start_response)
        return _plain(start_response, "404 Not Found", "not found\n")


def _plain(start_response: Any, status: str, text: str) -> list[bytes]:
    body = text.encode()
    start_response(
        status, [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))]
    )
    return [body]
