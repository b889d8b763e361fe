"""Matching previews for HR, intros for new pairs, and the messages around a pair's life."""

from __future__ import annotations

import datetime as dt

from babel.dates import format_date
from babel.lists import format_list
from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ConfirmObject,
    DividerBlock,
    HeaderBlock,
    InputBlock,
    Option,
    StaticSelectElement,
    TimePickerElement,
)
from slack_sdk.models.views import View

from bot.i18n import Translator
from bot.services.catalog import CatalogDef
from bot.services.pairing import Delivery, PairRefusal, RoundRefusal, RoundSummary
from bot.services.timing import zone as zone_of
from bot.slack.blocks.common import Message, button, context, format_day, plain, section
from bot.slack.blocks.messages import notice
from bot.slack.blocks.profile import WEEKDAYS, cadence_label, skill_label, weekday_name
from bot.slack.ids import MatchActions, PairActions, ScheduleModal
from bot.slack.metadata import ModalMeta
from bot.store.models import Cadence, Pair

TOP_UNMET = 5


def _skills(t: Translator, catalog: CatalogDef, keys: list[str] | tuple[str, ...]) -> str:
    labels = [skill_label(catalog, k, t.language) for k in keys]
    return format_list(labels, locale=t.language) if labels else t._("none")


# Below this, a count could point at individuals in a small pool (GUIDE §3).
SMALL_COUNT = 5


def _count(t: Translator, n: int) -> str:
    return str(n) if n >= SMALL_COUNT else t._("fewer than {k}", k=SMALL_COUNT)


def _percent(share: float) -> str:
    return f"{round(share * 100)} %"


def unmatched_reason(t: Translator, reason: str) -> str:
    """Why someone was not matched this round, in one sentence."""
    return {
        "no_partners_in_pool": t._(
            "This round there was nobody in the other role to pair you with."
        ),
        "nothing_to_offer": t._("No mentee currently wants a skill you offer."),
        "nothing_offered": t._("No mentor offers what you want to learn yet."),
        "no_compatible_partner": t._(
            "The people whose skills fit yours did not fit otherwise: department, language, "
            "working hours or an earlier pairing."
        ),
        "partners_taken": t._("Everyone who fits you was already paired in this round."),
        "unreachable": t._("We could not reach your match in Slack."),
        "partner_unavailable": t._("Your planned match is no longer available this round."),
    }.get(reason, t._("We could not find a good match for you this time."))


def preview_message(t: Translator, catalog: CatalogDef, summary: RoundSummary) -> Message:
    """The HR preview: figures only, never names, with Create and Cancel."""
    lines = [
        t._(
            "*Pool:* {mentors} mentors, {mentees} mentees",
            mentors=summary.mentors,
            mentees=summary.mentees,
        ),
        t._("*Pairs planned:* {pairs}", pairs=summary.pairs),
        t._("*Average match score:* {score}", score=_percent(summary.average_score)),
        t._(
            "*Mentees with at least one wanted skill covered:* {share}",
            share=_percent(summary.covered_share),
        ),
    ]
    blocks: list[Block] = [
        HeaderBlock(text=plain(t._("Matching preview"))),
        section("\n".join(lines)),
    ]
    if summary.unmatched:
        reasons = "\n".join(
            f"• {unmatched_reason(t, reason)} ({_count(t, count)})"
            for reason, count in sorted(summary.unmatched.items())
        )
        blocks.append(section(t._("*Not matched this round:*") + "\n" + reasons))
    if summary.unmet_demand:
        demand = ", ".join(
            f"{skill_label(catalog, key, t.language)} ({_count(t, n)})"
            for key, n in summary.unmet_demand[:TOP_UNMET]
        )
        blocks.append(section(t._("*Wanted, but no mentor offers it:* {skills}", skills=demand)))
    value = str(summary.round_id)
    blocks += [
        ActionsBlock(
            elements=[
                button(t._("Create pairs"), MatchActions.CREATE, value, style="primary"),
                button(t._("Cancel"), MatchActions.CANCEL, value),
            ]
        ),
        context(
            t._(
                "No names are shown. Pairs are created only when you press Create pairs. The "
                "preview expires after 24 hours or as soon as the pool changes."
            )
        ),
    ]
    return Message(text=t._("Matching preview"), blocks=blocks)


