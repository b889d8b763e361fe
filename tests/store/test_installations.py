"""The encrypted installation store and the per-workspace clients built on it."""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography.fernet import Fernet, InvalidToken
from slack_sdk import WebClient
from slack_sdk.oauth.installation_store.models.installation import Installation
from sqlalchemy import select

from bot.slack.workspaces import NotInstalled, Workspaces
from bot.store.db import Database
from bot.store.installations import EncryptedInstallationStore, TokenCipher, remember_organisation
from bot.store.models import slack_bots

OLD, NEW = Fernet.generate_key().decode(), Fernet.generate_key().decode()


def _installation(user: str, token: str, **where: object) -> Installation:
    values: dict[str, object] = {"team_id": "T0001", "enterprise_id": None}
    values.update(where)
    return Installation(
        app_id="A1",
        user_id=user,
        bot_token=token,
        bot_id="B1",
        bot_user_id="UBOT",
        bot_scopes="commands,chat:write",
        installed_at=dt.datetime.now(dt.UTC).timestamp(),
        **values,  # type: ignore[arg-type]
    )


def _store(db: Database, *keys: str) -> EncryptedInstallationStore:
    return EncryptedInstallationStore("1.2", db.engine, TokenCipher(list(keys)))


def test_an_earlier_installer_is_still_found_after_someone_reinstalls(db: Database) -> None:
    store = _store(db, NEW)
    store.save(_installation("UANNA", "xoxb-first"))
    store.save(_installation("UBERND", "xoxb-second"))
    # slack_sdk compares the installer's bot token with the newest bot's: both sealed.
    anna = store.find_installation(enterprise_id=None, team_id="T0001", user_id="UANNA")
    assert anna is not None
    assert anna.bot_token == "xoxb-second"
    bot = store.find_bot(enterprise_id=None, team_id="T0001")
    assert bot is not None
    assert bot.bot_token == "xoxb-second"


def test_keys_rotate_the_first_encrypts_and_every_key_decrypts(db: Database) -> None:
    _store(db, OLD).save(_installation("UANNA", "xoxb-old-key"))
    rotated = _store(db, NEW, OLD)
    found = rotated.find_bot(enterprise_id=None, team_id="T0001")
    assert found is not None
    assert found.bot_token == "xoxb-old-key"
    rotated.save(_installation("UANNA", "xoxb-new-key", team_id="T0002"))
    with db.engine.connect() as conn:
        sealed = conn.execute(
            select(slack_bots.c.bot_token).where(slack_bots.c.team_id == "T0002")
        ).scalar_one()
    assert TokenCipher([NEW]).decrypt(sealed) == "xoxb-new-key"
    with pytest.raises(InvalidToken):
        _store(db, NEW).find_bot(enterprise_id=None, team_id="T0001")  # old key dropped


def test_workspaces_of_an_enterprise_grid_organisation_are_found(db: Database) -> None:
    store = _store(db, NEW)
    # A workspace inside an organisation, installed there; and an organisation-wide install.
    store.save(_installation("UANNA", "xoxb-grid-workspace", enterprise_id="E1", team_id="T9"))
    store.save(
        _installation(
            "UBERND", "xoxb-org-wide", enterprise_id="E2", team_id=None, is_enterprise_install=True
        )
    )
    workspaces = Workspaces(lambda token: WebClient(token=token), store=store)
    assert workspaces.client("T9").token == "xoxb-grid-workspace"
    assert workspaces.client("E2").token == "xoxb-org-wide"
    with pytest.raises(NotInstalled):
        workspaces.client("T404")


def test_an_organisation_wide_install_serves_its_workspaces_once_they_are_known(
    db: Database,
) -> None:
    store = _store(db, NEW)
    store.save(
        _installation(
            "UBERND", "xoxb-org-wide", enterprise_id="E2", team_id=None, is_enterprise_install=True
        )
    )
    workspaces = Workspaces(lambda token: WebClient(token=token), store=store)
    # Outbox rows name the workspace; the installation is the organisation's.
    with pytest.raises(NotInstalled):
        workspaces.client("T5")
    remember_organisation(db.engine, "T5", "E2")
    remember_organisation(db.engine, "T5", "E2")  # idempotent
    assert workspaces.client("T5").token == "xoxb-org-wide"
    remember_organisation(db.engine, "T5", "E3")  # moved to another organisation
    with pytest.raises(NotInstalled):
        Workspaces(lambda token: WebClient(token=token), store=store).client("T5")
