"""The baseline of bench/ack: a Bolt app whose only listener acks `/mentor` and does nothing.

Served by gunicorn with the same worker class, workers and threads as `mentor-bot serve`.
"""

from __future__ import annotations

import os

from slack_bolt import Ack, App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient

bolt = App(
    client=WebClient(token=os.environ["SLACK_BOT_TOKEN"], base_url=os.environ["SLACK_API_URL"]),
    signing_secret=os.environ["SLACK_SIGNING_SECRET"],
    token_verification_enabled=False,
    process_before_response=False,
)


@bolt.command("/mentor")
def ack_only(ack: Ack) -> None:
    """Ack, nothing else."""
    ack()


app = SlackRequestHandler(bolt)
