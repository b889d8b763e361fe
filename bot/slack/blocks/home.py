"""The App Home tab."""

from __future__ import annotations

from slack_sdk.models.blocks import ActionsBlock, Block, ButtonElement, DividerBlock, HeaderBlock
from slack_sdk.models.views import View

from bot.i18n import Translator
from bot.services.catalog import CatalogDef
from bot.slack.blocks.common import context, plain, section
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
                    ButtonElement(
                        text=plain(t._("Join the programme")),
                        action_id=Actions.HOME_JOIN,
                        value="join",
                        style="primary",
                    )
                ]
            ),
            DividerBlock(),
            context(privacy_notice(t)),
        ]
        return View(type="home", blocks=blocks)

    paused = participant.status is Status.PAUSED
    buttons = [
        ButtonElement(
            text=plain(t._("Edit profile")), action_id=Actions.HOME_EDIT_PROFILE, value="edit"
        ),
        ButtonElement(
            text=plain(t._("Edit skills")), action_id=Actions.HOME_EDIT_SKILLS, value="skills"
        ),
        ButtonElement(
            text=plain(t._("Resume")),
            action_id=Actions.HOME_RESUME,
            value="resume",
            style="primary",
        )
        if paused
        else ButtonElement(text=plain(t._("Pause")), action_id=Actions.HOME_PAUSE, value="pause"),
        ButtonElement(
            text=plain(t._("Leave")),
            action_id=Actions.HOME_LEAVE,
            value="leave",
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