def round_done(t: Translator, delivery: Delivery, round_id: int) -> Message:
    """What pressing Create pairs did; with a retry button when some pairs failed."""
    parts = [
        t.n_(
            "Done: {n} pair created and introduced.",
            "Done: {n} pairs created and introduced.",
            delivery.created,
        ),
        t.n_(
            "{n} person was told why they were not matched this time.",
            "{n} people were told why they were not matched this time.",
            delivery.told,
        ),
    ]
    if delivery.unreachable:
        parts.append(
            t.n_(
                "{n} person could not be reached in Slack and was marked inactive.",
                "{n} people could not be reached in Slack and were marked inactive.",
                delivery.unreachable,
            )
        )
    if delivery.failed:
        parts.append(
            t.n_(
                "{n} pair could not be created because Slack had a problem: press Create pairs "
                "again to retry it.",
                "{n} pairs could not be created because Slack had a problem: press Create pairs "
                "again to retry them.",
                delivery.failed,
            )
        )
    message = notice(" ".join(parts))
    if delivery.failed:
        retry = button(t._("Create pairs"), MatchActions.CREATE, str(round_id), style="primary")
        message.blocks.append(ActionsBlock(elements=[retry]))
    return message


def round_refused(t: Translator, refusal: RoundRefusal) -> Message:
    """Why a press on a preview did nothing."""
    return notice(
        {
            RoundRefusal.NOT_FOUND: t._("This preview no longer exists. Nothing was done."),
            RoundRefusal.NOT_YOURS: t._(
                "Only the admin who asked for this preview can create its pairs. Nothing was done."
            ),
            RoundRefusal.ALREADY_APPLIED: t._(
                "These pairs were already created. Nothing was done twice."
            ),
            RoundRefusal.CANCELLED: t._(
                "This preview was cancelled. Run `/mentor match` for a new one."
            ),
            RoundRefusal.STALE: t._(
                "This preview is out of date: the pool has changed or it is older than a day. "
                "Nothing was done. Run `/mentor match` for a fresh one."
            ),
            RoundRefusal.BUSY: t._(
                "Another matching round is still being carried out. Nothing was done. Try again "
                "in a few minutes; an unfinished round is completed by pressing its Create "
                "pairs again."
            ),
        }[refusal]
    )


def round_cancelled(t: Translator) -> Message:
    """The preview was dropped."""
    return notice(t._("Preview cancelled. No pairs were created."))


def not_admin(t: Translator) -> Message:
    """A polite refusal that reveals nothing about the pool."""
    return notice(
        t._("Matching is run by your HR team. If you think you should have access, ask them.")
    )


def unmatched_message(t: Translator, reason: str) -> Message:
    """The DM to someone the round left unmatched."""
    return notice(
        unmatched_reason(t, reason)
        + " "
        + t._(
            "You stay in the pool, and we try again at the next matching round. You can "
            "change your skills any time with `/mentor skills`."
        )
    )


def intro_message(
    t: Translator,
    catalog: CatalogDef,
    pair: Pair,
    *,
    mentor_offers: list[str],
    topic: str,
) -> Message:
    """The group DM that introduces a new pair and explains why they were matched."""
    mentor, mentee = f"<@{pair.mentor.slack_user_id}>", f"<@{pair.mentee.slack_user_id}>"
    lines = [
        t._(
            ":wave: {mentor}, meet {mentee}! {mentor} is the *mentor* and {mentee} the *mentee* "
            "of this reverse-mentoring pair: {mentor} shares digital skills, {mentee} learns them.",
            mentor=mentor,
            mentee=mentee,
        ),
        t._(
            "*Why you two:* {mentor} offers {offers}; {mentee} wants {wants}.",
            mentor=mentor,
            mentee=mentee,
            offers=_skills(t, catalog, mentor_offers),
            wants=_skills(t, catalog, pair.covered),
        ),
        t._("*A first topic:* {topic}", topic=topic),
        t._("*Proposed rhythm:* {cadence}", cadence=cadence_label(t, pair.cadence)),
    ]
    value = str(pair.id)
    return Message(
        text=t._("Meet your reverse-mentoring partner"),
        blocks=[
            section("\n\n".join(lines)),
            ActionsBlock(
                elements=[
                    button(
                        t._("Schedule our first jour fixe"),
                        PairActions.SCHEDULE,
                        value,
                        style="primary",
                    ),
                    button(t._("This pair doesn't fit"), PairActions.DOESNT_FIT, value),
                    button(
                        t._("End pairing"),
                        PairActions.END,
                        value,
                        style="danger",
                        confirm=ConfirmObject(
                            title=plain(t._("End this pairing?")),
                            text=plain(t._("Your partner is told kindly. This cannot be undone.")),
                            confirm=plain(t._("End pairing")),
                            deny=plain(t._("Cancel")),
                            style="danger",
                        ),
                    ),
                ]
            ),
            context(
                t._(
                    'Only you two are in this conversation. "This pair doesn\'t fit" is '
                    "confidential: only HR is told, never your partner."
                )
            ),
        ],
    )


