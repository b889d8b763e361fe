"""The `mentor-bot` command: wiring only."""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import logging
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.error import URLError
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from slack_bolt.error import BoltError
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.exc import DBAPIError

from bot import __version__
from bot.config import ConfigError, Settings, load_database_settings, load_settings
from bot.services.catalog import (
    CatalogDef,
    CatalogError,
    catalog_in_sync,
    load_catalog,
    migrate_and_sync,
)
from bot.store import migrate as migrations
from bot.store.db import Database

if TYPE_CHECKING:
    from bot.web import WebApp

EXIT_CONFIG = 2
EXIT_SCHEMA = 3
EXIT_UNAVAILABLE = 4

log = logging.getLogger("bot")


def _configure_logging(settings: Settings) -> None:
    from bot.observability import configure_logging

    configure_logging(settings.log_level, settings.mentor_log_format)


def _preflight(settings: Settings) -> None:
    """Ask Slack who we are, once, quietly: a bad token or URL becomes one clear line."""
    if settings.slack_bot_token is None:
        return  # OAuth: each workspace's token is checked when it is used
    quiet = logging.getLogger("bot.preflight")
    quiet.disabled = True
    WebClient(
        token=settings.slack_bot_token.get_secret_value(),
        base_url=settings.slack_api_url,
        timeout=10,
        logger=quiet,
        retry_handlers=[],
    ).auth_test()


def freeze_startup_heap(*, before_fork: bool = False) -> None:
    """Keep the garbage collector from rescanning what start-up built, for the process's life.

    Modules, classes, the Bolt app, the skill catalog: objects that live as long as the
    process. Every full collection walked all of them again; frozen, they are left out
    (Python's `gc.freeze`). Measured in bench/dispatch: 0.07 ms less CPU per message in the
    dispatcher's preparing thread. Before a fork (gunicorn's workers) nothing is collected
    first, as Python's documentation advises: freed slots in pages the workers share with
    the master would be filled by each worker, copying those pages.
    """
    if not before_fork:
        gc.collect()
    gc.freeze()
    log.info("Start-up heap frozen: the collector skips its %d objects", gc.get_freeze_count())


def _metrics_token(settings: Settings) -> str | None:
    token = settings.mentor_metrics_token
    return token.get_secret_value() if token is not None else None


def _fail(message: str, code: int) -> int:
    print(f"mentor-bot: {message}", file=sys.stderr)
    return code


def cmd_migrate(args: argparse.Namespace) -> int:
    """Bring the schema to the newest revision and the skill catalog to the configured one."""
    settings = load_database_settings()
    catalog = load_catalog(settings.mentor_skills_file)
    migrate_and_sync(settings.database_url, catalog)
    print(
        f"mentor-bot: database is at revision {migrations.head_revision()}, "
        f"skill catalog has {len(catalog.skills)} skills"
    )
    return 0


def _check_store(db: Database, catalog: CatalogDef) -> str | None:
    problem = migrations.pending_message(db.engine)
    if problem:
        return problem
    with db.sessions() as session:
        if not catalog_in_sync(catalog, session=session):
            return (
                "The skill catalog in the database differs from the configured one "
                "(a new release or MENTOR_SKILLS_FILE). Run `mentor-bot migrate` first."
            )
    return None


