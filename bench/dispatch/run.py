"""Benchmark the jour-fixe dispatcher and planner; figures are ratios to baselines of the same run.

    .venv/bin/python bench/dispatch/run.py [--messages 10000] [--rate-limit 50]
        [--fault-rate 0.2] [--pairs 100000] [--database sqlite|postgres|both] [--skip a,b,c,d]

(a) dispatcher throughput with no rate limit, against a bare slack_sdk loop sending the same
    messages to the same stand-in; (b) the time to send at a Slack-enforced rate, against the
    lower bound messages / rate; (c) lost and duplicated messages under injected 429s and 500s;
    (d) one planner pass over many active pairs, then a second one with nothing new to plan.

The Slack stand-in (FakeSlack) runs in a child process of its own, so that its request
handling does not share the GIL with the dispatcher it measures.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import slack_sdk
import sqlalchemy
from common import PG_URL, TEAM, TOKEN, StandIn, insert_chunked, scratch_database
from slack_sdk import WebClient
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

from bot.cli import freeze_startup_heap
from bot.config import Settings, load_settings
from bot.sandbox.databases import wipe
from bot.scheduling import dispatch_client, make_dispatcher, plan_pass, timing_from
from bot.scheduling.dispatcher import Dispatcher, DispatchStats, Pacer
from bot.services import reminders
from bot.services.catalog import CatalogDef, load_catalog
from bot.services.jour_fixe import outbox_row
from bot.services.timing import zone
from bot.store.db import Database
from bot.store.models import (
    Base,
    Cadence,
    JourFixe,
    MeetingStatus,
    Outbox,
    OutboxKind,
    OutboxStatus,
    Pair,
    PairStatus,
    Participant,
    Role,
    Status,
)

# Settings cap MENTOR_SEND_RATE and MENTOR_SEND_BURST at 1000, so "no limit" is a pacer of
# our own, far above anything the stand-in can serve.
UNLIMITED = 100_000
# (d): Tuesday 1 December 2026, noon UTC; the planner looks two days back and four ahead.
PLAN_NOW = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)
PLAN_ZONES = ["Europe/Berlin", "Europe/London", "America/New_York", "Asia/Kolkata", None]
CADENCES = (Cadence.WEEKLY, Cadence.BIWEEKLY, Cadence.MONTHLY)


# --------------------------------------------------------------------------- the stand-in


# --------------------------------------------------------------------------- databases


def _person(user_id: str, role: Role, tz: str | None, now: dt.datetime, **extra: Any) -> dict:
    return {
        "team_id": TEAM,
        "slack_user_id": user_id,
        "role": role,
        "department": f"Dept {role.value}",
        "languages": ["en", "de"],
        "timezone": tz,
        "locale": "en",
        "cadence": Cadence.WEEKLY,
        "status": Status.ACTIVE,
        "consent_at": now,
        "created_at": now,
        "updated_at": now,
        **extra,
    }


def _pair(mentor_id: int, mentee_id: int, now: dt.datetime, **extra: Any) -> dict:
    return {
        "team_id": TEAM,
        "mentor_id": mentor_id,
        "mentee_id": mentee_id,
        "status": PairStatus.ACTIVE,
        "created_at": now,
        "channel_id": f"GPAIR{mentee_id}",
        "language": "en",
        "score": 0.0,
        "covered": ["social_media"],
        "cadence": Cadence.WEEKLY,
        **extra,
    }


def seed_due(db: Database, users: list[str], dm: dict[str, str] | None, count: int) -> int:
    """A pending nudge for each of the first `count` users, due now, about a jour fixe with
    their partner later today.

    users come in mentor, mentee order (an even number); with `dm`, the DM channel ids are
    cached already. Everything is inserted in bulk with Core inserts. Returns the nudges.
    """
    wipe(db)
    now = dt.datetime.now(dt.UTC)
    meeting = now + dt.timedelta(hours=6)
    with db.engine.begin() as conn:
        insert_chunked(
            conn,
            Participant,
            [
                _person(
                    u,
                    Role.MENTOR if i % 2 == 0 else Role.MENTEE,
                    "Europe/Berlin",
                    now,
                    dm_channel_id=dm[u] if dm else None,
                )
                for i, u in enumerate(users)
            ],
        )
        ids = dict(conn.execute(select(Participant.slack_user_id, Participant.id)).all())
        people = [ids[u] for u in users]
        nudged = set(people[:count])
        local = meeting.astimezone(zone("Europe/Berlin"))
        insert_chunked(
            conn,
            Pair,
            [
                _pair(
                    people[k],
                    people[k + 1],
                    now,
                    weekday=min(local.weekday(), 4),
                    local_time=local.time().replace(microsecond=0),
                    timezone="Europe/Berlin",
                    first_meeting=local.date() - dt.timedelta(weeks=3),
                )
                for k in range(0, len(people), 2)
            ],
        )
        pairs = conn.execute(select(Pair.id, Pair.mentor_id, Pair.mentee_id)).all()
        insert_chunked(
            conn,
            JourFixe,
            [
                {
                    "pair_id": pair_id,
                    "occurrence": local.date(),
                    "planned_at": meeting,
                    "status": MeetingStatus.PLANNED,
                    "mentor_replied": False,
                    "mentee_replied": False,
                    "created_at": now,
                }
                for pair_id, _, _ in pairs
            ],
        )
        meetings = dict(conn.execute(select(JourFixe.pair_id, JourFixe.id)).all())
        nudges = [
            outbox_row(
                team_id=TEAM,
                kind=OutboxKind.NUDGE,
                subject_id=meetings[pair_id],
                key=f"p{member}",
                participant_id=member,
                due=now - dt.timedelta(minutes=5),
                expires=now + dt.timedelta(hours=5),
            )
            for pair_id, mentor_id, mentee_id in pairs
            for member in (mentor_id, mentee_id)
            if member in nudged
        ]
        insert_chunked(conn, Outbox, nudges)
    # A live database has statistics (autovacuum keeps them); a table bulk-loaded a moment
    # ago has none, and its first plans are guesses.
    with db.engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    return len(nudges)


def seed_plan(db: Database, pairs: int, *, all_due: bool) -> None:
    """`pairs` active, scheduled pairs, as a pool of that size would have them (seeded).

    Cadence weekly 30 %, biweekly 50 %, monthly 20 %; a weekday from Monday to Friday; a
    first meeting 2 weeks ahead to 26 weeks back; local times from 08:00 to 17:30 in five
    zones (one unknown), members in zones of their own. So only the pairs whose rhythm
    falls in the planner's window (two days back, four ahead) get a jour fixe. With
    `all_due`, the worst case: every pair is weekly, has met before, and meets on the
    Monday, Tuesday or Wednesday around PLAN_NOW.
    """
    wipe(db)
    rng = random.Random(0)  # noqa: S311 - a reproducible workload, not cryptography
    now = PLAN_NOW
    monday = dt.date(2026, 11, 30)
    with db.engine.begin() as conn:
        insert_chunked(
            conn,
            Participant,
            [
                _person(
                    f"UP{i:07d}",
                    Role.MENTOR if i % 2 == 0 else Role.MENTEE,
                    rng.choice(PLAN_ZONES),
                    now,
                )
                for i in range(2 * pairs)
            ],
        )
        ids = dict(conn.execute(select(Participant.slack_user_id, Participant.id)).all())
        rows = []
        for k in range(pairs):
            if all_due:
                cadence, day = Cadence.WEEKLY, monday + dt.timedelta(days=k % 3)
            else:
                cadence = rng.choices(CADENCES, weights=(3, 5, 2))[0]
                day = monday + dt.timedelta(days=rng.randrange(5))
            rows.append(
                _pair(
                    ids[f"UP{2 * k:07d}"],
                    ids[f"UP{2 * k + 1:07d}"],
                    now,
                    cadence=cadence,
                    weekday=day.weekday(),
                    local_time=dt.time(8 + rng.randrange(10), rng.choice((0, 30))),
                    timezone=rng.choice(PLAN_ZONES),
                    first_meeting=day - dt.timedelta(weeks=rng.randrange(0 if all_due else -2, 27)),
                )
            )
        insert_chunked(conn, Pair, rows)


def count_rows(db: Database, model: type[Base], *where: Any) -> int:
    """How many rows of `model` match."""
    with db.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


# --------------------------------------------------------------------------- the checks


@dataclass
class Check:
    """One figure with its target."""

    name: str
    shown: str
    target: str
    passed: bool
    notes: list[str] = field(default_factory=list)


@dataclass
class Bench:
    """What every check of one backend needs."""

    args: argparse.Namespace
    db: Database
    url: str
    stand_in: StandIn
    users: list[str]
    dm: dict[str, str]
    catalog: CatalogDef
    # The bare loop's msg/s measured by (a): what the stand-in serves one sequential client.
    bare_rate: float | None = None

    def settings(self, **overrides: object) -> Settings:
        """Settings pointing at the stand-in and this backend's database."""
        values: dict[str, object] = {
            "_env_file": None,
            "slack_bot_token": TOKEN,
            "slack_signing_secret": "bench-signing-secret-0123456789",
            "slack_api_url": self.stand_in.api_url,
            "database_url": self.url,
        }
        values.update(overrides)
        return load_settings(**values)

    def dispatcher(self, settings: Settings, pacer: Pacer | None = None) -> Dispatcher:
        """The dispatcher as the scheduler builds it, optionally with a pacer of our own."""
        return make_dispatcher(
            settings, self.db, dispatch_client(settings), self.catalog, pacer=pacer
        )


