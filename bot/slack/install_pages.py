"""The web pages of the install flow (several workspaces, OAuth), in the browser's language.

Bolt's own pages are English only and load Slack's button image from a third-party host;
these are translated, self-contained, and escape everything they show. Pure builders.
"""

from __future__ import annotations

import html

from bot.config import SUPPORTED_LANGUAGES
from bot.i18n import Translator

_STYLE = (
    "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;max-width:36em;"
    "margin:3em auto;padding:0 1em;line-height:1.5;color:#1d1c1d}"
    "a.button{display:inline-block;padding:.6em 1.2em;border-radius:6px;background:#4a154b;"
    "color:#fff;text-decoration:none;font-weight:600}"
)


def browser_language(accept_language: str | None, default: str) -> str:
    """The supported language the browser prefers most (its Accept-Language), else `default`."""
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        language = tag.replace("_", "-").split("-")[0].lower()
        if language in SUPPORTED_LANGUAGES and quality > 0:
            ranked.append((-quality, index, language))
    return min(ranked)[2] if ranked else default


def _page(t: Translator, title: str, *paragraphs: str) -> str:
    body = "\n".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        f'<!DOCTYPE html>\n<html lang="{t.language}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f'<link rel="icon" href="data:,">\n<title>{html.escape(title)}</title>\n'
        f"<style>{_STYLE}</style>\n</head>\n<body>\n<h1>{html.escape(title)}</h1>\n"
        f"{body}\n</body>\n</html>\n"
    )


def _button(label: str, url: str) -> str:
    return f'<a class="button" href="{html.escape(url)}">{html.escape(label)}</a>'


def install_page(t: Translator, authorize_url: str) -> str:
    """The page behind /slack/install: what the app does, and the button to Slack."""
    return _page(
        t,
        t._("Install mentor-bot"),
        html.escape(
            t._(
                "mentor-bot runs reverse-mentoring programmes in Slack: it pairs younger and "
                "experienced colleagues, reminds them of their jour fixes and asks for short, "
                "confidential feedback."
            )
        ),
        _button(t._("Add to Slack"), authorize_url),
    )


def installed_page(t: Translator, team_name: str | None, open_url: str) -> str:
    """The page Slack sends the installer back to once the app is installed."""
    team = team_name or t._("your workspace")
    return _page(
        t,
        t._("mentor-bot is installed"),
        html.escape(
            t._(
                "mentor-bot is now installed in {team}. In Slack, type /mentor join to take "
                "part, or /mentor help to see what it can do.",
                team=team,
            )
        ),
        _button(t._("Open Slack"), open_url),
    )


def failed_page(t: Translator, reason: str, install_url: str) -> str:
    """The page shown when the installation did not finish, with a way to start again."""
    if reason == "access_denied":
        why = t._("The installation was cancelled, so nothing was installed.")
    elif reason == "invalid_browser":
        why = t._(
            "This page was opened in another browser than the one that started the "
            "installation, or the browser blocked its cookie. Start again in one browser."
        )
    elif reason == "invalid_state":
        why = t._("This installation link has expired or was used already.")
    elif reason == "storage_error":
        why = t._(
            "The installation could not be saved. Try again in a few minutes; if it keeps "
            "failing, tell the people who run mentor-bot."
        )
    else:
        why = t._("Slack did not confirm the installation.")
    return _page(
        t,
        t._("mentor-bot was not installed"),
        html.escape(why),
        _button(t._("Start again"), install_url),
    )
