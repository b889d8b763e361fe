"""Benchmark the HR report on a large programme; figures are ratios to the raw SQL of the same run.

    .venv/bin/python bench/report/run.py [--participants 100000] [--answers 1000000]
        [--database sqlite|postgres|both] [--repeat 3]

For each backend the script fills a scratch database with a seeded programme: half mentors,
half mentees (one pair each), 25 departments of uneven size, three skills per person, and
jour fixes over the last year with two polls each, so that there are `--answers` poll answers
(ratings, every tenth with free text). It then builds the report for 30d, 90d, a quarter and
`all`, and compares each with the raw aggregate SQL alone: the very statements the report
sent, captured and replayed on the driver's cursor, without SQLAlchemy or Python around them.
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
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy
from common import PG_URL, insert_chunked, scratch_database
from sqlalchemy import event, text
from sqlalchemy.engine import make_url

from bot.services.reports import build_report, parse_period
from bot.store.db import Database, read_snapshot
from bot.store.models import (
    JourFixe,
    MeetingStatus,
    Pair,
    Participant,
    ParticipantSkill,
    Poll,
    PollAnswer,
    Role,
    SkillKind,
)

TEAM = "T0001"
TODAY = dt.date(2026, 12, 1)
OFFERED = ["social_media", "ai_assistants", "video_calls", "collaboration_tools", "prompting"]
# Mentees also want two skills no mentor offers: the unmet demand.
WANTED = [*OFFERED, "ai_images", "dashboards"]
PERIODS = ["30d", "90d", "2026-Q3", "all"]
TARGET_PG = 1.0


def _departments(rng: random.Random) -> tuple[list[str], list[float]]:
    """24 department names and uneven weights: a few large ones and a long tail."""
    weights = [rng.paretovariate(1.2) for _ in range(24)]
    return [f"Dept {i:02d}" for i in range(24)], weights


def _chunks(rows: Iterator[dict[str, Any]], size: int = 50_000) -> Iterator[list[dict[str, Any]]]:
    chunk: list[dict[str, Any]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def seed(db: Database, participants: int, answers: int, seed_value: int = 7) -> dict[str, int]:
    """A programme of `participants` people and `answers` poll answers; returns the row counts."""
    rng = random.Random(seed_value)  # noqa: S311 - seeded synthetic data
    names, weights = _departments(rng)
    pairs = participants // 2
    # Two polls per jour fixe, each answered: answers / 2 jour fixes spread over the pairs.
    meetings = max(1, answers // 2)
    per_pair = max(1, meetings // pairs)
    created = dt.datetime(2025, 11, 1, tzinfo=dt.UTC)
    statuses = [MeetingStatus.MET] * 7 + [MeetingStatus.SKIPPED, MeetingStatus.MISSED]

    def people() -> Iterator[dict[str, Any]]:
        for i in range(1, participants + 1):
            yield {
                "id": i,
                "team_id": TEAM,
                "slack_user_id": f"UR{i:07d}",
                "role": Role.MENTOR if i % 2 else Role.MENTEE,
                "department": rng.choices(names, weights)[0],
                "languages": ["en"],
                "created_at": created + dt.timedelta(minutes=5 * i),
                "updated_at": created,
            }

    def skills() -> Iterator[dict[str, Any]]:
        for i in range(1, participants + 1):
            kind = SkillKind.OFFERED if i % 2 else SkillKind.WANTED
            for key in rng.sample(OFFERED if i % 2 else WANTED, 3):
                yield {"participant_id": i, "skill_key": key, "kind": kind, "level": 3}

    def pair_rows() -> Iterator[dict[str, Any]]:
        for p in range(1, pairs + 1):
            yield {
                "id": p,
                "team_id": TEAM,
                "mentor_id": 2 * p - 1,
                "mentee_id": 2 * p,
                "created_at": created,
                "covered": [],
                "language": "en",
                "score": 0.5,
            }

    def jour_fixes() -> Iterator[dict[str, Any]]:
        jf = 0
        for p in range(1, pairs + 1):
            for n in range(per_pair):
                jf += 1
                day = occurrence(p, n)
                yield {
                    "id": jf,
                    "pair_id": p,
                    "occurrence": day,
                    "planned_at": dt.datetime.combine(day, dt.time(13), tzinfo=dt.UTC),
                    "status": rng.choice(statuses),
                    "mentor_replied": True,
                    "mentee_replied": True,
                    "created_at": created,
                }

    def occurrence(pair: int, n: int) -> dt.date:
        return TODAY - dt.timedelta(days=7 * n + pair % 7 + 1)

    def polls() -> Iterator[dict[str, Any]]:
        poll = 0
        for jf in range(1, pairs * per_pair + 1):
            pair = (jf - 1) // per_pair + 1
            for person in (2 * pair - 1, 2 * pair):
                poll += 1
                yield {
                    "id": poll,
                    "jour_fixe_id": jf,
                    "participant_id": person,
                    "team_id": TEAM,
                    "occurrence": occurrence(pair, (jf - 1) % per_pair),
                    "created_at": created,
                }

    def poll_answers() -> Iterator[dict[str, Any]]:
        for poll in range(1, 2 * pairs * per_pair + 1):
            yield {
                "poll_id": poll,
                "rating": rng.choices([1, 2, 3, 4, 5], [1, 2, 5, 9, 8])[0],
                "learned": "prompting tricks" if poll % 10 == 0 else None,
                "answered_at": created,
                "updated_at": created,
            }

    counts = {}
    for model, rows in (
        (Participant, people()),
        (ParticipantSkill, skills()),
        (Pair, pair_rows()),
        (JourFixe, jour_fixes()),
        (Poll, polls()),
        (PollAnswer, poll_answers()),
    ):
        n = 0
        for chunk in _chunks(rows):
            with db.engine.begin() as conn:
                insert_chunked(conn, model, chunk)
            n += len(chunk)
        counts[model.__tablename__] = n
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            for table in ("participant", "pair", "jour_fixe", "poll"):
                sequence = f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), max(id))"
                conn.execute(text(f"{sequence} FROM {table}"))
            conn.execute(text("ANALYZE"))
        else:
            conn.execute(text("ANALYZE"))
    return counts


class Recorder:
    """Captures the SQL statements (with parameters) a block of code sends."""

    def __init__(self, engine: sqlalchemy.Engine) -> None:
        self.engine = engine
        self.statements: list[tuple[str, Any]] = []
        self.timings: list[tuple[float, str]] = []
        self.on = False
        event.listen(engine, "before_cursor_execute", self._record)

    def _record(self, conn: Any, cursor: Any, statement: str, params: Any, *_: Any) -> None:
        # Sharing the snapshot is not a report's SQL (and cannot be replayed on one cursor).
        if self.on and not statement.startswith(("SET TRANSACTION SNAPSHOT", "SELECT pg_export")):
            self.statements.append((statement, params))

    def replay(self) -> float:
        """Seconds to run the captured statements one after the other on a bare DBAPI cursor,
        fetching all rows (the report runs them on two connections at once on PostgreSQL)."""
        raw = self.engine.raw_connection()
        try:
            cursor = raw.cursor()
            start = time.perf_counter()
            self.timings = []
            for statement, params in self.statements:
                began = time.perf_counter()
                cursor.execute(statement, params)
                if cursor.description is not None:  # SET LOCAL returns no rows
                    cursor.fetchall()
                self.timings.append((time.perf_counter() - began, statement))
            elapsed = time.perf_counter() - start
            raw.rollback()
            return elapsed
        finally:
            raw.close()


def measure(
    db: Database, label: str, repeat: int
) -> tuple[float, float, int, list[tuple[float, str]]]:
    """Median report seconds, median raw-SQL seconds and the number of statements."""
    recorder = Recorder(db.engine)
    period = parse_period(label, TODAY)
    report_times, raw_times = [], []
    for attempt in range(repeat + 1):
        recorder.statements.clear()
        recorder.on = True
        start = time.perf_counter()
        # As /mentor report does: two sessions on one snapshot (one on SQLite).
        with read_snapshot(db.sessions, 2) as (session, helper):
            report = build_report(TEAM, period, session=session, helper=helper, k=5, today=TODAY)
        elapsed = time.perf_counter() - start
        recorder.on = False
        raw = recorder.replay()
        if attempt:  # the first run warms caches (both sides alike)
            report_times.append(elapsed)
            raw_times.append(raw)
    assert report.ratings is not None, "the seeded programme should have ratings"
    event.remove(db.engine, "before_cursor_execute", recorder._record)
    return (
        statistics.median(report_times),
        statistics.median(raw_times),
        len(recorder.statements),
        sorted(recorder.timings, reverse=True),
    )


def run_backend(kind: str, args: argparse.Namespace) -> list[tuple[str, float, float, int]]:
    results = []
    with (
        tempfile.TemporaryDirectory(prefix="bench-report-") as tmp,
        scratch_database(kind, args.pg_url, Path(tmp)) as url,
    ):
        print(f"\n== {kind}: {make_url(url).render_as_string(hide_password=True)}")
        db = Database(url)
        try:
            start = time.perf_counter()
            counts = seed(db, args.participants, args.answers)
            print(f"   seeded in {time.perf_counter() - start:.0f} s: {counts}")
            for label in PERIODS:
                report_s, raw_s, statements, slowest = measure(db, label, args.repeat)
                results.append((label, report_s, raw_s, statements))
                print(
                    f"   {label:>8}: report {report_s * 1000:7.0f} ms,"
                    f" raw SQL {raw_s * 1000:7.0f} ms"
                    f" ({statements} statements), ratio {report_s / raw_s:.2f}"
                )
                for seconds, sql in slowest[:4]:  # where the time goes (last raw replay)
                    print(f"             {seconds * 1000:6.0f} ms  {' '.join(sql.split())[:90]}")
        finally:
            db.dispose()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=100_000)
    parser.add_argument("--answers", type=int, default=1_000_000)
    parser.add_argument("--database", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--pg-url", default=PG_URL)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    backends = ["sqlite", "postgres"] if args.database == "both" else [args.database]
    print(
        f"cores: {os.cpu_count()}, Python {sys.version.split()[0]}, SQLAlchemy"
        f" {sqlalchemy.__version__}; {args.participants} participants, {args.answers} answers;"
        f" median of {args.repeat} runs after one warm-up"
    )
    failed = False
    summary = []
    for kind in backends:
        for label, report_s, raw_s, _ in run_backend(kind, args):
            passed = kind != "postgres" or report_s < TARGET_PG
            failed |= not passed
            summary.append((kind, label, report_s, raw_s, passed))
    print("\n== Summary")
    print(f"   {'backend':<9}{'period':>9}{'report':>10}{'raw SQL':>10}{'ratio':>7}  target")
    for kind, label, report_s, raw_s, passed in summary:
        verdict = "PASS" if passed else "FAIL"
        target = f"< {TARGET_PG:.0f} s {verdict}" if kind == "postgres" else "-"
        ratio = report_s / raw_s
        print(f"   {kind:<9}{label:>9}{report_s:>9.2f}s{raw_s:>9.2f}s{ratio:>7.2f}  {target}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
