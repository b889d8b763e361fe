"""FakeSlack's Web API, exercised with the real slack_sdk WebClient."""

from __future__ import annotations

import json
import time
import urllib.request
from pathlib import Path
from typing import Any
from urllib.error import HTTPError

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from bot.sandbox import FakeSlack, SlackUser
from bot.sandbox import specs as specs_module
from tests.sandbox.conftest import needs_shared_specs


def pt(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text}


def join_modal(name_value: str | None = None, *, block_id: str = "name") -> dict[str, Any]:
    element: dict[str, Any] = {"type": "plain_text_input", "action_id": "name"}
    if name_value is not None:
        element["initial_value"] = name_value
    return {
        "type": "modal",
        "callback_id": "join",
        "title": pt("Join"),
        "submit": pt("Save"),
        "blocks": [
            {"type": "input", "block_id": block_id, "label": pt("Name"), "element": element},
            {
                "type": "input",
                "block_id": "team",
                "label": pt("Team"),
                "element": {
                    "type": "static_select",
                    "action_id": "team",
                    "options": [
                        {"text": pt("Red"), "value": "red"},
                        {"text": pt("Blue"), "value": "blue"},
                    ],
                    "initial_option": {"text": pt("Blue"), "value": "blue"},
                },
            },
        ],
    }


def raw_post(fake: FakeSlack, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, Any]:
    request = urllib.request.Request(fake.base_url + path, data=body, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=5) as resp:
            return resp.status, json.loads(resp.read() or b"null")
    except HTTPError as err:
        return err.code, json.loads(err.read() or b"null")


# --------------------------------------------------------------------------- auth & contract
def test_auth_test_reports_the_bot_identity_and_the_scopes_header(client: WebClient) -> None:
    resp = client.auth_test()
    assert resp["user_id"] == "U0SANDBOT"
    assert resp["bot_id"] == "B0SANDBOT"
    assert resp["team_id"] == "T0001"
    headers = {k.lower(): v for k, v in resp.headers.items()}
    assert "chat:write" in headers["x-oauth-scopes"]
    assert headers["content-type"] == "application/json; charset=utf-8"


def test_an_unknown_method_is_answered_unknown_method_and_recorded(
    fake: FakeSlack, client: WebClient
) -> None:
    with pytest.raises(SlackApiError) as err:
        client.api_call("chat.postMessages", json={"channel": "U1", "text": "hi"})
    assert err.value.response["error"] == "unknown_method"
    assert fake.violations == ["chat.postMessages: no such Slack Web API method"]


def test_a_missing_required_argument_is_invalid_arguments_naming_it(
    fake: FakeSlack, client: WebClient
) -> None:
    with pytest.raises(SlackApiError) as err:
        client.api_call("chat.postMessage", json={"text": "hi"})
    assert err.value.response["error"] == "invalid_arguments"
    assert fake.violations == ["chat.postMessage: missing required argument(s): channel"]


def test_an_argument_outside_the_spec_is_a_violation(fake: FakeSlack, client: WebClient) -> None:
    client.api_call("chat.postMessage", json={"channel": "U1", "text": "hi", "txet": "typo"})
    assert fake.violations == ["chat.postMessage: argument(s) not in Slack's spec: txet"]


def test_a_missing_or_wrong_token_is_not_authed_or_invalid_auth(fake: FakeSlack) -> None:
    with pytest.raises(SlackApiError) as err:
        WebClient(base_url=fake.api_url).auth_test()
    assert err.value.response["error"] == "not_authed"
    with pytest.raises(SlackApiError) as err:
        WebClient(token="xoxb-wrong", base_url=fake.api_url).auth_test()
    assert err.value.response["error"] == "invalid_auth"
    assert len(fake.violations) == 2


