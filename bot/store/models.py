"""SQLAlchemy 2 typed models. The schema itself is made only by Alembic migrations."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    Time,
    TypeDecorator,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.sql.schema import SchemaItem

# Stable constraint names so that migrations can refer to them on every backend.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

DEPARTMENT_MAX = 80
ABOUT_MAX = 300
SKILL_LEVELS = (1, 2, 3, 4, 5)


def utcnow() -> dt.datetime:
    """The current instant, timezone-aware in UTC."""
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Aware UTC datetimes on every backend; SQLite would otherwise hand back naive ones."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        """Refuse naive datetimes; store UTC."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: store timezone-aware UTC only")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(
        self, value: dt.datetime | None, dialect: Dialect
    ) -> dt.datetime | None:
        """Return aware UTC."""
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


class Base(DeclarativeBase):
    """Declarative base with the naming convention."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Role(enum.StrEnum):
    """Mentors share digital skills; mentees learn them."""

    MENTOR = "mentor"
    MENTEE = "mentee"


class Status(enum.StrEnum):
    """Whether a participant is in the matching pool."""

    ACTIVE = "active"
    PAUSED = "paused"
    LEFT = "left"
    # Slack reported the account disabled or gone; out of the pool until they act again.
    INACTIVE = "inactive"


class Cadence(enum.StrEnum):
    """How often a pair meets for its jour fixe."""

    WEEKLY = "weekly"
    BIWEEKLY = "biweekly"
    MONTHLY = "monthly"


class TimeWindow(enum.StrEnum):
    """Preferred part of the working day for the jour fixe (local time)."""

    MORNING = "morning"
    MIDDAY = "midday"
    AFTERNOON = "afternoon"
    ANY = "any"


class SkillKind(enum.StrEnum):
    """Whether a participant offers (teaches) or wants (learns) a skill."""

    OFFERED = "offered"
    WANTED = "wanted"


def _enum(cls: type[enum.StrEnum], name: str) -> Enum:
    # VARCHAR + CHECK rather than a native PostgreSQL ENUM: adding a value later
    # is then an ordinary migration on both backends.
    return Enum(
        cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=16,
        values_callable=lambda e: [m.value for m in e],
    )


class Participant(Base):
    """A person enrolled in the programme, identified by Slack team and user id."""

    __tablename__ = "participant"
    __table_args__ = (
        UniqueConstraint("team_id", "slack_user_id"),
        CheckConstraint(
            "(status = 'paused') OR (paused_until IS NULL)", name="paused_until_only_when_paused"
        ),
        CheckConstraint("preferred_weekday BETWEEN 0 AND 4", name="weekday_is_workday"),
        CheckConstraint("mentor_capacity BETWEEN 1 AND 3", name="mentor_capacity_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32))
    # Replaced by an opaque token when the person leaves, so nothing links back to them.
    slack_user_id: Mapped[str] = mapped_column(String(40))
    role: Mapped[Role] = mapped_column(_enum(Role, "role"))
    department: Mapped[str | None] = mapped_column(String(DEPARTMENT_MAX))
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    timezone: Mapped[str | None] = mapped_column(String(64))
    locale: Mapped[str | None] = mapped_column(String(16))
    about: Mapped[str | None] = mapped_column(String(ABOUT_MAX))
    cadence: Mapped[Cadence] = mapped_column(_enum(Cadence, "cadence"), default=Cadence.BIWEEKLY)
    preferred_weekday: Mapped[int | None] = mapped_column(SmallInteger)
    time_window: Mapped[TimeWindow] = mapped_column(
        _enum(TimeWindow, "time_window"), default=TimeWindow.ANY
    )
    # How many mentees a mentor takes on at once.
    mentor_capacity: Mapped[int] = mapped_column(SmallInteger, default=1, server_default="1")
    status: Mapped[Status] = mapped_column(_enum(Status, "status"), default=Status.ACTIVE)
    paused_until: Mapped[dt.date | None] = mapped_column(Date)
    consent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[dt.datetime] = mapped_column(
        UTCDateTime(), default=utcnow, server_default=func.now()
    )
    updated_at: Mapped[dt.datetime] = mapped_column(
        UTCDateTime(), default=utcnow, server_default=func.now()
    )
    left_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # The bot's DM channel with the person, cached: conversations.open is Tier 3.
    dm_channel_id: Mapped[str | None] = mapped_column(String(40))

    skills: Mapped[list[ParticipantSkill]] = relationship(
        back_populates="participant",
        cascade="all, delete-orphan",
        order_by="ParticipantSkill.skill_key",
        lazy="selectin",
    )

    def skill_levels(self, kind: SkillKind) -> dict[str, int]:
        """Skill key -> self-rated level for one direction."""
        return {s.skill_key: s.level for s in self.skills if s.kind == kind}


class Skill(Base):
    """A digital skill in the catalog; rows are synced from the shipped and configured TOML."""

    __tablename__ = "skill"

    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    category: Mapped[str] = mapped_column(String(40))
    position: Mapped[int] = mapped_column(SmallInteger, default=0)
    # A skill removed from configuration is retired, not deleted, so profiles keep their rows.
    active: Mapped[bool] = mapped_column(default=True)

    labels: Mapped[list[SkillLabel]] = relationship(
        back_populates="skill", cascade="all, delete-orphan", lazy="selectin"
    )

    def label(self, language: str, fallback: str = "en") -> str:
        """The label in `language`, else the fallback language, else the key."""
        by_lang = {lbl.language: lbl.label for lbl in self.labels}
        return by_lang.get(language) or by_lang.get(fallback) or self.key


class SkillLabel(Base):
    """A skill's display label in one language."""

    __tablename__ = "skill_label"

    skill_key: Mapped[str] = mapped_column(
        ForeignKey("skill.key", ondelete="CASCADE"), primary_key=True
    )
    language: Mapped[str] = mapped_column(String(8), primary_key=True)
    label: Mapped[str] = mapped_column(String(75))

    skill: Mapped[Skill] = relationship(back_populates="labels")


