"""The `/mentor` slash command and its sub-commands."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot.i18n import Translator
from bot.services import enrollment, jour_fixe, pairing, reports
from bot.services.clock import utc_now
from bot.slack.blocks import messages
from bot.slack.blocks import report as report_blocks
from bot.slack.blocks.common import Message
from bot.slack.blocks.pairing import (
    no_pair_yet,
    not_admin,
    pair_lines,
    pick_pair_to_schedule,
    preview_message,
    schedule_modal,
)
from bot.slack.listeners.common import (
    deps_of,
    open_join_modal,
    open_skills_modal,
    refresh_home,
    t_of,
    team_of,
    user_today,
)
from bot.slack.metadata import ModalMeta
from bot.slack.posting import open_dm, upload_quietly
from bot.slack.reporting import deliver_report

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Invocation:
    """One `/mentor …` as typed: who, where to answer, in which language, and the arguments."""

    client: WebClient
    context: BoltContext
    respond: Respond
    t: Translator
    trigger_id: str
    args: str

    @property
    def team_id(self) -> str:
        """The workspace."""
        return team_of(self.context)

    @property
    def user_id(self) -> str:
        """The person who typed the command."""
        return str(self.context.user_id)

    def reply(self, message: Message) -> None:
        """Answer privately through the command's response_url."""
        self.respond(**message.as_kwargs())


def _join(cmd: Invocation) -> None:
    """Open the profile modal."""
    open_join_modal(cmd.client, cmd.context, cmd.trigger_id)


def _skills(cmd: Invocation) -> None:
    """Open the skills modal, or say how to join."""
    if not open_skills_modal(cmd.client, cmd.context, cmd.trigger_id, cmd.t):
        cmd.reply(messages.not_enrolled(cmd.t))


def _status(cmd: Invocation) -> None:
    """Show the person's profile, pair and next jour fixe privately."""
    deps = deps_of(cmd.context)
    with deps.unit_of_work() as session:
        participant = enrollment.find_participant(cmd.team_id, cmd.user_id, session=session)
        if participant is None:
            reply = messages.join_prompt(cmd.t)
        else:
            pairs = [
                block
                for pair in pairing.active_pairs(participant.id, session=session)
                for block in pair_lines(
                    cmd.t,
                    pair,
                    participant.id,
                    jour_fixe.next_jour_fixe(pair, session=session, now=utc_now()),
                    participant.timezone,
                )
            ]
            reply = messages.status_message(cmd.t, deps.catalog, participant, extra=pairs)
    cmd.reply(reply)


def _schedule(cmd: Invocation) -> None:
    """Open the jour-fixe modal for the person's pair (a mentor with several picks one)."""
    deps = deps_of(cmd.context)
    view, reply = None, None
    with deps.unit_of_work() as session:
        participant = enrollment.find_participant(cmd.team_id, cmd.user_id, session=session)
        if participant is None:
            reply = messages.not_enrolled(cmd.t)
        else:
            pairs = pairing.active_pairs(participant.id, session=session)
            if not pairs:
                reply = no_pair_yet(cmd.t)
            elif len(pairs) == 1:
                pair = pairs[0]
                meta = ModalMeta(language=cmd.t.language, timezone=pair.timezone, pair_id=pair.id)
                view = schedule_modal(cmd.t, pair, meta)
            else:
                choices = [
                    (p.id, pairing.partner_of(p, participant.id).slack_user_id) for p in pairs
                ]
                reply = pick_pair_to_schedule(cmd.t, choices)
    if view is not None:
        cmd.client.views_open(trigger_id=cmd.trigger_id, view=view)
    elif reply is not None:
        cmd.reply(reply)


def _match(cmd: Invocation) -> None:
    """Preview a matching round: HR admins only, figures only."""
    deps = deps_of(cmd.context)
    if not deps.is_hr_admin(cmd.user_id, cmd.client):
        log.info(
            "Refused /mentor match for a non-admin [ref=%s]", cmd.context.get("correlation_id")
        )
        cmd.reply(not_admin(cmd.t))
        return
    with deps.unit_of_work() as session:
        round_ = pairing.preview_round(
            cmd.team_id, session=session, config=deps.match_config, requested_by=cmd.user_id
        )
        summary = pairing.summarize(round_)
    cmd.reply(preview_message(cmd.t, deps.catalog, summary))


def _pause(cmd: Invocation) -> None:
    """Pause matching and reminders, until a date or open-ended."""
    try:
        until = enrollment.parse_pause(cmd.args, user_today(cmd.context))
        with deps_of(cmd.context).unit_of_work() as session:
            enrollment.pause(until, session=session, team_id=cmd.team_id, user_id=cmd.user_id)
    except enrollment.PauseError as exc:
        cmd.reply(messages.pause_usage(cmd.t, exc.problem))
        return
    except enrollment.NotEnrolled:
        cmd.reply(messages.not_enrolled(cmd.t))
        return
    cmd.reply(messages.paused_message(cmd.t, until))
    refresh_home(cmd.client, cmd.context, cmd.t)


def _resume(cmd: Invocation) -> None:
    """End a pause."""
    try:
        with deps_of(cmd.context).unit_of_work() as session:
            _, was_paused = enrollment.resume(
                session=session, team_id=cmd.team_id, user_id=cmd.user_id
            )
    except enrollment.NotEnrolled:
        cmd.reply(messages.not_enrolled(cmd.t))
        return
    cmd.reply(messages.resumed_message(cmd.t, was_paused=was_paused))
    if was_paused:
        refresh_home(cmd.client, cmd.context, cmd.t)


