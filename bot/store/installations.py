"""Where OAuth installations live: slack_sdk's SQLAlchemy stores, with tokens encrypted.

Only used when the app is distributed to several workspaces (SLACK_CLIENT_ID is set). Every
token (bot, user, and their refresh tokens) is encrypted with Fernet before it is written
and decrypted when read, with the keys of MENTOR_TOKEN_KEY: the first key encrypts, every
key decrypts, so keys can be rotated by putting a new one first.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

import sqlalchemy
import sqlalchemy.exc
from cryptography.fernet import Fernet, MultiFernet
from slack_sdk.oauth.installation_store.models.bot import Bot
from slack_sdk.oauth.installation_store.models.installation import Installation
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy.engine import Engine

from bot.store.models import Workspace

TOKEN_FIELDS = ("bot_token", "bot_refresh_token", "user_token", "user_refresh_token")
STATE_SECONDS = 600
Model = TypeVar("Model", Bot, Installation)


class TokenCipher:
    """Fernet with rotation: encrypt with the first key, decrypt with any."""

    def __init__(self, keys: Sequence[str]) -> None:
        if not keys:
            raise ValueError("at least one key is needed")
        self._fernet = MultiFernet([Fernet(k.encode()) for k in keys])

    def encrypt(self, token: str) -> str:
        """Ciphertext of a token, as text."""
        return self._fernet.encrypt(token.encode()).decode()

    def decrypt(self, ciphertext: str) -> str:
        """The token back."""
        return self._fernet.decrypt(ciphertext.encode()).decode()

    def _apply(self, model: Model, how: Any) -> Model:
        out = copy.copy(model)
        for name in TOKEN_FIELDS:
            value = getattr(out, name, None)
            if value:
                setattr(out, name, how(value))
        return out

    def sealed(self, model: Model) -> Model:
        """A copy with every token encrypted."""
        return self._apply(model, self.encrypt)

    def opened(self, model: Model | None) -> Model | None:
        """A copy with every token decrypted."""
        return None if model is None else self._apply(model, self.decrypt)


class EncryptedInstallationStore(SQLAlchemyInstallationStore):
    """slack_sdk's SQLAlchemy installation store, over our migrated tables, tokens encrypted."""

    def __init__(self, client_id: str, engine: Engine, cipher: TokenCipher) -> None:
        super().__init__(client_id=client_id, engine=engine)
        self.cipher = cipher
        # slack_sdk's save() stores the bot through save_bot(), from the already sealed copy,
        # and its find_installation() reads the bot through find_bot() and compares tokens
        # with the stored (sealed) ones: inside those two, tokens stay sealed.
        self._inside = threading.local()

    @contextmanager
    def _sealed_inside(self) -> Iterator[None]:
        self._inside.sealed = True
        try:
            yield
        finally:
            self._inside.sealed = False

    def _as_is(self) -> bool:
        return bool(getattr(self._inside, "sealed", False))

    def save(self, installation: Installation) -> None:
        """Store an installation (and its bot) with encrypted tokens."""
        with self._sealed_inside():
            super().save(self.cipher.sealed(installation))

    def save_bot(self, bot: Bot) -> None:
        """Store a bot with an encrypted token."""
        super().save_bot(bot if self._as_is() else self.cipher.sealed(bot))

    def find_bot(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        is_enterprise_install: bool | None = False,
    ) -> Bot | None:
        """The newest bot of a workspace, tokens decrypted."""
        found = super().find_bot(
            enterprise_id=enterprise_id,
            team_id=team_id,
            is_enterprise_install=is_enterprise_install,
        )
        return found if self._as_is() else self.cipher.opened(found)

    def bot_for(self, team_or_enterprise: str) -> Bot | None:
        """The newest bot that serves a workspace, whatever organisation it belongs to, or
        the organisation-wide bot when given an Enterprise Grid organisation's id."""
        with self.engine.connect() as conn:
            row = conn.execute(
                sqlalchemy.select(self.bots.c.enterprise_id, self.bots.c.team_id)
                .where(
                    self.bots.c.client_id == self.client_id,
                    sqlalchemy.or_(
                        self.bots.c.team_id == team_or_enterprise,
                        sqlalchemy.and_(
                            self.bots.c.enterprise_id == team_or_enterprise,
                            self.bots.c.is_enterprise_install.is_(True),
                        ),
                    ),
                )
                .order_by(self.bots.c.installed_at.desc(), self.bots.c.id.desc())
                .limit(1)
            ).first()
        if row is None:
            # A workspace of an organisation that installed the app organisation-wide.
            with self.engine.connect() as conn:
                organisation = conn.execute(
                    sqlalchemy.select(Workspace.enterprise_id).where(
                        Workspace.team_id == team_or_enterprise
                    )
                ).scalar()
            if organisation is None or organisation == team_or_enterprise:
                return None
            return self.bot_for(organisation)
        return self.find_bot(
            enterprise_id=row.enterprise_id,
            team_id=row.team_id,
            is_enterprise_install=row.team_id is None,
        )

    def find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        """The newest installation of a workspace (or of one of its users), decrypted."""
        with self._sealed_inside():
            found = super().find_installation(
                enterprise_id=enterprise_id,
                team_id=team_id,
                user_id=user_id,
                is_enterprise_install=is_enterprise_install,
            )
        return self.cipher.opened(found)


def remember_organisation(engine: Engine, team_id: str, enterprise_id: str) -> None:
    """Note that a workspace belongs to an organisation (idempotent)."""
    with engine.begin() as conn:
        known = conn.execute(
            sqlalchemy.select(Workspace.enterprise_id).where(Workspace.team_id == team_id)
        ).scalar()
        if known is not None:
            if known != enterprise_id:  # the workspace moved to another organisation
                conn.execute(
                    sqlalchemy.update(Workspace)
                    .where(Workspace.team_id == team_id)
                    .values(enterprise_id=enterprise_id)
                )
            return
    try:
        with engine.begin() as conn:
            conn.execute(
                sqlalchemy.insert(Workspace).values(team_id=team_id, enterprise_id=enterprise_id)
            )
    except sqlalchemy.exc.IntegrityError:
        pass  # another replica noted it at the same moment


def stores(
    client_id: str, engine: Engine, keys: Sequence[str]
) -> tuple[EncryptedInstallationStore, SQLAlchemyOAuthStateStore]:
    """The installation store and the OAuth state store (states valid ten minutes)."""
    return (
        EncryptedInstallationStore(client_id, engine, TokenCipher(keys)),
        SQLAlchemyOAuthStateStore(expiration_seconds=STATE_SECONDS, engine=engine),
    )
