"""Carry out an applied matching round in Slack: open group DMs, introduce pairs, tell the rest."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.i18n import translator
from bot.services import pairing
from bot.services.catalog import CatalogDef
from bot.services.matching import MatchConfig
from bot.services.pairing import RoundSummary
from bot.slack.blocks.common import Message
from bot.slack.blocks.pairing import first_topic, intro_message, unmatched_message
from bot.slack.users import UserDirectory
from bot.store.db import Database, session_scope
from bot.store.models import MatchRound, Participant, SkillKind

log = logging.getLogger(__name__)
# conversations.open answers these when one of the users cannot be reached at all.
UNREACHABLE = frozenset({"user_disabled", "user_not_found", "user_not_visible", "account_inactive"})


@dataclass
class Delivery:
    """What carrying out a round did."""

    created: int = 0
    told: int = 0
    unreachable: int = 0
    skipped: int = 0


def deliver_round(
    round_: MatchRound,
    *,
    client: WebClient,
    db: Database,
    catalog: CatalogDef,
    users: UserDirectory,
    default_language: str,
) -> Delivery:
    """Create each planned pair whose group DM opens, introduce it, and DM everyone left out."""
    report = Delivery()
    left_out = dict(pairing.unmatched_of(round_))
    for planned in pairing.planned_pairs(round_):
        with session_scope(db.sessions) as session:
            mentor = session.get(Participant, planned.mentor_id)
            mentee = session.get(Participant, planned.mentee_id)
        if mentor is None or mentee is None:
            report.skipped += 1
            continue
        try:
            opened = client.conversations_open(
                users=f"{mentor.slack_user_id},{mentee.slack_user_id}"
            )
        except SlackApiError as exc:
            if exc.response.get("error") not in UNREACHABLE:
                raise
            gone = _unreachable_members(client, mentor, mentee)
            with session_scope(db.sessions) as session:
                for person in gone:
                    pairing.mark_unreachable(person.id, session=session)
            report.unreachable += len(gone)
            for person in (mentor, mentee):
                if person not in gone:
                    left_out[person.id] = "unreachable"
            continue
        with session_scope(db.sessions) as session:
            language = pairing.intro_language(mentor, mentee, default_language)
            pair = pairing.create_pair(
                planned,
                session=session,
                team_id=round_.team_id,
                round_id=round_.id,
                channel_id=opened["channel"]["id"],
                language=language,
            )
            if pair is None:
                report.skipped += 1
                continue
            t = translator(language)
            offers = sorted(
                pair.mentor.skill_levels(SkillKind.OFFERED),
                key=lambda k: (k not in planned.covered, k),
            )
            intro = intro_message(
                t,
                catalog,
                pair,
                mentor_offers=offers,
                topic=first_topic(t, catalog, list(planned.covered)),
            )
            channel = pair.channel_id
        _post(client, str(channel), intro)
        report.created += 1
    with session_scope(db.sessions) as session:
        people = {
            p.id: (p.slack_user_id, p.status)
            for pid in left_out
            if (p := session.get(Participant, pid)) is not None
        }
    for pid, reason in sorted(left_out.items()):
        if pid not in people:
            continue
        user_id, _status = people[pid]
        t = translator(users.language(user_id))
        if _post(client, user_id, unmatched_message(t, reason)):
            report.told += 1
    return report


def _post(client: WebClient, channel: str, message: Message) -> bool:
    try:
        client.chat_postMessage(channel=channel, **message.as_kwargs())
    except SlackApiError as exc:
        log.error("Could not post to %s: %s", channel, exc.response.get("error"))
        return False
    return True


def _unreachable_members(
    client: WebClient, mentor: Participant, mentee: Participant
) -> list[Participant]:
    """Which of the two Slack cannot reach (conversations.open does not say)."""
    gone = []
    for person in (mentor, mentee):
        try:
            info = client.users_info(user=person.slack_user_id)
        except SlackApiError:
            gone.append(person)
            continue
        user: dict[str, object] = info.get("user") or {}
        if user.get("deleted"):
            gone.append(person)
    return gone


def run_round(
    team_id: str,
    *,
    client: WebClient,
    db: Database,
    catalog: CatalogDef,
    users: UserDirectory,
    config: MatchConfig,
    default_language: str,
    actor: str,
) -> tuple[RoundSummary, Delivery]:
    """An unattended round (CLI, scheduler): match the pool, create pairs, tell everyone."""
    with session_scope(db.sessions) as session:
        round_id = pairing.preview_round(
            team_id, session=session, config=config, requested_by=actor
        ).id
    with session_scope(db.sessions) as session:
        round_ = pairing.claim_round(round_id, session=session, team_id=team_id, actor=actor)
        summary = pairing.summarize(round_)
    delivery = deliver_round(
        round_,
        client=client,
        db=db,
        catalog=catalog,
        users=users,
        default_language=default_language,
    )
    return summary, delivery
