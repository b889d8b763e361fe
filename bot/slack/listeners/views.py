"""Modal submissions: validate in the ack, store before acking, then confirm."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot.i18n import Translator, translator
from bot.services import enrollment, jour_fixe, pairing
from bot.services.clock import local_today, utc_now
from bot.services.enrollment import Problem, ProfileField
from bot.slack.blocks import messages
from bot.slack.blocks.pairing import (
    pair_refused,
    schedule_set,
    schedule_time_problem,
    schedule_zones,
)
from bot.slack.blocks.profile import join_modal, problem_text, skills_modal
from bot.slack.forms import (
    levels_shown,
    profile_from_state,
    schedule_from_state,
    schedule_zone_from_state,
    selected_date,
    skills_from_state,
)
from bot.slack.ids import JoinModal, PauseModal, ScheduleModal, SkillsModal
from bot.slack.listeners.common import deps_of, modal_meta, notify, refresh_home, team_of
from bot.store.models import Role


def _errors(t: Translator, problems: dict[ProfileField, Problem]) -> dict[str, str]:
    return {fld.value: problem_text(t, problem) for fld, problem in problems.items()}


def join_submitted(ack: Ack, view: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    """Save the profile from the join modal; problems are shown inline in the modal."""
    deps = deps_of(context)
    meta, t = modal_meta(view, context)
    state = view["state"]["values"]
    form = profile_from_state(state)
    problems = enrollment.validate_profile(form, deps.skill_keys)
    if problems:
        ack(response_action="errors", errors=_errors(t, problems))
        return
    if not levels_shown(form.offered | form.wanted, state):
        # A redraw lost a race: show every level picker before saving guessed levels.
        ack(response_action="update", view=join_modal(t, deps.catalog, form, meta))
        return
    try:
        with deps.unit_of_work() as session:
            result = enrollment.save_profile(
                form,
                known_skills=deps.skill_keys,
                session=session,
                team_id=team_of(context),
                user_id=str(context.user_id),
                timezone=meta.timezone,
                locale=meta.language,
            )
    except enrollment.InvalidForm as exc:
        ack(response_action="errors", errors=_errors(t, exc.problems))
        return
    ack()
    if result.changed:
        message = messages.joined_message(t, result.participant, created=result.created)
        notify(client, context, message)
    refresh_home(client, context, t)


def skills_submitted(
    ack: Ack, view: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    """Save the skills from the skills modal."""
    deps = deps_of(context)
    meta, t = modal_meta(view, context)
    state = view["state"]["values"]
    form = skills_from_state(state)
    if not levels_shown(form.offered | form.wanted, state) and meta.role:
        ack(response_action="update", view=skills_modal(t, deps.catalog, form, Role(meta.role)))
        return
    try:
        with deps.unit_of_work() as session:
            result = enrollment.save_skills(
                form,
                known_skills=deps.skill_keys,
                session=session,
                team_id=team_of(context),
                user_id=str(context.user_id),
            )
    except enrollment.NotEnrolled:
        ack(
            response_action="errors",
            errors={JoinModal.SKILLS_OFFERED: messages.not_enrolled(t).text},
        )
        return
    except enrollment.InvalidForm as exc:
        ack(response_action="errors", errors=_errors(t, exc.problems))
        return
    ack()
    if result.changed:
        notify(client, context, messages.skills_updated(t))
    refresh_home(client, context, t)


def pause_submitted(
    ack: Ack, view: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    """Pause until the chosen date, or open-ended."""
    deps = deps_of(context)
    meta, t = modal_meta(view, context)
    raw = selected_date(view["state"]["values"], PauseModal.UNTIL)
    try:
        until = enrollment.parse_pause_date(raw, local_today(meta.timezone))
        with deps.unit_of_work() as session:
            enrollment.pause(
                until, session=session, team_id=team_of(context), user_id=str(context.user_id)
            )
    except enrollment.PauseError as exc:
        ack(
            response_action="errors",
            errors={PauseModal.UNTIL: messages.pause_problem(t, exc.problem)},
        )
        return
    except enrollment.NotEnrolled:
        ack(response_action="errors", errors={PauseModal.UNTIL: messages.not_enrolled(t).text})
        return
    ack()
    notify(client, context, messages.paused_message(t, until))
    refresh_home(client, context, t)


def schedule_submitted(
    ack: Ack, view: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    """Store the pair's jour-fixe rhythm and tell both in their conversation."""
    deps = deps_of(context)
    meta, t = modal_meta(view, context)
    state = view["state"]["values"]
    weekday, time, cadence = schedule_from_state(state)
    if not pairing.MEETING_EARLIEST <= time <= pairing.MEETING_LATEST:
        # Also keeps jour fixes out of the 02:00-03:00 hour that DST nights skip or repeat.
        problem = schedule_time_problem(t, pairing.MEETING_EARLIEST, pairing.MEETING_LATEST)
        ack(response_action="errors", errors={ScheduleModal.TIME: problem})
        return
    try:
        with deps.unit_of_work() as session:
            pair, _ = pairing.pair_for_member(
                meta.pair_id or 0,
                session=session,
                team_id=team_of(context),
                user_id=str(context.user_id),
            )
            # Planned occurrences of the old rhythm (and their nudges) give way to the new one.
            jour_fixe.forget_future(pair, session=session, now=utc_now())
            chosen = schedule_zone_from_state(state)
            # Only a zone the modal offered; a tampered value falls back to the pair's own.
            allowed = schedule_zones(t, pair)
            zone_name = chosen if chosen in allowed else (pair.timezone or meta.timezone)
            pairing.set_schedule(
                pair, weekday=weekday, local_time=time, cadence=cadence, timezone=zone_name
            )
            upcoming = pairing.next_meeting(pair)
            assert upcoming is not None
            message = schedule_set(translator(pair.language), pair, upcoming)
            channel = pair.channel_id
    except pairing.PairRefused as exc:
        ack(
            response_action="errors",
            errors={ScheduleModal.WEEKDAY: pair_refused(t, exc.reason).text},
        )
        return
    ack()
    if channel:
        client.chat_postMessage(channel=channel, **message.as_kwargs())


def register(app: App) -> None:
    """Attach the view-submission listeners."""
    app.view(JoinModal.CALLBACK.value)(join_submitted)
    app.view(SkillsModal.CALLBACK.value)(skills_submitted)
    app.view(PauseModal.CALLBACK.value)(pause_submitted)
    app.view(ScheduleModal.CALLBACK.value)(schedule_submitted)
