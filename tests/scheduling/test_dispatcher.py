"""The dispatcher against the Slack stand-in: sent once, paced, retried, never stale."""

from __future__ import annotations

import datetime as dt
import re
import sys
import time
from collections import Counter

import pytest
from cryptography.fernet import InvalidToken
from slack_sdk.oauth.installation_store.models.bot import Bot
from sqlalchemy import event, select

from bot.sandbox import FakeSlack, SlackUser
from bot.scheduling import dispatch_client, make_dispatcher, plan_pass, timing_from
from bot.services.catalog import load_catalog
from bot.slack.workspaces import Workspaces
from bot.store.db import Database
from bot.store.models import Outbox, OutboxKind, OutboxStatus, Participant, Status
from tests.conftest import make_settings
from tests.helpers import make_pair

# Wednesday 2 December 2026; the pair meets on Wednesdays at 15:00 in Berlin (14:00 UTC).
WED = dt.date(2026, 12, 2)
BEFORE = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)
NUDGE_UTC = dt.datetime(2026, 12, 2, 8, 0, tzinfo=dt.UTC)  # 09:00 in Berlin


def _dispatcher(fake: FakeSlack, db: Database, database_url: str, **settings: object):
    values: dict[str, object] = {"mentor_send_rate": 1000, "mentor_send_burst": 1000}
    values.update(settings)
    cfg = make_settings(fake, database_url, **values)
    # The client the scheduler uses in production (kept-alive connections).
    dispatcher = make_dispatcher(cfg, db, dispatch_client(cfg), load_catalog())
    dispatcher.retry_base = 0.01
    return cfg, dispatcher


def _rows(db: Database) -> list[Outbox]:
    with db.sessions() as s:
        return list(s.scalars(select(Outbox).order_by(Outbox.id)))


def _posts(fake: FakeSlack) -> list[dict]:
    return [c.args for c in fake.calls_to("chat.postMessage") if c.response.get("ok")]


def test_a_nudge_goes_to_each_partner_at_nine_local_and_only_once(
    fake_slack: FakeSlack, db: Database, database_url: str
) -> None:
    make_pair(db, first_meeting=WED)
    cfg, dispatcher = _dispatcher(fake_slack, db, database_url)
    plan_pass(db, timing_from(cfg), BEFORE)
    nudges = [r for r in _rows(db) if r.kind is OutboxKind.NUDGE]
    assert [r.due_at for r in nudges] == [NUDGE_UTC, NUDGE_UTC]
    assert dispatcher.run(BEFORE).sent == 0
    stats = dispatcher.run(NUDGE_UTC + dt.timedelta(minutes=1))
    assert stats.sent == 2
    assert dispatcher.run(NUDGE_UTC + dt.timedelta(minutes=2)).sent == 0
    posts = _posts(fake_slack)
    assert len(posts) == 2
    assert all("today at 15:00" in p["text"] for p in posts)
    # The DM channel is opened once per person and then reused.
    plan_pass(db, timing_from(cfg), NUDGE_UTC + dt.timedelta(days=6))
    dispatcher.run(NUDGE_UTC + dt.timedelta(days=7, minutes=1))
    assert len(_posts(fake_slack)) == 4
    assert len(fake_slack.calls_to("conversations.open")) == 2


def test_planning_twice_creates_nothing_twice(
    fake_slack: FakeSlack, db: Database, database_url: str
) -> None:
    make_pair(db, first_meeting=WED)
    cfg, _ = _dispatcher(fake_slack, db, database_url)
    first = plan_pass(db, timing_from(cfg), BEFORE)
    again = plan_pass(db, timing_from(cfg), BEFORE + dt.timedelta(minutes=1))
    assert (first.jour_fixes, first.messages) == (1, 4)
    assert (again.jour_fixes, again.messages) == (0, 0)
    assert len(_rows(db)) == 4


