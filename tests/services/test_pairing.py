"""Rounds and pairs: one apply per preview, stale previews refused, schedules in local time."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.services import enrollment, pairing
from bot.services.catalog import load_catalog
from bot.services.matching import MatchConfig
from bot.services.pairing import RoundRefusal, RoundRefused
from bot.store.db import Database
from bot.store.models import (
    BlockedUser,
    Cadence,
    MatchRound,
    Pair,
    PairHistory,
    PairStatus,
    Participant,
    RepairRequest,
    Role,
    RoundStatus,
    Status,
    TimeWindow,
)

KNOWN = {s.key for s in load_catalog().skills}
CONFIG = MatchConfig()


def enrol(
    s: Session,
    user: str,
    role: Role,
    skill: str,
    dept: str,
    *,
    tz: str = "Europe/Berlin",
    langs: tuple[str, ...] = ("en",),
    locale: str = "en",
) -> Participant:
    form = enrollment.ProfileForm(
        role=role,
        offered={skill: 5} if role is Role.MENTOR else {},
        wanted={skill: 1} if role is Role.MENTEE else {},
        department=dept,
        languages=langs,
        cadence=Cadence.WEEKLY,
        weekday=None,
        time_window=TimeWindow.ANY,
        about="",
        consent=True,
    )
    return enrollment.save_profile(
        form, known_skills=KNOWN, session=s, team_id="T1", user_id=user, timezone=tz, locale=locale
    ).participant


@pytest.fixture
def pool(session: Session) -> Session:
    enrol(session, "UM1", Role.MENTOR, "social_media", "IT")
    enrol(session, "UE1", Role.MENTEE, "social_media", "Sales")
    enrol(session, "UE2", Role.MENTEE, "spreadsheets", "Sales")
    session.commit()
    return session


def apply(s: Session, round_: MatchRound) -> list[Pair]:
    claimed = pairing.claim_round(round_.id, session=s, team_id="T1", actor="UHR")
    assert claimed.status is RoundStatus.APPLIED
    pairs = [
        pairing.create_pair(
            p, session=s, team_id="T1", round_id=round_.id, channel_id=f"G{i}", language="en"
        )
        for i, p in enumerate(pairing.planned_pairs(claimed))
    ]
    pairing.finish_round(claimed, complete=True)
    s.commit()
    return [p for p in pairs if p is not None]


def test_a_preview_stores_figures_and_changes_no_pair(pool: Session) -> None:
    round_ = pairing.preview_round("T1", session=pool, config=CONFIG, requested_by="UHR")
    summary = pairing.summarize(round_)
    assert (summary.mentors, summary.mentees, summary.pairs) == (1, 2, 1)
    assert summary.unmatched == {"nothing_offered": 1}
    assert summary.unmet_demand == [("spreadsheets", 1)]
    assert pool.scalars(select(Pair)).all() == []


def test_a_preview_is_applied_once_and_only_by_its_admin(pool: Session) -> None:
    round_ = pairing.preview_round("T1", session=pool, config=CONFIG, requested_by="UHR")
    pool.commit()
    with pytest.raises(RoundRefused) as other:
        pairing.claim_round(round_.id, session=pool, team_id="T1", actor="UOTHERADMIN")
    assert other.value.reason is RoundRefusal.NOT_YOURS
    with pytest.raises(RoundRefused) as wrong_team:
        pairing.claim_round(round_.id, session=pool, team_id="T2", actor="UHR")
    assert wrong_team.value.reason is RoundRefusal.NOT_FOUND
    assert len(apply(pool, round_)) == 1
    with pytest.raises(RoundRefused) as again:
        pairing.claim_round(round_.id, session=pool, team_id="T1", actor="UHR")
    assert again.value.reason is RoundRefusal.ALREADY_APPLIED
    assert len(pool.scalars(select(PairHistory)).all()) == 1


def test_a_preview_goes_stale_when_the_pool_changes_or_after_a_day(pool: Session) -> None:
    changed = pairing.preview_round("T1", session=pool, config=CONFIG, requested_by="UHR")
    enrol(pool, "UE3", Role.MENTEE, "prompting", "Legal")
    pool.commit()
    assert (
        pairing.claim_round(changed.id, session=pool, team_id="T1", actor="UHR").status
        is RoundStatus.STALE
    )
    old = pairing.preview_round("T1", session=pool, config=CONFIG, requested_by="UHR")
    pool.commit()
    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=25)
    assert (
        pairing.claim_round(old.id, session=pool, team_id="T1", actor="UHR", now=later).status
        is RoundStatus.STALE
    )


def test_a_cancelled_preview_cannot_be_applied(pool: Session) -> None:
    round_ = pairing.preview_round("T1", session=pool, config=CONFIG, requested_by="UHR")
    pairing.cancel_round(round_.id, session=pool, team_id="T1", actor="UHR")
    pool.commit()
    with pytest.raises(RoundRefused) as exc:
        pairing.claim_round(round_.id, session=pool, team_id="T1", actor="UHR")
    assert exc.value.reason is RoundRefusal.CANCELLED


def test_paired_mentees_and_full_mentors_leave_the_pool_and_pairs_never_repeat(
    pool: Session,
) -> None:
    apply(pool, pairing.preview_round("T1", session=pool, config=CONFIG, requested_by="UHR"))
    assert [p.id for p in pairing.load_pool("T1", session=pool).people] == [
        pool.scalar(select(Participant.id).where(Participant.slack_user_id == "UE2"))
    ]
    (pair,) = pool.scalars(select(Pair)).all()
    pairing.end_pair(pair, ended_by=pair.mentee)
    pool.commit()
    again = pairing.preview_round("T1", session=pool, config=CONFIG, requested_by="UHR")
    assert pairing.summarize(again).pairs == 0  # the same two never meet twice


def test_a_pair_is_not_created_for_someone_who_left_in_between(pool: Session) -> None:
    round_ = pairing.preview_round("T1", session=pool, config=CONFIG, requested_by="UHR")
    enrollment.leave(session=pool, team_id="T1", user_id="UE1")
    pool.commit()
    # Leaving strips the person from the plan at once: the preview can only be refused.
    with pytest.raises(RoundRefused) as exc:
        pairing.claim_round(round_.id, session=pool, team_id="T1", actor="UHR")
    assert exc.value.reason is RoundRefusal.STALE
    stored = pool.get(MatchRound, round_.id)
    assert stored is not None and "pairs" not in stored.plan


def test_the_intro_language_is_one_both_speak_preferring_the_mentee(session: Session) -> None:
    mentor = enrol(
        session, "UM1", Role.MENTOR, "social_media", "IT", langs=("en", "de"), locale="en"
    )
    german = enrol(
        session, "UE1", Role.MENTEE, "social_media", "Sales", langs=("de", "en"), locale="de"
    )
    french = enrol(
        session, "UE2", Role.MENTEE, "social_media", "Sales", langs=("fr", "en"), locale="fr"
    )
    assert pairing.intro_language(mentor, german, "en") == "de"
    assert pairing.intro_language(mentor, french, "de") == "en"


@pytest.mark.parametrize(
    ("tz", "now", "first", "after_dst"),
    [
        # Berlin leaves summer time on 25 Oct 2026: 15:00 stays 15:00 local.
        (
            "Europe/Berlin",
            "2026-10-19T08:00:00+00:00",
            "2026-10-21T15:00:00+02:00",
            "2026-10-28T15:00:00+01:00",
        ),
        (
            "America/New_York",
            "2026-10-27T08:00:00+00:00",
            "2026-10-28T15:00:00-04:00",
            "2026-11-04T15:00:00-05:00",
        ),
        (
            "Asia/Kolkata",
            "2026-10-19T08:00:00+00:00",
            "2026-10-21T15:00:00+05:30",
            "2026-10-28T15:00:00+05:30",
        ),
    ],
)
def test_the_next_jour_fixe_keeps_its_local_time_across_dst(
    session: Session, tz: str, now: str, first: str, after_dst: str
) -> None:
    mentor = enrol(session, "UM1", Role.MENTOR, "social_media", "IT", tz=tz)
    mentee = enrol(session, "UE1", Role.MENTEE, "social_media", "Sales", tz=tz)
    pair = Pair(team_id="T1", mentor_id=mentor.id, mentee_id=mentee.id, timezone=tz, language="en")
    session.add(pair)
    session.flush()
    start = dt.datetime.fromisoformat(now)
    pairing.set_schedule(
        pair, weekday=2, local_time=dt.time(15), cadence=Cadence.WEEKLY, timezone=tz, now=start
    )
    assert pairing.next_meeting(pair, start) == dt.datetime.fromisoformat(first)
    later = dt.datetime.fromisoformat(first) + dt.timedelta(hours=1)
    assert pairing.next_meeting(pair, later) == dt.datetime.fromisoformat(after_dst)


def test_an_unreachable_person_becomes_inactive(pool: Session) -> None:
    person = pool.scalar(select(Participant).where(Participant.slack_user_id == "UE1"))
    assert person is not None
    pairing.mark_unreachable(person.id, session=pool)
    pool.commit()
    pool.refresh(person)
    assert person.status is Status.INACTIVE
    assert person.id not in {p.id for p in pairing.load_pool("T1", session=pool).people}


def test_a_button_on_a_pair_is_only_for_its_two_members(pool: Session) -> None:
    (pair,) = apply(
        pool, pairing.preview_round("T1", session=pool, config=CONFIG, requested_by="UHR")
    )
    with pytest.raises(pairing.PairRefused) as stranger:
        pairing.pair_for_member(pair.id, session=pool, team_id="T1", user_id="UE2")
    assert stranger.value.reason is pairing.PairRefusal.NOT_A_MEMBER
    with pytest.raises(pairing.PairRefused) as missing:
        pairing.pair_for_member(999999, session=pool, team_id="T1", user_id="UE1")
    assert missing.value.reason is pairing.PairRefusal.NOT_FOUND
    found, actor = pairing.pair_for_member(pair.id, session=pool, team_id="T1", user_id="UE1")
    assert found.id == pair.id and actor.slack_user_id == "UE1"


def test_a_round_being_delivered_is_busy_and_can_be_resumed_after_its_lease(pool: Session) -> None:
    round_ = pairing.preview_round("T1", session=pool, config=CONFIG, requested_by="UHR")
    pool.commit()
    start = dt.datetime.now(dt.UTC)
    pairing.claim_round(round_.id, session=pool, team_id="T1", actor="UHR", now=start)
    pool.commit()
    with pytest.raises(RoundRefused) as busy:
        pairing.claim_round(round_.id, session=pool, team_id="T1", actor="UHR", now=start)
    assert busy.value.reason is RoundRefusal.BUSY
    # The delivery crashed: after the lease, the same press takes it over to finish it.
    later = start + pairing.DELIVERY_LEASE + dt.timedelta(seconds=1)
    resumed = pairing.claim_round(round_.id, session=pool, team_id="T1", actor="UHR", now=later)
    assert resumed.status is RoundStatus.APPLIED and resumed.delivered_at is None
    pairing.finish_round(resumed, complete=True)
    pool.commit()
    with pytest.raises(RoundRefused) as done:
        pairing.claim_round(round_.id, session=pool, team_id="T1", actor="UHR", now=later)
    assert done.value.reason is RoundRefusal.ALREADY_APPLIED
    assert "pairs" not in resumed.plan and resumed.plan["pair_count"] == 1


def test_only_one_round_per_workspace_is_carried_out_at_a_time(db: Database) -> None:
    with db.sessions.begin() as s:
        enrol(s, "UM1", Role.MENTOR, "social_media", "IT")
        enrol(s, "UE1", Role.MENTEE, "social_media", "Sales")
        first = pairing.preview_round("T1", session=s, config=CONFIG, requested_by="UHR").id
        second = pairing.preview_round("T1", session=s, config=CONFIG, requested_by="UHR2").id
    with db.sessions.begin() as s:
        pairing.claim_round(first, session=s, team_id="T1", actor="UHR")
    with pytest.raises(RoundRefused) as exc, db.sessions.begin() as s:
        pairing.claim_round(second, session=s, team_id="T1", actor="UHR2")
    assert exc.value.reason is RoundRefusal.BUSY


def test_leaving_strips_the_person_from_pairs_requests_and_block_lists(pool: Session) -> None:
    (pair,) = apply(
        pool, pairing.preview_round("T1", session=pool, config=CONFIG, requested_by="UHR")
    )
    pairing.request_repair(pair, pair.mentee, session=pool)
    pool.add(BlockedUser(participant_id=pair.mentor.id, blocked_user_id="UE1"))
    pool.commit()
    enrollment.leave(session=pool, team_id="T1", user_id="UE1")
    pool.commit()
    pool.refresh(pair)
    assert (pair.status, pair.timezone, pair.covered, pair.channel_id) == (
        PairStatus.ENDED,
        None,
        [],
        None,
    )
    # Day-level dates only: no time of day to match against Slack messages.
    assert (pair.created_at.hour, pair.created_at.minute, pair.created_at.second) == (0, 0, 0)
    assert pair.ended_at is not None and pair.ended_at.hour == 0
    assert pool.scalars(select(RepairRequest)).all() == []
    assert pool.scalars(select(BlockedUser)).all() == []


def test_a_repeated_repair_request_is_recorded_once(pool: Session) -> None:
    (pair,) = apply(
        pool, pairing.preview_round("T1", session=pool, config=CONFIG, requested_by="UHR")
    )
    assert pairing.request_repair(pair, pair.mentee, session=pool) is True
    assert pairing.request_repair(pair, pair.mentee, session=pool) is False
    assert pairing.request_repair(pair, pair.mentor, session=pool) is True


def test_a_person_marked_inactive_comes_back_by_resuming(pool: Session) -> None:
    person = pool.scalar(select(Participant).where(Participant.slack_user_id == "UE1"))
    assert person is not None
    pairing.mark_unreachable(person.id, session=pool)
    pool.commit()
    _, was_off = enrollment.resume(session=pool, team_id="T1", user_id="UE1")
    assert was_off
    pool.refresh(person)
    assert person.status is Status.ACTIVE


def test_the_intro_falls_back_to_the_default_only_without_a_shared_language(
    session: Session,
) -> None:
    mentor = enrol(session, "UM1", Role.MENTOR, "social_media", "IT", langs=("en",), locale="en")
    mentee = enrol(
        session, "UE1", Role.MENTEE, "social_media", "Sales", langs=("de", "en"), locale="de"
    )
    assert pairing.intro_language(mentor, mentee, "de") == "en"
