"""Scenario helpers: drive the app the way a person in Slack would."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from sqlalchemy import func, select

from bot.store.models import Base, Participant, Status
from tests.conftest import RunningApp

if TYPE_CHECKING:
    from bot.sandbox import FakeSlack
    from bot.sandbox.client import SimResponse

MENTOR_VALUES: dict[str, Any] = {
    "role": "mentor",
    "skills_offered": ["social_media", "ai_assistants"],
    "department": "Marketing",
    "languages": ["en", "de"],
    "cadence": "biweekly",
    "weekday": "2",
    "time_window": "afternoon",
    "about": "Happy to help with LinkedIn.",
    "consent": ["given"],
}

MENTEE_VALUES: dict[str, Any] = {
    **MENTOR_VALUES,
    "role": "mentee",
    "skills_offered": [],
    "skills_wanted": ["social_media"],
    "department": "Finance",
}


def answer_to(fake: FakeSlack, resp: SimResponse, timeout: float = 5.0) -> dict[str, Any]:
    """What a slash command showed its user: the ack's own message if it carried one, else
    what the app posted to that command's response_url afterwards."""
    if resp.ack and (resp.ack.get("text") or resp.ack.get("blocks")):
        return dict(resp.ack)
    assert resp.response_url, "not a slash command's response"
    path = urlsplit(resp.response_url).path
    calls = fake.wait_for("response_url", lambda c: c.path == path, timeout=timeout)
    return dict(calls[0].args)


def wait_reply(app: RunningApp, count: int = 1) -> dict[str, Any]:
    """Wait for the bot's `count`-th response_url post and return it."""
    calls = app.fake.wait_for("response_url", count=count)
    return dict(calls[count - 1].args)


def text_of(message: dict[str, Any]) -> str:
    """All visible text of a message or view: fallback text plus every text in its blocks."""
    parts = [str(message.get("text") or "")]

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "text" and isinstance(value, str):
                    parts.append(value)
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(message.get("blocks") or [])
    return "\n".join(parts)


def _ok(call: Any) -> bool:
    return bool(call.response.get("ok"))


def open_join_modal(app: RunningApp, user: str) -> dict[str, Any]:
    """Type `/mentor join` and return the modal Slack now shows."""
    before = len([c for c in app.fake.calls_to("views.open") if _ok(c)])
    resp = app.sim.slash(user, "join")
    assert resp.status == 200
    call = app.fake.wait_for("views.open", _ok, count=before + 1)[-1]
    return dict(app.fake.views[call.response["view"]["id"]])


def choose_skills(
    app: RunningApp, user: str, view: dict[str, Any], block_id: str, keys: list[str]
) -> dict[str, Any]:
    """Pick skills in a multi-select and wait for the modal to redraw with level pickers."""
    before = len(app.fake.calls_to("views.update"))
    app.sim.select_in_view(user, view["id"], block_id, block_id, keys)
    app.fake.wait_for("views.update", count=before + 1)
    return dict(app.fake.views[view["id"]])


def fill_in(
    app: RunningApp, user: str, view: dict[str, Any], values: dict[str, Any]
) -> dict[str, Any]:
    """Pick skills the way a person does (each pick redraws the modal), return the current view."""
    for block_id in ("skills_offered", "skills_wanted"):
        if values.get(block_id):
            view = choose_skills(app, user, view, block_id, values[block_id])
    return view


def join(app: RunningApp, user: str, values: dict[str, Any] | None = None) -> Any:
    """The whole join flow; returns the submission response."""
    values = values or MENTOR_VALUES
    view = fill_in(app, user, open_join_modal(app, user), values)
    return app.sim.submit_view(user, view["id"], values)


def count_participants(app: RunningApp, status: Status | None = None) -> int:
    """How many participant rows exist (optionally with one status)."""
    stmt = select(func.count()).select_from(Participant)
    if status is not None:
        stmt = stmt.where(Participant.status == status)
    with app.db.sessions() as s:
        return int(s.scalar(stmt) or 0)


def participant(app: RunningApp, user: str) -> Participant | None:
    """The enrolled participant row for a Slack user, if any."""
    with app.db.sessions() as s:
        return s.scalar(select(Participant).where(Participant.slack_user_id == user))


def rows_mentioning(app: RunningApp, *needles: str) -> list[tuple[str, str, object]]:
    """Every (table, column, value) in the database that contains one of the needles."""
    found = []
    with app.db.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            for row in conn.execute(select(table)).mappings():
                for column, value in row.items():
                    if any(n in str(value) for n in needles):
                        found.append((table.name, column, value))
    return found