def test_a_scheduler_back_within_the_grace_window_still_sends_the_nudge(
    fake_slack: FakeSlack, db: Database, database_url: str
) -> None:
    make_pair(db, first_meeting=WED)
    cfg, dispatcher = _dispatcher(fake_slack, db, database_url)
    # Down from before the nudge until 11:30 Berlin: planned and sent late, but before 15:00.
    late = dt.datetime(2026, 12, 2, 10, 30, tzinfo=dt.UTC)
    plan_pass(db, timing_from(cfg), late)
    assert dispatcher.run(late).sent == 2


def test_after_the_grace_window_the_nudge_is_missed_and_never_sent(
    fake_slack: FakeSlack, db: Database, database_url: str
) -> None:
    make_pair(db, first_meeting=WED)
    cfg, dispatcher = _dispatcher(fake_slack, db, database_url)
    # Back the next morning: no stale "your jour fixe is today".
    next_day = dt.datetime(2026, 12, 3, 8, 0, tzinfo=dt.UTC)
    plan_pass(db, timing_from(cfg), next_day)
    stats = dispatcher.run(next_day)
    nudges = [r for r in _rows(db) if r.kind is OutboxKind.NUDGE]
    assert {r.status for r in nudges} == {OutboxStatus.MISSED}
    assert stats.missed == 2
    assert not any("today" in p["text"] for p in _posts(fake_slack))


def test_nobody_who_paused_or_left_is_written_to(
    fake_slack: FakeSlack, db: Database, database_url: str
) -> None:
    make_pair(db, first_meeting=WED)
    cfg, dispatcher = _dispatcher(fake_slack, db, database_url)
    plan_pass(db, timing_from(cfg), BEFORE)
    with db.sessions.begin() as s:
        bernd = s.scalar(select(Participant).where(Participant.slack_user_id == "UBERND"))
        assert bernd is not None
        bernd.status = Status.PAUSED
    stats = dispatcher.run(NUDGE_UTC)
    # Bernd paused: his nudge is cancelled, and Anna's too (her partner is away).
    assert stats.sent == 0
    assert stats.cancelled == 2
    assert _posts(fake_slack) == []


def test_a_429_is_honoured_for_its_retry_after_and_the_message_still_goes_once(
    fake_slack: FakeSlack, db: Database, database_url: str
) -> None:
    make_pair(db, first_meeting=WED)
    cfg, dispatcher = _dispatcher(fake_slack, db, database_url)
    plan_pass(db, timing_from(cfg), BEFORE)
    fake_slack.fail_next("chat.postMessage", status=429, retry_after=1)
    started = time.monotonic()
    stats = dispatcher.run(NUDGE_UTC)
    assert stats.rate_limited == 1
    assert stats.sent == 2
    assert time.monotonic() - started >= 1.0
    assert len(_posts(fake_slack)) == 2
    # The 429 did not use up an attempt.
    assert all(r.attempts == 1 for r in _rows(db) if r.status is OutboxStatus.SENT)


def test_server_errors_are_retried_with_backoff_then_marked_failed(
    fake_slack: FakeSlack, db: Database, database_url: str
) -> None:
    make_pair(db, first_meeting=WED)
    cfg, dispatcher = _dispatcher(fake_slack, db, database_url, mentor_send_max_attempts=3)
    plan_pass(db, timing_from(cfg), BEFORE)
    fake_slack.fail_next("chat.postMessage", status=500)
    moment = NUDGE_UTC
    first = dispatcher.run(moment)
    assert (first.sent, first.retried) == (1, 1)
    # Backoff: the failed one is not due again at once.
    assert dispatcher.run(moment).sent == 0
    fake_slack.fail_next("chat.postMessage", status=503, times=5)
    for minute in (1, 2, 3):
        dispatcher.run(moment + dt.timedelta(minutes=minute))
    failed = [r for r in _rows(db) if r.status is OutboxStatus.FAILED]
    assert len(failed) == 1
    assert failed[0].attempts == 3
    assert failed[0].last_error in {"fatal_error", "service_unavailable"}


