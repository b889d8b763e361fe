"""Socket Mode for FakeSlack: a minimal RFC 6455 WebSocket endpoint, envelopes out, acks back."""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import json
import secrets
import socket
import struct
import threading
import traceback
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any, Protocol
from urllib.parse import parse_qs, urlsplit

LINK_PATH = "/link/"
WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
OP_CONTINUATION, OP_TEXT, OP_BINARY = 0x0, 0x1, 0x2
OP_CLOSE, OP_PING, OP_PONG = 0x8, 0x9, 0xA
_DATA_OPCODES = {OP_CONTINUATION, OP_TEXT, OP_BINARY}
_CONTROL_OPCODES = {OP_CLOSE, OP_PING, OP_PONG}
MAX_MESSAGE_BYTES = 16 * 1024 * 1024
# Slack allows about ten open Socket Mode connections per app.
MAX_CONNECTIONS = 10
_FINISHED_MEMORY = 1000
# Slack pings its Socket Mode clients. Pinging often also matters for tests: slack_sdk's
# builtin client cannot close while its reader sits in a 3 s recv(), and a ping wakes it.
PING_INTERVAL = 0.2
_VIOLATION = "Socket Mode: "
# Called once per upgrade request: (path, lower-cased headers, status, response, violations).
UpgradeRecorder = Callable[[str, dict[str, str], int, dict[str, Any], list[str]], None]


class SupportsRead(Protocol):
    """A binary stream: ``read(n)`` blocks until n bytes or end of stream."""

    def read(self, size: int, /) -> bytes | None:
        """Read up to ``size`` bytes."""


