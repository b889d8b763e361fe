"""The PNG chart that goes with every HR report: meetings per week, rating trend, unmet skills.

Drawn with matplotlib's Agg backend (no display), from the report's aggregates only, so the
chart can never show more than the text does.
"""

from __future__ import annotations

import io
from collections.abc import Callable

from bot.i18n import Translator
from bot.services.reports import Report

TOP_UNMET = 8


def render_chart(report: Report, t: Translator, skill_label: Callable[[str], str]) -> bytes:
    """Three panels side by side, as PNG bytes."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    figure = Figure(figsize=(13, 4), dpi=100, layout="constrained")
    weekly, trend, unmet = figure.subplots(1, 3)

    weekly.set_title(t._("Jour fixes met per week"))
    if report.met_per_week:
        weeks = [monday.strftime("%d.%m.") for monday, _ in report.met_per_week]
        weekly.bar(weeks, [n for _, n in report.met_per_week], color="#2eb67d")
        weekly.tick_params(axis="x", labelrotation=60, labelsize=7)
    else:
        weekly.text(0.5, 0.5, t._("hidden or none"), ha="center", va="center")
        weekly.set_xticks([])

    trend.set_title(t._("Average rating per period"))
    shown = [(p.label, p.average) for p in report.trend if p.average is not None]
    if shown:
        trend.plot([label for label, _ in shown], [avg for _, avg in shown], marker="o")
        trend.set_ylim(1, 5)
        trend.tick_params(axis="x", labelrotation=30, labelsize=7)
    else:
        trend.text(0.5, 0.5, t._("hidden or none"), ha="center", va="center")
        trend.set_xticks([])

    unmet.set_title(t._("Wanted, but no mentor offers it"))
    top = report.unmet[:TOP_UNMET]
    if top:
        unmet.barh([skill_label(s.key) for s in reversed(top)], [s.wanted for s in reversed(top)])
        unmet.tick_params(axis="y", labelsize=7)
    else:
        unmet.text(0.5, 0.5, t._("none"), ha="center", va="center")
        unmet.set_yticks([])
    for axes in (weekly, trend, unmet):
        axes.spines[["top", "right"]].set_visible(False)

    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()
