"""Socket Mode: the fake's WebSocket endpoint, and SlackSim driving a Bolt SocketModeHandler."""

from __future__ import annotations

import base64
import json
import os
import socket
import struct
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import pytest
from slack_bolt import Ack, Respond
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.sandbox import FakeSlack, SimResponse, SlackSim
from bot.sandbox.socket_mode import (
    OP_BINARY,
    OP_CLOSE,
    OP_CONTINUATION,
    OP_PING,
    OP_PONG,
    OP_TEXT,
    Frame,
    accept_key,
    encode_frame,
    read_frame,
)
from bot.sandbox.specs import payload_sample
from tests.sandbox.conftest import needs_shared_specs
from tests.sandbox.test_client import Bolt, build_app, open_join_modal


def socket_url(fake: FakeSlack) -> str:
    client = WebClient(base_url=fake.api_url, timeout=5)
    return str(client.apps_connections_open(app_token=fake.app_token)["url"])


@dataclass
class RawSocket:
    """A bare-hands WebSocket client, to test the endpoint without the SDK's tolerance."""

    sock: socket.socket
    key: str
    status: int = 0
    headers: dict[str, str] = field(default_factory=dict)
    stream: Any = None

    @classmethod
    def connect(cls, url: str, **header_overrides: str) -> RawSocket:
        parts = urlsplit(url)
        sock = socket.create_connection((parts.hostname, parts.port), timeout=3)
        raw = cls(sock, base64.b64encode(os.urandom(16)).decode())
        headers = {
            "Host": f"{parts.hostname}:{parts.port}",
            "Upgrade": "websocket",
            "Connection": "Upgrade",
            "Sec-WebSocket-Key": raw.key,
            "Sec-WebSocket-Version": "13",
            **header_overrides,
        }
        lines = [f"GET {parts.path}?{parts.query} HTTP/1.1"]
        lines += [f"{k}: {v}" for k, v in headers.items() if v]
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        raw.stream = sock.makefile("rb")
        raw.status = int(raw.stream.readline().split()[1])
        while line := raw.stream.readline().decode().strip():
            name, _, value = line.partition(":")
            raw.headers[name.strip().lower()] = value.strip()
        return raw

    def send(
        self, opcode: int, payload: bytes = b"", *, mask: bool = True, fin: bool = True
    ) -> None:
        self.sock.sendall(encode_frame(opcode, payload, mask=mask, fin=fin))

    def send_json(self, message: Any) -> None:
        self.send(OP_TEXT, json.dumps(message).encode())

    def recv(self) -> Frame:
        """The next frame that is not one of the server's keep-alive pings."""
        while True:
            frame = read_frame(self.stream)
            assert not frame.masked, "servers must not mask frames"
            if frame.opcode != OP_PING:
                return frame
            self.send(OP_PONG, frame.payload)

    def recv_json(self) -> dict[str, Any]:
        frame = self.recv()
        assert frame.opcode == OP_TEXT
        message: dict[str, Any] = json.loads(frame.payload)
        return message

    def close(self) -> None:
        self.stream.close()
        self.sock.close()


@pytest.fixture
def raw(fake: FakeSlack) -> Iterator[RawSocket]:
    """A raw WebSocket connected with a fresh apps.connections.open ticket (hello unread)."""
    conn = RawSocket.connect(socket_url(fake))
    assert conn.status == 101
    yield conn
    conn.close()


def in_background(call: Callable[[], SimResponse]) -> Future[SimResponse]:
    """Run a SlackSim call in a thread, so the test can play the app on a raw socket."""
    pool = ThreadPoolExecutor(max_workers=1)
    future = pool.submit(call)
    pool.shutdown(wait=False)
    return future


# --------------------------------------------------------------------------- apps.connections.open
def test_apps_connections_open_gives_a_single_use_ws_url(fake: FakeSlack) -> None:
    url = socket_url(fake)
    parts = urlsplit(url)
    assert (parts.scheme, f"http://{parts.netloc}", parts.path) == ("ws", fake.base_url, "/link/")
    assert parts.query.startswith("ticket=")
    assert parts.query.endswith(f"&app_id={fake.app_id}")
    assert socket_url(fake) != url
    call = fake.calls_to("apps.connections.open")[0]
    assert call.headers["authorization"] == f"Bearer {fake.app_token}"
    first = RawSocket.connect(url)
    again = RawSocket.connect(url)
    assert (first.status, again.status) == (101, 401)
    assert [c.status for c in fake.calls_to("websocket")] == [101, 401]
    assert "unknown or already used ticket" in fake.violations[0]
    first.close()
    again.close()


