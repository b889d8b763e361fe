"""The compose services' commands, run here as processes against one database and driven.

There is no Docker engine on CI machines, so this runs what docker-compose.yml runs:
`migrate` once, two `serve --no-scheduler` web replicas and two `scheduler` processes (the
second one must idle), then stops a web replica and the leading scheduler with SIGTERM in
the middle of their work.
"""

from __future__ import annotations

import signal
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select

from bot.sandbox import SlackSim, SlackUser
from bot.sandbox.client import SimResponse
from bot.store.models import Outbox, OutboxStatus
from tests.helpers import answer_to, text_of
from tests.scheduling.test_processes import (  # noqa: F401 - `scratch` is a fixture
    Scratch,
    _assert_one_leader,
    _dispatched,
    duplicates,
    nudges_due_now,
    ok_posts,
    scratch,
    seed_pairs,
    wait_until,
)
from tests.test_cli import free_port, run_cli
from tests.test_deploy import compose

SIGNING_SECRET = "s"  # what the `scratch` environment sets


def _ready(port: int, proc: subprocess.Popen[str], box: Scratch) -> None:
    deadline = time.monotonic() + 40
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=1) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        assert proc.poll() is None, box.log(proc)
        time.sleep(0.1)
    raise AssertionError(f"port {port} never became ready:\n{box.log(proc)}")


METRICS_TOKEN = "scrape-token-0123456789"


def _metrics(port: int, token: str | None = METRICS_TOKEN) -> str:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    request = urllib.request.Request(f"http://127.0.0.1:{port}/metrics", headers=headers)
    with urllib.request.urlopen(request, timeout=5) as r:
        return str(r.read().decode())


def _slash_requests(port: int) -> float:
    text = _metrics(port)
    return sum(
        s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == "mentor_requests_total" and s.labels.get("kind") == "slash_command"
    )


def _leases_of(box: Scratch, proc: subprocess.Popen[str]) -> int:
    with box.db.sessions() as s:
        return int(
            s.scalar(
                select(func.count())
                .select_from(Outbox)
                .where(Outbox.lease_owner.like(f"%:{proc.pid}:%"))
            )
            or 0
        )


