"""HR reports: programme figures as SQL aggregates, with k-anonymity on every slice.

Nothing here returns a row about one person or one pair. Every breakdown goes through
`suppress`, which hides each slice with fewer than k respondents and then hides more
(the smallest visible ones) until the hidden remainder, which anyone can compute as the total
minus the visible slices, is itself at least k people spread over at least two slices.
Free text is only counted unless a field has at least `THEMES_MIN` comments from at least k
people; then it is returned shuffled, without author, date or pair.
"""

from __future__ import annotations

import datetime as dt
import random
import re
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy import Select, and_, distinct, func, or_, select
from sqlalchemy.orm import Session

from bot.services.jour_fixe import pairs_at_risk_query
from bot.store.models import (
    ANSWER_TEXT_FIELDS,
    JourFixe,
    MeetingStatus,
    Pair,
    PairStatus,
    Participant,
    ParticipantSkill,
    Poll,
    PollAnswer,
    PollRollup,
    ReportAudit,
    Role,
    SkillKind,
    Status,
)

K_DEFAULT = 5
K_MIN = 3
# Free-text comments of one field are shown (shuffled) only from this many on.
THEMES_MIN = 10
# At most this many comments of a field are fetched (a random sample, shuffled again).
THEMES_SAMPLE = 200
# How many periods the trend covers, the current one included.
TREND_PERIODS = 4
# A "at least k people (or pairs)" check first looks at this many rows per one asked for.
_AT_LEAST_PROBE = 50
NO_DEPARTMENT = ""
DAY_PERIODS = {"30d": 30, "90d": 90}
FIRST_YEAR = 2000


class PeriodError(ValueError):
    """The period is not one we understand (or lies in the future)."""

    def __init__(self, given: str, problem: Literal["unknown", "future"]) -> None:
        super().__init__(f"{problem} period: {given!r}")
        self.given, self.problem = given, problem


@dataclass(frozen=True)
class Period:
    """A reporting period: [start, end) in dates; `start` None means since the beginning."""

    label: str
    kind: Literal["days", "month", "quarter", "all"]
    start: dt.date | None
    end: dt.date

    def contains(self, day: dt.date) -> bool:
        """Whether `day` lies in the period."""
        return (self.start is None or day >= self.start) and day < self.end

    @property
    def days(self) -> int | None:
        """The length in days (None for `all`)."""
        return None if self.start is None else (self.end - self.start).days

    def previous(self) -> Period:
        """The period of the same kind just before this one."""
        if self.kind == "days":
            assert self.start is not None
            length = self.end - self.start
            return Period(self.label, "days", self.start - length, self.start)
        if self.kind == "month":
            assert self.start is not None
            start = _add_months(self.start, -1)
            return Period(f"{start:%Y-%m}", "month", start, self.start)
        if self.kind == "quarter":
            assert self.start is not None
            start = _add_months(self.start, -3)
            return Period(_quarter_label(start), "quarter", start, self.start)
        raise ValueError("`all` has no previous period")


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def _quarter_label(start: dt.date) -> str:
    return f"{start.year}-Q{(start.month - 1) // 3 + 1}"


def parse_period(text: str, today: dt.date) -> Period:
    """`30d` (default), `90d`, `2026-Q3`, `2026-10` or `all`; anything else is a PeriodError.

    Only these two day counts: reports for 30 and 31 days would differ by one day's ratings.
    """
    given = text.strip().lower() or "30d"
    tomorrow = today + dt.timedelta(days=1)
    if given in DAY_PERIODS:
        days = DAY_PERIODS[given]
        return Period(given, "days", tomorrow - dt.timedelta(days=days), tomorrow)
    if given == "all":
        return Period("all", "all", None, tomorrow)
    quarter = re.fullmatch(r"(\d{4})-q([1-4])", given)
    month = re.fullmatch(r"(\d{4})-(\d{1,2})", given)
    found = quarter or month
    year = int(found.group(1)) if found else 0
    if not FIRST_YEAR <= year <= today.year + 1:
        raise PeriodError(text, "unknown")
    if quarter:
        start = dt.date(year, 3 * int(quarter.group(2)) - 2, 1)
        period = Period(_quarter_label(start), "quarter", start, _add_months(start, 3))
    else:
        assert month is not None
        number = int(month.group(2))
        if not 1 <= number <= 12:
            raise PeriodError(text, "unknown")
        start = dt.date(year, number, 1)
        period = Period(f"{start:%Y-%m}", "month", start, _add_months(start, 1))
    if period.start is not None and period.start > today:
        raise PeriodError(text, "future")
    return period


