"""Matching rounds and pairs: preview, apply once, introduce, schedule, end."""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import json
from collections import Counter
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.config import SUPPORTED_LANGUAGES
from bot.services.matching import MatchConfig, MatchResult, Person, match
from bot.services.timing import zone as zone_of
from bot.store.models import (
    BlockedUser,
    Cadence,
    EndReason,
    MatchRound,
    Pair,
    PairHistory,
    PairStatus,
    Participant,
    RepairRequest,
    Role,
    RoundStatus,
    SkillKind,
    Status,
    utcnow,
)
from bot.store.queries import dialect_insert

# A preview older than this is stale even if nothing in the pool changed.
PREVIEW_LIFETIME = dt.timedelta(hours=24)
# How long a delivery may run before another press may take it over (it crashed).
DELIVERY_LEASE = dt.timedelta(minutes=10)
CADENCE_WEEKS = {Cadence.WEEKLY: 1, Cadence.BIWEEKLY: 2, Cadence.MONTHLY: 4}
# Jour fixes happen in working hours, never in the 02:00-03:00 hour that DST skips or repeats.
MEETING_EARLIEST, MEETING_LATEST = dt.time(6, 0), dt.time(21, 0)


@dataclass(frozen=True)
class Pool:
    """Who can be matched right now, what was paired before, and a fingerprint of it all."""

    people: list[Person]
    history: set[tuple[int, int]]
    fingerprint: str


def load_pool(team_id: str, *, session: Session) -> Pool:
    """Active participants with consent and room for a (further) pair, as matching input."""
    participants = list(
        session.scalars(
            select(Participant)
            .where(
                Participant.team_id == team_id,
                Participant.status == Status.ACTIVE,
                Participant.consent_at.is_not(None),
            )
            .order_by(Participant.id)
        )
    )
    active = Counter[int]()
    paired_mentees: set[int] = set()
    for mentor_id, mentee_id in session.execute(
        select(Pair.mentor_id, Pair.mentee_id).where(
            Pair.team_id == team_id, Pair.status == PairStatus.ACTIVE
        )
    ):
        active[mentor_id] += 1
        paired_mentees.add(mentee_id)
    by_slack = {p.slack_user_id: p.id for p in participants}
    blocked: dict[int, set[int]] = {}
    for owner, blocked_user in session.execute(
        select(BlockedUser.participant_id, BlockedUser.blocked_user_id)
    ):
        if blocked_user in by_slack:
            blocked.setdefault(owner, set()).add(by_slack[blocked_user])
    people = []
    for p in participants:
        is_mentor = p.role is Role.MENTOR
        capacity = p.mentor_capacity - active[p.id] if is_mentor else 1
        if capacity <= 0 or (not is_mentor and p.id in paired_mentees):
            continue
        people.append(
            Person(
                id=p.id,
                is_mentor=is_mentor,
                department=p.department,
                languages=frozenset(p.languages or ()),
                timezone=p.timezone,
                offered=p.skill_levels(SkillKind.OFFERED),
                wanted=p.skill_levels(SkillKind.WANTED),
                capacity=capacity,
                blocked=frozenset(blocked.get(p.id, ())),
            )
        )
    ids = [p.id for p in people]
    history = {
        (m, e)
        for m, e in session.execute(
            select(PairHistory.mentor_id, PairHistory.mentee_id).where(
                PairHistory.mentor_id.in_(ids) | PairHistory.mentee_id.in_(ids)
            )
        )
    }
    return Pool(people=people, history=history, fingerprint=_fingerprint(people, history))


def _fingerprint(people: list[Person], history: set[tuple[int, int]]) -> str:
    data = [
        [
            p.id,
            p.is_mentor,
            p.department,
            sorted(p.languages),
            p.timezone,
            sorted(p.offered.items()),
            sorted(p.wanted.items()),
            p.capacity,
            sorted(p.blocked),
        ]
        for p in people
    ]
    raw = json.dumps([data, sorted(history)], separators=(",", ":"), default=str)
    return hashlib.sha256(raw.encode()).hexdigest()


@dataclass(frozen=True)
class PlannedPair:
    """One pair of a round's plan."""

    mentor_id: int
    mentee_id: int
    score: float
    covered: tuple[str, ...]
    shared_languages: tuple[str, ...]


