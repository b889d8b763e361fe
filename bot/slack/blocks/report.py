"""The HR report in Block Kit, and the replies around it. Figures only, never a person."""

from __future__ import annotations

from typing import Literal

from babel.numbers import format_decimal, format_percent
from slack_sdk.models.blocks import Block, DividerBlock, HeaderBlock

from bot.i18n import Translator
from bot.services.catalog import CatalogDef
from bot.services.report_csv import field_label
from bot.services.reports import Period, PeriodError, Ratings, Report, Slice
from bot.slack.blocks.common import Message, context, escape, plain, section
from bot.slack.blocks.messages import notice
from bot.slack.blocks.profile import skill_label
from bot.store.models import ANSWER_TEXT_FIELDS

TOP_SKILLS = 8
THEMES_SHOWN = 8
# Each quoted comment is cut to this many characters, and the quotes of one field to what
# fits in a section with its heading.
THEME_CHARS = 300
THEMES_BUDGET = 2700
DEPARTMENTS_SHOWN = 15


def report_title(t: Translator, period: Period) -> str:
    """The report's heading, also the title of its chart and CSV file."""
    return t._("Reverse mentoring report: {period}", period=period_name(t, period))


def period_name(t: Translator, period: Period) -> str:
    """`last 30 days`, `2026-Q3`, `2026-10` or `since the start`."""
    if period.kind == "days":
        return t._("the last {days} days", days=period.days)
    if period.kind == "all":
        return t._("the whole programme")
    return period.label


def _pct(share: float | None, t: Translator) -> str:
    if share is None:
        return t._("hidden")
    return str(format_percent(share, locale=t.language))


def _one_decimal(value: float, t: Translator) -> str:
    """3.3 in English, 3,3 in German."""
    return str(format_decimal(value, format="0.0", locale=t.language))


def _by_size(slices: list[Slice]) -> list[Slice]:
    """Largest first: if the list is cut, the big groups stay."""
    return sorted(slices, key=lambda s: (-s.respondents, s.key))


def _more(t: Translator, slices: list[Slice]) -> list[str]:
    """A line for the groups beyond DEPARTMENTS_SHOWN, which only the CSV lists."""
    rest = len(slices) - DEPARTMENTS_SHOWN
    if rest <= 0:
        return []
    return [
        "• "
        + t.n_(
            "…and {n} more department (see the CSV)",
            "…and {n} more departments (see the CSV)",
            rest,
        )
    ]