def test_with_a_fifth_of_all_calls_failing_everything_arrives_exactly_once(
    fake_slack: FakeSlack, db: Database, database_url: str
) -> None:
    first = dt.date(2026, 12, 2)
    for i in range(20):
        fake_slack.add_user(_user(f"UM{i:03d}"))
        fake_slack.add_user(_user(f"UE{i:03d}"))
        make_pair(db, mentor=f"UM{i:03d}", mentee=f"UE{i:03d}", first_meeting=first)
    cfg, dispatcher = _dispatcher(fake_slack, db, database_url, mentor_send_max_attempts=20)
    plan_pass(db, timing_from(cfg), BEFORE)
    fake_slack.inject_faults(0.2, statuses=(429, 500), retry_after=0, seed=4)
    deadline = time.monotonic() + 60
    moment = NUDGE_UTC
    while time.monotonic() < deadline:
        dispatcher.run(moment)
        with db.sessions() as s:
            left = s.scalar(
                select(Outbox.id).where(
                    Outbox.kind == OutboxKind.NUDGE, Outbox.status != OutboxStatus.SENT
                )
            )
        if left is None:
            break
        moment += dt.timedelta(seconds=30)
    fake_slack.inject_faults(0)
    assert sum(fake_slack.injected_faults.values()) > 0
    per_channel = Counter(p["channel"] for p in _posts(fake_slack))
    assert len(per_channel) == 40
    assert set(per_channel.values()) == {1}


def _user(user_id: str):
    from bot.sandbox import SlackUser

    return SlackUser(id=user_id, name=user_id.lower(), tz="Europe/Berlin")


@pytest.mark.parametrize("budget", [1, 2])
def test_the_weekly_budget_caps_unsolicited_dms(
    fake_slack: FakeSlack, db: Database, database_url: str, budget: int
) -> None:
    make_pair(db, first_meeting=WED)
    cfg, dispatcher = _dispatcher(fake_slack, db, database_url, mentor_weekly_dm_budget=budget)
    plan_pass(db, timing_from(cfg), BEFORE)
    dispatcher.run(NUDGE_UTC)  # nudges: one each
    dispatcher.run(NUDGE_UTC + dt.timedelta(hours=9))  # "Did you meet?" after 17:00
    sent = Counter(c.args["channel"] for c in fake_slack.calls_to("chat.postMessage"))
    assert set(sent.values()) == {budget}
    cancelled = [r for r in _rows(db) if r.last_error == "budget"]
    assert len(cancelled) == 2 * (2 - budget)