@dataclass
class Delivery:
    """What carrying out a round did."""

    created: int = 0
    told: int = 0
    unreachable: int = 0
    failed: int = 0


@dataclass(frozen=True)
class RoundSummary:
    """The figures HR sees in a preview: counts and shares, never names."""

    round_id: int
    mentors: int
    mentees: int
    pairs: int
    average_score: float
    covered_share: float
    unmatched: dict[str, int]
    unmet_demand: list[tuple[str, int]]
    solver: str


def _plan(result: MatchResult, pool: Pool) -> dict[str, Any]:
    mentees = [p for p in pool.people if not p.is_mentor]
    return {
        "pairs": [
            {
                "mentor": pair.mentor_id,
                "mentee": pair.mentee_id,
                "score": round(pair.score, 6),
                "covered": list(pair.explanation.covered),
                "languages": list(pair.explanation.shared_languages),
            }
            for pair in result.pairs
        ],
        "unmatched": {str(pid): reason.value for pid, reason in sorted(result.unmatched.items())},
        "unmet_demand": dict(sorted(result.unmet_demand.items())),
        "mentors": sum(p.is_mentor for p in pool.people),
        "mentees": len(mentees),
        "average_score": result.average_score,
        "covered_share": result.covered_share(pool.people),
    }


def planned_pairs(round_: MatchRound) -> list[PlannedPair]:
    """The pairs a round's plan proposes."""
    return [
        PlannedPair(
            mentor_id=int(p["mentor"]),
            mentee_id=int(p["mentee"]),
            score=float(p["score"]),
            covered=tuple(p["covered"]),
            shared_languages=tuple(p["languages"]),
        )
        for p in round_.plan.get("pairs", [])
    ]


def unmatched_of(round_: MatchRound) -> dict[int, str]:
    """Participant id -> reason, for everyone the round leaves unmatched."""
    return {int(k): str(v) for k, v in round_.plan.get("unmatched", {}).items()}


def summarize(round_: MatchRound) -> RoundSummary:
    """The figures of a round, from its stored plan."""
    plan = round_.plan
    demand = sorted(plan.get("unmet_demand", {}).items(), key=lambda kv: (-kv[1], kv[0]))
    return RoundSummary(
        round_id=round_.id,
        mentors=int(plan.get("mentors", 0)),
        mentees=int(plan.get("mentees", 0)),
        pairs=int(plan.get("pair_count", len(plan.get("pairs", [])))),
        average_score=float(plan.get("average_score", 0.0)),
        covered_share=float(plan.get("covered_share", 0.0)),
        unmatched=plan.get("unmatched_counts") or dict(Counter(unmatched_of(round_).values())),
        unmet_demand=[(k, int(v)) for k, v in demand],
        solver=round_.solver,
    )


def preview_round(
    team_id: str, *, session: Session, config: MatchConfig, requested_by: str
) -> MatchRound:
    """Compute the optimal pairing of the pool and store it as a preview; nothing is paired yet."""
    pool = load_pool(team_id, session=session)
    result = match(pool.people, pool.history, config)
    round_ = MatchRound(
        team_id=team_id,
        requested_by=requested_by,
        status=RoundStatus.PREVIEW,
        pool_fingerprint=pool.fingerprint,
        plan=_plan(result, pool),
        solver=result.solver,
    )
    session.add(round_)
    session.flush()
    return round_


class RoundRefusal(enum.StrEnum):
    """Why a round could not be applied or cancelled."""

    NOT_FOUND = "not_found"
    NOT_YOURS = "not_yours"
    ALREADY_APPLIED = "already_applied"
    CANCELLED = "cancelled"
    STALE = "stale"
    BUSY = "busy"


class RoundRefused(Exception):
    """A press on a round that must do nothing."""

    def __init__(self, reason: RoundRefusal) -> None:
        super().__init__(reason.value)
        self.reason = reason


def _refusal(round_: MatchRound | None, team_id: str, actor: str) -> RoundRefusal | None:
    if round_ is None or round_.team_id != team_id:
        return RoundRefusal.NOT_FOUND
    if round_.requested_by != actor:
        return RoundRefusal.NOT_YOURS
    if round_.status is RoundStatus.APPLIED and round_.delivered_at is None:
        return None  # unfinished: the caller may resume it
    return {
        RoundStatus.APPLIED: RoundRefusal.ALREADY_APPLIED,
        RoundStatus.CANCELLED: RoundRefusal.CANCELLED,
        RoundStatus.STALE: RoundRefusal.STALE,
    }.get(round_.status)