def _metrics_dir() -> Path | None:
    """Gunicorn's workers are processes: their metrics meet in a directory (made if unset)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return None
    # Set before prometheus_client is first imported, which reads it once.
    assert "prometheus_client" not in sys.modules, "prometheus_client was imported too early"
    made = Path(tempfile.mkdtemp(prefix="mentor-metrics-"))
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(made)
    return made


def cmd_serve(args: argparse.Namespace) -> int:
    """Serve Slack over HTTP (gunicorn) or Socket Mode, after checking config and schema."""
    made, creator = _metrics_dir(), os.getpid()
    try:
        return _serve(args)
    finally:
        # gunicorn's workers are forks of this process and unwind through here when they
        # exit: only the process that made the directory removes it, once it stops.
        if made is not None and os.getpid() == creator:
            shutil.rmtree(made, ignore_errors=True)


def _serve(args: argparse.Namespace) -> int:
    ready = _start_up()
    if isinstance(ready, int):
        return ready
    settings, db, catalog = ready
    port = args.port or settings.port
    serve = _serve_socket_mode if settings.socket_mode else _serve_http
    return serve(settings, db, catalog, port, scheduler=not args.no_scheduler)


def _serve_http(
    settings: Settings, db: Database, catalog: CatalogDef, port: int, *, scheduler: bool
) -> int:
    import multiprocessing

    from gunicorn.app.base import BaseApplication
    from gunicorn.arbiter import Arbiter

    from bot.app import build_app
    from bot.web import WebApp

    # Shared with the workers forked below: set by the master when SIGTERM arrives.
    draining = multiprocessing.RawValue("b", 0)
    # Built once in the master (preload), so a bad token or catalog fails once and clearly.
    web = WebApp(
        build_app(settings, db, catalog=catalog),
        db,
        draining=lambda: bool(draining.value),
        metrics_token=_metrics_token(settings),
    )
    db.dispose()
    drain = settings.mentor_drain_seconds

    class DrainingArbiter(Arbiter):  # type: ignore[misc]
        def handle_term(self) -> None:
            # Not ready any more, but still serving: the load balancer moves away before
            # the listening socket closes (connections waiting in it would be reset).
            if drain > 0 and not draining.value:
                draining.value = 1
                log.info("SIGTERM: draining for %g s (/readyz answers 503), then stopping", drain)
                time.sleep(drain)
            raise StopIteration

    class Server(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            options: dict[str, Any] = {
                "bind": f"0.0.0.0:{port}",
                "workers": settings.web_concurrency,
                "worker_class": "gthread",
                "threads": 8,
                "preload_app": True,
                # Slack gives up after 3 s; a stuck request should not hold a worker for long.
                "timeout": 30,
                "graceful_timeout": 20,
                "accesslog": None,
                "post_fork": lambda _server, _worker: db.engine.dispose(close=False),
                "when_ready": _when_ready,
                "on_exit": _on_exit,
            }
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self) -> WebApp:
            return web

        def run(self) -> None:
            DrainingArbiter(self).run()

    running: list[Any] = []

    def _when_ready(_server: Any) -> None:
        log.info("Serving Slack on port %d at /slack/events", port)
        if scheduler:
            from bot.scheduling import start_scheduler

            # Runs in the gunicorn master: one per serve process, not per worker; the leader
            # lock keeps it to one per deployment.
            running.append(
                start_scheduler(Database(settings.database_url), settings, catalog=catalog)
            )

    def _on_exit(_server: Any) -> None:
        # After the workers finished their requests (SIGTERM is graceful in gunicorn):
        # unsent messages go back to the queue and the scheduler lock is released.
        for each in running:
            each.shutdown(wait=True)

    freeze_startup_heap(before_fork=True)
    Server().run()
    return 0


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        return


def _serve_socket_mode(
    settings: Settings, db: Database, catalog: CatalogDef, port: int, *, scheduler: bool
) -> int:
    from slack_bolt.adapter.socket_mode import SocketModeHandler
    from slack_bolt.adapter.socket_mode.internals import run_bolt_app, send_response

    from bot.app import build_app
    from bot.observability import observe_request, socket_request_kind, start_request
    from bot.web import WebApp

    class MeteredHandler(SocketModeHandler):
        """Bolt's handler, counting and timing each envelope as /metrics does for HTTP."""

        def handle(self, client: Any, req: Any) -> None:
            start = time.time()
            start_request()
            response = run_bolt_app(self.app, req)
            send_response(client, req, response, start)
            kind = socket_request_kind(req.type, req.payload or {})
            observe_request(kind, response.status, time.time() - start)

    app = build_app(settings, db, catalog=catalog)
    assert settings.slack_app_token is not None
    handler = MeteredHandler(app, settings.slack_app_token.get_secret_value())
    # No Slack traffic over HTTP in Socket Mode; /healthz stays for probes and also
    # reports a lost WebSocket.
    probes = WebApp(
        None, db, connected=handler.client.is_connected, metrics_token=_metrics_token(settings)
    )
    health = _serve_probes(probes, port)
    freeze_startup_heap()
    if scheduler:
        from bot.scheduling import start_scheduler

        start_scheduler(db, settings, catalog=catalog)
    log.info("Connecting to Slack over Socket Mode (health checks on port %d)", port)
    # Bolt's handler.start() waits forever; wait on our own event so SIGTERM exits cleanly.
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    handler.connect()  # type: ignore[no-untyped-call]
    stop.wait()
    log.info("Closing the Socket Mode connection")
    handler.close()  # type: ignore[no-untyped-call]
    if health is not None:
        health.shutdown()
    return 0


