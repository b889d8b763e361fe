"""The `/mentor` slash command and its sub-commands."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot.i18n import Translator
from bot.services import enrollment
from bot.slack.blocks import messages
from bot.slack.listeners.common import (
    deps_of,
    open_join_modal,
    open_skills_modal,
    publish_home,
    t_of,
    team_of,
    user_today,
)

Handler = Callable[[WebClient, BoltContext, Respond, Translator, dict[str, Any], str], None]


def _join(
    client: WebClient,
    context: BoltContext,
    respond: Respond,
    t: Translator,
    command: dict[str, Any],
    args: str,
) -> None:
    open_join_modal(client, context, command["trigger_id"])


def _skills(
    client: WebClient,
    context: BoltContext,
    respond: Respond,
    t: Translator,
    command: dict[str, Any],
    args: str,
) -> None:
    if not open_skills_modal(client, context, command["trigger_id"], t):
        respond(**messages.not_enrolled(t).as_kwargs())


def _status(
    client: WebClient,
    context: BoltContext,
    respond: Respond,
    t: Translator,
    command: dict[str, Any],
    args: str,
) -> None:
    deps = deps_of(context)
    with deps.unit_of_work() as session:
        participant = enrollment.find_participant(
            team_of(context), str(context.user_id), session=session
        )
        reply = (
            messages.status_message(t, deps.catalog, participant)
            if participant
            else messages.join_prompt(t)
        )
    respond(**reply.as_kwargs())


def _pause(
    client: WebClient,
    context: BoltContext,
    respond: Respond,
    t: Translator,
    command: dict[str, Any],
    args: str,
) -> None:
    try:
        until = enrollment.parse_pause(args, user_today(context))
    except enrollment.PauseError as exc:
        respond(**messages.pause_usage(t, exc.problem).as_kwargs())
        return
    try:
        with deps_of(context).unit_of_work() as session:
            enrollment.pause(
                until, session=session, team_id=team_of(context), user_id=str(context.user_id)
            )
    except enrollment.NotEnrolled:
        respond(**messages.not_enrolled(t).as_kwargs())
        return
    respond(**messages.paused_message(t, until).as_kwargs())
    publish_home(client, context, t)


def _resume(
    client: WebClient,
    context: BoltContext,
    respond: Respond,
    t: Translator,
    command: dict[str, Any],
    args: str,
) -> None:
    try:
        with deps_of(context).unit_of_work() as session:
            _, was_paused = enrollment.resume(
                session=session, team_id=team_of(context), user_id=str(context.user_id)
            )
    except enrollment.NotEnrolled:
        respond(**messages.not_enrolled(t).as_kwargs())
        return
    respond(**messages.resumed_message(t, was_paused=was_paused).as_kwargs())
    if was_paused:
        publish_home(client, context, t)


def _leave(
    client: WebClient,
    context: BoltContext,
    respond: Respond,
    t: Translator,
    command: dict[str, Any],
    args: str,
) -> None:
    with deps_of(context).unit_of_work() as session:
        enrolled = (
            enrollment.find_participant(team_of(context), str(context.user_id), session=session)
            is not None
        )
    respond(
        **(messages.leave_confirmation(t) if enrolled else messages.not_enrolled(t)).as_kwargs()
    )


def _help(
    client: WebClient,
    context: BoltContext,
    respond: Respond,
    t: Translator,
    command: dict[str, Any],
    args: str,
) -> None:
    respond(**messages.help_message(t).as_kwargs())


ROUTES: dict[str, Handler] = {
    "join": _join,
    "skills": _skills,
    "status": _status,
    "pause": _pause,
    "resume": _resume,
    "leave": _leave,
    "help": _help,
}


def mentor_command(
    ack: Ack, command: dict[str, Any], client: WebClient, context: BoltContext, respond: Respond
) -> None:
    """Route `/mentor <sub-command>`; anything unknown gets the help, never an error."""
    ack()
    text = (command.get("text") or "").strip()
    word, _, args = text.partition(" ")
    t = t_of(context)
    handler = ROUTES.get(word.lower())
    if handler is None:
        respond(**messages.help_message(t, unknown=word or None).as_kwargs())
        return
    handler(client, context, respond, t, command, args.strip())


def register(app: App) -> None:
    """Attach the slash-command listener."""
    app.command("/mentor")(mentor_command)
