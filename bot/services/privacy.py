"""People own their data: what we store about whom, the export, erasure and retention.

`TABLES` classifies every table. A test fails when a table is added without a line here,
so nobody can store personal data that the export or the erasure does not know about.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any, Literal

from sqlalchemy import delete, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from bot.services.pairing import day_start, month_start
from bot.store.models import (
    ANSWER_TEXT_FIELDS,
    BlockedUser,
    JourFixe,
    MatchRound,
    Outbox,
    Pair,
    PairHistory,
    Participant,
    Poll,
    PollAnswer,
    PollRollup,
    RepairRequest,
    ReportAudit,
)

Kind = Literal["personal", "aggregate", "reference", "technical", "installation"]

# personal: rows about a person (exported, erased); aggregate: sums over people, with no
# person's id (an erased person's share stays in them); reference: the skill catalog;
# technical: bookkeeping without anything about a person; installation: the app's
# installation in a workspace (only with OAuth), kept while the app is installed and deleted
# when the workspace uninstalls it or revokes its tokens.
TABLES: dict[str, tuple[Kind, str]] = {
    "participant": ("personal", "profile: role, department, languages, zone, schedule wishes"),
    "participant_skill": ("personal", "skills offered or wanted, with self-rated levels"),
    "blocked_user": ("personal", "the person's private do-not-pair list"),
    "pair": ("personal", "mentor and mentee, schedule, status"),
    "pair_history": ("personal", "who was ever paired with whom"),
    "repair_request": ("personal", "confidential 'this pair does not fit'"),
    "match_round": ("personal", "matching plans that name participants by id"),
    "jour_fixe": ("personal", "a pair's meetings and whether each member replied"),
    "outbox": ("personal", "messages planned for or sent to the person"),
    "poll": ("personal", "the person's feedback polls"),
    "poll_answer": ("personal", "ratings and free-text feedback"),
    "report_audit": ("personal", "who asked for an HR report, when"),
    "poll_rollup": (
        "aggregate",
        "poll, rating and comment counts per role, department and day; no person's id; kept"
        " by triggers; an erased person's polls and ratings stay in the sums, their comments not",
    ),
    "skill": ("reference", "the skill catalog"),
    "skill_label": ("reference", "skill names per language"),
    "processed_event": ("technical", "Slack event ids already handled"),
    "alembic_version": ("technical", "the schema version"),
    "slack_installations": (
        "installation",
        "encrypted tokens of a workspace, and the Slack id of the admin who installed the app",
    ),
    "slack_bots": ("installation", "encrypted bot token of a workspace"),
    "slack_oauth_states": ("technical", "one-time OAuth states, valid for ten minutes"),
    "workspace": ("technical", "which Enterprise Grid organisation a workspace belongs to"),
}


def _iso(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if hasattr(value, "value"):  # enums
        return value.value
    return value


def _row(obj: Any, *skip: str) -> dict[str, Any]:
    return {
        column.key: _iso(getattr(obj, column.key))
        for column in obj.__table__.columns
        if column.key not in skip
    }


def export(participant: Participant, *, session: Session) -> dict[str, Any]:
    """Everything stored about one person, as JSON-ready data, one key per personal table."""
    pid = participant.id
    pairs = list(
        session.scalars(
            select(Pair).where((Pair.mentor_id == pid) | (Pair.mentee_id == pid)).order_by(Pair.id)
        )
    )
    pair_ids = [p.id for p in pairs]

    def partner(pair: Pair) -> str:
        other = pair.mentee if pair.mentor_id == pid else pair.mentor
        return other.slack_user_id

    polls = list(session.scalars(select(Poll).where(Poll.participant_id == pid).order_by(Poll.id)))
    answers = {
        a.poll_id: a
        for a in session.scalars(
            select(PollAnswer).where(PollAnswer.poll_id.in_([p.id for p in polls]))
        )
    }
    rounds = _rounds(participant.team_id, participant.slack_user_id, pid, session=session)
    return {
        "exported_at": dt.datetime.now(dt.UTC).isoformat(),
        "participant": _row(participant),
        "participant_skill": [_row(s, "participant_id") for s in participant.skills],
        "blocked_user": [
            b.blocked_user_id
            for b in session.scalars(select(BlockedUser).where(BlockedUser.participant_id == pid))
        ],
        "pair": [dict(_row(p), partner=partner(p)) for p in pairs],
        "pair_history": [
            _row(h)
            for h in session.scalars(
                select(PairHistory).where(
                    (PairHistory.mentor_id == pid) | (PairHistory.mentee_id == pid)
                )
            )
        ],
        "repair_request": [
            _row(r)
            for r in session.scalars(select(RepairRequest).where(RepairRequest.requested_by == pid))
        ],
        "match_round": rounds,
        # Whether the partner reacted is about the partner: only the person's own flag.
        "jour_fixe": [
            dict(
                _row(j, "mentor_replied", "mentee_replied"),
                you_replied=j.mentor_replied if j.pair.mentor_id == pid else j.mentee_replied,
            )
            for j in session.scalars(
                select(JourFixe)
                .where(JourFixe.pair_id.in_(pair_ids))
                .order_by(JourFixe.pair_id, JourFixe.occurrence)
            )
        ],
        "outbox": [
            _row(o, "lease_owner", "lease_until")
            for o in session.scalars(
                select(Outbox).where(Outbox.participant_id == pid).order_by(Outbox.id)
            )
        ],
        "poll": [_row(p) for p in polls],
        # Only the person's own answers: never the partner's.
        "poll_answer": [_row(answers[p.id]) for p in polls if p.id in answers],
        "report_audit": _audits(participant.team_id, participant.slack_user_id, session=session),
    }


def _rounds(
    team_id: str, user_id: str, pid: int | None, *, session: Session
) -> list[dict[str, Any]]:
    """Matching rounds that plan the person (participant `pid`), or that they asked for or
    decided on as an HR admin."""
    rounds = []
    for round_ in session.scalars(
        select(MatchRound).where(MatchRound.team_id == team_id).order_by(MatchRound.id)
    ):
        plan = round_.plan or {}
        mine = [
            p
            for p in plan.get("pairs", [])
            if pid is not None and pid in (p.get("mentor"), p.get("mentee"))
        ]
        unmatched = (plan.get("unmatched") or {}).get(str(pid)) if pid is not None else None
        roles = [
            role
            for role, who in (("requested", round_.requested_by), ("decided", round_.decided_by))
            if who == user_id
        ]
        if mine or unmatched or roles:
            rounds.append(
                {
                    "id": round_.id,
                    "created_at": _iso(round_.created_at),
                    "status": _iso(round_.status),
                    "planned_pairs": mine,
                    "unmatched_reason": unmatched,
                    "you_as_hr": roles,
                }
            )
    return rounds


def _audits(team_id: str, user_id: str, *, session: Session) -> list[dict[str, Any]]:
    """The person's report requests."""
    query = select(ReportAudit).where(
        ReportAudit.team_id == team_id, ReportAudit.requested_by == user_id
    )
    return [_row(a) for a in session.scalars(query.order_by(ReportAudit.id))]


