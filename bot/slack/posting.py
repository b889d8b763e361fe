"""Posting a message when its failure must not undo what already happened."""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackRequestError

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


def open_dm(client: WebClient, user_id: str) -> str:
    """The bot's DM channel with one person (conversations.open)."""
    return str(client.conversations_open(users=user_id)["channel"]["id"])


def upload_quietly(
    client: WebClient,
    channel: str,
    content: bytes | str,
    *,
    filename: str,
    title: str,
    comment: str | None = None,
    alt_text: str | None = None,
    what: str,
    ref: str | None = None,
) -> bool:
    """Share a file in a channel (files_upload_v2); on a Slack or network error log and go on."""
    try:
        client.files_upload_v2(
            channel=channel,
            content=content,
            filename=filename,
            title=title,
            initial_comment=comment,
            alt_txt=alt_text,
            request_file_info=False,
        )
    except (SlackApiError, SlackRequestError, OSError) as exc:
        error = exc.response.get("error") if isinstance(exc, SlackApiError) else type(exc).__name__
        log.warning("Could not upload %s [ref=%s]: %s", what, ref, error)
        return False
    return True
