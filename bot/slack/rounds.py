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
from bot.services.pairing import Delivery, RoundSummary
from bot.slack.blocks.pairing import first_topic, intro_message, unmatched_message
from bot.slack.posting import post_quietly
from bot.slack.users import UserDirectory
from bot.store.db import Database, session_scope
from bot.store.models import MatchRound, Participant, RoundStatus, SkillKind, Status

log = logging.getLogger(__name__)
# conversations.open answers these when one of the users cannot be reached at all.
UNREACHABLE = frozenset({"user_disabled", "user_not_found", "user_not_visible", "account_inactive"})


def deliver_round(
    round_: MatchRound,
    *,
    client: WebClient,
    db: Database,
    catalog: CatalogDef,
    users: UserDirectory,
    default_language: str,
) -> Delivery:
    """Create each planned pair whose group DM opens, introduce it, and DM everyone left out.

    Safe to run again on the same round: pairs it already created are skipped, so a press
    after a crash or a Slack outage finishes the job instead of repeating it.
    """
    assert round_.status is RoundStatus.APPLIED, "claim the round first"
    report = Delivery()
    left_out = dict(pairing.unmatched_of(round_))
    paired: set[int] = set()
    for planned in pairing.planned_pairs(round_):
        outcome = _deliver_pair(planned, round_, client, db, catalog, default_language)
        report.created += outcome.created
        report.unreachable += outcome.unreachable
        report.failed += outcome.failed
        if outcome.reason is not None:
            # Somebody of the pair cannot take part (left, paused, unreachable): the other is
            # told; whoever is no longer active is skipped below.
            for pid in (planned.mentor_id, planned.mentee_id):
                left_out.setdefault(pid, outcome.reason)
        elif not outcome.failed:
            paired.update((planned.mentor_id, planned.mentee_id))
    for pid, reason in sorted(left_out.items()):
        if pid in paired:
            continue
        with session_scope(db.sessions) as session:
            person = session.get(Participant, pid)
            active = person is not None and person.status is Status.ACTIVE
            user_id = person.slack_user_id if person is not None else ""
        if not active:
            continue
        t = translator(users.language(user_id))
        if post_quietly(client, user_id, unmatched_message(t, reason), what="a not-matched note"):
            report.told += 1
    with session_scope(db.sessions) as session:
        fresh = session.get(MatchRound, round_.id)
        assert fresh is not None
        pairing.finish_round(fresh, complete=report.failed == 0)
    return report


@dataclass(frozen=True)
class _Outcome:
    created: int = 0
    reason: str | None = None
    unreachable: int = 0
    failed: int = 0


def _deliver_pair(
    planned: pairing.PlannedPair,
    round_: MatchRound,
    client: WebClient,
    db: Database,
    catalog: CatalogDef,
    default_language: str,
) -> _Outcome:
    """Open the pair's group DM, record the pair and introduce it (or say why not)."""
    with session_scope(db.sessions) as session:
        if pairing.pair_of_round(round_.id, planned, session=session) is not None:
            return _Outcome()  # created by an earlier attempt at this round
        mentor = session.get(Participant, planned.mentor_id)
        mentee = session.get(Participant, planned.mentee_id)
        # Someone may have left or paused since the preview: no group DM then.
        if mentor is None or mentee is None or mentor.status is not Status.ACTIVE:
            return _Outcome(reason="partner_unavailable")
        if mentee.status is not Status.ACTIVE:
            return _Outcome(reason="partner_unavailable")
    try:
        users = f"{mentor.slack_user_id},{mentee.slack_user_id}"
        opened = client.conversations_open(users=users)
    except SlackApiError as exc:
        error = exc.response.get("error")
        if error not in UNREACHABLE:
            log.error("conversations.open failed in round %s: %s", round_.id, error)
            return _Outcome(failed=1)
        gone = _unreachable_members(client, mentor, mentee)
        if not gone:
            return _Outcome(failed=1)
        with session_scope(db.sessions) as session:
            for person in gone:
                pairing.mark_unreachable(person.id, session=session)
        log.warning("Round %s: %d people unreachable in Slack", round_.id, len(gone))
        return _Outcome(reason="unreachable", unreachable=len(gone))
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
            return _Outcome(reason="partner_unavailable")
        t = translator(language)
        offers = sorted(
            pair.mentor.skill_levels(SkillKind.OFFERED),
            key=lambda k: (k not in planned.covered, k),
        )
        topic = first_topic(t, catalog, list(planned.covered))
        intro = intro_message(t, catalog, pair, mentor_offers=offers, topic=topic)
        channel = str(pair.channel_id)
    post_quietly(client, channel, intro, what="an intro", ref=f"round {round_.id}")
    return _Outcome(created=1)


def _unreachable_members(
    client: WebClient, mentor: Participant, mentee: Participant
) -> list[Participant]:
    """Which of the two Slack cannot reach; only a definite answer counts, never a hiccup."""
    gone = []
    for person in (mentor, mentee):
        try:
            info = client.users_info(user=person.slack_user_id)
        except SlackApiError as exc:
            if exc.response.get("error") == "user_not_found":
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
    if round_.status is RoundStatus.STALE:
        # The pool changed between planning and claiming (another round, a leave): stop.
        raise pairing.RoundRefused(pairing.RoundRefusal.STALE)
    delivery = deliver_round(
        round_,
        client=client,
        db=db,
        catalog=catalog,
        users=users,
        default_language=default_language,
    )
    return summary, delivery
