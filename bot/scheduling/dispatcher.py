"""The dispatcher: claim due outbox rows, decide, send one at a time at Slack's pace, mark sent.

Sending happens outside any transaction, and each row is marked sent (fenced by our lease)
right after Slack accepted it, so a crash repeats at most the one message in flight. Rows are
sent strictly one after another for the same reason.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import secrets
import socket
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any
from urllib.error import URLError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import update

from bot.services import reminders
from bot.services.clock import utc_now
from bot.services.pairing import mark_unreachable
from bot.services.reminders import Subject
from bot.services.timing import Timing
from bot.slack.blocks.common import Message
from bot.slack.rounds import UNREACHABLE as ROUND_UNREACHABLE
from bot.slack.workspaces import NotInstalled, Workspaces
from bot.store import outbox
from bot.store.db import Database, session_scope
from bot.store.models import Outbox, OutboxStatus, Participant

log = logging.getLogger(__name__)
# Slack answers these when a message can never reach the person.
UNREACHABLE = ROUND_UNREACHABLE | {"cannot_dm_bot"}
TRANSIENT = frozenset(
    {"fatal_error", "internal_error", "service_unavailable", "request_timeout", "ratelimited"}
)
STALE_CHANNEL = frozenset({"channel_not_found", "not_in_channel", "is_archived"})
MAX_BACKOFF = 300.0
# Rows claimed (and prepared) at once: fewer, larger claims cost less per message.
BATCH_MAX = 250
# While sending, the GIL changes hands at least this often (Python's default is 5 ms): when
# Slack or the database answers the sender, it must not wait behind the thread preparing
# the next batch for longer than a message takes.
SENDER_SWITCH_INTERVAL = 0.0005


class Pacer:
    """A token bucket for the whole workspace, plus a pause when Slack says Retry-After."""

    def __init__(
        self,
        rate: float,
        burst: int,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.rate, self.burst = rate, burst
        self._clock, self._sleep = clock, sleep
        self._tokens = float(burst)
        self._stamp = clock()
        self._paused_until = 0.0
        self._lock = threading.Lock()

    def pause(self, seconds: float) -> None:
        """Send nothing for `seconds` (Slack's Retry-After), whoever is sending."""
        with self._lock:
            self._paused_until = max(self._paused_until, self._clock() + seconds)

    def wait(self, stop: threading.Event | None = None) -> bool:
        """Block until a message may go; False if `stop` was set meanwhile."""
        while True:
            with self._lock:
                now = self._clock()
                self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate)
                self._stamp = now
                delay = self._paused_until - now
                if delay <= 0:
                    if self._tokens >= 1:
                        self._tokens -= 1
                        return True
                    delay = (1 - self._tokens) / self.rate
            if stop is not None:
                if stop.wait(delay):
                    return False
            else:
                self._sleep(delay)


@dataclass
class _Batch:
    """Claimed rows, decided and rendered, ready to send."""

    moment: dt.datetime
    outgoing: list[tuple[Outbox, Subject, dict[str, Any]]]
    decisions: dict[int, tuple[OutboxStatus, str]]
    missed: int
    cancelled: int
    claimed_at: float
    failed: int = 0


@dataclass
class DispatchStats:
    """What one dispatcher run did."""

    sent: int = 0
    missed: int = 0
    cancelled: int = 0
    failed: int = 0
    retried: int = 0
    rate_limited: int = 0
    lost_lease: int = 0


