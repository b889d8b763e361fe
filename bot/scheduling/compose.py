"""Turn an outbox row and what it is about into the message to send, in the recipient's language."""

from __future__ import annotations

import datetime as dt

from bot.i18n import language_for, translator
from bot.services.catalog import CatalogDef, session_topic
from bot.services.reminders import Subject
from bot.slack.blocks import jour_fixe as blocks
from bot.slack.blocks.common import Message
from bot.slack.blocks.pairing import first_topic
from bot.store.models import Outbox, OutboxKind, Participant


def _partner(subject: Subject) -> Participant | None:
    pair = subject.pair
    if pair is None:
        return None
    return pair.mentee if pair.mentor_id == subject.recipient.id else pair.mentor


def render(
    row: Outbox, subject: Subject, *, catalog: CatalogDef, default_language: str, now: dt.datetime
) -> Message:
    """The message for one row (the dispatcher decided already that it is to be sent)."""
    me = subject.recipient
    t = translator(language_for(me.locale, default_language))
    partner = _partner(subject)
    partner_id = partner.slack_user_id if partner is not None else ""
    jf, tz = subject.jour_fixe, me.timezone
    if row.kind is OutboxKind.GHOST:
        return blocks.ghost_message(
            t, misses=int(row.payload.get("misses", 3)), partner=partner_id or None
        )
    assert jf is not None
    assert subject.pair is not None
    if row.kind is OutboxKind.NUDGE:
        pair = subject.pair
        index = (jf.occurrence - (pair.first_meeting or jf.occurrence)).days // 7
        topic = session_topic(catalog, pair.covered or [], t.language, index)
        return blocks.nudge_message(
            t,
            jf_id=jf.id,
            partner=partner_id,
            meeting=jf.effective_at,
            tz_name=tz,
            now=now,
            topic=topic or first_topic(t, catalog, list(pair.covered or [])),
        )
    if row.kind is OutboxKind.CHECKIN:
        return blocks.checkin_message(
            t, jf_id=jf.id, partner=partner_id, meeting=jf.effective_at, tz_name=tz, now=now
        )
    if row.kind is OutboxKind.POLL:
        assert subject.poll is not None
        return blocks.poll_for(t, subject.poll)
    # NOTICE: the partner (who acted) moved or skipped this jour fixe.
    builder = blocks.moved_notice if row.payload.get("what") == "moved" else blocks.skipped_notice
    return builder(t, by=partner_id, meeting=jf.effective_at, tz_name=tz, now=now)
