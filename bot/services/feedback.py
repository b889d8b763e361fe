"""Feedback polls: one private answer per poll and person, the last click winning."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.services.jour_fixe import MeetingRefusal, MeetingRefused
from bot.store.models import (
    ANSWER_TEXT_FIELDS,
    FEEDBACK_TEXT_MAX,
    Outbox,
    OutboxKind,
    PairStatus,
    Participant,
    Poll,
    PollAnswer,
)
from bot.store.queries import dialect_insert


@dataclass(frozen=True)
class Thought:
    """Short agile feedback: what I learned, what to try next, keep / stop / start."""

    learned: str = ""
    try_next: str = ""
    keep: str = ""
    stop: str = ""
    start: str = ""

    def too_long(self) -> list[str]:
        """The fields over the length limit (Slack enforces it too, but input is not trusted)."""
        return [f for f in ANSWER_TEXT_FIELDS if len(getattr(self, f)) > FEEDBACK_TEXT_MAX]


def poll_for_member(
    poll_id: int, *, session: Session, team_id: str, user_id: str
) -> tuple[Poll, Participant]:
    """The poll, if it is this person's own and the pair still runs; else MeetingRefused."""
    poll = session.get(Poll, poll_id)
    if poll is None or poll.jour_fixe.pair.team_id != team_id:
        raise MeetingRefused(MeetingRefusal.NOT_FOUND)
    if poll.participant.slack_user_id != user_id:
        # Someone else's poll: each person answers only their own, and sees nobody else's.
        raise MeetingRefused(MeetingRefusal.NOT_A_MEMBER)
    if poll.jour_fixe.pair.status is not PairStatus.ACTIVE:
        raise MeetingRefused(MeetingRefusal.ENDED)
    return poll, poll.participant


def _upsert(poll: Poll, values: dict[str, Any], *, session: Session, now: dt.datetime) -> None:
    insert = dialect_insert(session)
    stmt = insert(PollAnswer).values(poll_id=poll.id, answered_at=now, updated_at=now, **values)
    session.execute(
        stmt.on_conflict_do_update(index_elements=["poll_id"], set_={**values, "updated_at": now})
    )
    session.expire_all()


def record_rating(poll: Poll, rating: int, *, session: Session, now: dt.datetime) -> None:
    """Store a 1-5 rating; a second click replaces the first."""
    if rating not in (1, 2, 3, 4, 5):
        raise ValueError("rating must be 1-5")
    _upsert(poll, {"rating": rating}, session=session, now=now)


def save_thought(poll: Poll, thought: Thought, *, session: Session, now: dt.datetime) -> None:
    """Store the free-text feedback (empty fields are stored as none); it replaces earlier text."""
    if thought.too_long():
        raise ValueError("feedback text too long")
    values = {f: (getattr(thought, f).strip() or None) for f in ANSWER_TEXT_FIELDS}
    _upsert(poll, values, session=session, now=now)


def poll_message_ref(poll_id: int, *, session: Session) -> tuple[str | None, str | None]:
    """Where the poll was sent (channel, message ts), once it was."""
    sent = session.execute(
        select(Outbox.channel_id, Outbox.message_ts).where(
            Outbox.kind == OutboxKind.POLL, Outbox.subject_id == poll_id
        )
    ).first()
    return (sent[0], sent[1]) if sent is not None else (None, None)


def answer_of(poll_id: int, *, session: Session) -> PollAnswer | None:
    """The answer recorded for a poll, if any."""
    return session.get(PollAnswer, poll_id)
