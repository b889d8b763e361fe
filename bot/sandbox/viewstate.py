"""View state the way Slack keeps it: ``state.values[block_id][action_id]`` with typed keys."""

from __future__ import annotations

import copy
import datetime as dt
import secrets
import string
from collections.abc import Iterator, Mapping
from typing import Any

# Element type -> the key Slack uses for its value in view.state and in block_actions.
STATE_KEYS: dict[str, str] = {
    "plain_text_input": "value",
    "email_text_input": "value",
    "url_text_input": "value",
    "number_input": "value",
    "rich_text_input": "rich_text_value",
    "static_select": "selected_option",
    "external_select": "selected_option",
    "radio_buttons": "selected_option",
    "multi_static_select": "selected_options",
    "multi_external_select": "selected_options",
    "checkboxes": "selected_options",
    "users_select": "selected_user",
    "multi_users_select": "selected_users",
    "conversations_select": "selected_conversation",
    "multi_conversations_select": "selected_conversations",
    "channels_select": "selected_channel",
    "multi_channels_select": "selected_channels",
    "datepicker": "selected_date",
    "timepicker": "selected_time",
    "datetimepicker": "selected_date_time",
    "file_input": "files",
}
INITIAL_KEYS: dict[str, str] = {
    "value": "initial_value",
    "rich_text_value": "initial_value",
    "selected_option": "initial_option",
    "selected_options": "initial_options",
    "selected_user": "initial_user",
    "selected_users": "initial_users",
    "selected_conversation": "initial_conversation",
    "selected_conversations": "initial_conversations",
    "selected_channel": "initial_channel",
    "selected_channels": "initial_channels",
    "selected_date": "initial_date",
    "selected_time": "initial_time",
    "selected_date_time": "initial_date_time",
}
LIST_KEYS = {
    "selected_options",
    "selected_users",
    "selected_conversations",
    "selected_channels",
    "files",
}
_ID_CHARS = string.ascii_letters + string.digits


def random_id(length: int = 5) -> str:
    """Return an id like the ones Slack invents for blocks without block_id (e.g. ``"hspI"``)."""
    return "".join(secrets.choice(_ID_CHARS) for _ in range(length))


def _elements_of(block: Mapping[str, Any]) -> list[Any]:
    kind = block.get("type")
    if kind == "input":
        return [block.get("element")]
    if kind == "actions":
        elements = block.get("elements")
        return list(elements) if isinstance(elements, list) else []
    if kind == "section":
        return [block.get("accessory")]
    return []


def iter_elements(blocks: Any) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    """Yield ``(block, element)`` for every interactive element in input/actions/section blocks."""
    if not isinstance(blocks, list):
        return
    for block in blocks:
        if not isinstance(block, dict):
            continue
        for element in _elements_of(block):
            if isinstance(element, dict) and isinstance(element.get("type"), str):
                yield block, element


def assign_ids(blocks: Any) -> Any:
    """Return a copy of ``blocks`` in which every block and element has an id, as Slack does."""
    blocks = copy.deepcopy(blocks)
    if not isinstance(blocks, list):
        return blocks
    for block in blocks:
        if isinstance(block, dict) and "block_id" not in block:
            block["block_id"] = random_id(4)
    for _block, element in iter_elements(blocks):
        if element.get("type") != "image" and "action_id" not in element:
            element["action_id"] = random_id(5)
    return blocks


def empty_entry(element: Mapping[str, Any]) -> dict[str, Any]:
    """Return the state entry of an untouched element that has no initial value."""
    key = STATE_KEYS[element["type"]]
    return {"type": element["type"], key: [] if key in LIST_KEYS else None}


def initial_entry(element: Mapping[str, Any]) -> dict[str, Any] | None:
    """Return the state entry built from the element's ``initial_*`` field, if it has one."""
    key = STATE_KEYS[element["type"]]
    initial_key = INITIAL_KEYS.get(key)
    if initial_key is None or element.get(initial_key) is None:
        return None
    return {"type": element["type"], key: copy.deepcopy(element[initial_key])}


def build_state(
    blocks: Any,
    previous_blocks: Any = None,
    previous_values: Mapping[str, Any] | None = None,
) -> dict[str, dict[str, Any]]:
    """Compute ``state.values`` for new blocks, keeping user input where the ids are unchanged."""
    previous_types: dict[tuple[str, str], str] = {}
    for block, element in iter_elements(previous_blocks):
        previous_types[(str(block.get("block_id")), str(element.get("action_id")))] = element[
            "type"
        ]
    previous_values = previous_values or {}
    values: dict[str, dict[str, Any]] = {}
    for block, element in iter_elements(blocks):
        if element["type"] not in STATE_KEYS:
            continue
        block_id = str(block.get("block_id"))
        action_id = str(element.get("action_id"))
        entry: dict[str, Any] | None = None
        kept = previous_values.get(block_id, {}).get(action_id)
        # Slack ignores initial_* and keeps the user's input when block_id and action_id survive.
        if kept is not None and previous_types.get((block_id, action_id)) == element["type"]:
            entry = copy.deepcopy(kept)
        if entry is None:
            entry = initial_entry(element)
        if entry is None and block.get("type") == "input":
            entry = empty_entry(element)
        if entry is not None:
            values.setdefault(block_id, {})[action_id] = entry
    return values


