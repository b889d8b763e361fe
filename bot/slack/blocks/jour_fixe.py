"""Jour-fixe nudges, "Did you meet?", feedback polls and the modals around them (pure builders)."""

from __future__ import annotations

import datetime as dt

from babel.dates import format_skeleton
from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    DatePickerElement,
    InputBlock,
    PlainTextInputElement,
    TimePickerElement,
)
from slack_sdk.models.views import View

from bot.i18n import Translator
from bot.services.jour_fixe import MeetingRefusal
from bot.services.timing import zone
from bot.slack.blocks.common import Message, button, context, escape, format_day, plain, section
from bot.slack.blocks.messages import notice
from bot.slack.blocks.profile import weekday_name
from bot.slack.ids import (
    POLL_RATE_PREFIX,
    CheckinActions,
    GhostActions,
    MoveModal,
    NudgeActions,
    PollActions,
    ThoughtModal,
)
from bot.slack.metadata import ModalMeta
from bot.store.models import FEEDBACK_TEXT_MAX, Poll, PollAnswer

RATINGS = (1, 2, 3, 4, 5)


def when_text(t: Translator, moment: dt.datetime, tz_name: str | None, now: dt.datetime) -> str:
    """ "today at 15:00", "tomorrow at 15:00" or "on Thursday, 3 December at 15:00", locally."""
    tz = zone(tz_name)
    local, today = moment.astimezone(tz), now.astimezone(tz).date()
    time = local.strftime("%H:%M")
    if local.date() == today:
        return t._("today at {time}", time=time)
    if local.date() == today + dt.timedelta(days=1):
        return t._("tomorrow at {time}", time=time)
    weekday = weekday_name(local.weekday(), t.language)
    day = f"{weekday}, {format_skeleton('MMMMd', local.date(), locale=t.language)}"
    return t._("on {day} at {time}", day=day, time=time)


def _privacy(t: Translator) -> str:
    return t._(
        ":lock: Confidential: your partner never sees your answers, and HR sees only totals "
        "over at least 5 people. Feedback is for the programme, never for performance appraisal."
    )


def nudge_message(
    t: Translator,
    *,
    jf_id: int,
    partner: str,
    meeting: dt.datetime,
    tz_name: str | None,
    now: dt.datetime,
    topic: str | None,
) -> Message:
    """The reminder before a jour fixe, with a topic suggestion and three buttons."""
    when = when_text(t, meeting, tz_name, now)
    head = t._(
        ":calendar: Your jour fixe with <@{partner}> is {when} ({zone}).",
        partner=partner,
        when=when,
        zone=zone(tz_name),
    )
    lines = [head]
    if topic:
        lines.append(t._("*A topic idea:* {topic}", topic=escape(topic)))
    value = str(jf_id)
    return Message(
        text=head,
        blocks=[
            section("\n".join(lines)),
            ActionsBlock(
                elements=[
                    button(t._("We met ✅"), NudgeActions.MET, value, style="primary"),
                    button(t._("Move it"), NudgeActions.MOVE, value),
                    button(t._("Skip this time"), NudgeActions.SKIP, value),
                ]
            ),
        ],
    )


def checkin_message(
    t: Translator,
    *,
    jf_id: int,
    partner: str,
    meeting: dt.datetime,
    tz_name: str | None,
    now: dt.datetime,
) -> Message:
    """ "Did you meet?" after a jour fixe that nobody has answered yet."""
    when = when_text(t, meeting, tz_name, now)
    text = t._(
        "Did you meet <@{partner}> for your jour fixe {when}?",
        partner=partner,
        when=when,
    )
    value = str(jf_id)
    return Message(
        text=text,
        blocks=[
            section(text),
            ActionsBlock(
                elements=[
                    button(t._("Yes"), CheckinActions.YES, value, style="primary"),
                    button(t._("No"), CheckinActions.NO, value),
                    button(t._("Moved"), CheckinActions.MOVED, value),
                ]
            ),
        ],
    )


