"""Every callback_id, block_id and action_id the bot uses, grouped per flow."""

from __future__ import annotations

from enum import StrEnum


class JoinModal(StrEnum):
    """The profile modal opened by `/mentor join` (and by the Home tab)."""

    CALLBACK = "mentor_join"
    ROLE = "role"
    SKILLS_OFFERED = "skills_offered"
    SKILLS_WANTED = "skills_wanted"
    DEPARTMENT = "department"
    LANGUAGES = "languages"
    CADENCE = "cadence"
    WEEKDAY = "weekday"
    TIME_WINDOW = "time_window"
    ABOUT = "about"
    CAPACITY = "capacity"
    AVOID = "avoid"
    CONSENT = "consent"
    CONSENT_GIVEN = "given"


class SkillsModal(StrEnum):
    """The skills-only modal opened by `/mentor skills`."""

    CALLBACK = "mentor_skills"


# Per-skill level pickers live in blocks named `<prefix><skill key>`.
LEVEL_OFFERED_PREFIX = "level_offered__"
LEVEL_WANTED_PREFIX = "level_wanted__"


class PauseModal(StrEnum):
    """The pause modal opened from the Home tab."""

    CALLBACK = "mentor_pause"
    UNTIL = "pause_until"


class MatchActions(StrEnum):
    """Buttons on an HR matching preview."""

    CREATE = "match_create"
    CANCEL = "match_cancel"


class PairActions(StrEnum):
    """Buttons on a pair's intro."""

    SCHEDULE = "pair_schedule"
    DOESNT_FIT = "pair_doesnt_fit"
    END = "pair_end"


class ScheduleModal(StrEnum):
    """The jour-fixe schedule modal opened from a pair's intro."""

    CALLBACK = "pair_schedule_modal"
    WEEKDAY = "jf_weekday"
    TIME = "jf_time"
    CADENCE = "jf_cadence"


class Actions(StrEnum):
    """Buttons in messages and on the Home tab."""

    HOME_JOIN = "home_join"
    HOME_EDIT_PROFILE = "home_edit_profile"
    HOME_EDIT_SKILLS = "home_edit_skills"
    HOME_PAUSE = "home_pause"
    HOME_RESUME = "home_resume"
    HOME_LEAVE = "home_leave"
    LEAVE_CONFIRM = "leave_confirm"
    LEAVE_CANCEL = "leave_cancel"
    OPEN_JOIN = "open_join"
