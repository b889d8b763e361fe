"""Typed private_metadata for our modals: dumped and parsed in one place."""

from __future__ import annotations

import json
from dataclasses import dataclass

from bot.config import SUPPORTED_LANGUAGES
from bot.slack.ids import POLL_RATE_PREFIX


@dataclass(frozen=True)
class ModalMeta:
    """What a modal carries from opening to submission, so the ack needs no Slack lookup."""

    language: str
    role: str | None = None
    timezone: str | None = None
    editing: bool = False
    pair_id: int | None = None
    jour_fixe_id: int | None = None
    poll_id: int | None = None

    def dump(self) -> str:
        """Serialise for `private_metadata` (kept far below Slack's 3000-character cap)."""
        data = {
            "v": 1,
            "lang": self.language,
            "role": self.role,
            "tz": self.timezone,
            "edit": self.editing,
            "pair": self.pair_id,
            "jf": self.jour_fixe_id,
            "poll": self.poll_id,
        }
        return json.dumps(data, separators=(",", ":"))

    @classmethod
    def parse(cls, raw: str | None, default_language: str) -> ModalMeta:
        """Parse defensively: metadata arrives from the network, so never trust its shape."""
        try:
            data = json.loads(raw or "{}")
        except ValueError:
            data = {}
        if not isinstance(data, dict):
            data = {}
        lang, role, tz = data.get("lang"), data.get("role"), data.get("tz")
        return cls(
            language=lang if lang in SUPPORTED_LANGUAGES else default_language,
            role=role if role in ("mentor", "mentee") else None,
            timezone=tz if isinstance(tz, str) and 0 < len(tz) <= 64 else None,
            editing=data.get("edit") is True,
            pair_id=_int(data.get("pair")),
            jour_fixe_id=_int(data.get("jf")),
            poll_id=_int(data.get("poll")),
        )


def _int(value: object) -> int | None:
    # bool is an int in Python; an id never is.
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def button_id(value: object) -> int | None:
    """The id a button carries, or None: values come back from the network, never trusted."""
    if not isinstance(value, str) or not value.isdigit() or len(value) > 18:
        return None
    return int(value)


def rating_of(action_id: object) -> int | None:
    """The rating 1-5 encoded in a rating button's action id, or None."""
    if not isinstance(action_id, str) or not action_id.startswith(POLL_RATE_PREFIX):
        return None
    tail = action_id.removeprefix(POLL_RATE_PREFIX)
    return int(tail) if tail in {"1", "2", "3", "4", "5"} else None
