"""The WSGI front: health checks and routing."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode

import pytest
from prometheus_client.parser import text_string_to_metric_families
from slack_bolt import Ack
from slack_sdk.errors import SlackApiError
from sqlalchemy import select

from bot.app import build_app
from bot.observability import MeteredWebClient, request_kind
from bot.sandbox import FakeSlack, SlackSim
from bot.scheduling import plan_pass, timing_from
from bot.store.db import Database, session_scope
from bot.store.models import Outbox, OutboxStatus
from bot.web import WebApp
from tests.conftest import BOT_TOKEN, SIGNING_SECRET, RunningApp, make_settings, serve
from tests.helpers import make_pair

FORM = "application/x-www-form-urlencoded"


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def test_healthz_answers_200_while_the_database_answers(running: RunningApp) -> None:
    assert get(f"{running.url}/healthz") == (200, "ok\n")


def test_healthz_answers_503_when_the_database_does_not(
    running: RunningApp, tmp_path: Path
) -> None:
    broken = Database(f"sqlite:///{tmp_path}/no/such/dir/db.sqlite3")
    base, server = serve(WebApp(build_app(running.settings, running.db), broken))
    try:
        assert get(f"{base}/healthz") == (503, "database unavailable\n")
    finally:
        server.shutdown()
        broken.dispose()


def test_unknown_paths_are_404(running: RunningApp) -> None:
    assert get(f"{running.url}/nope")[0] == 404
    assert get(f"{running.url}/slack/events")[0] == 405  # Slack only POSTs


def metrics(url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of /metrics, keyed by name and sorted labels."""
    status, text = get(f"{url}/metrics")
    assert status == 200
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_readyz_needs_the_database_at_the_migrations_head(
    running: RunningApp, tmp_path: Path
) -> None:
    assert get(f"{running.url}/readyz") == (200, "ready\n")
    # A database no one migrated: alive, but not ready.
    empty = Database(f"sqlite:///{tmp_path}/empty.sqlite3")
    base, server = serve(WebApp(build_app(running.settings, running.db), empty))
    try:
        assert get(f"{base}/healthz") == (200, "ok\n")
        status, text = get(f"{base}/readyz")
        assert status == 503
        assert "Run `mentor-bot migrate` first" in text
    finally:
        server.shutdown()
        empty.dispose()
    broken = Database(f"sqlite:///{tmp_path}/no/such/dir/db.sqlite3")
    base, server = serve(WebApp(build_app(running.settings, running.db), broken))
    try:
        assert get(f"{base}/readyz") == (503, "database unavailable\n")
    finally:
        server.shutdown()
        broken.dispose()


def test_metrics_count_requests_and_time_their_acks(running: RunningApp) -> None:
    key = ("mentor_requests_total", (("kind", "slash_command"), ("status", "200")))
    acks = ("mentor_ack_seconds_count", (("kind", "slash_command"),))
    before = metrics(running.url)
    for _ in range(3):
        assert running.sim.slash("UANNA", "help").status == 200
    after = metrics(running.url)
    assert after[key] - before.get(key, 0) == 3
    assert after[acks] - before.get(acks, 0) == 3
    assert after[("mentor_ack_seconds_sum", (("kind", "slash_command"),))] > 0
    # A request that fails the signature check is counted with its status.
    unsigned = ("mentor_requests_total", (("kind", "slash_command"), ("status", "401")))
    request = urllib.request.Request(
        f"{running.url}/slack/events",
        data=b"command=%2Fmentor&text=help",
        headers={"X-Slack-Request-Timestamp": "1", "X-Slack-Signature": "v0=00"},
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=5)
    assert refused.value.code == 401
    assert metrics(running.url)[unsigned] - before.get(unsigned, 0) == 1


def test_with_a_metrics_token_only_its_bearer_may_scrape(running: RunningApp) -> None:
    token = "a-long-scrape-token-42"
    base, server = serve(WebApp(None, running.db, metrics_token=token))

    def scrape(authorization: str | None) -> tuple[int, str, str]:
        headers = {"Authorization": authorization} if authorization else {}
        request = urllib.request.Request(f"{base}/metrics", headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=5) as resp:
                return resp.status, resp.read().decode(), ""
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode(), exc.headers.get("WWW-Authenticate", "")

    try:
        for refused in (None, f"Bearer {token}x", f"Basic {token}", token, "Bearer "):
            status, _, challenge = scrape(refused)
            assert (status, challenge) == (401, 'Bearer realm="metrics"'), refused
        status, body, _ = scrape(f"bearer {token}")
        assert status == 200 and "mentor_outbox_depth" in body
        # The probes stay open: load balancers and orchestrators carry no token.
        assert get(f"{base}/healthz") == (200, "ok\n")
    finally:
        server.shutdown()


