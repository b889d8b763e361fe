"""Small shared builders: escaping, message envelopes, text objects."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from babel.dates import format_date
from slack_sdk.models.blocks import (
    Block,
    ButtonElement,
    ConfirmObject,
    ContextBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

from bot.i18n import Translator

SECTION_TEXT_MAX = 3000


def escape(text: str) -> str:
    """Escape user text for mrkdwn, so `<!channel>` shows literally instead of pinging."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def format_day(t: Translator, day: dt.date) -> str:
    """A date the way people in this language write it ("31. Dezember 2026")."""
    return str(format_date(day, format="long", locale=t.language))


def plain(text: str) -> PlainTextObject:
    """A plain_text object with emoji enabled."""
    return PlainTextObject(text=text, emoji=True)


def md(text: str) -> MarkdownTextObject:
    """A mrkdwn text object."""
    return MarkdownTextObject(text=text)


def section(text: str, **kwargs: Any) -> SectionBlock:
    """A mrkdwn section, truncated to Slack's 3000-character limit."""
    if len(text) > SECTION_TEXT_MAX:
        text = text[: SECTION_TEXT_MAX - 1] + "…"
    return SectionBlock(text=md(text), **kwargs)


def context(text: str) -> ContextBlock:
    """A small grey line of mrkdwn."""
    return ContextBlock(elements=[md(text)])


def button(
    text: str,
    action_id: str,
    value: str,
    *,
    style: str | None = None,
    confirm: ConfirmObject | None = None,
) -> ButtonElement:
    """A button; `value` is never trusted when it comes back, only used as a hint."""
    return ButtonElement(
        text=plain(text), action_id=action_id, value=value, style=style, confirm=confirm
    )


@dataclass(frozen=True)
class Message:
    """A message: fallback text (notifications, screen readers) plus blocks."""

    text: str
    blocks: list[Block] = field(default_factory=list)

    def as_kwargs(self) -> dict[str, Any]:
        """Arguments for chat.postMessage, respond() or an ack body."""
        return {"text": self.text, "blocks": [b.to_dict() for b in self.blocks]}