def test_apps_connections_open_refuses_the_bot_token(fake: FakeSlack) -> None:
    client = WebClient(base_url=fake.api_url, timeout=5)
    with pytest.raises(SlackApiError) as refused:
        client.apps_connections_open(app_token=fake.bot_token)
    assert refused.value.response["error"] == "not_allowed_token_type"
    assert "needs the app-level token" in fake.violations[0]


def test_the_app_token_is_refused_for_bot_methods(fake: FakeSlack) -> None:
    client = WebClient(token=fake.app_token, base_url=fake.api_url, timeout=5)
    with pytest.raises(SlackApiError) as refused:
        client.chat_postMessage(channel="U1", text="hi")
    assert refused.value.response["error"] == "not_allowed_token_type"
    assert "only opens Socket Mode connections" in fake.violations[0]


# --------------------------------------------------------------------------- the WebSocket
def test_accept_key_matches_the_rfc_6455_example() -> None:
    assert accept_key("dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="


def test_handshake_answers_the_key_and_says_hello(fake: FakeSlack, raw: RawSocket) -> None:
    assert raw.headers["upgrade"].lower() == "websocket"
    assert raw.headers["sec-websocket-accept"] == accept_key(raw.key)
    hello = raw.recv_json()
    assert hello["type"] == "hello"
    assert hello["num_connections"] == 1
    assert hello["connection_info"] == {"app_id": fake.app_id}
    assert fake.socket_connections == 1
    fake.assert_no_violations()


def test_ping_gets_a_pong_and_a_close_is_echoed(fake: FakeSlack, raw: RawSocket) -> None:
    raw.recv_json()
    raw.send(OP_PING, b"session:1.5")
    pong = raw.recv()
    assert (pong.opcode, pong.payload) == (OP_PONG, b"session:1.5")
    raw.send(OP_CLOSE, struct.pack("!H", 1000) + b"bye")
    closing = raw.recv()
    assert (closing.opcode, closing.payload[:2]) == (OP_CLOSE, struct.pack("!H", 1000))
    fake.wait_for_socket(count=0)
    fake.assert_no_violations()


def test_several_sockets_stay_open_at_once(fake: FakeSlack, raw: RawSocket) -> None:
    raw.recv_json()
    second = RawSocket.connect(socket_url(fake))
    assert second.recv_json()["num_connections"] == 2
    fake.wait_for_socket(count=2)
    second.close()
    fake.wait_for_socket(count=1)
    assert [c.status for c in fake.calls_to("websocket")] == [101, 101]
    fake.assert_no_violations()


def test_more_than_ten_sockets_is_a_violation(fake: FakeSlack) -> None:
    conns = [RawSocket.connect(socket_url(fake)) for _ in range(11)]
    assert [c.recv_json()["type"] for c in conns] == ["hello"] * 11
    assert len(fake.violations) == 1
    assert "more than 10 connections" in fake.violations[0]
    for conn in conns:
        conn.close()
    fake.wait_for_socket(count=0)


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({"Upgrade": ""}, 400),
        ({"Sec-WebSocket-Key": "too-short"}, 400),
        ({"Sec-WebSocket-Version": "8"}, 426),
    ],
)
def test_a_bad_upgrade_request_is_refused(
    fake: FakeSlack, headers: dict[str, str], status: int
) -> None:
    conn = RawSocket.connect(socket_url(fake), **headers)
    assert conn.status == status
    conn.close()
    assert len(fake.violations) == 1
    assert fake.socket_connections == 0


def test_an_unmasked_frame_closes_with_1002_and_the_server_lives_on(
    fake: FakeSlack, raw: RawSocket
) -> None:
    raw.recv_json()
    raw.send(OP_TEXT, b"{}", mask=False)
    closing = raw.recv()
    assert (closing.opcode, closing.payload[:2]) == (OP_CLOSE, struct.pack("!H", 1002))
    assert "client frames must be masked" in fake.violations[0]
    fake.wait_for_socket(count=0)
    again = RawSocket.connect(socket_url(fake))
    assert again.recv_json()["type"] == "hello"
    again.close()


def test_frames_that_are_not_acks_are_violations(fake: FakeSlack, raw: RawSocket) -> None:
    raw.recv_json()
    raw.send(OP_TEXT, b"not json")
    raw.send_json({"type": "hello"})
    raw.send_json({"envelope_id": "never-sent"})
    raw.send(OP_BINARY, b"\x00\x01")
    raw.send(OP_PING, b"still there?")
    assert raw.recv().payload == b"still there?"
    expected = ["not JSON", "not an ack", "never-sent, which Slack never sent", "binary frame"]
    assert len(fake.violations) == len(expected)
    for violation, reason in zip(fake.violations, expected, strict=True):
        assert reason in violation


