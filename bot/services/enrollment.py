"""Joining, editing, pausing, resuming and leaving the programme."""

from __future__ import annotations

import datetime as dt
import enum
import re
import secrets
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot.services import privacy
from bot.services.clock import local_today
from bot.services.pairing import day_start, forget_participant
from bot.store.models import (
    ABOUT_MAX,
    DEPARTMENT_MAX,
    SKILL_LEVELS,
    BlockedUser,
    Cadence,
    Participant,
    ParticipantSkill,
    Role,
    SkillKind,
    Status,
    TimeWindow,
    utcnow,
)
from bot.store.queries import dialect_insert

MAX_SKILLS_PER_KIND = 6
MAX_PAUSE_WEEKS = 52
MAX_LANGUAGES = 5
MAX_AVOIDED = 20
DEFAULT_LEVEL = {SkillKind.OFFERED: 4, SkillKind.WANTED: 2}
# Languages people can meet in; labels come from Babel's CLDR data in each UI language.
MEETING_LANGUAGES = ("en", "de", "fr", "es", "it", "nl", "pl", "pt", "tr", "uk")


class ProfileField(enum.StrEnum):
    """Fields of the profile form that can carry a validation error."""

    ROLE = "role"
    SKILLS_OFFERED = "skills_offered"
    SKILLS_WANTED = "skills_wanted"
    DEPARTMENT = "department"
    LANGUAGES = "languages"
    ABOUT = "about"
    CONSENT = "consent"
    AVOID = "avoid"


class ProfileProblem(enum.StrEnum):
    """Why a field was refused; the Slack layer turns these into translated sentences."""

    MISSING = "missing"
    MENTOR_NEEDS_OFFER = "mentor_needs_offer"
    MENTEE_NEEDS_WANT = "mentee_needs_want"
    TOO_MANY_SKILLS = "too_many_skills"
    UNKNOWN_SKILL = "unknown_skill"
    SAME_SKILL_BOTH_WAYS = "same_skill_both_ways"
    TOO_LONG = "too_long"
    TOO_SHORT = "too_short"
    TOO_MANY_LANGUAGES = "too_many_languages"
    CONSENT_REQUIRED = "consent_required"
    TOO_MANY_PEOPLE = "too_many_people"


@dataclass(frozen=True)
class Problem:
    """One validation problem with the values needed to explain it."""

    kind: ProfileProblem
    params: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class ProfileForm:
    """What a person submits when joining or editing their profile."""

    role: Role | None
    offered: dict[str, int]
    wanted: dict[str, int]
    department: str
    languages: tuple[str, ...]
    cadence: Cadence
    weekday: int | None
    time_window: TimeWindow
    about: str
    consent: bool
    capacity: int = 1
    # Slack user ids this person would rather not be paired with (private).
    avoid: tuple[str, ...] = ()


@dataclass(frozen=True)
class SkillsForm:
    """What a person submits when editing only their skills."""

    offered: dict[str, int]
    wanted: dict[str, int]


@dataclass(frozen=True)
class SaveResult:
    """The stored participant, and whether it was new or changed at all."""

    participant: Participant
    created: bool
    changed: bool


class NotEnrolled(LookupError):
    """The person has no active profile."""


class InvalidForm(ValueError):
    """A form with problems; nothing was saved."""

    def __init__(self, problems: dict[ProfileField, Problem]) -> None:
        super().__init__(", ".join(f"{f}: {p.kind}" for f, p in problems.items()))
        self.problems = problems


# Bidirectional overrides can make text display differently from what is stored.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _keep(ch: str) -> bool:
    # Drop control, surrogate and private-use characters, but keep format characters such
    # as the zero-width joiner that emoji like 👩‍💻 are made of.
    return ch in "\n\t" or (
        unicodedata.category(ch) not in ("Cc", "Cs", "Co") and ch not in _BIDI_CONTROLS
    )


