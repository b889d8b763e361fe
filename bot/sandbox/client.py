"""SlackSim: plays Slack's side towards the app, over signed HTTP or a Socket Mode WebSocket."""

from __future__ import annotations

import copy
import hashlib
import hmac
import http.client
import json
import secrets
import time
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlencode, urlsplit

from bot.sandbox import viewstate
from bot.sandbox.blockkit import validate_message, validate_view
from bot.sandbox.server import FakeSlack

ACK_DEADLINE = 3.0
Transport = Literal["http", "socket"]
# What Slack delivers, named like Socket Mode envelope types; url_verification is HTTP only.
Kind = Literal["slash_commands", "interactive", "events_api", "url_verification"]
# Interactions whose ack body Slack reads (response_action, options); it ignores the rest.
_RESPONSE_PAYLOAD_INTERACTIONS = {"view_submission", "block_suggestion"}


@dataclass
class SimResponse:
    """What the app answered to one request Slack sent it (Socket Mode: 200 once acked, else 0)."""

    status: int
    headers: dict[str, str]
    body: bytes
    elapsed: float
    request_body: bytes = b""
    payload: dict[str, Any] | None = None
    response_url: str | None = None
    trigger_id: str | None = None
    ack: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def text(self) -> str:
        """The response body as text."""
        return self.body.decode("utf-8", "replace")

    def json(self) -> Any:
        """The response body parsed as JSON."""
        return json.loads(self.body)


def _http_body(kind: Kind, payload: Mapping[str, Any]) -> tuple[bytes, str]:
    """The body and Content-Type Slack POSTs to a Request URL for this kind of payload."""
    if kind == "slash_commands":
        return urlencode(payload).encode(), "application/x-www-form-urlencoded"
    if kind == "interactive":
        form = urlencode({"payload": json.dumps(payload)}).encode()
        return form, "application/x-www-form-urlencoded"
    return json.dumps(payload).encode(), "application/json"


def _envelope(
    kind: Kind, payload: Mapping[str, Any], retry: tuple[int, str] | None
) -> dict[str, Any]:
    """Wrap a payload the way Slack sends it over a Socket Mode WebSocket."""
    envelope: dict[str, Any] = {
        "envelope_id": str(uuid.uuid4()),
        "type": kind,
        "accepts_response_payload": kind == "slash_commands"
        or (kind == "interactive" and payload.get("type") in _RESPONSE_PAYLOAD_INTERACTIONS),
        "payload": dict(payload),
    }
    if kind == "events_api":
        envelope["retry_attempt"], envelope["retry_reason"] = retry or (0, "")
    return envelope


def _parse_ack(resp: SimResponse) -> dict[str, Any] | None:
    if not resp.body.strip():
        return None
    content_type = resp.headers.get("content-type", "")
    if "json" not in content_type:
        # Slack shows a plain-text ack body as a message.
        return {"text": resp.text}
    try:
        parsed = resp.json()
    except ValueError:
        return {"text": resp.text}
    return parsed if isinstance(parsed, dict) else {"text": resp.text}


