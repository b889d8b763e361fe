"""The App Home tab."""

from __future__ import annotations

from slack_sdk.models.blocks import ActionsBlock, Block, DividerBlock, HeaderBlock
from slack_sdk.models.views import View

from bot.i18n import Translator
from bot.services.catalog import CatalogDef
from bot.slack.blocks.common import button, context, plain, section
from bot.slack.blocks.messages import leave_confirm_dialog
from bot.slack.blocks.profile import privacy_notice, profile_summary
from bot.slack.ids import Actions
from bot.store.models import Participant, Status


def home_view(t: Translator, catalog: CatalogDef, participant: Participant | None) -> View:
    """Profile and status with buttons to join, edit, pause or resume, in the person's language."""
    blocks: list[Block] = [HeaderBlock(text=plain(t._("Reverse mentoring")))]
    if participant is None:
        blocks += [
            section(
                t._(
                    "Younger colleagues share digital skills such as social media, AI tools and "
                    "collaboration apps; experienced colleagues learn them in regular "
                    "one-to-one jour fixes. Both sides build a network across generations."
                )
            ),
            ActionsBlock(
                elements=[
                    button(t._("Join the programme"), Actions.HOME_JOIN, "join", style="primary")
                ]
            ),
            DividerBlock(),
            context(privacy_notice(t)),
        ]
        return View(type="home", blocks=blocks)

    paused = participant.status in (Status.PAUSED, Status.INACTIVE)
    buttons = [
        button(t._("Edit profile"), Actions.HOME_EDIT_PROFILE, "edit"),
        button(t._("Edit skills"), Actions.HOME_EDIT_SKILLS, "skills"),
        button(t._("Resume"), Actions.HOME_RESUME, "resume", style="primary")
        if paused
        else button(t._("Pause"), Actions.HOME_PAUSE, "pause"),
        button(
            t._("Leave"),
            Actions.HOME_LEAVE,
            "leave",
            style="danger",
            confirm=leave_confirm_dialog(t),
        ),
    ]
    blocks += [
        *profile_summary(t, catalog, participant),
        ActionsBlock(elements=buttons),
        DividerBlock(),
        context(privacy_notice(t)),
    ]
    return View(type="home", blocks=blocks)