def trend_periods(period: Period, today: dt.date) -> list[Period]:
    """The current period and the ones before it, oldest first (quarters for `all`)."""
    if period.kind == "all":
        quarter = dt.date(today.year, (today.month - 1) // 3 * 3 + 1, 1)
        current = Period(_quarter_label(quarter), "quarter", quarter, _add_months(quarter, 3))
    else:
        current = period
    periods = [current]
    for _ in range(TREND_PERIODS - 1):
        periods.append(periods[-1].previous())
    return periods[::-1]


# --------------------------------------------------------------------------- k-anonymity


@dataclass(frozen=True)
class Slice:
    """One visible group of a breakdown: its size in respondents and its figures."""

    key: str
    respondents: int
    figures: Mapping[str, Any]


def suppress(counts: Mapping[str, int], k: int, forced: Iterable[str] = ()) -> set[str]:
    """The slices to hide so that no slice, nor the total minus the visible ones, is below k.

    1. Every slice with 0 < respondents < k is hidden (primary suppression), and so is every
       slice in `forced` (one that holds a small cell of a finer table, or answers of people
       who have left and are no longer counted), even one of 0 respondents.
    2. Complementary suppression: while the hidden slices are a single slice, or together
       hold fewer than k respondents, the smallest visible slice is hidden too. The hidden
       remainder (total minus the visible slices) is then at least k people in at least two
       slices, so it reveals no hidden slice.
    """
    hidden = {key for key, n in counts.items() if 0 < n < k or key in forced}
    visible = sorted(
        (key for key, n in counts.items() if key not in hidden and n > 0),
        key=lambda key: (counts[key], key),
    )
    while hidden and (len(hidden) < 2 or sum(counts[key] for key in hidden) < k) and visible:
        hidden.add(visible.pop(0))
    return hidden


def _breakdown(
    rows: Iterable[tuple[str, int, Mapping[str, Any]]], k: int, forced: Iterable[str] = ()
) -> tuple[list[Slice], set[str]]:
    """The visible slices, and the keys `suppress` hides."""
    forced = set(forced)
    # A slice nobody answered in is no slice, unless it holds answers of people who left.
    rows = [row for row in rows if row[1] > 0 or row[0] in forced]
    hidden = suppress({key: n for key, n, _ in rows}, k, forced)
    slices = [
        Slice(key, n, figures)
        for key, n, figures in sorted(rows, key=lambda r: r[0])
        if key not in hidden
    ]
    return slices, hidden


# --------------------------------------------------------------------------- the report


@dataclass(frozen=True)
class Ratings:
    """Satisfaction of one group: respondents, the 1-5 distribution and the mean."""

    respondents: int
    answers: int
    distribution: tuple[int, int, int, int, int]
    average: float


@dataclass(frozen=True)
class SkillFigure:
    """Supply (mentors offering) and demand (mentees wanting) of one skill."""

    key: str
    offered: int
    wanted: int


@dataclass(frozen=True)
class TrendPoint:
    """Key figures of one period of the trend (None where suppressed)."""

    label: str
    joins: int
    met: int | None
    meeting_rate: float | None
    average: float | None


@dataclass
class Report:
    """Everything HR sees for one period; aggregates only."""

    team_id: str
    period: Period
    k: int
    mentors: int = 0
    mentees: int = 0
    active_pairs: int = 0
    paused: int = 0
    left: int = 0
    joins: int = 0
    departments: list[Slice] = field(default_factory=list)
    departments_hidden: bool = False
    # Activity; None when fewer than k pairs had jour fixes (a count of pairs at risk too).
    activity: dict[str, int] | None = None
    meeting_rate: float | None = None
    at_risk: int | None = None
    polls: int = 0
    # Satisfaction overall and per role / department; None below k respondents.
    respondents: int = 0
    ratings: Ratings | None = None
    by_role: list[Slice] = field(default_factory=list)
    by_role_hidden: bool = False
    by_department: list[Slice] = field(default_factory=list)
    by_department_hidden: bool = False
    skills: list[SkillFigure] = field(default_factory=list)
    comments: dict[str, int] = field(default_factory=dict)
    themes: dict[str, list[str]] = field(default_factory=dict)
    trend: list[TrendPoint] = field(default_factory=list)
    # A month or quarter that is not over yet: its figures are those up to today.
    ongoing: bool = False
    # Jour fixes met per week (None: hidden), for the chart.
    met_per_week: list[tuple[dt.date, int | None]] = field(default_factory=list)

    @property
    def response_rate(self) -> float | None:
        """Answered polls over polls sent (None where satisfaction is suppressed)."""
        if self.ratings is None or not self.polls:
            return None
        return self.ratings.answers / self.polls

    @property
    def unmet(self) -> list[SkillFigure]:
        """Skills mentees want that no mentor offers, most wanted first."""
        return sorted(
            (s for s in self.skills if s.wanted and not s.offered), key=lambda s: (-s.wanted, s.key)
        )

    @property
    def empty(self) -> bool:
        """Nobody has joined the programme (yet)."""
        return not (self.mentors or self.mentees or self.left)


def _instant(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)


def _in_period(column: Any, period: Period, *, as_date: bool = False) -> Any:
    bound = (lambda d: d) if as_date else _instant
    upper = column < bound(period.end)
    return upper if period.start is None else and_(column >= bound(period.start), upper)


def _enrolled_at_end(period: Period) -> Any:
    end = _instant(period.end)
    still_there = (Participant.status != Status.LEFT) | (Participant.left_at >= end)
    return and_(still_there, Participant.created_at < end)


def _participation(report: Report, trend: Sequence[Period], session: Session) -> list[int]:
    """People of the period, by department too; returns the joins of each trend period.

    One pass over the workspace's people, grouped by department; the totals are the sums.
    """
    period, team = report.period, report.team_id
    enrolled = _enrolled_at_end(period)
    department = func.coalesce(Participant.department, NO_DEPARTMENT)
    rows = session.execute(
        select(
            department,
            func.count().filter(enrolled),
            func.count().filter(enrolled, Participant.role == Role.MENTOR),
            func.count().filter(enrolled, Participant.role == Role.MENTEE),
            func.count().filter(Participant.status == Status.PAUSED),
            func.count().filter(
                Participant.status == Status.LEFT, _in_period(Participant.left_at, period)
            ),
            func.count().filter(_in_period(Participant.created_at, period)),
            *(func.count().filter(_in_period(Participant.created_at, p)) for p in trend),
        )
        .where(Participant.team_id == team)
        .group_by(department)
    ).all()
    totals = [sum(int(row[i] or 0) for row in rows) for i in range(2, 7 + len(trend))]
    report.mentors, report.mentees, report.paused, report.left, report.joins = totals[:5]
    report.active_pairs = int(
        session.scalar(
            select(func.count()).where(
                Pair.team_id == team,
                Pair.created_at < _instant(period.end),
                Pair.status == PairStatus.ACTIVE
                if period.start is None
                else (Pair.ended_at.is_(None) | (Pair.ended_at >= _instant(period.start))),
            )
        )
        or 0
    )
    report.departments, hidden = _breakdown(
        ((str(row[0]), int(row[1] or 0), {}) for row in rows), report.k
    )
    report.departments_hidden = bool(hidden)
    return totals[5:]


def _span(periods: Sequence[Period]) -> Period:
    """The smallest period that covers all of these."""
    starts = [p.start for p in periods]
    if any(start is None for start in starts):
        return Period("span", "all", None, max(p.end for p in periods))
    return Period(
        "span", "days", min(s for s in starts if s is not None), max(p.end for p in periods)
    )


@dataclass
class _Meetings:
    """Jour fixes of one period by status, and whether at least k pairs had any."""

    activity: dict[str, int]
    enough_pairs: bool


def _meetings_by_day(
    team: str, periods: Sequence[Period], session: Session
) -> list[tuple[dt.date, str, int]]:
    """(day, status, jour fixes) over all the periods: one small aggregate per day."""
    rows = session.execute(
        select(JourFixe.occurrence, JourFixe.status, func.count())
        .join(Pair, Pair.id == JourFixe.pair_id)
        .where(Pair.team_id == team, _in_period(JourFixe.occurrence, _span(periods), as_date=True))
        .group_by(JourFixe.occurrence, JourFixe.status)
    ).all()
    return [(day, str(status), int(n)) for day, status, n in rows]


def _meetings(
    team: str,
    periods: Sequence[Period],
    days: Sequence[tuple[dt.date, str, int]],
    k: int,
    session: Session,
) -> list[_Meetings]:
    """Per period: jour fixes by status (added up from the days), and the k check on pairs.

    The k check only needs a yes or no, which the first few hundred jour fixes of a
    period almost always settle.
    """
    out = []
    for p in periods:
        activity = {s.value: 0 for s in MeetingStatus}
        for day, status, n in days:
            if p.contains(day):
                activity[status] += n
        enough = sum(activity.values()) >= k and _pairs_at_least(k, team, p, session)
        out.append(_Meetings(activity, enough))
    return out


def _pairs_at_least(k: int, team: str, period: Period, session: Session) -> bool:
    """Whether at least k pairs had a jour fixe in the period."""
    had = (
        select(JourFixe.pair_id)
        .join(Pair, Pair.id == JourFixe.pair_id)
        .where(Pair.team_id == team, _in_period(JourFixe.occurrence, period, as_date=True))
    )
    return _at_least(k, had, session)


def _rate(activity: Mapping[str, int]) -> float | None:
    decided = sum(activity[s] for s in ("met", "skipped", "missed"))
    return activity["met"] / decided if decided else None


@dataclass
class _Cell:
    """Poll figures of one (role, department) cell of the report's period. Each person is
    in exactly one cell, so respondents add up across cells."""

    role: str
    department: str
    polls: int = 0
    respondents: int = 0
    dist: list[int] = field(default_factory=lambda: [0] * 5)
    # Per text field: how many answers hold text in it.
    texts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(ANSWER_TEXT_FIELDS, 0))

    @property
    def answered(self) -> bool:
        """Someone counted rated here, or the sums hold ratings of people who have left."""
        return bool(self.respondents or any(self.dist))