def test_a_message_that_cannot_be_rendered_fails_alone_and_does_not_block_the_rest(
    fake_slack: FakeSlack, db: Database, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    make_pair(db, first_meeting=WED)
    cfg, dispatcher = _dispatcher(fake_slack, db, database_url)
    plan_pass(db, timing_from(cfg), BEFORE)
    render, poisoned = dispatcher.render, min(r.id for r in _rows(db))

    def fragile(row, subject, now):  # type: ignore[no-untyped-def]
        if row.id == poisoned:
            raise KeyError("a topic no one foresaw")
        return render(row, subject, now)

    dispatcher.render = fragile
    stats = dispatcher.run(NUDGE_UTC)
    assert (stats.sent, stats.failed) == (1, 1)
    rows = {r.id: r for r in _rows(db)}
    assert (rows[poisoned].status, rows[poisoned].last_error) == (
        OutboxStatus.FAILED,
        "render_error",
    )
    assert rows[poisoned].lease_owner is None
    assert "could not be rendered" in caplog.text
    # Nothing comes back later: the row is closed, not leased.
    assert dispatcher.run(NUDGE_UTC + dt.timedelta(minutes=5)).sent == 0
    assert len(_posts(fake_slack)) == 1


def test_while_sending_the_gil_changes_hands_every_half_millisecond(
    fake_slack: FakeSlack, db: Database, database_url: str
) -> None:
    make_pair(db, first_meeting=WED)
    cfg, dispatcher = _dispatcher(fake_slack, db, database_url)
    plan_pass(db, timing_from(cfg), BEFORE)
    render, seen = dispatcher.render, []

    def watching(row, subject, now):  # type: ignore[no-untyped-def]
        seen.append(sys.getswitchinterval())
        return render(row, subject, now)

    dispatcher.render = watching
    before = sys.getswitchinterval()
    assert dispatcher.run(NUDGE_UTC).sent == 2
    assert seen and max(seen) <= 0.0005
    assert sys.getswitchinterval() == before


def test_a_workspace_whose_token_cannot_be_read_waits_while_the_others_are_sent(
    fake_slack: FakeSlack, db: Database, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    fake_slack.add_user(SlackUser(id="UDORA", name="dora", tz="Europe/Berlin"))
    make_pair(db, first_meeting=WED)
    make_pair(db, team="TBAD", mentor="UCLARA", mentee="UDORA", first_meeting=WED)
    cfg, dispatcher = _dispatcher(fake_slack, db, database_url)
    plan_pass(db, timing_from(cfg), BEFORE)
    client = dispatch_client(cfg)

    class Store:  # TBAD's token was sealed with a key no longer configured
        def bot_for(self, team: str) -> object:
            if team == "TBAD":
                raise InvalidToken
            return Bot(app_id="A", bot_id="B", bot_user_id="U", bot_token=client.token or "",
                       installed_at=0.0, team_id=team)  # fmt: skip

    dispatcher.workspaces = Workspaces(lambda _token: client, store=Store())  # type: ignore[arg-type]
    stats = dispatcher.run(NUDGE_UTC)
    assert (stats.sent, stats.retried) == (2, 2)
    waiting = [
        r for r in _rows(db) if r.status is OutboxStatus.PENDING and r.kind is OutboxKind.NUDGE
    ]
    assert len(waiting) == 2
    assert {r.last_error for r in waiting} == {"no_client:InvalidToken"}
    assert "no Slack client for its workspace" in caplog.text


def test_preparing_messages_loads_each_person_once_and_never_column_by_column(
    fake_slack: FakeSlack, db: Database, database_url: str
) -> None:
    """The subjects load only the person columns deciding and rendering read: a renderer
    reading another one would still work, but with a query per person and column."""
    make_pair(db, first_meeting=WED)
    cfg, dispatcher = _dispatcher(fake_slack, db, database_url)
    plan_pass(db, timing_from(cfg), BEFORE)
    statements: list[str] = []

    def record(_conn: object, _cursor: object, sql: str, *_: object) -> None:
        statements.append(" ".join(sql.split()))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        assert dispatcher.run(NUDGE_UTC + dt.timedelta(minutes=1)).sent == 2
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    one_by_one = [
        s for s in statements if re.match(r"SELECT participant\.\w+ FROM participant WHERE", s)
    ]
    assert one_by_one == []
    people = [s for s in statements if s.startswith("SELECT") and "FROM participant" in s]
    assert len(people) == 1
    # Only the columns it needs: not, say, the person's free-text "about".
    assert "participant.slack_user_id" in people[0] and "participant.about" not in people[0]


def test_a_person_who_leaves_while_their_message_is_in_flight_gets_no_dm_id_back(
    fake_slack: FakeSlack, db: Database, database_url: str
) -> None:
    from bot.services import enrollment

    make_pair(db, first_meeting=WED)
    cfg, dispatcher = _dispatcher(fake_slack, db, database_url)
    plan_pass(db, timing_from(cfg), BEFORE)
    wait = dispatcher.pacer.wait
    left = []

    def anna_leaves_before_the_first_send(stop: object) -> bool:
        # The batch was claimed and prepared; now Anna leaves (as from another process).
        if not left:
            with db.sessions.begin() as s:
                left.append(enrollment.leave(session=s, team_id="T0001", user_id="UANNA"))
        return bool(wait(stop))

    dispatcher.pacer.wait = anna_leaves_before_the_first_send
    dispatcher.run(NUDGE_UTC + dt.timedelta(minutes=1))
    assert left == [True]
    with db.sessions() as s:
        erased = s.scalar(select(Participant).where(Participant.status == Status.LEFT))
        assert erased is not None and erased.slack_user_id.startswith("left-")
        assert erased.dm_channel_id is None
