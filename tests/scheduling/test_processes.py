"""The dispatcher as an operator runs it: real `python -m bot` processes, killed and doubled.

Each test seeds a scratch database of the backend under test from here, starts real
`mentor-bot tick` / `mentor-bot scheduler` processes that reach a Slack stand-in served by
this process (SLACK_API_URL), and then counts what the stand-in received: every due message
must arrive, and none twice (a SIGKILL may repeat at most the one message in flight).
"""

from __future__ import annotations

import datetime as dt
import fcntl
import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

from bot.sandbox import Call, FakeSlack, SlackUser
from bot.sandbox.databases import wipe
from bot.scheduling import plan_pass, timing_from
from bot.scheduling.lock import ADVISORY_KEY
from bot.services import jour_fixe as jour_fixes
from bot.store.db import Database
from bot.store.models import (
    Cadence,
    JourFixe,
    Outbox,
    OutboxKind,
    OutboxStatus,
    Pair,
    Participant,
)
from tests.conftest import BOT_TOKEN, TEAM, make_settings, record_stand_in
from tests.test_cli import run_cli

# Wednesday 2 December 2026; every pair meets on Wednesdays at 15:00 in Berlin (14:00 UTC),
# so each member's nudge is due at 09:00 Berlin (08:00 UTC).
WED = dt.date(2026, 12, 2)
BEFORE = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)
NUDGE_UTC = dt.datetime(2026, 12, 2, 8, 0, tzinfo=dt.UTC)
SENT_LINE = re.compile(r"; sent (\d+), missed (\d+), cancelled (\d+), failed (\d+)")


# --------------------------------------------------------------------------- set-up


@dataclass
class Scratch:
    """A migrated scratch database, the environment of the processes, and a stand-in."""

    env: dict[str, str]
    db: Database
    fake: FakeSlack
    cwd: Path
    procs: list[subprocess.Popen[str]] = field(default_factory=list)
    logs: dict[int, Path] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return self.env["DATABASE_URL"]

    @property
    def postgres(self) -> bool:
        return self.db.engine.dialect.name == "postgresql"

    def start(self, *args: str, name: str, **settings: str) -> subprocess.Popen[str]:
        """Start `python -m bot ARGS` with these extra settings; output goes to files."""
        out = self.cwd / f"{name}.log"
        with out.open("w") as sink:
            proc = subprocess.Popen(
                [sys.executable, "-m", "bot", *args],
                env={**self.env, **settings},
                cwd=self.cwd,
                stdout=sink,
                stderr=subprocess.STDOUT,
                text=True,
            )
        self.procs.append(proc)
        self.logs[proc.pid] = out
        return proc

    def log(self, proc: subprocess.Popen[str]) -> str:
        return self.logs[proc.pid].read_text(encoding="utf-8")


@pytest.fixture
def scratch(tmp_path: Path, database_url: str) -> Iterator[Scratch]:
    """Like test_cli's `env`: SQLite gets a file of its own, PostgreSQL the session database
    (wiped before and after, since the subprocesses write to it outside any test transaction)."""
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "MENTOR_", "DATABASE_URL", "PORT", "LOG_LEVEL"))
    }
    postgres = database_url.startswith("postgres")
    url = database_url if postgres else f"sqlite:///{tmp_path / 'procs.sqlite3'}"
    fake = FakeSlack(team_id=TEAM, bot_token=BOT_TOKEN).start()
    env = {
        **base,
        "DATABASE_URL": url,
        "PYTHONUNBUFFERED": "1",
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": "s",
        "SLACK_API_URL": fake.api_url,
    }
    box: Scratch | None = None
    try:
        migrated = run_cli("migrate", env=env, cwd=tmp_path)
        assert migrated.returncode == 0, migrated.stderr
        box = Scratch(env=env, db=Database(url), fake=fake, cwd=tmp_path)
        if postgres:
            wipe(box.db)
        yield box
    finally:
        for proc in box.procs if box else []:
            if proc.poll() is None:
                proc.kill()
            proc.wait(timeout=10)
        fake.stop()
        if box is not None:
            if postgres:
                wipe(box.db)
            box.db.dispose()
    record_stand_in(fake)
    fake.assert_no_violations()