def _ratings_of(cells: Iterable[_Cell]) -> Ratings:
    cells = list(cells)
    dist = [sum(c.dist[i] for c in cells) for i in range(5)]
    answers = sum(dist)
    total = sum((i + 1) * n for i, n in enumerate(dist))
    return Ratings(
        sum(c.respondents for c in cells),
        answers,
        (dist[0], dist[1], dist[2], dist[3], dist[4]),
        total / answers if answers else 0.0,
    )


def _has_text(name: str) -> Any:
    return Poll.answer_texts.op("&")(1 << ANSWER_TEXT_FIELDS.index(name)) != 0


def _polls_of(team: str, period: Period) -> Any:
    return and_(Poll.team_id == team, _in_period(Poll.occurrence, period, as_date=True))


def _poll_cells(team: str, period: Period, session: Session) -> list[_Cell]:
    """The period's polls per (role, department) cell.

    Polls, ratings and comments are added up from `poll_rollup` (per day and cell, kept by
    triggers); respondents, people, do not add up across days, so each person's polls are
    probed for a rating in the period.
    """
    r = PollRollup
    rows = session.execute(
        select(
            r.role,
            r.department,
            func.sum(r.polls),
            *(func.sum(getattr(r, f"r{n}")) for n in range(1, 6)),
            *(func.sum(getattr(r, f"t{i + 1}")) for i in range(len(ANSWER_TEXT_FIELDS))),
        )
        .where(r.team_id == team, _in_period(r.day, period, as_date=True))
        .group_by(r.role, r.department)
    ).all()
    cells = {}
    for role, dept, *figures in rows:
        values = [int(v or 0) for v in figures]
        cells[(str(role), str(dept))] = _Cell(
            str(role),
            str(dept),
            polls=values[0],
            dist=values[1:6],
            texts=dict(zip(ANSWER_TEXT_FIELDS, values[6:], strict=True)),
        )
    department = func.coalesce(Participant.department, NO_DEPARTMENT)
    # Per person, one probe into the poll index by person: is there a rating in the period?
    rated = (
        select(Poll.id)
        .where(
            Poll.participant_id == Participant.id,
            _in_period(Poll.occurrence, period, as_date=True),
            Poll.answer_rating.is_not(None),
        )
        .exists()
    )
    for role, dept, respondents in session.execute(
        select(Participant.role, department, func.count())
        .where(Participant.team_id == team, rated)
        .group_by(Participant.role, department)
    ):
        # setdefault: without a snapshot, someone may have moved between the two queries.
        key = (str(role), str(dept))
        cells.setdefault(key, _Cell(*key)).respondents = int(respondents)
    return list(cells.values())