def new_owner() -> str:
    """A lease owner id that names the host and process, for operators reading the table."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(4)}"


Renderer = Callable[[Outbox, Subject, dt.datetime], Message]


class Dispatcher:
    """Claims due rows and sends them; safe to run in several processes at once."""

    def __init__(
        self,
        db: Database,
        client: WebClient | Workspaces,
        *,
        render: Renderer,
        timing: Timing,
        pacer: Pacer,
        lease: dt.timedelta = dt.timedelta(seconds=60),
        max_attempts: int = 5,
        retry_base: float = 2.0,
        batch: int | None = None,
        owner: str | None = None,
    ) -> None:
        self.db, self.render = db, render
        # Each row goes out with the client of its workspace (one, or each installation's).
        self.workspaces = client if isinstance(client, Workspaces) else Workspaces.of(client)
        self.timing, self.pacer = timing, pacer
        self.lease, self.max_attempts, self.retry_base = lease, max_attempts, retry_base
        # Claim no more than can be sent in a quarter of the lease at the configured pace.
        self.batch = batch or max(1, min(BATCH_MAX, int(pacer.rate * lease.total_seconds() / 4)))
        self.owner = owner or new_owner()
        # Rows released to be retried at once during the current run.
        self._requeued = 0
        self._marker = outbox.Marker(db.engine)

    def run(
        self,
        now: dt.datetime | None = None,
        *,
        ids: Sequence[int] | None = None,
        stop: threading.Event | None = None,
        max_rows: int | None = None,
    ) -> DispatchStats:
        """Send everything due (as of `now`, default the clock) until nothing due is left.

        While one batch is being sent, the next is claimed, decided and rendered in a helper
        thread (the sender mostly waits on Slack). Claimed rows are only leased, never sent,
        so a crash still repeats at most the one message in flight.
        """
        stats = DispatchStats()
        budget_used: Counter[int] = Counter()
        previous = sys.getswitchinterval()
        sys.setswitchinterval(min(previous, SENDER_SWITCH_INTERVAL))
        try:
            return self._run(now, ids, stop, max_rows, stats, budget_used)
        finally:
            sys.setswitchinterval(previous)
            self._marker.close()

    def _run(
        self,
        now: dt.datetime | None,
        ids: Sequence[int] | None,
        stop: threading.Event | None,
        max_rows: int | None,
        stats: DispatchStats,
        budget_used: Counter[int],
    ) -> DispatchStats:
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="dispatch-prepare") as pool:
            handled = 0

            def prepare(spent: Counter[int]) -> _Batch | None:
                limit = self.batch if max_rows is None else min(self.batch, max_rows - handled)
                if limit <= 0 or (stop is not None and stop.is_set()):
                    return None
                return self._prepare(now, ids, limit, spent)

            upcoming = pool.submit(prepare, budget_used)
            while True:
                batch = upcoming.result()
                if batch is None and self._requeued:
                    # Rows handed back for an immediate retry (after a 429) were not yet
                    # back when the next batch was claimed: look once more.
                    self._requeued = 0
                    batch = prepare(Counter())
                if batch is None:
                    break
                handled += len(batch.outgoing) + len(batch.decisions)
                stats.missed += batch.missed
                stats.cancelled += batch.cancelled
                stats.failed += batch.failed
                # Messages of this batch count against the budget of the next one's decisions.
                in_flight = Counter(
                    row.participant_id for row, _, _ in batch.outgoing if not row.solicited
                )
                upcoming = pool.submit(prepare, in_flight)
                if not self._send_batch(batch, stats, stop, fixed_now=now is not None):
                    leftover = upcoming.result()
                    if leftover is not None:
                        ids_left = [row.id for row, _, _ in leftover.outgoing]
                        outbox.release(
                            self.db.sessions, ids_left, owner=self.owner, refund_attempt=True
                        )
                    break
        return stats

    def _prepare(
        self,
        now: dt.datetime | None,
        ids: Sequence[int] | None,
        limit: int,
        in_flight: Counter[int],
    ) -> _Batch | None:
        """Claim a batch, close what must not be sent, and render the rest."""
        moment = now or utc_now()
        rows = outbox.claim(
            self.db.sessions, owner=self.owner, now=moment, lease=self.lease, limit=limit, ids=ids
        )
        if not rows:
            return None
        with self.db.sessions() as session:
            subjects = reminders.load_subjects(rows, session=session)
            decisions = reminders.decide(
                rows,
                subjects,
                session=session,
                now=moment,
                budget=self.timing.weekly_budget,
                in_flight=in_flight,
            )
            outgoing = []
            for row in rows:
                if row.id in decisions:
                    continue
                try:
                    message = self.render(row, subjects[row.id], moment).as_kwargs()
                except Exception:
                    # One row that cannot be rendered (a bug, or data no one foresaw) must
                    # not hold up the batch, nor come back after every lease: it fails alone.
                    log.exception("Outbox row %d (%s) could not be rendered", row.id, row.kind)
                    decisions[row.id] = (OutboxStatus.FAILED, "render_error")
                    continue
                outgoing.append((row, subjects[row.id], message))
        outbox.finish(self.db.sessions, dict(decisions.items()), owner=self.owner)
        failed = sum(status is OutboxStatus.FAILED for status, _ in decisions.values())
        missed = sum(status is OutboxStatus.MISSED for status, _ in decisions.values())
        for _, reason in decisions.values():
            log.debug("Outbox row not sent: %s", reason)
        return _Batch(
            moment=moment,
            outgoing=outgoing,
            decisions=decisions,
            missed=missed,
            failed=failed,
            cancelled=len(decisions) - missed - failed,
            claimed_at=time.monotonic(),
        )

    def _send_batch(
        self,
        batch: _Batch,
        stats: DispatchStats,
        stop: threading.Event | None,
        *,
        fixed_now: bool,
    ) -> bool:
        """Send a prepared batch one message at a time; False if asked to stop."""
        claimed_at = batch.claimed_at
        pending = [row.id for row, _, _ in batch.outgoing]
        for index, (row, subject, message) in enumerate(batch.outgoing):
            if not self.pacer.wait(stop):
                outbox.release(
                    self.db.sessions, pending[index:], owner=self.owner, refund_attempt=True
                )
                return False
            elapsed = time.monotonic() - claimed_at
            if elapsed > self.lease.total_seconds() / 2:
                kept = outbox.extend(
                    self.db.sessions,
                    pending[index:],
                    owner=self.owner,
                    until=utc_now() + self.lease,
                )
                stats.lost_lease += len(set(pending[index:]) - kept)
                pending = [i if i in kept else -1 for i in pending]
                claimed_at = time.monotonic()
            if pending[index] == -1:
                continue
            self._send(row, subject, message, batch.moment if fixed_now else utc_now(), stats)
        return True

    def _channel(self, client: WebClient, subject: Subject) -> str:
        person = subject.recipient
        if person.dm_channel_id:
            return person.dm_channel_id
        # conversations.open is Tier 3: open each DM once and keep its id.
        opened = client.conversations_open(users=person.slack_user_id)
        channel = str(opened["channel"]["id"])
        with session_scope(self.db.sessions) as session:
            # Not onto a row erased since the batch was claimed (its Slack id is gone then).
            session.execute(
                update(Participant)
                .where(
                    Participant.id == person.id,
                    Participant.slack_user_id == person.slack_user_id,
                )
                .values(dm_channel_id=channel)
            )
        person.dm_channel_id = channel
        return channel

    def _send(
        self,
        row: Outbox,
        subject: Subject,
        message: dict[str, Any],
        now: dt.datetime,
        stats: DispatchStats,
    ) -> None:
        try:
            client = self.workspaces.client(row.team_id)
        except NotInstalled:
            # The workspace uninstalled the app: nothing can reach it, now or later.
            log.warning("Outbox row %d: the app is not installed in its workspace", row.id)
            self._give_up(row, "not_installed", stats)
            return
        except Exception as exc:
            # A token that cannot be decrypted (a key dropped from MENTOR_TOKEN_KEY), the
            # store unreachable: this row waits and is retried; the others still go.
            log.exception("Outbox row %d: no Slack client for its workspace", row.id)
            self._retry(row, now, f"no_client:{type(exc).__name__}", stats)
            return
        try:
            channel = self._channel(client, subject)
            response = client.chat_postMessage(channel=channel, **message)
        except SlackApiError as exc:
            self._slack_error(row, subject, exc, now, stats)
            return
        except (URLError, TimeoutError, ConnectionError, OSError) as exc:
            self._retry(row, now, type(exc).__name__, stats)
            return
        if self._marker.mark_sent(
            row.id,
            owner=self.owner,
            now=now,
            channel_id=str(response.get("channel") or channel),
            message_ts=str(response.get("ts") or ""),
        ):
            stats.sent += 1
        else:
            stats.lost_lease += 1
            log.warning("Outbox row %d was sent after its lease was taken over", row.id)

    def _slack_error(
        self,
        row: Outbox,
        subject: Subject,
        exc: SlackApiError,
        now: dt.datetime,
        stats: DispatchStats,
    ) -> None:
        error = str(exc.response.get("error") or "")
        status = int(getattr(exc.response, "status_code", 200) or 200)
        if status == 429 or error == "ratelimited":
            retry_after = _retry_after(exc)
            stats.rate_limited += 1
            log.info("Slack rate-limited %s; pausing %.0f s", row.kind.value, retry_after)
            self.pacer.pause(retry_after)
            self._requeued += 1
            outbox.release(
                self.db.sessions,
                [row.id],
                owner=self.owner,
                refund_attempt=True,
                reason="ratelimited",
            )
            return
        if status >= 500 or error in TRANSIENT:
            self._retry(row, now, error or f"http_{status}", stats)
            return
        if error in STALE_CHANNEL and subject.recipient.dm_channel_id:
            with session_scope(self.db.sessions) as session:
                session.execute(
                    update(Participant)
                    .where(Participant.id == subject.recipient.id)
                    .values(dm_channel_id=None)
                )
            self._requeued += 1
            self._retry(row, now, error, stats, delay=0.0)
            return
        if error in UNREACHABLE:
            with session_scope(self.db.sessions) as session:
                mark_unreachable(subject.recipient.id, session=session)
        log.error("Outbox row %d (%s) failed for good: %s", row.id, row.kind.value, error)
        self._give_up(row, error, stats)

    def _give_up(self, row: Outbox, reason: str, stats: DispatchStats) -> None:
        """Close a row as failed, with the reason; it is never sent."""
        stats.failed += 1
        outbox.finish(
            self.db.sessions, {row.id: (OutboxStatus.FAILED, reason[:64])}, owner=self.owner
        )

    def _retry(
        self,
        row: Outbox,
        now: dt.datetime,
        reason: str,
        stats: DispatchStats,
        delay: float | None = None,
    ) -> None:
        if row.attempts >= self.max_attempts:
            log.error(
                "Outbox row %d (%s) failed after %d attempts: %s",
                row.id,
                row.kind.value,
                row.attempts,
                reason,
            )
            self._give_up(row, reason, stats)
            return
        wait = (
            delay
            if delay is not None
            else min(MAX_BACKOFF, self.retry_base * 2 ** (row.attempts - 1))
        )
        stats.retried += 1
        log.info("Outbox row %d: %s; retrying in %.1f s", row.id, reason, wait)
        outbox.release(
            self.db.sessions,
            [row.id],
            owner=self.owner,
            due=now + dt.timedelta(seconds=wait),
            reason=reason[:64],
        )


def _retry_after(exc: SlackApiError) -> float:
    headers = getattr(exc.response, "headers", {}) or {}
    for key, value in headers.items():
        if key.lower() == "retry-after":
            try:
                return max(0.0, float(value if not isinstance(value, list) else value[0]))
            except (TypeError, ValueError):
                break
    return 1.0
