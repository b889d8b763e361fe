"""What the person sees when something unexpected went wrong."""

from __future__ import annotations

import json

from slack_sdk.models.views import View

from bot.i18n import Translator
from bot.slack.blocks.common import Message, plain


def apology_view(t: Translator, message: Message) -> str:
    """A `response_action: push` body: an apology stacked on the modal, which stays intact below."""
    view = View(
        type="modal", title=plain(t._("Sorry")), close=plain(t._("Back")), blocks=message.blocks
    )
    return json.dumps({"response_action": "push", "view": view.to_dict()})
