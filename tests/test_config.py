"""Settings: every problem stops start-up with one line that names the variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import ConfigError, load_settings

GOOD = {"SLACK_BOT_TOKEN": "xoxb-1-2-abc", "SLACK_SIGNING_SECRET": "secret"}


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in [
        "SLACK_BOT_TOKEN",
        "SLACK_SIGNING_SECRET",
        "SLACK_APP_TOKEN",
        "SLACK_API_URL",
        "DATABASE_URL",
        "MENTOR_HR_ADMINS",
        "PORT",
        "MENTOR_DEFAULT_LANGUAGE",
        "MENTOR_SKILLS_FILE",
    ]:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


def set_env(monkeypatch: pytest.MonkeyPatch, **values: str) -> None:
    for key, value in values.items():
        monkeypatch.setenv(key, value)


def test_defaults_fill_everything_but_the_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    set_env(monkeypatch, **GOOD)
    s = load_settings()
    assert s.slack_api_url == "https://slack.com/api/"
    assert s.database_url.startswith("sqlite:///")
    assert (s.port, s.mentor_default_language, s.mentor_hr_admins, s.socket_mode) == (
        3000,
        "en",
        frozenset(),
        False,
    )


def test_a_missing_signing_secret_stops_start_up_naming_it(monkeypatch: pytest.MonkeyPatch) -> None:
    set_env(monkeypatch, SLACK_BOT_TOKEN="xoxb-1")
    with pytest.raises(ConfigError) as exc:
        load_settings()
    assert str(exc.value) == "Configuration error: SLACK_SIGNING_SECRET is not set."


@pytest.mark.parametrize(
    ("name", "value", "fragment"),
    [
        ("PORT", "abc", "PORT is invalid"),
        ("PORT", "70000", "PORT is invalid"),
        ("SLACK_BOT_TOKEN", "xoxp-user-token", "SLACK_BOT_TOKEN is invalid: must be a bot token"),
        ("SLACK_APP_TOKEN", "xoxb-wrong", "SLACK_APP_TOKEN is invalid"),
        ("SLACK_API_URL", "not a url", "SLACK_API_URL is invalid"),
        ("DATABASE_URL", "mysql://x/y", "DATABASE_URL is invalid"),
        (
            "MENTOR_HR_ADMINS",
            "U123ABC,alice",
            "MENTOR_HR_ADMINS is invalid: 'alice' is not a Slack user id",
        ),
        ("MENTOR_DEFAULT_LANGUAGE", "fr", "MENTOR_DEFAULT_LANGUAGE is invalid"),
        ("MENTOR_METRICS_TOKEN", "short", "MENTOR_METRICS_TOKEN is invalid"),
        # Empty means "not set" only for settings that may be absent, never for this one.
        ("DATABASE_URL", "", "DATABASE_URL is invalid"),
    ],
)
def test_a_malformed_setting_is_named_in_one_line(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, fragment: str
) -> None:
    set_env(monkeypatch, **{**GOOD, name: value})
    with pytest.raises(ConfigError) as exc:
        load_settings()
    assert fragment in str(exc.value)
    assert "\n" not in str(exc.value)


def test_the_metrics_token_loses_stray_whitespace(monkeypatch: pytest.MonkeyPatch) -> None:
    set_env(monkeypatch, **GOOD, MENTOR_METRICS_TOKEN="  scrape-token-0123456789 \n")
    token = load_settings().mentor_metrics_token
    assert token is not None and token.get_secret_value() == "scrape-token-0123456789"


def test_settings_are_read_from_a_dotenv_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / ".env").write_text(
        "SLACK_BOT_TOKEN=xoxb-from-file\nSLACK_SIGNING_SECRET=s\nMENTOR_HR_ADMINS=U111, W222\n"
        "SLACK_API_URL=http://127.0.0.1:9/api\nMENTOR_DEFAULT_LANGUAGE=de\nDATABASE_URL=postgres://u@h/db\n",
        encoding="utf-8",
    )
    s = load_settings()
    assert s.slack_bot_token.get_secret_value() == "xoxb-from-file"
    assert s.mentor_hr_admins == frozenset({"U111", "W222"})
    assert s.slack_api_url == "http://127.0.0.1:9/api/"
    assert s.mentor_default_language == "de"
    assert s.database_url == "postgresql+psycopg://u@h/db"


def test_an_app_token_switches_to_socket_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    set_env(monkeypatch, **GOOD, SLACK_APP_TOKEN="xapp-1-abc")
    assert load_settings().socket_mode


def test_secrets_never_show_in_the_settings_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    set_env(monkeypatch, **GOOD)
    assert "xoxb-1-2-abc" not in repr(load_settings())


def test_oauth_needs_its_three_settings_a_valid_key_and_http_mode(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from cryptography.fernet import Fernet

    for name in ("SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET", "MENTOR_TOKEN_KEY"):
        monkeypatch.delenv(name, raising=False)
    set_env(monkeypatch, SLACK_SIGNING_SECRET="secret", SLACK_CLIENT_ID="123.456")
    with pytest.raises(ConfigError, match="OAuth needs SLACK_CLIENT_SECRET and MENTOR_TOKEN_KEY"):
        load_settings()
    set_env(monkeypatch, SLACK_CLIENT_SECRET="s", MENTOR_TOKEN_KEY="not-a-key")
    with pytest.raises(ConfigError, match="MENTOR_TOKEN_KEY is invalid: must be Fernet keys"):
        load_settings()
    keys = [Fernet.generate_key().decode() for _ in range(2)]
    set_env(monkeypatch, MENTOR_TOKEN_KEY=",".join(keys))
    settings = load_settings()
    assert settings.oauth and settings.slack_bot_token is None
    assert [k.get_secret_value() for k in settings.mentor_token_key] == keys
    set_env(monkeypatch, SLACK_APP_TOKEN="xapp-1-A-1-x")
    with pytest.raises(ConfigError, match="needs HTTP mode: unset SLACK_APP_TOKEN"):
        load_settings()
