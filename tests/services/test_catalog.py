"""The skill catalog: shipped defaults, operator extensions, and sync to the database."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.services.catalog import (
    CatalogDef,
    CatalogError,
    SkillDef,
    active_skills,
    load_catalog,
    session_topic,
    sync_catalog,
)
from bot.store.models import Skill


def test_the_default_catalog_covers_the_core_digital_skills_in_both_languages() -> None:
    catalog = load_catalog()
    keys = {s.key for s in catalog.skills}
    assert {
        "social_media",
        "collaboration_tools",
        "ai_assistants",
        "video_calls",
        "spreadsheets",
        "phishing_awareness",
    } <= keys
    for skill in catalog.skills:
        assert set(skill.labels) == {"en", "de"}, skill.key
        assert all(0 < len(label) <= 75 for label in skill.labels.values())
    for labels in catalog.categories.values():
        assert set(labels) == {"en", "de"}


def test_every_shipped_skill_has_three_nudge_topics_in_both_languages() -> None:
    for skill in load_catalog().skills:
        assert set(skill.nudge_topics) == {"en", "de"}, skill.key
        for topics in skill.nudge_topics.values():
            assert len(topics) == 3, skill.key
            assert all(0 < len(topic) <= 150 for topic in topics), skill.key


def test_an_operator_file_adds_and_overrides_skills(tmp_path: Path) -> None:
    extra = tmp_path / "skills.toml"
    extra.write_text(
        '[category.internal]\nen = "Our tools"\nde = "Unsere Tools"\n'
        '[[skill]]\nkey = "sap_fiori"\ncategory = "internal"\nen = "SAP Fiori"\n'
        '[[skill]]\nkey = "social_media"\ncategory = "communication"\n'
        'en = "Social (LinkedIn)"\nde = "Social (LinkedIn)"\n',
        encoding="utf-8",
    )
    catalog = load_catalog(extra)
    by_key = {s.key: s for s in catalog.skills}
    assert by_key["sap_fiori"].labels == {"en": "SAP Fiori"}
    assert by_key["social_media"].labels["en"] == "Social (LinkedIn)"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('[[skill]]\nkey = "Bad Key"\ncategory = "ai"\nen = "x"\n', "lower_snake_case"),
        ('[[skill]]\nkey = "ok_key"\ncategory = "ai"\nde = "nur deutsch"\n', "English label"),
        (
            '[[skill]]\nkey = "ok_key"\ncategory = "nowhere"\nen = "x"\n',
            "undeclared categories: nowhere",
        ),
        (
            '[[skill]]\nkey = "ok_key"\ncategory = "ai"\nen = "' + "x" * 76 + '"\n',
            "1-75 characters",
        ),
        ("not = [valid toml", "skills.toml"),
        (
            '[[skill]]\nkey = "ok_key"\ncategory = "ai"\nen = "x"\nnudge_topics.en = "x"\n',
            "skill #1: nudge_topics",
        ),
        (
            '[[skill]]\nkey = "ok_key"\ncategory = "ai"\nen = "x"\nnudge_topics = ["x"]\n',
            "skill #1: nudge_topics",
        ),
        (
            '[[skill]]\nkey = "ok_key"\ncategory = "ai"\nen = "x"\nnudge_topics.en = ["a", ""]\n',
            "skill #1: nudge_topics",
        ),
        (
            '[[skill]]\nkey = "ok_key"\ncategory = "ai"\nen = "x"\n'
            'nudge_topics.de = ["' + "x" * 151 + '"]\n',
            "skill #1: nudge_topics",
        ),
    ],
)
def test_a_malformed_operator_file_is_refused_with_its_location(
    tmp_path: Path, content: str, message: str
) -> None:
    extra = tmp_path / "skills.toml"
    extra.write_text(content, encoding="utf-8")
    with pytest.raises(CatalogError, match=message):
        load_catalog(extra)


def test_a_missing_operator_file_is_refused() -> None:
    with pytest.raises(CatalogError, match="no-such-file"):
        load_catalog(Path("/no-such-file.toml"))


def test_sync_upserts_labels_and_retires_skills_no_longer_declared(
    session: Session, tmp_path: Path
) -> None:
    sync_catalog(load_catalog(), session=session)
    session.commit()
    extra = tmp_path / "x.toml"
    extra.write_text(
        '[[skill]]\nkey = "sap_fiori"\ncategory = "ai"\nen = "SAP Fiori"\n', encoding="utf-8"
    )
    sync_catalog(load_catalog(extra), session=session)
    session.commit()
    assert "sap_fiori" in {s.key for s in active_skills(session=session)}
    sync_catalog(load_catalog(), session=session)
    session.commit()
    retired = session.scalar(select(Skill).where(Skill.key == "sap_fiori"))
    assert retired is not None and not retired.active
    assert retired.label("de") == "SAP Fiori"
    assert "sap_fiori" not in {s.key for s in active_skills(session=session)}
    # Clean up the extra reference row so later tests see the shipped catalog only.
    session.delete(retired)
    session.commit()


def test_nudge_topics_keep_only_supported_languages_and_follow_an_override(
    tmp_path: Path,
) -> None:
    extra = tmp_path / "skills.toml"
    extra.write_text(
        '[[skill]]\nkey = "social_media"\ncategory = "communication"\nen = "Social"\n'
        'nudge_topics.en = ["Post once"]\nnudge_topics.fr = ["Publier"]\n',
        encoding="utf-8",
    )
    by_key = {s.key: s for s in load_catalog(extra).skills}
    assert by_key["social_media"].nudge_topics == {"en": ("Post once",)}
    assert len(by_key["prompting"].nudge_topics["de"]) == 3


def _rotation_catalog() -> CatalogDef:
    return CatalogDef(
        categories={"ai": {"en": "AI"}},
        skills=(
            SkillDef("one", "ai", {"en": "One"}, nudge_topics={"en": ("a1", "a2"), "de": ("d1",)}),
            SkillDef("two", "ai", {"en": "Two"}, nudge_topics={"en": ("b1",)}),
            SkillDef("bare", "ai", {"en": "Bare"}),
        ),
    )


def test_session_topic_rotates_through_the_skills_in_order_and_wraps() -> None:
    catalog = _rotation_catalog()
    assert [session_topic(catalog, ["one", "two"], "en", i) for i in range(4)] == [
        "a1",
        "a2",
        "b1",
        "a1",
    ]
    assert [session_topic(catalog, ["two", "one"], "en", i) for i in range(3)] == [
        "b1",
        "a1",
        "a2",
    ]


def test_session_topic_falls_back_to_english_per_skill() -> None:
    catalog = _rotation_catalog()
    assert [session_topic(catalog, ["one", "two"], "de", i) for i in range(3)] == [
        "d1",
        "b1",
        "d1",
    ]


def test_session_topic_is_none_without_known_skills_or_topics() -> None:
    catalog = _rotation_catalog()
    assert session_topic(catalog, [], "en", 0) is None
    assert session_topic(catalog, ["unknown"], "en", 3) is None
    assert session_topic(catalog, ["bare", "unknown"], "de", 1) is None
    assert session_topic(catalog, ["unknown", "two"], "de", 5) == "b1"


def test_session_topic_uses_the_shipped_catalog() -> None:
    catalog = load_catalog()
    by_key = {s.key: s for s in catalog.skills}
    expected = by_key["prompting"].nudge_topics["de"] + by_key["dashboards"].nudge_topics["de"]
    keys = ["prompting", "dashboards"]
    assert [session_topic(catalog, keys, "de", i) for i in range(6)] == list(expected)