def _rendered(bench: Bench, dispatcher: Dispatcher) -> list[tuple[str, dict[str, Any]]]:
    """The (channel, chat.postMessage arguments) the dispatcher will send, rendered up front."""
    now = dt.datetime.now(dt.UTC)
    with bench.db.sessions() as session:
        rows = list(session.scalars(select(Outbox).order_by(Outbox.due_at, Outbox.id)))
        subjects = reminders.load_subjects(rows, session=session)
        return [
            (
                bench.dm[subjects[r.id].recipient.slack_user_id],
                dispatcher.render(r, subjects[r.id], now).as_kwargs(),
            )
            for r in rows
        ]


def _bare_loop(client: WebClient, messages: list[tuple[str, dict[str, Any]]]) -> float:
    """Seconds for a plain for loop of chat.postMessage over the same messages."""
    start = time.perf_counter()
    for channel, kwargs in messages:
        client.chat_postMessage(channel=channel, **kwargs)
    return time.perf_counter() - start


def _stock_client(settings: Settings) -> WebClient:
    """slack_sdk's WebClient as it comes (a new connection per call), at the stand-in."""
    return WebClient(
        token=settings.slack_bot_token.get_secret_value(),
        base_url=settings.slack_api_url,
        timeout=10,
    )


def _stand_in_notes(report: dict[str, Any], expected: int | None, what: str) -> list[str]:
    notes = []
    if expected is not None and len(report["posts"]) != expected:
        notes.append(f"{what}: the stand-in accepted {len(report['posts'])} of {expected} posts")
    if report["violation_count"]:
        notes.append(
            f"{what}: {report['violation_count']} contract violations, e.g. {report['violations']}"
        )
    return notes