def seed_pairs(
    box: Scratch,
    prefix: str,
    count: int,
    *,
    first_meeting: dt.date | None = WED,
    dm_open: bool = False,
) -> list[int]:
    """`count` active pairs of distinct people known to the stand-in; returns the pair ids.

    Like tests.helpers.make_pair, but in one transaction (two bulk inserts) for speed. With
    `dm_open`, everyone's DM channel is already known (as after the bot's first message to
    them), which spares the dispatcher a conversations.open and a commit per message.
    """
    now = dt.datetime.now(dt.UTC)
    users = [(f"U{prefix}R{i:04d}", f"U{prefix}E{i:04d}") for i in range(count)]
    for mentor, mentee in users:
        box.fake.add_user(SlackUser(id=mentor, name=mentor.lower(), tz="Europe/Berlin"))
        box.fake.add_user(SlackUser(id=mentee, name=mentee.lower(), tz="Europe/Berlin"))
    with box.db.sessions.begin() as s:
        people = [
            Participant(
                team_id=TEAM,
                slack_user_id=user,
                role=role,
                department="Dept " + role,
                languages=["en", "de"],
                timezone="Europe/Berlin",
                locale="en",
                consent_at=now,
                dm_channel_id=box.fake.dm_channel_id(user) if dm_open else None,
            )
            for pair in users
            for user, role in zip(pair, ("mentor", "mentee"), strict=True)
        ]
        s.add_all(people)
        s.flush()
        pairs = [
            Pair(
                team_id=TEAM,
                mentor_id=people[2 * i].id,
                mentee_id=people[2 * i + 1].id,
                channel_id=f"GPAIR{prefix}{i:04d}",
                language="en",
                covered=["social_media"],
                cadence=Cadence.WEEKLY,
                weekday=2,
                local_time=dt.time(15, 0),
                timezone="Europe/Berlin",
                first_meeting=first_meeting,
            )
            for i in range(count)
        ]
        s.add_all(pairs)
        s.flush()
        return [p.id for p in pairs]


def nudges_due_now(box: Scratch, pair_ids: list[int]) -> int:
    """A jour fixe two hours from now for each pair, and both nudges due a minute ago.

    The pairs have no first meeting, so the scheduler's own planner leaves them alone.
    """
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    meeting = now + dt.timedelta(hours=2)
    with box.db.sessions.begin() as s:
        members = {
            pid: (mentor, mentee)
            for pid, mentor, mentee in s.execute(
                select(Pair.id, Pair.mentor_id, Pair.mentee_id).where(Pair.id.in_(pair_ids))
            )
        }
        meetings = [
            JourFixe(pair_id=pid, occurrence=meeting.date(), planned_at=meeting) for pid in pair_ids
        ]
        s.add_all(meetings)
        s.flush()
        rows = [
            jour_fixes.outbox_row(
                team_id=TEAM,
                kind=OutboxKind.NUDGE,
                subject_id=jf.id,
                key=f"p{person}",
                participant_id=person,
                due=now - dt.timedelta(minutes=1),
                expires=now + dt.timedelta(hours=1),
            )
            for jf in meetings
            for person in members[jf.pair_id]
        ]
        return jour_fixes.enqueue(rows, session=s)


# --------------------------------------------------------------------------- observing


def ok_posts(fake: FakeSlack) -> list[Call]:
    return [c for c in fake.calls_to("chat.postMessage") if c.response.get("ok")]


def duplicates(posts: list[Call]) -> int:
    """Messages posted more than once (same channel, same text): the extra copies."""
    seen = Counter((c.response["channel"], c.args.get("text")) for c in posts)
    return sum(n - 1 for n in seen.values())


def nudge_statuses(db: Database) -> Counter[OutboxStatus]:
    with db.sessions() as s:
        return Counter(
            dict(
                s.execute(
                    select(Outbox.status, func.count())
                    .where(Outbox.kind == OutboxKind.NUDGE)
                    .group_by(Outbox.status)
                ).all()
            )
        )


def wait_until(
    condition: Callable[[], bool], timeout: float, what: str, *procs: subprocess.Popen[str]
) -> None:
    """Poll until `condition` holds; fail on timeout or if one of `procs` ended meanwhile."""
    deadline = time.monotonic() + timeout
    while True:
        if condition():
            return
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {what}")
        for proc in procs:
            if proc.poll() is not None:
                pytest.fail(f"a process ended (exit {proc.returncode}) before {what}")
        time.sleep(0.02)


def tick_counts(output: str) -> int:
    """`sent N` from a tick's summary line."""
    match = SENT_LINE.search(output)
    assert match, output
    return int(match.group(1))


def iso(moment: dt.datetime) -> str:
    return moment.isoformat()


def plan_all(box: Scratch) -> None:
    """Plan the nudges in this process, as the scheduler would have the day before."""
    stats = plan_pass(box.db, timing_from(make_settings(box.fake, box.url)), BEFORE)
    assert stats.jour_fixes > 0


