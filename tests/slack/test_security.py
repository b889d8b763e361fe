"""Requests Slack did not sign are refused with 401 and write nothing."""

from __future__ import annotations

import http.client
import logging
import time
from urllib.parse import urlencode

import pytest

from tests.conftest import RunningApp
from tests.helpers import count_participants


def slash_body(user: str = "UANNA", text: str = "join") -> bytes:
    return urlencode(
        {
            "team_id": "T0001",
            "user_id": user,
            "command": "/mentor",
            "text": text,
            "trigger_id": "1.2.abc",
            "response_url": "http://127.0.0.1:9/hook",
            "channel_id": "D1",
        }
    ).encode()


FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def api_calls(app: RunningApp) -> list[str]:
    return [c.method for c in app.fake.calls if c.method != "auth.test"]


def test_a_correctly_signed_request_is_accepted(running: RunningApp) -> None:
    body = slash_body(text="help")
    resp = running.sim.send_raw(body, {**FORM, **running.sim.sign(body)})
    assert resp.status == 200


@pytest.mark.parametrize(
    "tamper",
    [
        "forged-signature",
        "stale-timestamp",
        "future-timestamp",
        "no-headers",
        "no-signature",
        "no-timestamp",
        "altered-body",
        "garbage-timestamp",
    ],
)
def test_unsigned_or_tampered_requests_get_401_and_change_nothing(
    running: RunningApp, tamper: str
) -> None:
    body = slash_body()
    headers = {**FORM, **running.sim.sign(body)}
    if tamper == "forged-signature":
        headers["X-Slack-Signature"] = "v0=" + "0" * 64
    elif tamper == "stale-timestamp":
        headers = {**FORM, **running.sim.sign(body, timestamp=int(time.time()) - 301)}
    elif tamper == "future-timestamp":
        headers = {**FORM, **running.sim.sign(body, timestamp=int(time.time()) + 3600)}
    elif tamper == "no-headers":
        headers = dict(FORM)
    elif tamper == "no-signature":
        del headers["X-Slack-Signature"]
    elif tamper == "no-timestamp":
        del headers["X-Slack-Request-Timestamp"]
    elif tamper == "altered-body":
        body = slash_body(text="leave")
    elif tamper == "garbage-timestamp":
        headers["X-Slack-Request-Timestamp"] = "yesterday"
    resp = running.sim.send_raw(body, headers)
    assert resp.status == 401
    time.sleep(0.2)  # anything the request had started would have reached the stand-in by now
    assert api_calls(running) == []
    assert count_participants(running) == 0


def test_an_oversized_body_is_refused_before_it_is_read(running: RunningApp) -> None:
    host, port = running.url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=5)
    try:
        conn.putrequest("POST", "/slack/events")
        conn.putheader("Content-Type", "application/x-www-form-urlencoded")
        conn.putheader("Content-Length", "50000000")
        conn.endheaders()
        assert conn.getresponse().status == 413
    finally:
        conn.close()


def test_a_rejected_request_never_puts_its_body_in_the_log(
    running: RunningApp, caplog: pytest.LogCaptureFixture
) -> None:
    body = slash_body(text="pause my-private-note")
    headers = {**FORM, **running.sim.sign(body)}
    headers["X-Slack-Signature"] = "v0=" + "1" * 64
    with caplog.at_level(logging.DEBUG):
        assert running.sim.send_raw(body, headers).status == 401
    messages = [r.getMessage() for r in caplog.records]
    assert any("Invalid request signature" in m for m in messages)
    assert not any("my-private-note" in m for m in messages)
