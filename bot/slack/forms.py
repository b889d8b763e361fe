"""Modal state (Slack's `view.state.values`) to domain forms, and profiles back to drafts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, TypeVar

from bot.services.enrollment import DEFAULT_LEVEL, ProfileForm, SkillsForm
from bot.services.feedback import Thought
from bot.slack.ids import (
    LEVEL_OFFERED_PREFIX,
    LEVEL_WANTED_PREFIX,
    JoinModal,
    MoveModal,
    ScheduleModal,
    ThoughtModal,
)
from bot.store.models import Cadence, Participant, Role, SkillKind, TimeWindow

State = Mapping[str, Mapping[str, Any]]
E = TypeVar("E", Role, Cadence, TimeWindow)


def _element(state: State, block_id: str) -> Mapping[str, Any]:
    # Each of our input blocks holds exactly one element; its action_id equals the block_id.
    block = state.get(block_id) or {}
    return next(iter(block.values()), {}) if isinstance(block, Mapping) else {}


def _text(state: State, block_id: str) -> str:
    value = _element(state, block_id).get("value")
    return value if isinstance(value, str) else ""


def _one(state: State, block_id: str) -> str | None:
    option = _element(state, block_id).get("selected_option") or {}
    value = option.get("value") if isinstance(option, Mapping) else None
    return value if isinstance(value, str) else None


def _many(state: State, block_id: str) -> list[str]:
    options = _element(state, block_id).get("selected_options") or []
    return [
        o["value"] for o in options if isinstance(o, Mapping) and isinstance(o.get("value"), str)
    ]


def _users(state: State, block_id: str) -> list[str]:
    users = _element(state, block_id).get("selected_users") or []
    return [u for u in users if isinstance(u, str)]


def _enum_or(cls: type[E], raw: str | None, default: E) -> E:
    try:
        return cls(raw) if raw is not None else default
    except ValueError:
        return default


def _levels(state: State, keys: list[str], prefix: str, kind: SkillKind) -> dict[str, int]:
    levels = {}
    for key in keys:
        raw = _one(state, prefix + key)
        levels[key] = int(raw) if raw in {"1", "2", "3", "4", "5"} else DEFAULT_LEVEL[kind]
    return levels


def selected_date(state: State, block_id: str) -> str | None:
    """The ISO date picked in a datepicker, if any."""
    value = _element(state, block_id).get("selected_date")
    return value if isinstance(value, str) else None


def levels_shown(chosen: Mapping[str, int], state: State) -> bool:
    """Whether the modal had a level picker for every chosen skill when it was submitted."""
    offered = set(_many(state, JoinModal.SKILLS_OFFERED))
    return all(
        (LEVEL_OFFERED_PREFIX if key in offered else LEVEL_WANTED_PREFIX) + key in state
        for key in chosen
    )


def skills_from_state(state: State) -> SkillsForm:
    """The skills (with levels) currently chosen in a join or skills modal."""
    offered = _many(state, JoinModal.SKILLS_OFFERED)
    wanted = _many(state, JoinModal.SKILLS_WANTED)
    return SkillsForm(
        offered=_levels(state, offered, LEVEL_OFFERED_PREFIX, SkillKind.OFFERED),
        wanted=_levels(state, wanted, LEVEL_WANTED_PREFIX, SkillKind.WANTED),
    )


def profile_from_state(state: State) -> ProfileForm:
    """Everything the join modal currently holds, as a (not yet validated) form."""
    skills = skills_from_state(state)
    role = _one(state, JoinModal.ROLE)
    weekday = _one(state, JoinModal.WEEKDAY)
    capacity = _one(state, JoinModal.CAPACITY)
    return ProfileForm(
        role=_enum_or(Role, role, Role.MENTOR) if role else None,
        offered=skills.offered,
        wanted=skills.wanted,
        department=_text(state, JoinModal.DEPARTMENT),
        languages=tuple(_many(state, JoinModal.LANGUAGES)),
        cadence=_enum_or(Cadence, _one(state, JoinModal.CADENCE), Cadence.BIWEEKLY),
        weekday=int(weekday) if weekday in {"0", "1", "2", "3", "4"} else None,
        time_window=_enum_or(TimeWindow, _one(state, JoinModal.TIME_WINDOW), TimeWindow.ANY),
        about=_text(state, JoinModal.ABOUT),
        consent=JoinModal.CONSENT_GIVEN in _many(state, JoinModal.CONSENT),
        capacity=int(capacity) if capacity in {"1", "2", "3"} else 1,
        avoid=tuple(_users(state, JoinModal.AVOID)),
    )


def profile_from_participant(p: Participant, avoid: list[str]) -> ProfileForm:
    """A stored profile (and private avoid list) as a draft to prefill the join modal."""
    return ProfileForm(
        role=p.role,
        offered=p.skill_levels(SkillKind.OFFERED),
        wanted=p.skill_levels(SkillKind.WANTED),
        department=p.department or "",
        languages=tuple(p.languages or ()),
        cadence=p.cadence,
        weekday=p.preferred_weekday,
        time_window=p.time_window,
        about=p.about or "",
        consent=p.consent_at is not None,
        capacity=p.mentor_capacity,
        avoid=tuple(avoid),
    )


def empty_profile(language: str) -> ProfileForm:
    """A fresh draft, with the person's UI language preselected as a meeting language."""
    return ProfileForm(
        role=None,
        offered={},
        wanted={},
        department="",
        languages=(language,),
        cadence=Cadence.BIWEEKLY,
        weekday=None,
        time_window=TimeWindow.ANY,
        about="",
        consent=False,
    )


# Block id of each "Share a thought" field, by the Thought attribute it fills.
THOUGHT_BLOCKS = {
    "learned": ThoughtModal.LEARNED,
    "try_next": ThoughtModal.TRY_NEXT,
    "keep": ThoughtModal.KEEP,
    "stop": ThoughtModal.STOP,
    "start": ThoughtModal.START,
}


def thought_from_state(state: State) -> Thought:
    """The free-text feedback typed into the "Share a thought" modal."""
    return Thought(**{name: _text(state, block) for name, block in THOUGHT_BLOCKS.items()})


def move_from_state(state: State) -> tuple[dt.date, dt.time] | None:
    """The local day and time picked in the move modal, or None if either is missing."""
    day = selected_date(state, MoveModal.DATE)
    time = _element(state, MoveModal.TIME).get("selected_time")
    try:
        return dt.date.fromisoformat(str(day)), dt.time.fromisoformat(str(time))
    except ValueError:
        return None


def schedule_zone_from_state(state: State) -> str | None:
    """The time zone picked in the jour-fixe modal (checked against the pair by the caller)."""
    return _one(state, ScheduleModal.TIMEZONE)


def schedule_from_state(state: State) -> tuple[int, dt.time, Cadence]:
    """Weekday, local time and cadence from the jour-fixe modal (safe defaults if tampered)."""
    weekday = _one(state, ScheduleModal.WEEKDAY)
    raw_time = _element(state, ScheduleModal.TIME).get("selected_time")
    try:
        local_time = dt.time.fromisoformat(raw_time) if isinstance(raw_time, str) else dt.time(15)
    except ValueError:
        local_time = dt.time(15)
    return (
        int(weekday) if weekday in {"0", "1", "2", "3", "4"} else 2,
        local_time,
        _enum_or(Cadence, _one(state, ScheduleModal.CADENCE), Cadence.BIWEEKLY),
    )
