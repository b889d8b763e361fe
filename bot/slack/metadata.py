"""Typed private_metadata for our modals: dumped and parsed in one place."""

from __future__ import annotations

import json
from dataclasses import dataclass

from bot.config import SUPPORTED_LANGUAGES


@dataclass(frozen=True)
class ModalMeta:
    """What a modal carries from opening to submission, so the ack needs no Slack lookup."""

    language: str
    role: str | None = None
    timezone: str | None = None
    editing: bool = False
    pair_id: int | None = None

    def dump(self) -> str:
        """Serialise for `private_metadata` (kept far below Slack's 3000-character cap)."""
        data = {
            "v": 1,
            "lang": self.language,
            "role": self.role,
            "tz": self.timezone,
            "edit": self.editing,
            "pair": self.pair_id,
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
            pair_id=pair if isinstance(pair := data.get("pair"), int) else None,
        )