def make_pair(
    db: Any,
    *,
    team: str = "T0001",
    mentor: str = "UANNA",
    mentee: str = "UBERND",
    mentor_tz: str | None = "Europe/Berlin",
    mentee_tz: str | None = "Europe/Berlin",
    weekday: int = 2,
    local_time: Any = None,
    cadence: Any = None,
    first_meeting: Any = None,
    locale: str = "en",
    covered: list[str] | None = None,
) -> int:
    """A consenting mentor and mentee with an active, scheduled pair; returns the pair id."""
    import datetime as dt

    from bot.store.models import Cadence, Pair

    now = dt.datetime.now(dt.UTC)
    people = []
    with db.sessions.begin() as s:
        for user, role, tz in ((mentor, "mentor", mentor_tz), (mentee, "mentee", mentee_tz)):
            person = Participant(
                team_id=team,
                slack_user_id=user,
                role=role,
                department="Dept " + role,
                languages=["en", "de"],
                timezone=tz,
                locale=locale,
                consent_at=now,
            )
            s.add(person)
            people.append(person)
        s.flush()
        pair = Pair(
            team_id=team,
            mentor_id=people[0].id,
            mentee_id=people[1].id,
            channel_id="GPAIR" + user[-4:],
            language=locale,
            covered=covered if covered is not None else ["social_media"],
            cadence=cadence or Cadence.WEEKLY,
            weekday=weekday,
            local_time=local_time or dt.time(15, 0),
            timezone=mentee_tz,
            first_meeting=first_meeting,
        )
        s.add(pair)
        s.flush()
        return int(pair.id)


# Two people (ids 1, 2) in workspace T9, their pair (id 1) and a jour fixe (id 1) on
# 2026-10-07, as raw SQL: for migration tests that fill a schema older than the models.
ONE_PAIR_WITH_A_JOUR_FIXE_SQL = (
    "INSERT INTO participant (id, team_id, slack_user_id, role, languages, cadence,"
    " time_window, mentor_capacity, status, created_at, updated_at) VALUES"
    " (1, 'T9', 'UA', 'mentor', '[]', 'weekly', 'any', 1, 'active', CURRENT_TIMESTAMP,"
    " CURRENT_TIMESTAMP), (2, 'T9', 'UB', 'mentee', '[]', 'weekly', 'any', 1, 'active',"
    " CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
    "INSERT INTO pair (id, team_id, mentor_id, mentee_id, status, created_at, language,"
    " score, covered, cadence) VALUES (1, 'T9', 1, 2, 'active', CURRENT_TIMESTAMP, 'en',"
    " 0, '[]', 'weekly')",
    "INSERT INTO jour_fixe (id, pair_id, occurrence, planned_at, status, mentor_replied,"
    " mentee_replied, created_at) VALUES (1, 1, '2026-10-07', CURRENT_TIMESTAMP,"
    " 'met', false, false, CURRENT_TIMESTAMP)",
)


def add_polls(db: Any, pair_id: int, day: Any, users: list[str]) -> list[int]:
    """A jour fixe of the pair on `day` (13:00 UTC) and a poll for each of `users` (Slack
    ids of its members); returns the poll ids in that order."""
    import datetime as dt

    from bot.store.models import JourFixe, Pair, Poll

    with db.sessions.begin() as s:
        team = s.get_one(Pair, pair_id).team_id
        jf = JourFixe(
            pair_id=pair_id,
            occurrence=day,
            planned_at=dt.datetime.combine(day, dt.time(13), tzinfo=dt.UTC),
        )
        s.add(jf)
        s.flush()
        ids = []
        for user in users:
            person = s.scalar(
                select(Participant).where(
                    Participant.team_id == team, Participant.slack_user_id == user
                )
            )
            assert person is not None, user
            poll = Poll(jour_fixe_id=jf.id, participant_id=person.id, team_id=team, occurrence=day)
            s.add(poll)
            s.flush()
            ids.append(poll.id)
        return ids


def upgrade_with_rows(url: str, revision: str, statements: Any) -> Any:
    """Migrate an empty database to `revision`, run `statements` (raw SQL) there, then
    migrate to head; returns an engine on it (the caller disposes of it)."""
    from sqlalchemy import create_engine, text

    from bot.store import migrate

    migrate.upgrade(url, revision)
    engine = create_engine(url)
    with engine.begin() as conn:
        for statement in statements:
            conn.execute(text(statement))
    migrate.upgrade(url)
    return engine