def claim_round(
    round_id: int, *, session: Session, team_id: str, actor: str, now: dt.datetime | None = None
) -> MatchRound:
    """Take a preview (or an unfinished, abandoned round) for delivery, exactly once.

    Returns the round APPLIED and leased to the caller, or marked STALE; raises RoundRefused
    for every other press: a second one, another admin's, or one while a round of the same
    workspace is still being carried out.
    """
    now = now or utcnow()
    round_ = session.get(MatchRound, round_id)
    refusal = _refusal(round_, team_id, actor)
    if refusal is not None:
        raise RoundRefused(refusal)
    assert round_ is not None
    if round_.status is RoundStatus.APPLIED:
        resumed = session.execute(
            update(MatchRound)
            .where(
                MatchRound.id == round_id,
                MatchRound.delivered_at.is_(None),
                (MatchRound.lease_until.is_(None)) | (MatchRound.lease_until < now),
            )
            .values(lease_until=now + DELIVERY_LEASE)
            .returning(MatchRound.id)
        ).scalar()
        if resumed is None:
            raise RoundRefused(RoundRefusal.BUSY)
        session.refresh(round_)
        return round_
    stale = now - round_.created_at > PREVIEW_LIFETIME or (
        load_pool(team_id, session=session).fingerprint != round_.pool_fingerprint
    )
    # One conditional UPDATE decides between concurrent presses: only one sees a row.
    new_status = RoundStatus.STALE if stale else RoundStatus.APPLIED
    try:
        claimed = session.execute(
            update(MatchRound)
            .where(MatchRound.id == round_id, MatchRound.status == RoundStatus.PREVIEW)
            .values(
                status=new_status,
                decided_at=now,
                decided_by=actor,
                lease_until=None if stale else now + DELIVERY_LEASE,
            )
            .returning(MatchRound.id)
        ).scalar()
    except IntegrityError:
        # uq_match_round_undelivered: another round of this workspace is being carried out.
        raise RoundRefused(RoundRefusal.BUSY) from None
    session.refresh(round_)
    if claimed is None:
        raise RoundRefused(_refusal(round_, team_id, actor) or RoundRefusal.ALREADY_APPLIED)
    # A stale claim is returned, not raised, so that the STALE mark is committed.
    return round_


def cancel_round(round_id: int, *, session: Session, team_id: str, actor: str) -> None:
    """Drop a preview; raises RoundRefused if it is not an open preview of this actor."""
    round_ = session.get(MatchRound, round_id)
    refusal = _refusal(round_, team_id, actor)
    if refusal is not None:
        raise RoundRefused(refusal)
    cancelled = session.execute(
        update(MatchRound)
        .where(MatchRound.id == round_id, MatchRound.status == RoundStatus.PREVIEW)
        .values(status=RoundStatus.CANCELLED, decided_at=utcnow(), decided_by=actor)
        .returning(MatchRound.id)
    ).scalar()
    if cancelled is None:
        assert round_ is not None
        session.refresh(round_)
        raise RoundRefused(_refusal(round_, team_id, actor) or RoundRefusal.ALREADY_APPLIED)


def finish_round(round_: MatchRound, *, complete: bool, now: dt.datetime | None = None) -> None:
    """End a delivery: when complete, keep only the round's figures, no participant ids."""
    now = now or utcnow()
    if not complete:
        # Let the next press retry what failed, without waiting for the lease.
        round_.lease_until = now
        return
    summary = summarize(round_)
    round_.plan = {
        "mentors": summary.mentors,
        "mentees": summary.mentees,
        "pair_count": summary.pairs,
        "average_score": summary.average_score,
        "covered_share": summary.covered_share,
        "unmatched_counts": summary.unmatched,
        "unmet_demand": dict(summary.unmet_demand),
    }
    round_.delivered_at, round_.lease_until = now, None


def intro_language(mentor: Participant, mentee: Participant, default: str) -> str:
    """A language both speak that the bot speaks too: the mentee's own first, then the mentor's."""
    shared = set(mentor.languages or ()) & set(mentee.languages or ())
    for candidate in (mentee.locale, mentor.locale, *sorted(shared)):
        if candidate in SUPPORTED_LANGUAGES and candidate in shared:
            return candidate
    # No language both speak is one the bot speaks: fall back to the default.
    return default


