"""Benchmark the slash-command ack round trip of `mentor-bot serve` against a bare Bolt app.

Both are served by gunicorn (gthread, the same workers and threads) on this machine; the
Slack stand-in runs in a process of its own. Clients send signed `/mentor help` commands,
each on a new connection as Slack does, from 1, 10 and 50 threads at once, and time each
request until the whole response is read. Figures: p50 and p99 of both, the bot's p99 over
the bare app's, and the CPU both servers spent per request. The bot puts the help in the
ack itself once the person's language is cached (the warm-up caches it), so the same run
also times `/mentor status` (ack, then a database read and an answer posted to the
response_url), without a target.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import hmac
import http.client
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from common import PG_URL, TEAM, TOKEN, StandIn, scratch_database

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
SECRET = "bench-signing-secret-0123456789"  # noqa: S105
USER = "UBENCH0001"
LEVELS = (1, 10, 50)


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_ready(port: int, proc: subprocess.Popen[bytes], path: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the server on port {port} exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=1):
                return
        except urllib.error.HTTPError:
            return  # it answers (the bare app has no health check: 404 is fine)
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"the server on port {port} did not come up")


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) used so far by a process and its live descendants."""
    tick = os.sysconf("SC_CLK_TCK")
    parents: dict[int, int] = {}
    used: dict[int, float] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue  # gone meanwhile
        parents[int(entry)] = int(fields[1])
        used[int(entry)] = (int(fields[11]) + int(fields[12])) / tick
    tree, grew = {pid}, True
    while grew:
        more = {child for child, parent in parents.items() if parent in tree} - tree
        tree |= more
        grew = bool(more)
    return sum(used.get(p, 0.0) for p in tree)


@contextmanager
def server(
    command: list[str], env: dict[str, str], port: int, probe: str
) -> Iterator[subprocess.Popen[bytes]]:
    """Run a server process until the block ends (SIGTERM, then wait)."""
    proc = subprocess.Popen(  # noqa: S603 - our own commands
        command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        _wait_ready(port, proc, probe)
        yield proc
    finally:
        proc.terminate()
        proc.wait(timeout=60)


SINK = """
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

class Sink(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keeps connections open, as Slack's hooks.slack.com does

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body = b'{"ok":true}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass

ThreadingHTTPServer.request_queue_size = 128  # the default backlog of 5 overflows
ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Sink).serve_forever()
"""


def _body(response_url: str, n: int, text: str = "help") -> bytes:
    return urlencode(
        {
            "token": "verification-token",
            "team_id": TEAM,
            "team_domain": "sandbox",
            "channel_id": "D0BENCH",
            "channel_name": "directmessage",
            "user_id": USER,
            "user_name": "bench",
            "command": "/mentor",
            "text": text,
            "api_app_id": "A0BENCH",
            "is_enterprise_install": "false",
            "response_url": response_url,
            "trigger_id": f"1.{n}.bench",
        }
    ).encode()


def _post(port: int, body: bytes) -> float:
    """Seconds for one signed POST on a new connection, until the response is read."""
    ts = str(int(time.time()))
    sig = hmac.new(SECRET.encode(), b"v0:" + ts.encode() + b":" + body, hashlib.sha256)
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": "v0=" + sig.hexdigest(),
    }
    start = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("POST", "/slack/events", body=body, headers=headers)
        response = conn.getresponse()
        response.read()
        if response.status != 200:
            raise RuntimeError(f"HTTP {response.status}")
    finally:
        conn.close()
    return time.perf_counter() - start


def load(
    port: int, clients: int, per_client: int, urls: list[str], text: str = "help"
) -> list[float]:
    """Latencies of clients x per_client requests, clients at a time."""
    times: list[float] = []
    lock = threading.Lock()
    barrier = threading.Barrier(clients)

    def client(index: int) -> None:
        mine = []
        barrier.wait()
        for i in range(per_client):
            n = index * per_client + i
            mine.append(_post(port, _body(urls[n], n, text)))
        with lock:
            times.extend(mine)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return times


def percentiles(times: list[float]) -> tuple[float, float]:
    """p50 and p99 in milliseconds."""
    cuts = statistics.quantiles(times, n=100, method="inclusive")
    return statistics.median(times) * 1000, cuts[98] * 1000