def poll_message(
    t: Translator,
    *,
    poll_id: int,
    partner: str,
    day: dt.date,
    answer: PollAnswer | None = None,
) -> Message:
    """The private feedback poll: 1-5 buttons, "Share a thought", and what was recorded."""
    question = t._(
        "How valuable was your jour fixe with <@{partner}> on {day}?",
        partner=partner,
        day=format_day(t, day),
    )
    rating = answer.rating if answer is not None else None
    value = str(poll_id)
    buttons = [
        button(str(n), f"{POLL_RATE_PREFIX}{n}", value, style="primary" if n == rating else None)
        for n in RATINGS
    ]
    blocks: list[Block] = [
        section(question + "\n" + t._("1 = not at all, 5 = very valuable")),
        ActionsBlock(elements=buttons),
    ]
    if rating is not None:
        blocks.append(
            section(
                t._(
                    ":white_check_mark: Recorded: {rating} of 5. Thank you! Click another "
                    "number to change it.",
                    rating=rating,
                )
            )
        )
    shared = answer is not None and any(
        (answer.learned, answer.try_next, answer.keep, answer.stop, answer.start)
    )
    blocks += [
        ActionsBlock(
            elements=[
                button(
                    t._("Edit your thought") if shared else t._("Share a thought"),
                    PollActions.SHARE,
                    value,
                )
            ]
        ),
        context(_privacy(t)),
    ]
    return Message(text=question, blocks=blocks)


def poll_for(t: Translator, poll: Poll, answer: PollAnswer | None = None) -> Message:
    """The poll message of a stored poll, naming the partner and the day in the reader's zone."""
    pair, me = poll.jour_fixe.pair, poll.participant
    partner = pair.mentee if pair.mentor_id == me.id else pair.mentor
    day = poll.jour_fixe.effective_at.astimezone(zone(me.timezone)).date()
    return poll_message(t, poll_id=poll.id, partner=partner.slack_user_id, day=day, answer=answer)


def thought_too_long(t: Translator) -> str:
    """Inline error for a feedback field over the limit."""
    return t._("Please keep it under 500 characters.")


def thought_modal(t: Translator, meta: ModalMeta, answer: PollAnswer | None) -> View:
    """Short agile feedback: what I learned, what to try next, keep / stop / start."""

    def field(block_id: str, label: str, initial: str | None, multiline: bool = True) -> Block:
        return InputBlock(
            block_id=block_id,
            optional=True,
            label=plain(label),
            element=PlainTextInputElement(
                action_id=block_id,
                multiline=multiline,
                max_length=FEEDBACK_TEXT_MAX,
                initial_value=initial or None,
            ),
        )

    a = answer
    return View(
        type="modal",
        callback_id=ThoughtModal.CALLBACK,
        title=plain(t._("Share a thought")),
        submit=plain(t._("Send")),
        close=plain(t._("Cancel")),
        private_metadata=meta.dump(),
        blocks=[
            field(ThoughtModal.LEARNED, t._("What I learned"), a.learned if a else None),
            field(ThoughtModal.TRY_NEXT, t._("What to try next time"), a.try_next if a else None),
            field(ThoughtModal.KEEP, t._("Keep doing"), a.keep if a else None, False),
            field(ThoughtModal.STOP, t._("Stop doing"), a.stop if a else None, False),
            field(ThoughtModal.START, t._("Start doing"), a.start if a else None, False),
            context(_privacy(t)),
        ],
    )


def move_modal(t: Translator, meta: ModalMeta, current: dt.datetime) -> View:
    """Pick another day and time for this one jour fixe."""
    local = current.astimezone(zone(meta.timezone))
    return View(
        type="modal",
        callback_id=MoveModal.CALLBACK,
        title=plain(t._("Move this jour fixe")),
        submit=plain(t._("Move")),
        close=plain(t._("Cancel")),
        private_metadata=meta.dump(),
        blocks=[
            InputBlock(
                block_id=MoveModal.DATE,
                label=plain(t._("New date")),
                element=DatePickerElement(
                    action_id=MoveModal.DATE, initial_date=local.date().isoformat()
                ),
            ),
            InputBlock(
                block_id=MoveModal.TIME,
                label=plain(t._("New time")),
                hint=plain(t._("In the time zone {tz}.", tz=meta.timezone or "UTC")),
                element=TimePickerElement(
                    action_id=MoveModal.TIME, initial_time=local.strftime("%H:%M")
                ),
            ),
            context(t._("This moves only this one jour fixe; your rhythm stays the same.")),
        ],
    )


def move_problem(t: Translator) -> str:
    """Why a new time for a jour fixe was refused (shown inline in the modal)."""
    return t._("Pick a time in the future, within the next six weeks.")


