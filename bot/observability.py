"""Metrics for Prometheus and structured logs: what an operator sees of a running bot.

Metrics (`/metrics` on every process's port):

- `mentor_requests_total{kind,status}`: Slack requests by kind (slash_command,
  block_actions, view_submission, event, ...) and HTTP status.
- `mentor_ack_seconds{kind}`: time from the request to the ack (Slack allows 3 s).
- `mentor_slack_api_errors_total{method,error}`: Web API calls that failed, by method and
  Slack's error code (or `connection` for a network failure).
- `mentor_outbox_depth{status}` and `mentor_scheduler_lag_seconds`: read from the database
  when scraped, so every replica reports the same figures: rows per status, and how long the
  oldest due, unsent message has been waiting (0 when none is).

Under gunicorn each worker is a process of its own: `PROMETHEUS_MULTIPROC_DIR` must point to
an empty directory before `prometheus_client` is imported (the `serve` command sees to that),
and the scrape adds up all workers.

Logs are plain text by default and one JSON object per line with `MENTOR_LOG_FORMAT=json`.
Each line carries the correlation id of the Slack request it belongs to, the one the user
sees in an apology. Bot and app-level tokens are masked in every line, whatever logged them.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import json
import logging
import os
import re
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import IO, Any
from urllib.parse import unquote_plus

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.web import SlackResponse
from sqlalchemy import func, select

from bot.store.db import Database

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
REQUEST_KINDS = frozenset(
    {
        "slash_command",
        "block_actions",
        "view_submission",
        "view_closed",
        "block_suggestion",
        "shortcut",
        "message_action",
        "event",
        "url_verification",
    }
)

REQUESTS = Counter(
    "mentor_requests", "Slack requests handled, by kind and HTTP status", ["kind", "status"]
)
ACK_SECONDS = Histogram(
    "mentor_ack_seconds",
    "Seconds from a Slack request's arrival to its ack",
    ["kind"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0),
)
SLACK_API_ERRORS = Counter(
    "mentor_slack_api_errors",
    "Slack Web API calls that failed, by method and error",
    ["method", "error"],
)

# --------------------------------------------------------------------------- requests


def request_kind(content_type: str, body: bytes) -> str:
    """What kind of Slack request a body is, without trusting it (only for a label).

    Runs on every request before Bolt parses the body itself: a form is only split into
    field names (unquoting every value cost more than the rest of the ack), and only an
    interactive payload is decoded, for its type.
    """
    try:
        if content_type.startswith("application/json"):
            data = json.loads(body or b"{}")
            kind = "event" if data.get("type") == "event_callback" else str(data.get("type"))
        else:
            fields = dict(field.partition(b"=")[::2] for field in body.split(b"&", 50))
            if b"command" in fields:
                kind = "slash_command"
            elif b"payload" in fields:
                payload = unquote_plus(fields[b"payload"].decode("utf-8", "replace"))
                kind = str(json.loads(payload).get("type"))
            else:
                kind = "other"
    except (ValueError, AttributeError, TypeError):
        return "other"
    return kind if kind in REQUEST_KINDS else "other"


def socket_request_kind(envelope_type: str, payload: dict[str, Any]) -> str:
    """The same labels for a Socket Mode envelope (slash_commands, interactive, events_api)."""
    if envelope_type == "slash_commands":
        return "slash_command"
    if envelope_type == "events_api":
        return "event"
    kind = str(payload.get("type")) if envelope_type == "interactive" else "other"
    return kind if kind in REQUEST_KINDS else "other"


def observe_request(kind: str, status: int, seconds: float) -> None:
    """Count one Slack request and how long its ack took."""
    REQUESTS.labels(kind, str(status)).inc()
    ACK_SECONDS.labels(kind).observe(seconds)


# --------------------------------------------------------------------------- Web API errors


class MeteredWebClient(WebClient):
    """A WebClient that counts failed calls by method and error before raising them."""

    def api_call(self, api_method: str, *args: Any, **kwargs: Any) -> SlackResponse:
        """slack_sdk's api_call, counted when it fails."""
        try:
            return super().api_call(api_method, *args, **kwargs)
        except SlackApiError as exc:
            error = str(exc.response.get("error") or f"http_{exc.response.status_code}")
            SLACK_API_ERRORS.labels(api_method, error[:40]).inc()
            raise
        except OSError:
            SLACK_API_ERRORS.labels(api_method, "connection").inc()
            raise


# --------------------------------------------------------------------------- database figures


