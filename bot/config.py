"""Typed settings from the environment and an optional `.env` file."""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

SUPPORTED_LANGUAGES = ("en", "de")
_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")


class ConfigError(Exception):
    """A setting is missing or malformed; the message names the variable."""


class DatabaseSettings(BaseSettings):
    """What `mentor-bot migrate` needs (database and skill catalog), without Slack secrets."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        case_sensitive=False,
    )

    database_url: str = "sqlite:///mentor-bot.sqlite3"
    # Extra skills merged into the shipped catalog (TOML, same format as bot/data/skills.toml).
    mentor_skills_file: Path | None = None
    # Matching rules (see bot/services/matching.py).
    mentor_different_departments: bool = True
    mentor_min_overlap_hours: float = Field(default=2.0, ge=0, le=8)

    @model_validator(mode="before")
    @classmethod
    def _empty_optional_means_unset(cls, data: Any) -> Any:
        """docker-compose.yml hands every optional variable on as `${VAR:-}`: one that .env
        leaves out arrives empty, and means "not set" for a setting that may be absent. An
        empty required or defaulted setting (DATABASE_URL, say) is still an error."""
        if not isinstance(data, dict):
            return data
        fields = cls.model_fields
        return {
            key: value
            for key, value in data.items()
            if not (
                value == ""
                and key.lower() in fields
                and not fields[key.lower()].is_required()
                and fields[key.lower()].default is None
            )
        }

    @field_validator("database_url")
    @classmethod
    def _database_url_shape(cls, value: str) -> str:
        if value.startswith(("postgres://", "postgresql://")):
            # Use psycopg 3 whatever spelling the operator gave.
            value = re.sub(r"^postgres(ql)?://", "postgresql+psycopg://", value)
        if not value.startswith(("sqlite://", "postgresql+psycopg://")):
            raise ValueError("must be a sqlite:/// or postgresql:// URL")
        return value


class Settings(DatabaseSettings):
    """Everything the bot reads from its environment."""

    # One workspace: its bot token. Several (OAuth): SLACK_CLIENT_ID and SLACK_CLIENT_SECRET
    # instead, and MENTOR_TOKEN_KEY to encrypt the tokens each installation gives us.
    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr = Field(min_length=1)
    slack_client_id: str | None = Field(default=None, pattern=r"^\d+\.\d+$")
    slack_client_secret: SecretStr | None = None
    # Fernet keys, comma-separated: the first encrypts, all decrypt (for key rotation).
    mentor_token_key: Annotated[tuple[SecretStr, ...], NoDecode] = ()
    slack_app_token: SecretStr | None = None
    slack_api_url: str = "https://slack.com/api/"
    mentor_hr_admins: Annotated[frozenset[str], NoDecode] = frozenset()
    port: int = Field(default=3000, ge=1, le=65535)
    mentor_default_language: Literal["en", "de"] = "en"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # "json": one JSON object per line (for log shippers); "text": human-readable lines.
    mentor_log_format: Literal["text", "json"] = "text"
    web_concurrency: int = Field(default=2, ge=1, le=64)
    # With it, /metrics answers only requests that carry `Authorization: Bearer <token>`
    # (Prometheus: `authorization: {credentials: …}`); without it, /metrics is open.
    mentor_metrics_token: SecretStr | None = Field(default=None, min_length=16)
    # On SIGTERM a web replica answers /readyz with 503 but keeps serving this long, so the
    # load balancer stops sending before the socket closes; then it stops gracefully.
    mentor_drain_seconds: float = Field(default=5.0, ge=0, le=60)
    # How long a users.info answer (locale, timezone) is reused; the method is Tier 4.
    mentor_user_cache_seconds: int = Field(default=600, ge=0)
    # Jour-fixe nudges: by default on the morning of the jour fixe at this local time; with a
    # lead in hours, that long before it instead. Always inside the send window, never on
    # a weekend.
    mentor_nudge_time: dt.time = dt.time(9, 0)
    mentor_nudge_lead_hours: float | None = Field(default=None, gt=0, le=72)
    # Local hours in which the bot may DM anyone at all ("08:00-19:00"): quiet hours outside.
    mentor_send_window: Annotated[tuple[dt.time, dt.time], NoDecode] = (
        dt.time(8, 0),
        dt.time(19, 0),
    )
    # "Did you meet?" goes out this long after the planned time if nobody answered.
    mentor_checkin_after_hours: float = Field(default=2.0, ge=0.5, le=48)
    # At most this many unsolicited bot DMs per person in any 7 days.
    mentor_weekly_dm_budget: int = Field(default=3, ge=1, le=50)
    # Pacing of chat.postMessage for the whole workspace (Slack allows about 1/s, with bursts).
    mentor_send_rate: float = Field(default=1.0, gt=0, le=1000)
    mentor_send_burst: int = Field(default=3, ge=1, le=1000)
    # A message that still fails after this many attempts (5xx, timeouts) is marked failed.
    mentor_send_max_attempts: int = Field(default=5, ge=1, le=20)
    # How long a claimed outbox row stays with its dispatcher before another may take it.
    mentor_dispatch_lease_seconds: int = Field(default=60, ge=1, le=3600)
    # How often the scheduler plans and dispatches.
    mentor_tick_seconds: int = Field(default=30, ge=1, le=3600)
    # Members of this Slack user group (S…) are HR admins too, besides MENTOR_HR_ADMINS.
    mentor_hr_usergroup: str | None = Field(default=None, pattern=r"^S[A-Z0-9]{2,}$")
    # Reports hide every group of fewer than k people; never below 3.
    mentor_report_k: int = Field(default=5, ge=3, le=100)
    # Free-text feedback is deleted this many days after the end of its month.
    mentor_feedback_retention_days: int = Field(default=180, ge=1, le=3650)

    @field_validator("mentor_send_window", mode="before")
    @classmethod
    def _parse_window(cls, value: object) -> tuple[dt.time, dt.time]:
        if isinstance(value, str):
            match = re.fullmatch(r"\s*(\d{1,2}:\d{2})\s*-\s*(\d{1,2}:\d{2})\s*", value)
            if not match:
                raise ValueError("must look like 08:00-19:00")
            try:
                start, end = (dt.time.fromisoformat(m.zfill(5)) for m in match.groups())
            except ValueError:
                raise ValueError("must look like 08:00-19:00") from None
        elif isinstance(value, tuple | list) and len(value) == 2:
            start, end = value
        else:
            raise ValueError("must look like 08:00-19:00")
        if not start < end:
            raise ValueError("the window must start before it ends, within one day")
        return start, end

    @field_validator("mentor_metrics_token", mode="before")
    @classmethod
    def _strip_token(cls, value: object) -> object:
        # A stray space or newline from .env would make every scrape fail.
        return value.strip() if isinstance(value, str) else value

    @field_validator("slack_bot_token")
    @classmethod
    def _bot_token_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith("xoxb-"):
            raise ValueError("must be a bot token starting with xoxb-")
        return value

    @field_validator("mentor_token_key", mode="before")
    @classmethod
    def _split_keys(cls, value: object) -> tuple[SecretStr, ...]:
        from cryptography.fernet import Fernet

        if isinstance(value, str):
            raw = value.split(",")
        elif isinstance(value, list | tuple):
            raw = [v.get_secret_value() if isinstance(v, SecretStr) else str(v) for v in value]
        else:
            raise ValueError("must be comma-separated Fernet keys")
        keys = [k.strip() for k in raw if k.strip()]
        for key in keys:
            try:
                Fernet(key.encode())
            except ValueError:
                raise ValueError(
                    "must be Fernet keys (make one with: python -c 'from cryptography.fernet"
                    " import Fernet; print(Fernet.generate_key().decode())')"
                ) from None
        return tuple(SecretStr(k) for k in keys)

    @model_validator(mode="after")
    def _one_workspace_or_oauth(self) -> Settings:
        if self.slack_client_id or self.slack_client_secret:
            missing = [
                name
                for name, value in (
                    ("SLACK_CLIENT_ID", self.slack_client_id),
                    ("SLACK_CLIENT_SECRET", self.slack_client_secret),
                    ("MENTOR_TOKEN_KEY", self.mentor_token_key),
                )
                if not value
            ]
            if missing:
                raise ValueError(f"OAuth needs {' and '.join(missing)} as well")
            if self.slack_app_token is not None:
                # Installing needs /slack/install and /slack/oauth_redirect over HTTPS.
                raise ValueError("OAuth (SLACK_CLIENT_ID) needs HTTP mode: unset SLACK_APP_TOKEN")
        elif self.slack_bot_token is None:
            raise ValueError("SLACK_BOT_TOKEN is not set")
        return self

    @property
    def oauth(self) -> bool:
        """Whether the app is distributed to several workspaces through Slack's OAuth flow."""
        return bool(self.slack_client_id)

    @field_validator("slack_app_token")
    @classmethod
    def _app_token_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value():
            return None
        if value is not None and not value.get_secret_value().startswith("xapp-"):
            raise ValueError("must be an app-level token starting with xapp-")
        return value

    @field_validator("slack_api_url")
    @classmethod
    def _api_url_shape(cls, value: str) -> str:
        if not re.match(r"^https?://[^\s/]+", value):
            raise ValueError("must be an http(s) URL such as https://slack.com/api/")
        # WebClient joins method names onto base_url, so it needs the trailing slash.
        return value if value.endswith("/") else value + "/"

    @field_validator("mentor_hr_admins", mode="before")
    @classmethod
    def _split_admins(cls, value: object) -> frozenset[str]:
        if isinstance(value, str):
            ids = [part.strip() for part in value.split(",") if part.strip()]
        elif isinstance(value, list | tuple | set | frozenset):
            ids = [str(part).strip() for part in value]
        else:
            raise ValueError("must be comma-separated Slack user ids")
        bad = [i for i in ids if not _USER_ID.match(i)]
        if bad:
            raise ValueError(f"{bad[0]!r} is not a Slack user id (like U012AB3CD)")
        return frozenset(ids)

    @property
    def socket_mode(self) -> bool:
        """Whether to connect over Socket Mode instead of serving HTTP."""
        return self.slack_app_token is not None