def export_hr_traces(team_id: str, user_id: str, *, session: Session) -> dict[str, Any] | None:
    """What is stored about someone who is not a participant (an HR admin): their report
    requests and the matching rounds they ran; None if there is nothing."""
    rounds = _rounds(team_id, user_id, None, session=session)
    audits = _audits(team_id, user_id, session=session)
    if not rounds and not audits:
        return None
    return {
        "exported_at": dt.datetime.now(dt.UTC).isoformat(),
        "match_round": rounds,
        "report_audit": audits,
    }


def erase_feedback_and_traces(person: Participant, *, session: Session, opaque_id: str) -> None:
    """Delete what is only about the person; pseudonymise the audit trail of their requests.

    Their polls and answers go entirely (rating and text): a rating kept on the row of a
    pair would still point at them for anyone who knows their partner. What they gave stays
    only inside the rollup's sums per day, role and department, which name nobody: so a
    report of a past period reads the same before and after someone leaves, and comparing
    the two cannot give their ratings. (Its count of people who rated drops by one.)
    """
    pid = person.id
    gone = session.execute(
        delete(Poll)
        .where(Poll.participant_id == pid)
        .returning(Poll.team_id, Poll.occurrence, Poll.answer_rating)
    )
    # The triggers took the polls out of the sums; their anonymous share goes back in.
    _keep_in_rollup(person, gone, session=session)
    session.execute(delete(Outbox).where(Outbox.participant_id == pid))
    session.execute(delete(RepairRequest).where(RepairRequest.requested_by == pid))
    session.execute(
        delete(PairHistory).where((PairHistory.mentor_id == pid) | (PairHistory.mentee_id == pid))
    )
    session.execute(delete(BlockedUser).where(BlockedUser.participant_id == pid))
    # Other people's do-not-pair entries that name them, in this workspace only: on Enterprise
    # Grid one user id is a member of several workspaces, and each has its own programme.
    same_team = select(Participant.id).where(Participant.team_id == person.team_id)
    session.execute(
        delete(BlockedUser).where(
            BlockedUser.blocked_user_id == person.slack_user_id,
            BlockedUser.participant_id.in_(same_team),
        )
    )
    # The audit trail keeps each request and its month (when it was made, not when they
    # left), under the opaque id: "someone asked for a report in March" stays countable.
    for audit in session.scalars(
        select(ReportAudit).where(
            ReportAudit.team_id == person.team_id,
            ReportAudit.requested_by == person.slack_user_id,
        )
    ):
        audit.requested_by, audit.requested_at = opaque_id, month_start(audit.requested_at)
    # Matching rounds an HR admin asked for or decided on name them by Slack id.
    for column in (MatchRound.requested_by, MatchRound.decided_by):
        session.execute(
            update(MatchRound)
            .where(MatchRound.team_id == person.team_id, column == person.slack_user_id)
            .values({column.key: opaque_id})
            .execution_options(synchronize_session=False)
        )
    # When a jour fixe was marked is the moment of someone's click: the day is enough.
    both = select(Pair.id).where((Pair.mentor_id == pid) | (Pair.mentee_id == pid))
    for jf in session.scalars(
        select(JourFixe).where(JourFixe.pair_id.in_(both), JourFixe.decided_at.is_not(None))
    ):
        if jf.decided_at is not None:
            jf.decided_at = day_start(jf.decided_at)
    # Whether they answered is behaviour about them; their pairs ended with their leaving.
    own_pairs = select(Pair.id).where(Pair.mentor_id == pid)
    session.execute(
        update(JourFixe).where(JourFixe.pair_id.in_(own_pairs)).values(mentor_replied=False)
    )
    own_pairs = select(Pair.id).where(Pair.mentee_id == pid)
    session.execute(
        update(JourFixe).where(JourFixe.pair_id.in_(own_pairs)).values(mentee_replied=False)
    )