def first_topic(t: Translator, catalog: CatalogDef, covered: list[str]) -> str:
    """A first jour-fixe topic from the pair's best shared skill."""
    for key in covered:
        for spec in catalog.skills:
            if spec.key == key and spec.topics:
                return spec.topics.get(t.language) or spec.topics.get("en") or ""
    if covered:
        return t._(
            "Show each other how you use {skill} today",
            skill=skill_label(catalog, covered[0], t.language),
        )
    return t._("Show each other how you use digital tools today")


def schedule_modal(t: Translator, pair: Pair, meta: ModalMeta) -> View:
    """Weekday, local time and cadence for the pair's jour fixe."""
    weekdays = [Option(text=plain(weekday_name(d, t.language)), value=str(d)) for d in WEEKDAYS]
    cadences = [Option(text=plain(cadence_label(t, c)), value=c.value) for c in Cadence]
    weekday = pair.weekday if pair.weekday is not None else 2
    time = pair.local_time.strftime("%H:%M") if pair.local_time else "15:00"
    zones = [
        Option(text=plain(label), value=value) for value, label in schedule_zones(t, pair).items()
    ]
    return View(
        type="modal",
        callback_id=ScheduleModal.CALLBACK,
        title=plain(t._("Your jour fixe")),
        submit=plain(t._("Save")),
        close=plain(t._("Cancel")),
        private_metadata=meta.dump(),
        blocks=[
            InputBlock(
                block_id=ScheduleModal.WEEKDAY,
                label=plain(t._("Weekday")),
                element=StaticSelectElement(
                    action_id=ScheduleModal.WEEKDAY,
                    options=weekdays,
                    initial_option=weekdays[weekday],
                ),
            ),
            InputBlock(
                block_id=ScheduleModal.TIME,
                label=plain(t._("Local time")),
                hint=plain(t._("In the time zone chosen below.")),
                element=TimePickerElement(action_id=ScheduleModal.TIME, initial_time=time),
            ),
            InputBlock(
                block_id=ScheduleModal.TIMEZONE,
                label=plain(t._("Time zone")),
                element=StaticSelectElement(
                    action_id=ScheduleModal.TIMEZONE,
                    options=zones,
                    initial_option=next((o for o in zones if o.value == meta.timezone), zones[0]),
                ),
            ),
            InputBlock(
                block_id=ScheduleModal.CADENCE,
                label=plain(t._("How often")),
                element=StaticSelectElement(
                    action_id=ScheduleModal.CADENCE,
                    options=cadences,
                    initial_option=next(o for o in cadences if o.value == pair.cadence),
                ),
            ),
        ],
    )


def schedule_time_problem(t: Translator, earliest: dt.time, latest: dt.time) -> str:
    """Inline error for a jour-fixe time outside working hours."""
    return t._(
        "Pick a time between {start} and {end}.",
        start=earliest.strftime("%H:%M"),
        end=latest.strftime("%H:%M"),
    )


def no_pair_yet(t: Translator) -> Message:
    """`/mentor schedule` before the person has a pair."""
    return notice(
        t._("You don't have a pair yet. Once you are matched, you can set your jour fixe here.")
    )


def pick_pair_to_schedule(t: Translator, choices: list[tuple[int, str]]) -> Message:
    """A mentor with several mentees picks which pair's jour fixe to set."""
    text = t._("Which pair's jour fixe do you want to set?")
    blocks: list[Block] = [section(text)]
    for pair_id, partner in choices:
        blocks.append(
            section(
                f"<@{partner}>",
                accessory=button(t._("Set jour fixe"), PairActions.SCHEDULE, str(pair_id)),
            )
        )
    return Message(text=text, blocks=blocks)


