"""The report's chart shows what the text shows, and marks what is hidden as hidden."""

from __future__ import annotations

import datetime as dt
import math

from bot.i18n import translator
from bot.services.report_chart import chart_figure, render_chart
from bot.services.reports import Period, Report, SkillFigure, TrendPoint

OCTOBER = Period("2026-10", "month", dt.date(2026, 10, 1), dt.date(2026, 11, 1))
WEEKS = [dt.date(2026, 9, 28) + dt.timedelta(weeks=i) for i in range(5)]


def _report() -> Report:
    report = Report(team_id="T0001", period=OCTOBER, k=5, mentors=20, mentees=20)
    report.activity = {"planned": 0, "met": 31, "skipped": 0, "missed": 0, "moved": 0}
    report.met_per_week = list(zip(WEEKS, [0, 12, None, 14, None], strict=True))
    report.trend = [
        TrendPoint("2026-07", 3, 10, 0.8, 4.1),
        TrendPoint("2026-08", 3, None, None, None),
        TrendPoint("2026-09", 3, 10, 0.8, 3.6),
        TrendPoint("2026-10", 3, 31, 0.9, 4.4),
    ]
    report.skills = [SkillFigure("ai_assistants", 0, 12)]
    return report


def test_hidden_weeks_are_marked_and_hidden_periods_are_gaps_not_bridged() -> None:
    weekly, trend, unmet = chart_figure(_report(), translator("en"), str).axes
    heights = [bar.get_height() for bar in weekly.patches]
    assert heights == [0, 12, 0, 14, 0]
    (markers,) = weekly.collections  # one × per hidden week, at the bottom
    assert [tuple(xy) for xy in markers.get_offsets()] == [(2, 0), (4, 0)]
    assert "hidden" in weekly.get_xlabel()
    (line,) = trend.lines
    averages = list(line.get_ydata())
    assert averages[0] == 4.1 and math.isnan(averages[1]) and averages[3] == 4.4
    assert [bar.get_width() for bar in unmet.patches] == [12]


def test_weeks_all_hidden_keep_a_count_axis_from_zero() -> None:
    report = _report()
    report.met_per_week = [(week, None) for week in WEEKS]
    weekly = chart_figure(report, translator("de"), str).axes[0]
    assert weekly.get_ylim()[0] == 0
    assert "ausgeblendet" in weekly.get_xlabel()


def test_an_empty_report_still_renders_a_png() -> None:
    empty = Report(team_id="T0001", period=OCTOBER, k=5)
    assert render_chart(empty, translator("en"), str).startswith(b"\x89PNG")