def test_an_ack_on_a_raw_socket_becomes_the_sim_response(fake: FakeSlack, raw: RawSocket) -> None:
    raw.recv_json()
    sim = SlackSim(fake, transport="socket")
    pending = in_background(lambda: sim.slash("U1", "help"))
    envelope = raw.recv_json()
    assert envelope["type"] == "slash_commands"
    assert envelope["accepts_response_payload"] is True
    ack = json.dumps({"envelope_id": envelope["envelope_id"], "payload": {"text": "Hi"}})
    # A fragmented message must be reassembled before it is read.
    raw.send(OP_TEXT, ack[:10].encode(), fin=False)
    raw.send(OP_CONTINUATION, ack[10:].encode())
    resp = pending.result(timeout=3)
    assert (resp.status, resp.ack) == (200, {"text": "Hi"})
    assert resp.payload == envelope["payload"]
    assert json.loads(resp.request_body) == envelope
    assert fake.messages[-1]["text"] == "Hi"
    raw.send_json({"envelope_id": envelope["envelope_id"]})
    raw.send(OP_PING)
    raw.recv()
    assert "acked twice" in fake.violations[0]


@needs_shared_specs
def test_hello_and_envelopes_have_the_keys_of_slacks_frames(
    fake: FakeSlack, raw: RawSocket
) -> None:
    sample = payload_sample("socket-mode-frames.python-slack-sdk")
    hello = raw.recv_json()
    assert set(hello) == set(sample["hello"])
    assert set(hello["debug_info"]) == set(sample["hello"]["debug_info"])
    expected = {e["type"]: set(e) for e in sample["envelopes"]}
    sim = SlackSim(fake, transport="socket", ack_deadline=0.05)
    for send in (lambda: sim.slash("U1"), lambda: sim.open_home("U1")):
        resp = send()
        envelope = raw.recv_json()
        assert set(envelope) == expected[envelope["type"]]
        assert resp.status == 0  # nobody acked
    assert len(fake.violations) == 2
    assert all("app sent no ack; Slack gives up after 0.05s" in v for v in fake.violations)


# --------------------------------------------------------------------------- a real Bolt app
def close_handler(handler: SocketModeHandler) -> None:
    """Close the SDK client without waiting out its 1 s message-queue poll."""
    handler.client.closed = True
    handler.client.message_queue.put(None)
    handler.close()


@pytest.fixture
def socket_bolt(fake: FakeSlack, monkeypatch: pytest.MonkeyPatch) -> Iterator[Bolt]:
    """The test app of test_client.py, connected over Socket Mode, plus a socket SlackSim."""
    # The SDK tunnels through any proxy in the environment, and always over TLS.
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"):
        monkeypatch.delenv(name, raising=False)
    seen: list[dict[str, Any]] = []
    app = build_app(fake, seen)

    @app.command("/echo")
    def echo(ack: Ack, command: dict[str, Any], respond: Respond) -> None:
        ack(text=f"got {command['text']}")
        respond(text=f"echo {command['text']}")

    @app.view_closed("join")
    def closed(ack: Ack) -> None:
        ack()

    # apps_connections_open sends the app token itself, so the app's own client (bot token,
    # base_url = the fake), which Bolt hands to the SDK by default, is all it needs.
    handler = SocketModeHandler(app, fake.app_token)
    handler.connect()
    fake.wait_for_socket()
    yield Bolt(fake, SlackSim(fake, transport="socket"), seen)
    close_handler(handler)
    fake.wait_for_socket(count=0)


def test_a_slash_command_is_acked_over_the_socket_and_respond_uses_the_response_url(
    socket_bolt: Bolt,
) -> None:
    fake, sim = socket_bolt.fake, socket_bolt.sim
    resp = sim.slash("U1", "hi", command="/echo")
    assert (resp.status, resp.ack) == (200, {"text": "got hi"})
    assert resp.elapsed < sim.ack_deadline
    envelope = json.loads(resp.request_body)
    assert envelope["payload"] == resp.payload
    assert envelope["payload"]["response_url"] == resp.response_url
    posted = fake.wait_for("response_url")[0]
    assert posted.args["text"] == "echo hi"
    # The ack and respond() race each other, as they do against Slack.
    assert sorted(m["text"] for m in fake.messages) == ["echo hi", "got hi"]
    assert socket_bolt.seen[-1]["body"]["command"] == "/echo"
    call = fake.calls_to("apps.connections.open")[0]
    assert call.headers["authorization"] == f"Bearer {fake.app_token}"
    fake.assert_no_violations()


