"""A threaded HTTP server on 127.0.0.1, port 0, for the stand-in and the apps it serves."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # Python's default listen backlog is 5: dozens of clients connecting at once (as Slack
    # or a load test does) overflowed it, and a connection could be reset.
    request_queue_size = 128


class LocalServer:
    """Serves one handler class on a free loopback port in a daemon thread."""

    def __init__(self, handler: type[BaseHTTPRequestHandler], name: str) -> None:
        self.server = _Server(("127.0.0.1", 0), handler)
        # A short poll interval keeps shutdown() (and so every test teardown) fast.
        self._thread = threading.Thread(
            target=self.server.serve_forever, name=name, kwargs={"poll_interval": 0.01}, daemon=True
        )
        self._thread.start()

    @property
    def port(self) -> int:
        """The port the server listens on."""
        return int(self.server.server_address[1])

    def stop(self) -> None:
        """Stop serving and wait for the thread."""
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=5)
