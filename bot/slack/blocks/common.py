"""Small shared builders: escaping, message envelopes, text objects."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
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


@dataclass(frozen=True)
class _Plan:
    """How one Block Kit class turns into JSON, worked out once per class."""

    custom: bool  # has a to_dict of its own (options, confirm dialogs): use it
    validators: tuple[str, ...]  # the methods slack_sdk marks `validator`
    keys: tuple[str, ...]  # its JSON keys, sorted


# Values that are JSON as they are; anything else is looked up by its exact class.
_SCALARS = frozenset((str, int, float, bool, type(None)))
_EMPTIABLE = (str, list, tuple, dict)
_PLANS: dict[type, _Plan | None] = {}


def _plan(value: Any) -> _Plan | None:
    """The class's plan, or None if it is no Block Kit object.

    slack_sdk rebuilds the `attributes` set by unions up the class tree on every read, but
    from constants only: it is the same for every instance, so the first one's is kept.
    """
    cls = type(value)
    if cls not in _PLANS:
        if not isinstance(value, JsonObject):
            _PLANS[cls] = None
        else:
            validators = tuple(
                name
                for name in sorted(dir(cls))
                if not name.startswith("__") and hasattr(getattr(cls, name, None), "validator")
            )
            custom = cls.to_dict is not _GENERIC_TO_DICT
            _PLANS[cls] = _Plan(custom, validators, tuple(sorted(value.attributes)))
    return _PLANS[cls]


def as_json(value: Any) -> Any:
    """What slack_sdk's `to_dict()` makes of a Block Kit object, in a fifth of the time.

    slack_sdk looks up every object's validators and keys by reflection on each call, and
    its ABC isinstance checks are slow; the dispatcher renders thousands of messages a
    minute. The same validators still run (an invalid object raises
    `SlackObjectFormationError` as before), classes with a `to_dict` of their own (options,
    confirm dialogs) still use it, and a test compares the output with `to_dict()` for every
    message the bot sends.
    """
    cls = type(value)
    if cls in _SCALARS:
        return value
    if cls is list or cls is tuple:
        return [as_json(item) for item in value]
    plan = _plan(value)
    if plan is None:
        return [as_json(item) for item in value] if isinstance(value, list | tuple) else value
    if plan.custom:
        return {key: as_json(item) for key, item in value.to_dict().items()}
    for name in plan.validators:
        getattr(value, name)()
    out = {}
    for key in plan.keys:
        item = getattr(value, key, None)
        # Like slack_sdk: no nulls, and no empty strings, lists or dicts but the above.
        if item is None:
            continue
        if (
            isinstance(item, _EMPTIABLE)
            and not item
            and not (key == "elements" and getattr(value, "type", None) in _EMPTY_ALLOWED)
        ):
            continue
        out[key] = as_json(item)
    return out
