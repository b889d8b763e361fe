"""The sent mark: fenced by the lease, written at once, and it survives a dropped connection."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from bot.store.db import Database
from bot.store.models import Outbox, OutboxKind, OutboxStatus, Participant
from bot.store.outbox import Marker
from tests.helpers import make_pair

NOW = dt.datetime(2026, 12, 2, 8, 0, 5, 123456, tzinfo=dt.UTC)


def _row(db: Database, owner: str) -> int:
    make_pair(db)
    with db.sessions.begin() as s:
        person = s.scalar(select(Participant).where(Participant.slack_user_id == "UANNA"))
        assert person is not None
        row = Outbox(
            team_id="T0001",
            kind=OutboxKind.NUDGE,
            subject_id=1,
            occurrence_key="marker",
            participant_id=person.id,
            due_at=NOW,
            expires_at=NOW + dt.timedelta(hours=1),
            status=OutboxStatus.SENDING,
            lease_owner=owner,
            lease_until=NOW + dt.timedelta(minutes=1),
            attempts=1,
        )
        s.add(row)
        s.flush()
        return row.id


def _stored(db: Database, row_id: int) -> Outbox:
    with db.sessions() as s:
        row = s.get(Outbox, row_id)
        assert row is not None
        return row


def test_only_the_lease_owner_marks_a_row_sent_and_every_field_lands(db: Database) -> None:
    row_id = _row(db, "me")
    marker = Marker(db.engine)
    try:
        assert not marker.mark_sent(
            row_id, owner="someone-else", now=NOW, channel_id="D1", message_ts="1.1"
        )
        assert _stored(db, row_id).status is OutboxStatus.SENDING
        assert marker.mark_sent(row_id, owner="me", now=NOW, channel_id="D1", message_ts="1.2")
        # Committed at once: another session sees it while the marker's connection is open.
        row = _stored(db, row_id)
        assert (row.status, row.channel_id, row.message_ts) == (OutboxStatus.SENT, "D1", "1.2")
        assert row.sent_at == NOW and row.lease_owner is None and row.lease_until is None
        # Marking twice changes nothing: the row is no longer "sending".
        assert not marker.mark_sent(row_id, owner="me", now=NOW, channel_id="D1", message_ts="1.2")
    finally:
        marker.close()


def test_a_dropped_connection_is_replaced_and_the_mark_still_lands(db: Database) -> None:
    row_id = _row(db, "me")
    marker = Marker(db.engine)
    try:
        marker._cursor()  # open it
        marker._raw.close()  # the server (or a proxy) dropped it
        assert marker.mark_sent(row_id, owner="me", now=NOW, channel_id="D2", message_ts="2.1")
        assert _stored(db, row_id).status is OutboxStatus.SENT
    finally:
        marker.close()
