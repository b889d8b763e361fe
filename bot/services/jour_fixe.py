"""Jour fixes: plan each pair's occurrences and their messages, and record what people answer.

The planner turns each pair's rhythm into `jour_fixe` rows and `outbox` rows (nudges and
"Did you meet?" check-ins), keyed naturally so that any number of passes, in any number of
processes, plan each occurrence once. Answers change a jour fixe's status; the dispatcher
later checks that status before it sends anything.
"""

from __future__ import annotations

import datetime as dt
import enum
import functools
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    JSON,
    ColumnElement,
    Subquery,
    Table,
    Text,
    bindparam,
    cast,
    delete,
    func,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from bot.services.pairing import CADENCE_WEEKS
from bot.services.timing import Timing, at_local, checkin_due, fit_forward, nudge_due, zone
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
    Poll,
    Status,
    utcnow,
)
from bot.store.queries import dialect_insert

# Three closed jour fixes in a row that did not happen: the pair is at risk, and a member who
# answered none of them is asked whether to pause.
STREAK = 3
OPEN_STATUSES = (MeetingStatus.PLANNED, MeetingStatus.MOVED)
# Moving a jour fixe further than this is a new rhythm, not "this time only".
MOVE_HORIZON = dt.timedelta(days=45)
# Bulk inserts go to the tables themselves (Core), not through the ORM's bulk path.
OUTBOX: Table = Base.metadata.tables["outbox"]
JOUR_FIXE: Table = Base.metadata.tables["jour_fixe"]
# PostgreSQL: rows per INSERT ... SELECT FROM unnest(arrays) statement.
UNNEST_CHUNK = 10_000


def insert_new(
    session: Session,
    table: Table,
    rows: Sequence[dict[str, Any]],
    *,
    key: Sequence[str],
    returning: Sequence[ColumnElement[Any]],
) -> list[Any]:
    """Insert rows, skipping those whose natural `key` exists (ON CONFLICT DO NOTHING).

    Returns the RETURNING rows of those inserted. On PostgreSQL the rows go as one array
    per column: psycopg re-parses every multi-row VALUES statement over 4 kB (it does not
    cache those), which made large planner passes there several times slower.
    """
    if not rows:
        return []
    columns = list(rows[0])
    if session.get_bind().dialect.name != "postgresql" or any(
        r.keys() != rows[0].keys() for r in rows
    ):
        plain = dialect_insert(session)(table).on_conflict_do_nothing(index_elements=key)
        if not returning:
            session.execute(plain, list(rows))
            return []
        return list(session.execute(plain.returning(*returning), list(rows)))
    # JSON goes as text: a list inside a JSON value would read as another array dimension.
    as_json = {c for c in columns if isinstance(table.c[c].type, JSON)}
    unnested = select(
        *[
            cast(
                func.unnest(bindparam(c, type_=ARRAY(Text() if c in as_json else table.c[c].type))),
                table.c[c].type,
            )
            for c in columns
        ]
    )
    base = (
        pg_insert(table).from_select(columns, unnested).on_conflict_do_nothing(index_elements=key)
    )
    stmt: Any = base.returning(*returning) if returning else base
    found: list[Any] = []
    for start in range(0, len(rows), UNNEST_CHUNK):
        chunk = rows[start : start + UNNEST_CHUNK]
        arrays = {
            c: [json.dumps(r[c]) for r in chunk] if c in as_json else [r[c] for r in chunk]
            for c in columns
        }
        result = session.execute(stmt, arrays)
        if returning:
            found += result
    return found