def test_a_view_submission_with_errors_keeps_the_modal_open(socket_bolt: Bolt) -> None:
    fake = socket_bolt.fake
    view_id = open_join_modal(socket_bolt)
    resp = socket_bolt.sim.submit_view("U1", view_id, {"name": "bad"})
    assert resp.ack == {"response_action": "errors", "errors": {"name": "Pick another name"}}
    assert json.loads(resp.request_body)["accepts_response_payload"] is True
    assert [v["id"] for v in fake.open_views("U1")] == [view_id]
    done = socket_bolt.sim.submit_view("U1", view_id, {"name": "Anna"})
    assert (done.status, done.ack) == (200, None)
    assert fake.open_views("U1") == []
    fake.wait_for("chat.postMessage")
    clicked = socket_bolt.sim.click("U1", "feedback", "good")
    assert json.loads(clicked.request_body)["accepts_response_payload"] is False
    assert fake.wait_for("response_url")[0].args["replace_original"] is True
    fake.assert_no_violations()


def test_select_in_view_and_close_view_go_over_the_socket(socket_bolt: Bolt) -> None:
    fake, sim = socket_bolt.fake, socket_bolt.sim
    view_id = open_join_modal(socket_bolt)
    selected = sim.select_in_view("U1", view_id, "colour", "colour", "red")
    assert json.loads(selected.request_body)["payload"]["type"] == "block_actions"
    assert fake.wait_for("views.update")[0].response["view"]["title"]["text"] == "Join (red)"
    closed = sim.close_view("U1", view_id)
    assert closed is not None and closed.payload is not None
    assert (closed.status, closed.payload["type"]) == (200, "view_closed")
    assert json.loads(closed.request_body)["accepts_response_payload"] is False
    fake.assert_no_violations()


def test_open_home_arrives_as_an_events_api_envelope(socket_bolt: Bolt) -> None:
    fake, sim = socket_bolt.fake, socket_bolt.sim
    resp = sim.open_home("U1")
    assert (resp.status, resp.ack) == (200, None)
    envelope = json.loads(resp.request_body)
    assert envelope["type"] == "events_api"
    assert (envelope["retry_attempt"], envelope["retry_reason"]) == (0, "")
    assert envelope["payload"]["event"]["type"] == "app_home_opened"
    fake.wait_for("views.publish")
    retried = sim.event(resp.payload["event"] if resp.payload else {}, retry_num=2)
    assert json.loads(retried.request_body)["retry_attempt"] == 2
    assert socket_bolt.seen[-1]["headers"]["x-slack-retry-num"] in ("2", ["2"])
    fake.assert_no_violations()


def test_an_ack_after_the_deadline_is_a_violation(socket_bolt: Bolt) -> None:
    socket_bolt.sim.ack_deadline = 0.1
    resp = socket_bolt.sim.slash("U1", "slow")
    assert (resp.status, resp.ack) == (0, None)
    time.sleep(0.35)  # the app acks at 0.3 s; Slack has stopped listening by then
    assert len(socket_bolt.fake.violations) == 1
    assert "Slack gives up after 0.1s" in socket_bolt.fake.violations[0]


def test_the_app_reconnects_when_slack_asks_and_keeps_working(socket_bolt: Bolt) -> None:
    fake = socket_bolt.fake
    assert fake.request_reconnect() == 1
    first, second = fake.wait_for("websocket", lambda call: call.status == 101, count=2)
    assert first.args["ticket"] != second.args["ticket"]
    fake.wait_for_socket(count=1)
    assert socket_bolt.sim.slash("U1", "again", command="/echo").ack == {"text": "got again"}
    assert len(fake.calls_to("apps.connections.open")) == 2
    fake.assert_no_violations()


def test_socket_transport_needs_a_connected_app_and_has_no_url_verification(
    fake: FakeSlack,
) -> None:
    sim = SlackSim(fake, transport="socket")
    with pytest.raises(RuntimeError, match="no Socket Mode connection is open"):
        sim.slash("U1")
    with pytest.raises(ValueError, match="no url_verification"):
        sim.url_verification()
    with pytest.raises(ValueError, match="needs the app_url and the signing_secret"):
        SlackSim(fake, transport="http")