def _keep_in_rollup(person: Participant, polls: Iterable[Any], *, session: Session) -> None:
    """Add deleted polls (team, day, rating) back to the person's role and department cell:
    their number and ratings, not their texts (which are gone, and retention would no
    longer find them)."""
    cells: dict[tuple[str, dt.date], dict[str, Any]] = {}
    for team_id, day, rating in polls:
        cell = cells.setdefault(
            (team_id, day),
            {
                "team_id": team_id,
                "day": day,
                "role": str(person.role),
                "department": person.department or "",
                "polls": 0,
                **{f"r{n}": 0 for n in range(1, 6)},
            },
        )
        cell["polls"] += 1
        if rating in range(1, 6):
            cell[f"r{rating}"] += 1
    if not cells:
        return
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    upsert = insert(PollRollup).values(list(cells.values()))
    sums = ["polls", *(f"r{n}" for n in range(1, 6))]
    session.execute(
        upsert.on_conflict_do_update(
            index_elements=["team_id", "day", "role", "department"],
            set_={name: getattr(PollRollup, name) + upsert.excluded[name] for name in sums},
        )
    )


def purge_old_feedback_text(*, session: Session, now: dt.datetime, retention_days: int) -> int:
    """Delete free-text feedback `retention_days` after the end of its month; returns how many.

    The period of an answer is the calendar month of its jour fixe (the finest period a
    report shows). Ratings stay: they are numbers, reported only in aggregates.
    """
    if retention_days < 1:
        raise ValueError(f"retention_days must be at least 1, not {retention_days}")
    cutoff = (now - dt.timedelta(days=retention_days)).date()
    # A month ended more than N days ago if its last day is before the cutoff: its jour
    # fixes fall before the first day of the cutoff's month.
    before = cutoff.replace(day=1)
    old_polls = (
        select(Poll.id)
        .join(JourFixe, JourFixe.id == Poll.jour_fixe_id)
        .where(JourFixe.occurrence < before)
    )
    has_text = or_(*(getattr(PollAnswer, name).is_not(None) for name in ANSWER_TEXT_FIELDS))
    result = session.execute(
        update(PollAnswer)
        .where(PollAnswer.poll_id.in_(old_polls), has_text)
        .values(**dict.fromkeys(ANSWER_TEXT_FIELDS))
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)
