"""Persistence: engine, unit-of-work scope and the SQLAlchemy models."""

from bot.store.db import Database, session_scope
from bot.store.models import Base

__all__ = ["Base", "Database", "session_scope"]
