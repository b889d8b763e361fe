"""Modal submissions: validate in the ack, store before acking, then confirm."""

from __future__ import annotations

import datetime as dt
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot.services import enrollment
from bot.slack.blocks import messages
from bot.slack.blocks.profile import problem_text
from bot.slack.forms import profile_from_state, skills_from_state
from bot.slack.ids import JoinModal, PauseModal, SkillsModal
from bot.slack.listeners.common import deps_of, dm, modal_meta, publish_home, team_of, user_today


def _errors(t: Any, problems: dict[enrollment.ProfileField, enrollment.Problem]) -> dict[str, str]:
    return {fld.value: problem_text(t, problem) for fld, problem in problems.items()}


def join_submitted(ack: Ack, view: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    """Save the profile from the join modal; problems are shown inline in the modal."""
    deps = deps_of(context)
    meta, t = modal_meta(view, context)
    form = profile_from_state(view["state"]["values"])
    problems = enrollment.validate_profile(form, deps.skill_keys)
    if problems:
        ack(response_action="errors", errors=_errors(t, problems))
        return
    with deps.unit_of_work() as session:
        result = enrollment.save_profile(
            form,
            session=session,
            team_id=team_of(context),
            user_id=str(context.user_id),
            timezone=meta.timezone,
            locale=meta.language,
        )
    ack()
    if result.changed:
        dm(
            client,
            str(context.user_id),
            messages.joined_message(t, result.participant, created=result.created),
        )
    publish_home(client, context, t)


def skills_submitted(
    ack: Ack, view: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    """Save the skills from the skills modal."""
    deps = deps_of(context)
    _, t = modal_meta(view, context)
    form = skills_from_state(view["state"]["values"])
    with deps.unit_of_work() as session:
        participant = enrollment.find_participant(
            team_of(context), str(context.user_id), session=session
        )
        if participant is None:
            ack(
                response_action="errors",
                errors={
                    JoinModal.SKILLS_OFFERED: t._(
                        "You are no longer enrolled. Type /mentor join to take part."
                    )
                },
            )
            return
        problems = enrollment.validate_skills(form, participant.role, deps.skill_keys)
        if problems:
            ack(response_action="errors", errors=_errors(t, problems))
            return
        result = enrollment.save_skills(
            form, session=session, team_id=team_of(context), user_id=str(context.user_id)
        )
    ack()
    if result.changed:
        dm(client, str(context.user_id), messages.notice(t._("Your skills are updated.")))
    publish_home(client, context, t)


def pause_submitted(
    ack: Ack, view: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    """Pause until the chosen date (or open-ended)."""
    deps = deps_of(context)
    _, t = modal_meta(view, context)
    raw = (view["state"]["values"].get(PauseModal.UNTIL, {}).get(PauseModal.UNTIL) or {}).get(
        "selected_date"
    )
    until = None
    if raw:
        try:
            until = dt.date.fromisoformat(raw)
            enrollment.check_pause_date(until, user_today(context))
        except (ValueError, enrollment.PauseError) as exc:
            problem = exc.problem if isinstance(exc, enrollment.PauseError) else "unparseable"
            ack(
                response_action="errors",
                errors={PauseModal.UNTIL: messages.pause_usage(t, problem).text},
            )
            return
    try:
        with deps.unit_of_work() as session:
            enrollment.pause(
                until, session=session, team_id=team_of(context), user_id=str(context.user_id)
            )
    except enrollment.NotEnrolled:
        ack(response_action="errors", errors={PauseModal.UNTIL: messages.not_enrolled(t).text})
        return
    ack()
    dm(client, str(context.user_id), messages.paused_message(t, until))
    publish_home(client, context, t)


def register(app: App) -> None:
    """Attach the view-submission listeners."""
    app.view(JoinModal.CALLBACK.value)(join_submitted)
    app.view(SkillsModal.CALLBACK.value)(skills_submitted)
    app.view(PauseModal.CALLBACK.value)(pause_submitted)
