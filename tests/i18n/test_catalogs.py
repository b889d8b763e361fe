"""Every user-facing sentence is in both catalogs, with its placeholders intact."""

from __future__ import annotations

import re

import pytest

from bot.config import SUPPORTED_LANGUAGES
from bot.i18n import language_for, translator
from bot.i18n.catalogs import extract, read_catalog

PLACEHOLDER = re.compile(r"\{(\w+)\}")


@pytest.fixture(scope="module")
def source_ids() -> set[str]:
    return {m.id for m in extract() if m.id}


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_the_catalog_matches_the_messages_in_the_code(language: str, source_ids: set[str]) -> None:
    catalog_ids = {m.id for m in read_catalog(language) if m.id}
    assert source_ids - catalog_ids == set(), "run `make messages` and translate the new entries"
    assert catalog_ids - source_ids == set(), "stale entries: run `make messages`"


def test_every_german_message_is_translated_and_keeps_its_placeholders(
    source_ids: set[str],
) -> None:
    for message in read_catalog("de"):
        if not message.id:
            continue
        assert message.string, f"untranslated: {message.id!r}"
        assert not message.fuzzy, f"fuzzy: {message.id!r}"
        assert set(PLACEHOLDER.findall(str(message.id))) == set(
            PLACEHOLDER.findall(str(message.string))
        ), message.id


def test_german_and_english_differ_where_translated() -> None:
    assert translator("de")._("Join reverse mentoring") == "Beim Mentoring mitmachen"
    assert translator("en")._("Join reverse mentoring") == "Join reverse mentoring"
    assert (
        translator("de")._("Please keep this to {max} characters.", max=80)
        == "Bitte höchstens 80 Zeichen."
    )


@pytest.mark.parametrize(
    ("slack_locale", "default", "expected"),
    [
        ("de-DE", "en", "de"),
        ("de-CH", "en", "de"),
        ("en-GB", "de", "en"),
        ("fr-FR", "de", "de"),
        (None, "en", "en"),
        ("", "de", "de"),
    ],
)
def test_slack_locales_map_to_supported_languages(
    slack_locale: str | None, default: str, expected: str
) -> None:
    assert language_for(slack_locale, default) == expected
