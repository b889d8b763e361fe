"""The dispatcher's kept-alive Web API client: same answers as WebClient, fewer handshakes."""

from __future__ import annotations

import socket
import time
from urllib.error import URLError
from urllib.parse import urlencode

import pytest
from slack_bolt import Ack, BoltRequest, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.signature import SignatureVerifier
from slack_sdk.webhook import WebhookClient

from bot.app import build_app
from bot.sandbox import FakeSlack, SlackUser
from bot.slack.transport import _RESPONSE_CONNECTIONS, KeepAliveRespond, KeepAliveWebClient
from bot.store.db import Database
from tests.conftest import BOT_TOKEN, make_settings


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


def test_answers_to_response_urls_share_one_kept_alive_connection_per_thread(
    fake_slack: FakeSlack,
) -> None:
    first = KeepAliveRespond(response_url=fake_slack.response_url(user_id="U1"))
    second = KeepAliveRespond(response_url=fake_slack.response_url(user_id="U1"))
    answer = first(text="one", response_type="ephemeral")
    (conn, _), *_ = _RESPONSE_CONNECTIONS.pool.values()
    sock = conn.sock
    again = second({"text": "two", "replace_original": False})
    assert answer.status_code == 200 and again.status_code == 200
    (conn_after, _), *_ = _RESPONSE_CONNECTIONS.pool.values()
    assert sock is not None and conn_after.sock is sock  # no second handshake
    posted = [c.args for c in fake_slack.calls_to("response_url")]
    assert [(p["text"], p.get("response_type")) for p in posted] == [
        ("one", "ephemeral"),
        ("two", None),
    ]


def test_a_failed_answer_comes_back_like_slack_sdks_and_the_next_one_goes_through(
    fake_slack: FakeSlack,
) -> None:
    url = fake_slack.response_url(user_id="U1")
    fake_slack.fail_next("response_url", status=500, error="internal_error", times=2)
    failed = KeepAliveRespond(response_url=url)(text="lost")
    stock = WebhookClient(url).send_dict({"text": "lost"})
    assert failed.status_code == stock.status_code == 500
    assert failed.body == stock.body
    assert KeepAliveRespond(response_url=url)(text="fine").status_code == 200
    with pytest.raises(ValueError, match="no response_url"):
        KeepAliveRespond(response_url=None)(text="nowhere")


def test_the_apps_listeners_get_the_kept_alive_respond(
    fake_slack: FakeSlack, db: Database, database_url: str
) -> None:
    settings = make_settings(fake_slack, database_url)
    app = build_app(settings, db)
    seen: list[object] = []

    @app.command("/probe")
    def probe(ack: Ack, respond: Respond) -> None:
        ack()
        seen.append(respond)
        respond(text="probed")

    body = urlencode(
        {
            "command": "/probe",
            "text": "",
            "team_id": fake_slack.team_id,
            "user_id": "UPROBE",
            "channel_id": "CPROBE",
            "response_url": fake_slack.response_url(user_id="UPROBE"),
            "trigger_id": "1.2.3",
        }
    )
    stamp = str(int(time.time()))
    signature = SignatureVerifier(settings.slack_signing_secret.get_secret_value())
    headers = {
        "content-type": ["application/x-www-form-urlencoded"],
        "x-slack-request-timestamp": [stamp],
        "x-slack-signature": [signature.generate_signature(timestamp=stamp, body=body)],
    }
    assert app.dispatch(BoltRequest(body=body, headers=headers)).status == 200
    deadline = time.monotonic() + 5
    while not fake_slack.calls_to("response_url") and time.monotonic() < deadline:
        time.sleep(0.02)
    assert len(seen) == 1 and isinstance(seen[0], KeepAliveRespond)
    assert [c.args["text"] for c in fake_slack.calls_to("response_url")] == ["probed"]