def create_pair(
    planned: PlannedPair,
    *,
    session: Session,
    team_id: str,
    round_id: int | None,
    channel_id: str,
    language: str,
) -> Pair | None:
    """Record a pair whose group DM is open; None if either person is no longer free for it."""
    mentor = session.get(Participant, planned.mentor_id)
    mentee = session.get(Participant, planned.mentee_id)
    if mentor is None or mentee is None:
        return None
    if mentor.status is not Status.ACTIVE or mentee.status is not Status.ACTIVE:
        return None
    busy = session.scalar(
        select(func.count())
        .select_from(Pair)
        .where(Pair.mentee_id == mentee.id, Pair.status == PairStatus.ACTIVE)
    )
    taken = session.scalar(
        select(func.count())
        .select_from(Pair)
        .where(Pair.mentor_id == mentor.id, Pair.status == PairStatus.ACTIVE)
    )
    if busy or (taken or 0) >= mentor.mentor_capacity:
        return None
    pair = Pair(
        team_id=team_id,
        round_id=round_id,
        mentor_id=mentor.id,
        mentee_id=mentee.id,
        channel_id=channel_id,
        language=language,
        score=planned.score,
        covered=list(planned.covered),
        cadence=mentee.cadence,
        weekday=mentee.preferred_weekday,
        timezone=mentee.timezone,
    )
    session.add(pair)
    insert = dialect_insert(session)
    session.execute(
        insert(PairHistory)
        .values(mentor_id=mentor.id, mentee_id=mentee.id, first_paired_at=utcnow())
        .on_conflict_do_nothing(index_elements=["mentor_id", "mentee_id"])
    )
    session.flush()
    return pair


def pair_of_round(round_id: int, planned: PlannedPair, *, session: Session) -> Pair | None:
    """The pair a round already created for this plan entry, if any (for resuming)."""
    return session.scalar(
        select(Pair).where(
            Pair.round_id == round_id,
            Pair.mentor_id == planned.mentor_id,
            Pair.mentee_id == planned.mentee_id,
        )
    )


def mark_unreachable(participant_id: int, *, session: Session) -> None:
    """Slack says the account is disabled or gone: take the person out of the pool."""
    session.execute(
        update(Participant)
        .where(Participant.id == participant_id, Participant.status != Status.LEFT)
        .values(status=Status.INACTIVE, paused_until=None, updated_at=utcnow())
    )


def active_pairs(participant_id: int, *, session: Session) -> list[Pair]:
    """The person's current pairs (a mentor may have up to three)."""
    return list(
        session.scalars(
            select(Pair)
            .where(
                (Pair.mentor_id == participant_id) | (Pair.mentee_id == participant_id),
                Pair.status == PairStatus.ACTIVE,
            )
            .order_by(Pair.id)
        )
    )


class PairRefusal(enum.StrEnum):
    """Why a click on a pair's button does nothing."""

    NOT_FOUND = "not_found"
    NOT_A_MEMBER = "not_a_member"
    ENDED = "ended"


class PairRefused(Exception):
    """A button on a pair that this person may not use (now)."""

    def __init__(self, reason: PairRefusal) -> None:
        super().__init__(reason.value)
        self.reason = reason


def pair_for_member(
    pair_id: int, *, session: Session, team_id: str, user_id: str, must_be_active: bool = True
) -> tuple[Pair, Participant]:
    """The pair and the acting member; button values are never trusted."""
    pair = session.get(Pair, pair_id)
    if pair is None or pair.team_id != team_id:
        raise PairRefused(PairRefusal.NOT_FOUND)
    actor = next(
        (p for p in (pair.mentor, pair.mentee) if p.slack_user_id == user_id),
        None,
    )
    if actor is None:
        raise PairRefused(PairRefusal.NOT_A_MEMBER)
    if must_be_active and pair.status is not PairStatus.ACTIVE:
        raise PairRefused(PairRefusal.ENDED)
    return pair, actor


def partner_of(pair: Pair, participant_id: int) -> Participant:
    """The other member of a pair."""
    return pair.mentee if pair.mentor_id == participant_id else pair.mentor