def occurrences(
    first: dt.date,
    cadence: Cadence,
    local_time: dt.time,
    tz_name: str | None,
    start: dt.datetime,
    end: dt.datetime,
) -> list[tuple[dt.date, dt.datetime]]:
    """Each (local date, UTC instant) of the rhythm with the instant in [start, end)."""
    tz = zone(tz_name)
    step = 7 * CADENCE_WEEKS[cadence]
    first_day, last_day = _local_days(tz_name, start, end)
    # Date arithmetic first: only the dates that can fall in the window are made instants.
    k = max(0, -((first - first_day).days // step))
    found: list[tuple[dt.date, dt.datetime]] = []
    while True:
        day = first + dt.timedelta(days=k * step)
        if day > last_day:
            return found
        moment = at_local(day, local_time, tz)
        if start <= moment < end:
            found.append((day, moment))
        k += 1


@functools.lru_cache(maxsize=256)
def _local_days(
    tz_name: str | None, start: dt.datetime, end: dt.datetime
) -> tuple[dt.date, dt.date]:
    """The local dates that [start, end) touches in the zone, with a day's margin each side."""
    tz = zone(tz_name)
    margin = dt.timedelta(days=1)
    return start.astimezone(tz).date() - margin, end.astimezone(tz).date() + margin


@dataclass
class PlanStats:
    """What one planner pass did."""

    pairs: int = 0
    jour_fixes: int = 0
    messages: int = 0
    closed: int = 0
    ghost_checks: int = 0
    # Jour fixes left for the next pass (a pass plans at most Timing.plan_batch).
    backlog: int = 0
    at_risk: list[int] = field(default_factory=list)


def outbox_row(
    *,
    team_id: str,
    kind: OutboxKind,
    subject_id: int,
    key: str,
    participant_id: int,
    due: dt.datetime,
    expires: dt.datetime,
    solicited: bool = False,
    payload: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The values of one outbox row (inserted with ON CONFLICT DO NOTHING)."""
    return {
        "team_id": team_id,
        "kind": kind,
        "subject_id": subject_id,
        "occurrence_key": key[:64],
        "participant_id": participant_id,
        "due_at": due,
        "expires_at": max(expires, due),
        "status": OutboxStatus.PENDING,
        "solicited": solicited,
        "payload": payload or {},
        "attempts": 0,
        "created_at": utcnow(),
    }


def enqueue(rows: Sequence[dict[str, Any]], *, session: Session) -> int:
    """Insert outbox rows; one already planned under the same key is left alone."""
    if not rows:
        return 0
    key = ["kind", "subject_id", "occurrence_key"]
    return len(insert_new(session, OUTBOX, rows, key=key, returning=[OUTBOX.c.id]))


def _meeting_messages(
    jf_id: int,
    team_id: str,
    meeting: dt.datetime,
    members: Iterable[tuple[int, str | None]],
    timing: Timing,
) -> list[dict[str, Any]]:
    rows = []
    for pid, tz_name in members:
        tz = zone(tz_name)
        due = nudge_due(meeting, tz, timing)
        rows.append(
            outbox_row(
                team_id=team_id,
                kind=OutboxKind.NUDGE,
                subject_id=jf_id,
                key=f"p{pid}",
                participant_id=pid,
                due=due,
                expires=min(due + timing.nudge_grace, meeting),
            )
        )
        rows.append(checkin_row(jf_id, team_id, meeting, pid, tz_name, timing))
    return rows


def checkin_row(
    jf_id: int, team_id: str, meeting: dt.datetime, pid: int, tz_name: str | None, timing: Timing
) -> dict[str, Any]:
    """The "Did you meet?" row for one member."""
    due = checkin_due(meeting, zone(tz_name), timing)
    return outbox_row(
        team_id=team_id,
        kind=OutboxKind.CHECKIN,
        subject_id=jf_id,
        key=f"p{pid}",
        participant_id=pid,
        due=due,
        expires=due + timing.checkin_grace,
    )


def plan(*, session: Session, now: dt.datetime, timing: Timing) -> PlanStats:
    """One planner pass: close stale jour fixes, then plan the coming ones and their messages."""
    stats = PlanStats()
    close_stale(session=session, now=now, timing=timing, stats=stats)
    # Core, not ORM: at 100,000 pairs the ORM's row handling alone took a second.
    pair = Base.metadata.tables["pair"]
    people = Base.metadata.tables["participant"]
    mentor, mentee = people.alias("mentor"), people.alias("mentee")
    rows = (
        session.connection()
        .execute(
            select(
                pair.c.id,
                pair.c.team_id,
                pair.c.cadence,
                pair.c.local_time,
                pair.c.timezone,
                pair.c.first_meeting,
                pair.c.mentor_id,
                pair.c.mentee_id,
                mentor.c.timezone,
                mentee.c.timezone,
            )
            .join(mentor, mentor.c.id == pair.c.mentor_id)
            .join(mentee, mentee.c.id == pair.c.mentee_id)
            .where(
                pair.c.status == PairStatus.ACTIVE,
                pair.c.first_meeting.is_not(None),
                pair.c.local_time.is_not(None),
                mentor.c.status == Status.ACTIVE,
                mentee.c.status == Status.ACTIVE,
            )
        )
        .all()
    )
    stats.pairs = len(rows)
    start, end = now - timing.look_back, now + timing.plan_ahead
    wanted: list[dict[str, Any]] = []
    info: dict[int, tuple[str, tuple[tuple[int, str | None], ...]]] = {}
    for pid, team, cadence, local_time, tz_name, first, m_id, e_id, m_tz, e_tz in rows:
        info[pid] = (team, ((m_id, m_tz), (e_id, e_tz)))
        if first is None or local_time is None:
            continue
        for day, moment in occurrences(first, cadence, local_time, tz_name, start, end):
            wanted.append(
                {
                    "pair_id": pid,
                    "occurrence": day,
                    "planned_at": moment,
                    "status": MeetingStatus.PLANNED,
                    "mentor_replied": False,
                    "mentee_replied": False,
                    "created_at": now,
                }
            )
    if not wanted:
        return stats
    earliest = min(w["occurrence"] for w in wanted)
    # Plain tuples: membership tests against Row objects take Row's slow __eq__.
    existing = {
        (pair_id, day)
        for pair_id, day in session.execute(
            select(JourFixe.pair_id, JourFixe.occurrence).where(JourFixe.occurrence >= earliest)
        )
    }
    new = [w for w in wanted if (w["pair_id"], w["occurrence"]) not in existing]
    if not new:
        return stats
    # A bounded pass: the coming jour fixes first (soonest first), then those already past;
    # the rest waits for the next tick. Keeps every pass (and transaction) short, even when
    # a large programme is scheduled at once.
    new.sort(key=lambda w: (w["planned_at"] < now, w["planned_at"]))
    stats.backlog = max(0, len(new) - timing.plan_batch)
    new = new[: timing.plan_batch]
    inserted = insert_new(
        session,
        JOUR_FIXE,
        new,
        key=["pair_id", "occurrence"],
        returning=[JOUR_FIXE.c.id, JOUR_FIXE.c.pair_id, JOUR_FIXE.c.planned_at],
    )
    messages: list[dict[str, Any]] = []
    for jf_id, pair_id, planned_at in inserted:
        stats.jour_fixes += 1
        team, members = info[pair_id]
        messages += _meeting_messages(jf_id, team, planned_at, members, timing)
    # Every message belongs to a jour fixe this pass inserted, so none can exist yet.
    insert_new(
        session, OUTBOX, messages, key=["kind", "subject_id", "occurrence_key"], returning=[]
    )
    stats.messages = len(messages)
    return stats


def close_stale(
    *, session: Session, now: dt.datetime, timing: Timing, stats: PlanStats | None = None
) -> PlanStats:
    """Mark jour fixes nobody answered as missed, then look for pairs at risk and ghosting."""
    stats = stats or PlanStats()
    cutoff = now - timing.close_after
    closed = session.execute(
        update(JourFixe)
        .where(
            JourFixe.status.in_(OPEN_STATUSES),
            func.coalesce(JourFixe.moved_to, JourFixe.planned_at) < cutoff,
        )
        .values(status=MeetingStatus.MISSED, decided_at=now)
        .returning(JourFixe.pair_id)
        .execution_options(synchronize_session=False)
    ).scalars()
    pair_ids = sorted(set(closed))
    stats.closed += len(pair_ids)
    for pair_id in pair_ids:
        _after_miss(pair_id, session=session, now=now, timing=timing, stats=stats)
    return stats


def is_at_risk(pair_id: int, *, session: Session) -> bool:
    """Whether the pair's last three jour fixes were all missed."""
    pair = session.get(Pair, pair_id)
    if pair is None:
        return False
    query = pairs_at_risk_query(pair.team_id, pair_id=pair_id)
    return session.scalar(select(query.c.pair_id)) is not None


def pairs_at_risk_query(team_id: str, *, pair_id: int | None = None) -> Subquery:
    """Active pairs of a workspace whose last STREAK closed jour fixes were all missed.

    Per active pair, its last STREAK closed jour fixes are read backwards from the
    (pair, occurrence) index, so the cost follows the pairs, not their whole history
    (HR counts them; reports never list them).
    """
    last = (
        select(JourFixe.status)
        .where(JourFixe.pair_id == Pair.id, JourFixe.status.not_in(OPEN_STATUSES))
        .order_by(JourFixe.occurrence.desc())
        .limit(STREAK)
        .correlate(Pair)
        .subquery()
    )
    missed = (
        select(func.count())
        .select_from(last)
        .where(last.c.status == MeetingStatus.MISSED.value)
        .scalar_subquery()
    )
    return (
        select(Pair.id.label("pair_id"))
        .where(
            Pair.team_id == team_id,
            Pair.status == PairStatus.ACTIVE,
            *([Pair.id == pair_id] if pair_id is not None else []),
            missed == STREAK,
        )
        .subquery()
    )


def pairs_at_risk(team_id: str, *, session: Session) -> list[int]:
    """The ids of `pairs_at_risk_query`, in id order."""
    query = pairs_at_risk_query(team_id)
    return list(session.scalars(select(query.c.pair_id).order_by(query.c.pair_id)))


def _after_miss(
    pair_id: int, *, session: Session, now: dt.datetime, timing: Timing, stats: PlanStats
) -> None:
    recent = list(
        session.scalars(
            select(JourFixe)
            .where(JourFixe.pair_id == pair_id, JourFixe.status.not_in(OPEN_STATUSES))
            .order_by(JourFixe.occurrence.desc())
            .limit(STREAK * 4)
        )
    )
    if len(recent) < STREAK or any(j.status is not MeetingStatus.MISSED for j in recent[:STREAK]):
        return
    stats.at_risk.append(pair_id)
    pair = recent[0].pair
    for member, is_mentor in ((pair.mentor, True), (pair.mentee, False)):
        silent = 0
        for j in recent:
            replied = j.mentor_replied if is_mentor else j.mentee_replied
            if j.status is not MeetingStatus.MISSED or replied:
                break
            silent += 1
        # Asked after three silent misses in a row, and again after every three more.
        if silent == 0 or silent % STREAK or member.status is not Status.ACTIVE:
            continue
        due = fit_forward(now, zone(member.timezone), timing)
        stats.ghost_checks += enqueue(
            [
                outbox_row(
                    team_id=pair.team_id,
                    kind=OutboxKind.GHOST,
                    subject_id=member.id,
                    key=f"jf{recent[0].id}",
                    participant_id=member.id,
                    due=due,
                    expires=due + timing.ghost_grace,
                    payload={"pair": pair.id, "misses": silent},
                )
            ],
            session=session,
        )


# --------------------------------------------------------------------------- answers


class MeetingRefusal(enum.StrEnum):
    """Why a click about a jour fixe does nothing."""

    NOT_FOUND = "not_found"
    NOT_A_MEMBER = "not_a_member"
    ENDED = "ended"
    BAD_TIME = "bad_time"


class MeetingRefused(Exception):
    """A click on a jour fixe this person may not (or no longer) answer."""

    def __init__(self, reason: MeetingRefusal) -> None:
        super().__init__(reason.value)
        self.reason = reason


def meeting_for_member(
    jf_id: int, *, session: Session, team_id: str, user_id: str
) -> tuple[JourFixe, Participant]:
    """The jour fixe and the acting member; button values are never trusted."""
    jf = session.get(JourFixe, jf_id)
    if jf is None or jf.pair.team_id != team_id:
        raise MeetingRefused(MeetingRefusal.NOT_FOUND)
    pair = jf.pair
    actor = next((p for p in (pair.mentor, pair.mentee) if p.slack_user_id == user_id), None)
    if actor is None:
        raise MeetingRefused(MeetingRefusal.NOT_A_MEMBER)
    if pair.status is not PairStatus.ACTIVE:
        raise MeetingRefused(MeetingRefusal.ENDED)
    return jf, actor


def partner(jf: JourFixe, actor: Participant) -> Participant:
    """The other member of the jour fixe's pair."""
    return jf.pair.mentee if jf.pair.mentor_id == actor.id else jf.pair.mentor


def note_reply(jf: JourFixe, actor: Participant) -> None:
    """Remember that this member reacted to this jour fixe (so they are not ghosting)."""
    if jf.pair.mentor_id == actor.id:
        jf.mentor_replied = True
    else:
        jf.mentee_replied = True


def _cancel_pending(
    jf_ids: Sequence[int],
    kinds: Iterable[OutboxKind],
    *,
    session: Session,
    reason: str = "answered",
) -> None:
    session.execute(
        update(Outbox)
        .where(
            Outbox.subject_id.in_(list(jf_ids)),
            Outbox.kind.in_(list(kinds)),
            Outbox.status == OutboxStatus.PENDING,
        )
        .values(status=OutboxStatus.CANCELLED, last_error=reason)
        .execution_options(synchronize_session=False)
    )


def mark_met(
    jf: JourFixe, actor: Participant, *, session: Session, now: dt.datetime, timing: Timing
) -> bool:
    """Record that the pair met and ask both for feedback; False if it was already recorded."""
    note_reply(jf, actor)
    if jf.status is MeetingStatus.MET:
        return False
    jf.status, jf.decided_at = MeetingStatus.MET, now
    _cancel_pending([jf.id], (OutboxKind.NUDGE, OutboxKind.CHECKIN), session=session)
    request_polls(jf, actor, session=session, now=now, timing=timing)
    return True


def request_polls(
    jf: JourFixe, actor: Participant, *, session: Session, now: dt.datetime, timing: Timing
) -> list[Poll]:
    """One private poll per member: the clicker's at once, the partner's in their window."""
    members = (jf.pair.mentor, jf.pair.mentee)
    session.execute(
        dialect_insert(session)(Poll).on_conflict_do_nothing(
            index_elements=["jour_fixe_id", "participant_id"]
        ),
        [
            {
                "jour_fixe_id": jf.id,
                "participant_id": m.id,
                "team_id": jf.pair.team_id,
                "occurrence": jf.occurrence,
                "created_at": now,
            }
            for m in members
        ],
    )
    polls = list(session.scalars(select(Poll).where(Poll.jour_fixe_id == jf.id)))
    rows = []
    for poll in polls:
        own = poll.participant_id == actor.id
        member = poll.participant
        due = now if own else fit_forward(now, zone(member.timezone), timing)
        rows.append(
            outbox_row(
                team_id=jf.pair.team_id,
                kind=OutboxKind.POLL,
                subject_id=poll.id,
                key=f"p{member.id}",
                participant_id=member.id,
                due=due,
                expires=due + timing.poll_grace,
                solicited=own,
            )
        )
    enqueue(rows, session=session)
    return polls


def _notify_partner(
    jf: JourFixe,
    actor: Participant,
    what: str,
    *,
    session: Session,
    now: dt.datetime,
    timing: Timing,
    until: dt.datetime,
) -> None:
    other = partner(jf, actor)
    due = fit_forward(now, zone(other.timezone), timing)
    # One notice per change: the key carries the instant, so a second move is told again.
    stamp = int((jf.moved_to or jf.planned_at).timestamp())
    enqueue(
        [
            outbox_row(
                team_id=jf.pair.team_id,
                kind=OutboxKind.NOTICE,
                subject_id=jf.id,
                key=f"{what}:p{other.id}:{stamp}",
                participant_id=other.id,
                due=due,
                expires=max(until, due + timing.notice_grace),
                payload={"what": what, "by": actor.id},
            )
        ],
        session=session,
    )


def skip(
    jf: JourFixe, actor: Participant, *, session: Session, now: dt.datetime, timing: Timing
) -> bool:
    """Skip this occurrence only; the partner is told. False if nothing changed."""
    note_reply(jf, actor)
    if jf.status is MeetingStatus.SKIPPED:
        return False
    jf.status, jf.decided_at = MeetingStatus.SKIPPED, now
    _cancel_pending([jf.id], (OutboxKind.NUDGE, OutboxKind.CHECKIN), session=session)
    _notify_partner(
        jf, actor, "skipped", session=session, now=now, timing=timing, until=jf.effective_at
    )
    return True


def mark_not_met(jf: JourFixe, actor: Participant, *, now: dt.datetime, session: Session) -> bool:
    """ "No, we did not meet": the occurrence is missed. False if it was already."""
    note_reply(jf, actor)
    if jf.status is MeetingStatus.MISSED:
        return False
    jf.status, jf.decided_at = MeetingStatus.MISSED, now
    _cancel_pending([jf.id], (OutboxKind.CHECKIN,), session=session)
    return True


def move(
    jf: JourFixe,
    actor: Participant,
    new_time: dt.datetime,
    *,
    session: Session,
    now: dt.datetime,
    timing: Timing,
) -> None:
    """Move this one occurrence; its check-ins follow, the partner is told."""
    if new_time <= now or new_time - now > MOVE_HORIZON:
        raise MeetingRefused(MeetingRefusal.BAD_TIME)
    note_reply(jf, actor)
    jf.status, jf.moved_to, jf.decided_at = MeetingStatus.MOVED, new_time, now
    pair = jf.pair
    # The nudge for the old time is pointless now; the check-in follows the new time.
    _cancel_pending([jf.id], (OutboxKind.NUDGE,), session=session)
    for member in (pair.mentor, pair.mentee):
        row = checkin_row(jf.id, pair.team_id, new_time, member.id, member.timezone, timing)
        session.execute(
            update(Outbox)
            .where(
                Outbox.kind == OutboxKind.CHECKIN,
                Outbox.subject_id == jf.id,
                Outbox.occurrence_key == row["occurrence_key"],
                Outbox.status.in_((OutboxStatus.PENDING, OutboxStatus.CANCELLED)),
            )
            .values(
                status=OutboxStatus.PENDING,
                due_at=row["due_at"],
                expires_at=row["expires_at"],
                last_error=None,
            )
            .execution_options(synchronize_session=False)
        )
        enqueue([row], session=session)
    _notify_partner(jf, actor, "moved", session=session, now=now, timing=timing, until=new_time)


def forget_future(pair: Pair, *, session: Session, now: dt.datetime) -> None:
    """Drop the pair's planned, unanswered jour fixes after now (the rhythm changed or ended)."""
    future = list(
        session.scalars(
            select(JourFixe.id).where(
                JourFixe.pair_id == pair.id,
                JourFixe.status == MeetingStatus.PLANNED,
                JourFixe.planned_at > now,
            )
        )
    )
    if not future:
        return
    kinds = (OutboxKind.NUDGE, OutboxKind.CHECKIN)
    _cancel_pending(future, kinds, session=session, reason="rescheduled")
    session.execute(delete(JourFixe).where(JourFixe.id.in_(future)))


def messages_about(jf_id: int, kind: OutboxKind, *, session: Session) -> list[int]:
    """Ids of the outbox rows of one kind about a jour fixe (for polls: about its polls)."""
    subjects: Any = (
        select(Poll.id).where(Poll.jour_fixe_id == jf_id).scalar_subquery()
        if kind is OutboxKind.POLL
        else [jf_id]
    )
    return list(
        session.scalars(
            select(Outbox.id).where(Outbox.kind == kind, Outbox.subject_id.in_(subjects))
        )
    )


def next_jour_fixe(
    pair: Pair, *, session: Session, now: dt.datetime, horizon_days: int = 120
) -> dt.datetime | None:
    """The pair's next jour fixe: the rhythm, minus skipped occurrences, with moves applied."""
    if pair.first_meeting is None or pair.local_time is None:
        return None
    known = {
        j.occurrence: j
        for j in session.scalars(
            select(JourFixe).where(
                JourFixe.pair_id == pair.id,
                JourFixe.occurrence >= (now - dt.timedelta(days=31)).date(),
            )
        )
    }
    # A moved occurrence may now lie after later ones, or an earlier one may have moved ahead.
    candidates = [
        j.effective_at for j in known.values() if j.status in OPEN_STATUSES and j.effective_at > now
    ]
    for day, moment in occurrences(
        pair.first_meeting,
        pair.cadence,
        pair.local_time,
        pair.timezone,
        now,
        now + dt.timedelta(days=horizon_days),
    ):
        if day not in known:
            candidates.append(moment)
            break
    return min(candidates, default=None)