# --------------------------------------------------------------------------- the tests


def test_a_dispatcher_killed_mid_run_and_restarted_sends_everything_and_nothing_twice(
    scratch: Scratch,
) -> None:
    box = scratch
    # DM channels already known: a conversations.open and a commit less per message (the
    # schedulers test below opens them).
    seed_pairs(box, "K", 500, dm_open=True)
    plan_all(box)
    assert nudge_statuses(box.db) == {OutboxStatus.PENDING: 1000}
    recipients = {box.fake.dm_channel_id(u) for u in box.fake.users if u.startswith("UK")}
    assert len(recipients) == 1000

    started = time.monotonic()
    first = box.start(
        "tick",
        "--now",
        iso(NUDGE_UTC + dt.timedelta(minutes=1)),
        name="killed",
        MENTOR_SEND_RATE="300",
        MENTOR_SEND_BURST="1",
        MENTOR_DISPATCH_LEASE_SECONDS="2",
    )
    wait_until(lambda: len(ok_posts(box.fake)) >= 320, 60, "320 posts", first)
    os.kill(first.pid, signal.SIGKILL)
    first.wait(timeout=10)
    assert first.returncode == -signal.SIGKILL
    killed_after = time.monotonic() - started
    before_restart = len(ok_posts(box.fake))
    marked = nudge_statuses(box.db)

    # The restart acts as of the very same instant: leases run on the real clock, so the
    # killed run's rows come free once its 2 s lease has passed.
    time.sleep(2.5)
    restarted = run_cli(
        "tick",
        "--now",
        iso(NUDGE_UTC + dt.timedelta(minutes=1)),
        env={
            **box.env,
            "MENTOR_SEND_RATE": "300",
            "MENTOR_SEND_BURST": "1",
            "MENTOR_DISPATCH_LEASE_SECONDS": "2",
        },
        cwd=box.cwd,
    )
    assert restarted.returncode == 0, restarted.stderr
    total = time.monotonic() - started

    posts = ok_posts(box.fake)
    per_channel = Counter(c.response["channel"] for c in posts)
    dupes = duplicates(posts)
    resent = tick_counts(restarted.stdout)
    print(
        f"\n[{box.db.engine.dialect.name}] killed after {killed_after:.1f} s with "
        f"{before_restart} posts and {marked[OutboxStatus.SENT]} rows marked sent "
        f"({marked[OutboxStatus.SENDING]} still leased); restart sent {resent}; "
        f"{len(posts)} posts to {len(per_channel)} recipients, {dupes} duplicated; "
        f"{total:.1f} s in all"
    )
    assert marked[OutboxStatus.SENDING] > 0  # killed mid-batch: leases had to run out
    assert set(per_channel) == recipients
    assert dupes <= 1
    assert before_restart - marked[OutboxStatus.SENT] <= 1  # only the one in flight
    assert marked[OutboxStatus.SENT] + resent == 1000
    assert nudge_statuses(box.db) == {OutboxStatus.SENT: 1000}


def _lock_holders(box: Scratch) -> list[int]:
    """PostgreSQL backends holding the scheduler's advisory lock in this database."""
    with box.db.engine.connect() as conn:
        return list(
            conn.execute(
                text(
                    "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted "
                    "AND database = (SELECT oid FROM pg_database "
                    "                WHERE datname = current_database()) "
                    "AND classid = :hi AND objid = :lo AND objsubid = 1"
                ),
                {"hi": ADVISORY_KEY >> 32, "lo": ADVISORY_KEY & 0xFFFFFFFF},
            ).scalars()
        )


def _file_lock_taken(box: Scratch) -> bool:
    """Whether another process holds the scheduler's file lock beside the SQLite file."""
    path = Path(f"{make_url(box.url).database}.scheduler.lock")
    if not path.exists():
        return False
    with path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
        return False


def _assert_one_leader(box: Scratch) -> list[int]:
    if box.postgres:
        holders = _lock_holders(box)
        assert len(holders) == 1, holders
        return holders
    assert _file_lock_taken(box)
    return []


def _dispatched(box: Scratch, proc: subprocess.Popen[str]) -> int:
    """How many messages this scheduler says it sent."""
    return sum(int(n) for n in re.findall(r"Dispatcher: (\d+) sent", box.log(proc)))


