"""The skill catalog: the shipped default set, merged with the operator's file, synced to the DB."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.config import SUPPORTED_LANGUAGES
from bot.store import migrate
from bot.store.db import Database
from bot.store.models import Skill, SkillLabel

DEFAULT_CATALOG = Path(__file__).resolve().parents[1] / "data" / "skills.toml"
_KEY = re.compile(r"^[a-z][a-z0-9_]{1,39}$")
LABEL_MAX = 75
TOPIC_MAX = 150


class CatalogError(ValueError):
    """The catalog file is malformed; the message says where."""


@dataclass(frozen=True)
class SkillDef:
    """One skill as declared in a catalog file."""

    key: str
    category: str
    labels: dict[str, str]
    topics: dict[str, str] = field(default_factory=dict)
    nudge_topics: dict[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class CatalogDef:
    """Categories (with labels) and skills, in display order."""

    categories: dict[str, dict[str, str]]
    skills: tuple[SkillDef, ...]


def _labels(raw: dict[str, object], where: str) -> dict[str, str]:
    labels = {lang: raw[lang] for lang in SUPPORTED_LANGUAGES if lang in raw}
    if "en" not in labels:
        raise CatalogError(f"{where}: needs an English label (en = ...)")
    for lang, text in labels.items():
        if not isinstance(text, str) or not text.strip() or len(text) > LABEL_MAX:
            raise CatalogError(f"{where}: label {lang!r} must be 1-{LABEL_MAX} characters")
    return {lang: str(text).strip() for lang, text in labels.items()}


def _nudge_topics(raw: object, where: str) -> dict[str, tuple[str, ...]]:
    if not isinstance(raw, dict) or any(
        not isinstance(items, list)
        or any(not isinstance(v, str) or not 0 < len(v) <= TOPIC_MAX for v in items)
        for items in raw.values()
    ):
        raise CatalogError(f"{where}: nudge_topics must be lists of 1-{TOPIC_MAX} character texts")
    return {lang: tuple(raw[lang]) for lang in SUPPORTED_LANGUAGES if lang in raw}


def parse_catalog(text: str, source: str) -> CatalogDef:
    """Parse and check one catalog TOML document."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CatalogError(f"{source}: {exc}") from None
    categories = {
        key: _labels(raw, f"{source} [category.{key}]")
        for key, raw in data.get("category", {}).items()
    }
    skills = []
    for i, raw in enumerate(data.get("skill", [])):
        where = f"{source} skill #{i + 1}"
        key = raw.get("key", "")
        if not isinstance(key, str) or not _KEY.match(key):
            raise CatalogError(f"{where}: key must be lower_snake_case, 2-40 characters")
        topics = raw.get("topic") or {}
        if not isinstance(topics, dict) or any(
            not isinstance(v, str) or not 0 < len(v) <= TOPIC_MAX for v in topics.values()
        ):
            raise CatalogError(f"{where}: topic texts must be 1-{TOPIC_MAX} characters")
        skills.append(
            SkillDef(
                key=key,
                category=str(raw.get("category", "")),
                labels=_labels(raw, where),
                topics={k: v for k, v in topics.items() if k in SUPPORTED_LANGUAGES},
                nudge_topics=_nudge_topics(raw.get("nudge_topics", {}), where),
            )
        )
    return CatalogDef(categories=categories, skills=tuple(skills))


def load_catalog(extra_file: Path | None = None) -> CatalogDef:
    """The shipped catalog, with the operator's skills and categories added or overriding."""
    base = parse_catalog(DEFAULT_CATALOG.read_text("utf-8"), str(DEFAULT_CATALOG))
    if extra_file is None:
        merged = base
    else:
        try:
            extra_text = extra_file.read_text("utf-8")
        except OSError as exc:
            raise CatalogError(f"{extra_file}: {exc.strerror}") from None
        extra = parse_catalog(extra_text, str(extra_file))
        by_key = {s.key: s for s in base.skills}
        by_key.update({s.key: s for s in extra.skills})
        merged = CatalogDef(
            categories={**base.categories, **extra.categories}, skills=tuple(by_key.values())
        )
    unknown = sorted({s.category for s in merged.skills} - merged.categories.keys())
    if unknown:
        raise CatalogError(f"skills use undeclared categories: {', '.join(unknown)}")
    return merged


def session_topic(
    catalog: CatalogDef, skill_keys: Sequence[str], language: str, index: int
) -> str | None:
    """The jour-fixe topic for session `index`, rotating through the skills' nudge topics."""
    by_key = {s.key: s for s in catalog.skills}
    collected = [
        topic
        for key in skill_keys
        if (spec := by_key.get(key)) is not None
        for topic in (spec.nudge_topics.get(language) or spec.nudge_topics.get("en", ()))
    ]
    return collected[index % len(collected)] if collected else None


def sync_catalog(catalog: CatalogDef, *, session: Session) -> None:
    """Upsert the catalog into the skill tables; skills no longer declared are retired."""
    existing = {s.key: s for s in session.scalars(select(Skill))}
    for position, spec in enumerate(catalog.skills):
        skill = existing.pop(spec.key, None)
        if skill is None:
            skill = Skill(key=spec.key)
            session.add(skill)
        skill.category, skill.position, skill.active = spec.category, position, True
        current = {lbl.language: lbl for lbl in skill.labels}
        for lang, text in spec.labels.items():
            if lang in current:
                current.pop(lang).label = text
            else:
                skill.labels.append(SkillLabel(language=lang, label=text))
        for stale in current.values():
            skill.labels.remove(stale)
    for retired in existing.values():
        retired.active = False
    session.flush()


def migrate_and_sync(database_url: str, catalog: CatalogDef) -> None:
    """What `mentor-bot migrate` does: the schema to head, then the skill catalog to `catalog`."""
    migrate.upgrade(database_url)
    db = Database(database_url)
    try:
        with db.sessions.begin() as session:
            sync_catalog(catalog, session=session)
    finally:
        db.dispose()


def catalog_in_sync(catalog: CatalogDef, *, session: Session) -> bool:
    """Whether the skill tables hold exactly this catalog (read-only; serve checks it)."""
    stored = {
        s.key: (s.category, s.position, {lbl.language: lbl.label for lbl in s.labels})
        for s in session.scalars(select(Skill).where(Skill.active))
    }
    wanted = {
        spec.key: (spec.category, position, spec.labels)
        for position, spec in enumerate(catalog.skills)
    }
    return stored == wanted


def active_skills(*, session: Session) -> list[Skill]:
    """Skills people can pick, in catalog order."""
    return list(session.scalars(select(Skill).where(Skill.active).order_by(Skill.position)))