def clean_text(value: str | None, *, multiline: bool = False) -> str:
    """Normalise user text: NFC, no control characters, tidy whitespace (keeping paragraphs)."""
    if not value:
        return ""
    value = "".join(ch for ch in unicodedata.normalize("NFC", value) if _keep(ch))
    if not multiline:
        return re.sub(r"\s+", " ", value).strip()
    lines = [re.sub(r"[^\S\n]+", " ", line).strip() for line in value.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _check_skills(
    offered: dict[str, int], wanted: dict[str, int], role: Role | None, known: set[str]
) -> dict[ProfileField, Problem]:
    problems: dict[ProfileField, Problem] = {}
    for fld, chosen in (
        (ProfileField.SKILLS_OFFERED, offered),
        (ProfileField.SKILLS_WANTED, wanted),
    ):
        unknown = sorted(set(chosen) - known)
        if unknown:
            problems[fld] = Problem(ProfileProblem.UNKNOWN_SKILL, {"skills": ", ".join(unknown)})
        elif len(chosen) > MAX_SKILLS_PER_KIND:
            problems[fld] = Problem(ProfileProblem.TOO_MANY_SKILLS, {"max": MAX_SKILLS_PER_KIND})
    if role is Role.MENTOR and not offered and ProfileField.SKILLS_OFFERED not in problems:
        problems[ProfileField.SKILLS_OFFERED] = Problem(ProfileProblem.MENTOR_NEEDS_OFFER)
    if role is Role.MENTEE and not wanted and ProfileField.SKILLS_WANTED not in problems:
        problems[ProfileField.SKILLS_WANTED] = Problem(ProfileProblem.MENTEE_NEEDS_WANT)
    both = sorted(set(offered) & set(wanted))
    if both and ProfileField.SKILLS_WANTED not in problems:
        problems[ProfileField.SKILLS_WANTED] = Problem(
            ProfileProblem.SAME_SKILL_BOTH_WAYS, {"skills": ", ".join(both)}
        )
    return problems


def validate_profile(form: ProfileForm, known_skills: set[str]) -> dict[ProfileField, Problem]:
    """Every problem with a profile form, by field; empty when it can be saved."""
    problems: dict[ProfileField, Problem] = {}
    if form.role is None:
        problems[ProfileField.ROLE] = Problem(ProfileProblem.MISSING)
    problems.update(_check_skills(form.offered, form.wanted, form.role, known_skills))
    department = clean_text(form.department)
    if len(department) > DEPARTMENT_MAX:
        problems[ProfileField.DEPARTMENT] = Problem(
            ProfileProblem.TOO_LONG, {"max": DEPARTMENT_MAX}
        )
    elif len(department) < 2:
        problems[ProfileField.DEPARTMENT] = Problem(ProfileProblem.TOO_SHORT, {"min": 2})
    if not form.languages:
        problems[ProfileField.LANGUAGES] = Problem(ProfileProblem.MISSING)
    elif len(form.languages) > MAX_LANGUAGES:
        problems[ProfileField.LANGUAGES] = Problem(
            ProfileProblem.TOO_MANY_LANGUAGES, {"max": MAX_LANGUAGES}
        )
    if len(clean_text(form.about, multiline=True)) > ABOUT_MAX:
        problems[ProfileField.ABOUT] = Problem(ProfileProblem.TOO_LONG, {"max": ABOUT_MAX})
    if not form.consent:
        problems[ProfileField.CONSENT] = Problem(ProfileProblem.CONSENT_REQUIRED)
    if len(form.avoid) > MAX_AVOIDED:
        problems[ProfileField.AVOID] = Problem(ProfileProblem.TOO_MANY_PEOPLE, {"max": MAX_AVOIDED})
    return problems


def validate_skills(
    form: SkillsForm, role: Role, known_skills: set[str]
) -> dict[ProfileField, Problem]:
    """Every problem with a skills-only form, by field."""
    return _check_skills(form.offered, form.wanted, role, known_skills)


def find_participant(team_id: str, user_id: str, *, session: Session) -> Participant | None:
    """The person's profile if they are enrolled (active or paused), else None."""
    participant = session.scalar(
        select(Participant).where(
            Participant.team_id == team_id,
            Participant.slack_user_id == user_id,
            Participant.status != Status.LEFT,
        )
    )
    if participant is not None and _pause_expired(participant, utcnow()):
        _resume(participant)
        session.flush()
    return participant


def _pause_expired(p: Participant, now: dt.datetime) -> bool:
    # The break includes its last day, counted where the person is.
    return (
        p.status is Status.PAUSED
        and p.paused_until is not None
        and p.paused_until < local_today(p.timezone, now)
    )


def _resume(p: Participant) -> None:
    p.status, p.paused_until, p.updated_at = Status.ACTIVE, None, utcnow()


def resume_expired_pauses(now: dt.datetime, *, session: Session) -> int:
    """Put everyone whose break is over in their own time zone back in the pool; how many."""
    # No zone is more than a day ahead of UTC, so this bounds the candidates in SQL.
    horizon = now.astimezone(dt.UTC).date() + dt.timedelta(days=1)
    candidates = session.scalars(
        select(Participant).where(
            Participant.status == Status.PAUSED, Participant.paused_until < horizon
        )
    )
    resumed = 0
    for participant in candidates:
        if _pause_expired(participant, now):
            _resume(participant)
            resumed += 1
    session.flush()
    return resumed


def _set_skills(p: Participant, offered: dict[str, int], wanted: dict[str, int]) -> bool:
    wanted_rows = {
        (key, kind): level
        for kind, chosen in ((SkillKind.OFFERED, offered), (SkillKind.WANTED, wanted))
        for key, level in chosen.items()
    }
    current = {(s.skill_key, s.kind): s for s in p.skills}
    changed = False
    for pk, row in list(current.items()):
        if pk not in wanted_rows:
            p.skills.remove(row)
            changed = True
        elif row.level != wanted_rows[pk]:
            row.level = wanted_rows[pk]
            changed = True
    for (key, kind), level in wanted_rows.items():
        if (key, kind) not in current:
            p.skills.append(ParticipantSkill(skill_key=key, kind=kind, level=level))
            changed = True
    return changed


def avoided(participant: Participant, *, session: Session) -> list[str]:
    """The Slack ids on the person's private "don't pair me with" list."""
    return sorted(
        session.scalars(
            select(BlockedUser.blocked_user_id).where(BlockedUser.participant_id == participant.id)
        )
    )


def _set_avoided(participant: Participant, users: set[str], *, session: Session) -> bool:
    current = set(avoided(participant, session=session))
    if current == users:
        return False
    session.execute(
        delete(BlockedUser).where(
            BlockedUser.participant_id == participant.id,
            BlockedUser.blocked_user_id.in_(current - users),
        )
    )
    session.add_all(
        BlockedUser(participant_id=participant.id, blocked_user_id=u)
        for u in sorted(users - current)
    )
    session.flush()
    return True


def _levels(chosen: dict[str, int]) -> dict[str, int]:
    return {k: (v if v in SKILL_LEVELS else 3) for k, v in chosen.items()}


def _insert_participant(
    team_id: str, user_id: str, role: Role, now: dt.datetime, *, session: Session
) -> tuple[Participant, bool]:
    # A replayed or double-clicked submission can race us to the insert: let the database
    # decide who creates the row, and the loser updates it.
    insert = dialect_insert(session)
    stmt = (
        insert(Participant)
        .values(
            team_id=team_id,
            slack_user_id=user_id,
            role=role,
            languages=[],
            cadence=Cadence.BIWEEKLY,
            time_window=TimeWindow.ANY,
            status=Status.ACTIVE,
            created_at=now,
            updated_at=now,
        )
        .on_conflict_do_nothing(index_elements=["team_id", "slack_user_id"])
        .returning(Participant.id)
    )
    new_id = session.execute(stmt).scalar()
    if new_id is not None:
        row = session.get(Participant, new_id)
        assert row is not None
        return row, True
    existing = find_participant(team_id, user_id, session=session)
    if existing is None:
        raise NotEnrolled(user_id)
    return existing, False


def save_profile(
    form: ProfileForm,
    *,
    known_skills: set[str],
    session: Session,
    team_id: str,
    user_id: str,
    timezone: str | None,
    locale: str | None,
    now: dt.datetime | None = None,
) -> SaveResult:
    """Create or update the person's profile (idempotent); raises InvalidForm, saving nothing."""
    problems = validate_profile(form, known_skills)
    if problems or form.role is None:
        raise InvalidForm(problems)
    now = now or utcnow()
    participant = find_participant(team_id, user_id, session=session)
    created = participant is None
    if participant is None:
        participant, created = _insert_participant(
            team_id, user_id, form.role, now, session=session
        )
    values = {
        "role": form.role,
        "department": clean_text(form.department),
        "languages": list(dict.fromkeys(form.languages)),
        "cadence": form.cadence,
        "preferred_weekday": form.weekday,
        "time_window": form.time_window,
        "about": clean_text(form.about, multiline=True) or None,
        "mentor_capacity": min(max(form.capacity, 1), 3),
        "timezone": timezone or participant.timezone,
        "locale": locale or participant.locale,
    }
    changed = created
    if participant.status is Status.INACTIVE:
        # Saving the profile again shows the person is back in Slack.
        participant.status, changed = Status.ACTIVE, True
    for name, value in values.items():
        if getattr(participant, name) != value:
            setattr(participant, name, value)
            changed = True
    if participant.consent_at is None:
        participant.consent_at = now
    if _set_skills(participant, _levels(form.offered), _levels(form.wanted)):
        changed = True
    if _set_avoided(participant, {u for u in form.avoid if u != user_id}, session=session):
        changed = True
    if changed:
        participant.updated_at = now
    session.flush()
    return SaveResult(participant=participant, created=created, changed=changed)


def save_skills(
    form: SkillsForm, *, known_skills: set[str], session: Session, team_id: str, user_id: str
) -> SaveResult:
    """Replace the person's offered and wanted skills (idempotent); raises InvalidForm."""
    participant = find_participant(team_id, user_id, session=session)
    if participant is None:
        raise NotEnrolled(user_id)
    problems = validate_skills(form, participant.role, known_skills)
    if problems:
        raise InvalidForm(problems)
    changed = _set_skills(participant, _levels(form.offered), _levels(form.wanted))
    if changed:
        participant.updated_at = utcnow()
    session.flush()
    return SaveResult(participant=participant, created=False, changed=changed)


class PauseProblem(enum.StrEnum):
    """Why a pause request was refused."""

    UNPARSEABLE = "unparseable"
    IN_PAST = "in_past"
    TOO_LONG = "too_long"


class PauseError(ValueError):
    """A pause request that cannot be honoured."""

    def __init__(self, problem: PauseProblem) -> None:
        super().__init__(problem.value)
        self.problem = problem


_WEEKS = re.compile(r"^(\d{1,3})\s*(w|wk|wks|week|weeks|wo|woche|wochen)$", re.IGNORECASE)
_UNTIL = re.compile(r"^(?:until|bis(?:\s+zum)?)\s+(\S+)$", re.IGNORECASE)
_GERMAN_DATE = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")


def parse_pause(args: str, today: dt.date) -> dt.date | None:
    """Parse `until YYYY-MM-DD`, a bare date, or `Nw`; empty means an open-ended pause."""
    text = args.strip()
    if not text:
        return None
    match = _UNTIL.match(text)
    if match:
        text = match.group(1)
    weeks = _WEEKS.match(text)
    if weeks:
        n = int(weeks.group(1))
        if n < 1:
            raise PauseError(PauseProblem.UNPARSEABLE)
        if n > MAX_PAUSE_WEEKS:
            raise PauseError(PauseProblem.TOO_LONG)
        return today + dt.timedelta(weeks=n)
    return parse_pause_date(text, today)


def parse_pause_date(text: str | None, today: dt.date) -> dt.date | None:
    """A pause end date as ISO (2026-12-31) or German (31.12.2026); empty means open-ended."""
    if not text:
        return None
    german = _GERMAN_DATE.match(text)
    if german:
        day, month, year = german.groups()
        text = f"{year}-{int(month):02d}-{int(day):02d}"
    try:
        until = dt.date.fromisoformat(text)
    except ValueError:
        raise PauseError(PauseProblem.UNPARSEABLE) from None
    check_pause_date(until, today)
    return until


def check_pause_date(until: dt.date, today: dt.date) -> None:
    """Refuse dates that are not in the future or more than a year ahead."""
    if until <= today:
        raise PauseError(PauseProblem.IN_PAST)
    if until > today + dt.timedelta(weeks=MAX_PAUSE_WEEKS):
        raise PauseError(PauseProblem.TOO_LONG)


def pause(until: dt.date | None, *, session: Session, team_id: str, user_id: str) -> Participant:
    """Take the person out of matching and nudges, until a date or until they resume."""
    participant = find_participant(team_id, user_id, session=session)
    if participant is None:
        raise NotEnrolled(user_id)
    participant.status, participant.paused_until = Status.PAUSED, until
    participant.updated_at = utcnow()
    session.flush()
    return participant


def resume(*, session: Session, team_id: str, user_id: str) -> tuple[Participant, bool]:
    """Put the person back in the pool; the flag says whether they were paused at all."""
    participant = find_participant(team_id, user_id, session=session)
    if participant is None:
        raise NotEnrolled(user_id)
    was_paused = participant.status in (Status.PAUSED, Status.INACTIVE)
    if was_paused:
        _resume(participant)
        session.flush()
    return participant, was_paused


def my_data(team_id: str, user_id: str, *, session: Session) -> dict[str, Any] | None:
    """Everything stored about the person, for `/mentor mydata`: their export if they are
    enrolled, else what an HR admin leaves (report requests, matching rounds); None if
    there is nothing."""
    participant = find_participant(team_id, user_id, session=session)
    if participant is not None:
        return privacy.export(participant, session=session)
    return privacy.export_hr_traces(team_id, user_id, session=session)


def leave(*, session: Session, team_id: str, user_id: str, now: dt.datetime | None = None) -> bool:
    """Erase the person's personal data; False if there was nothing to erase.

    The row itself stays under an opaque id, stripped to the role and day-level dates,
    so that programme counts (joins, people who left, also over the last 30 days) stay
    consistent; exact timestamps could be matched against the person's Slack messages.
    """
    participant = find_participant(team_id, user_id, session=session)
    if participant is None:
        return False
    forget_participant(participant, session=session)
    opaque_id = "left-" + secrets.token_hex(12)
    privacy.erase_feedback_and_traces(participant, session=session, opaque_id=opaque_id)
    participant.skills.clear()
    participant.slack_user_id = opaque_id
    participant.department = None
    participant.languages = []
    participant.timezone = None
    participant.locale = None
    participant.dm_channel_id = None
    participant.about = None
    participant.preferred_weekday = None
    participant.time_window = TimeWindow.ANY
    participant.consent_at = None
    participant.cadence = Cadence.BIWEEKLY
    participant.status, participant.paused_until = Status.LEFT, None
    left = day_start(now or utcnow())
    participant.created_at = day_start(participant.created_at)
    participant.left_at = participant.updated_at = left
    session.flush()
    return True
