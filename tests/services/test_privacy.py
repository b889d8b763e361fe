"""People own their data: every table classified, exported, erased; free text expires."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import inspect, select

from bot.services import enrollment, feedback, jour_fixe, privacy
from bot.services.timing import Timing
from bot.store.db import Database
from bot.store.models import (
    Base,
    BlockedUser,
    JourFixe,
    MatchRound,
    PairHistory,
    Participant,
    ParticipantSkill,
    Poll,
    PollAnswer,
    RepairRequest,
    ReportAudit,
    RoundStatus,
    SkillKind,
)
from tests.helpers import make_pair

WED = dt.date(2026, 12, 2)
T = Timing()


def test_every_table_is_classified_and_every_personal_one_is_exported(db: Database) -> None:
    tables = set(inspect(db.engine).get_table_names())
    assert tables == set(privacy.TABLES), "classify the new table in bot/services/privacy.py"
    assert set(Base.metadata.tables) | {"alembic_version"} == tables
    make_pair(db, first_meeting=WED)
    with db.sessions() as s:
        anna = s.scalar(select(Participant).where(Participant.slack_user_id == "UANNA"))
        assert anna is not None
        exported = privacy.export(anna, session=s)
    personal = {name for name, (kind, _) in privacy.TABLES.items() if kind == "personal"}
    assert personal <= set(exported)


def test_the_export_holds_every_personal_table_filled_for_the_person(db: Database) -> None:
    _anna_with_everything(db)
    with db.sessions() as s:
        anna = s.scalar(select(Participant).where(Participant.slack_user_id == "UANNA"))
        assert anna is not None
        exported = privacy.export(anna, session=s)
    personal = {name for name, (kind, _) in privacy.TABLES.items() if kind == "personal"}
    assert {name for name in personal if not exported[name]} == set()
    assert exported["match_round"][0]["you_as_hr"] == ["requested", "decided"]


def _anna_with_everything(db: Database) -> tuple[int, int]:
    pair_id = make_pair(db, first_meeting=WED)
    now = dt.datetime(2026, 12, 2, 15, tzinfo=dt.UTC)
    with db.sessions.begin() as s:
        anna = s.scalar(select(Participant).where(Participant.slack_user_id == "UANNA"))
        assert anna is not None
        anna.dm_channel_id = "DANNA0001"
        jf = JourFixe(
            pair_id=pair_id,
            occurrence=WED,
            planned_at=dt.datetime(2026, 12, 2, 14, tzinfo=dt.UTC),
        )
        s.add(jf)
        s.flush()
        jour_fixe.mark_met(jf, anna, session=s, now=now, timing=T)
        for poll in s.scalars(select(Poll)):
            mine = poll.participant_id == anna.id
            feedback.record_rating(poll, 4, session=s, now=now)
            note = "secret-prompting-trick" if mine else "partner-note"
            feedback.save_thought(poll, feedback.Thought(learned=note), session=s, now=now)
        s.add(BlockedUser(participant_id=anna.id, blocked_user_id="UCARLA"))
        s.add(
            ParticipantSkill(
                participant_id=anna.id, skill_key="social_media", kind=SkillKind.OFFERED, level=4
            )
        )
        bernd = s.scalar(select(Participant.id).where(Participant.slack_user_id == "UBERND"))
        s.add(PairHistory(mentor_id=anna.id, mentee_id=bernd))
        s.add(RepairRequest(pair_id=pair_id, requested_by=anna.id))
        s.add(
            ReportAudit(
                team_id="T0001",
                requested_by="UANNA",
                period="30d",
                outcome="refused",
                requested_at=dt.datetime(2026, 3, 15, 9, tzinfo=dt.UTC),
            )
        )
        # Anna is an HR admin too: she asked for a matching round and applied it.
        s.add(
            MatchRound(
                team_id="T0001",
                requested_by="UANNA",
                decided_by="UANNA",
                status=RoundStatus.APPLIED,
                pool_fingerprint="f" * 64,
                plan={"pairs": [], "unmatched": {}},
                solver="scipy",
                delivered_at=now,
            )
        )
        # Dora (this workspace) and Emil (another workspace of the same Grid, where Anna's
        # user id is also a member) do not want to be paired with Anna.
        for team, user in (("T0001", "UDORA"), ("T0002", "UEMIL")):
            other = Participant(team_id=team, slack_user_id=user, role="mentee")
            s.add(other)
            s.flush()
            s.add(BlockedUser(participant_id=other.id, blocked_user_id="UANNA"))
        return anna.id, pair_id


def test_the_export_holds_the_persons_own_answers_and_nothing_about_the_partner(
    db: Database,
) -> None:
    _anna_with_everything(db)
    with db.sessions() as s:
        anna = s.scalar(select(Participant).where(Participant.slack_user_id == "UANNA"))
        assert anna is not None
        data = privacy.export(anna, session=s)
    assert [a["learned"] for a in data["poll_answer"]] == ["secret-prompting-trick"]
    assert "partner-note" not in str(data)
    (meeting,) = data["jour_fixe"]
    assert meeting["you_replied"] is True
    assert "mentee_replied" not in meeting and "mentor_replied" not in meeting
    assert data["pair"][0]["partner"] == "UBERND"
    assert data["blocked_user"] == ["UCARLA"]
    assert data["report_audit"][0]["outcome"] == "refused"


def test_erasing_a_person_leaves_no_row_that_references_them(db: Database) -> None:
    anna_id, _ = _anna_with_everything(db)
    with db.sessions.begin() as s:
        assert enrollment.leave(session=s, team_id="T0001", user_id="UANNA")
        emil = s.scalar(select(Participant.id).where(Participant.slack_user_id == "UEMIL"))
    needles = ("UANNA", "DANNA0001", "secret-prompting-trick", "UCARLA")
    found = []
    with db.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            for row in conn.execute(select(table)).mappings():
                for column, value in row.items():
                    # Emil's list in the other workspace is his, about another programme.
                    emils = table.name == "blocked_user" and row["participant_id"] == emil
                    if any(n in str(value) for n in needles) and not emils:
                        found.append((table.name, column))
                    # Rows about the person (not the pair both partners share) are gone.
                    if column in ("participant_id", "requested_by") and value == anna_id:
                        found.append((table.name, column))
                    if table.name == "pair_history" and anna_id in row.values():
                        found.append((table.name, column))
    assert found == []
    with db.sessions() as s:
        # The partner's own rating and thought stay; only Anna's poll went.
        (answer,) = s.scalars(select(PollAnswer))
        assert answer.rating == 4
        left = s.get(Participant, anna_id)
        assert left is not None and left.slack_user_id.startswith("left-")
        audit = s.scalar(select(ReportAudit))
        assert audit is not None and audit.requested_by == left.slack_user_id
        # Month-level only, and the month of the request (not of the leave).
        assert (audit.requested_at.month, audit.requested_at.day) == (3, 1)
        (emils,) = s.scalars(select(BlockedUser))
        assert emils.blocked_user_id == "UANNA"
        # Anna marked the jour fixe at 15:00; only its day stays.
        (meeting,) = s.scalars(select(JourFixe))
        assert meeting.decided_at == dt.datetime(2026, 12, 2, tzinfo=dt.UTC)


def test_free_text_expires_after_retention_and_ratings_stay(db: Database) -> None:
    _anna_with_everything(db)
    # The jour fixe was in December 2026; the month ends on 31 December.
    with db.sessions.begin() as s:
        early = privacy.purge_old_feedback_text(
            session=s, now=dt.datetime(2027, 6, 28, tzinfo=dt.UTC), retention_days=180
        )
    assert early == 0
    with db.sessions.begin() as s:
        late = privacy.purge_old_feedback_text(
            session=s, now=dt.datetime(2027, 7, 2, tzinfo=dt.UTC), retention_days=180
        )
    assert late == 2
    with db.sessions() as s:
        answers = s.scalars(select(PollAnswer).order_by(PollAnswer.poll_id)).all()
        assert [(a.rating, a.learned) for a in answers] == [(4, None), (4, None)]


def test_a_retention_of_less_than_a_day_is_refused_not_a_purge_of_everything(
    db: Database,
) -> None:
    _anna_with_everything(db)
    with db.sessions.begin() as s, pytest.raises(ValueError, match="at least 1"):
        privacy.purge_old_feedback_text(session=s, now=dt.datetime.now(dt.UTC), retention_days=-40)
    with db.sessions() as s:
        assert s.scalars(select(PollAnswer.learned)).all().count(None) == 0