def _people(*where: Any) -> Select[Any]:
    """The people whose polls match."""
    return select(Poll.participant_id).where(*where)


def _at_least(k: int, ids: Select[Any], session: Session) -> bool:
    """Whether the one-column query `ids` (people, pairs) yields at least k different ids.

    Only the yes or no is needed (a k-anonymity check). The first few hundred rows almost
    always settle it; only if they do not are all of them counted.
    """
    for query in (ids.limit(k * _AT_LEAST_PROBE), ids):
        found = query.subquery()
        column = next(iter(found.c))
        if int(session.scalar(select(func.count(distinct(column)))) or 0) >= k:
            return True
    return False


def _trend_ratings(
    team: str, periods: Sequence[Period], k: int, session: Session
) -> list[float | None]:
    """The average rating of each trend period, where at least k people gave one."""
    r = PollRollup
    answers = r.r1 + r.r2 + r.r3 + r.r4 + r.r5
    rating_sum = r.r1 + 2 * r.r2 + 3 * r.r3 + 4 * r.r4 + 5 * r.r5
    days = session.execute(
        select(r.day, func.sum(answers), func.sum(rating_sum))
        .where(r.team_id == team, _in_period(r.day, _span(periods), as_date=True))
        .group_by(r.day)
    ).all()
    averages: list[float | None] = []
    for p in periods:
        given = sum(int(n or 0) for day, n, _ in days if p.contains(day))
        total = sum(int(t or 0) for day, _, t in days if p.contains(day))
        rated = _people(_polls_of(team, p), Poll.answer_rating.is_not(None))
        shown = given >= k and _at_least(k, rated, session)
        averages.append(total / given if shown else None)
    return averages