def test_metrics_show_the_outbox_depth_and_the_scheduler_lag(running: RunningApp) -> None:
    lag = ("mentor_scheduler_lag_seconds", ())
    first = metrics(running.url)
    assert first[lag] == 0
    assert first[("mentor_outbox_depth", (("status", "pending"),))] == 0
    make_pair(running.db, first_meeting=dt.date(2026, 12, 2))
    plan_pass(running.db, timing_from(running.settings), dt.datetime(2026, 12, 1, tzinfo=dt.UTC))
    with session_scope(running.db.sessions) as s:
        pending = s.scalars(select(Outbox).where(Outbox.status == OutboxStatus.PENDING)).all()
        assert len(pending) >= 2
        # One message is overdue by 90 s: the scheduler is behind.
        pending[0].due_at = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=90)
        for row in pending[1:]:
            row.due_at = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    now = metrics(running.url)
    assert now[("mentor_outbox_depth", (("status", "pending"),))] == len(pending)
    assert now[("mentor_outbox_depth", (("status", "sent"),))] == 0
    assert 90 <= now[lag] < 150


def test_metrics_count_slack_api_errors_by_method_and_error(running: RunningApp) -> None:
    client = MeteredWebClient(token=BOT_TOKEN, base_url=running.fake.api_url)
    key = (
        "mentor_slack_api_errors_total",
        (("error", "channel_not_found"), ("method", "chat.postMessage")),
    )
    before = metrics(running.url).get(key, 0)
    running.fake.fail_next("chat.postMessage", error="channel_not_found")
    with pytest.raises(SlackApiError):
        client.chat_postMessage(channel="D0GONE", text="hello")
    assert metrics(running.url)[key] - before == 1


def test_work_after_acks_does_not_delay_the_next_ack(
    fake_slack: FakeSlack, db: Database, database_url: str
) -> None:
    """Bolt acks only once a listener thread reached ack(): slow work after earlier acks
    (Slack calls, the database) must not leave new requests waiting for a thread."""
    settings = make_settings(fake_slack, database_url)
    app = build_app(settings, db)
    release = threading.Event()

    @app.command("/slowtest")
    def slow(ack: Ack) -> None:
        ack()
        release.wait(10)  # post-ack work that takes long

    base, server = serve(WebApp(app, db))
    sim = SlackSim(fake_slack, app_url=f"{base}/slack/events", signing_secret=SIGNING_SECRET)
    try:
        with ThreadPoolExecutor(30) as pool:
            busy = list(pool.map(lambda _: sim.slash("UANNA", "", "/slowtest").status, range(30)))
            assert busy == [200] * 30
            started = time.monotonic()
            assert sim.slash("UANNA", "help").status == 200
            assert time.monotonic() - started < 1.0
    finally:
        release.set()
        server.shutdown()


def test_web_api_errors_of_listeners_are_counted_too(running: RunningApp) -> None:
    """Bolt gives every request a WebClient of its own; its failed calls count as well."""
    key = (
        "mentor_slack_api_errors_total",
        (("error", "expired_trigger_id"), ("method", "views.open")),
    )
    before = metrics(running.url).get(key, 0)
    running.fake.fail_next("views.open", error="expired_trigger_id")
    assert running.sim.slash("UANNA", "join").status == 200
    running.fake.wait_for("views.open")
    deadline = time.monotonic() + 5
    while metrics(running.url).get(key, 0) == before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert metrics(running.url)[key] - before == 1


@pytest.mark.parametrize(
    ("content_type", "body", "kind"),
    [
        (FORM, urlencode({"command": "/mentor", "text": "a&b=c payload=x"}), "slash_command"),
        (
            FORM,
            urlencode({"payload": json.dumps({"type": "block_actions", "view": {"type": "x"}})}),
            "block_actions",
        ),
        (FORM, urlencode({"payload": json.dumps({"type": "view_submission"})}), "view_submission"),
        (FORM, urlencode({"payload": json.dumps({"type": "made_up"})}), "other"),
        (FORM, "payload=%7Bnot-json", "other"),
        (FORM, "garbage%%%&&==", "other"),
        ("application/json", json.dumps({"type": "event_callback"}), "event"),
        ("application/json", json.dumps({"type": "url_verification"}), "url_verification"),
        ("application/json", "[not an object", "other"),
    ],
)
def test_each_request_is_labelled_by_its_kind_without_trusting_it(
    content_type: str, body: str, kind: str
) -> None:
    assert request_kind(content_type, body.encode()) == kind
