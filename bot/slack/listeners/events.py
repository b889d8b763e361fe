"""Events API listeners."""

from __future__ import annotations

from typing import Any

from slack_bolt import App, BoltContext
from slack_sdk import WebClient

from bot.slack.listeners.common import publish_home


def home_opened(event: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    """Publish the Home tab whenever the person opens it."""
    if event.get("tab") == "home":
        publish_home(client, context)


def register(app: App) -> None:
    """Attach the event listeners."""
    app.event("app_home_opened")(home_opened)
