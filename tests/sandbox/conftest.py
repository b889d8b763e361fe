"""Fixtures for the sandbox's own tests: a started FakeSlack and a WebClient pointed at it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from slack_sdk import WebClient

from bot.sandbox import FakeSlack, SlackUser
from bot.sandbox.specs import SpecsNotFoundError, specs_dir

TOKEN = "xoxb-test-token"


def _have_shared_specs() -> bool:
    try:
        specs_dir()
    except SpecsNotFoundError:
        return False
    return True


# Tests that compare against Slack's raw samples need shared/slack-specs beside the clone
# (CI always has it); the stand-in itself falls back to its bundled method table.
needs_shared_specs = pytest.mark.skipif(
    not _have_shared_specs(),
    reason="shared/slack-specs is not beside this clone (set SLACK_SPECS_DIR)",
)


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    """A running FakeSlack with three people in it."""
    with FakeSlack(team_id="T0001", bot_token=TOKEN) as server:
        server.add_user(
            SlackUser(id="U1", name="anna", real_name="Anna A", locale="de-DE", tz="Europe/Berlin")
        )
        server.add_user(
            SlackUser(id="U2", name="ben", real_name="Ben B", locale="en-US", tz="America/New_York")
        )
        server.add_user(SlackUser(id="U3", name="gone", real_name="Gone G", deleted=True))
        yield server


@pytest.fixture
def client(fake: FakeSlack) -> WebClient:
    """The real slack_sdk client, talking to the fake."""
    return WebClient(token=TOKEN, base_url=fake.api_url, timeout=5)
