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
    TIMEZONE = "jf_timezone"


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


class NudgeActions(StrEnum):
    """Buttons on a jour-fixe nudge; the value is the jour fixe's id."""

    MET = "jf_met"
    MOVE = "jf_move"
    SKIP = "jf_skip"


class CheckinActions(StrEnum):
    """Buttons on "Did you meet?"; the value is the jour fixe's id."""

    YES = "jf_checkin_yes"
    NO = "jf_checkin_no"
    MOVED = "jf_checkin_moved"


# Rating buttons are `poll_rate_1` … `poll_rate_5` (action ids are unique per block).
POLL_RATE_PREFIX = "poll_rate_"


class PollActions(StrEnum):
    """Buttons on a feedback poll; the value is the poll's id."""

    SHARE = "poll_share"


class ThoughtModal(StrEnum):
    """The "Share a thought" modal: short agile feedback."""

    CALLBACK = "poll_thought"
    LEARNED = "fb_learned"
    TRY_NEXT = "fb_try_next"
    KEEP = "fb_keep"
    STOP = "fb_stop"
    START = "fb_start"


class MoveModal(StrEnum):
    """The modal that moves one jour fixe."""

    CALLBACK = "jf_move_modal"
    DATE = "jf_move_date"
    TIME = "jf_move_time"


class GhostActions(StrEnum):
    """Buttons on "Would you like to pause?"."""

    PAUSE = "ghost_pause"
    KEEP = "ghost_keep"