def cmd_match(args: argparse.Namespace) -> int:
    """Run a matching round from the command line: preview only (--dry-run), or create pairs."""
    from bot.services import pairing
    from bot.slack.deps import match_config

    store = load_database_settings()
    db = Database(store.database_url)
    try:
        problem = _check_store(db, load_catalog(store.mentor_skills_file))
        if problem:
            return _fail(problem, EXIT_SCHEMA)
        if args.dry_run:
            teams = [args.team] if args.team else _teams(db)
            for team in teams:
                with db.sessions() as session:
                    round_ = pairing.preview_round(
                        team, session=session, config=match_config(store), requested_by="cli"
                    )
                    summary = pairing.summarize(round_)
                    # A dry run leaves no trace: not even a cancelled round.
                    session.rollback()
                print(_summary_line(team, summary))
            return 0
        return _match_and_deliver(db, args.team)
    finally:
        db.dispose()


def _teams(db: Database) -> list[str]:
    from sqlalchemy import select

    from bot.store.models import Participant

    with db.sessions() as session:
        return sorted(set(session.scalars(select(Participant.team_id).distinct())))


def _summary_line(team: str, summary: Any) -> str:
    unmatched = ", ".join(f"{reason} {n}" for reason, n in sorted(summary.unmatched.items()))
    return (
        f"team {team}: {summary.mentors} mentors, {summary.mentees} mentees, "
        f"{summary.pairs} pairs, average score {summary.average_score:.2f}, "
        f"{round(summary.covered_share * 100)} % of mentees covered, solver {summary.solver}"
        + (f"; unmatched: {unmatched}" if unmatched else "")
    )


def _match_and_deliver(db: Database, team: str | None) -> int:
    from bot.app import make_client, make_workspaces
    from bot.slack.deps import match_config
    from bot.slack.rounds import run_round
    from bot.slack.users import UserDirectory

    settings = load_settings()
    _configure_logging(settings)
    _preflight(settings)
    if settings.oauth:
        if not team:
            return _fail("With OAuth, name the workspace: mentor-bot match --team T…", EXIT_CONFIG)
        client = make_workspaces(settings, db).client(team)
    else:
        client = make_client(settings)
        # One workspace per token: the round is for the team the token belongs to.
        team = team or str(client.auth_test()["team_id"])
    summary, report = run_round(
        team,
        client=client,
        db=db,
        catalog=load_catalog(settings.mentor_skills_file),
        users=UserDirectory.from_settings(client, settings),
        config=match_config(settings),
        default_language=settings.mentor_default_language,
        actor="cli",
    )
    print(_summary_line(team, summary))
    print(
        f"mentor-bot: {report.created} pairs created and introduced, {report.told} people told "
        f"why they were not matched, {report.unreachable} unreachable"
    )
    return 0


def _start_up() -> tuple[Settings, Database, CatalogDef] | int:
    """Settings, logging, an up-to-date store and a token Slack accepts; else an exit code."""
    settings = load_settings()
    _configure_logging(settings)
    db = Database(settings.database_url)
    catalog = load_catalog(settings.mentor_skills_file)
    problem = _check_store(db, catalog)
    if problem:
        db.dispose()
        return _fail(problem, EXIT_SCHEMA)
    _preflight(settings)
    return settings, db, catalog


def _instant(raw: str) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{raw!r} is not an ISO-8601 instant such as 2026-12-02T08:00:00Z"
        ) from None
    if moment.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{raw!r} has no offset: add Z or +01:00")
    return moment.astimezone(dt.UTC)


def cmd_tick(args: argparse.Namespace) -> int:
    """One planner and dispatcher pass, synchronously, as of --now (default: the clock)."""
    from bot.scheduling import dispatch_workspaces, make_dispatcher, tick

    ready = _start_up()
    if isinstance(ready, int):
        return ready
    settings, db, catalog = ready
    try:
        dispatcher = make_dispatcher(settings, db, dispatch_workspaces(settings, db), catalog)
        result = tick(settings, db, dispatcher, args.now)
    finally:
        db.dispose()
    plan, sent = result.plan, result.dispatch
    print(
        f"mentor-bot: planned {plan.jour_fixes} jour fixes and {plan.messages} messages, "
        f"closed {plan.closed} as missed; sent {sent.sent}, missed {sent.missed}, "
        f"cancelled {sent.cancelled}, failed {sent.failed}, retrying {sent.retried}"
    )
    return 0


