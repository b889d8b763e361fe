"""Buttons and in-modal selections."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot.services import enrollment
from bot.slack.blocks import messages
from bot.slack.blocks.profile import join_modal, skills_modal
from bot.slack.forms import profile_from_state, skills_from_state
from bot.slack.ids import Actions, JoinModal, SkillsModal
from bot.slack.listeners.common import (
    deps_of,
    modal_meta,
    notify,
    open_join_modal,
    open_pause_modal,
    open_skills_modal,
    publish_home,
    refresh_home,
    t_of,
    team_of,
)
from bot.store.models import Role


def skills_changed(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    """Redraw the modal so that each chosen skill gets its own level picker."""
    ack()
    deps, view = deps_of(context), body["view"]
    meta, t = modal_meta(view, context)
    state = view["state"]["values"]
    if view.get("callback_id") == JoinModal.CALLBACK:
        new_view = join_modal(t, deps.catalog, profile_from_state(state), meta)
    elif view.get("callback_id") == SkillsModal.CALLBACK and meta.role:
        new_view = skills_modal(t, deps.catalog, skills_from_state(state), Role(meta.role))
    else:
        return
    # No hash: with quick successive picks the older request's hash goes stale and the
    # newest selection would be lost. Last write wins; the submit re-checks the levels.
    client.views_update(view_id=view["id"], view=new_view)


def join_clicked(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    """Open the profile modal from the Home tab or a join prompt."""
    ack()
    open_join_modal(client, context, body["trigger_id"])


def edit_skills_clicked(
    ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    """Open the skills modal from the Home tab."""
    ack()
    t = t_of(context)
    if not open_skills_modal(client, context, body["trigger_id"], t):
        publish_home(client, context, t)


def pause_clicked(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    """Open the pause modal from the Home tab."""
    ack()
    open_pause_modal(client, context, body["trigger_id"], t_of(context))


def resume_clicked(ack: Ack, client: WebClient, context: BoltContext) -> None:
    """Resume from the Home tab."""
    ack()
    t = t_of(context)
    try:
        with deps_of(context).unit_of_work() as session:
            enrollment.resume(
                session=session, team_id=team_of(context), user_id=str(context.user_id)
            )
    except enrollment.NotEnrolled:
        pass
    refresh_home(client, context, t)


def _erase(client: WebClient, context: BoltContext) -> bool:
    deps = deps_of(context)
    with deps.unit_of_work() as session:
        erased = enrollment.leave(
            session=session, team_id=team_of(context), user_id=str(context.user_id)
        )
    deps.users.forget(str(context.user_id))
    return erased


def leave_from_home(ack: Ack, client: WebClient, context: BoltContext) -> None:
    """Leave from the Home tab; Slack's confirm dialog already asked."""
    ack()
    t = t_of(context)
    erased = _erase(client, context)
    notify(client, context, messages.left_message(t, erased=erased))
    refresh_home(client, context, t)


def leave_confirmed(ack: Ack, client: WebClient, context: BoltContext, respond: Respond) -> None:
    """Erase the person's data after they confirmed in the message."""
    ack()
    t = t_of(context)
    erased = _erase(client, context)
    respond(replace_original=True, **messages.left_message(t, erased=erased).as_kwargs())
    refresh_home(client, context, t)


def leave_cancelled(ack: Ack, context: BoltContext, respond: Respond) -> None:
    """The person decided to stay."""
    ack()
    respond(replace_original=True, **messages.stay_message(t_of(context)).as_kwargs())


def register(app: App) -> None:
    """Attach the action listeners."""
    app.action(JoinModal.SKILLS_OFFERED.value)(skills_changed)
    app.action(JoinModal.SKILLS_WANTED.value)(skills_changed)
    for action in (Actions.HOME_JOIN, Actions.HOME_EDIT_PROFILE, Actions.OPEN_JOIN):
        app.action(action.value)(join_clicked)
    app.action(Actions.HOME_EDIT_SKILLS.value)(edit_skills_clicked)
    app.action(Actions.HOME_PAUSE.value)(pause_clicked)
    app.action(Actions.HOME_RESUME.value)(resume_clicked)
    app.action(Actions.HOME_LEAVE.value)(leave_from_home)
    app.action(Actions.LEAVE_CONFIRM.value)(leave_confirmed)
    app.action(Actions.LEAVE_CANCEL.value)(leave_cancelled)
