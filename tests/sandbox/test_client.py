"""SlackSim against a real Bolt app served over HTTP, with FakeSlack as its Web API."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

import pytest
from slack_bolt import Ack, App, BoltResponse, Respond
from slack_sdk import WebClient

from bot.sandbox import BoltAppServer, FakeSlack, SlackSim
from bot.sandbox.specs import json_log_sample, payload_sample
from tests.sandbox.conftest import needs_shared_specs

SECRET = "sandbox-signing-secret"


def pt(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text}


COLOURS = [{"text": pt(c.title()), "value": c} for c in ("red", "green", "blue")]
JOIN_VIEW: dict[str, Any] = {
    "type": "modal",
    "callback_id": "join",
    "title": pt("Join"),
    "submit": pt("Save"),
    "notify_on_close": True,
    "blocks": [
        {
            "type": "input",
            "block_id": "name",
            "label": pt("Name"),
            "element": {"type": "plain_text_input", "action_id": "name", "max_length": 20},
        },
        {
            "type": "input",
            "block_id": "colour",
            "label": pt("Colour"),
            "dispatch_action": True,
            "element": {
                "type": "static_select",
                "action_id": "colour",
                "options": COLOURS,
                "initial_option": COLOURS[2],
            },
        },
        {
            "type": "input",
            "block_id": "likes",
            "label": pt("Likes"),
            "optional": True,
            "element": {"type": "checkboxes", "action_id": "likes", "options": COLOURS},
        },
        {"type": "section", "block_id": "note", "text": pt("Thanks")},
    ],
}
HOME_VIEW: dict[str, Any] = {
    "type": "home",
    "blocks": [
        {
            "type": "actions",
            "block_id": "home_actions",
            "elements": [
                {"type": "button", "action_id": "home_join", "text": pt("Join"), "value": "j"}
            ],
        }
    ],
}
FEEDBACK_BLOCKS: list[dict[str, Any]] = [
    {"type": "section", "text": pt("How was it?")},
    # action_id only has to be unique within a block, so each answer gets its own block.
    {
        "type": "actions",
        "block_id": "fb_good",
        "elements": [
            {"type": "button", "action_id": "feedback", "text": pt("Good"), "value": "good"}
        ],
    },
    {
        "type": "actions",
        "block_id": "fb_bad",
        "elements": [
            {
                "type": "button",
                "action_id": "feedback",
                "text": pt("Bad"),
                "value": "bad",
                "style": "danger",
            }
        ],
    },
]


def build_app(fake: FakeSlack, seen: list[dict[str, Any]]) -> App:
    """A tiny Bolt app exercising each kind of request Slack sends."""
    app = App(
        client=WebClient(token=fake.bot_token, base_url=fake.api_url),
        signing_secret=SECRET,
        logger=logging.getLogger("sandbox-test-app"),
    )

    @app.middleware
    def remember(req: Any, next: Any) -> BoltResponse:
        seen.append({"headers": dict(req.headers), "body": req.body})
        return next()  # type: ignore[no-any-return]

    @app.command("/mentor")
    def mentor(ack: Ack, command: dict[str, Any], client: WebClient) -> None:
        text = command["text"]
        if text == "help":
            ack(text="Try /mentor join")
        elif text == "blocks-only":
            ack(blocks=[{"type": "divider"}])
        elif text == "slow":
            time.sleep(0.3)
            ack()
        else:
            ack()
            client.views_open(trigger_id=command["trigger_id"], view=JOIN_VIEW)

    @app.view("join")
    def join(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        name = view["state"]["values"]["name"]["name"]["value"]
        if name == "bad":
            ack(response_action="errors", errors={"name": "Pick another name"})
        elif name == "misplaced":
            ack(response_action="errors", errors={"note": "not an input"})
        elif name == "again":
            ack(response_action="update", view={**JOIN_VIEW, "title": pt("Join again")})
        elif name == "deeper":
            ack(response_action="push", view={**JOIN_VIEW, "title": pt("Details")})
        else:
            ack()
            client.chat_postMessage(
                channel=body["user"]["id"], text="How was it?", blocks=FEEDBACK_BLOCKS
            )

    @app.action("feedback")
    def feedback(ack: Ack, respond: Respond, body: dict[str, Any]) -> None:
        ack()
        respond(text=f"Thanks for '{body['actions'][0]['value']}'", replace_original=True)

    @app.action("colour")
    def colour(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        picked = body["actions"][0]["selected_option"]["value"]
        client.views_update(
            view_id=body["view"]["id"],
            hash=body["view"]["hash"],
            view={**JOIN_VIEW, "title": pt(f"Join ({picked})")},
        )

    @app.action("home_join")
    def home_join(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        client.views_open(trigger_id=body["trigger_id"], view=JOIN_VIEW)

    @app.event("app_home_opened")
    def home(event: dict[str, Any], client: WebClient) -> None:
        client.views_publish(user_id=event["user"], view=HOME_VIEW)

    @app.event("app_mention")
    def mention() -> None:
        return None

    return app


@dataclass
class Bolt:
    fake: FakeSlack
    sim: SlackSim
    seen: list[dict[str, Any]]


@pytest.fixture
def bolt(fake: FakeSlack) -> Iterator[Bolt]:
    """The test app served over HTTP, plus the SlackSim that talks to it."""
    seen: list[dict[str, Any]] = []
    with BoltAppServer(build_app(fake, seen)) as server:
        yield Bolt(fake, SlackSim(fake, app_url=server.url, signing_secret=SECRET), seen)


def open_join_modal(bolt: Bolt, user_id: str = "U1") -> str:
    resp = bolt.sim.slash(user_id, "join")
    assert resp.status == 200
    call = bolt.fake.wait_for("views.open")[0]
    assert call.args["trigger_id"] == resp.trigger_id
    return str(call.response["view"]["id"])


def superset_keys(*samples: Any) -> set[str]:
    keys: set[str] = set()
    for sample in samples:
        keys |= set(sample)
    return keys


# --------------------------------------------------------------------------- signing
@needs_shared_specs
def test_sign_matches_slacks_known_answer_vector(fake: FakeSlack) -> None:
    vector = payload_sample("signing-test-vector.slash-command")
    sim = SlackSim(fake, app_url="http://127.0.0.1:1/", signing_secret=vector["signing_secret"])
    headers = sim.sign(vector["http"]["raw_body"].encode(), timestamp=1531420618)
    assert headers == {
        "X-Slack-Request-Timestamp": "1531420618",
        "X-Slack-Signature": vector["expected_signature"],
    }


def test_forged_and_stale_signatures_are_rejected_by_bolt(bolt: Bolt) -> None:
    body = b"token=x&team_id=T0001&user_id=U1&command=%2Fmentor&text=help"
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    forged = {**headers, **SlackSim(bolt.fake, bolt.sim.app_url, "wrong-secret").sign(body)}
    assert bolt.sim.send_raw(body, forged).status == 401
    stale = {**headers, **bolt.sim.sign(body, timestamp=int(time.time()) - 600)}
    assert bolt.sim.send_raw(body, stale).status == 401
    assert bolt.sim.send_raw(body, {**headers, **bolt.sim.sign(body)}).status == 200


# --------------------------------------------------------------------------- slash commands
@needs_shared_specs
def test_a_slash_command_carries_every_field_slack_sends(bolt: Bolt) -> None:
    resp = bolt.sim.slash("U1", "help")
    fields = parse_qs(resp.request_body.decode(), keep_blank_values=True)
    superset = json_log_sample("app-backend", "SlashCommandPayload")
    assert set(fields) == set(superset) - {"enterprise_id", "enterprise_name"}
    assert fields["user_name"] == ["anna"]
    assert fields["response_url"] == [resp.response_url]
    assert fields["channel_id"] == [bolt.fake.dm_channel_id("U1")]


def test_a_slash_command_ack_body_is_shown_as_an_ephemeral_message(bolt: Bolt) -> None:
    resp = bolt.sim.slash("U1", "help")
    assert resp.ack == {"text": "Try /mentor join"}
    shown = bolt.fake.messages[-1]
    assert (shown["text"], shown["user"], shown["source"]) == ("Try /mentor join", "U1", "ack")
    bolt.fake.assert_no_violations()


def test_an_ack_with_blocks_but_no_text_is_a_violation(bolt: Bolt) -> None:
    bolt.sim.slash("U1", "blocks-only")
    assert len(bolt.fake.violations) == 1
    assert "missing text fallback" in bolt.fake.violations[0]


def test_an_ack_slower_than_slacks_deadline_is_a_violation(bolt: Bolt) -> None:
    bolt.sim.ack_deadline = 0.1
    bolt.sim.slash("U1", "slow")
    assert "Slack gives up after 0.1s" in bolt.fake.violations[0]


def test_a_slash_command_opens_a_modal_through_the_fake(bolt: Bolt) -> None:
    view_id = open_join_modal(bolt)
    assert [v["id"] for v in bolt.fake.open_views("U1")] == [view_id]
    bolt.fake.assert_no_violations()


# --------------------------------------------------------------------------- view submissions
def test_submit_view_sends_slack_state_shapes_and_an_empty_ack_closes_the_modal(
    bolt: Bolt,
) -> None:
    view_id = open_join_modal(bolt)
    resp = bolt.sim.submit_view("U1", view_id, {"name": "Anna", "likes": ["red", "green"]})
    assert resp.status == 200
    assert resp.ack is None
    values = resp.payload["view"]["state"]["values"] if resp.payload else {}
    assert values["name"]["name"] == {"type": "plain_text_input", "value": "Anna"}
    assert values["colour"]["colour"] == {"type": "static_select", "selected_option": COLOURS[2]}
    assert values["likes"]["likes"] == {
        "type": "checkboxes",
        "selected_options": [COLOURS[0], COLOURS[1]],
    }
    assert bolt.fake.open_views("U1") == []
    posted = bolt.fake.wait_for("chat.postMessage")[0]
    assert posted.args["channel"] == "U1"
    bolt.fake.assert_no_violations()


def test_an_errors_ack_keeps_the_modal_open(bolt: Bolt) -> None:
    view_id = open_join_modal(bolt)
    resp = bolt.sim.submit_view("U1", view_id, {"name": "bad"})
    assert resp.ack == {"response_action": "errors", "errors": {"name": "Pick another name"}}
    assert [v["id"] for v in bolt.fake.open_views("U1")] == [view_id]
    assert bolt.fake.views[view_id]["state"]["values"]["name"]["name"]["value"] == "bad"
    bolt.fake.assert_no_violations()


def test_errors_for_a_block_that_is_not_an_input_are_a_violation(bolt: Bolt) -> None:
    view_id = open_join_modal(bolt)
    bolt.sim.submit_view("U1", view_id, {"name": "misplaced"})
    assert len(bolt.fake.violations) == 1
    assert "errors key 'note' is not an input block_id" in bolt.fake.violations[0]


def test_an_update_ack_replaces_the_view_in_place(bolt: Bolt) -> None:
    view_id = open_join_modal(bolt)
    bolt.sim.submit_view("U1", view_id, {"name": "again"})
    assert [v["id"] for v in bolt.fake.open_views("U1")] == [view_id]
    assert bolt.fake.views[view_id]["title"]["text"] == "Join again"
    assert bolt.fake.views[view_id]["state"]["values"]["name"]["name"]["value"] == "again"
    bolt.fake.assert_no_violations()


def test_submit_view_refuses_what_the_slack_client_would_not_send(bolt: Bolt) -> None:
    view_id = open_join_modal(bolt)
    with pytest.raises(ValueError, match="not an option"):
        bolt.sim.submit_view("U1", view_id, {"name": "x", "colour": "purple"})
    with pytest.raises(ValueError, match="required input 'name' is empty"):
        bolt.sim.submit_view("U1", view_id, {})
    with pytest.raises(ValueError, match="max 20"):
        bolt.sim.submit_view("U1", view_id, {"name": "x" * 21})
    with pytest.raises(ValueError, match="no element"):
        bolt.sim.submit_view("U1", view_id, {"nope": "x"})
    assert bolt.fake.calls_to("views.open")  # nothing was sent for the refused submissions
    assert len(bolt.seen) == 1


def test_client_checks_can_be_skipped_to_test_the_apps_own_validation(bolt: Bolt) -> None:
    view_id = open_join_modal(bolt)
    resp = bolt.sim.submit_view(
        "U1", view_id, {"name": "x" * 21, "colour": "purple"}, client_checks=False
    )
    assert resp.payload is not None
    values = resp.payload["view"]["state"]["values"]
    assert values["name"]["name"]["value"] == "x" * 21
    assert values["colour"]["colour"]["selected_option"]["value"] == "purple"


def test_a_push_ack_stacks_a_second_view_and_submitting_it_returns_to_the_first(
    bolt: Bolt,
) -> None:
    view_id = open_join_modal(bolt)
    bolt.sim.submit_view("U1", view_id, {"name": "deeper"})
    stack = bolt.fake.open_views("U1")
    assert [v["title"]["text"] for v in stack] == ["Join", "Details"]
    assert stack[1]["root_view_id"] == view_id
    with pytest.raises(ValueError, match="not the topmost"):
        bolt.sim.submit_view("U1", view_id, {"name": "Anna"})
    bolt.sim.submit_view("U1", stack[1]["id"], {"name": "again"})
    bolt.sim.submit_view("U1", stack[1]["id"], {"name": "Anna"})
    assert [v["id"] for v in bolt.fake.open_views("U1")] == [view_id]
    bolt.fake.assert_no_violations()


def test_a_slash_command_from_an_unknown_user_is_a_test_bug(bolt: Bolt) -> None:
    with pytest.raises(ValueError, match="unknown user 'U404'"):
        bolt.sim.slash("U404", "help")


def test_closing_a_modal_with_notify_on_close_sends_view_closed(bolt: Bolt) -> None:
    view_id = open_join_modal(bolt)
    resp = bolt.sim.close_view("U1", view_id)
    assert resp is not None
    assert resp.payload is not None
    assert resp.payload["type"] == "view_closed"
    assert bolt.fake.open_views("U1") == []


# --------------------------------------------------------------------------- block actions
def test_select_in_view_sends_block_actions_with_the_new_state(bolt: Bolt) -> None:
    view_id = open_join_modal(bolt)
    resp = bolt.sim.select_in_view("U1", view_id, "colour", "colour", "red")
    assert resp.payload is not None
    assert resp.payload["container"] == {"type": "view", "view_id": view_id}
    assert resp.payload["actions"][0]["selected_option"] == COLOURS[0]
    bolt.fake.wait_for("views.update")
    view = bolt.fake.views[view_id]
    assert view["title"]["text"] == "Join (red)"
    assert view["state"]["values"]["colour"]["colour"]["selected_option"] == COLOURS[0]
    bolt.fake.assert_no_violations()


def test_click_sends_the_real_button_and_respond_goes_to_the_response_url(bolt: Bolt) -> None:
    view_id = open_join_modal(bolt)
    bolt.sim.submit_view("U1", view_id, {"name": "Anna"})
    bolt.fake.wait_for("chat.postMessage")

    resp = bolt.sim.click("U1", "feedback", "bad")
    assert resp.payload is not None
    action = resp.payload["actions"][0]
    assert (action["text"], action["value"], action["style"]) == (pt("Bad"), "bad", "danger")
    assert resp.payload["container"]["type"] == "message"
    hook = bolt.fake.wait_for("response_url")[0]
    assert hook.path == resp.response_url.removeprefix(bolt.fake.base_url)  # type: ignore[union-attr]
    assert bolt.fake.messages[-1]["text"] == "Thanks for 'bad'"
    assert len(bolt.fake.messages) == 1  # replaced, not added
    bolt.fake.assert_no_violations()


def test_clicking_a_button_that_is_not_there_raises(bolt: Bolt) -> None:
    with pytest.raises(ValueError, match="no message visible to U1"):
        bolt.sim.click("U1", "feedback")


def test_the_home_tab_is_published_on_open_and_its_button_opens_a_modal(bolt: Bolt) -> None:
    resp = bolt.sim.open_home("U1")
    assert resp.status == 200
    bolt.fake.wait_for("views.publish")
    home = bolt.fake.home_views["U1"]
    assert resp.payload is not None
    assert "view" not in resp.payload["event"]

    bolt.sim.click("U1", "home_join", view_id=home["id"])
    bolt.fake.wait_for("views.open")
    assert len(bolt.fake.open_views("U1")) == 1
    second = bolt.sim.open_home("U1")
    assert second.payload is not None
    assert second.payload["event"]["view"]["id"] == home["id"]
    bolt.fake.assert_no_violations()


# --------------------------------------------------------------------------- events
def test_event_retries_carry_slacks_retry_headers_and_the_same_event_id(bolt: Bolt) -> None:
    first = bolt.sim.event({"type": "app_mention", "user": "U1", "text": "hi", "channel": "C1"})
    assert first.payload is not None
    again = bolt.sim.event(first.payload["event"], retry_num=1, event_id=first.payload["event_id"])
    assert again.status == 200
    headers = {k.lower(): v for k, v in bolt.seen[-1]["headers"].items()}
    assert headers["x-slack-retry-num"] in ("1", ["1"])
    assert headers["x-slack-retry-reason"] in ("http_timeout", ["http_timeout"])
    assert bolt.seen[-1]["body"]["event_id"] == first.payload["event_id"]


def test_url_verification_is_answered_with_the_challenge(bolt: Bolt) -> None:
    assert bolt.sim.url_verification("abc").json() == {"challenge": "abc"}


@needs_shared_specs
def test_interaction_payloads_only_use_fields_slack_sends(bolt: Bolt) -> None:
    view_id = open_join_modal(bolt)
    submitted = bolt.sim.submit_view("U1", view_id, {"name": "Anna"})
    bolt.fake.wait_for("chat.postMessage")
    clicked = bolt.sim.click("U1", "feedback", "good")
    home = bolt.sim.open_home("U1")
    assert submitted.payload
    assert clicked.payload
    assert home.payload

    view_keys = superset_keys(
        json_log_sample("app-backend", "ViewSubmissionPayload"),
        payload_sample("view-submission.bolt-python")["payload"],
    )
    action_keys = superset_keys(
        json_log_sample("app-backend", "BlockActionPayload"),
        payload_sample("block-actions.message-button.bolt-python")["payload"],
    )
    event_keys = superset_keys(json_log_sample("events", "AppHomeOpenedPayload"))
    assert set(submitted.payload) <= view_keys
    assert set(submitted.payload["view"]) <= set(
        json_log_sample("app-backend", "ViewSubmissionPayload")["view"]
    ) | {"blocks"}
    assert set(clicked.payload) <= action_keys
    assert set(clicked.payload["container"]) <= set(
        json_log_sample("app-backend", "BlockActionPayload")["container"]
    )
    assert set(home.payload) <= event_keys
    assert set(home.payload["event"]) <= set(
        json_log_sample("events", "AppHomeOpenedPayload")["event"]
    )