class SlackSim:
    """Sends slash commands, view submissions, clicks and events to the app like Slack does."""

    def __init__(
        self,
        fake: FakeSlack,
        app_url: str | None = None,
        signing_secret: str | None = None,
        *,
        transport: Transport = "http",
        verification_token: str = "sandbox-verification-token",  # noqa: S107 - test value
        timeout: float = 10.0,
        ack_deadline: float = ACK_DEADLINE,
    ) -> None:
        if transport not in ("http", "socket"):
            raise ValueError(f"transport must be 'http' or 'socket', not {transport!r}")
        if transport == "http" and (app_url is None or signing_secret is None):
            raise ValueError("the http transport needs the app_url and the signing_secret")
        self.fake = fake
        self.transport = transport
        # Socket Mode needs neither: the app dials out and Slack does not sign frames.
        self.app_url = app_url or ""
        self.signing_secret = signing_secret or ""
        self.verification_token = verification_token
        self.timeout = timeout
        self.ack_deadline = ack_deadline

    # ------------------------------------------------------------------ transport
    def sign(self, body: bytes, timestamp: int | None = None) -> dict[str, str]:
        """Return Slack's signature headers for a raw body (``v0=`` HMAC-SHA256)."""
        ts = str(int(time.time()) if timestamp is None else timestamp)
        base = b"v0:" + ts.encode() + b":" + body
        digest = hmac.new(self.signing_secret.encode(), base, hashlib.sha256).hexdigest()
        return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}

    def send_raw(self, body: bytes, headers: Mapping[str, str]) -> SimResponse:
        """POST ``body`` with exactly these headers to the app (no signing, no checks)."""
        if not self.app_url:
            raise RuntimeError("this SlackSim has no app_url (Socket Mode transport)")
        url = urlsplit(self.app_url)
        conn = http.client.HTTPConnection(
            url.hostname or "127.0.0.1", url.port, timeout=self.timeout
        )
        path = url.path or "/"
        if url.query:
            path += "?" + url.query
        started = time.monotonic()
        try:
            conn.request("POST", path, body=body, headers=dict(headers))
            raw = conn.getresponse()
            data = raw.read()
            out_headers = {k.lower(): v for k, v in raw.getheaders()}
            status = raw.status
        finally:
            conn.close()
        return SimResponse(
            status=status,
            headers=out_headers,
            body=data,
            elapsed=time.monotonic() - started,
            request_body=body,
        )

    def _send(
        self,
        what: str,
        kind: Kind,
        payload: dict[str, Any],
        *,
        retry: tuple[int, str] | None = None,
    ) -> SimResponse:
        if self.transport == "socket":
            resp = self._send_socket(kind, payload, retry)
        else:
            resp = self._send_http(kind, payload, retry)
        resp.payload = payload
        if resp.status == 0:
            self.fake._record_violation(
                f"{what}: app sent no ack; Slack gives up after {self.ack_deadline:g}s "
                "(ack first, then work)"
            )
            return resp
        if resp.elapsed > self.ack_deadline:
            self.fake._record_violation(
                f"{what}: app answered after {resp.elapsed:.2f}s; Slack gives up after "
                f"{self.ack_deadline:g}s (ack first, then work)"
            )
        if resp.status != 200:
            self.fake._record_violation(
                f"{what}: app answered HTTP {resp.status}: {resp.text[:200]}"
            )
        return resp

    def _send_http(
        self, kind: Kind, payload: Mapping[str, Any], retry: tuple[int, str] | None
    ) -> SimResponse:
        body, content_type = _http_body(kind, payload)
        headers = {
            "Content-Type": content_type,
            "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
            **self.sign(body),
        }
        if retry is not None:
            headers["X-Slack-Retry-Num"], headers["X-Slack-Retry-Reason"] = str(retry[0]), retry[1]
        return self.send_raw(body, headers)

    def _send_socket(
        self, kind: Kind, payload: Mapping[str, Any], retry: tuple[int, str] | None
    ) -> SimResponse:
        """Deliver over the app's WebSocket; status 0 means no ack came within the deadline."""
        if kind == "url_verification":
            raise ValueError("Socket Mode has no url_verification; Slack only checks HTTP URLs")
        envelope = _envelope(kind, payload, retry)
        started = time.monotonic()
        frame = self.fake.send_envelope(envelope, timeout=self.ack_deadline)
        elapsed = time.monotonic() - started
        request_body = json.dumps(envelope).encode()
        if frame is None:
            return SimResponse(0, {}, b"", elapsed, request_body=request_body)
        ack_payload = frame.get("payload")
        if ack_payload is None:
            return SimResponse(200, {}, b"", elapsed, request_body=request_body)
        headers = {"content-type": "application/json"}
        body = json.dumps(ack_payload).encode()
        return SimResponse(200, headers, body, elapsed, request_body=request_body)

    def _send_interaction(self, what: str, payload: dict[str, Any]) -> SimResponse:
        resp = self._send(what, "interactive", payload)
        resp.trigger_id = payload.get("trigger_id")
        resp.response_url = payload.get("response_url")
        return resp

    # ------------------------------------------------------------------ payload parts
    def _user(self, user_id: str) -> dict[str, Any]:
        user = self.fake.users.get(user_id)
        if user is None:
            raise ValueError(f"unknown user {user_id!r}; add it with fake.add_user(...)")
        return {"id": user.id, "username": user.name, "name": user.name, "team_id": user.team_id}

    def _team(self) -> dict[str, Any]:
        team: dict[str, Any] = {"id": self.fake.team_id, "domain": self.fake.team_domain}
        if self.fake.enterprise_id:
            team["enterprise_id"] = self.fake.enterprise_id
        return team

    def _interaction_base(self, kind: str, user_id: str) -> dict[str, Any]:
        return {
            "type": kind,
            "team": self._team(),
            "user": self._user(user_id),
            "api_app_id": self.fake.app_id,
            "token": self.verification_token,
            "is_enterprise_install": False,
            "enterprise": (
                {"id": self.fake.enterprise_id, "name": "Sandbox Org"}
                if self.fake.enterprise_id
                else None
            ),
        }

    # ------------------------------------------------------------------ slash commands
    def slash(
        self,
        user_id: str,
        text: str = "",
        command: str = "/mentor",
        *,
        channel_id: str | None = None,
        channel_name: str | None = None,
    ) -> SimResponse:
        """Send a slash command (by default typed in the app's DM) with every field Slack sends."""
        user = self._user(user_id)
        if channel_id is None:
            channel_id = self.fake.dm_channel_id(user_id)
        if channel_name is None:
            channel_name = self.fake.channels.get(channel_id, {}).get("name", "directmessage")
        response_url = self.fake.response_url("commands", user_id=user_id, channel_id=channel_id)
        trigger_id = self.fake.new_trigger_id(user_id)
        fields: list[tuple[str, str]] = [
            ("token", self.verification_token),
            ("team_id", self.fake.team_id),
            ("team_domain", self.fake.team_domain),
        ]
        if self.fake.enterprise_id:
            fields += [("enterprise_id", self.fake.enterprise_id), ("enterprise_name", "Sandbox")]
        fields += [
            ("channel_id", channel_id),
            ("channel_name", channel_name),
            ("user_id", user_id),
            ("user_name", user["name"]),
            ("command", command),
            ("text", text),
            ("api_app_id", self.fake.app_id),
            ("is_enterprise_install", "false"),
            ("response_url", response_url),
            ("trigger_id", trigger_id),
        ]
        resp = self._send(f"slash command {command}", "slash_commands", dict(fields))
        resp.response_url, resp.trigger_id = response_url, trigger_id
        resp.ack = _parse_ack(resp)
        if resp.status == 200 and resp.ack:
            self._show_ack_message(f"slash command {command} ack", resp.ack, user_id, channel_id)
        return resp

    def _show_ack_message(
        self, what: str, ack: dict[str, Any], user_id: str, channel_id: str
    ) -> None:
        for problem in validate_message(ack):
            self.fake._record_violation(f"{what}: {problem}")
        in_channel = ack.get("response_type") == "in_channel"
        stored = self.fake._store_message(
            channel_id, ack, source="ack", user=None if in_channel else user_id
        )
        stored["ephemeral"] = not in_channel

    # ------------------------------------------------------------------ modals
    def _open_view(self, user_id: str, view_id: str) -> dict[str, Any]:
        view = self.fake.views.get(view_id)
        if view is None:
            raise ValueError(f"no view {view_id!r}; views: {sorted(self.fake.views)}")
        if view["type"] == "modal" and view_id not in self.fake._stacks.get(user_id, []):
            raise ValueError(f"view {view_id} is not open for {user_id}")
        return view

    def submit_view(
        self,
        user_id: str,
        view_id: str,
        values: Mapping[str, Any] | None = None,
        *,
        client_checks: bool = True,
    ) -> SimResponse:
        """Submit the user's topmost modal with ``values`` (block_id -> python value).

        ``client_checks=False`` skips what the Slack client enforces before sending (required
        inputs, lengths, known options), to test the app's own checks against a tampered client.
        """
        with self.fake._lock:
            view = self._open_view(user_id, view_id)
            stack = self.fake._stacks.get(user_id, [])
            if not stack or stack[-1] != view_id:
                raise ValueError(f"view {view_id} is not the topmost modal of {user_id}")
            if not view.get("submit"):
                raise ValueError(f"view {view_id} has no submit button")
            state = copy.deepcopy(view["state"]["values"])
            for block_id, value in (values or {}).items():
                block, element = viewstate.find_element(view["blocks"], block_id)
                entry = viewstate.to_state_entry(element, value, client_checks=client_checks)
                self._check_users(entry)
                state.setdefault(block_id, {})[element["action_id"]] = entry
            for block in view["blocks"]:
                if not client_checks or block.get("type") != "input" or block.get("optional"):
                    continue
                element = block.get("element") or {}
                entry = state.get(block["block_id"], {}).get(element.get("action_id"))
                if element.get("type") in viewstate.STATE_KEYS and viewstate.is_empty(entry):
                    raise ValueError(
                        f"Slack would not let the user submit: required input "
                        f"{block['block_id']!r} is empty"
                    )
            view["state"]["values"] = state
            payload = self._interaction_base("view_submission", user_id)
            payload.update(
                trigger_id=self.fake.new_trigger_id(user_id, view_id=view_id),
                view=copy.deepcopy(view),
                response_urls=[],
            )
        resp = self._send_interaction(f"view_submission {view.get('callback_id')!r}", payload)
        resp.ack = _parse_ack(resp)
        if resp.status == 200:
            self._apply_view_ack(user_id, view, resp.ack)
        return resp

    def _check_users(self, entry: Mapping[str, Any]) -> None:
        for key in ("selected_user", "selected_users"):
            picked = entry.get(key)
            ids = picked if isinstance(picked, list) else [picked] if picked else []
            for user_id in ids:
                if user_id not in self.fake.users:
                    raise ValueError(f"{user_id!r} is not a user of the workspace")

    def _apply_view_ack(
        self, user_id: str, view: dict[str, Any], ack: dict[str, Any] | None
    ) -> None:
        what = f"view_submission ack for {view.get('callback_id')!r}"
        fake = self.fake
        action = (ack or {}).get("response_action")
        with fake._lock:
            stack = fake._stacks.get(user_id, [])
            if action is None:
                if ack and set(ack) - {"response_action"}:
                    fake._record_violation(f"{what}: body without response_action: {ack}")
                if stack and stack[-1] == view["id"]:
                    stack.pop()
            elif action == "clear":
                stack.clear()
            elif action == "errors":
                errors = ack.get("errors") if ack else None
                inputs = {b.get("block_id") for b in view["blocks"] if b.get("type") == "input"}
                if not isinstance(errors, dict) or not errors:
                    fake._record_violation(f"{what}: response_action=errors needs an errors map")
                else:
                    for block_id in errors:
                        if block_id not in inputs:
                            fake._record_violation(
                                f"{what}: errors key {block_id!r} is not an input block_id of "
                                f"the view (Slack then shows a generic error); inputs: "
                                f"{sorted(str(i) for i in inputs)}"
                            )
            elif action in ("update", "push"):
                new_view = ack.get("view") if ack else None
                problems = validate_view(new_view)
                if isinstance(new_view, dict) and new_view.get("type") != "modal":
                    problems.append("view: type must be 'modal'")
                if action == "push" and len(stack) >= fake.max_view_stack:
                    problems.append(f"push_limit_reached: at most {fake.max_view_stack} views")
                if problems:
                    for problem in problems:
                        fake._record_violation(f"{what} ({action}): {problem}")
                elif isinstance(new_view, dict):
                    if action == "update":
                        fake._replace_view(view, new_view)
                    else:
                        stored = fake._make_view(
                            new_view, root_view_id=stack[0], previous_view_id=stack[-1]
                        )
                        stack.append(stored["id"])
                        fake._view_owner[stored["id"]] = user_id
            else:
                fake._record_violation(f"{what}: unknown response_action {action!r}")

    def close_view(
        self, user_id: str, view_id: str, *, all_views: bool = False
    ) -> SimResponse | None:
        """The user closes a modal (Back, or X with ``all_views``); sends view_closed if asked."""
        with self.fake._lock:
            view = self._open_view(user_id, view_id)
            stack = self.fake._stacks.get(user_id, [])
            if all_views:
                stack.clear()
            elif view_id in stack:
                del stack[stack.index(view_id) :]
            notify = bool(view.get("notify_on_close"))
            payload = self._interaction_base("view_closed", user_id)
            payload.update(view=copy.deepcopy(view), is_cleared=all_views)
        if not notify:
            return None
        return self._send_interaction(f"view_closed {view.get('callback_id')!r}", payload)

    def select_in_view(
        self, user_id: str, view_id: str, block_id: str, action_id: str, value: Any
    ) -> SimResponse:
        """Pick a value in an open view's element; Slack then sends block_actions."""
        with self.fake._lock:
            view = self._open_view(user_id, view_id)
            block, element = viewstate.find_element(view["blocks"], block_id, action_id)
            if block.get("type") == "input" and not block.get("dispatch_action"):
                raise ValueError(
                    f"input block {block_id!r} has no dispatch_action, so Slack sends no "
                    "block_actions; pass the value to submit_view instead"
                )
            entry = viewstate.to_state_entry(element, value)
            self._check_users(entry)
            view["state"]["values"].setdefault(block_id, {})[action_id] = entry
            action = {
                "type": element["type"],
                "block_id": block_id,
                "action_id": action_id,
                **{k: copy.deepcopy(v) for k, v in entry.items() if k != "type"},
                "action_ts": f"{time.time():.6f}",
            }
            payload = self._view_action_payload(user_id, view, action)
        return self._send_interaction(f"block_actions {action_id!r}", payload)

    def _view_action_payload(
        self, user_id: str, view: dict[str, Any], action: dict[str, Any]
    ) -> dict[str, Any]:
        payload = self._interaction_base("block_actions", user_id)
        in_modal = view["type"] == "modal"
        payload.update(
            container={"type": "view", "view_id": view["id"]},
            trigger_id=self.fake.new_trigger_id(user_id, view_id=view["id"] if in_modal else None),
            view=copy.deepcopy(view),
            actions=[action],
        )
        return payload

    # ------------------------------------------------------------------ buttons
    def click(
        self,
        user_id: str,
        action_id: str,
        value: str | None = None,
        *,
        block_id: str | None = None,
        message: Mapping[str, Any] | str | None = None,
        channel_id: str | None = None,
        view_id: str | None = None,
    ) -> SimResponse:
        """Click a button that exists in a message or view the user can see."""
        with self.fake._lock:
            if view_id is not None:
                payload = self._view_click_payload(user_id, view_id, action_id, value, block_id)
            else:
                payload = self._message_click_payload(
                    user_id, action_id, value, block_id, message, channel_id
                )
        # The lock is released here: the app's listeners call the fake while handling this.
        return self._send_interaction(f"block_actions {action_id!r}", payload)

    def _view_click_payload(
        self, user_id: str, view_id: str, action_id: str, value: str | None, block_id: str | None
    ) -> dict[str, Any]:
        view = self._open_view(user_id, view_id)
        button = _find_button(view["blocks"], action_id, value, block_id)
        if button is None:
            raise ValueError(f"no button {action_id!r} (value={value!r}) in view {view_id}")
        return self._view_action_payload(user_id, view, _button_action(*button))

    def _message_click_payload(
        self,
        user_id: str,
        action_id: str,
        value: str | None,
        block_id: str | None,
        message: Mapping[str, Any] | str | None,
        channel_id: str | None,
    ) -> dict[str, Any]:
        fake = self.fake
        stored = self._find_message(user_id, action_id, value, block_id, message, channel_id)
        button = _find_button(stored.get("blocks"), action_id, value, block_id)
        if button is None:
            raise ValueError(f"no button {action_id!r} (value={value!r}) in message {stored['ts']}")
        channel = stored["channel"]
        payload = self._interaction_base("block_actions", user_id)
        payload.update(
            container={
                "type": "message",
                "message_ts": stored["ts"],
                "channel_id": channel,
                "is_ephemeral": bool(stored["ephemeral"]),
            },
            trigger_id=fake.new_trigger_id(user_id),
            channel={"id": channel, "name": fake.channels.get(channel, {}).get("name", "")},
            state={"values": {}},
            response_url=fake.response_url(
                "actions", user_id=user_id, channel_id=channel, message_ts=stored["ts"]
            ),
            actions=[_button_action(*button)],
        )
        if not stored["ephemeral"]:
            # Slack omits the message body for ephemeral messages.
            payload["message"] = fake._message_object(stored)
        return payload

    def _find_message(
        self,
        user_id: str,
        action_id: str,
        value: str | None,
        block_id: str | None,
        message: Mapping[str, Any] | str | None,
        channel_id: str | None,
    ) -> dict[str, Any]:
        fake = self.fake
        if isinstance(message, Mapping):
            found = fake.find_message(str(message["channel"]), str(message["ts"]))
            if found is None:
                raise ValueError(f"message {message.get('ts')} is not (or no longer) in Slack")
            return found
        candidates: list[dict[str, Any]] = list(reversed(fake.messages))
        for stored in candidates:
            if isinstance(message, str) and stored["ts"] != message:
                continue
            if channel_id is not None and stored["channel"] != channel_id:
                continue
            if not self._visible(user_id, stored):
                continue
            if _find_button(stored.get("blocks"), action_id, value, block_id) is not None:
                return stored
        raise ValueError(
            f"no message visible to {user_id} has a button {action_id!r} (value={value!r})"
        )

    def _visible(self, user_id: str, stored: Mapping[str, Any]) -> bool:
        if stored["ephemeral"]:
            return bool(stored["user"] == user_id)
        channel = self.fake.channels.get(stored["channel"], {})
        if channel.get("is_im") or channel.get("is_mpim"):
            return user_id in channel.get("members", [])
        return True

    # ------------------------------------------------------------------ events
    def event(
        self,
        event: Mapping[str, Any],
        *,
        retry_num: int | None = None,
        retry_reason: str = "http_timeout",
        event_id: str | None = None,
    ) -> SimResponse:
        """Deliver an Events API ``event_callback`` (optionally as Slack's retry of an event)."""
        envelope = {
            "token": self.verification_token,
            "team_id": self.fake.team_id,
            "api_app_id": self.fake.app_id,
            "event": dict(event),
            "type": "event_callback",
            "event_id": event_id or "Ev" + secrets.token_hex(5).upper(),
            "event_time": int(time.time()),
            "authorizations": [
                {
                    "enterprise_id": self.fake.enterprise_id,
                    "team_id": self.fake.team_id,
                    "user_id": self.fake.bot_user_id,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": False,
            "event_context": "4-" + secrets.token_urlsafe(24),
        }
        retry = None if retry_num is None else (retry_num, retry_reason)
        return self._send(f"event {event.get('type')!r}", "events_api", envelope, retry=retry)

    def open_home(self, user_id: str, *, tab: str = "home") -> SimResponse:
        """The user opens the app's Home tab: an ``app_home_opened`` event."""
        self._user(user_id)
        event: dict[str, Any] = {
            "type": "app_home_opened",
            "user": user_id,
            "channel": self.fake.dm_channel_id(user_id),
            "tab": tab,
            "event_ts": f"{time.time():.6f}",
        }
        home = self.fake.home_views.get(user_id)
        if home is not None and tab == "home":
            event["view"] = copy.deepcopy(home)
        return self.event(event)

    def url_verification(self, challenge: str = "sandbox-challenge") -> SimResponse:
        """Send the ``url_verification`` handshake Slack does when the request URL is saved."""
        payload = {
            "token": self.verification_token,
            "challenge": challenge,
            "type": "url_verification",
        }
        return self._send("url_verification", "url_verification", payload)


def _iter_buttons(blocks: Any) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    for block, element in viewstate.iter_elements(blocks):
        if element.get("type") == "button":
            yield block, element


def _find_button(
    blocks: Any, action_id: str, value: str | None, block_id: str | None
) -> tuple[dict[str, Any], dict[str, Any]] | None:
    for block, element in _iter_buttons(blocks):
        if element.get("action_id") != action_id:
            continue
        if block_id is not None and block.get("block_id") != block_id:
            continue
        if value is not None and element.get("value") != value:
            continue
        return block, element
    return None


def _button_action(block: Mapping[str, Any], button: Mapping[str, Any]) -> dict[str, Any]:
    action: dict[str, Any] = {
        "action_id": button["action_id"],
        "block_id": block["block_id"],
        "text": copy.deepcopy(button.get("text")),
        "type": "button",
        "action_ts": f"{time.time():.6f}",
    }
    for key in ("value", "style", "url"):
        if key in button:
            action[key] = button[key]
    return action