_VIEWS = (("role", "by_role"), ("department", "by_department"))


def _views(
    cells: list[_Cell], k: int, forced: Mapping[str, set[str]] | None = None
) -> dict[str, tuple[list[Slice], set[str]]]:
    """Per view (role, department): the visible slices and the hidden keys.

    Role and department are two views of the same role x department cells: a slice that
    holds a cell below k is hidden in both, or one view minus the other would show that
    cell (six mentors in IT, one mentee in IT: "IT" minus "mentors" is the mentee). A cell
    may hold ratings of people who have left (kept in the sums, no longer counted as
    respondents): with fewer than k counted, even none, it is small all the same.
    """
    small = [c for c in cells if c.answered and c.respondents < k]
    out = {}
    for attribute, _ in _VIEWS:
        groups: dict[str, list[_Cell]] = {}
        for cell in cells:
            groups.setdefault(getattr(cell, attribute), []).append(cell)
        out[attribute] = _breakdown(
            (
                (name, ratings.respondents, {"ratings": ratings})
                for name, ratings in ((n, _ratings_of(g)) for n, g in groups.items())
            ),
            k,
            forced={getattr(c, attribute) for c in small} | (forced or {}).get(attribute, set()),
        )
    return out


def _written(team: str, period: Period, name: str) -> Any:
    # `answer_texts <> 0` lets the database read the small index of polls with text.
    return and_(_polls_of(team, period), Poll.answer_texts != 0, _has_text(name))