class ParticipantSkill(Base):
    """A skill a participant offers or wants, with a self-rated level from 1 to 5."""

    __tablename__ = "participant_skill"
    __table_args__ = (
        CheckConstraint("level BETWEEN 1 AND 5", name="level_range"),
        Index("ix_participant_skill_skill_kind", "skill_key", "kind"),
    )

    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participant.id", ondelete="CASCADE"), primary_key=True
    )
    skill_key: Mapped[str] = mapped_column(ForeignKey("skill.key"), primary_key=True)
    kind: Mapped[SkillKind] = mapped_column(_enum(SkillKind, "skill_kind"), primary_key=True)
    level: Mapped[int] = mapped_column(SmallInteger)

    participant: Mapped[Participant] = relationship(back_populates="skills")


class ProcessedEvent(Base):
    """Slack event ids already handled; Slack retries events and Bolt does not dedupe them."""

    __tablename__ = "processed_event"

    event_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class PairStatus(enum.StrEnum):
    """Whether a pair still meets."""

    ACTIVE = "active"
    ENDED = "ended"


class EndReason(enum.StrEnum):
    """Why a pair ended."""

    ENDED_BY_MENTOR = "ended_by_mentor"
    ENDED_BY_MENTEE = "ended_by_mentee"
    MENTOR_LEFT = "mentor_left"
    MENTEE_LEFT = "mentee_left"
    UNREACHABLE = "unreachable"


class RoundStatus(enum.StrEnum):
    """The life of a matching round: previewed, then applied or dropped."""

    PREVIEW = "preview"
    APPLIED = "applied"
    CANCELLED = "cancelled"
    STALE = "stale"


