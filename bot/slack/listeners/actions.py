"""Buttons and in-modal selections."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot.services import enrollment, pairing
from bot.services.pairing import RoundRefusal
from bot.slack.blocks import messages
from bot.slack.blocks.pairing import (
    not_admin,
    pairing_ended,
    pairing_ended_by_partner,
    repair_for_hr,
    repair_no_hr,
    repair_noted,
    round_cancelled,
    round_done,
    round_refused,
    schedule_modal,
)
from bot.slack.blocks.profile import join_modal, skills_modal
from bot.slack.forms import profile_from_state, skills_from_state
from bot.slack.ids import Actions, JoinModal, MatchActions, PairActions, SkillsModal
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
from bot.slack.metadata import ModalMeta
from bot.slack.posting import post_quietly
from bot.slack.rounds import deliver_round
from bot.store.models import Role, RoundStatus

log = logging.getLogger(__name__)


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
    deps, user_id = deps_of(context), str(context.user_id)
    with deps.unit_of_work() as session:
        me = enrollment.find_participant(team_of(context), user_id, session=session)
        ended = pairing.forget_participant(me, session=session) if me is not None else []
        partners = [p.slack_user_id for p in ended]
        erased = enrollment.leave(session=session, team_id=team_of(context), user_id=user_id)
    deps.users.forget(user_id)
    for partner in partners:
        told = pairing_ended_by_partner(deps.t_for(partner), user_id, left=True)
        post_quietly(
            client, partner, told, what="a partner notice", ref=context.get("correlation_id")
        )
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
    app.action(MatchActions.CREATE.value)(create_pairs_clicked)
    app.action(MatchActions.CANCEL.value)(cancel_round_clicked)
    app.action(PairActions.SCHEDULE.value)(schedule_clicked)
    app.action(PairActions.DOESNT_FIT.value)(doesnt_fit_clicked)
    app.action(PairActions.END.value)(end_pair_clicked)


def _value_id(body: dict[str, Any]) -> int | None:
    # Button values come back from the network: never trusted beyond "an integer id".
    try:
        return int(body["actions"][0]["value"])
    except (KeyError, IndexError, TypeError, ValueError):
        return None


def create_pairs_clicked(
    ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext, respond: Respond
) -> None:
    """Apply a matching preview once: pairs, intros, and a DM to everyone left out."""
    ack()
    deps, t, user_id = deps_of(context), t_of(context), str(context.user_id)
    if not deps.is_hr_admin(user_id, client):
        respond(replace_original=False, **not_admin(t).as_kwargs())
        return
    with deps.unit_of_work() as session:
        round_ = pairing.claim_round(
            _value_id(body) or 0, session=session, team_id=team_of(context), actor=user_id
        )
    if round_.status is RoundStatus.STALE:
        respond(replace_original=True, **round_refused(t, RoundRefusal.STALE).as_kwargs())
        return
    report = deliver_round(
        round_,
        client=client,
        db=deps.db,
        catalog=deps.catalog,
        users=deps.users,
        default_language=deps.settings.mentor_default_language,
    )
    done = round_done(t, report, round_.id)
    respond(replace_original=True, **done.as_kwargs())


def cancel_round_clicked(
    ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext, respond: Respond
) -> None:
    """Drop a matching preview."""
    ack()
    deps, t, user_id = deps_of(context), t_of(context), str(context.user_id)
    if not deps.is_hr_admin(user_id, client):
        respond(replace_original=False, **not_admin(t).as_kwargs())
        return
    with deps.unit_of_work() as session:
        pairing.cancel_round(
            _value_id(body) or 0, session=session, team_id=team_of(context), actor=user_id
        )
    respond(replace_original=True, **round_cancelled(t).as_kwargs())


def schedule_clicked(
    ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext, respond: Respond
) -> None:
    """Open the jour-fixe modal for a member of the pair."""
    ack()
    deps, t = deps_of(context), t_of(context)
    with deps.unit_of_work() as session:
        pair, _ = pairing.pair_for_member(
            _value_id(body) or 0,
            session=session,
            team_id=team_of(context),
            user_id=str(context.user_id),
        )
        meta = ModalMeta(language=t.language, timezone=pair.timezone, pair_id=pair.id)
        view = schedule_modal(t, pair, meta)
    client.views_open(trigger_id=body["trigger_id"], view=view)


def doesnt_fit_clicked(
    ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext, respond: Respond
) -> None:
    """A confidential re-pair request: HR is told, the partner never is."""
    ack()
    deps, t, user_id = deps_of(context), t_of(context), str(context.user_id)
    with deps.unit_of_work() as session:
        pair, actor = pairing.pair_for_member(
            _value_id(body) or 0, session=session, team_id=team_of(context), user_id=user_id
        )
        first_time = pairing.request_repair(pair, actor, session=session)
        # An HR admin who is part of this pair must never receive it: that is the partner.
        members = {pair.mentor.slack_user_id, pair.mentee.slack_user_id}
        notices = {
            admin: repair_for_hr(deps.t_for(admin), pair, user_id)
            for admin in sorted(deps.settings.mentor_hr_admins - members)
        }
    if not notices:
        respond(replace_original=False, response_type="ephemeral", **repair_no_hr(t).as_kwargs())
        return
    if first_time:
        for admin, message in notices.items():
            post_quietly(
                client, admin, message, what="an HR notice", ref=context.get("correlation_id")
            )
    respond(replace_original=False, response_type="ephemeral", **repair_noted(t).as_kwargs())


def end_pair_clicked(
    ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext, respond: Respond
) -> None:
    """End a pairing on one member's behalf; the partner is told kindly."""
    ack()
    deps, t, user_id = deps_of(context), t_of(context), str(context.user_id)
    with deps.unit_of_work() as session:
        pair, actor = pairing.pair_for_member(
            _value_id(body) or 0, session=session, team_id=team_of(context), user_id=user_id
        )
        pairing.end_pair(pair, ended_by=actor)
        partner = pairing.partner_of(pair, actor.id).slack_user_id
    told = pairing_ended_by_partner(deps.t_for(partner), user_id, left=False)
    post_quietly(client, partner, told, what="a partner notice", ref=context.get("correlation_id"))
    respond(replace_original=False, response_type="ephemeral", **pairing_ended(t).as_kwargs())
