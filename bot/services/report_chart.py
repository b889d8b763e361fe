"""The PNG chart that goes with every HR report: meetings per week, rating trend, unmet skills.

Drawn with matplotlib's Agg backend (no display), from the report's aggregates only, so the
chart can never show more than the text does: hidden weeks and trend points stay hidden.
"""

from __future__ import annotations

import io
import math
import textwrap
from collections.abc import Callable
from typing import TYPE_CHECKING

from babel.dates import format_date

from bot.i18n import Translator
from bot.services.reports import Report

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

TOP_UNMET = 8
HIDDEN_GREY = "#9e9e9e"


def _title(text: str) -> str:
    return textwrap.fill(text, 34)


def chart_alt_text(title: str, t: Translator) -> str:
    """What the chart of the report `title` shows, for screen readers (Slack allows 1000
    characters)."""
    return t._(
        "{title}. Chart: jour fixes met per week, the average rating per period, and the"
        " skills mentees want that no mentor offers.",
        title=title,
    )[:1000]


def render_chart(report: Report, t: Translator, skill_label: Callable[[str], str]) -> bytes:
    """Three panels side by side, as PNG bytes."""
    out = io.BytesIO()
    chart_figure(report, t, skill_label).savefig(out, format="png")
    return out.getvalue()


def chart_figure(report: Report, t: Translator, skill_label: Callable[[str], str]) -> Figure:
    """The chart as a matplotlib figure (meetings per week, rating trend, unmet skills)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    figure = Figure(figsize=(14, 4.6), dpi=100, layout="constrained")
    weekly, trend, unmet = figure.subplots(1, 3)
    meetings_hidden = report.activity is None or (
        bool(report.trend) and report.trend[-1].met is None
    )

    weekly.set_title(_title(t._("Jour fixes met per week")))
    if report.met_per_week:
        weeks = report.met_per_week
        labels = [format_date(monday, "d MMM", locale=t.language) for monday, _ in weeks]
        weekly.bar(labels, [n or 0 for _, n in weeks], color="#2eb67d")
        hidden = [label for label, (_, n) in zip(labels, weeks, strict=True) if n is None]
        if hidden:
            weekly.scatter(
                hidden, [0] * len(hidden), marker="x", color=HIDDEN_GREY, zorder=3, clip_on=False
            )
            weekly.set_xlabel(t._("× hidden: too few meetings that week"), color=HIDDEN_GREY)
        weekly.set_ylabel(t._("Jour fixes met"))
        weekly.set_ylim(bottom=0, top=max(1, *(n or 0 for _, n in weeks)) * 1.05)
        weekly.tick_params(axis="x", labelrotation=60, labelsize=7)
        weekly.yaxis.set_major_locator(MaxNLocator(integer=True))
    else:
        empty = t._("Hidden: too few pairs") if meetings_hidden else t._("No jour fixes yet")
        _empty(weekly, empty)

    trend.set_title(_title(t._("Average rating per period")))
    if any(p.average is not None for p in report.trend):
        # A hidden period is a gap in the line, never bridged.
        averages = [math.nan if p.average is None else p.average for p in report.trend]
        trend.plot([p.label for p in report.trend], averages, marker="o")
        trend.set_ylim(1, 5)
        trend.set_ylabel(t._("Average rating (1–5)"))
        trend.tick_params(axis="x", labelrotation=30, labelsize=7)
        if any(p.average is None for p in report.trend):
            trend.set_xlabel(
                t._("gaps: hidden, fewer than {k} people rated", k=report.k), color=HIDDEN_GREY
            )
    else:
        _empty(trend, t._("Hidden: fewer than {k} people rated", k=report.k))

    unmet.set_title(_title(t._("Wanted, but no mentor offers it")))
    top = report.unmet[:TOP_UNMET]
    if top:
        unmet.barh(
            [textwrap.shorten(skill_label(s.key), 28, placeholder="…") for s in reversed(top)],
            [s.wanted for s in reversed(top)],
            color="#e01e5a",
        )
        unmet.set_xlabel(t._("Mentees who want it"))
        unmet.tick_params(axis="y", labelsize=7)
        unmet.xaxis.set_major_locator(MaxNLocator(integer=True))
    else:
        _empty(unmet, t._("none"))
    for axes in (weekly, trend, unmet):
        axes.spines[["top", "right"]].set_visible(False)

    return figure


def _empty(axes: Axes, text: str) -> None:
    """A panel with nothing to draw: the reason in its middle, no axes."""
    axes.text(0.5, 0.5, textwrap.fill(text, 30), ha="center", va="center", color=HIDDEN_GREY)
    axes.set_axis_off()