class ProtocolError(Exception):
    """The peer broke RFC 6455; ``code`` is the close status to answer with."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


@dataclass(frozen=True)
class Frame:
    """One WebSocket frame as read off the wire (payload already unmasked)."""

    fin: bool
    opcode: int
    payload: bytes
    masked: bool
    rsv: int = 0


def accept_key(key: str) -> str:
    """Return the ``Sec-WebSocket-Accept`` answer to a ``Sec-WebSocket-Key`` (RFC 6455 4.2.2)."""
    digest = hashlib.sha1((key + WS_GUID).encode("ascii")).digest()  # noqa: S324 - RFC 6455
    return base64.b64encode(digest).decode("ascii")


def _xor(payload: bytes, key: bytes) -> bytes:
    if not payload:
        return payload
    size = len(payload)
    stream = (key * (size // 4 + 1))[:size]
    return (int.from_bytes(payload, "big") ^ int.from_bytes(stream, "big")).to_bytes(size, "big")


def encode_frame(
    opcode: int, payload: bytes = b"", *, mask: bool = False, fin: bool = True
) -> bytes:
    """Build one frame; servers send unmasked frames, clients must mask theirs."""
    head = bytes([(0x80 if fin else 0) | opcode])
    mask_bit = 0x80 if mask else 0
    size = len(payload)
    if size < 126:
        head += bytes([mask_bit | size])
    elif size < 1 << 16:
        head += struct.pack("!BH", mask_bit | 126, size)
    else:
        head += struct.pack("!BQ", mask_bit | 127, size)
    if not mask:
        return head + payload
    key = secrets.token_bytes(4)
    return head + key + _xor(payload, key)


def _read_exact(stream: SupportsRead, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = stream.read(size - len(data))
        if not chunk:
            raise EOFError("the peer closed the connection")
        data += chunk
    return data


def read_frame(stream: SupportsRead, *, max_bytes: int = MAX_MESSAGE_BYTES) -> Frame:
    """Read one frame; raise EOFError when the peer is gone, ProtocolError on a bad header."""
    first, second = _read_exact(stream, 2)
    size = second & 0x7F
    if size == 126:
        (size,) = struct.unpack("!H", _read_exact(stream, 2))
    elif size == 127:
        (size,) = struct.unpack("!Q", _read_exact(stream, 8))
    if size > max_bytes:
        raise ProtocolError(1009, f"frame of {size} bytes is over {max_bytes}")
    masked = bool(second & 0x80)
    key = _read_exact(stream, 4) if masked else b""
    payload = _read_exact(stream, size)
    return Frame(
        fin=bool(first & 0x80),
        opcode=first & 0x0F,
        payload=_xor(payload, key) if masked else payload,
        masked=masked,
        rsv=first & 0x70,
    )


def _check_client_frame(frame: Frame) -> None:
    if not frame.masked:
        raise ProtocolError(1002, "client frames must be masked")
    if frame.rsv:
        raise ProtocolError(1002, "RSV bits set without a negotiated extension")
    if frame.opcode not in _DATA_OPCODES | _CONTROL_OPCODES:
        raise ProtocolError(1002, f"unknown opcode {frame.opcode:#x}")
    if frame.opcode in _CONTROL_OPCODES and (not frame.fin or len(frame.payload) > 125):
        raise ProtocolError(1002, "control frames must be unfragmented and at most 125 bytes")


def _hello(app_id: str, num_connections: int) -> dict[str, Any]:
    return {
        "type": "hello",
        "num_connections": num_connections,
        "debug_info": {
            "host": "applink-sandbox",
            "build_number": 1,
            "approximate_connection_time": 18060,
        },
        "connection_info": {"app_id": app_id},
    }


def _headers(handler: BaseHTTPRequestHandler) -> dict[str, str]:
    return {k.lower(): v for k, v in handler.headers.items()}


def _close_payload(code: int, reason: str = "") -> bytes:
    return struct.pack("!H", code) + reason.encode("utf-8")[:123]


class _Assembler:
    """Joins fragmented data frames into whole messages."""

    def __init__(self) -> None:
        self.opcode: int | None = None
        self.parts: list[bytes] = []
        self.size = 0

    def add(self, frame: Frame) -> tuple[int, bytes] | None:
        if frame.opcode == OP_CONTINUATION:
            if self.opcode is None:
                raise ProtocolError(1002, "continuation frame without a message to continue")
        elif self.opcode is not None:
            raise ProtocolError(1002, "new data frame inside a fragmented message")
        else:
            self.opcode = frame.opcode
        self.parts.append(frame.payload)
        self.size += len(frame.payload)
        if self.size > MAX_MESSAGE_BYTES:
            raise ProtocolError(1009, f"message over {MAX_MESSAGE_BYTES} bytes")
        if not frame.fin:
            return None
        message = (self.opcode, b"".join(self.parts))
        self.opcode, self.parts, self.size = None, [], 0
        return message


class SocketConnection:
    """One open Socket Mode WebSocket, as Slack's end sees it."""

    def __init__(
        self, sock: socket.socket, stream: SupportsRead, *, ticket: str, app_id: str
    ) -> None:
        self.sock = sock
        self.stream = stream
        self.ticket = ticket
        self.app_id = app_id
        self.closed = False
        self._send_lock = threading.Lock()

    def send_frame(self, opcode: int, payload: bytes = b"") -> bool:
        """Send one unmasked frame; False when the socket is gone."""
        with self._send_lock:
            if self.closed:
                return False
            try:
                self.sock.sendall(encode_frame(opcode, payload))
            except OSError:
                self.closed = True
                return False
            return True

    def send_json(self, message: Mapping[str, Any]) -> bool:
        """Send a JSON text frame; False when the socket is gone."""
        return self.send_frame(OP_TEXT, json.dumps(message).encode("utf-8"))

    def mark_closed(self) -> None:
        """Stop sending on this socket."""
        with self._send_lock:
            self.closed = True

    def close(self, code: int = 1000, reason: str = "") -> None:
        """Send a close frame (unless already closed) and shut the socket down."""
        if code in (1005, 1006):
            self.send_frame(OP_CLOSE)
        else:
            self.send_frame(OP_CLOSE, _close_payload(code, reason))
        self.mark_closed()
        # Unblocks the reader thread, which then leaves its loop.
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)


@dataclass
class _Pending:
    done: threading.Event = field(default_factory=threading.Event)
    ack: dict[str, Any] | None = None


