"""Enrolment rules: validation, idempotent saves, pause parsing and erasure."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest
from freezegun import freeze_time
from sqlalchemy import inspect, select, text
from sqlalchemy.orm import Session

from bot.services import enrollment
from bot.services.catalog import load_catalog, sync_catalog
from bot.services.enrollment import (
    PauseError,
    PauseProblem,
    ProfileField,
    ProfileForm,
    ProfileProblem,
    SkillsForm,
)
from bot.store.db import Database
from bot.store.models import Base, Cadence, Participant, Role, Status, TimeWindow

KNOWN = {s.key for s in load_catalog().skills}
TODAY = dt.date(2026, 11, 26)


@pytest.fixture
def s(session: Session) -> Session:
    sync_catalog(load_catalog(), session=session)
    session.commit()
    return session


def save(
    s: Session,
    profile: ProfileForm | None = None,
    *,
    user: str = "U1",
    tz: str | None = None,
    locale: str = "en",
) -> enrollment.SaveResult:
    return enrollment.save_profile(
        profile or form(),
        known_skills=KNOWN,
        session=s,
        team_id="T1",
        user_id=user,
        timezone=tz,
        locale=locale,
    )


def form(**changes: object) -> ProfileForm:
    base = ProfileForm(
        role=Role.MENTOR,
        offered={"social_media": 5, "ai_assistants": 4},
        wanted={},
        department="Marketing",
        languages=("en", "de"),
        cadence=Cadence.BIWEEKLY,
        weekday=2,
        time_window=TimeWindow.AFTERNOON,
        about="Happy to help!",
        consent=True,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def test_a_complete_mentor_form_has_no_problems() -> None:
    assert enrollment.validate_profile(form(), KNOWN) == {}


@pytest.mark.parametrize(
    ("changes", "field", "kind"),
    [
        ({"role": None}, ProfileField.ROLE, ProfileProblem.MISSING),
        ({"offered": {}}, ProfileField.SKILLS_OFFERED, ProfileProblem.MENTOR_NEEDS_OFFER),
        (
            {"role": Role.MENTEE, "offered": {}},
            ProfileField.SKILLS_WANTED,
            ProfileProblem.MENTEE_NEEDS_WANT,
        ),
        (
            {"offered": {"no_such_skill": 3}},
            ProfileField.SKILLS_OFFERED,
            ProfileProblem.UNKNOWN_SKILL,
        ),
        (
            {"offered": {k: 3 for k in sorted(KNOWN)[:7]}},
            ProfileField.SKILLS_OFFERED,
            ProfileProblem.TOO_MANY_SKILLS,
        ),
        (
            {"wanted": {"social_media": 1}},
            ProfileField.SKILLS_WANTED,
            ProfileProblem.SAME_SKILL_BOTH_WAYS,
        ),
        ({"department": "x" * 81}, ProfileField.DEPARTMENT, ProfileProblem.TOO_LONG),
        ({"department": "  "}, ProfileField.DEPARTMENT, ProfileProblem.TOO_SHORT),
        ({"languages": ()}, ProfileField.LANGUAGES, ProfileProblem.MISSING),
        (
            {"languages": ("en", "de", "fr", "es", "it", "nl")},
            ProfileField.LANGUAGES,
            ProfileProblem.TOO_MANY_LANGUAGES,
        ),
        ({"about": "y" * 301}, ProfileField.ABOUT, ProfileProblem.TOO_LONG),
        ({"consent": False}, ProfileField.CONSENT, ProfileProblem.CONSENT_REQUIRED),
    ],
)
def test_validation_names_the_field_and_the_problem(
    changes: dict[str, object], field: ProfileField, kind: ProfileProblem
) -> None:
    problems = enrollment.validate_profile(form(**changes), KNOWN)
    assert problems[field].kind is kind


def test_saving_creates_one_participant_with_skills_and_consent(s: Session) -> None:
    result = save(s, tz="Europe/Berlin", locale="de")
    s.commit()
    assert result.created and result.changed
    p = s.scalars(select(Participant)).one()
    assert (p.role, p.department, p.languages, p.timezone, p.locale) == (
        Role.MENTOR,
        "Marketing",
        ["en", "de"],
        "Europe/Berlin",
        "de",
    )
    assert p.skill_levels(enrollment.SkillKind.OFFERED) == {"ai_assistants": 4, "social_media": 5}
    assert p.consent_at is not None and p.status is Status.ACTIVE


def test_saving_the_same_form_twice_changes_nothing_the_second_time(s: Session) -> None:
    first = save(s)
    s.commit()
    stamp = first.participant.updated_at
    second = save(s)
    s.commit()
    assert not second.created and not second.changed
    assert s.scalar(select(Participant.updated_at)) == stamp
    assert len(s.scalars(select(Participant)).all()) == 1


def test_saving_again_updates_the_record_in_place(s: Session) -> None:
    save(s)
    s.commit()
    result = save(
        s, form(role=Role.MENTEE, offered={}, wanted={"spreadsheets": 1}, department="Finance")
    )
    s.commit()
    p = s.scalars(select(Participant)).one()
    assert result.changed and p.role is Role.MENTEE and p.department == "Finance"
    assert p.skill_levels(enrollment.SkillKind.OFFERED) == {}
    assert p.skill_levels(enrollment.SkillKind.WANTED) == {"spreadsheets": 1}


def test_user_text_is_normalised_but_kept(s: Session) -> None:
    save(
        s,
        form(
            department="  Sales\u0000 &  <!channel>  ",
            about="Hi there!\r\n\n\n\nI code 👩\u200d💻 \u202egnirts\t\t ok",
        ),
    )
    p = s.scalars(select(Participant)).one()
    assert p.department == "Sales & <!channel>"
    # Paragraphs and the zero-width joiner inside the emoji stay; the bidi override goes.
    assert p.about == "Hi there!\n\nI code 👩\u200d💻 gnirts ok"


def test_skills_can_be_edited_without_touching_the_profile(s: Session) -> None:
    save(s)
    result = enrollment.save_skills(
        SkillsForm(offered={"prompting": 3}, wanted={}),
        known_skills=KNOWN,
        session=s,
        team_id="T1",
        user_id="U1",
    )
    assert result.changed
    assert result.participant.skill_levels(enrollment.SkillKind.OFFERED) == {"prompting": 3}
    assert result.participant.department == "Marketing"


def test_editing_skills_requires_enrolment(s: Session) -> None:
    with pytest.raises(enrollment.NotEnrolled):
        enrollment.save_skills(
            SkillsForm(offered={}, wanted={}),
            known_skills=KNOWN,
            session=s,
            team_id="T1",
            user_id="U404",
        )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", None),
        ("2w", TODAY + dt.timedelta(weeks=2)),
        ("3 weeks", TODAY + dt.timedelta(weeks=3)),
        ("4 Wochen", TODAY + dt.timedelta(weeks=4)),
        ("until 2027-01-15", dt.date(2027, 1, 15)),
        ("bis 2027-01-15", dt.date(2027, 1, 15)),
        ("2027-01-15", dt.date(2027, 1, 15)),
        ("bis 15.1.2027", dt.date(2027, 1, 15)),
        ("bis zum 15.01.2027", dt.date(2027, 1, 15)),
        ("15.01.2027", dt.date(2027, 1, 15)),
    ],
)
def test_pause_arguments_are_understood(text: str, expected: dt.date | None) -> None:
    assert enrollment.parse_pause(text, TODAY) == expected


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("until 2026-11-26", PauseProblem.IN_PAST),
        ("2020-01-01", PauseProblem.IN_PAST),
        ("until 2030-01-01", PauseProblem.TOO_LONG),
        ("53w", PauseProblem.TOO_LONG),
        ("0w", PauseProblem.UNPARSEABLE),
        ("tomorrow", PauseProblem.UNPARSEABLE),
        ("until 2026-02-30", PauseProblem.UNPARSEABLE),
        ("31.02.2027", PauseProblem.UNPARSEABLE),
        ("'; DROP TABLE participant; --", PauseProblem.UNPARSEABLE),
    ],
)
def test_bad_pause_arguments_are_refused_with_a_reason(text: str, problem: PauseProblem) -> None:
    with pytest.raises(PauseError) as exc:
        enrollment.parse_pause(text, TODAY)
    assert exc.value.problem is problem


def test_pause_and_resume_move_the_person_out_of_and_into_the_pool(s: Session) -> None:
    save(s)
    p = enrollment.pause(dt.date(2027, 1, 1), session=s, team_id="T1", user_id="U1")
    assert (p.status, p.paused_until) == (Status.PAUSED, dt.date(2027, 1, 1))
    p, was_paused = enrollment.resume(session=s, team_id="T1", user_id="U1")
    assert was_paused and (p.status, p.paused_until) == (Status.ACTIVE, None)
    _, was_paused = enrollment.resume(session=s, team_id="T1", user_id="U1")
    assert not was_paused


def test_expired_pauses_end_by_themselves(s: Session) -> None:
    save(s)
    save(s, user="U2")
    enrollment.pause(dt.date(2026, 12, 1), session=s, team_id="T1", user_id="U1")
    enrollment.pause(None, session=s, team_id="T1", user_id="U2")
    s.commit()
    assert (
        enrollment.resume_expired_pauses(dt.datetime(2026, 12, 2, 1, tzinfo=dt.UTC), session=s) == 1
    )
    s.commit()
    s.expire_all()
    statuses = dict(s.execute(select(Participant.slack_user_id, Participant.status)).all())
    assert statuses == {"U1": Status.ACTIVE, "U2": Status.PAUSED}


def test_leaving_erases_every_trace_of_the_person(s: Session) -> None:
    save(
        s,
        form(department="Secret Dept", about="my secret"),
        user="U_GONE",
        tz="Europe/Berlin",
        locale="de",
    )
    s.commit()
    assert enrollment.leave(session=s, team_id="T1", user_id="U_GONE")
    s.commit()
    # No column of any table may still hold the person's id or their free text.
    needles = ("U_GONE", "Secret Dept", "my secret", "Europe/Berlin")
    for table in Base.metadata.sorted_tables:
        columns = [c["name"] for c in inspect(s.get_bind()).get_columns(table.name)]
        for row in s.execute(text(f"SELECT * FROM {table.name}")).all():
            for col, value in zip(columns, row, strict=True):
                assert not any(n in str(value) for n in needles), (table.name, col, value)
    p = s.scalars(select(Participant)).one()
    assert p.status is Status.LEFT and p.skills == [] and p.consent_at is None
    assert enrollment.find_participant("T1", "U_GONE", session=s) is None


def test_leaving_twice_reports_nothing_to_erase(s: Session) -> None:
    save(s)
    assert enrollment.leave(session=s, team_id="T1", user_id="U1")
    assert not enrollment.leave(session=s, team_id="T1", user_id="U1")


def test_a_person_who_left_can_join_again_as_someone_new(s: Session) -> None:
    save(s)
    enrollment.leave(session=s, team_id="T1", user_id="U1")
    result = save(s)
    assert result.created


def test_saving_an_invalid_form_raises_and_stores_nothing(s: Session) -> None:
    with pytest.raises(enrollment.InvalidForm) as exc:
        save(s, form(consent=False))
    assert set(exc.value.problems) == {ProfileField.CONSENT}
    assert s.scalars(select(Participant)).all() == []


def test_saving_skills_validates_against_the_stored_role(s: Session) -> None:
    save(s)
    with pytest.raises(enrollment.InvalidForm) as exc:
        enrollment.save_skills(
            SkillsForm(offered={}, wanted={}),
            known_skills=KNOWN,
            session=s,
            team_id="T1",
            user_id="U1",
        )
    assert exc.value.problems[ProfileField.SKILLS_OFFERED].kind is ProfileProblem.MENTOR_NEEDS_OFFER


def _paused(s: Session, user: str, tz: str, until: dt.date) -> None:
    enrollment.save_profile(
        form(), known_skills=KNOWN, session=s, team_id="T1", user_id=user, timezone=tz, locale="en"
    )
    enrollment.pause(until, session=s, team_id="T1", user_id=user)
    s.commit()


@pytest.mark.parametrize(
    ("tz", "still_paused_at", "resumed_at"),
    [
        # The break "until 1 December" includes 1 December where the person is.
        ("America/Los_Angeles", "2026-12-02T07:59:00+00:00", "2026-12-02T08:00:00+00:00"),
        ("Asia/Tokyo", "2026-12-01T14:59:00+00:00", "2026-12-01T15:00:00+00:00"),
        ("Asia/Kolkata", "2026-12-01T18:29:00+00:00", "2026-12-01T18:30:00+00:00"),
        ("Europe/Berlin", "2026-12-01T22:59:00+00:00", "2026-12-01T23:00:00+00:00"),
    ],
)
def test_a_pause_ends_at_local_midnight_after_its_last_day(
    s: Session, tz: str, still_paused_at: str, resumed_at: str
) -> None:
    _paused(s, "U1", tz, dt.date(2026, 12, 1))
    with freeze_time(still_paused_at):
        assert enrollment.resume_expired_pauses(dt.datetime.now(dt.UTC), session=s) == 0
        p = enrollment.find_participant("T1", "U1", session=s)
        assert p is not None and p.status is Status.PAUSED
    with freeze_time(resumed_at):
        p = enrollment.find_participant("T1", "U1", session=s)
        assert p is not None and p.status is Status.ACTIVE
        assert p.paused_until is None


def test_a_racing_second_join_updates_the_first_instead_of_failing(db: Database) -> None:
    with db.sessions.begin() as setup:
        sync_catalog(load_catalog(), session=setup)
    first, second = db.sessions(), db.sessions()
    try:
        # Both requests look before either inserts, as two replicas would.
        assert enrollment.find_participant("T1", "U1", session=first) is None
        assert enrollment.find_participant("T1", "U1", session=second) is None
        kwargs = {
            "known_skills": KNOWN,
            "team_id": "T1",
            "user_id": "U1",
            "timezone": None,
            "locale": "en",
        }
        a = enrollment.save_profile(form(), session=first, **kwargs)
        first.commit()
        b = enrollment.save_profile(form(department="Sales"), session=second, **kwargs)
        second.commit()
    finally:
        first.close()
        second.close()
    assert (a.created, b.created) == (True, False)
    with db.sessions() as check:
        rows = check.scalars(select(Participant)).all()
    assert [(r.slack_user_id, r.department) for r in rows] == [("U1", "Sales")]


def test_what_remains_after_leaving_has_only_day_level_dates(s: Session) -> None:
    with freeze_time("2026-11-17T13:45:12+00:00"):
        save(s)
    with freeze_time("2026-12-03T09:10:11+00:00"):
        enrollment.leave(session=s, team_id="T1", user_id="U1")
    s.commit()
    p = s.scalars(select(Participant)).one()
    assert p.created_at == dt.datetime(2026, 11, 17, tzinfo=dt.UTC)
    assert p.left_at == p.updated_at == dt.datetime(2026, 12, 3, tzinfo=dt.UTC)
