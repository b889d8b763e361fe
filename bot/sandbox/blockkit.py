"""Block Kit validation: slack_sdk's own model checks plus the limits slack_sdk does not check."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Mapping
from typing import Any

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block, DividerBlock
from slack_sdk.models.views import View

MAX_BLOCKS = {"message": 50, "modal": 100, "home": 100}
MAX_VIEW_BYTES = 250_000
MAX_ID_LENGTH = 255

SELECTS = {
    "static_select",
    "external_select",
    "users_select",
    "conversations_select",
    "channels_select",
}
MULTI_SELECTS = {f"multi_{t}" for t in SELECTS}
INPUT_ELEMENTS = {
    "checkboxes",
    "datepicker",
    "datetimepicker",
    "email_text_input",
    "file_input",
    "number_input",
    "plain_text_input",
    "radio_buttons",
    "rich_text_input",
    "timepicker",
    "url_text_input",
    *SELECTS,
    *MULTI_SELECTS,
}
ACTIONS_ELEMENTS = {
    "button",
    "checkboxes",
    "datepicker",
    "datetimepicker",
    "overflow",
    "radio_buttons",
    "timepicker",
    "workflow_button",
    *SELECTS,
    *MULTI_SELECTS,
}
SECTION_ACCESSORIES = {
    "button",
    "checkboxes",
    "datepicker",
    "image",
    "overflow",
    "radio_buttons",
    "timepicker",
    "workflow_button",
    *SELECTS,
    *MULTI_SELECTS,
}
CONTEXT_ELEMENTS = {"image", "plain_text", "mrkdwn"}
KNOWN_BLOCKS = {
    "actions",
    "context",
    "divider",
    "file",
    "header",
    "image",
    "input",
    "markdown",
    "rich_text",
    "section",
    "video",
    "table",
    "context_actions",
}
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


def _describe(block: Mapping[str, Any], index: int, prefix: str) -> str:
    block_id = block.get("block_id")
    where = f"{prefix}[{index}] ({block.get('type')}"
    if isinstance(block_id, str):
        where += f", block_id={block_id!r}"
    return where + ")"


def _sdk_error(build: Any) -> str | None:
    """Run a slack_sdk model build/validation and return its complaint, if any."""
    try:
        build()
    except SlackObjectFormationError as exc:
        return f"slack_sdk: {exc}"
    except Exception as exc:  # a malformed dict can make slack_sdk raise anything
        return f"slack_sdk cannot build it ({type(exc).__name__}: {exc})"
    return None


def _build_block(block: Mapping[str, Any]) -> None:
    parsed = Block.parse(copy.deepcopy(dict(block)))
    if parsed is not None:
        # to_dict() validates the block and, recursively, every element inside it
        parsed.to_dict()


class _Checker:
    def __init__(self, surface: str) -> None:
        self.surface = surface
        self.violations: list[str] = []
        self.block_ids: dict[str, str] = {}

    def add(self, path: str, message: str) -> None:
        self.violations.append(f"{path}: {message}")

    # --- composition objects -------------------------------------------------
    def text(
        self,
        obj: Any,
        path: str,
        *,
        max_len: int | None = None,
        plain_only: bool = False,
        required: bool = True,
    ) -> None:
        if obj is None:
            if required:
                self.add(path, "is required")
            return
        if not isinstance(obj, Mapping):
            self.add(path, "must be a text object")
            return
        kind = obj.get("type")
        if kind not in ("plain_text", "mrkdwn"):
            self.add(path, f"text object type must be plain_text or mrkdwn, got {kind!r}")
            return
        if plain_only and kind != "plain_text":
            self.add(path, "must be a plain_text object")
        text = obj.get("text")
        if not isinstance(text, str) or not text:
            self.add(path, "text must be a non-empty string")
        elif max_len is not None and len(text) > max_len:
            self.add(path, f"text exceeds {max_len} characters ({len(text)})")
        if kind == "mrkdwn" and "emoji" in obj:
            self.add(path, "emoji is only allowed on plain_text")
        if kind == "plain_text" and "verbatim" in obj:
            self.add(path, "verbatim is only allowed on mrkdwn")

    def confirm(self, obj: Any, path: str) -> None:
        if not isinstance(obj, Mapping):
            self.add(path, "must be a confirmation dialog object")
            return
        self.text(obj.get("title"), f"{path}.title", max_len=100, plain_only=True)
        self.text(obj.get("text"), f"{path}.text", max_len=300)
        self.text(obj.get("confirm"), f"{path}.confirm", max_len=30, plain_only=True)
        self.text(obj.get("deny"), f"{path}.deny", max_len=30, plain_only=True)
        style = obj.get("style")
        if style is not None and style not in ("primary", "danger"):
            self.add(path, f"style must be primary or danger, got {style!r}")

    def option(self, obj: Any, path: str, *, plain_only: bool) -> None:
        if not isinstance(obj, Mapping):
            self.add(path, "must be an option object")
            return
        self.text(obj.get("text"), f"{path}.text", max_len=75, plain_only=plain_only)
        value = obj.get("value")
        if not isinstance(value, str) or not value:
            self.add(path, "value must be a non-empty string")
        elif len(value) > 150:
            self.add(path, f"value exceeds 150 characters ({len(value)})")
        if obj.get("description") is not None:
            self.text(obj.get("description"), f"{path}.description", max_len=75)

    # --- elements ------------------------------------------------------------
    def element(self, el: Any, path: str, allowed: set[str], action_ids: set[str]) -> None:
        if not isinstance(el, Mapping) or not isinstance(el.get("type"), str):
            self.add(path, "must be an element object with a type")
            return
        kind = el["type"]
        if kind not in allowed:
            self.add(path, f"element type {kind!r} is not allowed here")
            return
        action_id = el.get("action_id")
        if action_id is not None:
            if not isinstance(action_id, str) or not action_id:
                self.add(path, "action_id must be a non-empty string")
            else:
                if len(action_id) > MAX_ID_LENGTH:
                    self.add(path, f"action_id exceeds {MAX_ID_LENGTH} characters")
                if action_id in action_ids:
                    self.add(path, f"duplicate action_id {action_id!r} in this block")
                action_ids.add(action_id)
        if el.get("confirm") is not None:
            self.confirm(el["confirm"], f"{path}.confirm")
        if el.get("placeholder") is not None:
            self.text(el["placeholder"], f"{path}.placeholder", max_len=150, plain_only=True)
        if kind == "button":
            self.button(el, path)
        elif kind == "plain_text_input":
            self.plain_text_input(el, path)
        elif kind == "number_input":
            if not isinstance(el.get("is_decimal_allowed"), bool):
                self.add(path, "number_input needs is_decimal_allowed (true or false)")
        elif kind in ("checkboxes", "radio_buttons"):
            self.options_element(el, path, max_options=10, plain_only=False)
        elif kind in ("static_select", "multi_static_select"):
            self.options_element(el, path, max_options=100, plain_only=True)
        elif kind == "overflow":
            self.options_element(el, path, max_options=5, plain_only=True)
        elif kind == "image":
            if not el.get("image_url") and not el.get("slack_file"):
                self.add(path, "image needs image_url or slack_file")
            if not isinstance(el.get("alt_text"), str) or not el.get("alt_text"):
                self.add(path, "image needs a non-empty alt_text")
        elif kind == "datepicker" and not _DATE.match(str(el.get("initial_date", "2000-01-01"))):
            self.add(path, "initial_date must be YYYY-MM-DD")
        elif kind == "timepicker" and not _TIME.match(str(el.get("initial_time", "00:00"))):
            self.add(path, "initial_time must be HH:mm")
        if kind in MULTI_SELECTS and "max_selected_items" in el:
            max_items = el["max_selected_items"]
            if not isinstance(max_items, int) or isinstance(max_items, bool) or max_items < 1:
                self.add(path, f"max_selected_items must be an integer >= 1, got {max_items!r}")

    def button(self, el: Mapping[str, Any], path: str) -> None:
        self.text(el.get("text"), f"{path}.text", max_len=75, plain_only=True)
        style = el.get("style")
        if style is not None and style not in ("primary", "danger"):
            self.add(path, f"button style must be primary or danger, got {style!r}")
        value = el.get("value")
        if value is not None and (not isinstance(value, str) or len(value) > 2000):
            self.add(path, "button value must be a string of at most 2000 characters")
        url = el.get("url")
        if url is not None and (not isinstance(url, str) or len(url) > 3000):
            self.add(path, "button url must be a string of at most 3000 characters")

    def plain_text_input(self, el: Mapping[str, Any], path: str) -> None:
        bounds: dict[str, int] = {}
        for key in ("min_length", "max_length"):
            if key not in el:
                continue
            value = el[key]
            if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 3000:
                self.add(path, f"{key} must be an integer between 0 and 3000, got {value!r}")
            else:
                bounds[key] = value
        low, high = bounds.get("min_length"), bounds.get("max_length")
        if low is not None and high is not None and low > high:
            self.add(path, f"min_length ({low}) exceeds max_length ({high})")

    def options_element(
        self, el: Mapping[str, Any], path: str, *, max_options: int, plain_only: bool
    ) -> None:
        kind = el["type"]
        options = el.get("options")
        groups = el.get("option_groups")
        all_options: list[Any] = []
        if options is not None and groups is not None:
            self.add(path, "options and option_groups cannot both be given")
        if groups is not None and kind in ("static_select", "multi_static_select"):
            if not isinstance(groups, list) or not groups:
                self.add(path, "option_groups must be a non-empty list")
            else:
                if len(groups) > 100:
                    self.add(path, f"at most 100 option_groups, got {len(groups)}")
                for gi, group in enumerate(groups):
                    gpath = f"{path}.option_groups[{gi}]"
                    if not isinstance(group, Mapping):
                        self.add(gpath, "must be an option group object")
                        continue
                    self.text(group.get("label"), f"{gpath}.label", max_len=75, plain_only=True)
                    group_options = group.get("options")
                    if not isinstance(group_options, list) or not group_options:
                        self.add(gpath, "options must be a non-empty list")
                        continue
                    if len(group_options) > 100:
                        self.add(gpath, f"at most 100 options, got {len(group_options)}")
                    for oi, opt in enumerate(group_options):
                        self.option(opt, f"{gpath}.options[{oi}]", plain_only=plain_only)
                    all_options.extend(group_options)
        elif options is None:
            self.add(path, f"{kind} needs options")
        if options is not None:
            if not isinstance(options, list) or not options:
                self.add(path, "options must be a non-empty list")
                options = []
            elif len(options) > max_options:
                self.add(path, f"{kind} allows at most {max_options} options, got {len(options)}")
            for oi, opt in enumerate(options):
                self.option(opt, f"{path}.options[{oi}]", plain_only=plain_only)
            all_options.extend(options)
        self.initial_options(el, path, all_options)

    def initial_options(self, el: Mapping[str, Any], path: str, options: list[Any]) -> None:
        keys = {_option_key(o) for o in options if isinstance(o, Mapping)}
        initial_option = el.get("initial_option")
        if initial_option is not None and _option_key(initial_option) not in keys:
            self.add(path, "initial_option is not one of the element's options")
        initial = el.get("initial_options")
        if initial is not None:
            if not isinstance(initial, list):
                self.add(path, "initial_options must be a list")
                return
            for i, opt in enumerate(initial):
                if _option_key(opt) not in keys:
                    self.add(path, f"initial_options[{i}] is not one of the element's options")

    # --- blocks --------------------------------------------------------------
    def blocks(self, blocks: Any, prefix: str = "blocks") -> None:
        if not isinstance(blocks, list):
            self.add(prefix, "must be a list of blocks")
            return
        limit = MAX_BLOCKS.get(self.surface, 50)
        if len(blocks) > limit:
            self.add(prefix, f"a {self.surface} may hold at most {limit} blocks, got {len(blocks)}")
        for index, block in enumerate(blocks):
            if not isinstance(block, Mapping) or not isinstance(block.get("type"), str):
                self.add(f"{prefix}[{index}]", "must be a block object with a type")
                continue
            path = _describe(block, index, prefix)
            before = len(self.violations)
            self.block(block, path)
            if len(self.violations) == before:
                # Only ask slack_sdk when our own rules are satisfied: it stops at the first
                # problem and would otherwise report the same limit twice.
                problem = _sdk_error(lambda block=block: _build_block(block))
                if problem:
                    self.add(path, problem)

    def block(self, block: Mapping[str, Any], path: str) -> None:
        kind = block["type"]
        if kind not in KNOWN_BLOCKS:
            self.add(path, f"unknown block type {kind!r}")
            return
        block_id = block.get("block_id")
        if block_id is not None:
            if not isinstance(block_id, str) or not block_id:
                self.add(path, "block_id must be a non-empty string")
            else:
                if len(block_id) > MAX_ID_LENGTH:
                    self.add(path, f"block_id exceeds {MAX_ID_LENGTH} characters")
                if block_id in self.block_ids:
                    self.add(
                        path, f"duplicate block_id {block_id!r} (also {self.block_ids[block_id]})"
                    )
                else:
                    self.block_ids[block_id] = path
        action_ids: set[str] = set()
        if kind == "section":
            self.section(block, path, action_ids)
        elif kind == "header":
            self.text(block.get("text"), f"{path}.text", max_len=150, plain_only=True)
        elif kind == "context":
            self.context(block, path)
        elif kind == "actions":
            elements = block.get("elements")
            if not isinstance(elements, list) or not elements:
                self.add(path, "actions needs a non-empty elements list")
                return
            if len(elements) > 25:
                self.add(path, f"actions allows at most 25 elements, got {len(elements)}")
            for i, el in enumerate(elements):
                self.element(el, f"{path}.elements[{i}]", ACTIONS_ELEMENTS, action_ids)
        elif kind == "input":
            self.text(block.get("label"), f"{path}.label", max_len=2000, plain_only=True)
            if block.get("hint") is not None:
                self.text(block["hint"], f"{path}.hint", max_len=2000, plain_only=True)
            if block.get("element") is None:
                self.add(path, "input needs an element")
            else:
                self.element(block["element"], f"{path}.element", INPUT_ELEMENTS, action_ids)
        elif kind == "image":
            if not block.get("image_url") and not block.get("slack_file"):
                self.add(path, "image needs image_url or slack_file")
            alt = block.get("alt_text")
            if not isinstance(alt, str) or not alt:
                self.add(path, "image needs a non-empty alt_text")
            elif len(alt) > 2000:
                self.add(path, f"alt_text exceeds 2000 characters ({len(alt)})")
            if block.get("title") is not None:
                self.text(block["title"], f"{path}.title", max_len=2000, plain_only=True)

    def section(self, block: Mapping[str, Any], path: str, action_ids: set[str]) -> None:
        text = block.get("text")
        fields = block.get("fields")
        if text is None and fields is None:
            self.add(path, "section needs text or fields")
        if text is not None:
            self.text(text, f"{path}.text", max_len=3000)
        if fields is not None:
            if not isinstance(fields, list) or not fields:
                self.add(path, "fields must be a non-empty list")
            else:
                if len(fields) > 10:
                    self.add(path, f"section allows at most 10 fields, got {len(fields)}")
                for i, field in enumerate(fields):
                    self.text(field, f"{path}.fields[{i}]", max_len=2000)
        if block.get("accessory") is not None:
            self.element(block["accessory"], f"{path}.accessory", SECTION_ACCESSORIES, action_ids)

    def context(self, block: Mapping[str, Any], path: str) -> None:
        elements = block.get("elements")
        if not isinstance(elements, list) or not elements:
            self.add(path, "context needs a non-empty elements list")
            return
        if len(elements) > 10:
            self.add(path, f"context allows at most 10 elements, got {len(elements)}")
        for i, el in enumerate(elements):
            epath = f"{path}.elements[{i}]"
            if isinstance(el, Mapping) and el.get("type") in ("plain_text", "mrkdwn"):
                self.text(el, epath)
            else:
                self.element(el, epath, CONTEXT_ELEMENTS, set())


def _option_key(option: Any) -> tuple[Any, ...]:
    if not isinstance(option, Mapping):
        return (None,)
    text = option.get("text")
    if isinstance(text, Mapping):
        return (option.get("value"), text.get("type"), text.get("text"))
    return (option.get("value"), None, None)


def validate_blocks(blocks: Any, *, surface: str) -> list[str]:
    """Return every Block Kit violation in ``blocks`` for a surface (message, modal or home)."""
    if surface not in MAX_BLOCKS:
        raise ValueError(f"surface must be one of {sorted(MAX_BLOCKS)}, got {surface!r}")
    checker = _Checker(surface)
    checker.blocks(blocks)
    return checker.violations


def validate_view(view: Any) -> list[str]:
    """Return every violation in a modal or Home tab view payload."""
    if not isinstance(view, Mapping):
        return ["view: must be a JSON object"]
    kind = view.get("type")
    if kind not in ("modal", "home"):
        return [f"view: type must be modal or home, got {kind!r}"]
    checker = _Checker(kind)
    if kind == "modal" or view.get("title") is not None:
        checker.text(view.get("title"), "view.title", max_len=24, plain_only=True)
    for key in ("submit", "close"):
        if view.get(key) is None:
            continue
        if kind == "home":
            checker.add(f"view.{key}", "a Home tab cannot have submit or close")
        else:
            checker.text(view[key], f"view.{key}", max_len=24, plain_only=True)
    for key, limit in (("private_metadata", 3000), ("callback_id", 255), ("external_id", 255)):
        value = view.get(key)
        if value is None:
            continue
        if not isinstance(value, str):
            checker.add(f"view.{key}", "must be a string")
        elif len(value) > limit:
            checker.add(f"view.{key}", f"exceeds {limit} characters ({len(value)})")
    blocks = view.get("blocks")
    if isinstance(blocks, list) and not blocks:
        checker.add("view.blocks", "a view needs at least one block")
    if (
        kind == "modal"
        and isinstance(blocks, list)
        and any(isinstance(b, Mapping) and b.get("type") == "input" for b in blocks)
        and view.get("submit") is None
    ):
        checker.add("view", "a modal with input blocks must have a submit button")
    size = len(json.dumps(view, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))
    if size > MAX_VIEW_BYTES:
        checker.add("view", f"view JSON is {size} bytes, over Slack's 250 kB limit")
    if not checker.violations:
        problem = _sdk_error(lambda: _build_view_shell(view))
        if problem:
            checker.add("view", problem)
    checker.blocks(blocks, "view.blocks")
    return checker.violations


def _build_view_shell(view: Mapping[str, Any]) -> None:
    fields: dict[str, Any] = {
        k: view.get(k)
        for k in (
            "type",
            "callback_id",
            "external_id",
            "title",
            "submit",
            "close",
            "private_metadata",
            "clear_on_close",
            "notify_on_close",
        )
    }
    # Blocks are validated one by one (with their position) by _Checker.blocks, and the block
    # count by our own rules; a placeholder keeps slack_sdk's count check quiet.
    View(**fields, blocks=[DividerBlock()]).validate_json()


def validate_message(message: Mapping[str, Any]) -> list[str]:
    """Return the violations of a message body (chat.postMessage args, response_url or ack body)."""
    violations: list[str] = []
    text = message.get("text")
    blocks = message.get("blocks")
    attachments = message.get("attachments")
    has_text = isinstance(text, str) and text.strip() != ""
    if not has_text and not blocks and not attachments:
        violations.append("message: needs text or blocks (Slack answers no_text)")
    if blocks and not has_text:
        violations.append(
            "message: missing text fallback (blocks without top-level text; Slack logs a "
            "warning and notifications/screen readers show nothing)"
        )
    if blocks is not None:
        violations.extend(validate_blocks(blocks, surface="message"))
    return violations