def cmd_scheduler(args: argparse.Namespace) -> int:
    """Run the scheduler alone (no web server), until SIGTERM or SIGINT."""
    ready = _start_up()
    if isinstance(ready, int):
        return ready
    from bot.scheduling import start_scheduler
    from bot.web import WebApp

    settings, db, catalog = ready
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    freeze_startup_heap()
    scheduler = start_scheduler(db, settings, catalog=catalog)
    health = _serve_probes(WebApp(None, db, metrics_token=_metrics_token(settings)), settings.port)
    log.info("Scheduler running; it plans and sends while it holds the scheduler lock")
    stop.wait()
    log.info("Stopping the scheduler")
    scheduler.shutdown(wait=True)
    if health is not None:
        health.shutdown()
    db.dispose()
    return 0


def _serve_probes(web: WebApp, port: int) -> WSGIServer | None:
    """/healthz, /readyz and /metrics in a thread; a port in use is logged, not fatal."""
    try:
        server = make_server("0.0.0.0", port, web, handler_class=_QuietHandler)  # noqa: S104
    except OSError as exc:
        log.warning("No health and metrics endpoint: port %d: %s", port, exc.strerror)
        return None
    threading.Thread(target=server.serve_forever, daemon=True, name="probes").start()
    log.info("Health checks and metrics on port %d", port)
    return server


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every sub-command."""
    parser = argparse.ArgumentParser(prog="mentor-bot", description="Reverse-mentoring Slack bot.")
    parser.add_argument("--version", action="version", version=f"mentor-bot {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser(
        "serve", help="serve Slack requests (HTTP, or Socket Mode when SLACK_APP_TOKEN is set)"
    )
    serve.add_argument(
        "--port", type=int, default=None, help="port to listen on (default: $PORT or 3000)"
    )
    serve.add_argument(
        "--no-scheduler", action="store_true", help="run a web replica without the scheduler"
    )
    serve.set_defaults(func=cmd_serve)
    mig = sub.add_parser("migrate", help="run database migrations (alembic upgrade head)")
    mig.set_defaults(func=cmd_migrate)
    match = sub.add_parser("match", help="run a matching round: create pairs and introduce them")
    match.add_argument(
        "--dry-run", action="store_true", help="only compute and print the preview figures"
    )
    match.add_argument("--team", help="Slack team id (default: the token's team)")
    match.set_defaults(func=cmd_match)
    tick_parser = sub.add_parser(
        "tick", help="plan and send due jour-fixe messages once, synchronously"
    )
    tick_parser.add_argument(
        "--now",
        type=_instant,
        default=None,
        help="act as of this instant (ISO 8601 with offset, e.g. 2026-12-02T08:00:00Z)",
    )
    tick_parser.set_defaults(func=cmd_tick)
    sched = sub.add_parser("scheduler", help="run the scheduler alone, without serving Slack")
    sched.set_defaults(func=cmd_scheduler)
    return parser


def _start_up_failure(exc: BaseException) -> str | None:
    """One line for the failures an operator can fix, None for genuine bugs."""
    if isinstance(exc, DBAPIError):
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
        return f"Cannot reach the database at DATABASE_URL: {reason}"
    if isinstance(exc, SlackApiError):
        return f"Slack refused SLACK_BOT_TOKEN: {exc.response.get('error')}"
    if isinstance(exc, BoltError):
        # Bolt calls auth.test while the app is built and wraps Slack's answer.
        return f"Slack refused SLACK_BOT_TOKEN: {exc}"
    if isinstance(exc, URLError | ConnectionError | TimeoutError):
        cause = exc.reason if isinstance(exc, URLError) else exc
        return f"Cannot reach Slack at SLACK_API_URL: {cause}"
    return None


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `mentor-bot` console script."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except (DBAPIError, SlackApiError, BoltError, URLError, ConnectionError, TimeoutError) as exc:
        return _fail(_start_up_failure(exc) or str(exc), EXIT_UNAVAILABLE)
    except ConfigError as exc:
        message = str(exc)
        if "is not set" in message and not Path(".env").exists():
            message += " No .env file here: copy .env.example to .env and fill it in (see README)."
        return _fail(message, EXIT_CONFIG)
    except CatalogError as exc:
        return _fail(str(exc), EXIT_CONFIG)


if __name__ == "__main__":
    sys.exit(main())
