"""Delivering an HR report to the admin's DM: the chart, the CSV on request, then the text."""

from __future__ import annotations

from slack_sdk import WebClient

from bot.i18n import Translator
from bot.services import reports
from bot.services.catalog import CatalogDef
from bot.services.report_chart import chart_alt_text, render_chart
from bot.services.report_csv import csv_text
from bot.slack.blocks import report as report_blocks
from bot.slack.blocks.profile import skill_label
from bot.slack.posting import upload_quietly


def deliver_report(
    client: WebClient,
    channel: str,
    t: Translator,
    catalog: CatalogDef,
    report: reports.Report,
    *,
    csv: bool,
    ref: str | None,
) -> bool:
    """Upload the files, then post the text (which says what could not be attached).

    Returns whether every file arrived. The text goes out whatever happened to the files.
    """
    labels = {s.key: skill_label(catalog, s.key, t.language) for s in report.skills}

    def label(key: str) -> str:
        return labels.get(key, key)

    title = report_blocks.report_title(t, report.period)
    stem = f"mentoring-report-{report.period.label}"
    notes = []
    # An empty programme gets no chart: three empty panels say nothing the text does not.
    if not report.empty and not upload_quietly(
        client,
        channel,
        render_chart(report, t, label),
        filename=f"{stem}.png",
        title=title,
        alt_text=chart_alt_text(title, t),
        what="report chart",
        ref=ref,
    ):
        notes.append(report_blocks.upload_failed(t, "chart"))
    if csv and not upload_quietly(
        client,
        channel,
        csv_text(report, t, label),
        filename=f"{stem}.csv",
        title=title,
        what="report CSV",
        ref=ref,
    ):
        notes.append(report_blocks.upload_failed(t, "csv"))
    message = report_blocks.report_message(t, catalog, report, notes=notes)
    client.chat_postMessage(channel=channel, **message.as_kwargs())
    return not notes
