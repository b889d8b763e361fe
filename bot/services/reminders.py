"""What the dispatcher may send: each claimed outbox row is sent, or closed with a reason.

Decided per row just before sending, from the current state: a message about a pair that
ended, to someone who paused or left, about a jour fixe already answered, past its grace
window, or over the person's weekly budget is never sent.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload, lazyload, load_only

from bot.store.models import (
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
)

BUDGET_PERIOD = dt.timedelta(days=7)
_PERSON_COLUMNS = (
    Participant.id,
    Participant.team_id,
    Participant.slack_user_id,
    Participant.status,
    Participant.locale,
    Participant.timezone,
    Participant.dm_channel_id,
)
# Which jour-fixe states each kind still makes sense in.
_OPEN_FOR = {
    OutboxKind.NUDGE: {MeetingStatus.PLANNED},
    OutboxKind.CHECKIN: {MeetingStatus.PLANNED, MeetingStatus.MOVED},
}


@dataclass(frozen=True)
class Subject:
    """What one row is about, loaded for deciding and for rendering."""

    recipient: Participant
    pair: Pair | None = None
    jour_fixe: JourFixe | None = None
    poll: Poll | None = None


def load_subjects(rows: Sequence[Outbox], *, session: Session) -> dict[int, Subject]:
    """Each row's recipient, pair, jour fixe and poll, in a few queries for the whole batch."""
    # Deciding and rendering read only these columns of a person, and nothing here needs
    # anyone's skills: loading the rest costs more than the queries themselves. Any other
    # column is still loaded when read (one query more), never an error.
    no_skills = (lazyload(Participant.skills), load_only(*_PERSON_COLUMNS))
    people = {
        p.id: p
        for p in session.scalars(
            select(Participant)
            .where(Participant.id.in_({r.participant_id for r in rows}))
            .options(*no_skills)
        )
    }
    jf_ids = {r.subject_id for r in rows if r.kind in (OutboxKind.NUDGE, OutboxKind.CHECKIN)}
    jf_ids |= {r.subject_id for r in rows if r.kind is OutboxKind.NOTICE}
    poll_ids = {r.subject_id for r in rows if r.kind is OutboxKind.POLL}
    polls = (
        {
            p.id: p
            for p in session.scalars(
                select(Poll)
                .where(Poll.id.in_(poll_ids))
                .options(joinedload(Poll.participant).options(*no_skills), lazyload(Poll.jour_fixe))
            )
        }
        if poll_ids
        else {}
    )
    jf_ids |= {p.jour_fixe_id for p in polls.values()}
    meetings = (
        {
            j.id: j
            for j in session.scalars(
                select(JourFixe)
                .where(JourFixe.id.in_(jf_ids))
                .options(
                    joinedload(JourFixe.pair).options(
                        joinedload(Pair.mentor).options(*no_skills),
                        joinedload(Pair.mentee).options(*no_skills),
                    )
                )
            )
        }
        if jf_ids
        else {}
    )
    pair_ids = {int(r.payload.get("pair", 0)) for r in rows if r.kind is OutboxKind.GHOST}
    pairs = (
        {
            p.id: p
            for p in session.scalars(
                select(Pair)
                .where(Pair.id.in_(pair_ids))
                .options(
                    joinedload(Pair.mentor).options(*no_skills),
                    joinedload(Pair.mentee).options(*no_skills),
                )
            )
        }
        if pair_ids
        else {}
    )
    subjects = {}
    for row in rows:
        recipient = people.get(row.participant_id)
        if recipient is None:
            continue
        poll = polls.get(row.subject_id) if row.kind is OutboxKind.POLL else None
        if poll is not None:
            jf = meetings.get(poll.jour_fixe_id)
        elif row.kind is OutboxKind.GHOST:
            jf = None
        else:
            jf = meetings.get(row.subject_id)
        pair = jf.pair if jf is not None else pairs.get(int(row.payload.get("pair", 0)))
        subjects[row.id] = Subject(recipient=recipient, pair=pair, jour_fixe=jf, poll=poll)
    return subjects


def _sent_recently(ids: set[int], now: dt.datetime, *, session: Session) -> Counter[int]:
    if not ids:
        return Counter()
    counted = session.execute(
        select(Outbox.participant_id, func.count())
        .where(
            Outbox.participant_id.in_(ids),
            Outbox.status == OutboxStatus.SENT,
            Outbox.solicited.is_(False),
            Outbox.sent_at > now - BUDGET_PERIOD,
        )
        .group_by(Outbox.participant_id)
    ).all()
    return Counter({pid: int(n) for pid, n in counted})


def decide(
    rows: Sequence[Outbox],
    subjects: dict[int, Subject],
    *,
    session: Session,
    now: dt.datetime,
    budget: int,
    in_flight: Counter[int] | None = None,
) -> dict[int, tuple[OutboxStatus, str]]:
    """Row id -> (final status, reason) for every row that must not be sent; the rest go."""
    decisions: dict[int, tuple[OutboxStatus, str]] = {}
    spent = _sent_recently(
        {r.participant_id for r in rows if not r.solicited}, now, session=session
    )
    # Messages claimed before this batch and still being sent count too.
    spent.update(in_flight or Counter())
    for row in rows:
        reason = _refusal(row, subjects.get(row.id), now)
        if reason is not None:
            status = OutboxStatus.MISSED if reason == "expired" else OutboxStatus.CANCELLED
            decisions[row.id] = (status, reason)
            continue
        if not row.solicited:
            if spent[row.participant_id] >= budget:
                decisions[row.id] = (OutboxStatus.CANCELLED, "budget")
                continue
            spent[row.participant_id] += 1
    return decisions


def _refusal(row: Outbox, subject: Subject | None, now: dt.datetime) -> str | None:
    if subject is None:
        return "gone"
    if subject.recipient.status is not Status.ACTIVE:
        return "recipient_" + subject.recipient.status.value
    if now > row.expires_at:
        return "expired"
    if row.kind is OutboxKind.GHOST:
        return None
    pair, jf = subject.pair, subject.jour_fixe
    if pair is None or jf is None:
        return "gone"
    if pair.status is not PairStatus.ACTIVE:
        return "pair_ended"
    partner = pair.mentee if pair.mentor_id == subject.recipient.id else pair.mentor
    if row.kind is not OutboxKind.POLL and partner.status is not Status.ACTIVE:
        return "partner_" + partner.status.value
    allowed = _OPEN_FOR.get(row.kind)
    if allowed is not None and jf.status not in allowed:
        return "answered"
    if row.kind is OutboxKind.POLL and jf.status is not MeetingStatus.MET:
        return "not_met"
    return None
