"""The scheduler lock: one process holds it, and all of that process's job threads share it."""

from __future__ import annotations

import threading

from bot.scheduling.lock import LeaderLock
from bot.store.db import Database


def test_job_threads_of_one_process_all_see_the_lock_as_theirs(db: Database) -> None:
    lock = LeaderLock(db)
    start = threading.Barrier(8)
    answers: list[bool] = []

    def job() -> None:
        start.wait()
        answers.append(lock.acquire())

    threads = [threading.Thread(target=job) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        # Without one thread at a time, the threads that lost the race to the first session
        # would find the lock "taken" (by their own process) and skip their tick.
        assert answers == [True] * 8
        other = LeaderLock(db)  # another process, as far as the database can tell
        assert other.acquire() is False
    finally:
        lock.release()
    other = LeaderLock(db)
    try:
        assert other.acquire() is True
    finally:
        other.release()
