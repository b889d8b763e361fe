"""`mentor-bot` as an operator runs it: real processes, real gunicorn, real HTTP."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.sandbox import FakeSlack, SlackSim, SlackUser
from bot.services.catalog import load_catalog
from bot.store import migrate
from bot.store.db import Database, make_engine
from tests.conftest import BOT_TOKEN, SIGNING_SECRET, record_stand_in
from tests.helpers import answer_to, text_of


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


@dataclass
class Served:
    """A `mentor-bot serve` process, the stand-in it talks to, and a Slack client side."""

    base: str
    fake: FakeSlack
    proc: subprocess.Popen[str]
    sim: SlackSim


def _wait_healthy(base: str, proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=1) as resp:
                if resp.status == 200:
                    return
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            out = proc.stdout.read() if proc.stdout and proc.poll() is not None else ""
            pytest.fail(f"serve did not become healthy:\n{out}")
        time.sleep(0.1)


@contextmanager
def serving(transport: str, env: dict[str, str], tmp_path: Path) -> Iterator[Served]:
    """Run `mentor-bot serve` over HTTP or Socket Mode until the block ends."""
    fake = FakeSlack(team_id="T0001", bot_token=BOT_TOKEN).start()
    fake.add_user(SlackUser(id="UANNA", name="anna", locale="de-DE", tz="Europe/Berlin"))
    port = free_port()
    env = {
        **{k: v for k, v in env.items() if "proxy" not in k.lower()},
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": fake.api_url,
        "WEB_CONCURRENCY": "2",
        # No load balancer to drain: stop at once (tests/test_deployment.py covers draining).
        "MENTOR_DRAIN_SECONDS": "0",
    }
    if transport == "socket":
        env["SLACK_APP_TOKEN"] = fake.app_token
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
    _wait_healthy(base, proc)
    if transport == "socket":
        sim = SlackSim(fake, transport="socket")
    else:
        sim = SlackSim(fake, app_url=f"{base}/slack/events", signing_secret=SIGNING_SECRET)
    try:
        yield Served(base, fake, proc, sim)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=30)
        fake.stop()
    record_stand_in(fake)
    fake.assert_no_violations()


@pytest.fixture(params=["http", "socket"])
def served(request: pytest.FixtureRequest, env: dict[str, str], tmp_path: Path) -> Iterator[Served]:
    with serving(request.param, env, tmp_path) as running:
        yield running


def test_serve_answers_slack_and_stops_cleanly_on_sigterm(served: Served) -> None:
    # Several requests, so that both gunicorn workers take part; each is answered, in the
    # ack itself or through its response_url.
    sent = [served.sim.slash("UANNA", "help") for _ in range(4)]
    assert [r.status for r in sent] == [200] * 4
    replies = [answer_to(served.fake, r) for r in sent]
    assert all("mitmachen oder dein Profil bearbeiten" in text_of(r) for r in replies)
    # Counted and timed in /metrics, over HTTP (both workers) and over Socket Mode alike.
    with urllib.request.urlopen(f"{served.base}/metrics", timeout=5) as resp:
        text = resp.read().decode()
    assert 'mentor_requests_total{kind="slash_command",status="200"} 4.0' in text
    assert 'mentor_ack_seconds_count{kind="slash_command"} 4.0' in text
    served.proc.send_signal(signal.SIGTERM)
    assert served.proc.wait(timeout=30) == 0


def test_http_mode_refuses_unsigned_requests(env: dict[str, str], tmp_path: Path) -> None:
    with serving("http", env, tmp_path) as served:
        body = b"text=help"
        forged = served.sim.send_raw(body, {"Content-Type": "application/x-www-form-urlencoded"})
        assert forged.status == 401
        assert served.proc.poll() is None


def _health(base: str) -> int:
    try:
        with urllib.request.urlopen(f"{base}/healthz", timeout=1) as resp:
            return int(resp.status)
    except urllib.error.HTTPError as err:
        return err.code


def test_socket_mode_serves_no_slack_over_http_and_reports_a_lost_socket(
    env: dict[str, str], tmp_path: Path
) -> None:
    with serving("socket", env, tmp_path) as served:
        assert served.fake.calls_to("apps.connections.open")
        req = urllib.request.Request(f"{served.base}/slack/events", data=b"x", method="POST")
        with pytest.raises(urllib.error.HTTPError) as exc:
            urllib.request.urlopen(req, timeout=5)
        assert exc.value.code == 404
        # Slack goes away: the connection drops, and the probe says so.
        served.fake.stop()
        deadline = time.monotonic() + 10
        while _health(served.base) == 200 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _health(served.base) == 503


def _enrol_pool(url: str) -> None:
    """Two mentors and three mentees, written the way the join modal would."""
    from bot.services import enrollment
    from bot.store.models import Cadence, Role, TimeWindow

    known = {s.key for s in load_catalog().skills}
    db = Database(url)
    people = [
        ("UCLIMENTOR1", Role.MENTOR, {"social_media": 5}, {}, "IT"),
        ("UCLIMENTOR2", Role.MENTOR, {"spreadsheets": 4}, {}, "IT"),
        ("UCLIMENTEE1", Role.MENTEE, {}, {"social_media": 1}, "Sales"),
        ("UCLIMENTEE2", Role.MENTEE, {}, {"spreadsheets": 2}, "Legal"),
        ("UCLIMENTEE3", Role.MENTEE, {}, {"prompting": 1}, "Legal"),
    ]
    with db.sessions.begin() as s:
        for user, role, offered, wanted, dept in people:
            form = enrollment.ProfileForm(
                role=role,
                offered=offered,
                wanted=wanted,
                department=dept,
                languages=("en",),
                cadence=Cadence.BIWEEKLY,
                weekday=None,
                time_window=TimeWindow.ANY,
                about="",
                consent=True,
            )
            enrollment.save_profile(
                form,
                known_skills=known,
                session=s,
                team_id="T0001",
                user_id=user,
                timezone="Europe/Berlin",
                locale="en",
            )
    db.dispose()


def _rows(url: str, table: str) -> int:
    from sqlalchemy import text

    db = Database(url)
    with db.engine.connect() as conn:
        n = int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar() or 0)
    db.dispose()
    return n


def test_match_dry_run_prints_the_figures_and_writes_nothing(
    env: dict[str, str], tmp_path: Path, db: Database
) -> None:
    assert run_cli("migrate", env=env, cwd=tmp_path).returncode == 0
    _enrol_pool(env["DATABASE_URL"])
    out = run_cli("match", "--dry-run", env=env, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "team T0001: 2 mentors, 3 mentees, 2 pairs" in out.stdout
    assert "nothing_offered 1" in out.stdout
    assert _rows(env["DATABASE_URL"], "match_round") == 0
    assert _rows(env["DATABASE_URL"], "pair") == 0


def test_match_creates_pairs_and_introduces_them(
    env: dict[str, str], tmp_path: Path, db: Database
) -> None:
    fake = FakeSlack(team_id="T0001", bot_token=BOT_TOKEN).start()
    try:
        for user in ("UCLIMENTOR1", "UCLIMENTOR2", "UCLIMENTEE1", "UCLIMENTEE2", "UCLIMENTEE3"):
            fake.add_user(SlackUser(id=user, name=user.lower()))
        assert run_cli("migrate", env=env, cwd=tmp_path).returncode == 0
        _enrol_pool(env["DATABASE_URL"])
        env = {
            **env,
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": "s",
            "SLACK_API_URL": fake.api_url,
        }
        out = run_cli("match", env=env, cwd=tmp_path)
        assert out.returncode == 0, out.stderr
        assert "2 pairs created and introduced, 1 people told" in out.stdout
        assert len(fake.calls_to("conversations.open")) == 2
        told = [c for c in fake.calls_to("chat.postMessage") if c.args["channel"] == "UCLIMENTEE3"]
        assert "No mentor offers what you want to learn yet." in text_of(told[0].args)
        assert _rows(env["DATABASE_URL"], "pair") == 2
    finally:
        fake.stop()
    record_stand_in(fake)
    fake.assert_no_violations()


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def test_metrics_survive_a_gunicorn_worker_restart(env: dict[str, str], tmp_path: Path) -> None:
    """A worker that exits unwinds through `serve`: it must not take the shared metrics
    directory with it (the master and the other workers still write there)."""
    with serving("http", env, tmp_path) as served:
        deadline = time.monotonic() + 20
        # Healthy once one worker answers; the second may still be starting.
        while len(_children(served.proc.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        workers = _children(served.proc.pid)
        assert len(workers) == 2, workers
        os.kill(workers[0], signal.SIGTERM)  # gunicorn starts a new one
        while set(_children(served.proc.pid)) & {workers[0]} and time.monotonic() < deadline:
            time.sleep(0.1)
        while len(_children(served.proc.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        for _ in range(4):
            assert served.sim.slash("UANNA", "help").status == 200
        with urllib.request.urlopen(f"{served.base}/metrics", timeout=5) as resp:
            assert resp.status == 200
            assert "mentor_requests_total" in resp.read().decode()
