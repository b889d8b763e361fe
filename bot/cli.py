"""The `mentor-bot` command: wiring only."""

from __future__ import annotations

import argparse
import logging
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, make_server

from bot import __version__
from bot.config import ConfigError, Settings, load_database_settings, load_settings
from bot.services.catalog import CatalogError
from bot.store import migrate as migrations
from bot.store.db import Database

EXIT_CONFIG = 2
EXIT_SCHEMA = 3

log = logging.getLogger("bot")


def _configure_logging(level: str = "INFO") -> None:
    logging.basicConfig(
        level=level,
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
        stream=sys.stderr,
    )


def _fail(message: str, code: int) -> int:
    print(f"mentor-bot: {message}", file=sys.stderr)
    return code


def cmd_migrate(args: argparse.Namespace) -> int:
    """Bring the database schema to the newest revision."""
    url = load_database_settings().database_url
    migrations.upgrade(url)
    print(f"mentor-bot: database is at revision {migrations.head_revision()}")
    return 0


def _check_schema(db: Database) -> str | None:
    try:
        return migrations.pending_message(db.engine)
    except Exception as exc:
        return f"Cannot reach the database ({type(exc).__name__}). Check DATABASE_URL."


def cmd_serve(args: argparse.Namespace) -> int:
    """Serve Slack over HTTP (gunicorn) or Socket Mode, after checking config and schema."""
    settings = load_settings()
    _configure_logging(settings.log_level)
    port = args.port or settings.port
    db = Database(settings.database_url)
    problem = _check_schema(db)
    if problem:
        return _fail(problem, EXIT_SCHEMA)
    if settings.socket_mode:
        return _serve_socket_mode(settings, db, port, scheduler=not args.no_scheduler)
    return _serve_http(settings, db, port, scheduler=not args.no_scheduler)


def _serve_http(settings: Settings, db: Database, port: int, *, scheduler: bool) -> int:
    from gunicorn.app.base import BaseApplication

    from bot.app import build_app
    from bot.web import WebApp

    # Built once in the master (preload), so a bad token or catalog fails once and clearly.
    web = WebApp(build_app(settings, db), db)
    db.dispose()

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
            }
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self) -> WebApp:
            return web

    def _when_ready(_server: Any) -> None:
        log.info("Serving Slack on port %d at /slack/events", port)
        if scheduler:
            from bot.scheduling import start_scheduler

            # Runs in the gunicorn master, so there is one scheduler per deployment.
            start_scheduler(Database(settings.database_url))

    Server().run()
    return 0


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        return


def _serve_socket_mode(settings: Settings, db: Database, port: int, *, scheduler: bool) -> int:
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    from bot.app import build_app
    from bot.web import WebApp

    app = build_app(settings, db)
    # No Slack traffic over HTTP in Socket Mode, but /healthz stays available for probes.
    health = make_server("0.0.0.0", port, WebApp(app, db), handler_class=_QuietHandler)  # noqa: S104
    threading.Thread(target=health.serve_forever, daemon=True, name="healthz").start()
    if scheduler:
        from bot.scheduling import start_scheduler

        start_scheduler(db)
    assert settings.slack_app_token is not None
    log.info("Connecting to Slack over Socket Mode (health checks on port %d)", port)
    handler = SocketModeHandler(app, settings.slack_app_token.get_secret_value())
    handler.start()  # type: ignore[no-untyped-call]
    return 0


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
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `mentor-bot` console script."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except ConfigError as exc:
        message = str(exc)
        if "is not set" in message and not Path(".env").exists():
            message += " No .env file here: copy .env.example to .env and fill it in (see README)."
        return _fail(message, EXIT_CONFIG)
    except CatalogError as exc:
        return _fail(str(exc), EXIT_CONFIG)


if __name__ == "__main__":
    sys.exit(main())
