"""`as_json` must give exactly what slack_sdk's `to_dict()` gives, and validate the same way."""

from __future__ import annotations

import datetime as dt

import pytest
from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    DividerBlock,
    HeaderBlock,
    RichTextBlock,
    RichTextSectionElement,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot.i18n import translator
from bot.services.catalog import load_catalog
from bot.slack.blocks import jour_fixe, messages, profile
from bot.slack.blocks.common import Message, as_json, plain
from bot.slack.forms import empty_profile
from bot.slack.metadata import ModalMeta

NOW = dt.datetime(2026, 12, 1, 7, 30, tzinfo=dt.UTC)


def _messages(language: str) -> list[Message]:
    t = translator(language)
    later = NOW + dt.timedelta(hours=7)
    return [
        jour_fixe.nudge_message(
            t, jf_id=7, partner="U2", meeting=later, tz_name="Asia/Kolkata", now=NOW, topic="X"
        ),
        jour_fixe.checkin_message(
            t, jf_id=7, partner="U2", meeting=later, tz_name="Europe/Berlin", now=NOW
        ),
        jour_fixe.poll_message(t, poll_id=3, partner="U2", day=NOW.date()),
        jour_fixe.moved_notice(t, by="U2", meeting=later, tz_name=None, now=NOW),
        jour_fixe.ghost_message(t, misses=3, partner="U2"),
        jour_fixe.ghost_message(t, misses=3, partner=None),
        messages.help_message(t, "frobnicate", hr_admin=True),
        messages.leave_confirmation(t),  # a confirm dialog: a class with a to_dict of its own
        messages.apology(t, "ref-123"),
    ]


def _views(language: str) -> list[View]:
    t = translator(language)
    meta = ModalMeta(language=language, timezone="Europe/Berlin", poll_id=3)
    return [
        profile.join_modal(t, load_catalog(), empty_profile(language), meta),  # options, groups
        profile.pause_modal(t, "Europe/Berlin"),  # a date picker
        jour_fixe.thought_modal(t, meta, None),
        jour_fixe.move_modal(t, meta, NOW),
    ]


@pytest.mark.parametrize("language", ["en", "de"])
def test_every_message_and_modal_serialises_as_slack_sdk_does(language: str) -> None:
    blocks: list[Block] = [b for m in _messages(language) for b in m.blocks]
    blocks += [b for v in _views(language) for b in v.blocks]
    blocks += [
        HeaderBlock(text=plain("Header")),
        DividerBlock(),
        # slack_sdk keeps this one empty list; everywhere else empties are dropped.
        RichTextBlock(elements=[RichTextSectionElement(elements=[])]),
        SectionBlock(text="plain string", fields=[]),
    ]
    assert len(blocks) > 40
    for block in blocks:
        assert as_json(block) == block.to_dict(), block.type
    message = _messages(language)[0]
    assert message.as_kwargs()["blocks"] == [b.to_dict() for b in message.blocks]


def test_an_invalid_object_still_raises() -> None:
    too_long = ActionsBlock(elements=[ButtonElement(text="x" * 76, action_id="a", value="v")])
    with pytest.raises(SlackObjectFormationError):
        too_long.to_dict()
    with pytest.raises(SlackObjectFormationError):
        as_json(too_long)


def test_no_block_kit_class_has_keys_that_depend_on_the_instance() -> None:
    """`as_json` keeps each class's keys from its first instance. That is right only while
    slack_sdk builds `attributes` from constants: a release where it reads the instance must
    fail here rather than send wrong JSON."""
    import ast
    import importlib
    import inspect
    import textwrap

    from slack_sdk.models.basic_objects import JsonObject

    for module in ("attachments", "blocks", "dialogs", "messages", "metadata", "views"):
        importlib.import_module(f"slack_sdk.models.{module}")
    classes, todo = set(), [JsonObject]
    while todo:
        for sub in todo.pop().__subclasses__():
            if sub not in classes:
                classes.add(sub)
                todo.append(sub)
    checked = 0
    for cls in classes:
        getter = cls.__dict__.get("attributes")
        if not isinstance(getter, property):
            continue  # not overridden, or a plain class-level set
        tree = ast.parse(textwrap.dedent(inspect.getsource(getter.fget)))
        body = tree.body[0]
        assert isinstance(body, ast.FunctionDef)
        reads_self = [
            node
            for statement in body.body
            for node in ast.walk(statement)
            if isinstance(node, ast.Name) and node.id == "self"
        ]
        assert not reads_self, f"{cls.__module__}.{cls.__qualname__}.attributes reads self"
        checked += 1
    assert checked > 50
