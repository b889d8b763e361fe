"""A Web API client that keeps its HTTPS connection to Slack open between calls.

slack_sdk's synchronous `WebClient` opens a new connection (TCP and TLS handshakes) for every
call. A process that posts thousands of DMs one after another spends much of its time on those
handshakes. `KeepAliveWebClient` is the same client with one persistent HTTP/1.1 connection
per thread and host; everything above the socket (arguments, retries, errors, `SlackResponse`)
stays slack_sdk's own.

A connection that idled longer than `idle_seconds` is replaced before it is used, so that a
request is not written into a socket the server is just closing. A failure on the wire is
raised as `URLError`, exactly as urllib raises it, and the connection is dropped.
"""

from __future__ import annotations

import http.client
import io
import ssl
import threading
import time
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.parse import urlsplit
from urllib.request import Request

from bot.observability import MeteredWebClient

Connection = http.client.HTTPConnection


class KeepAliveWebClient(MeteredWebClient):
    """`WebClient` over persistent connections (one per thread and host)."""

    def __init__(self, *args: Any, idle_seconds: float = 20.0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.idle_seconds = idle_seconds
        self._local = threading.local()

    def close(self) -> None:
        """Close this thread's connections (others close when their threads end)."""
        pool: dict[tuple[str, str], tuple[Connection, float]] = getattr(self._local, "pool", {})
        for conn, _ in pool.values():
            conn.close()
        pool.clear()

    def _connection(self, scheme: str, netloc: str) -> Connection:
        pool: dict[tuple[str, str], tuple[Connection, float]] = self._local.__dict__.setdefault(
            "pool", {}
        )
        found = pool.pop((scheme, netloc), None)
        if found is not None:
            conn, last_used = found
            if time.monotonic() - last_used <= self.idle_seconds:
                return conn
            conn.close()
        if scheme == "https":
            context = self.ssl or ssl.create_default_context()
            return http.client.HTTPSConnection(netloc, timeout=self.timeout, context=context)
        return http.client.HTTPConnection(netloc, timeout=self.timeout)

    def _perform_urllib_http_request_internal(self, url: str, req: Request) -> dict[str, Any]:
        parts = urlsplit(url)
        if self.proxy is not None or parts.scheme not in ("http", "https"):
            return super()._perform_urllib_http_request_internal(url, req)
        conn = self._connection(parts.scheme, parts.netloc)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        body = req.data if isinstance(req.data, bytes) else None
        try:
            conn.request(req.get_method(), target, body=body, headers=dict(req.header_items()))
            response = conn.getresponse()
            data = response.read()
        except (http.client.HTTPException, OSError) as exc:
            conn.close()
            raise URLError(exc) from exc
        if response.will_close:
            conn.close()
        else:
            self._local.pool[(parts.scheme, parts.netloc)] = (conn, time.monotonic())
        headers = response.headers
        if not 200 <= response.status < 300:
            # What urllib raises; slack_sdk turns it into its response (429 Retry-After etc.).
            raise HTTPError(url, response.status, response.reason, headers, io.BytesIO(data))
        if headers.get_content_type() == "application/gzip":
            return {"status": response.status, "headers": headers, "body": data}
        charset = headers.get_content_charset() or "utf-8"
        return {"status": response.status, "headers": headers, "body": data.decode(charset)}
