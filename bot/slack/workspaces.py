"""The Web API client for each workspace: one bot token, or each OAuth installation's.

With one workspace (SLACK_BOT_TOKEN) every team gets the same client. With OAuth, a team's
bot token comes from its installation (decrypted on the way out of the store) and its
client is kept for a minute, so an uninstall or a new token takes effect soon. Work done
for a Slack request runs with that request's team in `CURRENT_TEAM`; work outside requests
(the dispatcher) names the team of each outbox row.
"""

from __future__ import annotations

import contextvars
import threading
import time
from collections.abc import Callable
from typing import Protocol

from slack_sdk import WebClient
from slack_sdk.oauth.installation_store.models.bot import Bot

CURRENT_TEAM: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "current_team", default=None
)
CACHE_SECONDS = 60.0
# What the app asks for when a workspace installs it (the same as manifest.yml's).
BOT_SCOPES = (
    "commands",
    "chat:write",
    "im:write",
    "mpim:write",
    "files:write",
    "usergroups:read",
    "users:read",
)
INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"


class BotStore(Protocol):
    """Finds the bot (and its token) that serves a workspace or an organisation."""

    def bot_for(self, team_or_enterprise: str) -> Bot | None:
        """The newest bot installed for it, or None."""


class NotInstalled(LookupError):
    """No installation (any more) for this workspace: nothing can be sent to it."""


class Workspaces:
    """team id -> WebClient."""

    def __init__(
        self,
        make_client: Callable[[str | None], WebClient],
        *,
        token: str | None = None,
        store: BotStore | None = None,
    ) -> None:
        if (token is None) == (store is None):
            raise ValueError("give either one bot token or an installation store")
        self._make, self._store = make_client, store
        self._single = make_client(token) if token is not None else None
        self._clients: dict[str, tuple[float, WebClient]] = {}
        self._lock = threading.Lock()

    @classmethod
    def of(cls, client: WebClient) -> Workspaces:
        """One workspace, served by this client."""
        return cls(lambda _token: client, token=client.token or "")

    def client(self, team_id: str | None) -> WebClient:
        """The client of a workspace (or of an Enterprise Grid organisation)."""
        if self._single is not None:
            return self._single
        assert self._store is not None
        if not team_id:
            raise NotInstalled("no workspace given")
        now = time.monotonic()
        with self._lock:
            hit = self._clients.get(team_id)
            if hit is not None and now - hit[0] < CACHE_SECONDS:
                return hit[1]
        bot = self._store.bot_for(team_id)
        if bot is None or not bot.bot_token:
            with self._lock:
                self._clients.pop(team_id, None)
            raise NotInstalled(f"the app is not installed in {team_id}")
        client = self._make(bot.bot_token)
        with self._lock:
            self._clients[team_id] = (now, client)
        return client

    def current(self) -> WebClient:
        """The client of the workspace whose Slack request is being handled."""
        return self.client(CURRENT_TEAM.get())
