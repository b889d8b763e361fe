"""Jour-fixe services: occurrences, answers, moves, pairs at risk and the pause offer."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.services import jour_fixe
from bot.services.jour_fixe import MeetingRefusal, MeetingRefused, occurrences
from bot.services.timing import Timing
from bot.store.db import Database
from bot.store.models import (
    Cadence,
    JourFixe,
    MeetingStatus,
    Outbox,
    OutboxKind,
    OutboxStatus,
    Pair,
    PairStatus,
    Participant,
)
from tests.helpers import make_pair

WED = dt.date(2026, 12, 2)
T = Timing()


def _plan(db: Database, now: dt.datetime) -> jour_fixe.PlanStats:
    with db.sessions.begin() as s:
        return jour_fixe.plan(session=s, now=now, timing=T)


def _meetings(s: Session) -> list[JourFixe]:
    return list(s.scalars(select(JourFixe).order_by(JourFixe.occurrence)))


def _rows(s: Session, kind: OutboxKind) -> list[Outbox]:
    return list(s.scalars(select(Outbox).where(Outbox.kind == kind).order_by(Outbox.id)))


def _person(s: Session, user: str) -> Participant:
    person = s.scalar(select(Participant).where(Participant.slack_user_id == user))
    assert person is not None
    return person


@pytest.mark.parametrize(
    ("cadence", "expected"),
    [
        (Cadence.WEEKLY, [dt.date(2026, 12, 2), dt.date(2026, 12, 9), dt.date(2026, 12, 16)]),
        (Cadence.BIWEEKLY, [dt.date(2026, 12, 2), dt.date(2026, 12, 16)]),
        (Cadence.MONTHLY, [dt.date(2026, 12, 2)]),
    ],
)
def test_occurrences_follow_the_cadence_from_the_first_meeting(
    cadence: Cadence, expected: list[dt.date]
) -> None:
    start = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    found = occurrences(
        WED, cadence, dt.time(15), "Europe/Berlin", start, start + dt.timedelta(days=21)
    )
    assert [day for day, _ in found] == expected
    assert all(m.astimezone(dt.UTC).hour == 14 for _, m in found)


def test_a_meeting_nobody_answered_is_closed_as_missed_days_later(db: Database) -> None:
    make_pair(db, first_meeting=WED)
    _plan(db, dt.datetime(2026, 12, 1, 12, tzinfo=dt.UTC))
    assert _plan(db, dt.datetime(2026, 12, 4, 12, tzinfo=dt.UTC)).closed == 0
    assert _plan(db, dt.datetime(2026, 12, 5, 15, tzinfo=dt.UTC)).closed == 1
    with db.sessions() as s:
        assert _meetings(s)[0].status is MeetingStatus.MISSED


def _miss_three(db: Database) -> jour_fixe.PlanStats:
    stats = jour_fixe.PlanStats()
    for week in range(4):
        now = dt.datetime(2026, 12, 1, 12, tzinfo=dt.UTC) + dt.timedelta(weeks=week)
        got = _plan(db, now)
        stats.at_risk += got.at_risk
        stats.ghost_checks += got.ghost_checks
    return stats


def test_three_missed_jour_fixes_put_a_pair_at_risk_and_offer_a_pause_to_both(
    db: Database,
) -> None:
    pair_id = make_pair(db, first_meeting=WED)
    stats = _miss_three(db)
    assert stats.at_risk == [pair_id]
    assert stats.ghost_checks == 2
    with db.sessions() as s:
        assert jour_fixe.is_at_risk(pair_id, session=s)
        assert jour_fixe.pairs_at_risk("T0001", session=s) == [pair_id]
        ghosts = _rows(s, OutboxKind.GHOST)
        assert sorted(g.payload["misses"] for g in ghosts) == [3, 3]
    # The next pass asks nobody again.
    assert _plan(db, dt.datetime(2026, 12, 22, 13, tzinfo=dt.UTC)).ghost_checks == 0


def test_a_member_who_answered_is_not_asked_to_pause(db: Database) -> None:
    make_pair(db, first_meeting=WED)
    _plan(db, dt.datetime(2026, 12, 1, 12, tzinfo=dt.UTC))
    with db.sessions.begin() as s:
        first = _meetings(s)[0]
        first.mentor_replied = True  # Anna said something about the first one
    stats = _miss_three(db)
    assert stats.ghost_checks == 1
    with db.sessions() as s:
        (ghost,) = _rows(s, OutboxKind.GHOST)
        assert ghost.participant_id == _person(s, "UBERND").id


def test_we_met_cancels_the_check_ins_and_plans_one_poll_each(db: Database) -> None:
    make_pair(db, first_meeting=WED)
    _plan(db, dt.datetime(2026, 12, 1, 12, tzinfo=dt.UTC))
    now = dt.datetime(2026, 12, 2, 15, tzinfo=dt.UTC)  # 16:00 Berlin
    with db.sessions.begin() as s:
        jf = _meetings(s)[0]
        anna = _person(s, "UANNA")
        assert jour_fixe.mark_met(jf, anna, session=s, now=now, timing=T)
        # A second click by the partner changes nothing and plans nothing twice.
        assert not jour_fixe.mark_met(jf, _person(s, "UBERND"), session=s, now=now, timing=T)
    with db.sessions() as s:
        polls = _rows(s, OutboxKind.POLL)
        assert len(polls) == 2
        assert [p.solicited for p in polls] == [True, False]
        assert {r.status for r in _rows(s, OutboxKind.CHECKIN)} == {OutboxStatus.CANCELLED}
        assert _meetings(s)[0].mentor_replied and _meetings(s)[0].mentee_replied


def test_moving_a_jour_fixe_moves_its_check_in_and_tells_the_partner(db: Database) -> None:
    make_pair(db, first_meeting=WED)
    _plan(db, dt.datetime(2026, 12, 1, 12, tzinfo=dt.UTC))
    now = dt.datetime(2026, 12, 2, 9, tzinfo=dt.UTC)
    new_time = dt.datetime(2026, 12, 3, 15, tzinfo=dt.UTC)  # Thursday 16:00 Berlin
    with db.sessions.begin() as s:
        jf = _meetings(s)[0]
        jour_fixe.move(jf, _person(s, "UBERND"), new_time, session=s, now=now, timing=T)
    with db.sessions() as s:
        jf = _meetings(s)[0]
        assert (jf.status, jf.effective_at) == (MeetingStatus.MOVED, new_time)
        checkins = _rows(s, OutboxKind.CHECKIN)
        assert {c.due_at for c in checkins} == {new_time + dt.timedelta(hours=2)}
        (notice,) = _rows(s, OutboxKind.NOTICE)
        assert notice.participant_id == _person(s, "UANNA").id
        assert notice.payload == {"what": "moved", "by": _person(s, "UBERND").id}


@pytest.mark.parametrize("hours", [-1, 24 * 50])
def test_a_move_into_the_past_or_far_future_is_refused_and_changes_nothing(
    db: Database, hours: int
) -> None:
    make_pair(db, first_meeting=WED)
    _plan(db, dt.datetime(2026, 12, 1, 12, tzinfo=dt.UTC))
    now = dt.datetime(2026, 12, 2, 9, tzinfo=dt.UTC)
    with db.sessions() as s:
        jf = _meetings(s)[0]
        with pytest.raises(MeetingRefused) as refused:
            jour_fixe.move(
                jf,
                _person(s, "UANNA"),
                now + dt.timedelta(hours=hours),
                session=s,
                now=now,
                timing=T,
            )
        assert refused.value.reason is MeetingRefusal.BAD_TIME
        assert jf.status is MeetingStatus.PLANNED
        s.rollback()


def test_a_new_rhythm_drops_the_planned_occurrences_of_the_old_one(db: Database) -> None:
    pair_id = make_pair(db, first_meeting=WED)
    _plan(db, dt.datetime(2026, 12, 1, 12, tzinfo=dt.UTC))
    with db.sessions.begin() as s:
        pair = s.get(Pair, pair_id)
        assert pair is not None
        jour_fixe.forget_future(pair, session=s, now=dt.datetime(2026, 12, 1, 13, tzinfo=dt.UTC))
    with db.sessions() as s:
        assert _meetings(s) == []
        rows = list(s.scalars(select(Outbox)))
        assert rows
        assert {r.status for r in rows} == {OutboxStatus.CANCELLED}


def test_a_paused_member_gets_no_new_jour_fixes_planned(db: Database) -> None:
    make_pair(db, first_meeting=WED)
    with db.sessions.begin() as s:
        from bot.store.models import Status

        _person(s, "UANNA").status = Status.PAUSED
    assert _plan(db, dt.datetime(2026, 12, 1, 12, tzinfo=dt.UTC)).jour_fixes == 0


def test_leaving_drops_the_persons_messages_polls_and_answers_rating_included(
    db: Database,
) -> None:
    from bot.services import enrollment, feedback
    from bot.store.models import Poll, PollAnswer

    make_pair(db, first_meeting=WED)
    _plan(db, dt.datetime(2026, 12, 1, 12, tzinfo=dt.UTC))
    now = dt.datetime(2026, 12, 2, 15, tzinfo=dt.UTC)
    with db.sessions.begin() as s:
        anna = _person(s, "UANNA")
        anna_id = anna.id
        anna.dm_channel_id = "DANNA"
        jf = _meetings(s)[0]
        jour_fixe.mark_met(jf, anna, session=s, now=now, timing=T)
        poll = s.scalar(select(Poll).where(Poll.participant_id == anna.id))
        assert poll is not None
        feedback.record_rating(poll, 4, session=s, now=now)
        feedback.save_thought(poll, feedback.Thought(learned="prompting"), session=s, now=now)
    with db.sessions.begin() as s:
        assert enrollment.leave(session=s, team_id="T0001", user_id="UANNA")
    with db.sessions() as s:
        left = s.scalar(select(Participant).where(Participant.dm_channel_id.is_not(None)))
        assert left is None
        mine = s.scalars(select(Outbox).where(Outbox.participant_id == anna_id)).all()
        assert mine == []
        # A rating kept on the pair's row would still point at them for anyone who knows
        # the partner: it goes with the poll.
        assert s.scalars(select(PollAnswer)).all() == []
        assert s.scalars(select(Poll).where(Poll.participant_id == anna_id)).all() == []


def test_the_next_jour_fixe_skips_a_skipped_one_and_follows_a_move(db: Database) -> None:
    pair_id = make_pair(db, first_meeting=WED)
    _plan(db, dt.datetime(2026, 12, 1, 12, tzinfo=dt.UTC))
    now = dt.datetime(2026, 12, 2, 9, tzinfo=dt.UTC)
    with db.sessions.begin() as s:
        pair = s.get(Pair, pair_id)
        assert pair is not None
        assert jour_fixe.next_jour_fixe(pair, session=s, now=now) == dt.datetime(
            2026, 12, 2, 14, tzinfo=dt.UTC
        )
        jf = _meetings(s)[0]
        jour_fixe.skip(jf, _person(s, "UANNA"), session=s, now=now, timing=T)
        assert jour_fixe.next_jour_fixe(pair, session=s, now=now) == dt.datetime(
            2026, 12, 9, 14, tzinfo=dt.UTC
        )
        moved = dt.datetime(2026, 12, 4, 10, tzinfo=dt.UTC)
        jour_fixe.move(jf, _person(s, "UANNA"), moved, session=s, now=now, timing=T)
        assert jour_fixe.next_jour_fixe(pair, session=s, now=now) == moved


@pytest.mark.parametrize(
    ("history", "at_risk"),
    [
        # Oldest first; only closed jour fixes count, and only the last three of them.
        (["missed", "missed", "missed"], True),
        (["met", "missed", "missed", "missed"], True),
        (["missed", "missed", "missed", "planned"], True),
        (["missed", "missed", "missed", "moved"], True),
        (["missed", "missed", "missed", "met"], False),
        (["missed", "missed", "missed", "skipped"], False),
        (["missed", "met", "missed", "missed"], False),
        (["missed", "missed"], False),
        ([], False),
    ],
)
def test_a_pair_is_at_risk_only_when_its_last_three_closed_jour_fixes_were_missed(
    db: Database, history: list[str], at_risk: bool
) -> None:
    team = "TR" + "".join(status[:2].upper() for status in history)
    pair_id = make_pair(db, team=team, mentor=f"{team}M", mentee=f"{team}E")
    other = make_pair(db, team=f"{team}X", mentor=f"{team}XM", mentee=f"{team}XE")
    start = dt.date(2026, 3, 4)
    with db.sessions.begin() as s:
        for pid in (pair_id, other):
            # Inserted oldest first: reading them in table order would take the wrong three.
            for n, status in enumerate(history):
                day = start + dt.timedelta(weeks=n)
                s.add(
                    JourFixe(
                        pair_id=pid,
                        occurrence=day,
                        planned_at=dt.datetime.combine(day, dt.time(13), tzinfo=dt.UTC),
                        status=MeetingStatus(status),
                    )
                )
    with db.sessions() as s:
        assert jour_fixe.pairs_at_risk(team, session=s) == ([pair_id] if at_risk else [])
        assert jour_fixe.is_at_risk(pair_id, session=s) is at_risk
    # A pair that ended is nobody's risk any more.
    with db.sessions.begin() as s:
        s.get_one(Pair, pair_id).status = PairStatus.ENDED
    with db.sessions() as s:
        assert jour_fixe.pairs_at_risk(team, session=s) == []