def _texts_shown(team: str, period: Period, n: int, name: str, k: int, session: Session) -> bool:
    """Whether the comments of one field are shown: at least THEMES_MIN, by at least k."""
    return n >= THEMES_MIN and _at_least(k, _people(_written(team, period, name)), session)


@dataclass
class _Guard:
    """What a quarter report must hide because one of its months' reports hides it: the
    quarter minus the months shown would give the hidden month."""

    total: bool = False
    forced: dict[str, set[str]] = field(default_factory=dict)
    texts: set[str] = field(default_factory=set)


def _months_of(quarter: Period) -> list[Period]:
    assert quarter.start is not None
    starts = [_add_months(quarter.start, i) for i in range(3)]
    return [Period(f"{d:%Y-%m}", "month", d, _add_months(d, 1)) for d in starts]


def _month_guard(team: str, quarter: Period, k: int, session: Session) -> _Guard:
    """Hide in the quarter what its months hide, unless the hidden months together are at
    least k people (comments: THEMES_MIN comments by k people) in at least two months."""
    months = _months_of(quarter)
    cells = {m.label: _poll_cells(team, m, session) for m in months}
    total_hidden: list[Period] = []
    slices_hidden: dict[tuple[str, str], list[Period]] = {}
    texts_hidden: dict[str, list[Period]] = {}
    for m in months:
        these = cells[m.label]
        shown = sum(c.respondents for c in these) >= k
        if not shown and any(c.answered for c in these):
            total_hidden.append(m)
        views = _views(these, k) if shown else {}
        for attribute, _ in _VIEWS:
            with_data = {getattr(c, attribute) for c in these if c.answered}
            hidden_keys = views[attribute][1] if shown else with_data
            for key in hidden_keys & with_data:
                slices_hidden.setdefault((attribute, key), []).append(m)
        for name in ANSWER_TEXT_FIELDS:
            n = sum(c.texts[name] for c in these)
            if n and not (shown and _texts_shown(team, m, n, name, k, session)):
                texts_hidden.setdefault(name, []).append(m)

    def rated(hidden: list[Period], *where: Any) -> bool:
        if len(hidden) < 2:
            return False
        polls = or_(*(_polls_of(team, m) for m in hidden))
        people = _people(polls, Poll.answer_rating.is_not(None), *where)
        if where:
            people = people.join(Participant, Participant.id == Poll.participant_id)
        return _at_least(k, people, session)

    guard = _Guard(total=bool(total_hidden) and not rated(total_hidden))
    column = {"role": Participant.role, "department": func.coalesce(Participant.department, "")}
    for (attribute, key), in_months in slices_hidden.items():
        if not rated(in_months, column[attribute] == key):
            guard.forced.setdefault(attribute, set()).add(key)
    for name, in_months in texts_hidden.items():
        n = sum(sum(c.texts[name] for c in cells[m.label]) for m in in_months)
        written = or_(*(_written(team, m, name) for m in in_months))
        if len(in_months) < 2 or n < THEMES_MIN or not _at_least(k, _people(written), session):
            guard.texts.add(name)
    return guard