class OutboxCollector(Collector):
    """Outbox rows per status and the scheduler's lag, read from the database at scrape time."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def collect(self) -> Iterator[Metric]:
        """Yield the two gauges; nothing (rather than an error page) if the database is down."""
        from bot.store.models import OPEN_OUTBOX_ROWS, Outbox, OutboxStatus

        now = dt.datetime.now(dt.UTC)
        try:
            with self.db.sessions() as session:
                counts = dict(
                    session.execute(
                        select(Outbox.status, func.count()).group_by(Outbox.status)
                    ).all()
                )
                oldest = session.scalar(
                    select(func.min(Outbox.due_at)).where(
                        OPEN_OUTBOX_ROWS,
                        Outbox.status == OutboxStatus.PENDING,
                        Outbox.due_at <= now,
                    )
                )
        except Exception:
            logging.getLogger(__name__).warning("Could not read the outbox for /metrics")
            return
        depth = GaugeMetricFamily("mentor_outbox_depth", "Outbox rows by status", labels=["status"])
        for status in OutboxStatus:
            depth.add_metric([status.value], int(counts.get(status, 0)))
        yield depth
        lag = (now - oldest).total_seconds() if oldest is not None else 0.0
        yield GaugeMetricFamily(
            "mentor_scheduler_lag_seconds",
            "How long the oldest due, unsent outbox row has been waiting",
            value=max(0.0, lag),
        )


def render_metrics(db: Database | None) -> bytes:
    """The text exposition of every metric of this deployment's processes."""
    registry = CollectorRegistry()
    if os.environ.get(MULTIPROC_ENV):
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    else:
        for collector in (REQUESTS, ACK_SECONDS, SLACK_API_ERRORS):
            registry.register(collector)
    if db is not None:
        registry.register(OutboxCollector(db))
    return bytes(generate_latest(registry))


# --------------------------------------------------------------------------- logs

CORRELATION_ID: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "correlation_id", default=None
)
# Slack tokens: bot, user, app-level and refresh (xoxe-, xoxe.xoxp-) ones.
_TOKEN = re.compile(r"\b(xox[a-z](?:\.xox[a-z])?|xapp)-[A-Za-z0-9.-]+")


def mask_tokens(text: str) -> str:
    """The text with every Slack token cut to its kind."""
    return _TOKEN.sub(lambda m: m.group(1) + "-***", text)


def start_request() -> None:
    """Forget the previous request's correlation id and workspace (threads are reused)."""
    from bot.slack.workspaces import CURRENT_TEAM

    CORRELATION_ID.set(None)
    CURRENT_TEAM.set(None)


class ContextExecutor(ThreadPoolExecutor):
    """A thread pool whose tasks run in the submitter's context (its correlation id)."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        """Like ThreadPoolExecutor.submit, inside a copy of the caller's contextvars."""
        return super().submit(contextvars.copy_context().run, fn, *args, **kwargs)


class _Context(logging.Filter):
    """Adds the correlation id and masks tokens, on every handler's records."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.correlation_id = CORRELATION_ID.get()
        message = record.getMessage()
        masked = mask_tokens(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


class _MaskingFormatter(logging.Formatter):
    """Tracebacks with every Slack token masked (messages are masked by the filter)."""

    def formatException(self, ei: Any) -> str:
        """A traceback, tokens masked."""
        return mask_tokens(super().formatException(ei))


class JsonFormatter(_MaskingFormatter):
    """One JSON object per line: time, level, logger, message, correlation id, exception."""

    def format(self, record: logging.LogRecord) -> str:
        """Serialise one record."""
        entry: dict[str, Any] = {
            "ts": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        correlation = getattr(record, "correlation_id", None)
        if correlation:
            entry["correlation_id"] = correlation
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


class TextFormatter(_MaskingFormatter):
    """The plain format, with the correlation id in brackets when there is one."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        """Format one record."""
        line = super().format(record)
        correlation = getattr(record, "correlation_id", None)
        return f"{line} [cid={correlation}]" if correlation else line


def configure_logging(
    level: str = "INFO", fmt: str = "text", stream: IO[str] | None = None
) -> None:
    """Root logging to stderr (or `stream`) in the chosen format; quiet the chatty libraries."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    handler.addFilter(_Context())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    # At DEBUG, slack_sdk and Bolt log whole request bodies: profiles and free text.
    for name in ("slack_sdk", "slack_bolt"):
        logging.getLogger(name).setLevel(max(logging.INFO, logging.getLevelName(level)))