def load_settings(**overrides: object) -> Settings:
    """Build Settings, turning validation errors into one line that names the variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise ConfigError(describe_validation_error(exc)) from None


def load_database_settings() -> DatabaseSettings:
    """Build DatabaseSettings, with the same one-line errors as load_settings."""
    try:
        return DatabaseSettings()
    except ValidationError as exc:
        raise ConfigError(describe_validation_error(exc)) from None


def describe_validation_error(exc: ValidationError) -> str:
    """One line per bad variable, naming it the way the operator spells it."""
    lines = []
    for err in exc.errors():
        given = err.get("input")
        if err["type"] == "missing" and isinstance(given, dict):
            # The rule "a bot token, or OAuth" only runs once every field is valid: say now
            # that neither is there, with the other missing settings.
            if not {"slack_bot_token", "slack_client_id"} & {k.lower() for k in given}:
                lines.append("SLACK_BOT_TOKEN is not set")
            break
    for err in exc.errors():
        name = str(err["loc"][0]).upper() if err["loc"] else "?"
        if not err["loc"]:  # a rule across variables; its message names them
            lines.append(err["msg"].removeprefix("Value error, "))
        elif err["type"] == "missing":
            lines.append(f"{name} is not set")
        else:
            reason = err["msg"].removeprefix("Value error, ")
            lines.append(f"{name} is invalid: {reason[0].lower()}{reason[1:]}")
    return "Configuration error: " + "; ".join(lines) + "."


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (cached)."""
    return load_settings()
