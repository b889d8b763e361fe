"""Logs: JSON lines with correlation ids, and never a secret or anyone's feedback."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from bot.observability import configure_logging
from bot.store.models import Participant, Poll
from tests.conftest import BOT_TOKEN, SIGNING_SECRET, RunningApp
from tests.helpers import text_of
from tests.slack.test_jour_fixe_flow import _tampered_click, _two_polls

FEEDBACK = "Zebra-honest remark about my mentor 4711"


@pytest.fixture
def json_logs() -> Iterator[io.StringIO]:
    """Root logging as `MENTOR_LOG_FORMAT=json LOG_LEVEL=DEBUG` sets it, restored afterwards."""
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    sink = io.StringIO()
    configure_logging("DEBUG", "json", stream=sink)
    yield sink
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in saved[0]:
        root.addHandler(handler)
    root.setLevel(saved[1])


def test_json_logs_carry_correlation_ids_and_no_secrets_or_feedback(
    running: RunningApp, json_logs: io.StringIO
) -> None:
    anna_poll, _, _ = _two_polls(running)
    # Free text goes in through a modal...
    running.sim.click("UANNA", "poll_share", message=anna_poll)
    opened = running.fake.wait_for("views.open", lambda c: c.response.get("ok"))[-1]
    resp = running.sim.submit_view(
        "UANNA", opened.response["view"]["id"], {"fb_learned": FEEDBACK, "fb_stop": FEEDBACK}
    )
    assert resp.status == 200
    # ...a refused click is logged with the reference the user is shown...
    with running.db.sessions() as s:
        bernds = s.scalar(
            select(Poll.id).join(Participant).where(Participant.slack_user_id == "UBERND")
        )
    _tampered_click(running.sim, "UANNA", "poll_rate_1", anna_poll, str(bernds))
    running.fake.wait_for("response_url", lambda c: "Only the two" in text_of(c.args))
    # ...and a careless log call with a token in it is masked.
    logging.getLogger("bot.careless").warning("calling Slack with %s", BOT_TOKEN)
    logging.getLogger("bot.careless").error("app token xapp-1-A0123-456-abcdef leaked")

    lines = [line for line in json_logs.getvalue().splitlines() if line.strip()]
    assert len(lines) > 10
    bad = [line for line in lines if not line.startswith("{")]
    assert not bad, "\n".join(lines[:40])
    entries = [json.loads(line) for line in lines]  # every line is one JSON object
    assert all({"ts", "level", "logger", "message"} <= set(e) for e in entries)
    everything = "\n".join(lines)
    for secret in (BOT_TOKEN, SIGNING_SECRET, "xapp-1-A0123-456-abcdef", FEEDBACK, "Zebra"):
        assert secret not in everything
    assert "xoxb-***" in everything and "xapp-***" in everything
    refused = [e for e in entries if e["message"].startswith("Refused")]
    assert refused, everything

    ref = refused[-1]["message"].split("[ref=", 1)[1].split("]", 1)[0]
    assert refused[-1]["correlation_id"] == ref
    # Lines written while handling a request, in Bolt's listener threads too, carry its id.
    assert len({e.get("correlation_id") for e in entries} - {None}) >= 3


def test_text_logs_mask_tokens_in_tracebacks_and_refresh_tokens_too() -> None:
    sink = io.StringIO()
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    configure_logging("INFO", "text", stream=sink)
    try:
        try:
            raise RuntimeError(f"Slack said no to {BOT_TOKEN}")
        except RuntimeError:
            logging.getLogger("bot.careless").exception("call failed")
        logging.getLogger("bot.careless").info("refresh xoxe-1-My0xLTEtMjk and xoxe.xoxp-1-Mi0y")
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in saved[0]:
            root.addHandler(handler)
        root.setLevel(saved[1])
    out = sink.getvalue()
    assert "RuntimeError: Slack said no to xoxb-***" in out
    assert BOT_TOKEN not in out
    assert "My0xLTEtMjk" not in out and "Mi0y" not in out
