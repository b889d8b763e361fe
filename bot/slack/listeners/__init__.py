"""Bolt listeners, one module per Slack surface; each exposes register(app)."""

from slack_bolt import App

from bot.slack.listeners import actions, commands, events, meetings, views


def register_all(app: App) -> None:
    """Attach every listener to the app."""
    for module in (commands, views, actions, meetings, events):
        module.register(app)