def find_element(
    blocks: Any, block_id: str, action_id: str | None = None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Return ``(block, element)`` for a block_id (and action_id); raise ValueError if absent."""
    seen = []
    for block, element in iter_elements(blocks):
        seen.append(f"{block.get('block_id')}/{element.get('action_id')}")
        if block.get("block_id") != block_id:
            continue
        if action_id is None or element.get("action_id") == action_id:
            return block, element
    raise ValueError(f"no element {block_id}/{action_id or '*'} in this surface; it has {seen}")


def all_options(element: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Return the element's options, flattening option_groups."""
    options = [o for o in element.get("options") or [] if isinstance(o, dict)]
    for group in element.get("option_groups") or []:
        if isinstance(group, dict):
            options.extend(o for o in group.get("options") or [] if isinstance(o, dict))
    return options


def _option(element: Mapping[str, Any], value: Any, *, client_checks: bool) -> dict[str, Any]:
    if isinstance(value, Mapping):
        value = value.get("value")
    options = all_options(element)
    external = element["type"] in ("external_select", "multi_external_select")
    if (not options and external) or (
        not client_checks and value not in [o.get("value") for o in options]
    ):
        return {"text": {"type": "plain_text", "text": str(value)}, "value": str(value)}
    for option in options:
        if option.get("value") == value:
            return copy.deepcopy(option)
    values = [o.get("value") for o in options]
    raise ValueError(
        f"{value!r} is not an option of {element.get('action_id')!r}; options: {values}"
    )


def to_state_entry(
    element: Mapping[str, Any], value: Any, *, client_checks: bool = True
) -> dict[str, Any]:
    """Convert a test's python value into Slack's typed state entry for this element.

    With ``client_checks`` (the default) values the Slack client would refuse raise ValueError;
    without, they pass through as a tampered or buggy client might send them.
    """
    kind = element["type"]
    if kind not in STATE_KEYS:
        raise ValueError(f"element type {kind!r} holds no state")
    key = STATE_KEYS[kind]
    if value is None or (key in LIST_KEYS and value == []):
        return empty_entry(element)
    result: Any
    if key == "value":
        result = _text_value(element, value) if client_checks else str(value)
    elif key == "rich_text_value":
        result = value if isinstance(value, Mapping) else _rich_text(str(value))
    elif key == "selected_option":
        result = _option(element, value, client_checks=client_checks)
    elif key == "selected_options":
        if isinstance(value, (str, Mapping)):
            raise ValueError(f"{element.get('action_id')!r} takes a list of option values")
        result = [_option(element, v, client_checks=client_checks) for v in value]
        limit = element.get("max_selected_items")
        if client_checks and isinstance(limit, int) and len(result) > limit:
            raise ValueError(f"Slack lets the user pick at most {limit} items")
    elif key in LIST_KEYS:
        if isinstance(value, str):
            raise ValueError(f"{element.get('action_id')!r} takes a list")
        result = list(value)
    elif key == "selected_date":
        result = value.isoformat() if isinstance(value, dt.date) else str(value)
        dt.date.fromisoformat(result)
    elif key == "selected_time":
        result = value.strftime("%H:%M") if isinstance(value, dt.time) else str(value)
        dt.datetime.strptime(result, "%H:%M")  # noqa: DTZ007 - only checks the format
    elif key == "selected_date_time":
        result = int(value.timestamp()) if isinstance(value, dt.datetime) else int(value)
    else:
        result = str(value)
    return {"type": kind, key: result}


def _text_value(element: Mapping[str, Any], value: Any) -> str:
    text = str(value)
    kind = element["type"]
    if kind == "plain_text_input":
        # The Slack client enforces these lengths before the user can submit.
        min_length = element.get("min_length")
        max_length = element.get("max_length", 3000)
        if isinstance(max_length, int) and len(text) > max_length:
            raise ValueError(f"Slack would not accept {len(text)} characters (max {max_length})")
        if isinstance(min_length, int) and 0 < len(text) < min_length:
            raise ValueError(f"Slack would not accept {len(text)} characters (min {min_length})")
    elif kind == "number_input":
        try:
            number = float(text)
        except ValueError:
            raise ValueError(f"{text!r} is not a number") from None
        if not element.get("is_decimal_allowed") and not number.is_integer():
            raise ValueError(f"{text!r}: this number_input does not allow decimals")
        low, high = element.get("min_value"), element.get("max_value")
        if low is not None and number < float(low):
            raise ValueError(f"{text!r} is below min_value={low}")
        if high is not None and number > float(high):
            raise ValueError(f"{text!r} is above max_value={high}")
    return text


def _rich_text(text: str) -> dict[str, Any]:
    return {
        "type": "rich_text",
        "elements": [{"type": "rich_text_section", "elements": [{"type": "text", "text": text}]}],
    }


def is_empty(entry: Mapping[str, Any] | None) -> bool:
    """Whether a state entry holds no value (what makes a required input block unsubmittable)."""
    if entry is None:
        return True
    key = STATE_KEYS.get(str(entry.get("type")))
    if key is None:
        return True
    value = entry.get(key)
    return value is None or value == "" or value == []
