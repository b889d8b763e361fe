"""Block Kit rules: a good surface passes, every broken one yields exactly its violation."""

from __future__ import annotations

from typing import Any

import pytest

from bot.sandbox.blockkit import validate_blocks, validate_message, validate_view


def pt(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text}


def md(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text}


def option(value: str, text: str | None = None) -> dict[str, Any]:
    return {"text": pt(text or value.title()), "value": value}


def button(action_id: str = "go", **extra: Any) -> dict[str, Any]:
    return {"type": "button", "action_id": action_id, "text": pt("Go"), "value": "v", **extra}


def text_input(**extra: Any) -> dict[str, Any]:
    return {
        "type": "input",
        "block_id": "name",
        "label": pt("Name"),
        "element": {"type": "plain_text_input", "action_id": "name", **extra},
    }


def select(kind: str, options: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {
        "type": "input",
        "block_id": "pick",
        "label": pt("Pick"),
        "element": {"type": kind, "action_id": "pick", "options": options, **extra},
    }


def modal(blocks: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {"type": "modal", "title": pt("Join"), "submit": pt("Save"), "blocks": blocks, **extra}


GOOD_MESSAGE = [
    {"type": "header", "text": pt("Hello")},
    {"type": "section", "block_id": "intro", "text": md("*Hi* there"), "accessory": button("more")},
    {"type": "section", "fields": [md("a"), md("b")]},
    {"type": "divider"},
    {"type": "context", "elements": [md("small print")]},
    {
        "type": "actions",
        "block_id": "act",
        "elements": [
            button("yes", style="primary"),
            button(
                "no",
                style="danger",
                confirm={
                    "title": pt("Sure?"),
                    "text": md("Really?"),
                    "confirm": pt("Yes"),
                    "deny": pt("No"),
                },
            ),
        ],
    },
]


def test_a_well_formed_message_has_no_violations() -> None:
    assert validate_blocks(GOOD_MESSAGE, surface="message") == []
    assert validate_message({"text": "Hello", "blocks": GOOD_MESSAGE}) == []


def test_a_well_formed_modal_with_every_input_kind_has_no_violations() -> None:
    opts = [option("a"), option("b"), option("c")]
    view = modal(
        [
            text_input(min_length=1, max_length=500, initial_value="x"),
            select("static_select", opts, initial_option=option("b")),
            {
                "type": "input",
                "block_id": "many",
                "label": pt("Many"),
                "optional": True,
                "element": {
                    "type": "multi_static_select",
                    "action_id": "many",
                    "options": opts,
                    "initial_options": [option("a")],
                    "max_selected_items": 2,
                    "placeholder": pt("Choose"),
                },
            },
            {
                "type": "input",
                "block_id": "box",
                "label": pt("Box"),
                "hint": pt("tick some"),
                "element": {"type": "checkboxes", "action_id": "box", "options": opts},
            },
            {
                "type": "input",
                "block_id": "n",
                "label": pt("N"),
                "element": {"type": "number_input", "action_id": "n", "is_decimal_allowed": False},
            },
            {
                "type": "input",
                "block_id": "d",
                "label": pt("Day"),
                "element": {"type": "datepicker", "action_id": "d", "initial_date": "2025-01-31"},
            },
        ],
        private_metadata="x" * 3000,
        callback_id="c" * 255,
    )
    assert validate_view(view) == []


def test_a_home_view_may_hold_100_blocks() -> None:
    view = {"type": "home", "blocks": [{"type": "divider"}] * 100}
    assert validate_view(view) == []


MESSAGE_CASES: list[tuple[str, list[Any], str]] = [
    ("51 blocks", [{"type": "divider"}] * 51, "at most 50 blocks, got 51"),
    ("unknown block type", [{"type": "banner"}], "unknown block type 'banner'"),
    ("header over 150", [{"type": "header", "text": pt("h" * 151)}], "exceeds 150 characters"),
    ("header in mrkdwn", [{"type": "header", "text": md("h")}], "must be a plain_text object"),
    ("section text over 3000", [{"type": "section", "text": md("s" * 3001)}], "exceeds 3000"),
    ("empty mrkdwn", [{"type": "section", "text": md("")}], "text must be a non-empty string"),
    ("empty plain_text", [{"type": "section", "text": pt("")}], "text must be a non-empty"),
    ("section without text", [{"type": "section"}], "section needs text or fields"),
    (
        "11 section fields",
        [{"type": "section", "fields": [md("f")] * 11}],
        "at most 10 fields, got 11",
    ),
    (
        "11 context elements",
        [{"type": "context", "elements": [md("c")] * 11}],
        "context allows at most 10 elements, got 11",
    ),
    (
        "button in context",
        [{"type": "context", "elements": [button()]}],
        "element type 'button' is not allowed here",
    ),
    (
        "26 actions elements",
        [{"type": "actions", "elements": [button(f"b{i}") for i in range(26)]}],
        "actions allows at most 25 elements, got 26",
    ),
    (
        "text input in actions",
        [{"type": "actions", "elements": [{"type": "plain_text_input", "action_id": "t"}]}],
        "element type 'plain_text_input' is not allowed here",
    ),
    (
        "button style",
        [{"type": "actions", "elements": [button(style="secondary")]}],
        "button style must be primary or danger, got 'secondary'",
    ),
    (
        "button text over 75",
        [{"type": "actions", "elements": [{**button(), "text": pt("b" * 76)}]}],
        "text exceeds 75 characters",
    ),
    (
        "duplicate action_id",
        [{"type": "actions", "elements": [button("same"), button("same")]}],
        "duplicate action_id 'same' in this block",
    ),
    (
        "action_id over 255",
        [{"type": "actions", "elements": [button("a" * 256)]}],
        "action_id exceeds 255 characters",
    ),
    (
        "duplicate block_id",
        [{"type": "divider", "block_id": "x"}, {"type": "divider", "block_id": "x"}],
        "duplicate block_id 'x'",
    ),
    ("block_id over 255", [{"type": "divider", "block_id": "b" * 256}], "block_id exceeds 255"),
    (
        "confirm without deny",
        [
            {
                "type": "actions",
                "elements": [
                    button(confirm={"title": pt("T"), "text": md("x"), "confirm": pt("Y")})
                ],
            }
        ],
        "confirm.deny: is required",
    ),
    (
        "confirm title over 100",
        [
            {
                "type": "actions",
                "elements": [
                    button(
                        confirm={
                            "title": pt("t" * 101),
                            "text": md("x"),
                            "confirm": pt("Y"),
                            "deny": pt("N"),
                        }
                    )
                ],
            }
        ],
        "confirm.title: text exceeds 100 characters",
    ),
    (
        "image url over 3000 (slack_sdk's own check)",
        [{"type": "image", "image_url": "https://x/" + "i" * 3000, "alt_text": "a"}],
        "slack_sdk: image_url attribute cannot exceed 3000 characters",
    ),
]


@pytest.mark.parametrize(
    ("blocks", "expected"),
    [case[1:] for case in MESSAGE_CASES],
    ids=[case[0] for case in MESSAGE_CASES],
)
def test_each_broken_message_block_yields_exactly_its_violation(
    blocks: list[Any], expected: str
) -> None:
    violations = validate_blocks(blocks, surface="message")
    assert len(violations) == 1, violations
    assert expected in violations[0]


THREE = [option("a"), option("b"), option("c")]
VIEW_CASES: list[tuple[str, dict[str, Any], str]] = [
    ("101 blocks", modal([{"type": "divider"}] * 101), "a modal may hold at most 100 blocks"),
    ("no blocks", modal([]), "a view needs at least one block"),
    (
        "input without submit",
        {"type": "modal", "title": pt("T"), "blocks": [text_input()]},
        "a modal with input blocks must have a submit button",
    ),
    ("title over 24", {**modal([text_input()]), "title": pt("t" * 25)}, "exceeds 24 characters"),
    ("submit over 24", {**modal([text_input()]), "submit": pt("s" * 25)}, "exceeds 24 characters"),
    ("close over 24", {**modal([text_input()]), "close": pt("c" * 25)}, "exceeds 24 characters"),
    (
        "home with submit",
        {"type": "home", "submit": pt("x"), "blocks": [{"type": "divider"}]},
        "a Home tab cannot have submit or close",
    ),
    ("private_metadata", modal([text_input()], private_metadata="p" * 3001), "exceeds 3000"),
    ("callback_id", modal([text_input()], callback_id="c" * 256), "exceeds 255 characters"),
    (
        "view over 250 kB",
        modal([{"type": "section", "text": md("x" * 2900)}] * 90),
        "over Slack's 250 kB limit",
    ),
    ("min_length over 3000", modal([text_input(min_length=3001)]), "between 0 and 3000"),
    ("negative max_length", modal([text_input(max_length=-1)]), "between 0 and 3000"),
    (
        "min above max",
        modal([text_input(min_length=10, max_length=5)]),
        "min_length (10) exceeds max_length (5)",
    ),
    (
        "11 checkboxes",
        modal([select("checkboxes", [option(f"o{i}") for i in range(11)])]),
        "checkboxes allows at most 10 options, got 11",
    ),
    (
        "11 radio buttons",
        modal([select("radio_buttons", [option(f"o{i}") for i in range(11)])]),
        "radio_buttons allows at most 10 options, got 11",
    ),
    (
        "101 select options",
        modal([select("static_select", [option(f"o{i}") for i in range(101)])]),
        "static_select allows at most 100 options, got 101",
    ),
    (
        "option text over 75",
        modal([select("static_select", [option("a", "t" * 76)])]),
        "text exceeds 75 characters",
    ),
    (
        "option value over 150",
        modal([select("static_select", [option("v" * 151, "ok")])]),
        "value exceeds 150 characters",
    ),
    (
        "initial_option not an option",
        modal([select("static_select", THREE, initial_option=option("z"))]),
        "initial_option is not one of the element's options",
    ),
    (
        "initial_option with different text",
        modal([select("static_select", THREE, initial_option=option("a", "Other"))]),
        "initial_option is not one of the element's options",
    ),
    (
        "initial_options not options",
        modal([select("multi_static_select", THREE, initial_options=[option("z")])]),
        "initial_options[0] is not one of the element's options",
    ),
    (
        "max_selected_items zero",
        modal([select("multi_static_select", THREE, max_selected_items=0)]),
        "max_selected_items must be an integer >= 1",
    ),
    (
        "label over 2000",
        modal([{**text_input(), "label": pt("l" * 2001)}]),
        "label: text exceeds 2000 characters",
    ),
    (
        "hint over 2000",
        modal([{**text_input(), "hint": pt("h" * 2001)}]),
        "hint: text exceeds 2000 characters",
    ),
    (
        "placeholder over 150",
        modal([text_input(placeholder=pt("p" * 151))]),
        "placeholder: text exceeds 150 characters",
    ),
    (
        "button as input element",
        modal([{"type": "input", "label": pt("L"), "element": button()}]),
        "element type 'button' is not allowed here",
    ),
    (
        "number_input without is_decimal_allowed",
        modal(
            [
                {
                    "type": "input",
                    "label": pt("N"),
                    "element": {"type": "number_input", "action_id": "n"},
                }
            ]
        ),
        "number_input needs is_decimal_allowed",
    ),
]


@pytest.mark.parametrize(
    ("view", "expected"),
    [case[1:] for case in VIEW_CASES],
    ids=[case[0] for case in VIEW_CASES],
)
def test_each_broken_view_yields_exactly_its_violation(view: dict[str, Any], expected: str) -> None:
    violations = validate_view(view)
    assert len(violations) == 1, violations
    assert expected in violations[0]


def test_violations_name_the_block_position_and_block_id() -> None:
    violations = validate_blocks(
        [{"type": "divider"}, {"type": "header", "block_id": "top", "text": pt("h" * 151)}],
        surface="message",
    )
    assert violations == [
        "blocks[1] (header, block_id='top').text: text exceeds 150 characters (151)"
    ]


def test_blocks_without_top_level_text_are_a_missing_text_fallback() -> None:
    violations = validate_message({"blocks": [{"type": "divider"}]})
    assert len(violations) == 1
    assert "missing text fallback" in violations[0]


def test_a_message_with_neither_text_nor_blocks_is_no_text() -> None:
    assert validate_message({"text": ""}) == [
        "message: needs text or blocks (Slack answers no_text)"
    ]


def test_a_view_that_is_not_a_modal_or_home_is_rejected() -> None:
    assert validate_view({"type": "dialog", "blocks": []}) == [
        "view: type must be modal or home, got 'dialog'"
    ]
    assert validate_view("nope") == ["view: must be a JSON object"]


def test_an_unknown_surface_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="surface"):
        validate_blocks([], surface="dialog")


def test_garbage_never_raises() -> None:
    for junk in (None, 3, "x", [None], [{"type": 5}], [{"type": "actions", "elements": [7]}]):
        assert validate_blocks(junk, surface="message")
