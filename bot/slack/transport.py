"""Slack clients that keep their HTTPS connections open between calls.

slack_sdk's synchronous `WebClient` and `WebhookClient` open a new connection (TCP and TLS
handshakes) for every call. The dispatcher posts thousands of DMs one after another, and
every slash command is answered through its `response_url`: both spent much of their time on
those handshakes. `KeepAliveWebClient`, `KeepAliveWebhookClient` and `KeepAliveRespond` are
the same clients with one persistent HTTP/1.1 connection per thread and host; everything
above the socket (arguments, retries, errors, responses) stays slack_sdk's and Bolt's own.

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

from slack_bolt.context.respond import Respond
from slack_bolt.context.respond.internals import _build_message
from slack_sdk.webhook import WebhookClient, WebhookResponse

from bot.observability import MeteredWebClient

Connection = http.client.HTTPConnection


class _KeptAlive:
    """One persistent connection per thread and (scheme, host), for a slack_sdk client
    (which provides `timeout` and `ssl`)."""

    timeout: int
    ssl: ssl.SSLContext | None
    idle_seconds: float
    _local: threading.local

    def _init_pool(self, idle_seconds: float, connections: threading.local | None) -> None:
        self.idle_seconds = idle_seconds
        self._local = connections if connections is not None else threading.local()

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

    def _exchange(self, url: str, req: Request) -> tuple[http.client.HTTPResponse, bytes]:
        """Send `req` over this thread's connection to its host; HTTPError if not 2xx."""
        parts = urlsplit(url)
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
        if not 200 <= response.status < 300:
            # What urllib raises; slack_sdk turns it into its response (429 Retry-After etc.).
            raise HTTPError(
                url, response.status, response.reason, response.headers, io.BytesIO(data)
            )
        return response, data


def _kept_alive(url: str, proxy: object) -> bool:
    return proxy is None and urlsplit(url).scheme in ("http", "https")


class KeepAliveWebClient(_KeptAlive, MeteredWebClient):
    """`WebClient` over persistent connections (one per thread and host)."""

    def __init__(self, *args: Any, idle_seconds: float = 20.0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._init_pool(idle_seconds, None)

    def _perform_urllib_http_request_internal(self, url: str, req: Request) -> dict[str, Any]:
        if not _kept_alive(url, self.proxy):
            return super()._perform_urllib_http_request_internal(url, req)
        response, data = self._exchange(url, req)
        headers = response.headers
        if headers.get_content_type() == "application/gzip":
            return {"status": response.status, "headers": headers, "body": data}
        charset = headers.get_content_charset() or "utf-8"
        return {"status": response.status, "headers": headers, "body": data.decode(charset)}


class KeepAliveWebhookClient(_KeptAlive, WebhookClient):
    """`WebhookClient` over persistent connections. Clients given the same `connections`
    (a `threading.local`) share them: one client per response_url, one connection per host."""

    def __init__(
        self,
        url: str,
        *,
        connections: threading.local | None = None,
        idle_seconds: float = 20.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(url=url, **kwargs)
        self._init_pool(idle_seconds, connections)

    def _perform_http_request_internal(self, url: str, req: Request) -> WebhookResponse:
        if not _kept_alive(url, self.proxy):
            return super()._perform_http_request_internal(url, req)  # type: ignore[no-any-return]
        response, data = self._exchange(url, req)
        charset = response.headers.get_content_charset() or "utf-8"
        return WebhookResponse(
            url=url,
            status_code=response.status,
            body=data.decode(charset),
            headers=dict(response.headers.items()),
        )


# The connections of every listener thread's answers to response_urls (hooks.slack.com).
_RESPONSE_CONNECTIONS = threading.local()


class KeepAliveRespond(Respond):
    """Bolt's `respond`, answering over a kept-alive connection to the response_url's host.

    Takes what Bolt's `respond` takes (text or a whole message dict, blocks, response_type,
    replace_original, ...) and builds the message with Bolt's own helper.
    """

    def __call__(self, text: str | dict[str, Any] = "", **fields: Any) -> WebhookResponse:  # type: ignore[override]
        if self.response_url is None:
            raise ValueError("respond is unsupported here as there is no response_url")
        message = (
            _build_message(**text)
            if isinstance(text, dict)
            else _build_message(text=text, **fields)
        )
        webhook = KeepAliveWebhookClient(
            self.response_url, connections=_RESPONSE_CONNECTIONS, proxy=self.proxy, ssl=self.ssl
        )
        return webhook.send_dict(message)
