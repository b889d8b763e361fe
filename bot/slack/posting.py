"""Posting a message when its failure must not undo what already happened."""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slack.blocks.common import Message

log = logging.getLogger(__name__)


def post_quietly(
    client: WebClient, channel: str, message: Message, *, what: str, ref: str | None = None
) -> bool:
    """Post; on a Slack error log it (never the channel: who gets what is personal) and go on."""
    try:
        client.chat_postMessage(channel=channel, **message.as_kwargs())
    except SlackApiError as exc:
        log.warning("Could not send %s [ref=%s]: %s", what, ref, exc.response.get("error"))
        return False
    return True
