"""Jour-fixe nudges, "Did you meet?", feedback polls and the pause offer: buttons and modals.

Answers are written before the ack (GUIDE §2: nothing a person gave may be lost); a refusal
(someone else's poll, a tampered value, an ended pair) writes nothing and is answered by the
global error handler.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot.services import enrollment, feedback
from bot.services import jour_fixe as meetings
from bot.services.clock import local_today, utc_now
from bot.services.jour_fixe import MeetingRefusal, MeetingRefused
from bot.services.timing import at_local, zone
from bot.slack.blocks import jour_fixe as blocks
from bot.slack.blocks.messages import not_enrolled
from bot.slack.forms import THOUGHT_BLOCKS, move_from_state, thought_from_state
from bot.slack.ids import (
    POLL_RATE_PREFIX,
    CheckinActions,
    GhostActions,
    MoveModal,
    NudgeActions,
    PollActions,
    ThoughtModal,
)
from bot.slack.listeners.common import deps_of, modal_meta, t_of, team_of
from bot.slack.metadata import ModalMeta, button_id, rating_of
from bot.slack.posting import post_quietly
from bot.store.models import JourFixe, OutboxKind

PAUSE_OFFER = dt.timedelta(weeks=4)


@contextmanager
def acking(ack: Ack) -> Iterator[None]:
    """Run the write, then ack whatever happened: Slack must hear back within 3 s."""
    try:
        yield
    finally:
        ack()


def _value(body: dict[str, Any]) -> int:
    try:
        return button_id(body["actions"][0]["value"]) or 0
    except (KeyError, IndexError, TypeError):
        return 0


def _meeting(context: BoltContext, session: Any, jf_id: int) -> tuple[JourFixe, Any]:
    return meetings.meeting_for_member(
        jf_id, session=session, team_id=team_of(context), user_id=str(context.user_id)
    )


def met_clicked(
    ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext, respond: Respond
) -> None:
    """ "We met" (or "Yes" to "Did you meet?"): record it and send both partners a poll."""
    deps, t = deps_of(context), t_of(context)
    with acking(ack), deps.unit_of_work() as session:
        jf, actor = _meeting(context, session, _value(body))
        first = meetings.mark_met(jf, actor, session=session, now=utc_now(), timing=deps.timing)
        ids = meetings.messages_about(jf.id, OutboxKind.POLL, session=session)
    respond(replace_original=True, **blocks.met_recorded(t, first_time=first).as_kwargs())
    deps.send_now(client, ids)


def skip_clicked(
    ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext, respond: Respond
) -> None:
    """ "Skip this time": this occurrence only; the partner is told."""
    deps, t = deps_of(context), t_of(context)
    with acking(ack), deps.unit_of_work() as session:
        jf, actor = _meeting(context, session, _value(body))
        meetings.skip(jf, actor, session=session, now=utc_now(), timing=deps.timing)
        partner = meetings.partner(jf, actor).slack_user_id
        ids = meetings.messages_about(jf.id, OutboxKind.NOTICE, session=session)
    respond(replace_original=True, **blocks.skipped_recorded(t, partner).as_kwargs())
    deps.send_now(client, ids)


def not_met_clicked(ack: Ack, body: dict[str, Any], context: BoltContext, respond: Respond) -> None:
    """ "No" to "Did you meet?": the occurrence is recorded as missed."""
    deps, t = deps_of(context), t_of(context)
    with acking(ack), deps.unit_of_work() as session:
        jf, actor = _meeting(context, session, _value(body))
        meetings.mark_not_met(jf, actor, session=session, now=utc_now())
    respond(replace_original=True, **blocks.not_met_recorded(t).as_kwargs())


def move_clicked(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    """ "Move it" or "Moved": ask for the new day and time of this one jour fixe."""
    ack()
    deps, t = deps_of(context), t_of(context)
    with deps.unit_of_work() as session:
        jf, actor = _meeting(context, session, _value(body))
        meta = ModalMeta(language=t.language, timezone=actor.timezone, jour_fixe_id=jf.id)
        view = blocks.move_modal(t, meta, jf.effective_at)
    client.views_open(trigger_id=body["trigger_id"], view=view)


def move_submitted(ack: Ack, view: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    """Move the jour fixe to the chosen local day and time; problems show inline."""
    deps = deps_of(context)
    meta, t = modal_meta(view, context)
    picked = move_from_state(view["state"]["values"])
    if picked is None:
        ack(response_action="errors", errors={MoveModal.DATE: blocks.move_problem(t)})
        return
    day, time = picked
    new_time = at_local(day, time, zone(meta.timezone))
    now = utc_now()
    try:
        with deps.unit_of_work() as session:
            jf, actor = _meeting(context, session, meta.jour_fixe_id or 0)
            meetings.move(jf, actor, new_time, session=session, now=now, timing=deps.timing)
            partner = meetings.partner(jf, actor).slack_user_id
            ids = meetings.messages_about(jf.id, OutboxKind.NOTICE, session=session)
    except MeetingRefused as exc:
        block = MoveModal.TIME if exc.reason is MeetingRefusal.BAD_TIME else MoveModal.DATE
        ack(response_action="errors", errors={block: blocks.meeting_refused(t, exc.reason).text})
        return
    ack()
    done = blocks.moved_recorded(t, partner, new_time, meta.timezone, now)
    post_quietly(client, str(context.user_id), done, what="a move confirmation")
    deps.send_now(client, ids)


def rating_clicked(ack: Ack, body: dict[str, Any], context: BoltContext, respond: Respond) -> None:
    """A click on 1-5: record it (a later click replaces it) and show what was recorded."""
    deps, t = deps_of(context), t_of(context)
    action = (body.get("actions") or [{}])[0]
    rating = rating_of(action.get("action_id"))
    with acking(ack), deps.unit_of_work() as session:
        if rating is None:
            raise MeetingRefused(MeetingRefusal.NOT_FOUND)
        poll, _ = feedback.poll_for_member(
            _value(body), session=session, team_id=team_of(context), user_id=str(context.user_id)
        )
        feedback.record_rating(poll, rating, session=session, now=utc_now())
        reply = blocks.poll_for(t, poll, feedback.answer_of(poll.id, session=session))
    respond(replace_original=True, **reply.as_kwargs())


def share_clicked(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    """ "Share a thought": open the short agile-feedback modal, prefilled with earlier text."""
    ack()
    deps, t = deps_of(context), t_of(context)
    with deps.unit_of_work() as session:
        poll, _ = feedback.poll_for_member(
            _value(body), session=session, team_id=team_of(context), user_id=str(context.user_id)
        )
        meta = ModalMeta(language=t.language, poll_id=poll.id)
        view = blocks.thought_modal(t, meta, feedback.answer_of(poll.id, session=session))
    client.views_open(trigger_id=body["trigger_id"], view=view)


def thought_submitted(
    ack: Ack, view: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    """Store the free-text feedback; it is never shown to the partner."""
    deps = deps_of(context)
    meta, t = modal_meta(view, context)
    thought = thought_from_state(view["state"]["values"])
    if thought.too_long():
        too_long = blocks.thought_too_long(t)
        ack(
            response_action="errors",
            errors={THOUGHT_BLOCKS[f]: too_long for f in thought.too_long()},
        )
        return
    try:
        with deps.unit_of_work() as session:
            poll, _ = feedback.poll_for_member(
                meta.poll_id or 0,
                session=session,
                team_id=team_of(context),
                user_id=str(context.user_id),
            )
            feedback.save_thought(poll, thought, session=session, now=utc_now())
            reply = blocks.poll_for(t, poll, feedback.answer_of(poll.id, session=session))
            where = feedback.poll_message_ref(poll.id, session=session)
    except MeetingRefused as exc:
        block = ThoughtModal.LEARNED
        ack(response_action="errors", errors={block: blocks.meeting_refused(t, exc.reason).text})
        return
    ack()
    channel, ts = where
    if channel and ts:
        # Best effort: the poll message now offers "Edit your thought".
        try:
            client.chat_update(channel=channel, ts=ts, **reply.as_kwargs())
        except Exception:
            post_quietly(client, str(context.user_id), blocks.thought_saved(t), what="a thanks")
    else:
        post_quietly(client, str(context.user_id), blocks.thought_saved(t), what="a thanks")


def ghost_pause_clicked(ack: Ack, context: BoltContext, respond: Respond) -> None:
    """ "Pause for 4 weeks" after three silent misses."""
    deps, t = deps_of(context), t_of(context)
    user = deps.users.lookup(str(context.user_id))
    until = local_today(user.timezone if user else None) + PAUSE_OFFER
    try:
        with acking(ack), deps.unit_of_work() as session:
            enrollment.pause(
                until, session=session, team_id=team_of(context), user_id=str(context.user_id)
            )
    except enrollment.NotEnrolled:
        respond(replace_original=True, **not_enrolled(t).as_kwargs())
        return
    respond(replace_original=True, **blocks.paused_by_ghost_check(t, until).as_kwargs())


def ghost_keep_clicked(ack: Ack, context: BoltContext, respond: Respond) -> None:
    """ "Keep going": nothing changes."""
    ack()
    respond(replace_original=True, **blocks.keep_going(t_of(context)).as_kwargs())


def register(app: App) -> None:
    """Attach the jour-fixe and poll listeners."""
    app.action(NudgeActions.MET.value)(met_clicked)
    app.action(CheckinActions.YES.value)(met_clicked)
    app.action(NudgeActions.SKIP.value)(skip_clicked)
    app.action(CheckinActions.NO.value)(not_met_clicked)
    app.action(NudgeActions.MOVE.value)(move_clicked)
    app.action(CheckinActions.MOVED.value)(move_clicked)
    for rating in blocks.RATINGS:
        app.action(f"{POLL_RATE_PREFIX}{rating}")(rating_clicked)
    app.action(PollActions.SHARE.value)(share_clicked)
    app.action(GhostActions.PAUSE.value)(ghost_pause_clicked)
    app.action(GhostActions.KEEP.value)(ghost_keep_clicked)
    app.view(MoveModal.CALLBACK.value)(move_submitted)
    app.view(ThoughtModal.CALLBACK.value)(thought_submitted)