class MatchRound(Base):
    """One matching run over a workspace's pool: its plan, figures and outcome."""

    __tablename__ = "match_round"
    __table_args__ = (
        # One round at a time per workspace is being carried out: a second concurrent
        # claim fails here instead of pairing the same pool twice.
        Index(
            "uq_match_round_undelivered",
            "team_id",
            unique=True,
            sqlite_where=text("status = 'applied' AND delivered_at IS NULL"),
            postgresql_where=text("status = 'applied' AND delivered_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32))
    # The Slack id of the HR admin who asked, or "cli" / "scheduler".
    requested_by: Mapped[str] = mapped_column(String(40))
    status: Mapped[RoundStatus] = mapped_column(
        _enum(RoundStatus, "round_status"), default=RoundStatus.PREVIEW
    )
    # Hash of the pool when previewed; a different hash at apply time makes the preview stale.
    pool_fingerprint: Mapped[str] = mapped_column(String(64))
    # The planned pairs and the unmatched with reasons, by participant id (no names).
    plan: Mapped[dict[str, Any]] = mapped_column(JSON)
    solver: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    decided_by: Mapped[str | None] = mapped_column(String(40))
    # Whoever carries the round out holds it until then; a crashed delivery can be resumed.
    lease_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    delivered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class Pair(Base):
    """A mentor and a mentee who meet for jour fixes."""

    __tablename__ = "pair"
    __table_args__ = (
        # A mentee has at most one active pair; mentors may have up to their capacity.
        Index(
            "uq_pair_active_mentee",
            "mentee_id",
            unique=True,
            sqlite_where=text("status = 'active'"),
            postgresql_where=text("status = 'active'"),
        ),
        CheckConstraint("mentor_id <> mentee_id", name="two_people"),
        CheckConstraint("weekday BETWEEN 0 AND 4", name="weekday_is_workday"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32))
    round_id: Mapped[int | None] = mapped_column(ForeignKey("match_round.id", ondelete="SET NULL"))
    mentor_id: Mapped[int] = mapped_column(ForeignKey("participant.id", ondelete="CASCADE"))
    mentee_id: Mapped[int] = mapped_column(ForeignKey("participant.id", ondelete="CASCADE"))
    status: Mapped[PairStatus] = mapped_column(
        _enum(PairStatus, "pair_status"), default=PairStatus.ACTIVE
    )
    end_reason: Mapped[EndReason | None] = mapped_column(_enum(EndReason, "end_reason"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # The pair's group DM and the language the bot speaks there.
    channel_id: Mapped[str | None] = mapped_column(String(40))
    language: Mapped[str] = mapped_column(String(8), default="en")
    score: Mapped[float] = mapped_column(default=0.0)
    covered: Mapped[list[str]] = mapped_column(JSON, default=list)
    # The jour-fixe schedule, set from the intro's modal.
    cadence: Mapped[Cadence] = mapped_column(
        _enum(Cadence, "pair_cadence"), default=Cadence.BIWEEKLY
    )
    weekday: Mapped[int | None] = mapped_column(SmallInteger)
    local_time: Mapped[dt.time | None] = mapped_column(Time)
    timezone: Mapped[str | None] = mapped_column(String(64))
    first_meeting: Mapped[dt.date | None] = mapped_column(Date)

    mentor: Mapped[Participant] = relationship(foreign_keys=[mentor_id], lazy="joined")
    mentee: Mapped[Participant] = relationship(foreign_keys=[mentee_id], lazy="joined")


class PairHistory(Base):
    """Every mentor-mentee combination ever paired, so that no pair repeats."""

    __tablename__ = "pair_history"

    mentor_id: Mapped[int] = mapped_column(
        ForeignKey("participant.id", ondelete="CASCADE"), primary_key=True
    )
    mentee_id: Mapped[int] = mapped_column(
        ForeignKey("participant.id", ondelete="CASCADE"), primary_key=True
    )
    first_paired_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class BlockedUser(Base):
    """A person's private "don't pair me with" list, by Slack user id."""

    __tablename__ = "blocked_user"

    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participant.id", ondelete="CASCADE"), primary_key=True
    )
    blocked_user_id: Mapped[str] = mapped_column(String(40), primary_key=True)


class RepairRequest(Base):
    """A confidential "this pair doesn't fit": only HR sees it, never the partner."""

    __tablename__ = "repair_request"
    __table_args__ = (UniqueConstraint("pair_id", "requested_by"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pair_id: Mapped[int] = mapped_column(ForeignKey("pair.id", ondelete="CASCADE"))
    requested_by: Mapped[int] = mapped_column(ForeignKey("participant.id", ondelete="CASCADE"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class MeetingStatus(enum.StrEnum):
    """What became of one planned jour fixe."""

    PLANNED = "planned"
    MET = "met"
    SKIPPED = "skipped"
    MISSED = "missed"
    MOVED = "moved"


class JourFixe(Base):
    """One occurrence of a pair's jour fixe: planned from the pair's rhythm, then answered."""

    __tablename__ = "jour_fixe"
    __table_args__ = (
        # The natural key: planning the same occurrence twice, in any process, adds nothing.
        UniqueConstraint("pair_id", "occurrence"),
        Index("ix_jour_fixe_status_planned_at", "status", "planned_at"),
        # The planner asks for the occurrences from a date on, across all pairs.
        Index("ix_jour_fixe_occurrence", "occurrence"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    pair_id: Mapped[int] = mapped_column(ForeignKey("pair.id", ondelete="CASCADE"))
    # The local date of the regular slot (in the pair's zone); stays the key when moved.
    occurrence: Mapped[dt.date] = mapped_column(Date)
    planned_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    # Set when the pair moved this one occurrence ("Move it" or "Moved").
    moved_to: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    status: Mapped[MeetingStatus] = mapped_column(
        _enum(MeetingStatus, "meeting_status"), default=MeetingStatus.PLANNED
    )
    # Whether each member reacted to anything about this occurrence (ghosting detection).
    mentor_replied: Mapped[bool] = mapped_column(default=False, server_default=text("false"))
    mentee_replied: Mapped[bool] = mapped_column(default=False, server_default=text("false"))
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    pair: Mapped[Pair] = relationship(lazy="joined")

    @property
    def effective_at(self) -> dt.datetime:
        """When the jour fixe takes place: the moved time if it was moved."""
        return self.moved_to or self.planned_at


class OutboxKind(enum.StrEnum):
    """What an outbox row sends."""

    NUDGE = "nudge"
    CHECKIN = "checkin"
    POLL = "poll"
    NOTICE = "notice"
    GHOST = "ghost"


class OutboxStatus(enum.StrEnum):
    """The life of an outbox row: pending, claimed, and one final state."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    MISSED = "missed"
    CANCELLED = "cancelled"
    FAILED = "failed"


# The rows still to send. The claim repeats this very text in its WHERE clause: SQLite uses
# a partial index only when the query contains the index's condition as written.
OPEN_OUTBOX_ROWS = text("status IN ('pending', 'sending')")


class Outbox(Base):
    """One DM to send at a due time; planned once, claimed with a lease, sent at most once."""

    __tablename__ = "outbox"
    __table_args__ = (
        UniqueConstraint("kind", "subject_id", "occurrence_key"),
        # Only the claim reads it, for open rows: a row sent adds no entry here.
        Index(
            "ix_outbox_open_due_at",
            "status",
            "due_at",
            postgresql_where=OPEN_OUTBOX_ROWS,
            sqlite_where=OPEN_OUTBOX_ROWS,
        ),
        Index("ix_outbox_participant_id_sent_at", "participant_id", "sent_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32))
    kind: Mapped[OutboxKind] = mapped_column(_enum(OutboxKind, "outbox_kind"))
    # The jour fixe, poll or participant the message is about (by kind).
    subject_id: Mapped[int] = mapped_column()
    # Unique per subject: the recipient and, where it matters, what happened.
    occurrence_key: Mapped[str] = mapped_column(String(64))
    participant_id: Mapped[int] = mapped_column(ForeignKey("participant.id", ondelete="CASCADE"))
    due_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    # Past this instant the message is stale and becomes `missed` instead of being sent.
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    status: Mapped[OutboxStatus] = mapped_column(
        _enum(OutboxStatus, "outbox_status"), default=OutboxStatus.PENDING
    )
    # Asked for by the recipient's own click: outside the weekly DM budget.
    solicited: Mapped[bool] = mapped_column(default=False, server_default=text("false"))
    # Small extra facts for the message (for notices: which one, and who acted).
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    attempts: Mapped[int] = mapped_column(SmallInteger, default=0, server_default="0")
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # A Slack error code or our reason (budget, paused, ended); never message text.
    last_error: Mapped[str | None] = mapped_column(String(64))
    channel_id: Mapped[str | None] = mapped_column(String(40))
    message_ts: Mapped[str | None] = mapped_column(String(32))
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Poll(Base):
    """One person's private feedback poll about one jour fixe."""

    __tablename__ = "poll"
    __table_args__ = (
        UniqueConstraint("jour_fixe_id", "participant_id"),
        # Reports read a workspace's polls of a period straight from this index.
        Index(
            "ix_poll_team_id_occurrence",
            "team_id",
            "occurrence",
            postgresql_include=["id", "participant_id", "answer_rating", "answer_texts"],
        ),
        # The few polls with free text: the comment sample of a report.
        Index(
            "ix_poll_with_text",
            "team_id",
            "occurrence",
            postgresql_include=["id", "answer_texts"],
            postgresql_where=text("answer_texts <> 0"),
            sqlite_where=text("answer_texts <> 0"),
        ),
        # A person's polls: whether they rated in a period (reports), export and erasure.
        Index(
            "ix_poll_participant_id_occurrence",
            "participant_id",
            "occurrence",
            postgresql_include=["answer_rating"],
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    jour_fixe_id: Mapped[int] = mapped_column(ForeignKey("jour_fixe.id", ondelete="CASCADE"))
    participant_id: Mapped[int] = mapped_column(ForeignKey("participant.id", ondelete="CASCADE"))
    # Copies of the jour fixe's workspace and date (both fixed for good), for reports.
    team_id: Mapped[str] = mapped_column(String(32))
    occurrence: Mapped[dt.date] = mapped_column(Date)
    # Copies of the answer, kept by triggers on poll_answer (migration 0009), for reports:
    # its rating, and bit i set when ANSWER_TEXT_FIELDS[i] holds text. Never written here.
    answer_rating: Mapped[int | None] = mapped_column(SmallInteger)
    answer_texts: Mapped[int] = mapped_column(SmallInteger, server_default="0")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    jour_fixe: Mapped[JourFixe] = relationship(lazy="joined")
    participant: Mapped[Participant] = relationship(lazy="joined")


class PollRollup(Base):
    """Polls, ratings and comments per workspace, day, role and department (the person's
    cell as of now). Kept by triggers (migration 0010), never written here: reports add up
    a period's cells from it instead of reading every poll."""

    __tablename__ = "poll_rollup"

    team_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    role: Mapped[str] = mapped_column(String(16), primary_key=True)
    # "" for people without a department.
    department: Mapped[str] = mapped_column(String(DEPARTMENT_MAX), primary_key=True)
    polls: Mapped[int] = mapped_column(Integer, server_default="0")
    # Answers rated 1..5.
    r1: Mapped[int] = mapped_column(Integer, server_default="0")
    r2: Mapped[int] = mapped_column(Integer, server_default="0")
    r3: Mapped[int] = mapped_column(Integer, server_default="0")
    r4: Mapped[int] = mapped_column(Integer, server_default="0")
    r5: Mapped[int] = mapped_column(Integer, server_default="0")
    # Answers with text in ANSWER_TEXT_FIELDS[0..4].
    t1: Mapped[int] = mapped_column(Integer, server_default="0")
    t2: Mapped[int] = mapped_column(Integer, server_default="0")
    t3: Mapped[int] = mapped_column(Integer, server_default="0")
    t4: Mapped[int] = mapped_column(Integer, server_default="0")
    t5: Mapped[int] = mapped_column(Integer, server_default="0")


FEEDBACK_TEXT_MAX = 500
# The free-text fields of an answer, in the bit order of Poll.answer_texts.
ANSWER_TEXT_FIELDS = ("learned", "try_next", "keep", "stop", "start")


class PollAnswer(Base):
    """The one answer per poll (and so per person): a rating and optional agile feedback."""

    __tablename__ = "poll_answer"
    __table_args__ = (CheckConstraint("rating BETWEEN 1 AND 5", name="rating_range"),)

    poll_id: Mapped[int] = mapped_column(
        ForeignKey("poll.id", ondelete="CASCADE"), primary_key=True
    )
    rating: Mapped[int | None] = mapped_column(SmallInteger)
    learned: Mapped[str | None] = mapped_column(String(FEEDBACK_TEXT_MAX))
    try_next: Mapped[str | None] = mapped_column(String(FEEDBACK_TEXT_MAX))
    keep: Mapped[str | None] = mapped_column(String(FEEDBACK_TEXT_MAX))
    stop: Mapped[str | None] = mapped_column(String(FEEDBACK_TEXT_MAX))
    start: Mapped[str | None] = mapped_column(String(FEEDBACK_TEXT_MAX))
    answered_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ReportAudit(Base):
    """Who asked for an HR report, when and for which period; refusals included."""

    __tablename__ = "report_audit"
    __table_args__ = (Index("ix_report_audit_team_id_requested_at", "team_id", "requested_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32))
    # The Slack user id of whoever asked (pseudonymised if that person leaves the programme).
    requested_by: Mapped[str] = mapped_column(String(40))
    requested_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # The period as typed (cut to 32 characters), and what the bot did about it.
    period: Mapped[str] = mapped_column(String(32))
    csv: Mapped[bool] = mapped_column(default=False, server_default=text("false"))
    outcome: Mapped[str] = mapped_column(String(16))


# --------------------------------------------------------------------------- OAuth (optional)
# The tables of slack_sdk's SQLAlchemy installation and state stores, with the same names and
# columns, made by our migrations. Token columns are wider: they hold ciphertext
# (bot/store/installations.py encrypts every token before it is stored).
_TOKEN = 512


def _slack_installations(name: str, *, installer: bool) -> Table:
    columns: list[SchemaItem] = [
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("client_id", String(32), nullable=False),
        Column("app_id", String(32), nullable=False),
        Column("enterprise_id", String(32)),
        Column("enterprise_name", String(200)),
        *([Column("enterprise_url", String(200))] if installer else []),
        Column("team_id", String(32)),
        Column("team_name", String(200)),
        Column("bot_token", String(_TOKEN)),
        Column("bot_id", String(32)),
        Column("bot_user_id", String(32)),
        Column("bot_scopes", String(1000)),
        Column("bot_refresh_token", String(_TOKEN)),
        Column("bot_token_expires_at", DateTime),
    ]
    if installer:
        columns += [
            Column("user_id", String(32), nullable=False),
            Column("user_token", String(_TOKEN)),
            Column("user_scopes", String(1000)),
            Column("user_refresh_token", String(_TOKEN)),
            Column("user_token_expires_at", DateTime),
            Column("incoming_webhook_url", String(200)),
            Column("incoming_webhook_channel", String(200)),
            Column("incoming_webhook_channel_id", String(200)),
            Column("incoming_webhook_configuration_url", String(200)),
        ]
    columns += [
        Column("is_enterprise_install", Boolean, default=False, nullable=False),
        *([Column("token_type", String(32))] if installer else []),
        Column("installed_at", DateTime, nullable=False, default=func.now()),
    ]
    keys = ["client_id", "enterprise_id", "team_id", *(["user_id"] if installer else [])]
    return Table(name, Base.metadata, *columns, Index(f"{name}_idx", *keys, "installed_at"))


slack_installations = _slack_installations("slack_installations", installer=True)
slack_bots = _slack_installations("slack_bots", installer=False)
slack_oauth_states = Table(
    "slack_oauth_states",
    Base.metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("state", String(200), nullable=False),
    Column("expire_at", DateTime, nullable=False),
)


class Workspace(Base):
    """Which Enterprise Grid organisation a workspace belongs to (OAuth only): an
    organisation-wide installation is stored under the organisation, while programme data
    and outbox rows name the workspace."""

    __tablename__ = "workspace"

    team_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    enterprise_id: Mapped[str] = mapped_column(String(32))
