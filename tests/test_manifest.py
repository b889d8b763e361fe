"""The shipped Slack app manifests grant what the code needs, in HTTP and Socket Mode."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.sandbox.specs import SpecsNotFoundError, specs_dir
from tests.conftest import REPO_ROOT

MANIFESTS = ["manifest.yml", "manifest.socket-mode.yml"]
# Method calls look like client.views_open(...) or client.chat_postMessage(...).
CALL = re.compile(r"client\.([a-z]+(?:_[A-Za-z0-9]+)+)\(")
# slack_sdk helpers that call several Web API methods.
SDK_HELPERS = {"files_upload_v2": {"files.getUploadURLExternal", "files.completeUploadExternal"}}


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((REPO_ROOT / name).read_text(encoding="utf-8"))
    return data


def methods_called() -> set[str]:
    found = set()
    for path in (REPO_ROOT / "bot").rglob("*.py"):
        if "sandbox" in path.parts:
            continue
        for name in CALL.findall(path.read_text(encoding="utf-8")):
            found |= SDK_HELPERS.get(name, {name.replace("_", ".")})
    return found


@pytest.mark.parametrize("name", MANIFESTS)
def test_the_manifest_declares_the_command_events_interactivity_and_home(name: str) -> None:
    m = load(name)
    socket = m["settings"]["socket_mode_enabled"]
    assert socket is (name == "manifest.socket-mode.yml")
    (command,) = m["features"]["slash_commands"]
    assert command["command"] == "/mentor"
    assert m["settings"]["event_subscriptions"]["bot_events"] == ["app_home_opened"]
    assert m["settings"]["interactivity"]["is_enabled"] is True
    assert m["features"]["app_home"]["home_tab_enabled"] is True
    urls = [
        command.get("url"),
        m["settings"]["event_subscriptions"].get("request_url"),
        m["settings"]["interactivity"].get("request_url"),
    ]
    if socket:
        assert urls == [None, None, None]
    else:
        assert all(u and u.endswith("/slack/events") for u in urls)


@pytest.mark.parametrize("name", MANIFESTS)
def test_the_manifest_grants_a_bot_scope_for_every_web_api_method_the_code_calls(name: str) -> None:
    try:
        folder = specs_dir() / "docs.slack.dev-methods"
    except SpecsNotFoundError:
        pytest.skip("shared/slack-specs is not beside this clone")
    granted = set(load(name)["oauth_config"]["scopes"]["bot"])
    assert "commands" in granted
    called = methods_called()
    assert {"views.open", "views.publish", "users.info", "chat.postMessage"} <= called
    used = {"commands"}
    for method in sorted(called):
        spec = json.loads((folder / f"{method}.json").read_text(encoding="utf-8"))
        needed = set((spec.get("scope") or {}).get("bot") or [])
        # Slack lists alternatives (conversations.open: one per conversation type).
        assert not needed or needed & granted, f"{method} needs one of {sorted(needed)}"
        used |= needed & granted
    # Least privilege: a works council reviews this list.
    assert granted == used, f"granted but unused: {sorted(granted - used)}"


def test_both_manifests_agree_on_everything_but_transport() -> None:
    http, socket = load(MANIFESTS[0]), load(MANIFESTS[1])
    assert http["oauth_config"] == socket["oauth_config"]
    assert http["display_information"] == socket["display_information"]
    assert Path(REPO_ROOT / "README.md").read_text(encoding="utf-8").count("manifest") >= 2


@pytest.mark.parametrize("name", MANIFESTS)
def test_the_oauth_install_asks_for_exactly_the_manifests_scopes(name: str) -> None:
    from bot.slack.workspaces import BOT_SCOPES

    assert set(BOT_SCOPES) == set(load(name)["oauth_config"]["scopes"]["bot"])