def main() -> None:
    """Serve both apps, load them at each level, print the figures and the verdict."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000, help="per level and app")
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="postgres")
    parser.add_argument("--pg-url", default=PG_URL)
    parser.add_argument(
        "--answers-to-stand-in",
        dest="sink",
        action="store_false",
        help="post the bot's answers (response_url) to the validating stand-in, not a bare sink",
    )
    args = parser.parse_args()
    workers = os.environ.get("WEB_CONCURRENCY", "2")
    print(
        f"cores: {os.cpu_count()}, Python {sys.version.split()[0]}; gunicorn gthread,"
        f" {workers} workers x 8 threads for both; {args.requests} requests per level;"
        f" database {args.database}"
    )
    stand_in = StandIn()
    try:
        stand_in.ask("users", [USER])
        with (
            tempfile.TemporaryDirectory(prefix="bench-ack-") as tmp,
            scratch_database(args.database, args.pg_url, Path(tmp)) as url,
        ):
            env = {
                **{k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "MENTOR_"))},
                "SLACK_BOT_TOKEN": TOKEN,
                "SLACK_SIGNING_SECRET": SECRET,
                "SLACK_API_URL": stand_in.api_url,
                "DATABASE_URL": url,
                "WEB_CONCURRENCY": workers,
                "LOG_LEVEL": "WARNING",
                "MENTOR_DRAIN_SECONDS": "0",
            }
            bot_port, bare_port = _free_port(), _free_port()
            bot_cmd = [sys.executable, "-m", "bot", "serve", "--no-scheduler", "--port"]
            bare_cmd = [
                sys.executable, "-m", "gunicorn", "--chdir", str(HERE), "--workers", workers,
                "--worker-class", "gthread", "--threads", "8", "--preload",
                "--bind", f"127.0.0.1:{bare_port}", "bare_app:app",
            ]  # fmt: skip
            results: dict[int, dict[str, tuple[float, float]]] = {}
            sink_port = _free_port()
            sink_cmd = [sys.executable, "-c", SINK, str(sink_port)]
            with (
                server([*bot_cmd, str(bot_port)], env, bot_port, "/readyz") as bot_proc,
                server(bare_cmd, env, bare_port, "/") as bare_proc,
                server(sink_cmd, env, sink_port, "/") if args.sink else contextlib.nullcontext(),
            ):
                pids = {"bare": bare_proc.pid, "bot": bot_proc.pid}
                for clients in LEVELS:
                    per_client = max(1, args.requests // clients)
                    total = per_client * clients
                    results[clients] = {}
                    cpu: dict[str, float] = {}
                    runs = (
                        ("bare", bare_port, "bare", "help"),
                        ("bot", bot_port, "bot", "help"),
                        ("status", bot_port, "bot", "status"),
                    )
                    for name, port, server_name, text in runs:
                        if args.sink:
                            warm = [
                                f"http://127.0.0.1:{sink_port}/hook/{i}" for i in range(2 * clients)
                            ]
                            urls = [f"http://127.0.0.1:{sink_port}/hook/{i}" for i in range(total)]
                        else:
                            warm = stand_in.ask("response_urls", (USER, 2 * clients))
                            urls = stand_in.ask("response_urls", (USER, total))
                        load(port, clients, 2, warm, text)  # warm-up: connections, caches
                        before = cpu_seconds(pids[server_name])
                        results[clients][name] = percentiles(
                            load(port, clients, per_client, urls, text)
                        )
                        cpu[name] = (cpu_seconds(pids[server_name]) - before) / total * 1000
                    bare, bot, status = (results[clients][k] for k in ("bare", "bot", "status"))
                    print(
                        f"   {clients:>2} clients: bare p50 {bare[0]:6.1f} ms,"
                        f" p99 {bare[1]:6.1f} ms;"
                        f" bot p50 {bot[0]:6.1f} ms, p99 {bot[1]:6.1f} ms;"
                        f" p99 ratio {bot[1] / bare[1]:.2f}; server CPU per request: bare"
                        f" {cpu['bare']:.2f} ms, bot {cpu['bot']:.2f} ms\n"
                        f"               (no target) bot `/mentor status`: p50 {status[0]:6.1f} ms,"
                        f" p99 {status[1]:6.1f} ms; p99 / bare {status[1] / bare[1]:.2f};"
                        f" CPU {cpu['status']:.2f} ms"
                    )
            report = stand_in.ask("report")
    finally:
        stand_in.close()
    failed = False
    print("\n== Summary")
    for clients, figures in results.items():
        ratio = figures["bot"][1] / figures["bare"][1]
        ok = ratio <= 1.5
        verdict = "PASS" if ok else "FAIL"
        line = f"   {clients:>2} clients: p99 bot / bare = {ratio:.2f} (<= 1.5) {verdict}"
        if clients == 10:
            under = figures["bot"][1] < 100
            ok = ok and under
            line += f"; p99 {figures['bot'][1]:.1f} ms (< 100 ms) {'PASS' if under else 'FAIL'}"
        failed |= not ok
        print(line)
    if report["violation_count"]:
        print(f"   note: {report['violation_count']} stand-in contract violations")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
