"""Replies to `/mentor` sub-commands and the notices the bot sends."""

from __future__ import annotations

import datetime as dt

from slack_sdk.models.blocks import ActionsBlock, Block, ConfirmObject

from bot.i18n import Translator
from bot.services.catalog import CatalogDef
from bot.services.enrollment import PauseProblem
from bot.slack.blocks.common import Message, button, context, escape, format_day, plain, section
from bot.slack.blocks.profile import privacy_notice, profile_summary, role_label
from bot.slack.ids import Actions
from bot.store.models import Participant

UNKNOWN_ECHO_MAX = 40


def help_message(t: Translator, unknown: str | None = None, *, hr_admin: bool = False) -> Message:
    """What `/mentor` can do (HR admins also see matching); says which word was not understood."""
    lines = [
        t._(
            "*Reverse mentoring*: younger colleagues share digital skills, "
            "experienced colleagues learn them."
        ),
        "",
        t._("`/mentor join`: join the programme, or edit your profile"),
        t._("`/mentor skills`: change the skills you share or want to learn"),
        t._("`/mentor status`: see your profile and status"),
        t._("`/mentor schedule`: set or change your jour fixe (day, time, rhythm, time zone)"),
        t._("`/mentor pause [until YYYY-MM-DD | 2w]`: take a break from matching and reminders"),
        t._("`/mentor resume`: come back after a break"),
        t._("`/mentor mydata`: get everything stored about you as a file"),
        t._("`/mentor leave`: leave the programme and delete your data"),
        t._("`/mentor help`: show this help"),
    ]
    if hr_admin:
        lines.append(t._("`/mentor match`: preview a matching round and create the pairs (HR)"))
        lines.append(
            t._(
                "`/mentor report [30d | 90d | 2026-Q3 | 2026-10 | all] [csv]`:"
                " programme report (HR)"
            )
        )
    blocks: list[Block] = []
    if unknown is not None:
        word = unknown if len(unknown) <= UNKNOWN_ECHO_MAX else unknown[:UNKNOWN_ECHO_MAX] + "…"
        blocks.append(
            section(
                t._("I don't know the command `{word}`. Here is what I can do:", word=escape(word))
            )
        )
    blocks.append(section("\n".join(lines)))
    return Message(text=t._("How to use /mentor"), blocks=blocks)


def notice(text: str) -> Message:
    """A one-paragraph reply."""
    return Message(text=text, blocks=[section(text)])


def not_enrolled(t: Translator) -> Message:
    """The person has no profile yet."""
    return notice(t._("You haven't joined yet. Type `/mentor join` to take part."))


def status_message(
    t: Translator, catalog: CatalogDef, p: Participant, *, extra: list[Block] | None = None
) -> Message:
    """The person's profile and state (and pair, if any), shown only to them."""
    return Message(
        text=t._("Your reverse-mentoring profile"),
        blocks=[
            *profile_summary(t, catalog, p),
            *(extra or []),
            context(
                t._("Only you can see this. Change it with `/mentor join` or `/mentor skills`.")
            ),
        ],
    )


def joined_message(t: Translator, p: Participant, *, created: bool) -> Message:
    """Confirmation after the join modal was saved."""
    if created:
        text = t._(
            "Welcome to reverse mentoring! You're in as *{role}*. We'll introduce you to a partner "
            "at the next matching round.",
            role=role_label(t, p.role),
        )
    else:
        text = t._("Your profile is updated.")
    return Message(
        text=text,
        blocks=[
            section(text),
            context(t._("See your profile with `/mentor status`; change it with `/mentor join`.")),
        ],
    )


def paused_message(t: Translator, until: dt.date | None) -> Message:
    """Confirmation of a pause."""
    if until is None:
        text = t._(
            "You're on a break: no matching and no reminders until you type `/mentor resume`."
        )
    else:
        text = t._(
            "You're on a break until {date}: no matching and no reminders until then. "
            "Type `/mentor resume` to come back earlier.",
            date=format_day(t, until),
        )
    return notice(text)


def pause_problem(t: Translator, problem: PauseProblem) -> str:
    """Why a pause date was refused, in one sentence."""
    match problem:
        case PauseProblem.IN_PAST:
            return t._("That date is not in the future.")
        case PauseProblem.TOO_LONG:
            return t._("A break can last at most a year.")
        case PauseProblem.UNPARSEABLE:
            return t._("I didn't understand that.")


def pause_usage(t: Translator, problem: PauseProblem) -> Message:
    """Why a pause request was refused, and how to write it."""
    example = t._("Try `/mentor pause`, `/mentor pause 2w` or `/mentor pause until 2026-12-31`.")
    return notice(f"{pause_problem(t, problem)} {example}")


def skills_updated(t: Translator) -> Message:
    """Confirmation after the skills modal was saved."""
    return notice(t._("Your skills are updated."))


def resumed_message(t: Translator, *, was_paused: bool) -> Message:
    """Confirmation of a resume."""
    if was_paused:
        return notice(t._("Welcome back! You're in the matching pool again."))
    return notice(
        t._("You're not on a break, so there is nothing to resume. You're in the matching pool.")
    )


def leave_confirmation(t: Translator) -> Message:
    """Ask before erasing, with the consequences spelled out."""
    return Message(
        text=t._("Do you really want to leave reverse mentoring?"),
        blocks=[
            section(
                t._(
                    "*Do you really want to leave reverse mentoring?*\nThis deletes your profile, "
                    "skills and preferences. It cannot be undone, but you can join again any time."
                )
            ),
            ActionsBlock(
                elements=[
                    button(
                        t._("Yes, delete my data"), Actions.LEAVE_CONFIRM, "leave", style="danger"
                    ),
                    button(t._("No, stay"), Actions.LEAVE_CANCEL, "stay"),
                ]
            ),
        ],
    )


def leave_confirm_dialog(t: Translator) -> ConfirmObject:
    """The native confirm dialog for the Home tab's leave button."""
    return ConfirmObject(
        title=plain(t._("Leave the programme?")),
        text=plain(t._("This deletes your profile, skills and preferences. It cannot be undone.")),
        confirm=plain(t._("Delete my data")),
        deny=plain(t._("Cancel")),
        style="danger",
    )


def left_message(t: Translator, *, erased: bool) -> Message:
    """Confirmation that the data is gone."""
    if erased:
        return notice(
            t._(
                "Done. Your data is deleted and you have left the programme. "
                "Thank you for taking part!"
            )
        )
    return notice(t._("There was nothing to delete: you are not enrolled."))


def stay_message(t: Translator) -> Message:
    """The person decided not to leave."""
    return notice(t._("Good to have you! Nothing was changed."))


def apology(t: Translator, reference: str) -> Message:
    """An unexpected error, with a reference the person can quote."""
    return notice(
        t._(
            "Sorry, something went wrong on our side. Please try again in a moment. If it keeps "
            "happening, tell your HR team and quote reference `{ref}`.",
            ref=reference,
        )
    )


def slack_error(t: Translator, reference: str) -> Message:
    """Slack did not open a form in time; trying again is all it takes."""
    return notice(
        t._(
            "Slack took too long to open the form. Please try again. (Reference `{ref}`)",
            ref=reference,
        )
    )


def join_prompt(t: Translator) -> Message:
    """Offer to join, for people who are not enrolled."""
    return Message(
        text=t._("Join reverse mentoring"),
        blocks=[
            section(t._("You haven't joined yet.")),
            ActionsBlock(
                elements=[button(t._("Join now"), Actions.OPEN_JOIN, "join", style="primary")]
            ),
            context(privacy_notice(t)),
        ],
    )
