"""Who a Slack user is (locale, timezone), from users.info, cached because it is Tier 4."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.config import Settings
from bot.i18n import language_for
from bot.slack.workspaces import NotInstalled

log = logging.getLogger(__name__)
FAILURE_TTL = 60.0


@dataclass(frozen=True)
class SlackUser:
    """The few facts about a Slack user the bot needs."""

    id: str
    locale: str | None
    timezone: str | None
    name: str | None
    deleted: bool = False


_T = TypeVar("_T")


class UserDirectory:
    """A TTL cache in front of `users.info` with `include_locale`."""

    def __init__(
        self,
        client: WebClient | Callable[[], WebClient],
        *,
        ttl_seconds: float,
        default_language: str,
    ) -> None:
        # A client, or (several workspaces) a function giving the current workspace's client.
        self._client = client
        self._ttl = ttl_seconds
        self.default_language = default_language
        self._cache: dict[str, tuple[float, SlackUser | None]] = {}
        self._groups: dict[str, tuple[float, frozenset[str] | None]] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_settings(
        cls, client: WebClient | Callable[[], WebClient], settings: Settings
    ) -> UserDirectory:
        """A directory with the configured cache lifetime and default language."""
        return cls(
            client,
            ttl_seconds=settings.mentor_user_cache_seconds,
            default_language=settings.mentor_default_language,
        )

    def lookup(self, user_id: str) -> SlackUser | None:
        """The user, or None when Slack cannot tell us (the caller falls back to defaults)."""
        now = time.monotonic()
        found, user = self._cached(self._cache, user_id, now)
        if found:
            return user
        try:
            client = self._client if isinstance(self._client, WebClient) else self._client()
            resp = client.users_info(user=user_id, include_locale=True)
        except NotInstalled:
            return None
        except SlackApiError as exc:
            log.warning("users.info failed for a user: %s", exc.response.get("error"))
            # Remember the failure briefly: one request sees one answer, and Slack is not hammered.
            with self._lock:
                self._cache[user_id] = (now, None)
            return None
        data = resp.get("user") or {}
        profile = data.get("profile") or {}
        user = SlackUser(
            id=user_id,
            locale=data.get("locale"),
            timezone=data.get("tz"),
            name=profile.get("display_name") or profile.get("real_name") or data.get("name"),
            deleted=bool(data.get("deleted")),
        )
        with self._lock:
            self._cache[user_id] = (now, user)
        return user

    def _cached(
        self, table: dict[str, tuple[float, _T | None]], key: str, now: float
    ) -> tuple[bool, _T | None]:
        """(True, answer) if a cached answer may be reused, else (False, None); a remembered
        failure (None) lives shorter."""
        with self._lock:
            hit = table.get(key)
        if hit is None:
            return False, None
        ttl = self._ttl if hit[1] is not None else min(self._ttl, FAILURE_TTL)
        return (True, hit[1]) if now - hit[0] < ttl else (False, None)

    def group_members(self, client: WebClient, usergroup_id: str) -> frozenset[str]:
        """The user ids in a Slack user group (usergroups.users.list), cached; empty on error."""
        now = time.monotonic()
        found, members = self._cached(self._groups, usergroup_id, now)
        if found:
            return members or frozenset()
        try:
            resp = client.usergroups_users_list(usergroup=usergroup_id)
        except SlackApiError as exc:
            # Fail closed: nobody becomes an admin because Slack could not be asked.
            log.warning("usergroups.users.list failed: %s", exc.response.get("error"))
            with self._lock:
                self._groups[usergroup_id] = (now, None)
            return frozenset()
        members = frozenset(str(u) for u in resp.get("users") or [])
        with self._lock:
            self._groups[usergroup_id] = (now, members)
        return members

    def language(self, user_id: str) -> str:
        """The UI language for this user: their Slack locale if supported, else the default."""
        return self._language_of(self.lookup(user_id))

    def cached_language(self, user_id: str) -> str | None:
        """What `language` would answer without asking Slack; None if it would have to ask."""
        found, user = self._cached(self._cache, user_id, time.monotonic())
        return self._language_of(user) if found else None

    def _language_of(self, user: SlackUser | None) -> str:
        return language_for(user.locale if user else None, self.default_language)

    def cached_group_members(self, usergroup_id: str) -> frozenset[str] | None:
        """What `group_members` would answer without asking Slack; None if it would have to."""
        found, members = self._cached(self._groups, usergroup_id, time.monotonic())
        return (members or frozenset()) if found else None

    def forget(self, user_id: str) -> None:
        """Drop a cached entry (after the person left, say)."""
        with self._lock:
            self._cache.pop(user_id, None)
