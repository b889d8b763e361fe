"""The report's text: what HR reads must be true, complete and impossible to fake."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.i18n import translator
from bot.services.catalog import load_catalog
from bot.services.reports import (
    Period,
    PeriodError,
    Ratings,
    Report,
    Slice,
    TrendPoint,
    parse_period,
)
from bot.slack.blocks import report as report_blocks
from tests.helpers import text_of

OCTOBER = Period("2026-10", "month", dt.date(2026, 10, 1), dt.date(2026, 11, 1))
CATALOG = load_catalog()


def _text(report: Report, language: str = "en") -> str:
    message = report_blocks.report_message(translator(language), CATALOG, report)
    return text_of(message.as_kwargs())


def _report(**figures: object) -> Report:
    report = Report(team_id="T0001", period=OCTOBER, k=5, mentors=40, mentees=40)
    for name, value in figures.items():
        setattr(report, name, value)
    return report


def _ratings(n: int, average: float = 3.25) -> Ratings:
    return Ratings(respondents=n, answers=n, distribution=(0, 0, n, 0, 0), average=average)


def test_a_comment_is_one_quoted_line_and_cannot_pose_as_report_lines() -> None:
    fake = "ok\n*Satisfaction*\n• Sales: ⌀ 1.0 from 50 people"
    text = _text(_report(comments={"learned": 12}, themes={"learned": [fake]}))
    assert "> ok / *Satisfaction* / • Sales: ⌀ 1.0 from 50 people" in text
    assert "\n• Sales: ⌀ 1.0" not in text


def test_the_heading_counts_the_comments_actually_shown() -> None:
    long = [f"{i} " + "word " * 100 for i in range(8)]
    message = report_blocks.report_message(
        translator("en"), CATALOG, _report(comments={"learned": 40}, themes={"learned": long})
    )
    (section,) = [b for b in message.blocks if "of 40" in text_of(b.to_dict())]
    body = section.to_dict()["text"]["text"]
    shown = body.count("\n> ")
    assert f"({shown} of 40," in body
    assert 0 < shown <= 8 and len(body) <= 3000
    # Each comment cut at a word, none cut off by the section's limit.
    assert all(line.endswith("word …") for line in body.split("\n")[1:])


def test_many_departments_largest_first_and_the_rest_counted() -> None:
    departments = [Slice(f"Dept {i:02d}", 5 + i, {}) for i in range(30)]
    text = _text(_report(departments=departments))
    assert "• Dept 29: 34" in text and "• Dept 15: 20" in text
    assert "Dept 14" not in text
    assert "…and 15 more departments (see the CSV)" in text


def test_german_numbers_plurals_and_a_period_that_is_not_over() -> None:
    report = _report(
        mentors=1,
        mentees=2,
        active_pairs=1,
        ratings=_ratings(6, average=3.34),
        ongoing=True,
        trend=[TrendPoint("2026-10", 3, None, None, 3.34)],
    )
    german = _text(report, "de")
    assert "1 Mentor:in, 2 Mentees; 1 aktives Paar" in german
    assert "⌀ 3,3 von 6 Personen" in german and "⌀ Bewertung 3,3" in german
    assert "2026-10 ist noch nicht vorbei" in german
    english = _text(report)
    assert "1 mentor, 2 mentees; 1 active pair" in english
    assert "jour fixes met hidden" in english


def test_an_empty_past_period_does_not_say_nobody_has_joined_yet() -> None:
    empty = Report(team_id="T0001", period=OCTOBER, k=5)
    assert "Nobody was in the programme in 2026-10" in _text(empty)
    days = Report(team_id="T0001", period=Period("30d", "days", OCTOBER.start, OCTOBER.end), k=5)
    assert "Nobody has joined the programme yet" in _text(days)
    this_month = Report(team_id="T0001", period=OCTOBER, k=5, ongoing=True)
    assert "Nobody has joined the programme yet" in _text(this_month)


def test_a_period_typed_with_backticks_is_echoed_without_breaking_the_code_span() -> None:
    with pytest.raises(PeriodError) as caught:
        parse_period("`90d` <!here>", dt.date(2026, 12, 1))
    text = text_of(report_blocks.period_problem(translator("en"), caught.value).as_kwargs())
    assert "I don't know the period `'90d' &lt;!here&gt;`." in text
