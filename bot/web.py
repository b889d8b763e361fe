"""The WSGI application: Slack's endpoint plus health checks and metrics, served by gunicorn.

- `/slack/events`: Slack's requests, handed to Bolt (HTTP mode only).
- `/slack/install` and `/slack/oauth_redirect`: the OAuth install flow (only with
  SLACK_CLIENT_ID and SLACK_CLIENT_SECRET).
- `/healthz`: liveness; 200 while the process runs and the database answers (and, in
  Socket Mode, the WebSocket to Slack is up).
- `/readyz`: readiness; 200 only when the database answers and its schema is at the
  migrations' head, so a replica of a newer release waits for `mentor-bot migrate`.
- `/metrics`: Prometheus text format (see bot/observability.py).
"""

from __future__ import annotations

import hmac
import io
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler

from bot.observability import observe_request, render_metrics, request_kind, start_request
from bot.slack.workspaces import INSTALL_PATH, REDIRECT_PATH
from bot.store import migrate
from bot.store.db import Database

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

SLACK_PATH = "/slack/events"
# Slack's payloads are a few kB; a cap keeps a hostile client from tying up a worker.
MAX_BODY_BYTES = 1_000_000


class WebApp:
    """Routes `/slack/events` to Bolt, and the probes and metrics to the database."""

    def __init__(
        self,
        app: App | None,
        db: Database,
        *,
        connected: Callable[[], bool] | None = None,
        draining: Callable[[], bool] | None = None,
        metrics_token: str | None = None,
    ) -> None:
        # In Socket Mode there is no Slack traffic over HTTP (app=None); `connected` then
        # tells whether the WebSocket to Slack is up.
        self.slack = SlackRequestHandler(app, path=SLACK_PATH) if app is not None else None
        # With OAuth, Bolt also serves the install page and Slack's redirect back (GET).
        self.oauth_paths = (
            {INSTALL_PATH, REDIRECT_PATH}
            if app is not None and app.oauth_flow is not None
            else set[str]()
        )
        self.db = db
        self.connected = connected
        # True once the process was asked to stop: still serving, but no longer ready.
        self.draining = draining or (lambda: False)
        self.metrics_token = metrics_token

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
        if path == "/readyz":
            if method not in ("GET", "HEAD"):
                return _plain(start_response, "405 Method Not Allowed", "method not allowed\n")
            return self._ready(start_response)
        if path == "/metrics":
            if method not in ("GET", "HEAD"):
                return _plain(start_response, "405 Method Not Allowed", "method not allowed\n")
            if not self._may_scrape(environ):
                return _plain(
                    start_response,
                    "401 Unauthorized",
                    "a bearer token is required\n",
                    [("WWW-Authenticate", 'Bearer realm="metrics"')],
                )
            body = render_metrics(self.db)
            start_response(
                "200 OK",
                [
                    ("Content-Type", "text/plain; version=0.0.4; charset=utf-8"),
                    ("Content-Length", str(len(body))),
                ],
            )
            return [body]
        if path in self.oauth_paths and self.slack is not None:
            if method != "GET":
                return _plain(start_response, "405 Method Not Allowed", "method not allowed\n")
            return self.slack(environ, start_response)
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
            return self._slack(environ, start_response, length)
        return _plain(start_response, "404 Not Found", "not found\n")

    def _slack(
        self, environ: WSGIEnvironment, start_response: StartResponse, length: int
    ) -> Iterable[bytes]:
        """Hand the request to Bolt; count it and time its ack (Bolt answers once acked)."""
        assert self.slack is not None
        started = time.perf_counter()
        start_request()
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        kind = request_kind(environ.get("CONTENT_TYPE", ""), body)
        status = [500]

        def recording(code: str, headers: Any, exc_info: Any = None) -> Any:
            status[0] = int(code.split(" ", 1)[0])
            return start_response(code, headers, exc_info)

        try:
            return self.slack(environ, recording)
        finally:
            observe_request(kind, status[0], time.perf_counter() - started)

    def _may_scrape(self, environ: WSGIEnvironment) -> bool:
        """Without MENTOR_METRICS_TOKEN anyone may; with it, only its bearer."""
        if self.metrics_token is None:
            return True
        scheme, _, given = environ.get("HTTP_AUTHORIZATION", "").partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(
            given.strip().encode(), self.metrics_token.encode()
        )

    def _ready(self, start_response: StartResponse) -> list[bytes]:
        if self.draining():
            return _plain(start_response, "503 Service Unavailable", "draining\n")
        try:
            problem = migrate.pending_message(self.db.engine)
        except Exception:
            return _plain(start_response, "503 Service Unavailable", "database unavailable\n")
        if problem is not None:
            return _plain(start_response, "503 Service Unavailable", problem + "\n")
        if self.connected is not None and not self.connected():
            return _plain(start_response, "503 Service Unavailable", "not connected to Slack\n")
        return _plain(start_response, "200 OK", "ready\n")


def _plain(
    start_response: Any, status: str, text: str, extra: list[tuple[str, str]] | None = None
) -> list[bytes]:
    body = text.encode()
    headers = [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))]
    start_response(status, headers + (extra or []))
    return [body]