def test_a_token_form_field_is_accepted(fake: FakeSlack) -> None:
    status, body = raw_post(
        fake,
        "/api/auth.test",
        f"token={fake.bot_token}".encode(),
        {"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert (status, body["ok"]) == (200, True)
    assert fake.violations == []


def test_a_token_inside_a_json_body_is_ignored_like_slack_does(fake: FakeSlack) -> None:
    status, body = raw_post(
        fake,
        "/api/auth.test",
        json.dumps({"token": fake.bot_token}).encode(),
        {"Content-Type": "application/json"},
    )
    assert (status, body) == (200, {"ok": False, "error": "not_authed"})
    assert any("token inside a JSON body" in v for v in fake.violations)


def test_form_bodies_with_json_encoded_blocks_are_decoded(
    fake: FakeSlack, client: WebClient
) -> None:
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*hi*"}}]
    client.api_call(
        "chat.postMessage", params={"channel": "U1", "text": "hi", "blocks": json.dumps(blocks)}
    )
    call = fake.calls_to("chat.postMessage")[0]
    assert call.headers["content-type"] == "application/x-www-form-urlencoded"
    assert call.args["blocks"] == blocks
    assert fake.violations == []


def test_slack_sdk_json_and_form_defaults_are_both_accepted(
    fake: FakeSlack, client: WebClient
) -> None:
    client.chat_postMessage(channel="U1", text="json body")
    client.users_info(user="U1")
    kinds = {c.method: c.headers["content-type"] for c in fake.calls}
    assert kinds["chat.postMessage"].startswith("application/json")
    assert kinds["users.info"] == "application/x-www-form-urlencoded"
    assert fake.violations == []


def test_a_json_body_for_a_method_without_json_input_is_a_violation(
    fake: FakeSlack, client: WebClient
) -> None:
    client.api_call("users.info", json={"user": "U1"})
    assert fake.violations == [
        "users.info: sent a JSON body, but this method only reads form/query arguments"
    ]


def test_get_on_a_post_only_method_is_a_violation(fake: FakeSlack) -> None:
    request = urllib.request.Request(
        fake.api_url + "auth.test", headers={"Authorization": f"Bearer {fake.bot_token}"}
    )
    with urllib.request.urlopen(request, timeout=5) as resp:
        assert json.loads(resp.read())["ok"] is True
    assert fake.violations == ["auth.test: Slack documents this method as POST, got GET"]


def test_every_generic_method_in_the_spec_answers_ok(fake: FakeSlack, client: WebClient) -> None:
    assert client.api_call(
        "reactions.add", params={"channel": "C1", "name": "+1", "timestamp": "1.2"}
    )["ok"]
    assert fake.violations == []


# --------------------------------------------------------------------------- chat.*
def test_posting_to_a_user_id_lands_in_the_users_stable_dm(
    fake: FakeSlack, client: WebClient
) -> None:
    posted = client.chat_postMessage(channel="U1", text="hello")
    opened = client.conversations_open(users="U1")
    assert posted["channel"] == opened["channel"]["id"] == fake.dm_channel_id("U1")
    assert posted["channel"].startswith("D")
    assert posted["message"]["text"] == "hello"
    assert fake.messages[0]["channel"] == posted["channel"]


def test_message_ts_values_are_unique_and_increasing(client: WebClient) -> None:
    stamps = [client.chat_postMessage(channel="U1", text=str(i))["ts"] for i in range(20)]
    assert stamps == sorted(stamps, key=float)
    assert len(set(stamps)) == 20


def test_posting_to_an_unknown_channel_is_channel_not_found(client: WebClient) -> None:
    with pytest.raises(SlackApiError) as err:
        client.chat_postMessage(channel="C404", text="hi")
    assert err.value.response["error"] == "channel_not_found"


def test_chat_update_of_an_unknown_ts_is_message_not_found(
    fake: FakeSlack, client: WebClient
) -> None:
    posted = client.chat_postMessage(channel="U1", text="hello")
    with pytest.raises(SlackApiError) as err:
        client.chat_update(channel=posted["channel"], ts="1.000001", text="x")
    assert err.value.response["error"] == "message_not_found"
    assert len(fake.violations) == 1


def test_chat_update_with_a_user_id_instead_of_the_dm_id_is_rejected(
    fake: FakeSlack, client: WebClient
) -> None:
    posted = client.chat_postMessage(channel="U1", text="hello")
    with pytest.raises(SlackApiError) as err:
        client.chat_update(channel="U1", ts=posted["ts"], text="x")
    assert err.value.response["error"] == "channel_not_found"
    assert "use the D… channel id" in fake.violations[0]


def test_chat_update_replaces_text_and_keeps_blocks_that_were_not_sent(
    fake: FakeSlack, client: WebClient
) -> None:
    blocks = [{"type": "section", "block_id": "s", "text": {"type": "mrkdwn", "text": "v1"}}]
    posted = client.chat_postMessage(channel="U1", text="v1", blocks=blocks)
    updated = client.chat_update(channel=posted["channel"], ts=posted["ts"], text="v2")
    assert updated["message"]["text"] == "v2"
    assert fake.messages[0]["blocks"] == blocks
    assert fake.violations == []


def test_chat_post_ephemeral_returns_message_ts_and_stores_the_recipient(
    fake: FakeSlack, client: WebClient
) -> None:
    resp = client.chat_postEphemeral(channel="U1", user="U1", text="only you")
    assert resp["message_ts"] == fake.messages[0]["ts"]
    assert fake.messages[0]["user"] == "U1"
    assert fake.messages[0]["ephemeral"] is True


def test_chat_delete_removes_the_message(fake: FakeSlack, client: WebClient) -> None:
    posted = client.chat_postMessage(channel="U1", text="bye")
    assert client.chat_delete(channel=posted["channel"], ts=posted["ts"])["ok"]
    assert fake.messages == []


def test_blocks_without_a_text_fallback_are_posted_but_recorded(
    fake: FakeSlack, client: WebClient
) -> None:
    resp = client.api_call(
        "chat.postMessage", json={"channel": "U1", "blocks": [{"type": "divider"}]}
    )
    assert resp["ok"]
    assert len(fake.violations) == 1
    assert "missing text fallback" in fake.violations[0]


def test_fifty_one_blocks_in_a_message_are_rejected_as_invalid_blocks(
    fake: FakeSlack, client: WebClient
) -> None:
    with pytest.raises(SlackApiError) as err:
        client.chat_postMessage(channel="U1", text="x", blocks=[{"type": "divider"}] * 51)
    assert err.value.response["error"] == "invalid_blocks"
    assert "at most 50 blocks" in fake.violations[0]


# --------------------------------------------------------------------------- views.*
def test_views_open_returns_the_full_view_with_a_new_id(fake: FakeSlack, client: WebClient) -> None:
    resp = client.views_open(trigger_id=fake.new_trigger_id("U1"), view=join_modal())
    view = resp["view"]
    assert view["id"].startswith("V")
    assert view["state"] == {"values": {}}
    for key in ("hash", "root_view_id", "app_id", "bot_id", "team_id", "previous_view_id"):
        assert key in view
    stored = fake.views[view["id"]]
    assert stored["state"]["values"] == {
        "name": {"name": {"type": "plain_text_input", "value": None}},
        "team": {
            "team": {
                "type": "static_select",
                "selected_option": {"text": pt("Blue"), "value": "blue"},
            }
        },
    }
    assert fake.open_views("U1") == [stored]
    assert fake.violations == []


def test_views_open_rejects_a_reused_trigger_id(fake: FakeSlack, client: WebClient) -> None:
    trigger = fake.new_trigger_id("U1")
    client.views_open(trigger_id=trigger, view=join_modal())
    with pytest.raises(SlackApiError) as err:
        client.views_open(trigger_id=trigger, view=join_modal())
    assert err.value.response["error"] == "exchanged_trigger_id"
    assert len(fake.violations) == 1


def test_views_open_rejects_an_expired_trigger_id(fake: FakeSlack, client: WebClient) -> None:
    fake.trigger_ttl = 0.05
    trigger = fake.new_trigger_id("U1")
    time.sleep(0.1)
    with pytest.raises(SlackApiError) as err:
        client.views_open(trigger_id=trigger, view=join_modal())
    assert err.value.response["error"] == "expired_trigger_id"
    assert "valid 0.05s" in fake.violations[0]


def test_views_open_rejects_an_invented_trigger_id(fake: FakeSlack, client: WebClient) -> None:
    with pytest.raises(SlackApiError) as err:
        client.views_open(trigger_id="12345.98765.abcd", view=join_modal())
    assert err.value.response["error"] == "invalid_trigger_id"
    assert len(fake.violations) == 1


def test_views_open_rejects_a_modal_with_inputs_but_no_submit(
    fake: FakeSlack, client: WebClient
) -> None:
    view = join_modal()
    del view["submit"]
    with pytest.raises(SlackApiError) as err:
        client.views_open(trigger_id=fake.new_trigger_id("U1"), view=view)
    assert err.value.response["error"] == "invalid_arguments"
    assert "must have a submit button" in fake.violations[0]


def test_views_push_stacks_at_most_three_views(fake: FakeSlack, client: WebClient) -> None:
    root = client.views_open(trigger_id=fake.new_trigger_id("U1"), view=join_modal())["view"]
    second = client.views_push(
        trigger_id=fake.new_trigger_id("U1", view_id=root["id"]), view=join_modal()
    )["view"]
    assert second["root_view_id"] == root["id"]
    assert second["previous_view_id"] == root["id"]
    client.views_push(trigger_id=fake.new_trigger_id("U1", view_id=second["id"]), view=join_modal())
    with pytest.raises(SlackApiError) as err:
        client.views_push(trigger_id=fake.new_trigger_id("U1"), view=join_modal())
    assert err.value.response["error"] == "push_limit_reached"
    assert len(fake.open_views("U1")) == 3


def test_views_update_keeps_what_the_user_typed_when_block_and_action_ids_survive(
    fake: FakeSlack, client: WebClient
) -> None:
    view = client.views_open(trigger_id=fake.new_trigger_id("U1"), view=join_modal())["view"]
    values = fake.views[view["id"]]["state"]["values"]
    values["name"]["name"]["value"] = "typed by the user"
    values["team"]["team"]["selected_option"] = {"text": pt("Red"), "value": "red"}

    client.views_update(view_id=view["id"], view=join_modal("ignored initial value"))
    kept = fake.views[view["id"]]["state"]["values"]
    assert kept["name"]["name"]["value"] == "typed by the user"
    assert kept["team"]["team"]["selected_option"]["value"] == "red"

    client.views_update(view_id=view["id"], view=join_modal("fresh", block_id="name_v2"))
    renamed = fake.views[view["id"]]["state"]["values"]
    assert renamed["name_v2"]["name"]["value"] == "fresh"
    assert "name" not in renamed


def test_views_update_with_a_stale_hash_is_a_hash_conflict(
    fake: FakeSlack, client: WebClient
) -> None:
    view = client.views_open(trigger_id=fake.new_trigger_id("U1"), view=join_modal())["view"]
    client.views_update(view_id=view["id"], hash=view["hash"], view=join_modal())
    with pytest.raises(SlackApiError) as err:
        client.views_update(view_id=view["id"], hash=view["hash"], view=join_modal())
    assert err.value.response["error"] == "hash_conflict"
    assert fake.violations == []


def test_views_update_of_an_unknown_view_is_not_found(fake: FakeSlack, client: WebClient) -> None:
    with pytest.raises(SlackApiError) as err:
        client.views_update(view_id="V404", view=join_modal())
    assert err.value.response["error"] == "not_found"
    assert len(fake.violations) == 1


def test_views_update_can_address_a_view_by_external_id(fake: FakeSlack, client: WebClient) -> None:
    view = {**join_modal(), "external_id": "join-U1"}
    opened = client.views_open(trigger_id=fake.new_trigger_id("U1"), view=view)["view"]
    updated = client.views_update(external_id="join-U1", view={**view, "title": pt("Again")})
    assert updated["view"]["id"] == opened["id"]
    assert fake.views[opened["id"]]["title"]["text"] == "Again"


def test_views_publish_stores_one_home_view_per_user(fake: FakeSlack, client: WebClient) -> None:
    home = {"type": "home", "blocks": [{"type": "section", "text": pt("Welcome")}]}
    first = client.views_publish(user_id="U1", view=home)["view"]
    second = client.views_publish(user_id="U1", view=home)["view"]
    assert first["id"] == second["id"] == fake.home_views["U1"]["id"]
    assert first["hash"] != second["hash"]
    with pytest.raises(SlackApiError) as err:
        client.views_publish(user_id="U404", view=home)
    assert err.value.response["error"] == "invalid_arguments"


# --------------------------------------------------------------------------- users & conversations
def test_conversations_open_returns_stable_dm_and_group_ids(client: WebClient) -> None:
    dm = client.conversations_open(users="U1")["channel"]["id"]
    assert dm.startswith("D")
    assert client.conversations_open(users=["U1"])["channel"]["id"] == dm
    group = client.conversations_open(users="U1,U2")["channel"]["id"]
    assert group[0] in "GC"
    assert client.conversations_open(users="U2,U1")["channel"]["id"] == group


def test_conversations_open_reports_unknown_and_deactivated_users(client: WebClient) -> None:
    for users, error in (("U404", "user_not_found"), ("U3", "user_disabled")):
        with pytest.raises(SlackApiError) as err:
            client.conversations_open(users=users)
        assert err.value.response["error"] == error


def test_users_info_adds_the_locale_only_when_asked(client: WebClient) -> None:
    plain = client.users_info(user="U1")["user"]
    assert "locale" not in plain
    user = client.users_info(user="U1", include_locale=True)["user"]
    assert user["locale"] == "de-DE"
    assert user["tz"] == "Europe/Berlin"
    assert user["tz_offset"] in (3600, 7200)
    assert user["profile"]["real_name"] == "Anna A"
    assert user["profile"]["email"] == "anna@example.com"
    assert user["is_bot"] is False
    assert user["team_id"] == "T0001"


def test_users_info_of_an_unknown_user_is_user_not_found(client: WebClient) -> None:
    with pytest.raises(SlackApiError) as err:
        client.users_info(user="U404")
    assert err.value.response["error"] == "user_not_found"


def test_users_list_paginates_and_includes_the_bot_and_slackbot(client: WebClient) -> None:
    ids = []
    for page in client.users_list(limit=2):
        ids += [m["id"] for m in page["members"]]
    assert {"U1", "U2", "U3", "U0SANDBOT", "USLACKBOT"} == set(ids)


def test_team_info_and_usergroup_members(fake: FakeSlack, client: WebClient) -> None:
    assert client.team_info()["team"]["id"] == "T0001"
    fake.add_usergroup("S1", ["U1", "U2"])
    assert client.usergroups_users_list(usergroup="S1")["users"] == ["U1", "U2"]


def test_files_upload_v2_round_trips_through_the_upload_url(
    fake: FakeSlack, client: WebClient
) -> None:
    dm = fake.dm_channel_id("U1")
    resp = client.files_upload_v2(content="a,b\n1,2\n", filename="report.csv", channel=dm)
    file_id = resp["files"][0]["id"]
    assert fake.files[file_id]["content"] == b"a,b\n1,2\n"
    assert [c.method for c in fake.calls] == [
        "files.getUploadURLExternal",
        "file_upload",
        "files.completeUploadExternal",
    ]
    assert fake.violations == []


def test_an_alt_text_over_1000_characters_is_refused_as_slack_does(
    fake: FakeSlack, client: WebClient
) -> None:
    dm = fake.dm_channel_id("U1")
    client.files_upload_v2(content=b"png", filename="c.png", channel=dm, alt_txt="a" * 1000)
    assert fake.violations == []
    with pytest.raises(SlackApiError) as refused:
        client.files_upload_v2(content=b"png", filename="c.png", channel=dm, alt_txt="a" * 1001)
    assert refused.value.response["error"] == "alt_txt_too_large"
    assert len(fake.violations) == 1


# --------------------------------------------------------------------------- faults
def test_a_429_carries_retry_after_and_the_retry_handler_honours_it(
    fake: FakeSlack, client: WebClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    slept: list[float] = []
    # The handler sleeps with time.sleep; record the delay instead of waiting it out.
    monkeypatch.setattr(time, "sleep", slept.append)
    client.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=1))
    fake.fail_next("chat.postMessage", status=429, retry_after=7)

    assert client.chat_postMessage(channel="U1", text="eventually")["ok"]
    first, second = fake.calls_to("chat.postMessage")
    assert (first.status, first.response) == (429, {"ok": False, "error": "ratelimited"})
    assert second.status == 200
    assert 7 <= slept[0] < 8
    assert fake.violations == []


def test_injected_errors_and_server_errors_are_not_violations(
    fake: FakeSlack, client: WebClient
) -> None:
    fake.fail_next("users.info", error="user_not_visible")
    fake.fail_next("auth.test", status=500)
    with pytest.raises(SlackApiError) as err:
        client.users_info(user="U1")
    assert err.value.response["error"] == "user_not_visible"
    with pytest.raises(SlackApiError) as err:
        client.auth_test()
    assert err.value.response.status_code == 500
    assert client.auth_test()["ok"]
    assert fake.violations == []


@pytest.fixture
def bare(fake: FakeSlack) -> WebClient:
    """A client that retries nothing, so every 429 and 5xx reaches the test."""
    return WebClient(token=fake.bot_token, base_url=fake.api_url, timeout=5, retry_handlers=[])


def post_status(client: WebClient, text: str = "hi") -> int:
    try:
        return client.chat_postMessage(channel="U1", text=text).status_code
    except SlackApiError as err:
        return err.response.status_code


def test_a_rate_limit_allows_a_burst_then_answers_429_without_handling_the_call(
    fake: FakeSlack, bare: WebClient
) -> None:
    fake.set_rate_limit("chat.postMessage", 0.5, burst=2)
    assert bare.chat_postMessage(channel="U1", text="1")["ok"]
    assert bare.chat_postMessage(channel="U1", text="2")["ok"]
    with pytest.raises(SlackApiError) as err:
        bare.chat_postMessage(channel="U1", text="3")
    assert err.value.response.status_code == 429
    assert err.value.response.data == {"ok": False, "error": "ratelimited"}
    # One token takes 2 s at 0.5/s; Retry-After is whole seconds and never 0.
    assert 1 <= int(err.value.response.headers["Retry-After"]) <= 2
    assert [m["text"] for m in fake.messages] == ["1", "2"]
    assert fake.calls_to("chat.postMessage")[-1].status == 429
    assert fake.rate_limited == {"chat.postMessage": 1}
    assert bare.users_info(user="U1")["ok"]  # other methods are not limited
    assert fake.violations == []


def test_a_rate_limited_method_passes_again_once_the_bucket_refills(
    fake: FakeSlack, bare: WebClient
) -> None:
    fake.set_rate_limit("users.info", 2.5)  # burst defaults to ceil(2.5) = 3
    assert [bare.users_info(user="U1").status_code for _ in range(3)] == [200] * 3
    fake.set_rate_limit("chat.postMessage", 10, burst=3)
    assert [post_status(bare) for _ in range(4)] == [200, 200, 200, 429]
    assert fake.calls_to("chat.postMessage")[-1].response["error"] == "ratelimited"
    time.sleep(0.15)  # one token takes 0.1 s at 10/s
    assert post_status(bare, "refilled") == 200
    assert fake.messages[-1]["text"] == "refilled"
    assert fake.rate_limited == {"chat.postMessage": 1}


def test_a_rate_limit_of_none_removes_it(fake: FakeSlack, bare: WebClient) -> None:
    fake.set_rate_limit("chat.postMessage", 0.1)
    assert [post_status(bare) for _ in range(2)] == [200, 429]
    fake.set_rate_limit("chat.postMessage", None)
    assert [post_status(bare) for _ in range(3)] == [200] * 3
    with pytest.raises(ValueError, match="not a Slack Web API method"):
        fake.set_rate_limit("chat.postMessages", 1)
    with pytest.raises(ValueError, match="positive"):
        fake.set_rate_limit("chat.postMessage", 0)


def test_queued_faults_come_before_the_rate_limit_and_spend_no_token(
    fake: FakeSlack, bare: WebClient
) -> None:
    fake.set_rate_limit("chat.postMessage", 0.1, burst=1)
    fake.fail_next("chat.postMessage", error="channel_not_found")
    with pytest.raises(SlackApiError) as err:
        bare.chat_postMessage(channel="U1", text="x")
    assert err.value.response["error"] == "channel_not_found"
    assert [post_status(bare) for _ in range(2)] == [200, 429]


def test_injected_faults_at_rate_one_fail_every_call_and_store_nothing(
    fake: FakeSlack, bare: WebClient
) -> None:
    fake.inject_faults(1.0, statuses=(500,))
    for i in range(5):
        with pytest.raises(SlackApiError) as err:
            bare.chat_postMessage(channel="U1", text=str(i))
        assert err.value.response.status_code == 500
        assert err.value.response.data == {"ok": False, "error": "fatal_error"}
    assert fake.messages == []
    assert [c.status for c in fake.calls_to("chat.postMessage")] == [500] * 5
    assert fake.injected_faults == {"chat.postMessage": 5}
    assert bare.auth_test()["ok"]  # exempt unless named
    assert fake.violations == []


def test_injected_faults_hit_about_the_requested_fraction(fake: FakeSlack, bare: WebClient) -> None:
    fake.inject_faults(0.2, seed=7, statuses=(429, 500, 503))
    statuses = [post_status(bare) for _ in range(400)]
    failed = [s for s in statuses if s != 200]
    assert 0.12 <= len(failed) / 400 <= 0.28
    assert set(failed) == {429, 500, 503}
    assert fake.injected_faults == {"chat.postMessage": len(failed)}
    assert len(fake.messages) == 400 - len(failed)
    errors = {c.status: c.response["error"] for c in fake.calls if c.status != 200}
    assert errors == {429: "ratelimited", 500: "fatal_error", 503: "service_unavailable"}

    fake.reset()
    fake.inject_faults(0.2, seed=7, statuses=(429, 500, 503))
    assert [post_status(bare) for _ in range(60)] == statuses[:60]  # same seed, same faults


@pytest.mark.parametrize("retry_after", [0, 3])
def test_injected_429s_carry_the_configured_retry_after(
    fake: FakeSlack, bare: WebClient, retry_after: int
) -> None:
    fake.inject_faults(1.0, statuses=(429,), retry_after=retry_after, methods=["users.info"])
    with pytest.raises(SlackApiError) as err:
        bare.users_info(user="U1")
    assert err.value.response.status_code == 429
    assert err.value.response.headers["Retry-After"] == str(retry_after)
    assert err.value.response["error"] == "ratelimited"
    assert bare.chat_postMessage(channel="U1", text="not targeted")["ok"]
    assert fake.injected_faults == {"users.info": 1}


def test_inject_faults_zero_and_reset_turn_everything_off(fake: FakeSlack, bare: WebClient) -> None:
    fake.inject_faults(1.0)
    assert post_status(bare) != 200
    fake.inject_faults(0)
    assert post_status(bare) == 200

    fake.inject_faults(1.0, methods=["chat.postMessage"])
    fake.set_rate_limit("users.info", 0.1)
    bare.users_info(user="U1")
    with pytest.raises(SlackApiError):
        bare.users_info(user="U1")
    assert fake.injected_faults and fake.rate_limited
    fake.reset()
    assert (fake.injected_faults, fake.rate_limited) == ({}, {})
    assert post_status(bare) == 200
    assert all(bare.users_info(user="U1")["ok"] for _ in range(3))
    with pytest.raises(ValueError, match="429 or 5xx"):
        fake.inject_faults(0.5, statuses=(404,))


# --------------------------------------------------------------------------- response_url
def test_response_url_posts_are_recorded_and_validated(fake: FakeSlack) -> None:
    url = fake.response_url("commands", user_id="U1")
    assert url.startswith(f"{fake.base_url}/hooks/commands/T0001/")
    status, body = raw_post(
        fake,
        url.removeprefix(fake.base_url),
        json.dumps({"text": "done", "response_type": "ephemeral"}).encode(),
        {"Content-Type": "application/json"},
    )
    assert (status, body) == (200, {"ok": True})
    call = fake.calls_to("response_url")[0]
    assert call.args == {"text": "done", "response_type": "ephemeral"}
    assert fake.messages[-1]["user"] == "U1"

    raw_post(
        fake,
        url.removeprefix(fake.base_url),
        json.dumps({"blocks": [{"type": "divider"}] * 51}).encode(),
        {"Content-Type": "application/json"},
    )
    assert any("missing text fallback" in v for v in fake.violations)
    assert any("at most 50 blocks" in v for v in fake.violations)


def test_a_response_url_accepts_at_most_five_posts(fake: FakeSlack) -> None:
    path = fake.response_url().removeprefix(fake.base_url)
    statuses = [
        raw_post(fake, path, b'{"text": "x"}', {"Content-Type": "application/json"})[0]
        for _ in range(6)
    ]
    assert statuses == [200] * 5 + [404]
    assert fake.violations == ["response_url: posted more than 5 times"]


def test_a_response_url_expires(fake: FakeSlack) -> None:
    fake.response_url_ttl = 0.0
    path = fake.response_url().removeprefix(fake.base_url)
    status, body = raw_post(fake, path, b'{"text": "x"}', {"Content-Type": "application/json"})
    assert (status, body["error"]) == (404, "expired_url")
    assert fake.violations == ["response_url: used after 30 minutes"]


# --------------------------------------------------------------------------- harness
def test_wait_for_returns_matches_and_times_out_listing_the_calls(
    fake: FakeSlack, client: WebClient
) -> None:
    client.chat_postMessage(channel="U1", text="one")
    got = fake.wait_for("chat.postMessage", lambda c: c.args["text"] == "one")
    assert len(got) == 1
    with pytest.raises(AssertionError, match=r"calls seen:\n  chat.postMessage -> 200"):
        fake.wait_for("views.open", timeout=0.05)


def test_assert_no_violations_lists_them(fake: FakeSlack, client: WebClient) -> None:
    fake.assert_no_violations()
    with pytest.raises(SlackApiError):
        client.api_call("nope.nope")
    with pytest.raises(AssertionError, match=r"nope\.nope: no such Slack Web API method"):
        fake.assert_no_violations()


def test_reset_forgets_calls_but_keeps_users(fake: FakeSlack, client: WebClient) -> None:
    client.chat_postMessage(channel="U1", text="x")
    fake.reset()
    assert (fake.calls, fake.messages, fake.violations) == ([], [], [])
    assert "U1" in fake.users


def test_the_server_survives_garbage_and_keeps_serving(
    fake: FakeSlack, client: WebClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {fake.bot_token}"}
    assert (
        raw_post(fake, "/api/chat.postMessage", b"{not json", headers)[1]["error"] == "invalid_json"
    )
    assert raw_post(fake, "/nowhere", b"", headers)[0] == 404
    assert raw_post(fake, "/api/../../etc/passwd", b"", headers)[1]["error"] == "unknown_method"

    def boom(self: FakeSlack, args: dict[str, Any]) -> dict[str, Any]:
        raise RuntimeError("handler bug")

    monkeypatch.setitem(FakeSlack._HANDLERS, "team.info", boom)
    with pytest.raises(SlackApiError) as err:
        client.team_info()
    assert err.value.response.status_code == 500
    assert any("handler bug" in v for v in fake.violations)
    assert client.auth_test()["ok"]


@needs_shared_specs
def test_the_specs_dir_can_be_set_by_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    real = specs_module.specs_dir()
    try:
        specs_module.specs_dir.cache_clear()
        monkeypatch.setenv("SLACK_SPECS_DIR", str(tmp_path))
        with pytest.raises(specs_module.SpecsNotFoundError, match="SLACK_SPECS_DIR"):
            specs_module.specs_dir()
        specs_module.specs_dir.cache_clear()
        monkeypatch.setenv("SLACK_SPECS_DIR", str(real))
        assert specs_module.specs_dir() == real
    finally:
        specs_module.specs_dir.cache_clear()


def test_method_specs_come_from_slacks_own_metadata() -> None:
    spec = specs_module.method_spec("views.open")
    assert spec is not None
    assert spec.required == {"token", "view"}
    assert "expired_trigger_id" in spec.errors
    assert specs_module.method_spec("../methods") is None


def test_a_user_added_without_team_gets_the_fakes_team(fake: FakeSlack) -> None:
    stored = fake.add_user(SlackUser(id="U9", name="nine"))
    assert stored.team_id == "T0001"


@needs_shared_specs
def test_the_bundled_method_table_matches_slacks_files() -> None:
    bundled = json.loads(specs_module.BUNDLED_METHODS.read_text(encoding="utf-8"))["methods"]
    fresh = specs_module.methods_from_specs(specs_module.specs_dir() / "docs.slack.dev-methods")
    assert bundled == fresh, "run `python -m bot.sandbox.specs` to refresh the bundle"


def test_without_shared_specs_the_bundled_table_is_used(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(specs_module.ENV_VAR, raising=False)
    monkeypatch.setattr(specs_module, "_candidates", lambda start: iter(()))
    specs_module.specs_dir.cache_clear()
    specs_module._methods.cache_clear()
    specs_module.method_spec.cache_clear()
    try:
        spec = specs_module.method_spec("views.open")
        assert spec is not None and spec.required == {"token", "view"}
        assert specs_module.method_spec("views.nonexistent") is None
    finally:
        specs_module.specs_dir.cache_clear()
        specs_module._methods.cache_clear()
        specs_module.method_spec.cache_clear()


def test_a_request_cut_off_mid_body_is_not_a_call(fake: FakeSlack) -> None:
    """A client killed between its headers and its body: Slack never receives that call."""
    import socket
    from urllib.parse import urlsplit

    url = urlsplit(fake.api_url)
    body = f'{{"channel": "D0X", "text": "{"x" * 200}"}}'.encode()
    with socket.create_connection((url.hostname or "127.0.0.1", url.port or 80)) as sock:
        sock.sendall(
            b"POST /api/chat.postMessage HTTP/1.1\r\nHost: x\r\n"
            b"Content-Type: application/json\r\n"
            + f"Authorization: Bearer {fake.bot_token}\r\n".encode()
            + f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body[:20]
        )
        sock.shutdown(socket.SHUT_WR)
        assert sock.recv(100) == b""  # no answer: the connection is just closed
    assert fake.calls_to("chat.postMessage") == []
    assert fake.violations == []
