"""Time helpers: we store UTC and compute local dates with zoneinfo."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def utc_now() -> dt.datetime:
    """The current instant in UTC (freezegun-friendly)."""
    return dt.datetime.now(dt.UTC)


def local_today(tz_name: str | None, now: dt.datetime | None = None) -> dt.date:
    """Today's date where the person is; UTC when their zone is unknown."""
    now = now or utc_now()
    try:
        zone = ZoneInfo(tz_name) if tz_name else dt.UTC
    except (ZoneInfoNotFoundError, ValueError):
        zone = dt.UTC
    return now.astimezone(zone).date()