def _satisfaction(
    report: Report, cells: list[_Cell], session: Session, guard: _Guard | None = None
) -> None:
    team, period, k = report.team_id, report.period, report.k
    guard = guard or _Guard()
    everyone = _ratings_of(cells)
    report.polls = sum(c.polls for c in cells)
    report.respondents = everyone.respondents
    shown = everyone.respondents >= k and not guard.total
    report.ratings = everyone if shown else None
    report.comments = {name: sum(c.texts[name] for c in cells) for name in ANSWER_TEXT_FIELDS}
    if report.ratings is None:
        return  # no breakdown, and no comments, of what is too small to show as a whole
    for attribute, (slices, hidden) in _views(cells, k, guard.forced).items():
        target = dict(_VIEWS)[attribute]
        setattr(report, target, slices)
        setattr(report, f"{target}_hidden", bool(hidden))
    shuffle = random.SystemRandom().shuffle
    for name, n in report.comments.items():
        if name not in guard.texts and _texts_shown(team, period, n, name, k, session):
            # Only the text: no author, date, pair or order that could point back to anyone.
            # A random sample of at most THEMES_SAMPLE, drawn in the database.
            written = _written(team, period, name)
            sample = select(Poll.id).where(written).order_by(func.random()).limit(THEMES_SAMPLE)
            column = getattr(PollAnswer, name)
            comments = [
                text
                for text in session.scalars(select(column).where(PollAnswer.poll_id.in_(sample)))
                if text  # the copy is kept by a trigger, but the text is what is shown
            ]
            shuffle(comments)
            report.themes[name] = comments


def _skills(report: Report, session: Session) -> None:
    rows = session.execute(
        select(
            ParticipantSkill.skill_key,
            func.count()
            .filter(ParticipantSkill.kind == SkillKind.OFFERED, Participant.role == Role.MENTOR)
            .label("offered"),
            func.count()
            .filter(ParticipantSkill.kind == SkillKind.WANTED, Participant.role == Role.MENTEE)
            .label("wanted"),
        )
        .join(Participant, Participant.id == ParticipantSkill.participant_id)
        .where(Participant.team_id == report.team_id, _enrolled_at_end(report.period))
        .group_by(ParticipantSkill.skill_key)
    ).all()
    report.skills = sorted(
        (SkillFigure(str(key), int(o), int(w)) for key, o, w in rows),
        key=lambda s: (-s.wanted, -s.offered, s.key),
    )


def _at_risk_now(team: str, k: int, session: Session) -> int | None:
    """Pairs at risk today (whatever the period), a count only.

    Hidden unless at least k pairs are active today, and unless at least k of them are not
    at risk (when nearly every pair is at risk, the count says it of each pair HR paired).
    """
    active = select(func.count()).where(Pair.team_id == team, Pair.status == PairStatus.ACTIVE)
    pairs = int(session.scalar(active) or 0)
    if pairs < k:
        return None
    at_risk = int(session.scalar(select(func.count()).select_from(pairs_at_risk_query(team))) or 0)
    return at_risk if pairs - at_risk >= k else None