def check_throughput(bench: Bench) -> list[Check]:
    """(a) dispatcher msg/s without a rate limit, over a bare slack_sdk loop, interleaved.

    The machine is shared: its speed drifts within a run by more than the margin being
    measured. So the messages go out in `--rounds` rounds, each a bare-loop segment, a
    dispatcher segment of the next messages due, and again a bare-loop segment; each round's
    ratio is the dispatcher's rate over the mean of the two bare segments around it, and
    the check takes the median round.
    """
    n, stand_in, rounds = bench.args.messages, bench.stand_in, max(1, bench.args.rounds)
    settings = bench.settings()
    seeded = seed_due(bench.db, bench.users, bench.dm, n)
    dispatcher = bench.dispatcher(settings, Pacer(UNLIMITED, UNLIMITED))
    messages = _rendered(bench, dispatcher)
    stock, kept_alive = _stock_client(settings), dispatch_client(settings)
    for client in (stock, kept_alive):
        _bare_loop(client, messages[:200])  # warm-up: imports, first connections
    # As `mentor-bot scheduler` does once started: what exists now lives on, and the
    # collector need not walk it again (here that includes the messages of the bare loop).
    freeze_startup_heap()
    stand_in.ask("reset")
    size = -(-seeded // rounds)
    segments = [messages[i : i + size] for i in range(0, seeded, size)]
    notes: list[str] = []
    ratios, bare_total, disp_total, sent = [], 0.0, 0.0, 0
    previous_bare = _bare_loop(stock, segments[0])
    bare_total += previous_bare
    for segment in segments:
        start = time.perf_counter()
        stats = dispatcher.run(max_rows=len(segment))
        seconds = time.perf_counter() - start
        next_bare = _bare_loop(stock, segment)
        bare_total += next_bare
        disp_total += seconds
        sent += stats.sent
        if stats.sent != len(segment):
            notes.append(f"a dispatcher round sent {stats.sent} of {len(segment)}: {stats}")
        ratios.append((stats.sent / seconds) / (len(segment) / ((previous_bare + next_bare) / 2)))
        previous_bare = next_bare
    # Every bare segment posts its messages once more: the stand-in saw the dispatcher's
    # posts plus (rounds + 1) bare loops' worth of the same texts.
    report = stand_in.ask("report")
    expected = seeded * 2 + len(segments[0])
    notes += _stand_in_notes(report, expected, "bare loops and dispatcher")
    if sent != seeded:
        notes.append(f"dispatcher sent {sent} of {seeded}")
    stand_in.ask("reset")
    same_transport = _bare_loop(kept_alive, messages)
    stand_in.ask("reset")
    ratio = statistics.median(ratios)
    bare_count = seeded + len(segments[0])
    bench.bare_rate = bare_count / bare_total
    print(
        f"   (a) {seeded} due nudges in {len(segments)} rounds of bare loop, dispatcher, bare"
        " loop; DM channel ids pre-cached in participant.dm_channel_id, so"
        " conversations.open is not in the loop; pacer unlimited"
    )
    print(
        "       dispatcher / bare loop per round: "
        + ", ".join(f"{r:.2f}" for r in ratios)
        + f"; median {ratio:.3f}; over all rounds"
        f" {(sent / disp_total) / bench.bare_rate:.3f}"
    )
    print(
        f"       per message: bare loop {bare_total / bare_count * 1000:.2f} ms, dispatcher"
        f" {disp_total / max(1, sent) * 1000:.2f} ms; the same loop over the dispatcher's"
        f" kept-alive client {same_transport / seeded * 1000:.2f} ms"
        f" (dispatcher = {(sent / disp_total) / (seeded / same_transport):.3f} of it:"
        " the cost of claiming, deciding, rendering and marking)"
    )
    return [
        Check(
            "(a) dispatcher / bare loop, msg/s (median round)",
            f"{ratio:.2f}",
            ">= 0.80",
            ratio >= 0.8,
            notes,
        )
    ]


def check_paced(bench: Bench) -> list[Check]:
    """(b) the time to send at the stand-in's enforced rate, over the lower bound n / rate."""
    n, rate, stand_in = bench.args.messages, bench.args.rate_limit, bench.stand_in
    seeded = seed_due(bench.db, bench.users, bench.dm, n)
    if rate <= 1000:
        settings = bench.settings(mentor_send_rate=rate, mentor_send_burst=3)
        dispatcher = bench.dispatcher(settings)
    else:  # above what Settings accept: the same pacer, built by hand
        dispatcher = bench.dispatcher(bench.settings(), Pacer(rate, 1))
    stand_in.ask("reset")
    burst = max(1, int(rate))
    stand_in.ask("limit", ("chat.postMessage", rate, burst))
    start = time.perf_counter()
    stats = dispatcher.run()
    seconds = time.perf_counter() - start
    report = stand_in.ask("report")
    stand_in.ask("reset")
    notes = _stand_in_notes(report, seeded, "paced")
    bound = seeded / rate
    ratio = seconds / bound
    print(
        f"   (b) {seeded} due nudges; the stand-in allows chat.postMessage {rate:g}/s"
        f" (burst {burst}), the dispatcher paces at {rate:g}/s with burst 3 (the default)"
        f" ({'MENTOR_SEND_RATE' if rate <= 1000 else 'a Pacer built by hand'}); DM ids pre-cached"
    )
    print(
        f"       {seconds:.2f} s against a lower bound of {bound:.2f} s = {ratio:.3f};"
        f" {report['rate_limited'].get('chat.postMessage', 0)} calls answered 429"
        f" ({stats.rate_limited} seen by the dispatcher)"
    )
    if bench.bare_rate is not None:
        floor = max(bound, seeded / bench.bare_rate)
        print(
            f"       the bare loop of (a) reached {bench.bare_rate:.0f} msg/s on this stand-in,"
            f" so no sequential sender could take less than {floor:.2f} s here:"
            f" {seconds / floor:.3f} of that"
        )
    return [
        Check("(b) paced time / (messages / L)", f"{ratio:.3f}", "<= 1.10", ratio <= 1.1, notes)
    ]


def check_faults(bench: Bench) -> list[Check]:
    """(c) run until nothing is pending with faults injected; count lost and duplicated."""
    n, fault_rate, stand_in = bench.args.messages, bench.args.fault_rate, bench.stand_in
    recipients = bench.users[:n]
    seeded = seed_due(bench.db, bench.users, None, n)
    settings = bench.settings(mentor_send_max_attempts=20)
    dispatcher = bench.dispatcher(settings, Pacer(UNLIMITED, UNLIMITED))
    dispatcher.retry_base = 0.01
    stand_in.ask("reset")
    stand_in.ask("faults", (fault_rate, (429, 500), 0, 7))
    total = DispatchStats()
    runs = 0
    start = time.perf_counter()
    deadline = start + max(120.0, n / 20)
    while True:
        stats = dispatcher.run()
        runs += 1
        for name in vars(total):
            setattr(total, name, getattr(total, name) + getattr(stats, name))
        left = count_rows(
            bench.db, Outbox, Outbox.status.in_((OutboxStatus.PENDING, OutboxStatus.SENDING))
        )
        if not left or time.perf_counter() > deadline:
            break
        time.sleep(0.02)  # the retries' short backoff
    seconds = time.perf_counter() - start
    stand_in.ask("faults", (0.0, (429, 500), 0, None))
    report = stand_in.ask("report")
    stand_in.ask("reset")
    per_channel = Counter(channel for channel, _ in report["posts"])
    lost = sum(1 for u in recipients if per_channel[bench.dm[u]] == 0)
    duplicated = sum(count - 1 for count in Counter(report["posts"]).values() if count > 1)
    failed = count_rows(bench.db, Outbox, Outbox.status == OutboxStatus.FAILED)
    injected = report["injected"]
    print(
        f"   (c) {seeded} due nudges; DM channels not cached, so conversations.open is faulted"
        f" too; {fault_rate:.0%} of calls fail with 429 (Retry-After: 0) or 500"
    )
    print(
        f"       {sum(injected.values())} faults injected"
        f" ({', '.join(f'{m} {c}' for m, c in sorted(injected.items()))});"
        f" {runs} dispatcher run(s) in {seconds:.1f} s: {total.sent} sent,"
        f" {total.retried} retried, {total.rate_limited} rate-limited, {failed} failed,"
        f" {left} still pending"
    )
    print(
        f"       lost: {lost} recipients without a message; duplicated: {duplicated} messages"
        f" (same channel and text); {sum(1 for c in per_channel.values() if c > 1)} recipients"
        " got more than one message of any text"
    )
    notes = _stand_in_notes(report, None, "faults")
    return [
        Check(
            "(c) lost / duplicated",
            f"{lost} / {duplicated}",
            "0 / 0",
            lost == 0 and duplicated == 0 and left == 0,
            notes,
        )
    ]


def check_planner(bench: Bench) -> list[Check]:
    """(d) a planner pass over many active pairs, then a second pass with nothing new."""
    pairs, all_due = bench.args.pairs, bench.args.all_due
    start = time.perf_counter()
    seed_plan(bench.db, pairs, all_due=all_due)
    setup = time.perf_counter() - start
    timing = timing_from(bench.settings())
    # A pass plans at most Timing.plan_batch new jour fixes (soonest first); the scheduler's
    # ticks drain the rest. Measured: every pass until the backlog is gone, then a steady one.
    passes: list[tuple[float, Any]] = []
    moment = PLAN_NOW
    while True:
        start = time.perf_counter()
        stats = plan_pass(bench.db, timing, moment)
        passes.append((time.perf_counter() - start, stats))
        moment += dt.timedelta(seconds=30)
        if stats.backlog == 0 or len(passes) > 100:
            break
    start = time.perf_counter()
    steady = plan_pass(bench.db, timing, moment)
    steady_s = time.perf_counter() - start
    shape = (
        "all weekly, each with an occurrence in the window (--all-due)"
        if all_due
        else "mixed cadences, weekdays and first meetings"
    )
    planned = sum(p.jour_fixes for _, p in passes)
    messages = sum(p.messages for _, p in passes)
    slowest = max(s for s, _ in passes)
    print(f"   (d) {pairs} active, scheduled pairs, {shape}; inserted in {setup:.1f} s")
    print(
        f"       {len(passes)} passes of at most {timing.plan_batch} new jour fixes planned"
        f" {planned} jour fixes and {messages} outbox rows in {sum(s for s, _ in passes):.1f} s;"
        f" first pass {passes[0][0]:.2f} s, slowest {slowest:.2f} s; then a steady pass"
        f" {steady_s:.2f} s ({steady.jour_fixes} new)"
    )
    notes = []
    if (all_due and planned != pairs) or steady.jour_fixes or steady.messages:
        notes.append(f"unexpected plan: {planned} planned, steady {steady}")
    if messages != 4 * planned:
        notes.append(f"expected 4 outbox rows per jour fix: {messages} for {planned}")
    return [
        Check(
            "(d) planner, slowest pass (s)",
            f"{slowest:.2f}",
            "< 5",
            slowest < 5 and not notes,
            notes,
        ),
        Check("(d) planner, steady pass (s)", f"{steady_s:.2f}", "< 5", steady_s < 5),
    ]


CHECKS: dict[str, Callable[[Bench], list[Check]]] = {
    "a": check_throughput,
    "b": check_paced,
    "c": check_faults,
    "d": check_planner,
}


# --------------------------------------------------------------------------- main


def run_backend(
    kind: str, args: argparse.Namespace, stand_in: StandIn, users: list[str], dm: dict[str, str]
) -> list[Check]:
    """Every check that is not skipped, on one database backend."""
    checks: list[Check] = []
    with (
        tempfile.TemporaryDirectory(prefix="bench-dispatch-") as tmp,
        scratch_database(kind, args.pg_url, Path(tmp)) as url,
    ):
        print(f"\n== {kind}: {make_url(url).render_as_string(hide_password=True)}")
        db = Database(url)
        bench = Bench(args, db, url, stand_in, users, dm, load_catalog())
        try:
            for key, check in CHECKS.items():
                if key not in args.skip:
                    start = time.perf_counter()
                    checks += check(bench)
                    print(f"       ({key} took {time.perf_counter() - start:.0f} s in all)")
        finally:
            db.dispose()
    return checks


def main() -> None:
    """Parse arguments, run the checks on each backend, print a table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000, help="for (a), (b) and (c)")
    parser.add_argument("--rounds", type=int, default=5, help="(a): interleaved rounds")
    parser.add_argument("--rate-limit", type=float, default=50.0, help="msg/s, for (b)")
    parser.add_argument("--fault-rate", type=float, default=0.2, help="for (c)")
    parser.add_argument("--pairs", type=int, default=100_000, help="for (d)")
    parser.add_argument(
        "--all-due", action="store_true", help="(d): every pair meets in the window (worst case)"
    )
    parser.add_argument("--database", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--pg-url", default=PG_URL, help="a server to make a scratch database in")
    parser.add_argument("--skip", default="", help="checks to leave out, e.g. b,d")
    args = parser.parse_args()
    args.skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    if args.skip - set(CHECKS):
        parser.error(f"--skip takes letters out of {','.join(CHECKS)}")
    backends = ["sqlite", "postgres"] if args.database == "both" else [args.database]

    print(
        f"cores: {os.cpu_count()}, Python {sys.version.split()[0]}, SQLAlchemy"
        f" {sqlalchemy.__version__}, slack_sdk {slack_sdk.version.__version__};"
        f" {args.messages} messages, L = {args.rate_limit:g}/s, fault rate {args.fault_rate},"
        f" {args.pairs} pairs; the stand-in runs in a process of its own"
    )
    stand_in = StandIn()
    try:
        # Recipients in mentor, mentee order; an odd count gets a partner who is not nudged.
        users = [f"UB{i:07d}" for i in range(args.messages + args.messages % 2)]
        dm = stand_in.ask("users", users) if {"a", "b", "c"} - args.skip else {}
        results = {kind: run_backend(kind, args, stand_in, users, dm) for kind in backends}
    finally:
        stand_in.close()

    names = list(dict.fromkeys(c.name for checks in results.values() for c in checks))
    width = max([len(n) for n in names] + [5])
    print(f"\n== Summary ({os.cpu_count()} cores)")
    print(f"   {'check':<{width}}" + "".join(f"{k:>16}" for k in backends) + f"{'target':>10}")
    failed = False
    for name in names:
        cells, target = [], ""
        for kind in backends:
            found = next((c for c in results[kind] if c.name == name), None)
            if found is None:
                cells.append(f"{'-':>16}")
                continue
            target = found.target
            failed |= not found.passed
            cells.append(f"{found.shown} {'PASS' if found.passed else 'FAIL'}".rjust(16))
        print(f"   {name:<{width}}" + "".join(cells) + f"{target:>10}")
    for kind in backends:
        for c in results[kind]:
            for note in c.notes:
                print(f"   note ({kind}, {c.name}): {note}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