def test_two_web_replicas_and_one_scheduler_as_compose_runs_them(scratch: Scratch) -> None:  # noqa: F811
    box = scratch
    services = compose()["services"]
    # The one-shot migrate service (the fixture migrated already: it must be idempotent).
    migrated = run_cli(*services["migrate"]["command"], env=box.env, cwd=box.cwd)
    assert migrated.returncode == 0, migrated.stderr
    box.fake.add_user(SlackUser(id="UANNA", name="anna", locale="en-US", tz="Europe/Berlin"))
    ports = [free_port() for _ in range(4)]
    fast = {"MENTOR_TICK_SECONDS": "1", "MENTOR_SEND_RATE": "40", "MENTOR_SEND_BURST": "1"}
    scrape = {"MENTOR_METRICS_TOKEN": METRICS_TOKEN}
    webs = [
        box.start(
            *services["web"]["command"],
            name=f"web-{i}",
            PORT=str(port),
            MENTOR_DRAIN_SECONDS="2",
            **scrape,
        )
        for i, port in enumerate(ports[:2])
    ]
    schedulers = [
        box.start(
            *services["scheduler"]["command"], name=f"scheduler-{i}", PORT=str(p), **fast, **scrape
        )
        for i, p in enumerate(ports[2:])
    ]
    for port, proc in zip(ports, webs + schedulers, strict=True):
        _ready(port, proc, box)
    sims = [
        SlackSim(box.fake, app_url=f"http://127.0.0.1:{p}/slack/events", signing_secret="s")
        for p in ports[:2]
    ]

    # With MENTOR_METRICS_TOKEN, web and scheduler serve /metrics to its bearer only.
    for port in (ports[0], ports[2]):
        for wrong in (None, "guess"):
            with pytest.raises(urllib.error.HTTPError) as refused:
                _metrics(port, wrong)
            assert refused.value.code == 401
        assert "mentor_outbox_depth" in _metrics(port)

    # Every request is answered, by both replicas (in the ack itself or afterwards).
    with ThreadPoolExecutor(8) as pool:
        sent = list(pool.map(lambda i: sims[i % 2].slash("UANNA", "help"), range(40)))
    assert [r.status for r in sent] == [200] * 40
    assert all("/mentor join" in text_of(answer_to(box.fake, r)) for r in sent)
    assert _slash_requests(ports[0]) == 20  # the replica's gunicorn workers added up
    assert _slash_requests(ports[1]) == 20

    # Exactly one scheduler holds the lock and sends; the other idles.
    holders = _assert_one_leader(box)
    pairs = seed_pairs(box, "D", 60, first_meeting=None, dm_open=True)
    assert nudges_due_now(box, pairs) == 120
    wait_until(lambda: len(ok_posts(box.fake)) >= 10, 30, "the first nudges", *schedulers)
    sent_so_far = {proc.pid: _dispatched(box, proc) for proc in schedulers}
    leader = next(p for p in schedulers if _leases_of(box, p) or sent_so_far[p.pid])
    follower = next(p for p in schedulers if p is not leader)
    assert _leases_of(box, follower) == 0

    # SIGTERM under load: a web replica and the leading scheduler (mid-batch: 120 nudges
    # at 40/s take three seconds). The client side acts as a load balancer does: it sends
    # to replica A while A's /readyz says ready, else to B.
    stop, outcomes, acked = threading.Event(), Counter[str](), list[SimResponse]()
    a_ready, drain_seen = threading.Event(), threading.Event()
    a_ready.set()

    def balancer() -> None:
        while not stop.is_set():
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{ports[0]}/readyz", timeout=1):
                    a_ready.set()
            except urllib.error.HTTPError as exc:
                a_ready.clear()
                if exc.read() == b"draining\n":
                    drain_seen.set()
            except OSError:
                a_ready.clear()
            time.sleep(0.1)

    def load() -> None:
        while not stop.is_set():
            target = "A" if a_ready.is_set() else "B"
            try:
                resp = sims[0 if target == "A" else 1].slash("UANNA", "help")
                outcomes[target if resp.status == 200 else f"{target}-bad"] += 1
                acked.append(resp)
            except ConnectionRefusedError:
                outcomes["refused"] += 1  # never accepted: the balancer would retry
            except Exception as exc:  # accepted and then dropped: lost
                outcomes["lost: " + type(exc).__name__] += 1

    threads = [threading.Thread(target=balancer)]
    threads += [threading.Thread(target=load) for _ in range(4)]
    for t in threads:
        t.start()
    time.sleep(0.8)
    webs[0].send_signal(signal.SIGTERM)
    leader.send_signal(signal.SIGTERM)
    assert leader.wait(timeout=30) == 0, box.log(leader)
    assert webs[0].wait(timeout=30) == 0, box.log(webs[0])
    # The stopped scheduler left no lease behind: its unsent rows are back in the queue.
    assert _leases_of(box, leader) == 0
    time.sleep(0.5)
    stop.set()
    for t in threads:
        t.join(timeout=30)
    answered = outcomes["A"] + outcomes["B"]
    assert drain_seen.is_set()
    assert set(outcomes) <= {"A", "B", "refused"}, outcomes  # nothing lost, nothing failed
    assert outcomes["A"] > 0 and outcomes["B"] > 0, outcomes
    # Every acked slash command got its reply, in its ack or through its response_url.
    assert len(acked) == answered
    assert all("/mentor join" in text_of(answer_to(box.fake, r, timeout=20)) for r in acked)

    # The follower took the lock over and finished the nudges: each exactly once.
    wait_until(lambda: len(ok_posts(box.fake)) >= 120, 30, "all 120 nudges", follower)
    time.sleep(1.5)  # more ticks: nothing more may go out
    posts = ok_posts(box.fake)
    assert len(posts) == 120
    assert duplicates(posts) == 0
    new_holders = _assert_one_leader(box)
    assert new_holders != holders or not box.postgres
    with box.db.sessions() as s:
        statuses_now: dict[Any, int] = dict(
            s.execute(select(Outbox.status, func.count()).group_by(Outbox.status)).all()
        )
    assert statuses_now == {OutboxStatus.SENT: 120}
    for proc in (webs[1], follower):
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0, box.log(proc)
    for proc in webs + schedulers:
        assert "Traceback" not in box.log(proc), box.log(proc)
    print(
        f"\n[{box.db.engine.dialect.name}] during SIGTERM: {outcomes['A']} answered by the "
        f"stopping replica, {outcomes['B']} by the other, {outcomes['refused']} refused"
    )
