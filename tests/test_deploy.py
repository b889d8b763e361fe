"""docker-compose.yml and the Dockerfile, checked without a Docker engine."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from bot.cli import build_parser
from bot.config import load_database_settings, load_settings

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = json.loads((ROOT / "tests/data/compose-spec/compose-spec.json").read_text())
COMPOSE_FILES = ["docker-compose.yml", "docker-compose.socket-mode.yml"]


def compose(name: str = "docker-compose.yml") -> dict[str, Any]:
    loaded = yaml.safe_load((ROOT / name).read_text())
    assert isinstance(loaded, dict)
    return loaded


@pytest.mark.parametrize("name", COMPOSE_FILES)
def test_the_compose_files_follow_the_compose_specification(name: str) -> None:
    validator = jsonschema.Draft7Validator(SCHEMA)
    errors = sorted(validator.iter_errors(compose(name)), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors)


def test_the_schema_check_would_catch_a_broken_file() -> None:
    broken = compose()
    broken["services"]["web"]["deploy"]["replicas"] = {"two": 2}
    broken["services"]["postgres"]["healthcheck"]["interval"] = ["5s"]
    assert len(list(jsonschema.Draft7Validator(SCHEMA).iter_errors(broken))) >= 2


def test_the_services_are_a_production_set_up() -> None:
    services = compose()["services"]
    assert set(services) == {"postgres", "migrate", "web", "scheduler"}
    pg = services["postgres"]
    assert pg["healthcheck"]["test"]
    assert any(v.startswith("pgdata:") for v in pg["volumes"])
    assert "pgdata" in compose()["volumes"]
    assert services["migrate"]["command"] == ["migrate"]
    assert services["migrate"]["restart"] == "no"
    assert services["web"]["command"] == ["serve", "--no-scheduler"]
    assert services["scheduler"]["command"] == ["scheduler"]
    assert services["scheduler"]["deploy"]["replicas"] == 1
    for name in ("web", "scheduler"):
        needs = services[name]["depends_on"]
        assert needs["migrate"]["condition"] == "service_completed_successfully"
        assert needs["postgres"]["condition"] == "service_healthy"
        assert "/readyz" in " ".join(services[name]["healthcheck"]["test"])
    # Every command is one the CLI knows.
    parser = build_parser()
    for name in ("migrate", "web", "scheduler"):
        parser.parse_args(services[name]["command"])


def test_the_required_secrets_must_be_set() -> None:
    text = (ROOT / "docker-compose.yml").read_text()
    for secret in ("SLACK_SIGNING_SECRET", "POSTGRES_PASSWORD"):
        assert re.search(r"\$\{" + secret + r":\?[^}]+\}", text), secret
    # A bot token (one workspace) or the OAuth trio (several): the bot checks which at start.
    env = compose()["services"]["web"]["environment"]
    for either in ("SLACK_BOT_TOKEN", "SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET", "MENTOR_TOKEN_KEY"):
        assert env[either] == "${" + either + ":-}", either
    socket_mode = (ROOT / "docker-compose.socket-mode.yml").read_text()
    assert re.search(r"\$\{SLACK_APP_TOKEN:\?[^}]+\}", socket_mode)
    # No secret is written into the files themselves.
    assert not re.search(r"xox[bp]-|xapp-\d", text + socket_mode)


_VARIABLE = re.compile(r"\$\$|\$\{(\w+)(?:(:?)([-?])([^}]*))?\}")


def interpolate(value: str, dotenv: dict[str, str]) -> str:
    """What Compose makes of a value: ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?error}."""

    def one(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name, colon, kind, rest = match.groups()
        given = dotenv.get(name)
        unset = given is None or (colon == ":" and given == "")
        if kind == "?" and unset:
            raise ValueError(f"compose refuses to start: {rest}")
        if kind == "-" and unset:
            return rest
        return given or ""

    return _VARIABLE.sub(one, value)


ONE_WORKSPACE = {
    "SLACK_BOT_TOKEN": "xoxb-1-2-abc",
    "SLACK_SIGNING_SECRET": "signing",
    "POSTGRES_PASSWORD": "pw",
}
SEVERAL_WORKSPACES = {
    "SLACK_CLIENT_ID": "123.456",
    "SLACK_CLIENT_SECRET": "secret",
    "MENTOR_TOKEN_KEY": "MTIzNDU2Nzg5MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTI=",
    "SLACK_SIGNING_SECRET": "signing",
    "POSTGRES_PASSWORD": "pw",
}


@pytest.mark.parametrize("dotenv", [ONE_WORKSPACE, SEVERAL_WORKSPACES], ids=["token", "oauth"])
def test_each_service_starts_from_the_environment_compose_gives_it(
    dotenv: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A .env with only what the README asks for: every variable it leaves out still reaches
    the container, as an empty string, and must count as not set."""
    services = compose()["services"]
    for name in ("migrate", "web", "scheduler"):
        env = {k: interpolate(str(v), dotenv) for k, v in services[name]["environment"].items()}
        for key in list(os.environ):
            if key.startswith(("SLACK_", "MENTOR_", "DATABASE_", "PORT", "WEB_", "LOG_")):
                monkeypatch.delenv(key)
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        if name == "migrate":
            assert load_database_settings().database_url.startswith("postgresql+psycopg://")
            continue
        settings = load_settings(_env_file=None)
        assert settings.oauth is ("SLACK_CLIENT_ID" in dotenv), name
        assert settings.mentor_hr_usergroup is None and settings.mentor_hr_admins == frozenset()


def test_compose_interpolation_as_the_test_above_reads_it() -> None:
    env = {"SET": "x", "EMPTY": ""}
    given = "${SET:-d}|${EMPTY:-d}|${EMPTY-d}|${UNSET-d}|$${SET}"
    assert interpolate(given, env) == "x|d||d|${SET}"
    with pytest.raises(ValueError, match="needed"):
        interpolate("${EMPTY:?needed}", env)
    assert interpolate("${EMPTY?needed}", env) == ""


def test_the_dockerfile_is_multi_stage_pinned_and_not_root() -> None:
    text = (ROOT / "Dockerfile").read_text()
    base = re.search(r"^ARG PYTHON_IMAGE=(\S+)$", text, re.M)
    assert base is not None
    # A patch release, not a moving tag such as python:3 or python:latest.
    assert re.fullmatch(r"python:3\.\d+\.\d+-slim-\w+(@sha256:[0-9a-f]{64})?", base.group(1))
    stages = re.findall(r"^FROM (\S+) AS (\w+)$", text, re.M)
    assert [s for _, s in stages] == ["build", "runtime"]
    runtime = text.split("AS runtime", 1)[1]
    assert "COPY --from=build /opt/venv /opt/venv" in runtime
    user = re.findall(r"^USER (\S+)$", runtime, re.M)
    assert user and user[-1].split(":")[0] not in {"0", "root"}
    assert re.search(r'^ENTRYPOINT \["mentor-bot"\]$', runtime, re.M)
    # Only what the image needs goes into the build context.
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert ignored[ignored.index("*") :][:5] == [
        "*",
        "!pyproject.toml",
        "!README.md",
        "!bot/",
        "!migrations/",
    ]