def _monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def _met_per_week(
    span: Period, days: Sequence[tuple[dt.date, str, int]], k: int, today: dt.date
) -> list[tuple[dt.date, int | None]]:
    """Jour fixes met per week of the span up to this week, weeks without any included;
    None: hidden.

    The weeks are slices of the span's met total, which the report shows: they are
    suppressed like any other breakdown (a week of fewer than k meetings is hidden, and so
    is another one where the total minus the visible weeks would give it). If the hidden
    weeks cannot be made at least k meetings in at least two weeks, all weeks are hidden.
    """
    assert span.start is not None  # a month, quarter or day count, never `all`
    last = _monday(min(span.end - dt.timedelta(days=1), today))
    first = _monday(span.start)
    weeks = {first + dt.timedelta(weeks=i): 0 for i in range((last - first).days // 7 + 1)}
    for day, status, n in days:
        if status == MeetingStatus.MET.value and span.contains(day) and _monday(day) in weeks:
            weeks[_monday(day)] += n
    counts = {monday.isoformat(): n for monday, n in weeks.items()}
    hidden = suppress(counts, k)
    if hidden and (len(hidden) < 2 or sum(counts[key] for key in hidden) < k):
        hidden = set(counts)  # total minus the visible (zero) weeks would give them
    return [(monday, None if monday.isoformat() in hidden else n) for monday, n in weeks.items()]


def _trend(
    report: Report,
    periods: list[Period],
    joins: list[int],
    meetings: list[_Meetings],
    averages: list[float | None],
    days: Sequence[tuple[dt.date, str, int]],
) -> None:
    """Joins, meetings and ratings per trend period.

    For `all`, the trend's quarters are slices of the all-time activity the report shows:
    they are suppressed like a breakdown, so that the total minus the visible quarters (and
    the time before them) never gives a quarter whose pairs are too few.
    """
    hidden: set[str] = set()
    if report.period.kind == "all":
        # `meetings` holds one more entry than `periods` here: all time.
        quarters = dict(zip((p.label for p in periods), meetings[: len(periods)], strict=True))
        counts = {label: sum(m.activity.values()) for label, m in quarters.items()}
        first = periods[0].start
        assert first is not None  # the trend of `all` is made of quarters
        counts["before"] = sum(n for day, _, n in days if day < first)
        forced = {label for label, m in quarters.items() if counts[label] and not m.enough_pairs}
        hidden = suppress(counts, report.k, forced)
    points = []
    for i, p in enumerate(periods):
        activity = meetings[i].activity
        shown = meetings[i].enough_pairs and p.label not in hidden
        points.append(
            TrendPoint(
                p.label if p.kind != "days" else f"{p.start:%Y-%m-%d}",
                joins[i],
                activity["met"] if shown else None,
                _rate(activity) if shown else None,
                averages[i],
            )
        )
    report.trend = points


def build_report(
    team_id: str,
    period: Period,
    *,
    session: Session,
    k: int = K_DEFAULT,
    today: dt.date,
    helper: Session | None = None,
) -> Report:
    """The whole report for one workspace and period, computed in the database.

    The period's poll figures and the rest (people, jour fixes, skills, the trend) are
    independent: given a `helper` session on the same snapshot (`bot.store.db.read_snapshot`),
    the rest is computed on it in a second thread while the period's polls are read.
    """
    report = Report(team_id=team_id, period=period, k=max(K_MIN, k))
    report.ongoing = period.kind in ("month", "quarter") and period.end > today
    periods = trend_periods(period, today)
    # The report's own period is the trend's last one, except for `all`.
    asked = periods if periods[-1] == period else [*periods, period]

    def from_polls(db: Session) -> None:
        guard = _month_guard(team_id, period, report.k, db) if period.kind == "quarter" else None
        _satisfaction(report, _poll_cells(team_id, period, db), db, guard)

    def the_rest(
        db: Session,
    ) -> tuple[list[int], list[_Meetings], list[float | None], list[tuple[dt.date, str, int]]]:
        joins = _participation(report, periods, db)
        days = _meetings_by_day(team_id, asked, db)
        meetings = _meetings(team_id, asked, days, report.k, db)
        if meetings[-1].enough_pairs:
            report.activity = meetings[-1].activity
            report.meeting_rate = _rate(report.activity)
        report.at_risk = _at_risk_now(team_id, report.k, db)
        _skills(report, db)
        return joins, meetings, _trend_ratings(team_id, periods, report.k, db), days

    if helper is None or helper is session:
        from_polls(session)
        joins, meetings, averages, days = the_rest(session)
    else:
        # Each part writes fields of its own; the threads share nothing else.
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="report") as pool:
            rest = pool.submit(the_rest, helper)
            from_polls(session)
            joins, meetings, averages, days = rest.result()
    _trend(report, periods, joins, meetings, averages, days)
    # The weekly chart covers the period, or for `all` the current quarter (the trend's
    # last point), and only if that point's meetings are shown.
    if report.activity is not None and report.trend[-1].met is not None:
        report.met_per_week = _met_per_week(periods[-1], days, report.k, today)
    return report


def audit_request(
    team_id: str, requested_by: str, given: str, *, csv: bool, outcome: str, session: Session
) -> int:
    """Log a report request (before anything is computed); returns the audit row's id."""
    row = ReportAudit(
        team_id=team_id,
        requested_by=requested_by,
        period=given.strip()[:32] or "30d",
        csv=csv,
        outcome=outcome,
    )
    session.add(row)
    session.flush()
    return row.id


def finish_audit(audit_id: int, outcome: str, *, session: Session) -> None:
    """Record how a logged request ended (delivered, partial, failed)."""
    row = session.get(ReportAudit, audit_id)
    if row is not None:
        row.outcome = outcome