class SocketModeHub:
    """FakeSlack's Socket Mode side: single-use tickets, open sockets, envelopes and acks."""

    def __init__(
        self,
        on_violation: Callable[[str], None],
        on_upgrade: UpgradeRecorder,
        *,
        ping_interval: float = PING_INTERVAL,
    ) -> None:
        self.ping_interval = ping_interval
        self._on_violation = on_violation
        self._on_upgrade = on_upgrade
        self._pinger: threading.Thread | None = None
        self._cond = threading.Condition()
        self._tickets: dict[str, str] = {}
        self._connections: list[SocketConnection] = []
        self._pending: dict[str, _Pending] = {}
        self._finished: OrderedDict[str, str] = OrderedDict()

    # ------------------------------------------------------------------ state
    def issue_ticket(self, app_id: str) -> str:
        """Issue a single-use ticket for one connection of ``app_id``."""
        ticket = secrets.token_urlsafe(24)
        with self._cond:
            self._tickets[ticket] = app_id
        return ticket

    @property
    def count(self) -> int:
        """How many WebSockets are open."""
        with self._cond:
            return len(self._connections)

    def wait_for(self, count: int, timeout: float) -> bool:
        """Wait until exactly ``count`` sockets are open; False on timeout."""
        with self._cond:
            return self._cond.wait_for(lambda: len(self._connections) == count, timeout)

    def broadcast(self, message: Mapping[str, Any]) -> int:
        """Send a JSON frame on every open socket; return how many took it."""
        with self._cond:
            targets = list(self._connections)
        return sum(conn.send_json(message) for conn in targets)

    def close_all(self, code: int = 1001, reason: str = "going away") -> None:
        """Close every socket and forget unused tickets."""
        with self._cond:
            targets = list(self._connections)
            self._tickets.clear()
        for conn in targets:
            conn.close(code, reason)

    # ------------------------------------------------------------------ envelopes
    def exchange(self, envelope: Mapping[str, Any], timeout: float) -> dict[str, Any] | None:
        """Send an envelope on the newest socket; return the app's ack frame, None on timeout."""
        envelope_id = str(envelope["envelope_id"])
        pending = _Pending()
        text = json.dumps(envelope).encode("utf-8")
        with self._cond:
            self._pending[envelope_id] = pending
            targets = list(reversed(self._connections))
        # Like Slack, try another open connection when one has just died.
        if not any(conn.send_frame(OP_TEXT, text) for conn in targets):
            with self._cond:
                self._pending.pop(envelope_id, None)
            raise RuntimeError(
                "no Socket Mode connection is open: start the app's SocketModeHandler "
                "(connect()) and call fake.wait_for_socket() first"
            )
        pending.done.wait(timeout)
        with self._cond:
            self._pending.pop(envelope_id, None)
            if pending.ack is None:
                self._finish(envelope_id, "expired")
            return pending.ack

    def _finish(self, envelope_id: str, state: str) -> None:
        self._finished[envelope_id] = state
        while len(self._finished) > _FINISHED_MEMORY:
            self._finished.popitem(last=False)

    def _on_text(self, text: str) -> None:
        try:
            message = json.loads(text)
        except ValueError:
            self._on_violation(f"{_VIOLATION}app sent a text frame that is not JSON: {text[:200]}")
            return
        envelope_id = message.get("envelope_id") if isinstance(message, dict) else None
        if not isinstance(envelope_id, str) or not envelope_id:
            self._on_violation(
                f"{_VIOLATION}app sent a frame that is not an ack "
                f"({{'envelope_id': …, 'payload': …}}): {text[:200]}"
            )
            return
        problem = None
        with self._cond:
            pending = self._pending.pop(envelope_id, None)
            if pending is not None:
                pending.ack = message
                self._finish(envelope_id, "acked")
                pending.done.set()
            elif self._finished.get(envelope_id) == "acked":
                problem = f"envelope {envelope_id} was acked twice"
            elif envelope_id not in self._finished:
                problem = f"ack for envelope {envelope_id}, which Slack never sent"
            # An ack for an expired envelope was already reported by whoever sent it.
        if problem is not None:
            self._on_violation(_VIOLATION + problem)

    # ------------------------------------------------------------------ the endpoint
    def serve(self, handler: BaseHTTPRequestHandler) -> None:
        """Take over an HTTP request to ``/link/``: handshake, hello, then frames until closed."""
        handler.close_connection = True
        conn: SocketConnection | None = None
        try:
            conn = self._handshake(handler)
            if conn is not None:
                self._run(conn)
        except Exception:  # the server thread must survive anything
            self._on_violation(f"fake Slack crashed on a WebSocket: {traceback.format_exc()}")
        finally:
            if conn is not None:
                with self._cond:
                    if conn in self._connections:
                        self._connections.remove(conn)
                    self._cond.notify_all()
                conn.mark_closed()

    def _handshake(self, handler: BaseHTTPRequestHandler) -> SocketConnection | None:
        key = handler.headers.get("Sec-WebSocket-Key", "").strip()
        refusal = self._check_upgrade(handler, key)
        if refusal is not None:
            status, reason = refusal
            self._refuse(handler, status, reason)
            return None
        query = parse_qs(urlsplit(handler.path).query)
        ticket = (query.get("ticket") or [""])[0]
        with self._cond:
            app_id = self._tickets.pop(ticket, None)
        if app_id is None or (query.get("app_id") or [app_id])[0] != app_id:
            self._refuse(
                handler,
                401,
                "unknown or already used ticket (or wrong app_id): each connection needs a "
                "fresh URL from apps.connections.open",
            )
            return None

        violations = []
        with self._cond:
            if len(self._connections) >= MAX_CONNECTIONS:
                violations.append(
                    f"{_VIOLATION}more than {MAX_CONNECTIONS} connections open at once, "
                    "Slack's limit per app (are old ones leaking?)"
                )
        # Recorded before the 101 goes out, so a client that saw it finds the call in order.
        self._on_upgrade(handler.path, _headers(handler), 101, {}, violations)
        handler.send_response(101, "Switching Protocols")
        handler.send_header("Upgrade", "websocket")
        handler.send_header("Connection", "Upgrade")
        handler.send_header("Sec-WebSocket-Accept", accept_key(key))
        handler.end_headers()
        conn = SocketConnection(handler.connection, handler.rfile, ticket=ticket, app_id=app_id)
        with self._cond:
            self._connections.append(conn)
            # Under the lock: no envelope can overtake the hello, and whoever got the hello
            # sees the socket counted.
            conn.send_json(_hello(app_id, len(self._connections)))
            self._cond.notify_all()
            if self._pinger is None:
                self._pinger = threading.Thread(
                    target=self._keep_alive, name="fake-slack-ws-ping", daemon=True
                )
                self._pinger.start()
        return conn

    @staticmethod
    def _check_upgrade(handler: BaseHTTPRequestHandler, key: str) -> tuple[int, str] | None:
        headers = handler.headers
        tokens = {t.strip().lower() for t in headers.get("Connection", "").split(",")}
        if headers.get("Upgrade", "").strip().lower() != "websocket" or "upgrade" not in tokens:
            return 400, "not a WebSocket upgrade request"
        if headers.get("Sec-WebSocket-Version", "").strip() != "13":
            return 426, "Sec-WebSocket-Version must be 13"
        try:
            valid_key = len(base64.b64decode(key, validate=True)) == 16
        except (binascii.Error, ValueError):
            valid_key = False
        if not valid_key:
            return 400, "Sec-WebSocket-Key must be 16 random bytes, base64"
        return None

    def _refuse(self, handler: BaseHTTPRequestHandler, status: int, reason: str) -> None:
        response = {"ok": False, "error": reason}
        violation = f"{_VIOLATION}refused {handler.path.split('?')[0]}: {reason}"
        self._on_upgrade(handler.path, _headers(handler), status, response, [violation])
        body = json.dumps(response).encode("utf-8")
        handler.send_response(status)
        if status == 426:
            handler.send_header("Sec-WebSocket-Version", "13")
        handler.send_header("Content-Type", "application/json; charset=utf-8")
        handler.send_header("Content-Length", str(len(body)))
        handler.send_header("Connection", "close")
        handler.end_headers()
        handler.wfile.write(body)

    def _keep_alive(self) -> None:
        while True:
            with self._cond:
                self._cond.wait(self.ping_interval)
                targets = list(self._connections)
                if not targets:
                    self._pinger = None
                    return
            for conn in targets:
                conn.send_frame(OP_PING, b"applink-sandbox")

    def _run(self, conn: SocketConnection) -> None:
        assembler = _Assembler()
        while True:
            try:
                frame = read_frame(conn.stream)
                _check_client_frame(frame)
                if frame.opcode == OP_CLOSE:
                    self._answer_close(conn, frame.payload)
                    return
                if frame.opcode == OP_PING:
                    conn.send_frame(OP_PONG, frame.payload)
                    continue
                if frame.opcode == OP_PONG:
                    continue
                message = assembler.add(frame)
                if message is not None:
                    self._on_message(*message)
            except (EOFError, OSError):
                # The SDK drops old sockets without a close frame when it reconnects.
                return
            except ProtocolError as exc:
                self._on_violation(f"{_VIOLATION}{exc.reason} (closing with {exc.code})")
                conn.close(exc.code, exc.reason)
                return

    def _on_message(self, opcode: int, data: bytes) -> None:
        if opcode == OP_BINARY:
            self._on_violation(f"{_VIOLATION}app sent a binary frame; Slack only reads text frames")
            return
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise ProtocolError(1007, "text frame is not valid UTF-8") from None
        self._on_text(text)

    def _answer_close(self, conn: SocketConnection, payload: bytes) -> None:
        if len(payload) == 1:
            raise ProtocolError(1002, "close frame with a one-byte body")
        if not payload:
            conn.close(1005)
            return
        (code,) = struct.unpack("!H", payload[:2])
        try:
            payload[2:].decode("utf-8")
        except UnicodeDecodeError:
            raise ProtocolError(1007, "close reason is not valid UTF-8") from None
        conn.close(code)
