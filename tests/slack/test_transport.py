"""The dispatcher's kept-alive Web API client: same answers as WebClient, fewer handshakes."""

from __future__ import annotations

import socket
from urllib.error import URLError

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.sandbox import FakeSlack, SlackUser
from bot.slack.transport import KeepAliveWebClient
from tests.conftest import BOT_TOKEN


def _client(fake: FakeSlack, **kwargs: object) -> KeepAliveWebClient:
    return KeepAliveWebClient(
        token=BOT_TOKEN, base_url=fake.api_url, timeout=5, retry_handlers=[], **kwargs
    )


def _socket_of(client: KeepAliveWebClient) -> socket.socket | None:
    (conn, _), *_ = client._local.pool.values()
    return conn.sock


def test_calls_reuse_one_connection_and_answer_like_webclient(fake_slack: FakeSlack) -> None:
    fake_slack.add_user(SlackUser(id="U1", name="u1"))
    channel = WebClient(token=BOT_TOKEN, base_url=fake_slack.api_url).conversations_open(
        users="U1"
    )["channel"]["id"]
    client = _client(fake_slack)
    first = client.chat_postMessage(channel=channel, text="one")
    sock = _socket_of(client)
    second = client.chat_postMessage(channel=channel, text="two", blocks=[])
    assert sock is not None and _socket_of(client) is sock
    assert first["ok"] and second["ok"] and first["channel"] == channel
    assert first["ts"] != second["ts"]
    assert [m["text"] for m in fake_slack.messages if m["channel"] == channel] == ["one", "two"]
    client.close()
    assert client._local.pool == {}


def test_an_idle_connection_is_replaced_before_it_is_used(fake_slack: FakeSlack) -> None:
    client = _client(fake_slack, idle_seconds=0.0)
    client.auth_test()
    sock = _socket_of(client)
    client.auth_test()
    assert _socket_of(client) is not sock
    assert sock is not None and sock.fileno() == -1  # the old one was closed


def test_slack_errors_and_a_429_come_back_as_slack_api_errors(fake_slack: FakeSlack) -> None:
    client = _client(fake_slack)
    with pytest.raises(SlackApiError) as refused:
        client.chat_postMessage(channel="CNOPE", text="x")
    assert refused.value.response["error"] == "channel_not_found"
    fake_slack.fail_next("chat.postMessage", status=429, error="ratelimited", retry_after=7)
    with pytest.raises(SlackApiError) as limited:
        client.chat_postMessage(channel="CNOPE", text="x")
    assert limited.value.response.status_code == 429
    assert limited.value.response.headers["Retry-After"] == "7"
    assert client.auth_test()["ok"]  # the connection survived both errors


def test_a_failure_on_the_wire_is_a_urlerror_and_the_next_call_reconnects(
    fake_slack: FakeSlack,
) -> None:
    with socket.socket() as spare:
        spare.bind(("127.0.0.1", 0))
        dead_port = spare.getsockname()[1]
    dead = KeepAliveWebClient(
        token=BOT_TOKEN, base_url=f"http://127.0.0.1:{dead_port}/api/", timeout=2, retry_handlers=[]
    )
    with pytest.raises(URLError):
        dead.auth_test()
    assert dead._local.pool == {}
    client = _client(fake_slack)
    client.auth_test()
    _socket_of(client).close()  # the server (or a proxy) dropped it under us
    with pytest.raises(URLError):
        client.auth_test()
    assert client.auth_test()["ok"]
