"""Steps several listeners share: open the profile modals, publish the Home tab."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from slack_bolt import BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.i18n import Translator, translator
from bot.services import enrollment
from bot.services.clock import local_today
from bot.slack.blocks.common import Message
from bot.slack.blocks.home import home_view
from bot.slack.blocks.profile import join_modal, pause_modal, skills_modal
from bot.slack.deps import Deps
from bot.slack.forms import empty_profile, profile_from_participant
from bot.slack.metadata import ModalMeta
from bot.slack.posting import post_quietly
from bot.store.models import SkillKind

log = logging.getLogger(__name__)


def deps_of(context: BoltContext) -> Deps:
    """The app's dependencies, put into every context by a middleware."""
    deps: Deps = context["deps"]
    return deps


def team_of(context: BoltContext) -> str:
    """The workspace id (the org id for org-wide installs, where team_id can be null)."""
    return str(context.team_id or context.enterprise_id or "")


def open_join_modal(client: WebClient, context: BoltContext, trigger_id: str) -> None:
    """Open the profile modal, prefilled when the person is already enrolled."""
    deps, user_id = deps_of(context), str(context.user_id)
    slack_user = deps.users.lookup(user_id)
    t = deps.t_for(user_id)
    with deps.unit_of_work() as session:
        participant = enrollment.find_participant(team_of(context), user_id, session=session)
        if participant is None:
            draft = empty_profile(t.language)
        else:
            avoid = enrollment.avoided(participant, session=session)
            draft = profile_from_participant(participant, avoid)
    meta = ModalMeta(
        language=t.language,
        timezone=slack_user.timezone if slack_user else None,
        editing=participant is not None,
    )
    client.views_open(trigger_id=trigger_id, view=join_modal(t, deps.catalog, draft, meta))


def open_skills_modal(
    client: WebClient, context: BoltContext, trigger_id: str, t: Translator
) -> bool:
    """Open the skills modal; False when the person is not enrolled."""
    deps = deps_of(context)
    with deps.unit_of_work() as session:
        participant = enrollment.find_participant(
            team_of(context), str(context.user_id), session=session
        )
        if participant is None:
            return False
        skills = enrollment.SkillsForm(
            offered=participant.skill_levels(SkillKind.OFFERED),
            wanted=participant.skill_levels(SkillKind.WANTED),
        )
        role = participant.role
    client.views_open(trigger_id=trigger_id, view=skills_modal(t, deps.catalog, skills, role))
    return True


def open_pause_modal(
    client: WebClient, context: BoltContext, trigger_id: str, t: Translator
) -> None:
    """Open the modal that asks until when to pause."""
    user = deps_of(context).users.lookup(str(context.user_id))
    view = pause_modal(t, user.timezone if user else None)
    client.views_open(trigger_id=trigger_id, view=view)


def user_today(context: BoltContext) -> dt.date:
    """Today's date in the acting user's timezone."""
    user = deps_of(context).users.lookup(str(context.user_id))
    return local_today(user.timezone if user else None)


def publish_home(client: WebClient, context: BoltContext, t: Translator | None = None) -> None:
    """Render and publish the person's Home tab."""
    deps, user_id = deps_of(context), str(context.user_id)
    t = t or deps.t_for(user_id)
    with deps.unit_of_work() as session:
        participant = enrollment.find_participant(team_of(context), user_id, session=session)
        view = home_view(t, deps.catalog, participant)
    client.views_publish(user_id=user_id, view=view)


def notify(client: WebClient, context: BoltContext, message: Message) -> None:
    """DM the acting person a confirmation; best effort, as their change is already saved."""
    post_quietly(
        client,
        str(context.user_id),
        message,
        what="a confirmation",
        ref=context.get("correlation_id"),
    )


def refresh_home(client: WebClient, context: BoltContext, t: Translator | None = None) -> None:
    """Re-publish the Home tab after a change; best effort, it is redrawn on the next open."""
    try:
        publish_home(client, context, t)
    except SlackApiError as exc:
        log.warning(
            "Could not refresh the Home tab [ref=%s]: %s",
            context.get("correlation_id"),
            exc.response.get("error"),
        )


def modal_meta(view: dict[str, Any], context: BoltContext) -> tuple[ModalMeta, Translator]:
    """A modal's metadata and a translator in the language it was opened in."""
    default = deps_of(context).settings.mentor_default_language
    meta = ModalMeta.parse(view.get("private_metadata"), default)
    return meta, translator(meta.language)


def t_of(context: BoltContext, language: str | None = None) -> Translator:
    """A translator for the acting user, or for an explicit language."""
    if language:
        return translator(language)
    return deps_of(context).t_for(str(context.user_id))
