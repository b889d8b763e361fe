"""FakeSlack: a local stand-in for the Slack Web API that enforces Slack's published contract."""

from __future__ import annotations

import base64
import copy
import datetime as dt
import email.parser
import email.policy
import hashlib
import json
import math
import random
import secrets
import string
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler
from types import TracebackType
from typing import Any, ClassVar
from urllib.parse import parse_qsl, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.sandbox import viewstate
from bot.sandbox.blockkit import validate_message, validate_view
from bot.sandbox.local import LocalServer
from bot.sandbox.socket_mode import LINK_PATH, SocketModeHub
from bot.sandbox.specs import method_spec

JSON_CONTENT_TYPE = "application/json; charset=utf-8"
DEFAULT_SCOPES = (
    "chat:write",
    "commands",
    "im:write",
    "mpim:write",
    "users:read",
    "users:read.email",
    "usergroups:read",
    "team:read",
    "files:write",
)
# Arguments Slack accepts as JSON-encoded strings inside form bodies.
_JSON_FIELDS = {"blocks", "attachments", "view", "files", "metadata"}
# slack_sdk's WebClient(team_id=...) (which Bolt uses per request) adds team_id to every call;
# Slack reads it as the workspace selector for org-wide tokens, on any method.
_UNIVERSAL_ARGS = {"token", "team_id"}
_ID_ALPHABET = string.ascii_uppercase + string.digits
# Methods that take the app-level token (xapp-…) instead of the bot token.
_APP_TOKEN_METHODS = frozenset({"apps.connections.open"})
# Methods an app calls with its client id and secret (HTTP Basic), not with a token.
_CLIENT_AUTH_METHODS = frozenset({"oauth.v2.access"})
# Methods inject_faults() leaves alone unless named: start-up and Socket Mode connects.
_FAULT_EXEMPT_METHODS = frozenset({"auth.test", "apps.connections.open"})
SLACKBOT_ID = "USLACKBOT"


@dataclass
class SlackUser:
    """A workspace member as the fake's users.* methods report it."""

    id: str
    name: str
    real_name: str = ""
    locale: str = "en-US"
    tz: str = "Europe/Berlin"
    deleted: bool = False
    is_bot: bool = False
    team_id: str | None = None
    email: str | None = None
    display_name: str = ""
    is_admin: bool = False
    title: str = ""


@dataclass
class Call:
    """One request the bot made to the fake: Web API, response_url, upload, or ``websocket``."""

    method: str
    args: dict[str, Any]
    headers: dict[str, str]
    status: int
    response: dict[str, Any]
    ts: float = field(default_factory=time.time)
    http_method: str = "POST"
    path: str = ""


@dataclass
class _Fault:
    error: str | None
    status: int
    retry_after: int | None


@dataclass
class _RateLimit:
    """A token bucket: ``burst`` tokens at most, refilled at ``per_second`` tokens/s."""

    per_second: float
    burst: int
    tokens: float
    updated: float

    def take(self, now: float) -> float | None:
        """Spend one token and return None, or return the seconds until one is available."""
        elapsed = max(0.0, now - self.updated)
        self.tokens = min(float(self.burst), self.tokens + elapsed * self.per_second)
        self.updated = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return None
        return (1.0 - self.tokens) / self.per_second


@dataclass
class _FaultInjection:
    rate: float
    statuses: tuple[int, ...]
    retry_after: int
    methods: frozenset[str] | None
    rng: random.Random

    def applies_to(self, method: str) -> bool:
        if self.methods is None:
            return method not in _FAULT_EXEMPT_METHODS
        return method in self.methods


@dataclass
class _Trigger:
    issued: float
    user_id: str | None
    view_id: str | None
    used: bool = False


@dataclass
class _Hook:
    kind: str
    created: float
    user_id: str | None
    channel_id: str | None
    message_ts: str | None
    uses: int = 0
    posted_ts: str | None = None