def _leave(cmd: Invocation) -> None:
    """Ask for confirmation before erasing anything."""
    with deps_of(cmd.context).unit_of_work() as session:
        enrolled = enrollment.find_participant(cmd.team_id, cmd.user_id, session=session)
    cmd.reply(messages.leave_confirmation(cmd.t) if enrolled else messages.not_enrolled(cmd.t))


def _report(cmd: Invocation) -> None:
    """An HR report by DM: text, chart and optionally a CSV. Everyone else is refused."""
    deps = deps_of(cmd.context)
    ref = cmd.context.get("correlation_id")
    words = cmd.args.split()
    want_csv = any(w.lower() == "csv" for w in words)
    given = " ".join(w for w in words if w.lower() != "csv")

    def audit(outcome: str) -> int:
        with deps.unit_of_work() as session:
            return reports.audit_request(
                cmd.team_id, cmd.user_id, given, csv=want_csv, outcome=outcome, session=session
            )

    if not deps.is_hr_admin(cmd.user_id, cmd.client):
        audit("refused")
        log.warning("Refused /mentor report for a non-admin [ref=%s]", ref)
        cmd.reply(report_blocks.not_allowed_report(cmd.t))
        return
    today = user_today(cmd.context)
    try:
        period = reports.parse_period(given, today)
    except reports.PeriodError as exc:
        audit("bad_period")
        cmd.reply(report_blocks.period_problem(cmd.t, exc))
        return
    audit_id = audit("requested")
    cmd.reply(report_blocks.report_on_its_way(cmd.t, period, csv=want_csv))
    outcome = "failed"  # until the report is out; the error handler then apologises
    try:
        with deps.read_snapshot(2) as (session, helper):
            report = reports.build_report(
                cmd.team_id,
                period,
                session=session,
                helper=helper,
                k=deps.settings.mentor_report_k,
                today=today,
            )
        complete = deliver_report(
            cmd.client,
            open_dm(cmd.client, cmd.user_id),
            cmd.t,
            deps.catalog,
            report,
            csv=want_csv,
            ref=ref,
        )
        outcome = "delivered" if complete else "partial"
    finally:
        with deps.unit_of_work() as session:
            reports.finish_audit(audit_id, outcome, session=session)


def _mydata(cmd: Invocation) -> None:
    """Send the person everything stored about them, as a JSON file in their DM."""
    deps = deps_of(cmd.context)
    with deps.unit_of_work() as session:
        data = enrollment.my_data(cmd.team_id, cmd.user_id, session=session)
    if data is None:
        cmd.reply(messages.not_enrolled(cmd.t))
        return
    cmd.reply(report_blocks.mydata_on_its_way(cmd.t))
    channel = open_dm(cmd.client, cmd.user_id)
    if not upload_quietly(
        cmd.client,
        channel,
        json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True),
        filename="mentor-bot-my-data.json",
        title=report_blocks.mydata_title(cmd.t),
        comment=report_blocks.mydata_message(cmd.t),
        what="data export",
        ref=cmd.context.get("correlation_id"),
    ):
        cmd.reply(report_blocks.mydata_failed(cmd.t))


ROUTES: dict[str, Callable[[Invocation], None]] = {
    "join": _join,
    "skills": _skills,
    "status": _status,
    "pause": _pause,
    "resume": _resume,
    "leave": _leave,
    "match": _match,
    "schedule": _schedule,
    "report": _report,
    "mydata": _mydata,
}


def mentor_command(
    ack: Ack, command: dict[str, Any], client: WebClient, context: BoltContext, respond: Respond
) -> None:
    """Route `/mentor <sub-command>`; `help`, nothing or anything unknown gets the help."""
    word, args = [*(command.get("text") or "").split(maxsplit=1), "", ""][:2]
    handler = ROUTES.get(word.lower())
    if handler is not None:
        ack()
        t = t_of(context)
        handler(Invocation(client, context, respond, t, command["trigger_id"], args.strip()))
        return
    unknown = None if word.lower() in ("", "help") else word
    ready = _help_at_once(context, unknown)
    if ready is not None:
        ack(**ready.as_kwargs())
        return
    ack()
    hr_admin = deps_of(context).is_hr_admin(str(context.user_id), client)
    help_message = messages.help_message(t_of(context), unknown=unknown, hr_admin=hr_admin)
    respond(**help_message.as_kwargs())


def _help_at_once(context: BoltContext, unknown: str | None) -> Message | None:
    """The help, if all it needs is cached: it then goes in the ack itself.

    Slack shows an ack's message privately, like a response_url answer, but at once and
    without a second request. The help reads no database; only the person's language and
    (with an HR user group) their membership can need a call to Slack, and nothing that can
    wait on Slack may delay an ack: without them cached, the help goes after the ack.
    """
    deps, user_id = deps_of(context), str(context.user_id)
    t = deps.cached_t_for(user_id)
    hr_admin = deps.cached_is_hr_admin(user_id)
    if t is None or hr_admin is None:
        return None
    return messages.help_message(t, unknown=unknown, hr_admin=hr_admin)


def register(app: App) -> None:
    """Attach the slash-command listener."""
    app.command("/mentor")(mentor_command)
