"""The ack Bolt's request thread waits for: kept once given, and seen as soon as given."""

from __future__ import annotations

import threading
import time

from slack_bolt import BoltResponse

from bot.app import LISTENER_THREAD_PREFIX, StickyAck


def _read_once_in(thread_name: str, ack: StickyAck) -> tuple[threading.Thread, list[object]]:
    seen: list[object] = []
    reader = threading.Thread(target=lambda: seen.append(ack.response), name=thread_name)
    reader.start()
    return reader, seen


def test_the_request_thread_sees_the_ack_on_the_look_during_which_it_is_given() -> None:
    ack = StickyAck()
    # Bolt's request thread looks at ack.response, and sleeps 10 ms between looks.
    reader, seen = _read_once_in("gthread-request", ack)
    time.sleep(0.05)  # the listener acks while that one look is under way
    ack(text="ok")
    reader.join(5)
    assert len(seen) == 1 and isinstance(seen[0], BoltResponse) and seen[0].status == 200


def test_a_listener_thread_never_waits_for_the_ack() -> None:
    ack = StickyAck()
    reader, seen = _read_once_in(f"{LISTENER_THREAD_PREFIX}_3", ack)
    time.sleep(0.05)
    ack(text="late")  # a waiting look would have seen this
    reader.join(5)
    assert seen == [None]


def test_an_ack_given_stays_given_when_bolt_resets_it_after_an_error() -> None:
    ack = StickyAck()
    ack(text="ok")
    ack.response = None  # what Bolt's runner does when the listener raises after its ack
    assert ack.response is not None and ack.response.status == 200