def test_two_schedulers_against_one_database_send_no_duplicates(scratch: Scratch) -> None:
    box = scratch
    first, then = 120, 20  # messages before and after the leader stops
    pairs = seed_pairs(box, "S", first // 2, first_meeting=None)
    assert nudges_due_now(box, pairs) == first
    fast = {"MENTOR_TICK_SECONDS": "1", "MENTOR_SEND_RATE": "200", "MENTOR_SEND_BURST": "10"}
    started = time.monotonic()
    a = box.start("scheduler", name="scheduler-a", **fast)
    b = box.start("scheduler", name="scheduler-b", **fast)
    wait_until(lambda: len(ok_posts(box.fake)) >= first, 30, f"{first} posts", a, b)
    wait_until(lambda: _dispatched(box, a) + _dispatched(box, b) >= first, 10, "the logs", a, b)
    time.sleep(1.5)  # two more ticks: nothing more may go out
    first_round = time.monotonic() - started
    posts = ok_posts(box.fake)
    holders = _assert_one_leader(box)
    sent = {"a": _dispatched(box, a), "b": _dispatched(box, b)}
    print(
        f"\n[{box.db.engine.dialect.name}] {len(posts)} posts, {duplicates(posts)} duplicated, "
        f"in {first_round:.1f} s; sent by a {sent['a']}, by b {sent['b']}; lock held by "
        f"{holders or 'a file lock'}"
    )
    assert len(posts) == first
    assert duplicates(posts) == 0
    assert nudge_statuses(box.db) == {OutboxStatus.SENT: first}
    assert sorted(sent.values()) == [0, first], sent
    leader, follower = (a, b) if sent["a"] else (b, a)
    # What start-up built (modules, the app, the catalog) is frozen out of the collector.
    frozen = re.search(r"collector skips its (\d+) objects", box.log(a))
    assert frozen is not None and int(frozen.group(1)) > 10_000, box.log(a)

    # The leader stops (SIGTERM): it releases the lock, and the other one takes over.
    leader.send_signal(signal.SIGTERM)
    assert leader.wait(timeout=20) == 0, box.log(leader)
    more = seed_pairs(box, "T", then // 2, first_meeting=None)
    assert nudges_due_now(box, more) == then
    total = first + then
    wait_until(lambda: len(ok_posts(box.fake)) >= total, 30, f"{then} more posts", follower)
    wait_until(lambda: _dispatched(box, follower) >= then, 10, "the follower's log", follower)
    new_holders = _assert_one_leader(box)
    posts = ok_posts(box.fake)
    print(
        f"[{box.db.engine.dialect.name}] after the leader stopped: {len(posts)} posts, "
        f"{duplicates(posts)} duplicated, the follower sent {_dispatched(box, follower)}; "
        f"lock held by {new_holders or 'a file lock'}; {time.monotonic() - started:.1f} s"
    )
    assert len(posts) == total
    assert duplicates(posts) == 0
    assert _dispatched(box, follower) == then
    assert new_holders != holders or not box.postgres
    assert nudge_statuses(box.db) == {OutboxStatus.SENT: total}
    follower.send_signal(signal.SIGTERM)
    assert follower.wait(timeout=20) == 0, box.log(follower)
    for proc in (leader, follower):
        assert "Traceback" not in box.log(proc), box.log(proc)


def test_two_concurrent_tick_processes_never_send_a_row_twice(scratch: Scratch) -> None:
    box = scratch
    seed_pairs(box, "C", 200, dm_open=True)
    plan_all(box)
    assert nudge_statuses(box.db) == {OutboxStatus.PENDING: 400}
    # 100/s each and a 2 s lease: batches of 50, so both processes claim many times.
    pace = {
        "MENTOR_SEND_RATE": "100",
        "MENTOR_SEND_BURST": "1",
        "MENTOR_DISPATCH_LEASE_SECONDS": "2",
    }
    now = iso(NUDGE_UTC + dt.timedelta(minutes=1))
    started = time.monotonic()
    ticks = [box.start("tick", "--now", now, name=f"tick-{i}", **pace) for i in (1, 2)]
    for proc in ticks:
        assert proc.wait(timeout=60) == 0, box.log(proc)
    elapsed = time.monotonic() - started
    sent = [tick_counts(box.log(proc)) for proc in ticks]
    posts = ok_posts(box.fake)
    per_channel = Counter(c.response["channel"] for c in posts)
    print(
        f"\n[{box.db.engine.dialect.name}] two ticks sent {sent} in {elapsed:.1f} s: "
        f"{len(posts)} posts to {len(per_channel)} recipients, {duplicates(posts)} duplicated"
    )
    assert len(posts) == 400
    assert len(per_channel) == 400
    assert duplicates(posts) == 0
    assert sum(sent) == 400
    assert all(n > 0 for n in sent), sent
    assert nudge_statuses(box.db) == {OutboxStatus.SENT: 400}