def end_pair(pair: Pair, *, ended_by: Participant, leaving: bool = False) -> None:
    """End a pair on one member's behalf (they left the programme, or chose to end it)."""
    is_mentor = ended_by.id == pair.mentor_id
    if leaving:
        pair.end_reason = EndReason.MENTOR_LEFT if is_mentor else EndReason.MENTEE_LEFT
    else:
        pair.end_reason = EndReason.ENDED_BY_MENTOR if is_mentor else EndReason.ENDED_BY_MENTEE
    pair.status, pair.ended_at = PairStatus.ENDED, utcnow()


def request_repair(pair: Pair, actor: Participant, *, session: Session) -> bool:
    """Record a confidential "this pair doesn't fit"; False if this person already asked."""
    insert = dialect_insert(session)
    new_id = session.execute(
        insert(RepairRequest)
        .values(pair_id=pair.id, requested_by=actor.id, created_at=utcnow())
        .on_conflict_do_nothing(index_elements=["pair_id", "requested_by"])
        .returning(RepairRequest.id)
    ).scalar()
    return new_id is not None


def set_schedule(
    pair: Pair,
    *,
    weekday: int,
    local_time: dt.time,
    cadence: Cadence,
    timezone: str | None,
    now: dt.datetime | None = None,
) -> None:
    """Store the jour-fixe rhythm; the first meeting is the next such weekday and time."""
    pair.weekday, pair.local_time, pair.cadence = weekday, local_time, cadence
    pair.timezone = timezone or pair.timezone
    zone = zone_of(pair.timezone)
    local_now = (now or utcnow()).astimezone(zone)
    days = (weekday - local_now.weekday()) % 7
    first = local_now.date() + dt.timedelta(days=days)
    if days == 0 and local_now.time() >= local_time:
        first += dt.timedelta(weeks=1)
    pair.first_meeting = first


def next_meeting(pair: Pair, now: dt.datetime | None = None) -> dt.datetime | None:
    """The next jour fixe as an aware local datetime, or None before one is scheduled."""
    if pair.first_meeting is None or pair.local_time is None:
        return None
    zone = zone_of(pair.timezone)
    now = (now or utcnow()).astimezone(zone)
    step = dt.timedelta(weeks=CADENCE_WEEKS[pair.cadence])
    day = pair.first_meeting
    while dt.datetime.combine(day, pair.local_time, zone) < now:
        day += step
    return dt.datetime.combine(day, pair.local_time, zone)


def forget_participant(person: Participant, *, session: Session) -> list[Participant]:
    """End the person's pairs and strip them from pairing data; returns the partners to tell.

    Pairs keep only what programme counts need: who (by opaque participant id), the role
    and day-level dates. Rounds not yet carried out lose their plan, so no list names them.
    """
    partners = []
    for pair in active_pairs(person.id, session=session):
        end_pair(pair, ended_by=person, leaving=True)
        partners.append(partner_of(pair, person.id))
    for pair in session.scalars(
        select(Pair).where((Pair.mentor_id == person.id) | (Pair.mentee_id == person.id))
    ):
        pair.timezone, pair.covered, pair.channel_id = None, [], None
        pair.weekday = pair.local_time = pair.first_meeting = None
        pair.created_at = day_start(pair.created_at)
        pair.ended_at = day_start(pair.ended_at) if pair.ended_at else None
    for round_ in session.scalars(
        select(MatchRound).where(
            MatchRound.team_id == person.team_id, MatchRound.delivered_at.is_(None)
        )
    ):
        if str(person.id) in round_.plan.get("unmatched", {}) or any(
            person.id in (p["mentor"], p["mentee"]) for p in round_.plan.get("pairs", [])
        ):
            if round_.status is RoundStatus.PREVIEW:
                round_.status = RoundStatus.STALE
            finish_round(round_, complete=True)
    session.flush()
    return partners


def day_start(moment: dt.datetime) -> dt.datetime:
    """Midnight (UTC) of the moment's day: no time of day to match against Slack messages,
    and still exact enough for the counts of a 30-day report."""
    return moment.astimezone(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def month_start(moment: dt.datetime) -> dt.datetime:
    """The first instant of the moment's month (UTC): dates coarse enough not to identify."""
    return moment.astimezone(dt.UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
