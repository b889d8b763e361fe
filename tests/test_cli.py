"""`mentor-bot` as an operator runs it: real processes, real gunicorn, real HTTP."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.sandbox import FakeSlack, SlackSim
from bot.store import migrate
from bot.store.db import make_engine
from tests.conftest import BOT_TOKEN, SIGNING_SECRET
from tests.helpers import text_of


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run_cli(
    *args: str, env: dict[str, str], cwd: Path | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.fixture
def env(tmp_path: Path, database_url: str) -> dict[str, str]:
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "MENTOR_", "DATABASE_URL", "PORT"))
    }
    # A scratch database of the backend under test, so the subprocess never sees the shared one.
    url = (
        database_url
        if database_url.startswith("postgres")
        else f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    )
    return {**base, "DATABASE_URL": url, "PYTHONUNBUFFERED": "1"}


def test_python_dash_m_bot_lists_the_sub_commands(env: dict[str, str], tmp_path: Path) -> None:
    out = run_cli("--help", env=env, cwd=tmp_path)
    assert out.returncode == 0 and "serve" in out.stdout and "migrate" in out.stdout


def test_a_missing_signing_secret_fails_at_start_up_in_one_line(
    env: dict[str, str], tmp_path: Path
) -> None:
    (tmp_path / ".env").write_text("LOG_LEVEL=INFO\n", encoding="utf-8")
    out = run_cli("serve", env={**env, "SLACK_BOT_TOKEN": BOT_TOKEN}, cwd=tmp_path)
    assert out.returncode == 2
    assert out.stderr.strip().splitlines() == [
        "mentor-bot: Configuration error: SLACK_SIGNING_SECRET is not set."
    ]


def test_without_any_configuration_start_up_says_where_to_begin(
    env: dict[str, str], tmp_path: Path
) -> None:
    out = run_cli("serve", env=env, cwd=tmp_path)
    assert out.returncode == 2
    (line,) = out.stderr.strip().splitlines()
    assert "SLACK_BOT_TOKEN is not set; SLACK_SIGNING_SECRET is not set." in line
    assert "copy .env.example to .env" in line


def test_serve_refuses_an_outdated_schema_with_a_clear_message(
    env: dict[str, str], empty_database_url: str, tmp_path: Path
) -> None:
    env = {
        **env,
        "DATABASE_URL": empty_database_url,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": "s",
    }
    out = run_cli("serve", env=env, cwd=tmp_path)
    assert out.returncode == 3
    assert "Run `mentor-bot migrate` first." in out.stderr
    assert run_cli("migrate", env=env, cwd=tmp_path).returncode == 0
    engine = make_engine(empty_database_url)
    try:
        assert migrate.current_revision(engine) == migrate.head_revision()
    finally:
        engine.dispose()


def one_line(out: subprocess.CompletedProcess[str]) -> str:
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    return lines[0]


def test_migrate_also_syncs_the_skill_catalog_and_serve_refuses_a_changed_one(
    env: dict[str, str], empty_database_url: str, tmp_path: Path
) -> None:
    env = {
        **env,
        "DATABASE_URL": empty_database_url,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": "s",
    }
    out = run_cli("migrate", env=env, cwd=tmp_path)
    assert out.returncode == 0 and "skill catalog has 16 skills" in out.stdout
    extra = tmp_path / "skills.toml"
    extra.write_text(
        '[[skill]]\nkey = "sap_fiori"\ncategory = "ai"\nen = "SAP Fiori"\n', encoding="utf-8"
    )
    env["MENTOR_SKILLS_FILE"] = str(extra)
    out = run_cli("serve", env=env, cwd=tmp_path)
    assert out.returncode == 3
    assert "skill catalog in the database differs" in one_line(out)
    out = run_cli("migrate", env=env, cwd=tmp_path)
    assert out.returncode == 0 and "17 skills" in out.stdout


def test_a_token_slack_refuses_stops_start_up_in_one_line(
    env: dict[str, str], tmp_path: Path
) -> None:
    fake = FakeSlack(team_id="T0001", bot_token=BOT_TOKEN).start()
    try:
        assert run_cli("migrate", env=env, cwd=tmp_path).returncode == 0
        env = {
            **env,
            "SLACK_BOT_TOKEN": "xoxb-revoked",
            "SLACK_SIGNING_SECRET": "s",
            "SLACK_API_URL": fake.api_url,
        }
        out = run_cli("serve", "--port", str(free_port()), env=env, cwd=tmp_path)
    finally:
        fake.stop()
    assert out.returncode == 4
    assert one_line(out).startswith("mentor-bot: Slack refused SLACK_BOT_TOKEN:")


def test_an_unreachable_slack_stops_start_up_in_one_line(
    env: dict[str, str], tmp_path: Path
) -> None:
    assert run_cli("migrate", env=env, cwd=tmp_path).returncode == 0
    env = {
        **env,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": "s",
        "SLACK_API_URL": f"http://127.0.0.1:{free_port()}/api/",
    }
    out = run_cli("serve", env=env, cwd=tmp_path)
    assert out.returncode == 4
    assert one_line(out).startswith("mentor-bot: Cannot reach Slack at SLACK_API_URL:")


def test_an_unreachable_database_stops_migrate_in_one_line(
    env: dict[str, str], tmp_path: Path
) -> None:
    env = {**env, "DATABASE_URL": f"postgresql://nobody@127.0.0.1:{free_port()}/none"}
    out = run_cli("migrate", env=env, cwd=tmp_path)
    assert out.returncode == 4
    assert one_line(out).startswith("mentor-bot: Cannot reach the database at DATABASE_URL:")


@pytest.fixture
def served(
    env: dict[str, str], tmp_path: Path
) -> Iterator[tuple[str, FakeSlack, subprocess.Popen[str]]]:
    from bot.sandbox import SlackUser

    fake = FakeSlack(team_id="T0001", bot_token=BOT_TOKEN).start()
    fake.add_user(SlackUser(id="UANNA", name="anna", locale="de-DE", tz="Europe/Berlin"))
    port = free_port()
    env = {
        **env,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": fake.api_url,
        "WEB_CONCURRENCY": "2",
    }
    if not env["DATABASE_URL"].startswith("postgres"):
        assert run_cli("migrate", env=env, cwd=tmp_path).returncode == 0
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "serve", "--port", str(port), "--no-scheduler"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=1) as resp:
                if resp.status == 200:
                    break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                out = proc.stdout.read() if proc.stdout else ""
                pytest.fail(f"serve did not come up:\n{out}")
            time.sleep(0.1)
    yield base, fake, proc
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    fake.stop()
    fake.assert_no_violations()


def test_serve_answers_slack_over_gunicorn_and_stops_cleanly_on_sigterm(
    served: tuple[str, FakeSlack, subprocess.Popen[str]],
) -> None:
    base, fake, proc = served
    sim = SlackSim(fake, app_url=f"{base}/slack/events", signing_secret=SIGNING_SECRET)
    for _ in range(4):  # several requests, so that both workers take part
        assert sim.slash("UANNA", "help").status == 200
    replies = fake.wait_for("response_url", count=4)
    assert all("mitmachen oder dein Profil bearbeiten" in text_of(r.args) for r in replies)
    forged = sim.send_raw(b"text=help", {"Content-Type": "application/x-www-form-urlencoded"})
    assert forged.status == 401
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 0
    output = proc.stdout.read() if proc.stdout else ""
    assert "gunicorn" in output.lower() or "Booting worker" in output
