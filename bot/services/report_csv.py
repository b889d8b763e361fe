"""The HR report as a CSV file: in the admin's language, safe and readable in a spreadsheet.

One row per figure: section, group, figure and value in words, then a stable key
(`section/group/figure`) for scripts that read the file whatever its language. Hidden
figures say so in words, never as a number. The file opens cleanly in Excel: a UTF-8 byte
order mark, `;` between cells where the language writes decimals with a comma (German
Excel expects it), and every text cell that a spreadsheet would run as a formula (`=`, `+`,
`-`, `@`) starts with an apostrophe.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable

from babel.numbers import format_decimal, get_decimal_symbol

from bot.i18n import Translator
from bot.services.reports import Ratings, Report
from bot.store.models import ANSWER_TEXT_FIELDS, MeetingStatus

HIDDEN = object()
BEGINNING = object()
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

Row = tuple[str, str, str, object]


def field_label(t: Translator, name: str) -> str:
    """The heading of one agile-feedback field."""
    return {
        "learned": t._("What I learned"),
        "try_next": t._("What to try next time"),
        "keep": t._("Keep"),
        "stop": t._("Stop"),
        "start": t._("Start"),
    }[name]


def csv_rows(report: Report) -> list[Row]:
    """The report as (section, group, figure, value) keys; HIDDEN where suppressed."""
    rows: list[Row] = []
    p = report.period
    rows.append(("period", "", "from", p.start if p.start else BEGINNING))
    rows.append(("period", "", "until", p.end - dt.timedelta(days=1)))
    rows.append(("period", "", "k", report.k))
    for name in ("mentors", "mentees", "active_pairs", "paused", "left", "joins"):
        rows.append(("participation", "all", name, getattr(report, name)))
    for s in report.departments:
        rows.append(("participation", f"department:{s.key}", "people", s.respondents))
    if report.departments_hidden:
        rows.append(("participation", "hidden:department", "people", HIDDEN))
    for status in MeetingStatus:
        value = report.activity[status.value] if report.activity is not None else HIDDEN
        rows.append(("activity", "all", status.value, value))
    rows.append(("activity", "all", "meeting_rate", _or_hidden(report.meeting_rate)))
    rows.append(("activity", "all", "pairs_at_risk_now", _or_hidden(report.at_risk)))
    rows.append(("satisfaction", "all", "polls", report.polls))
    rows.extend(_rating_rows("all", report.ratings))
    rows.append(("satisfaction", "all", "response_rate", _or_hidden(report.response_rate)))
    for prefix, slices, was_hidden in (
        ("role", report.by_role, report.by_role_hidden),
        ("department", report.by_department, report.by_department_hidden),
    ):
        for s in slices:
            rows.extend(_rating_rows(f"{prefix}:{s.key}", s.figures["ratings"]))
        if was_hidden:
            rows.append(("satisfaction", f"hidden:{prefix}", "average", HIDDEN))
    for skill in report.skills:
        rows.append(("skills", f"skill:{skill.key}", "offered_by_mentors", skill.offered))
        rows.append(("skills", f"skill:{skill.key}", "wanted_by_mentees", skill.wanted))
    for name, n in report.comments.items():
        rows.append(("comments", f"field:{name}", "count", n))
        rows.extend(
            ("comments", f"field:{name}", "text", text) for text in report.themes.get(name, [])
        )
    for point in report.trend:
        rows.append(("trend", point.label, "joins", point.joins))
        rows.append(("trend", point.label, "met", _or_hidden(point.met)))
        rows.append(("trend", point.label, "meeting_rate", _or_hidden(point.meeting_rate)))
        rows.append(("trend", point.label, "average_rating", _or_hidden(point.average)))
    return rows


def _or_hidden(value: float | int | None) -> object:
    return HIDDEN if value is None else value


def _rating_rows(group: str, ratings: Ratings | None) -> list[Row]:
    if ratings is None:
        return [("satisfaction", group, "average", HIDDEN)]
    rows: list[Row] = [
        ("satisfaction", group, "respondents", ratings.respondents),
        ("satisfaction", group, "average", ratings.average),
    ]
    rows.extend(
        ("satisfaction", group, f"rating_{n}", ratings.distribution[n - 1]) for n in range(1, 6)
    )
    return rows


def _sections(t: Translator) -> dict[str, str]:
    return {
        "period": t._("Period"),
        "participation": t._("Participation"),
        "activity": t._("Activity"),
        "satisfaction": t._("Satisfaction"),
        "skills": t._("Skills"),
        "comments": t._("Free-text feedback"),
        "trend": t._("Trend"),
    }


def _figures(t: Translator) -> dict[str, str]:
    figures = {
        "from": t._("from"),
        "until": t._("until"),
        "k": t._("smallest group shown (k)"),
        "mentors": t._("mentors"),
        "mentees": t._("mentees"),
        "active_pairs": t._("active pairs"),
        "paused": t._("paused now"),
        "left": t._("left"),
        "joins": t._("joined"),
        "people": t._("people"),
        "planned": t._("jour fixes still open"),
        "met": t._("jour fixes met"),
        "skipped": t._("jour fixes skipped"),
        "missed": t._("jour fixes missed"),
        "moved": t._("jour fixes moved"),
        "meeting_rate": t._("meeting rate"),
        "pairs_at_risk_now": t._("pairs at risk now (3 missed in a row)"),
        "polls": t._("polls sent"),
        "respondents": t._("people who rated"),
        "average": t._("average rating (1-5)"),
        "response_rate": t._("response rate"),
        "offered_by_mentors": t._("offered by mentors"),
        "wanted_by_mentees": t._("wanted by mentees"),
        "count": t._("comments"),
        "text": t._("comment"),
        "average_rating": t._("average rating (1-5)"),
    }
    figures.update({f"rating_{n}": t._("rated {n} of 5", n=n) for n in range(1, 6)})
    return figures


def _group(t: Translator, key: str, skill_label: Callable[[str], str]) -> str:
    kind, _, name = key.partition(":")
    if key == "all":
        return t._("everyone")
    if kind == "hidden":  # never a department's name: those are "department:…"
        return t._("smaller groups together")
    if kind == "department":
        return t._("department: {name}", name=name) if name else t._("(no department given)")
    if kind == "role":
        return {"mentor": t._("Mentors"), "mentee": t._("Mentees")}.get(name, name)
    if kind == "skill":
        return skill_label(name)
    if kind == "field" and name in ANSWER_TEXT_FIELDS:
        return field_label(t, name)
    return key  # a period's label, or nothing


def _cell(value: object, t: Translator) -> object:
    """A value as the spreadsheet should see it."""
    if value is HIDDEN:
        return t._("hidden (fewer than k)")
    if value is BEGINNING:
        return t._("the beginning")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return format_decimal(round(value, 3), format="0.###", locale=t.language)
    return value


def _safe(cell: object) -> object:
    """Text that a spreadsheet would run as a formula is kept as text."""
    if isinstance(cell, str) and cell.startswith(_FORMULA_START):
        return "'" + cell
    return cell


def csv_text(report: Report, t: Translator, skill_label: Callable[[str], str]) -> str:
    """The report as a CSV file's text, in the translator's language."""
    sections, figures = _sections(t), _figures(t)
    delimiter = ";" if get_decimal_symbol(t.language) == "," else ","
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter)
    writer.writerow([t._("Section"), t._("Group"), t._("Figure"), t._("Value"), t._("Key")])
    for section, group, figure, value in csv_rows(report):
        row = [
            sections[section],
            _group(t, group, skill_label),
            figures[figure],
            _cell(value, t),
            f"{section}/{group}/{figure}",
        ]
        writer.writerow([_safe(cell) for cell in row])
    return "\ufeff" + out.getvalue()
