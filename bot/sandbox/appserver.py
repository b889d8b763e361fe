"""BoltAppServer: serves a Bolt ``App`` over real HTTP on a free local port, for SlackSim."""

from __future__ import annotations

import json
import traceback
from http.server import BaseHTTPRequestHandler
from types import TracebackType
from typing import Any, ClassVar

from slack_bolt import App, BoltRequest

from bot.sandbox.local import LocalServer


class _BoltHandler(BaseHTTPRequestHandler):
    app: ClassVar[App]
    path_prefix: ClassVar[str]
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output quiet."""

    def do_POST(self) -> None:
        """Hand the request to Bolt exactly as its own adapters do."""
        path, _, query = self.path.partition("?")
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode("utf-8") if length else ""
        status: int
        headers: dict[str, Any]
        payload: str
        if path != self.path_prefix:
            status, headers, payload = 404, {}, ""
        else:
            try:
                request = BoltRequest(body=body, query=query, headers=dict(self.headers.items()))
                response = self.app.dispatch(request)
                status, headers = response.status, dict(response.headers)
                payload = (
                    response.body if isinstance(response.body, str) else json.dumps(response.body)
                )
            except Exception:  # keep serving; the test sees the 500 and the traceback
                status, headers, payload = 500, {}, traceback.format_exc()
        data = payload.encode("utf-8")
        self.send_response(status)
        for key, values in headers.items():
            if key.lower() == "content-length":
                continue
            for value in values if isinstance(values, (list, tuple)) else [values]:
                self.send_header(key, str(value))
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class BoltAppServer:
    """Runs a Bolt App behind ThreadingHTTPServer on 127.0.0.1:<free port>."""

    def __init__(self, app: App, *, path: str = "/slack/events") -> None:
        self.app = app
        self.path = path
        self._server: LocalServer | None = None

    def start(self) -> BoltAppServer:
        """Start serving in a daemon thread."""
        if self._server is None:
            handler = type(
                "BoltHandler", (_BoltHandler,), {"app": self.app, "path_prefix": self.path}
            )
            self._server = LocalServer(handler, name="bolt-app")
        return self

    def stop(self) -> None:
        """Stop serving."""
        server, self._server = self._server, None
        if server is not None:
            server.stop()

    @property
    def url(self) -> str:
        """The app's request URL, e.g. ``http://127.0.0.1:5123/slack/events``."""
        if self._server is None:
            raise RuntimeError("BoltAppServer is not started")
        return f"http://127.0.0.1:{self._server.port}{self.path}"

    def __enter__(self) -> BoltAppServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