def schedule_zones(t: Translator, pair: Pair) -> dict[str, str]:
    """The zones a pair's jour fixe may be set in: the mentee's (default), the mentor's."""
    zones: dict[str, str] = {}
    for tz, whose in (
        (pair.mentee.timezone, t._("mentee's time zone")),
        (pair.mentor.timezone, t._("mentor's time zone")),
        (pair.timezone, t._("current")),
        ("UTC", "UTC"),
    ):
        if tz and tz not in zones:
            zones[tz] = f"{tz} ({whose})" if tz != "UTC" else tz
    return zones


def meeting_text(t: Translator, moment: dt.datetime, timezone: str | None = None) -> str:
    """A jour fixe's weekday, date and time in a person's own zone, naming the zone."""
    zone = zone_of(timezone)
    local = moment.astimezone(zone)
    day = format_date(local.date(), format="full", locale=t.language)
    return t._("{day} at {time}", day=day, time=local.strftime("%H:%M")) + f" ({zone})"


def schedule_set(t: Translator, pair: Pair, first: dt.datetime) -> Message:
    """Posted in the pair's conversation once the rhythm is set."""
    return notice(
        t._(
            ":calendar: Jour fixe set: {cadence}, next on {when}.",
            cadence=cadence_label(t, pair.cadence),
            when=meeting_text(t, first, pair.timezone),
        )
    )


def pair_lines(
    t: Translator, pair: Pair, me: int, upcoming: dt.datetime | None, viewer_tz: str | None
) -> list[Block]:
    """The person's pair and next jour fixe (in the person's own zone), for `/mentor status`."""
    partner = pair.mentee if pair.mentor_id == me else pair.mentor
    role = t._("your mentee") if pair.mentor_id == me else t._("your mentor")
    lines = [
        t._(
            "*Your pair:* <@{partner}> is {role}, since {date}.",
            partner=partner.slack_user_id,
            role=role,
            date=format_day(t, pair.created_at.date()),
        )
    ]
    if upcoming is None:
        lines.append(t._("*Next jour fixe:* not scheduled yet. Use the button in your intro."))
    else:
        lines.append(t._("*Next jour fixe:* {when}", when=meeting_text(t, upcoming, viewer_tz)))
    return [DividerBlock(), section("\n".join(lines))]


def pairing_ended_by_partner(t: Translator, partner: str, *, left: bool) -> Message:
    """Tell someone kindly that their partner ended the pairing or left."""
    if left:
        text = t._(
            "<@{partner}> has left the reverse-mentoring programme, so your pairing has ended. "
            "Thank you both for your time together! You are back in the pool for the next round.",
            partner=partner,
        )
    else:
        text = t._(
            "<@{partner}> has ended your reverse-mentoring pairing. Thank you for your time "
            "together! You are back in the pool for the next round.",
            partner=partner,
        )
    return notice(text)


def pairing_ended(t: Translator) -> Message:
    """Confirmation for the person who ended the pairing."""
    return notice(t._("Your pairing has ended. You are back in the pool for the next round."))


def repair_noted(t: Translator) -> Message:
    """Private confirmation of a confidential re-pair request."""
    return notice(
        t._(
            "Thank you for telling us. HR will get in touch with you privately. Your partner is "
            "not told."
        )
    )


def repair_no_hr(t: Translator) -> Message:
    """Honest answer when there is no HR admin (outside the pair) to tell."""
    return notice(
        t._(
            "Thank you for telling us. No HR contact is set up for this yet, so please speak to "
            "your HR team directly. Your partner is not told."
        )
    )


def repair_for_hr(t: Translator, pair: Pair, requester: str) -> Message:
    """The confidential notice HR admins receive."""
    return notice(
        t._(
            ":lock: Confidential re-pair request: <@{requester}> says their pair with "
            "<@{partner}> (paired on {date}) does not fit. The partner has not been told.",
            requester=requester,
            partner=(
                pair.mentee.slack_user_id
                if pair.mentor.slack_user_id == requester
                else pair.mentor.slack_user_id
            ),
            date=format_day(t, pair.created_at.date()),
        )
    )


def pair_refused(t: Translator, refusal: PairRefusal) -> Message:
    """Why a click on a pair's button did nothing."""
    return notice(
        {
            PairRefusal.NOT_FOUND: t._("This pairing no longer exists."),
            PairRefusal.NOT_A_MEMBER: t._("Only the two people in this pairing can use this."),
            PairRefusal.ENDED: t._("This pairing has already ended."),
        }[refusal]
    )