def _quote(text: str) -> str:
    """A comment as one quoted line: its own line breaks would look like report lines."""
    flat = " / ".join(line.strip() for line in text.splitlines() if line.strip())
    if len(flat) > THEME_CHARS:
        cut = flat[:THEME_CHARS]
        space = cut.rfind(" ")
        flat = (cut[:space] if space > THEME_CHARS // 2 else cut).rstrip() + " …"
    return "> " + escape(flat)


def _department(t: Translator, key: str) -> str:
    return escape(key) if key else t._("(no department given)")


def _ratings_line(t: Translator, ratings: Ratings) -> str:
    bars = " · ".join(f"{n}★ {count}" for n, count in enumerate(ratings.distribution, start=1))
    average = _one_decimal(ratings.average, t)
    return t._(
        "⌀ {average} from {respondents} people ({bars})",
        average=average,
        respondents=ratings.respondents,
        bars=bars,
    )


def report_message(
    t: Translator, catalog: CatalogDef, report: Report, *, notes: list[str] | None = None
) -> Message:
    """The whole report for the admin's DM."""
    k = report.k
    title = report_title(t, report.period)
    blocks: list[Block] = [HeaderBlock(text=plain(title[:150]))]
    if report.empty:
        if report.period.kind in ("days", "all") or report.ongoing:
            nothing = t._("Nobody has joined the programme yet, so there is nothing to report.")
        else:
            nothing = t._(
                "Nobody was in the programme in {period}, so there is nothing to report.",
                period=report.period.label,
            )
        blocks.append(section(nothing))
        blocks += [context(note) for note in notes or []]
        return Message(text=title, blocks=blocks)
    if report.ongoing:
        blocks.append(
            context(
                t._(
                    "{period} is not over yet: these are the figures up to today.",
                    period=report.period.label,
                )
            )
        )

    participation = [
        t._(
            "*Participants:* {mentors}, {mentees}; {pairs}",
            mentors=t.n_("{n} mentor", "{n} mentors", report.mentors),
            mentees=t.n_("{n} mentee", "{n} mentees", report.mentees),
            pairs=t.n_("{n} active pair", "{n} active pairs", report.active_pairs),
        ),
        t._(
            "*Joined in this period:* {joins} · *left:* {left} · *paused now:* {paused}",
            joins=report.joins,
            left=report.left,
            paused=report.paused,
        ),
    ]
    departments = [
        f"• {_department(t, s.key)}: {s.respondents}"
        for s in _by_size(report.departments)[:DEPARTMENTS_SHOWN]
    ]
    departments += _more(t, report.departments)
    if report.departments_hidden:
        departments.append("• " + t._("Smaller departments: hidden (fewer than {k} people)", k=k))
    if departments:
        participation.append(t._("*By department:*") + "\n" + "\n".join(departments))
    blocks += [section(t._("*Participation*")), section("\n".join(participation))]

    if report.activity is None:
        activity = [
            t._(
                "Too few pairs met in this period to show their jour fixes (fewer than {k}).",
                k=k,
            )
        ]
    else:
        a = report.activity
        activity = [
            t._(
                "*Jour fixes:* {met} met, {skipped} skipped, {missed} missed, {moved} moved,"
                " {planned} still open",
                met=a["met"],
                skipped=a["skipped"],
                missed=a["missed"],
                moved=a["moved"],
                planned=a["planned"],
            ),
            t._("*Meeting rate:* {rate}", rate=_pct(report.meeting_rate, t)),
        ]
    if report.at_risk is not None:
        activity.append(t._("*Pairs at risk now* (3 missed in a row): {n}", n=report.at_risk))
    blocks += [DividerBlock(), section(t._("*Activity*")), section("\n".join(activity))]

    if report.ratings is None:
        satisfaction = [
            t._(
                "Fewer than {k} people rated their sessions in this period, so ratings are hidden.",
                k=k,
            )
        ]
    else:
        satisfaction = [
            t._("*How valuable were the sessions:*") + " " + _ratings_line(t, report.ratings),
            t._("*Response rate:* {rate}", rate=_pct(report.response_rate, t)),
        ]
        role_names = {"mentor": t._("Mentors"), "mentee": t._("Mentees")}
        for s in report.by_role:
            line = _ratings_line(t, s.figures["ratings"])
            satisfaction.append(f"• {role_names.get(s.key, s.key)}: {line}")
        if report.by_role_hidden:
            hidden = t._(
                "By role: hidden, so that no group of fewer than {k} people can be worked out",
                k=k,
            )
            satisfaction.append("• " + hidden)
        for s in _by_size(report.by_department)[:DEPARTMENTS_SHOWN]:
            satisfaction.append(
                f"• {_department(t, s.key)}: {_ratings_line(t, s.figures['ratings'])}"
            )
        satisfaction += _more(t, report.by_department)
        if report.by_department_hidden:
            satisfaction.append(
                "• " + t._("Smaller departments: hidden (fewer than {k} people)", k=k)
            )
    blocks += [DividerBlock(), section(t._("*Satisfaction*")), section("\n".join(satisfaction))]

    def label(key: str) -> str:
        return skill_label(catalog, key, t.language)

    skills = [
        t._(
            "• {skill}: offered by {offered}, wanted by {wanted}",
            skill=label(s.key),
            offered=s.offered,
            wanted=s.wanted,
        )
        for s in report.skills[:TOP_SKILLS]
    ]
    unmet = ", ".join(f"{label(s.key)} ({s.wanted})" for s in report.unmet[:TOP_SKILLS])
    skill_lines = [t._("*Supply and demand* (mentors offering, mentees wanting):"), *skills]
    if unmet:
        skill_lines.append(t._("*Wanted, but no mentor offers it:* {skills}", skills=unmet))
    elif report.skills:
        skill_lines.append(t._("Every wanted skill has at least one mentor."))
    else:
        skill_lines = [t._("Nobody has named a skill yet.")]
    blocks += [DividerBlock(), section(t._("*Skills*")), section("\n".join(skill_lines))]

    comments = [
        f"• {field_label(t, name)}: {report.comments.get(name, 0)}" for name in ANSWER_TEXT_FIELDS
    ]
    comment_blocks: list[Block] = [
        section(t._("*Comments shared* (counts):") + "\n" + "\n".join(comments))
    ]
    for name, texts in report.themes.items():
        # As many whole quotes as fit in one section, and the heading says how many.
        quotes: list[str] = []
        room = THEMES_BUDGET
        for quote in map(_quote, texts[:THEMES_SHOWN]):
            if len(quote) > room:
                break
            quotes.append(quote)
            room -= len(quote) + 1
        comment_blocks.append(
            section(
                t._(
                    "*{field}* ({shown} of {n}, shuffled, without names or dates):",
                    field=field_label(t, name),
                    shown=len(quotes),
                    n=report.comments.get(name, len(texts)),
                )
                + "\n"
                + "\n".join(quotes)
            )
        )
    blocks += [DividerBlock(), section(t._("*Free-text feedback*")), *comment_blocks]

    trend = [
        t._(
            "• {period}: joined {joins} · jour fixes met {met} · meeting rate {rate}"
            " · ⌀ rating {avg}",
            period=p.label,
            joins=p.joins,
            met=t._("hidden") if p.met is None else p.met,
            rate=_pct(p.meeting_rate, t),
            avg=t._("hidden") if p.average is None else _one_decimal(p.average, t),
        )
        for p in report.trend
    ]
    blocks += [DividerBlock(), section(t._("*Trend*") + "\n" + "\n".join(trend))]
    footer = [
        t._(
            "Only groups of at least {k} people are shown, and nothing that would let you work"
            " out a hidden group. Feedback is for the programme, never for performance appraisal.",
            k=k,
        )
    ]
    blocks += [context(line) for line in [*footer, *(notes or [])]]
    return Message(text=title, blocks=blocks[:50])


def report_on_its_way(t: Translator, period: Period, *, csv: bool) -> Message:
    """The ephemeral answer to `/mentor report`."""
    if csv:
        return notice(
            t._(
                "Preparing the report for {period}."
                " It arrives in your DM with a chart and a CSV file.",
                period=period_name(t, period),
            )
        )
    return notice(
        t._(
            "Preparing the report for {period}. It arrives in your DM with a chart.",
            period=period_name(t, period),
        )
    )


def period_problem(t: Translator, error: PeriodError) -> Message:
    """An unknown or future period, with the accepted forms."""
    # Shown in `code`: a backtick of its own would end that early.
    given = escape(error.given[:32].replace("`", "'"))
    if error.problem == "future":
        text = t._("The period `{given}` has not started yet.", given=given)
    else:
        text = t._("I don't know the period `{given}`.", given=given)
    return notice(
        text
        + " "
        + t._(
            "Try `/mentor report 30d`, `90d`, `2026-Q3`, `2026-10` or `all`,"
            " and add `csv` for a file."
        )
    )


def not_allowed_report(t: Translator) -> Message:
    """A non-admin asked for a report."""
    return notice(
        t._(
            "Sorry, reports are only for the programme's HR admins."
            " Your own data is always available with `/mentor mydata`."
        )
    )


def upload_failed(t: Translator, what: Literal["chart", "csv"]) -> str:
    """A note under the report: a file could not be attached."""
    if what == "chart":
        return t._("⚠️ The chart could not be attached. Please try again later.")
    return t._("⚠️ The CSV file could not be attached. Please try again later.")


def mydata_on_its_way(t: Translator) -> Message:
    """The ephemeral answer to `/mentor mydata`."""
    return notice(t._("I'm sending you everything stored about you as a JSON file in your DM."))


def mydata_title(t: Translator) -> str:
    """The title of the exported file."""
    return t._("Your data in the reverse mentoring programme")


def mydata_message(t: Translator) -> str:
    """The comment that goes with the export."""
    return t._("Here is everything this bot stores about you. To delete it, type `/mentor leave`.")


def mydata_failed(t: Translator) -> Message:
    """The export could not be uploaded."""
    return notice(
        t._("Sorry, I could not send your data just now. Please try `/mentor mydata` again later.")
    )
