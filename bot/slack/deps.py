"""What listeners need, handed to them through Bolt's context by a middleware."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from slack_sdk import WebClient
from sqlalchemy.orm import Session

from bot.config import DatabaseSettings, Settings
from bot.i18n import Translator, translator
from bot.scheduling import make_dispatcher, pacer_from, timing_from
from bot.scheduling.dispatcher import Pacer
from bot.services.catalog import CatalogDef
from bot.services.matching import MatchConfig
from bot.services.timing import Timing
from bot.slack.users import UserDirectory
from bot.store.db import Database, read_snapshot, session_scope


@dataclass
class Deps:
    """Settings, database, skill catalog and the Slack user directory."""

    settings: Settings
    db: Database
    catalog: CatalogDef
    users: UserDirectory
    skill_keys: set[str] = field(init=False)
    timing: Timing = field(init=False)
    # One pace for everything this process sends through the outbox.
    pacer: Pacer = field(init=False)

    def __post_init__(self) -> None:
        self.skill_keys = {s.key for s in self.catalog.skills}
        self.timing = timing_from(self.settings)
        self.pacer = pacer_from(self.settings)

    def send_now(self, client: WebClient, outbox_ids: list[int]) -> None:
        """Send these outbox rows now if they are due (a click asked for them); else later."""
        if outbox_ids:
            dispatcher = make_dispatcher(
                self.settings, self.db, client, self.catalog, pacer=self.pacer
            )
            dispatcher.run(ids=outbox_ids)

    @contextmanager
    def unit_of_work(self) -> Iterator[Session]:
        """A transaction that commits when the block succeeds."""
        with session_scope(self.db.sessions) as session:
            yield session

    @contextmanager
    def read_snapshot(self, count: int) -> Iterator[list[Session]]:
        """Read-only sessions on one snapshot, to query from several threads at once."""
        with read_snapshot(self.db.sessions, count) as sessions:
            yield sessions

    @property
    def match_config(self) -> MatchConfig:
        """The matching rules from the settings."""
        return match_config(self.settings)

    def is_hr_admin(self, user_id: str, client: WebClient | None = None) -> bool:
        """Whether this Slack user may run matching and reports.

        MENTOR_HR_ADMINS always; with a client, also the members of MENTOR_HR_USERGROUP
        (usergroups.users.list, cached like users.info).
        """
        known = self.cached_is_hr_admin(user_id)
        if known is not None:
            return known
        group = self.settings.mentor_hr_usergroup
        if group is None or client is None:
            return False
        return user_id in self.users.group_members(client, group)

    def cached_is_hr_admin(self, user_id: str) -> bool | None:
        """`is_hr_admin` without asking Slack; None if the answer needs a call."""
        if user_id in self.settings.mentor_hr_admins:
            return True
        group = self.settings.mentor_hr_usergroup
        if group is None:
            return False
        members = self.users.cached_group_members(group)
        return None if members is None else user_id in members

    def cached_t_for(self, user_id: str) -> Translator | None:
        """`t_for` without asking Slack; None if the language is not known yet."""
        language = self.users.cached_language(user_id)
        return None if language is None else translator(language)

    def t_for(self, user_id: str) -> Translator:
        """The translator in this user's Slack language."""
        return translator(self.users.language(user_id))


def match_config(settings: DatabaseSettings) -> MatchConfig:
    """Matching rules as configured."""
    return MatchConfig(
        different_departments=settings.mentor_different_departments,
        min_overlap_hours=settings.mentor_min_overlap_hours,
    )