def moved_notice(
    t: Translator, *, by: str, meeting: dt.datetime, tz_name: str | None, now: dt.datetime
) -> Message:
    """Tells the partner that the other moved this jour fixe."""
    return notice(
        t._(
            ":arrows_counterclockwise: <@{by}> moved your next jour fixe: this time only, it is "
            "{when} ({zone}).",
            by=by,
            when=when_text(t, meeting, tz_name, now),
            zone=zone(tz_name),
        )
    )


def skipped_notice(
    t: Translator, *, by: str, meeting: dt.datetime, tz_name: str | None, now: dt.datetime
) -> Message:
    """Tells the partner that the other skipped this jour fixe."""
    return notice(
        t._(
            "<@{by}> skips your jour fixe {when} this time. Your rhythm stays the same.",
            by=by,
            when=when_text(t, meeting, tz_name, now),
        )
    )


def ghost_message(t: Translator, *, misses: int, partner: str | None) -> Message:
    """Asked after three jour fixes in a row that did not happen and got no answer."""
    if partner:
        text = t._(
            "We haven't heard from you about your last {n} jour fixes with <@{partner}>. "
            "Would you like to pause the programme for a while? Nothing changes unless you "
            "choose.",
            n=misses,
            partner=partner,
        )
    else:
        text = t._(
            "We haven't heard from you about your last {n} jour fixes. Would you like to pause "
            "the programme for a while? Nothing changes unless you choose.",
            n=misses,
        )
    return Message(
        text=text,
        blocks=[
            section(text),
            ActionsBlock(
                elements=[
                    button(t._("Pause for 4 weeks"), GhostActions.PAUSE, "4w"),
                    button(t._("Keep going"), GhostActions.KEEP, "keep", style="primary"),
                ]
            ),
        ],
    )


def met_recorded(t: Translator, *, first_time: bool) -> Message:
    """Replaces the nudge or check-in after "We met"."""
    if first_time:
        return notice(
            t._(
                ":white_check_mark: Noted: you met. A short feedback poll is on its way "
                "to you both."
            )
        )
    return notice(t._(":white_check_mark: Already noted: you met. Nothing was changed."))


def skipped_recorded(t: Translator, partner: str) -> Message:
    """Replaces the nudge after "Skip this time"."""
    return notice(
        t._(
            "Skipped this time. <@{partner}> has been told; your rhythm stays the same.",
            partner=partner,
        )
    )


def not_met_recorded(t: Translator) -> Message:
    """Replaces the check-in after "No"."""
    return notice(t._("Thanks for letting us know. See you at the next jour fixe!"))


def moved_recorded(
    t: Translator, partner: str, meeting: dt.datetime, tz_name: str | None, now: dt.datetime
) -> Message:
    """Confirms a move to the person who moved it."""
    return notice(
        t._(
            "Moved: your jour fixe is now {when} ({zone}). <@{partner}> has been told.",
            when=when_text(t, meeting, tz_name, now),
            zone=zone(tz_name),
            partner=partner,
        )
    )


def thought_saved(t: Translator) -> Message:
    """Confirms that the free-text feedback was stored."""
    return notice(t._("Thank you for your thoughts. They stay confidential."))


def paused_by_ghost_check(t: Translator, until: dt.date) -> Message:
    """After "Pause for 4 weeks"."""
    return notice(
        t._(
            "Paused until {date}. No nudges until then. Type `/mentor resume` to come back "
            "earlier.",
            date=format_day(t, until),
        )
    )


def keep_going(t: Translator) -> Message:
    """After "Keep going"."""
    return notice(t._("Great, we'll keep the rhythm going."))


def meeting_refused(t: Translator, refusal: MeetingRefusal) -> Message:
    """Why a click on a jour fixe or poll did nothing."""
    return notice(
        {
            MeetingRefusal.NOT_FOUND: t._("This jour fixe no longer exists. Nothing was changed."),
            MeetingRefusal.NOT_A_MEMBER: t._(
                "Only the two people in this pairing can answer this. Nothing was changed."
            ),
            MeetingRefusal.ENDED: t._("This pairing has ended. Nothing was changed."),
            MeetingRefusal.BAD_TIME: move_problem(t),
        }[refusal]
    )