class _ApiError(Exception):
    def __init__(
        self,
        error: str,
        violation: str | Iterable[str] | None = None,
        *,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(error)
        self.error = error
        if violation is None:
            self.violations: list[str] = []
        elif isinstance(violation, str):
            self.violations = [violation]
        else:
            self.violations = list(violation)
        self.extra = dict(extra or {})


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes")
    return bool(value)


def _short_hash(*parts: str, length: int = 8) -> str:
    digest = hashlib.sha256("|".join(parts).encode()).digest()
    return base64.b32encode(digest).decode()[:length]


class _Handler(BaseHTTPRequestHandler):
    fake: ClassVar[FakeSlack]
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes: without TCP_NODELAY a kept-alive connection
    # waits for the client's delayed ACK (40 ms) on every response, unlike Slack.
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output quiet."""

    def do_GET(self) -> None:
        """Serve a GET request, or upgrade a Socket Mode link to a WebSocket."""
        if urlsplit(self.path).path == LINK_PATH:
            self.fake._sockets.serve(self)
        else:
            self._serve("GET")

    def do_POST(self) -> None:
        """Serve a POST request."""
        self._serve("POST")

    def _serve(self, verb: str) -> None:
        try:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length > 0 else b""
            if len(body) < length:
                # The client went away mid-request (a killed process): like any HTTP server,
                # Slack never sees a call it did not receive whole. Nothing to answer.
                self.close_connection = True
                return
            headers = {k.lower(): v for k, v in self.headers.items()}
            status, out_headers, payload = self.fake._dispatch(verb, self.path, headers, body)
        except Exception:  # the server thread must survive anything
            self.fake._record_violation(
                f"fake Slack crashed on {self.path}: {traceback.format_exc()}"
            )
            status, out_headers = 500, {"Content-Type": JSON_CONTENT_TYPE}
            payload = b'{"ok":false,"error":"fatal_error"}'
        self.send_response(status)
        for key, value in out_headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


class FakeSlack:
    """A local Slack Web API that records every call and reports every contract violation."""

    def __init__(
        self,
        team_id: str = "T0001",
        bot_token: str = "xoxb-test-token",  # noqa: S107 - a test token
        *,
        team_name: str = "Sandbox Workspace",
        team_domain: str = "sandbox",
        bot_user_id: str = "U0SANDBOT",
        bot_id: str = "B0SANDBOT",
        bot_name: str = "mentor-bot",
        app_id: str = "A0SANDAPP",
        scopes: Iterable[str] = DEFAULT_SCOPES,
        enterprise_id: str | None = None,
        app_token: str = "xapp-1-test",  # noqa: S107 - a test token
    ) -> None:
        self.team_id = team_id
        self.bot_token = bot_token
        self.app_token = app_token
        self.team_name = team_name
        self.team_domain = team_domain
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.bot_name = bot_name
        self.app_id = app_id
        self.scopes = tuple(scopes)
        self.enterprise_id = enterprise_id
        self.trigger_ttl = 3.0
        self.response_url_ttl = 30 * 60.0
        self.response_url_max_uses = 5
        self.max_view_stack = 3

        self.users: dict[str, SlackUser] = {}
        self.channels: dict[str, dict[str, Any]] = {}
        self.usergroups: dict[str, list[str]] = {}
        self.calls: list[Call] = []
        self.violations: list[str] = []
        self.messages: list[dict[str, Any]] = []
        self.views: dict[str, dict[str, Any]] = {}
        self.home_views: dict[str, dict[str, Any]] = {}
        self.files: dict[str, dict[str, Any]] = {}
        # OAuth distribution: the app's credentials, codes waiting to be exchanged (code ->
        # installing user), and the bot tokens installations received.
        self.oauth_client: tuple[str, str] | None = None
        self._oauth_codes: dict[str, str] = {}
        self.installed_tokens: set[str] = set()

        self._lock = threading.RLock()
        self._cond = threading.Condition(self._lock)
        self._stacks: dict[str, list[str]] = {}
        self._view_owner: dict[str, str] = {}
        self._triggers: dict[str, _Trigger] = {}
        self._hooks: dict[str, _Hook] = {}
        self._faults: dict[str, deque[_Fault]] = {}
        self._rate_limits: dict[str, _RateLimit] = {}
        self._injection: _FaultInjection | None = None
        # Calls answered 429 by set_rate_limit(), and calls failed by inject_faults(), per method.
        self.rate_limited: dict[str, int] = {}
        self.injected_faults: dict[str, int] = {}
        self._last_ts_us = 0
        self._counter = 0
        self._server: LocalServer | None = None
        self._sockets = SocketModeHub(self._record_violation, self._record_upgrade)

        self.add_user(
            SlackUser(id=bot_user_id, name=bot_name, real_name=bot_name, is_bot=True, tz="UTC")
        )
        # Slackbot is listed by users.list with is_bot=false, a classic trap for bots.
        self.add_user(
            SlackUser(
                id=SLACKBOT_ID, name="slackbot", real_name="Slackbot", tz="America/Los_Angeles"
            )
        )

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> FakeSlack:
        """Start serving on 127.0.0.1 on a free port, in a daemon thread."""
        if self._server is None:
            handler = type("FakeSlackHandler", (_Handler,), {"fake": self})
            self._server = LocalServer(handler, name="fake-slack")
        return self

    def stop(self) -> None:
        """Stop the server."""
        server, self._server = self._server, None
        self._sockets.close_all()
        if server is not None:
            server.stop()

    def __enter__(self) -> FakeSlack:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        if self._server is None:
            raise RuntimeError("FakeSlack is not started; call start() first")
        return f"http://127.0.0.1:{self._server.port}"

    @property
    def api_url(self) -> str:
        """Base URL for ``WebClient(base_url=...)``, with the trailing slash slack_sdk needs."""
        return f"{self.base_url}/api/"

    # ------------------------------------------------------------------ Socket Mode
    @property
    def socket_connections(self) -> int:
        """How many Socket Mode WebSockets are open."""
        return self._sockets.count

    def wait_for_socket(self, timeout: float = 5.0, *, count: int = 1) -> None:
        """Block until exactly ``count`` Socket Mode sockets are open (0: until all closed)."""
        if not self._sockets.wait_for(count, timeout):
            raise AssertionError(
                f"expected {count} open Socket Mode connection(s) within {timeout}s, "
                f"got {self.socket_connections}"
            )

    def send_envelope(
        self, envelope: Mapping[str, Any], timeout: float = 3.0
    ) -> dict[str, Any] | None:
        """Send a Socket Mode envelope to the app; return its ack frame, or None on timeout."""
        return self._sockets.exchange(envelope, timeout)

    def request_reconnect(self, reason: str = "refresh_requested") -> int:
        """Send Slack's ``disconnect`` frame on every open socket; return how many got it."""
        return self._sockets.broadcast(
            {
                "type": "disconnect",
                "reason": reason,
                "num_connections": self.socket_connections,
                "debug_info": {"host": "applink-sandbox"},
                "connection_info": {"app_id": self.app_id},
            }
        )

    # ------------------------------------------------------------------ test setup
    def add_user(self, user: SlackUser) -> SlackUser:
        """Add (or replace) a workspace member; team_id defaults to the fake's team."""
        stored = replace(user, team_id=user.team_id or self.team_id)
        with self._lock:
            self.users[stored.id] = stored
        return stored

    def add_channel(
        self, channel_id: str, name: str, *, is_private: bool = False, members: Iterable[str] = ()
    ) -> dict[str, Any]:
        """Add a public (C…) or private channel the bot may post to."""
        channel = {
            "id": channel_id,
            "name": name,
            "is_channel": not is_private,
            "is_group": is_private,
            "is_im": False,
            "is_mpim": False,
            "is_private": is_private,
            "members": list(members),
        }
        with self._lock:
            self.channels[channel_id] = channel
        return channel

    def add_usergroup(self, usergroup_id: str, users: Iterable[str]) -> None:
        """Add a user group (S…) for usergroups.users.list."""
        with self._lock:
            self.usergroups[usergroup_id] = list(users)

    def dm_channel_id(self, user_id: str) -> str:
        """Return the stable D… id of the app's DM with a user (and make sure it exists)."""
        channel_id = "D" + _short_hash(self.team_id, user_id)
        with self._lock:
            if channel_id not in self.channels:
                self.channels[channel_id] = {
                    "id": channel_id,
                    "is_im": True,
                    "is_mpim": False,
                    "is_channel": False,
                    "is_group": False,
                    "is_private": True,
                    "user": user_id,
                    "name": "directmessage",
                    "members": [user_id, self.bot_user_id],
                }
        return channel_id

    def enable_oauth(self, client_id: str, client_secret: str) -> None:
        """Let this workspace install the app through OAuth, with these app credentials."""
        self.oauth_client = (client_id, client_secret)

    def approve_install(self, user_id: str) -> str:
        """What Slack does when `user_id` clicks "Allow" on the authorize page: a one-time code."""
        with self._lock:
            code = f"{self.team_id}.{secrets.token_hex(8)}"
            self._oauth_codes[code] = user_id
        return code

    def fail_next(
        self,
        method: str,
        *,
        error: str | None = None,
        status: int = 200,
        retry_after: int | None = None,
        times: int = 1,
    ) -> None:
        """Make the next ``times`` calls of ``method`` fail (not a violation: Slack does this)."""
        if status == 200 and error is None:
            raise ValueError("give an error code or a non-200 status")
        with self._lock:
            queue = self._faults.setdefault(method, deque())
            for _ in range(times):
                queue.append(_Fault(error=error, status=status, retry_after=retry_after))

    def set_rate_limit(
        self, method: str, per_second: float | None, *, burst: int | None = None
    ) -> None:
        """Rate-limit one Web API method with a token bucket (None: remove the limit).

        The bucket starts full with ``burst`` tokens (default ``max(1, ceil(per_second))``)
        and refills ``per_second`` tokens a second. A call that finds it empty is answered
        like Slack does: HTTP 429, ``Retry-After`` in whole seconds, ``ratelimited``; it is
        not handled and is counted in ``rate_limited[method]`` (not a violation).
        """
        if method_spec(method) is None:
            raise ValueError(f"{method!r} is not a Slack Web API method")
        if per_second is None:
            with self._lock:
                self._rate_limits.pop(method, None)
            return
        if not (math.isfinite(per_second) and per_second > 0):
            raise ValueError("per_second must be a positive number (or None)")
        capacity = max(1, math.ceil(per_second)) if burst is None else burst
        if capacity < 1:
            raise ValueError("burst must be at least 1")
        with self._lock:
            self._rate_limits[method] = _RateLimit(
                per_second=float(per_second),
                burst=capacity,
                tokens=float(capacity),
                updated=time.monotonic(),
            )

    def inject_faults(
        self,
        rate: float,
        *,
        statuses: tuple[int, ...] = (429, 500),
        retry_after: int = 1,
        methods: Iterable[str] | None = None,
        seed: int | None = None,
    ) -> None:
        """Fail a random fraction ``rate`` of Web API calls (0: stop); not violations.

        Each failure picks a status from ``statuses`` uniformly: 429 answers ``ratelimited``
        with ``Retry-After: retry_after``, 503 ``service_unavailable``, other 5xx
        ``fatal_error``. Applies to ``methods``, or to every method but auth.test and
        apps.connections.open when None. Failed calls are not handled and are counted in
        ``injected_faults[method]``. ``seed`` makes the sequence of draws reproducible.
        """
        if not (0.0 <= rate <= 1.0):
            raise ValueError("rate must be between 0 and 1")
        if rate == 0:
            with self._lock:
                self._injection = None
            return
        statuses = tuple(statuses)
        if not statuses or any(s != 429 and not 500 <= s <= 599 for s in statuses):
            raise ValueError("statuses must be non-empty and each 429 or 5xx")
        if retry_after < 0:
            raise ValueError("retry_after must be >= 0")
        chosen: frozenset[str] | None = None
        if methods is not None:
            chosen = frozenset([methods] if isinstance(methods, str) else methods)
            unknown = sorted(m for m in chosen if method_spec(m) is None)
            if unknown:
                raise ValueError(f"not Slack Web API methods: {', '.join(unknown)}")
        with self._lock:
            self._injection = _FaultInjection(
                rate=rate,
                statuses=statuses,
                retry_after=retry_after,
                methods=chosen,
                rng=random.Random(seed),  # noqa: S311 - fault injection, not cryptography
            )

    def new_trigger_id(self, user_id: str | None = None, *, view_id: str | None = None) -> str:
        """Issue a trigger_id (valid ``trigger_ttl`` s, single use) as an interaction would."""
        with self._lock:
            self._counter += 1
            # Same shape as Slack's "132456.7890123.abcdef".
            trigger_id = f"{self._counter}.{time.time_ns() // 1000}.{secrets.token_hex(16)}"
            self._triggers[trigger_id] = _Trigger(time.monotonic(), user_id, view_id)
        return trigger_id

    def response_url(
        self,
        kind: str = "commands",
        *,
        user_id: str | None = None,
        channel_id: str | None = None,
        message_ts: str | None = None,
    ) -> str:
        """Issue a response_url on this server (5 posts within 30 minutes, like Slack's)."""
        with self._lock:
            self._counter += 1
            path = f"/hooks/{kind}/{self.team_id}/{self._counter}/{secrets.token_urlsafe(18)}"
            self._hooks[path] = _Hook(kind, time.monotonic(), user_id, channel_id, message_ts)
        return self.base_url + path

    def reset(self) -> None:
        """Forget calls, violations, messages, views, faults, rate limits; keep users, channels."""
        with self._lock:
            self.calls.clear()
            self.violations.clear()
            self.messages.clear()
            self.views.clear()
            self.home_views.clear()
            self.files.clear()
            self._stacks.clear()
            self._view_owner.clear()
            self._triggers.clear()
            self._hooks.clear()
            self._faults.clear()
            self._rate_limits.clear()
            self._injection = None
            self.rate_limited.clear()
            self.injected_faults.clear()

    # ------------------------------------------------------------------ assertions
    def calls_to(self, method: str) -> list[Call]:
        """Return the recorded calls of one method, in order."""
        with self._lock:
            return [c for c in self.calls if c.method == method]

    def wait_for(
        self,
        method: str,
        predicate: Callable[[Call], bool] = lambda call: True,
        timeout: float = 5.0,
        count: int = 1,
    ) -> list[Call]:
        """Block until ``count`` calls of ``method`` match ``predicate``; return all matches."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                matches = [c for c in self.calls if c.method == method and predicate(c)]
                if len(matches) >= count:
                    return matches
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    seen = "\n".join(
                        f"  {c.method} -> {c.status} {json.dumps(c.args, default=str)[:300]}"
                        for c in self.calls
                    )
                    raise AssertionError(
                        f"expected {count} matching call(s) to {method} within {timeout}s, "
                        f"got {len(matches)}; calls seen:\n{seen or '  (none)'}"
                    )
                self._cond.wait(remaining)

    def assert_no_violations(self) -> None:
        """Raise AssertionError listing every recorded contract violation."""
        with self._lock:
            found = list(self.violations)
        if found:
            listing = "\n".join(f" - {v}" for v in found)
            raise AssertionError(f"{len(found)} Slack contract violation(s):\n{listing}")

    def open_views(self, user_id: str) -> list[dict[str, Any]]:
        """Return the user's open modal stack, root first."""
        with self._lock:
            return [self.views[v] for v in self._stacks.get(user_id, [])]

    # ------------------------------------------------------------------ internals: ids
    def _new_id(self, prefix: str, taken: Mapping[str, Any]) -> str:
        while True:
            candidate = prefix + "".join(secrets.choice(_ID_ALPHABET) for _ in range(10))
            if candidate not in taken:
                return candidate

    def _new_hash(self) -> str:
        return f"{time.time():.6f}.{viewstate.random_id(8)}"

    def _next_ts(self) -> str:
        with self._lock:
            now_us = time.time_ns() // 1000
            self._last_ts_us = max(self._last_ts_us + 1, now_us)
            return f"{self._last_ts_us // 1_000_000}.{self._last_ts_us % 1_000_000:06d}"

    # ------------------------------------------------------------------ internals: recording
    def _record_violation(self, message: str) -> None:
        with self._cond:
            self.violations.append(message)
            self._cond.notify_all()

    def _record(self, call: Call, violations: Iterable[str] = ()) -> None:
        with self._cond:
            self.calls.append(call)
            self.violations.extend(violations)
            self._cond.notify_all()

    # ------------------------------------------------------------------ HTTP routing
    def _dispatch(
        self, verb: str, raw_path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        parts = urlsplit(raw_path)
        path = parts.path
        if path.startswith("/api/"):
            status, extra, response = self._handle_api(
                verb, path[len("/api/") :], parts.query, headers, body
            )
            out = {"Content-Type": JSON_CONTENT_TYPE, **extra}
            return status, out, json.dumps(response).encode()
        if path.startswith("/hooks/") and verb == "POST":
            status, response = self._handle_hook(path, headers, body)
            return status, {"Content-Type": JSON_CONTENT_TYPE}, json.dumps(response).encode()
        if path.startswith("/upload/") and verb == "POST":
            status, text = self._handle_upload(path, headers, body)
            return status, {"Content-Type": "text/plain; charset=utf-8"}, text.encode()
        self._record_violation(f"request to an unknown URL: {verb} {raw_path}")
        return 404, {"Content-Type": JSON_CONTENT_TYPE}, b'{"ok":false,"error":"not_found"}'

    def _parse_args(
        self, method: str, query: str, headers: Mapping[str, str], body: bytes
    ) -> tuple[dict[str, Any], str, list[str]]:
        problems: list[str] = []
        args: dict[str, Any] = dict(parse_qsl(query, keep_blank_values=True))
        content_type = headers.get("content-type", "").split(";")[0].strip().lower()
        kind = "query"
        if body:
            if content_type == "application/json":
                kind = "json"
                try:
                    parsed = json.loads(body)
                except ValueError:
                    raise _ApiError("invalid_json", f"{method}: body is not valid JSON") from None
                if not isinstance(parsed, dict):
                    raise _ApiError("invalid_json", f"{method}: JSON body must be an object")
                if "token" in parsed:
                    # Slack does not read a token from JSON bodies, only from the header.
                    problems.append(
                        f"{method}: token inside a JSON body is ignored by Slack; "
                        "send it as Authorization: Bearer"
                    )
                    parsed.pop("token")
                args.update(parsed)
            elif content_type in ("application/x-www-form-urlencoded", ""):
                kind = "form"
                try:
                    text = body.decode("utf-8")
                except UnicodeDecodeError:
                    raise _ApiError(
                        "invalid_form_data", f"{method}: form body is not UTF-8"
                    ) from None
                args.update(parse_qsl(text, keep_blank_values=True))
            elif content_type == "multipart/form-data":
                kind = "multipart"
                args.update(_parse_multipart(headers.get("content-type", ""), body))
            else:
                raise _ApiError(
                    "invalid_form_data", f"{method}: unsupported Content-Type {content_type!r}"
                )
        for key in _JSON_FIELDS | {"users"}:
            value = args.get(key)
            if not isinstance(value, str):
                continue
            stripped = value.strip()
            if key == "users" and not stripped.startswith("["):
                continue
            if stripped[:1] in ("[", "{"):
                try:
                    args[key] = json.loads(stripped)
                except ValueError:
                    raise _ApiError(
                        "invalid_arguments", f"{method}: argument {key!r} is not valid JSON"
                    ) from None
        return args, kind, problems

    def _handle_api(
        self, verb: str, method: str, query: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], dict[str, Any]]:
        violations: list[str] = []
        args: dict[str, Any] = {}
        status, extra_headers = 200, dict[str, str]()
        try:
            spec = method_spec(method)
            args, kind, problems = self._parse_args(method, query, headers, body)
            violations.extend(problems)
            token = args.pop("token", None)
            auth = headers.get("authorization", "")
            if auth.lower().startswith("bearer "):
                token = auth[7:].strip()
            if spec is None:
                raise _ApiError("unknown_method", f"{method}: no such Slack Web API method")
            if method in _CLIENT_AUTH_METHODS:
                self._check_client(method, auth, args)
            else:
                self._check_token(method, token)
            if verb == "GET" and spec.http_method == "POST":
                violations.append(f"{method}: Slack documents this method as POST, got GET")
            if kind == "json" and not spec.accepts_json:
                violations.append(
                    f"{method}: sent a JSON body, but this method only reads form/query arguments"
                )
            unknown = sorted(set(args) - spec.properties - _UNIVERSAL_ARGS)
            if args.get("team_id") not in (None, "", self.team_id):
                violations.append(f"{method}: team_id {args['team_id']!r} is not this workspace")
            if unknown:
                violations.append(
                    f"{method}: argument(s) not in Slack's spec: {', '.join(unknown)}"
                )
            missing = [
                name
                for name in sorted(spec.required - {"token"})
                if args.get(name) is None or args.get(name) == ""
            ]
            if missing:
                raise _ApiError(
                    "invalid_arguments",
                    f"{method}: missing required argument(s): {', '.join(missing)}",
                    extra={
                        "response_metadata": {"messages": [f"missing field: {m}" for m in missing]}
                    },
                )
            fault = self._take_fault(method) or self._throttle(method)
            if fault is not None:
                status, extra_headers, response = self._fault_response(fault)
            else:
                handler = self._HANDLERS.get(method)
                with self._lock:
                    response = handler(self, args) if handler else {"ok": True}
                    if method == "auth.test":
                        extra_headers = {"x-oauth-scopes": ",".join(self.scopes)}
                    violations.extend(response.pop("_violations", []))
        except _ApiError as exc:
            violations.extend(exc.violations)
            response = {"ok": False, "error": exc.error, **exc.extra}
        except Exception:
            violations.append(f"{method}: fake Slack crashed: {traceback.format_exc()}")
            status, response = 500, {"ok": False, "error": "fatal_error"}
        self._record(
            Call(
                method=method,
                args=args,
                headers=headers,
                status=status,
                response=response,
                http_method=verb,
                path=f"/api/{method}",
            ),
            violations,
        )
        return status, extra_headers, response

    def _check_token(self, method: str, token: Any) -> None:
        if not token:
            raise _ApiError("not_authed", f"{method}: no token sent")
        token = str(token)
        if token not in (self.bot_token, self.app_token) and token not in self.installed_tokens:
            raise _ApiError("invalid_auth", f"{method}: wrong token {token[:10]}…")
        wants_app_token = method in _APP_TOKEN_METHODS
        if wants_app_token and token != self.app_token:
            raise _ApiError(
                "not_allowed_token_type",
                f"{method}: needs the app-level token (xapp-…), not the bot token",
            )
        if not wants_app_token and token == self.app_token:
            raise _ApiError(
                "not_allowed_token_type",
                f"{method}: the app-level token (xapp-…) only opens Socket Mode connections; "
                "use the bot token",
            )

    def _check_client(self, method: str, auth: str, args: dict[str, Any]) -> None:
        """Client id and secret, from HTTP Basic auth (preferred) or the arguments."""
        client_id, secret = args.pop("client_id", None), args.pop("client_secret", None)
        if auth.lower().startswith("basic "):
            try:
                client_id, _, secret = base64.b64decode(auth[6:].strip()).decode().partition(":")
            except ValueError:
                raise _ApiError("invalid_client_id", f"{method}: unreadable Basic auth") from None
        if self.oauth_client is None or client_id != self.oauth_client[0]:
            raise _ApiError("invalid_client_id", f"{method}: unknown client id {client_id!r}")
        if secret != self.oauth_client[1]:
            raise _ApiError("bad_client_secret", f"{method}: wrong client secret")

    def _take_fault(self, key: str) -> _Fault | None:
        with self._lock:
            queue = self._faults.get(key)
            return queue.popleft() if queue else None

    def _throttle(self, method: str) -> _Fault | None:
        """Apply the method's rate limit, then random fault injection; None lets it through."""
        with self._lock:
            limit = self._rate_limits.get(method)
            if limit is not None:
                wait = limit.take(time.monotonic())
                if wait is not None:
                    self.rate_limited[method] = self.rate_limited.get(method, 0) + 1
                    # Slack's Retry-After is whole seconds, and never tells a client to retry now.
                    return _Fault(error=None, status=429, retry_after=max(1, math.ceil(wait)))
            injection = self._injection
            if injection is None or not injection.applies_to(method):
                return None
            if injection.rng.random() >= injection.rate:
                return None
            status = injection.rng.choice(injection.statuses)
            self.injected_faults[method] = self.injected_faults.get(method, 0) + 1
            if status == 429:
                return _Fault(error=None, status=429, retry_after=injection.retry_after)
            error = "service_unavailable" if status == 503 else "fatal_error"
            return _Fault(error=error, status=status, retry_after=None)

    @staticmethod
    def _fault_response(fault: _Fault) -> tuple[int, dict[str, str], dict[str, Any]]:
        if fault.status == 429:
            retry_after = 1 if fault.retry_after is None else fault.retry_after
            return 429, {"Retry-After": str(retry_after)}, {"ok": False, "error": "ratelimited"}
        error = fault.error or ("fatal_error" if fault.status >= 500 else "invalid_arguments")
        headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
        return fault.status, headers, {"ok": False, "error": error}

    # ------------------------------------------------------------------ channels & messages
    def _resolve_channel(self, method: str, channel: Any, *, allow_user: bool) -> str:
        if not isinstance(channel, str) or not channel:
            raise _ApiError("channel_not_found", f"{method}: channel must be a string id")
        if channel in self.channels:
            return channel
        if channel[:1] in ("U", "W") and channel in self.users:
            if allow_user:
                # Posting to a user id delivers to the app's DM with that user.
                return self.dm_channel_id(channel)
            raise _ApiError(
                "channel_not_found",
                f"{method}: {channel} is a user id; use the D… channel id from chat.postMessage",
            )
        raise _ApiError("channel_not_found")

    def _check_message(self, method: str, args: Mapping[str, Any]) -> list[str]:
        found = validate_message(args)
        fatal = [v for v in found if "missing text fallback" not in v]
        labelled = [f"{method}: {v}" for v in found]
        if any("needs text or blocks" in v for v in fatal):
            raise _ApiError("no_text", labelled)
        if fatal:
            raise _ApiError(
                "invalid_blocks", labelled, extra={"response_metadata": {"messages": fatal}}
            )
        return labelled

    def _message_object(self, stored: Mapping[str, Any]) -> dict[str, Any]:
        message: dict[str, Any] = {
            "type": "message",
            "user": self.bot_user_id,
            "bot_id": self.bot_id,
            "app_id": self.app_id,
            "text": stored.get("text") or "",
            "ts": stored["ts"],
            "team": self.team_id,
        }
        if stored.get("blocks"):
            message["blocks"] = copy.deepcopy(stored["blocks"])
        if stored.get("thread_ts"):
            message["thread_ts"] = stored["thread_ts"]
        if stored.get("metadata"):
            message["metadata"] = copy.deepcopy(stored["metadata"])
        return message

    def _store_message(
        self,
        channel: str,
        args: Mapping[str, Any],
        *,
        source: str,
        user: str | None = None,
    ) -> dict[str, Any]:
        stored: dict[str, Any] = {
            "channel": channel,
            "ts": self._next_ts(),
            "text": args.get("text"),
            "blocks": viewstate.assign_ids(args["blocks"]) if args.get("blocks") else None,
            "user": user,
            "ephemeral": user is not None,
            "thread_ts": args.get("thread_ts"),
            "metadata": args.get("metadata"),
            "source": source,
        }
        with self._lock:
            self.messages.append(stored)
        return stored

    def find_message(self, channel: str, ts: str) -> dict[str, Any] | None:
        """Return the stored message with this channel and ts, if any."""
        with self._lock:
            for message in self.messages:
                if message["channel"] == channel and message["ts"] == ts:
                    return message
        return None

    def _chat_post_message(self, args: dict[str, Any]) -> dict[str, Any]:
        method = "chat.postMessage"
        channel = self._resolve_channel(method, args["channel"], allow_user=True)
        warnings = self._check_message(method, args)
        stored = self._store_message(channel, args, source=method)
        return {
            "ok": True,
            "channel": channel,
            "ts": stored["ts"],
            "message": self._message_object(stored),
            "_violations": warnings,
        }

    def _chat_post_ephemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        method = "chat.postEphemeral"
        channel = self._resolve_channel(method, args["channel"], allow_user=True)
        user = args["user"]
        if user not in self.users:
            raise _ApiError("user_not_in_channel")
        warnings = self._check_message(method, args)
        stored = self._store_message(channel, args, source=method, user=user)
        return {"ok": True, "message_ts": stored["ts"], "_violations": warnings}

    def _existing_message(self, method: str, args: Mapping[str, Any]) -> dict[str, Any]:
        channel = self._resolve_channel(method, args["channel"], allow_user=False)
        ts = str(args["ts"])
        stored = self.find_message(channel, ts)
        if stored is None or stored["ephemeral"]:
            raise _ApiError(
                "message_not_found",
                f"{method}: no message with ts={ts} in {channel} (ephemeral messages cannot be "
                "edited through chat.*; use the response_url)",
            )
        return stored

    def _chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
        method = "chat.update"
        stored = self._existing_message(method, args)
        merged = {
            "text": args["text"] if "text" in args else stored.get("text"),
            "blocks": args["blocks"] if "blocks" in args else stored.get("blocks"),
        }
        warnings = self._check_message(method, merged)
        with self._lock:
            stored["text"] = merged["text"]
            stored["blocks"] = viewstate.assign_ids(merged["blocks"]) if merged["blocks"] else None
            if "metadata" in args:
                stored["metadata"] = args["metadata"]
        message = self._message_object(stored)
        return {
            "ok": True,
            "channel": stored["channel"],
            "ts": stored["ts"],
            "text": stored.get("text") or "",
            "message": message,
            "_violations": warnings,
        }

    def _chat_delete(self, args: dict[str, Any]) -> dict[str, Any]:
        stored = self._existing_message("chat.delete", args)
        with self._lock:
            self.messages.remove(stored)
        return {"ok": True, "channel": stored["channel"], "ts": stored["ts"]}

    # ------------------------------------------------------------------ users, team, groups
    def _user_object(self, user: SlackUser, *, include_locale: bool) -> dict[str, Any]:
        offset, label = _tz_info(user.tz)
        display = user.display_name or ("" if user.is_bot else user.name)
        profile: dict[str, Any] = {
            "real_name": user.real_name,
            "display_name": display,
            "real_name_normalized": user.real_name,
            "display_name_normalized": display,
            "title": user.title,
            "avatar_hash": _short_hash(user.id, length=12).lower(),
            "image_48": f"https://avatars.example.com/{user.id}_48.png",
            "image_192": f"https://avatars.example.com/{user.id}_192.png",
            "team": user.team_id,
        }
        if user.is_bot:
            profile["bot_id"] = self.bot_id if user.id == self.bot_user_id else None
        elif user.id != SLACKBOT_ID and "users:read.email" in self.scopes:
            profile["email"] = user.email or f"{user.name}@example.com"
        data: dict[str, Any] = {
            "id": user.id,
            "team_id": user.team_id,
            "name": user.name,
            "deleted": user.deleted,
            "color": "9f69e7",
            "real_name": user.real_name,
            "tz": user.tz,
            "tz_label": label,
            "tz_offset": offset,
            "profile": profile,
            "is_admin": user.is_admin,
            "is_owner": False,
            "is_primary_owner": False,
            "is_restricted": False,
            "is_ultra_restricted": False,
            "is_bot": user.is_bot,
            "is_app_user": False,
            "updated": 1_700_000_000,
            "has_2fa": False,
        }
        if include_locale:
            data["locale"] = user.locale
        return data

    def _users_info(self, args: dict[str, Any]) -> dict[str, Any]:
        user = self.users.get(str(args["user"]))
        if user is None:
            raise _ApiError("user_not_found")
        include_locale = _truthy(args.get("include_locale", False))
        return {"ok": True, "user": self._user_object(user, include_locale=include_locale)}

    def _users_lookup_by_email(self, args: dict[str, Any]) -> dict[str, Any]:
        wanted = str(args["email"]).lower()
        for user in self.users.values():
            if (user.email or f"{user.name}@example.com").lower() == wanted and not user.is_bot:
                return {"ok": True, "user": self._user_object(user, include_locale=False)}
        raise _ApiError("users_not_found")

    def _users_list(self, args: dict[str, Any]) -> dict[str, Any]:
        members = list(self.users.values())
        cursor = args.get("cursor") or ""
        start = 0
        if cursor:
            try:
                start = int(base64.urlsafe_b64decode(str(cursor).encode()).decode().split(":")[1])
            except (ValueError, IndexError):
                raise _ApiError("invalid_cursor", f"users.list: bad cursor {cursor!r}") from None
        limit = int(args.get("limit") or 0) or len(members) or 1
        page = members[start : start + limit]
        nxt = start + limit
        next_cursor = (
            base64.urlsafe_b64encode(f"offset:{nxt}".encode()).decode()
            if nxt < len(members)
            else ""
        )
        include_locale = _truthy(args.get("include_locale", False))
        return {
            "ok": True,
            "members": [self._user_object(u, include_locale=include_locale) for u in page],
            "cache_ts": int(time.time()),
            "response_metadata": {"next_cursor": next_cursor},
        }

    def _team_info(self, args: dict[str, Any]) -> dict[str, Any]:
        team = args.get("team")
        if team and team != self.team_id:
            raise _ApiError("team_not_found")
        return {
            "ok": True,
            "team": {
                "id": self.team_id,
                "name": self.team_name,
                "domain": self.team_domain,
                "email_domain": "example.com",
                "url": f"https://{self.team_domain}.slack.com/",
                "icon": {
                    "image_34": "https://a.slack-edge.com/80588/img/avatars-teams/ava_0001-34.png",
                    "image_default": True,
                },
                "avatar_base_url": "https://ca.slack-edge.com/",
                "is_verified": False,
            },
        }

    def _usergroups_users_list(self, args: dict[str, Any]) -> dict[str, Any]:
        group = self.usergroups.get(str(args["usergroup"]))
        if group is None:
            raise _ApiError("no_such_subteam")
        return {"ok": True, "users": list(group)}

    def _oauth_v2_access(self, args: dict[str, Any]) -> dict[str, Any]:
        user_id = self._oauth_codes.pop(str(args.get("code") or ""), None)
        if user_id is None:
            raise _ApiError("invalid_code")  # unknown, or already exchanged: codes are one-time
        token = f"xoxb-{self.team_id}-{secrets.token_hex(12)}"
        self.installed_tokens.add(token)
        return {
            "ok": True,
            "access_token": token,
            "token_type": "bot",
            "scope": ",".join(self.scopes),
            "bot_user_id": self.bot_user_id,
            "app_id": self.app_id,
            "team": {"id": self.team_id, "name": self.team_name},
            "enterprise": (
                {"id": self.enterprise_id, "name": "Sandbox Organisation"}
                if self.enterprise_id
                else None
            ),
            "is_enterprise_install": False,
            "authed_user": {"id": user_id},
        }

    def _auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "url": f"https://{self.team_domain}.slack.com/",
            "team": self.team_name,
            "user": self.bot_name,
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }

    def _conversations_open(self, args: dict[str, Any]) -> dict[str, Any]:
        method = "conversations.open"
        if args.get("channel"):
            channel = str(args["channel"])
            if channel not in self.channels:
                raise _ApiError("channel_not_found")
            return {"ok": True, "channel": {"id": channel}}
        raw = args.get("users")
        if isinstance(raw, list):
            ids = [str(u).strip() for u in raw]
        elif isinstance(raw, str):
            ids = [u.strip() for u in raw.split(",") if u.strip()]
        else:
            ids = []
        if not ids:
            raise _ApiError("users_list_not_supplied", f"{method}: give users or channel")
        if len(set(ids)) > 8:
            raise _ApiError("too_many_users", f"{method}: at most 8 users")
        for user_id in ids:
            user = self.users.get(user_id)
            if user is None:
                raise _ApiError("user_not_found")
            if user.deleted:
                raise _ApiError("user_disabled")
        unique = sorted(set(ids) - {self.bot_user_id}) or [self.bot_user_id]
        if len(unique) == 1:
            channel_id = "D" + _short_hash(self.team_id, unique[0])
            already = channel_id in self.channels
            self.dm_channel_id(unique[0])
        else:
            channel_id = "G" + _short_hash(self.team_id, *unique)
            already = channel_id in self.channels
            names = [self.users[u].name for u in unique]
            self.channels.setdefault(
                channel_id,
                {
                    "id": channel_id,
                    "name": "mpdm-" + "--".join(names) + "-1",
                    "is_im": False,
                    "is_mpim": True,
                    "is_channel": False,
                    "is_group": True,
                    "is_private": True,
                    "members": [*unique, self.bot_user_id],
                },
            )
        response: dict[str, Any] = {"ok": True, "channel": {"id": channel_id}}
        if already:
            response.update(no_op=True, already_open=True)
        if _truthy(args.get("return_im", False)):
            info = self.channels[channel_id]
            response["channel"] = {
                "id": channel_id,
                "created": int(time.time()),
                "is_im": info["is_im"],
                "is_mpim": info["is_mpim"],
                "is_org_shared": False,
                "user": info.get("user"),
                "last_read": "0000000000.000000",
                "latest": None,
                "unread_count": 0,
                "unread_count_display": 0,
                "is_open": True,
                "priority": 0,
            }
        return response

    # ------------------------------------------------------------------ files
    def _files_get_upload_url(self, args: dict[str, Any]) -> dict[str, Any]:
        try:
            length = int(args["length"])
        except (TypeError, ValueError):
            raise _ApiError(
                "invalid_arguments", "files.getUploadURLExternal: length must be an integer"
            ) from None
        if length <= 0:
            raise _ApiError("invalid_arguments", "files.getUploadURLExternal: length must be > 0")
        alt_text = args.get("alt_txt")
        if alt_text is not None and len(str(alt_text)) > 1000:
            raise _ApiError("alt_txt_too_large", "files.getUploadURLExternal: alt_txt > 1000")
        file_id = self._new_id("F", self.files)
        self.files[file_id] = {
            "id": file_id,
            "name": str(args["filename"]),
            "title": str(args["filename"]),
            "length": length,
            "alt_txt": alt_text,
            "content": None,
            "completed": False,
            "channels": [],
        }
        return {"ok": True, "upload_url": f"{self.base_url}/upload/{file_id}", "file_id": file_id}

    def _files_complete_upload(self, args: dict[str, Any]) -> dict[str, Any]:
        method = "files.completeUploadExternal"
        files = args["files"]
        if not isinstance(files, list) or not files:
            raise _ApiError("invalid_arguments", f"{method}: files must be a JSON list")
        channel = None
        if args.get("channel_id"):
            channel = self._resolve_channel(method, args["channel_id"], allow_user=False)
        out = []
        for item in files:
            file_id = item.get("id") if isinstance(item, dict) else None
            stored = self.files.get(str(file_id))
            if stored is None or stored["content"] is None:
                raise _ApiError(
                    "file_not_found", f"{method}: file {file_id} was never uploaded to its URL"
                )
            stored["completed"] = True
            if item.get("title"):
                stored["title"] = item["title"]
            if channel:
                stored["channels"].append(channel)
            out.append(
                {
                    "id": stored["id"],
                    "name": stored["name"],
                    "title": stored["title"],
                    "size": len(stored["content"]),
                    "channels": list(stored["channels"]),
                }
            )
        if channel:
            stored_msg = self._store_message(
                channel, {"text": args.get("initial_comment") or ""}, source=method
            )
            stored_msg["files"] = [f["id"] for f in out]
        return {"ok": True, "files": out}

    def _handle_upload(self, path: str, headers: dict[str, str], body: bytes) -> tuple[int, str]:
        file_id = path.rsplit("/", 1)[-1]
        violations: list[str] = []
        with self._lock:
            stored = self.files.get(file_id)
            if stored is None:
                status, text = 404, "not_found"
                violations.append(f"upload to an unknown upload URL {path}")
            else:
                stored["content"] = body
                status, text = 200, f"OK - {len(body)}"
                if len(body) != stored["length"]:
                    violations.append(
                        f"file upload {file_id}: sent {len(body)} bytes, "
                        f"files.getUploadURLExternal said length={stored['length']}"
                    )
        self._record(
            Call(
                method="file_upload",
                args={"file_id": file_id, "size": len(body)},
                headers=headers,
                status=status,
                response={"body": text},
                path=path,
            ),
            violations,
        )
        return status, text

    # ------------------------------------------------------------------ views
    def _consume_trigger(self, method: str, trigger_id: Any) -> _Trigger:
        trigger = self._triggers.get(str(trigger_id))
        if trigger is None:
            raise _ApiError("invalid_trigger_id", f"{method}: trigger_id {trigger_id!r} unknown")
        if trigger.used:
            raise _ApiError(
                "exchanged_trigger_id", f"{method}: trigger_id was already used (single use)"
            )
        age = time.monotonic() - trigger.issued
        if age > self.trigger_ttl:
            raise _ApiError(
                "expired_trigger_id",
                f"{method}: trigger_id used after {age:.1f}s (valid {self.trigger_ttl:g}s)",
            )
        trigger.used = True
        return trigger

    def _check_view(self, method: str, view: Any, *, expected_type: str | None = None) -> None:
        if not isinstance(view, dict):
            raise _ApiError("invalid_arguments", f"{method}: view must be a JSON object")
        problems = validate_view(view)
        if expected_type and view.get("type") != expected_type:
            problems.insert(0, f"view: type must be {expected_type!r} for {method}")
        if problems:
            error = (
                "view_too_large"
                if any("250 kB" in p for p in problems) and len(problems) == 1
                else "invalid_arguments"
            )
            raise _ApiError(
                error,
                [f"{method}: {p}" for p in problems],
                extra={"response_metadata": {"messages": problems}},
            )

    def _make_view(
        self,
        view: Mapping[str, Any],
        *,
        view_id: str | None = None,
        root_view_id: str | None = None,
        previous_view_id: str | None = None,
        previous: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        blocks = viewstate.assign_ids(view.get("blocks") or [])
        view_id = view_id or self._new_id("V", self.views)
        values = viewstate.build_state(
            blocks,
            previous.get("blocks") if previous else None,
            previous.get("state", {}).get("values") if previous else None,
        )
        stored: dict[str, Any] = {
            "id": view_id,
            "team_id": self.team_id,
            "type": view["type"],
            "blocks": blocks,
            "private_metadata": view.get("private_metadata") or "",
            "callback_id": view.get("callback_id") or "",
            "state": {"values": values},
            "hash": self._new_hash(),
            "clear_on_close": bool(view.get("clear_on_close", False)),
            "notify_on_close": bool(view.get("notify_on_close", False)),
            "close": copy.deepcopy(view.get("close")),
            "submit": copy.deepcopy(view.get("submit")),
            "previous_view_id": previous_view_id,
            "root_view_id": root_view_id or view_id,
            "app_id": self.app_id,
            "external_id": view.get("external_id") or "",
            "app_installed_team_id": self.team_id,
            "bot_id": self.bot_id,
        }
        if view.get("title") is not None:
            stored["title"] = copy.deepcopy(view["title"])
        self.views[view_id] = stored
        return stored

    @staticmethod
    def _view_response(stored: Mapping[str, Any]) -> dict[str, Any]:
        view = copy.deepcopy(dict(stored))
        # Slack's views.* responses carry an empty state; values only travel in interactions.
        view["state"] = {"values": {}}
        return {"ok": True, "view": view}

    def _is_open(self, view_id: str) -> bool:
        return any(view_id in stack for stack in self._stacks.values()) or any(
            v["id"] == view_id for v in self.home_views.values()
        )

    def _check_external_id(self, method: str, view: Mapping[str, Any], own_id: str | None) -> None:
        external_id = view.get("external_id")
        if not external_id:
            return
        for other in self.views.values():
            if (
                other["external_id"] == external_id
                and other["id"] != own_id
                and self._is_open(other["id"])
            ):
                raise _ApiError(
                    "duplicate_external_id",
                    f"{method}: external_id {external_id!r} is already used by an open view",
                )

    def _require_trigger_arg(self, method: str, args: Mapping[str, Any]) -> Any:
        trigger_id = args.get("trigger_id") or args.get("interactivity_pointer")
        if not trigger_id:
            raise _ApiError(
                "invalid_arguments", f"{method}: needs trigger_id (or interactivity_pointer)"
            )
        return trigger_id

    def _views_open(self, args: dict[str, Any]) -> dict[str, Any]:
        method = "views.open"
        trigger = self._consume_trigger(method, self._require_trigger_arg(method, args))
        self._check_view(method, args["view"], expected_type="modal")
        self._check_external_id(method, args["view"], None)
        stored = self._make_view(args["view"])
        owner = trigger.user_id or "?"
        for old in self._stacks.get(owner, []):
            self._view_owner.pop(old, None)
        self._stacks[owner] = [stored["id"]]
        self._view_owner[stored["id"]] = owner
        return self._view_response(stored)

    def _views_push(self, args: dict[str, Any]) -> dict[str, Any]:
        method = "views.push"
        trigger = self._consume_trigger(method, self._require_trigger_arg(method, args))
        owner = trigger.user_id or "?"
        stack = self._stacks.get(owner)
        if not stack or (trigger.view_id is not None and trigger.view_id not in stack):
            raise _ApiError(
                "not_found",
                f"{method}: the trigger_id does not come from an interaction in an open modal",
            )
        if len(stack) >= self.max_view_stack:
            raise _ApiError(
                "push_limit_reached",
                f"{method}: a modal stack holds at most {self.max_view_stack} views",
            )
        self._check_view(method, args["view"], expected_type="modal")
        self._check_external_id(method, args["view"], None)
        stored = self._make_view(args["view"], root_view_id=stack[0], previous_view_id=stack[-1])
        stack.append(stored["id"])
        self._view_owner[stored["id"]] = owner
        return self._view_response(stored)

    def _views_update(self, args: dict[str, Any]) -> dict[str, Any]:
        method = "views.update"
        view_id, external_id = args.get("view_id"), args.get("external_id")
        if not view_id and not external_id:
            raise _ApiError("invalid_arguments", f"{method}: needs view_id or external_id")
        current: dict[str, Any] | None = None
        if view_id:
            current = self.views.get(str(view_id))
        else:
            current = next(
                (v for v in self.views.values() if v["external_id"] == external_id), None
            )
        if current is None:
            raise _ApiError("not_found", f"{method}: no view {view_id or external_id!r} exists")
        if not self._is_open(current["id"]):
            # The user closed it; a real race, not a contract violation.
            raise _ApiError("not_found")
        if args.get("hash") and args["hash"] != current["hash"]:
            raise _ApiError("hash_conflict")
        self._check_view(method, args["view"], expected_type=current["type"])
        self._check_external_id(method, args["view"], current["id"])
        stored = self._replace_view(current, args["view"])
        return self._view_response(stored)

    def _replace_view(self, current: Mapping[str, Any], view: Mapping[str, Any]) -> dict[str, Any]:
        stored = self._make_view(
            view,
            view_id=current["id"],
            root_view_id=current["root_view_id"],
            previous_view_id=current["previous_view_id"],
            previous=current,
        )
        if not view.get("external_id") and current.get("external_id"):
            stored["external_id"] = current["external_id"]
        for user_id, home in list(self.home_views.items()):
            if home["id"] == stored["id"]:
                self.home_views[user_id] = stored
        return stored

    def _views_publish(self, args: dict[str, Any]) -> dict[str, Any]:
        method = "views.publish"
        user_id = str(args["user_id"])
        user = self.users.get(user_id)
        if user is None or user.is_bot:
            raise _ApiError(
                "invalid_arguments",
                f"{method}: user_id {user_id!r} is not a member of the workspace",
                extra={"response_metadata": {"messages": ["invalid `user_id`"]}},
            )
        current = self.home_views.get(user_id)
        if args.get("hash") and current is not None and args["hash"] != current["hash"]:
            raise _ApiError("hash_conflict")
        self._check_view(method, args["view"], expected_type="home")
        if current is not None:
            stored = self._replace_view(current, args["view"])
        else:
            stored = self._make_view(args["view"])
            self._view_owner[stored["id"]] = user_id
        self.home_views[user_id] = stored
        return self._view_response(stored)

    # ------------------------------------------------------------------ Socket Mode internals
    def _record_upgrade(
        self,
        path: str,
        headers: dict[str, str],
        status: int,
        response: dict[str, Any],
        violations: list[str],
    ) -> None:
        self._record(
            Call(
                method="websocket",
                args=dict(parse_qsl(urlsplit(path).query)),
                headers=headers,
                status=status,
                response=response,
                http_method="GET",
                path=LINK_PATH,
            ),
            violations,
        )

    def _apps_connections_open(self, args: dict[str, Any]) -> dict[str, Any]:
        ticket = self._sockets.issue_ticket(self.app_id)
        ws_base = "ws" + self.base_url.removeprefix("http")
        return {"ok": True, "url": f"{ws_base}{LINK_PATH}?ticket={ticket}&app_id={self.app_id}"}

    # ------------------------------------------------------------------ response_url
    def _handle_hook(
        self, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, Any]]:
        violations: list[str] = []
        payload: dict[str, Any] = {}
        status, response = 200, dict[str, Any](ok=True)
        try:
            with self._lock:
                hook = self._hooks.get(path)
                if hook is None:
                    raise _ApiError("not_found", f"response_url: POST to unknown URL {path}")
                content_type = headers.get("content-type", "").split(";")[0].strip().lower()
                if content_type != "application/json":
                    violations.append(
                        f"response_url: Content-Type must be application/json, got {content_type!r}"
                    )
                try:
                    parsed = json.loads(body or b"null")
                except ValueError:
                    raise _ApiError("invalid_json", "response_url: body is not JSON") from None
                if not isinstance(parsed, dict):
                    raise _ApiError("invalid_json", "response_url: body must be a JSON object")
                payload = parsed
                if time.monotonic() - hook.created > self.response_url_ttl:
                    raise _ApiError("expired_url", "response_url: used after 30 minutes")
                if hook.uses >= self.response_url_max_uses:
                    raise _ApiError(
                        "used_url",
                        f"response_url: posted more than {self.response_url_max_uses} times",
                    )
                hook.uses += 1
                fault = self._take_fault("response_url")
                if fault is not None:
                    status, _, response = self._fault_response(fault)
                else:
                    violations.extend(self._apply_hook(hook, payload))
        except _ApiError as exc:
            violations.extend(exc.violations)
            status = 404 if exc.error in ("not_found", "expired_url", "used_url") else 400
            response = {"ok": False, "error": exc.error}
        self._record(
            Call(
                method="response_url",
                args=payload,
                headers=headers,
                status=status,
                response=response,
                path=path,
            ),
            violations,
        )
        return status, response

    def _apply_hook(self, hook: _Hook, payload: dict[str, Any]) -> list[str]:
        target_ts = hook.message_ts or hook.posted_ts
        target = None
        if hook.channel_id and target_ts:
            target = self.find_message(hook.channel_id, target_ts)
        if _truthy(payload.get("delete_original", False)):
            if target is not None:
                self.messages.remove(target)
            return []
        warnings = self._check_message("response_url", payload)
        if _truthy(payload.get("replace_original", False)) and target is not None:
            target["text"] = payload.get("text")
            target["blocks"] = (
                viewstate.assign_ids(payload["blocks"]) if payload.get("blocks") else None
            )
            return warnings
        channel = hook.channel_id or (self.dm_channel_id(hook.user_id) if hook.user_id else "")
        in_channel = payload.get("response_type") == "in_channel"
        stored = self._store_message(
            channel,
            payload,
            source="response_url",
            user=None if in_channel else hook.user_id,
        )
        stored["ephemeral"] = not in_channel
        hook.posted_ts = stored["ts"]
        return warnings

    _HANDLERS: ClassVar[dict[str, Callable[[FakeSlack, dict[str, Any]], dict[str, Any]]]] = {
        "apps.connections.open": _apps_connections_open,
        "auth.test": _auth_test,
        "oauth.v2.access": _oauth_v2_access,
        "chat.postMessage": _chat_post_message,
        "chat.postEphemeral": _chat_post_ephemeral,
        "chat.update": _chat_update,
        "chat.delete": _chat_delete,
        "conversations.open": _conversations_open,
        "users.info": _users_info,
        "users.list": _users_list,
        "users.lookupByEmail": _users_lookup_by_email,
        "team.info": _team_info,
        "usergroups.users.list": _usergroups_users_list,
        "views.open": _views_open,
        "views.push": _views_push,
        "views.update": _views_update,
        "views.publish": _views_publish,
        "files.getUploadURLExternal": _files_get_upload_url,
        "files.completeUploadExternal": _files_complete_upload,
    }


def _tz_info(tz: str) -> tuple[int, str]:
    try:
        now = dt.datetime.now(ZoneInfo(tz))
    except (ZoneInfoNotFoundError, ValueError):
        return 0, tz
    offset = now.utcoffset()
    return int(offset.total_seconds()) if offset else 0, now.tzname() or tz


def _parse_multipart(content_type: str, body: bytes) -> dict[str, Any]:
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + body
    )
    fields: dict[str, Any] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes):
            continue
        fields[name] = payload if part.get_filename() else payload.decode("utf-8", "replace")
    return fields
