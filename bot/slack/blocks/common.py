"""Small shared builders: escaping, message envelopes, text objects."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from babel.dates import format_date
from slack_sdk.models.basic_objects import JsonObject
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
        return {"text": self.text, "blocks": [as_json(b) for b in self.blocks]}


_GENERIC_TO_DICT = JsonObject.to_dict
# slack_sdk keeps these empty lists; every other empty value is left out.
_EMPTY_ALLOWED = frozenset(
    ("rich_text_section", "rich_text_list", "rich_text_preformatted", "rich_text_quote")
)


@cache
def _validators(cls: type) -> tuple[str, ...]:
    """The names of a Block Kit class's validators (methods slack_sdk marks `validator`)."""
    return tuple(
        name
        for name in sorted(dir(cls))
        if not name.startswith("__") and hasattr(getattr(cls, name, None), "validator")
    )


# Each class's JSON keys, sorted. slack_sdk builds the `attributes` set anew on every read,
# by set unions up the class tree, but from constants only: it is the same for every instance.
_KEYS: dict[type, tuple[str, ...]] = {}


def _keys(value: JsonObject) -> tuple[str, ...]:
    cls = type(value)
    keys = _KEYS.get(cls)
    if keys is None:
        keys = _KEYS[cls] = tuple(sorted(value.attributes))
    return keys


def as_json(value: Any) -> Any:
    """What slack_sdk's `to_dict()` makes of a Block Kit object, in a third of the time.

    slack_sdk looks up every object's validators and empties by reflection on each call;
    the dispatcher renders thousands of messages a minute. The same validators still run
    (an invalid object raises `SlackObjectFormationError` as before), classes with a
    `to_dict` of their own (options, confirm dialogs) still use it, and a test compares the
    output with `to_dict()` for every message the bot sends.
    """
    if isinstance(value, JsonObject):
        if type(value).to_dict is not _GENERIC_TO_DICT:
            return {key: as_json(item) for key, item in value.to_dict().items()}
        for name in _validators(type(value)):
            getattr(value, name)()
        out = {}
        for key in _keys(value):
            item = getattr(value, key, None)
            # Like slack_sdk: no nulls, and no empty strings, lists or dicts but the above.
            if item is None:
                continue
            if (
                isinstance(item, str | list | tuple | dict)
                and not item
                and not (key == "elements" and getattr(value, "type", None) in _EMPTY_ALLOWED)
            ):
                continue
            out[key] = as_json(item)
        return out
    if isinstance(value, list | tuple):
        return [as_json(item) for item in value]
    return value
