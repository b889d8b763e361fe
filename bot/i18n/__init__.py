"""Translations: gettext catalogs in English and German, chosen per Slack user."""

from __future__ import annotations

import gettext
import io
from functools import cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from bot.config import SUPPORTED_LANGUAGES

LOCALES_DIR = Path(__file__).parent / "locales"
DOMAIN = "messages"


class Translator:
    """Translates catalog messages into one language."""

    def __init__(self, language: str, catalog: gettext.NullTranslations) -> None:
        self.language = language
        self._catalog = catalog

    def _(self, message: str, /, **params: object) -> str:
        """Translate `message` and fill its `{named}` placeholders."""
        text = self._catalog.gettext(message)
        return text.format(**params) if params else text

    def n_(self, singular: str, plural: str, n: int, /, **params: object) -> str:
        """Translate with plural forms; `{n}` is available in the text."""
        text = self._catalog.ngettext(singular, plural, n)
        return text.format(n=n, **params)


@cache
def _catalog(language: str) -> gettext.NullTranslations:
    # Compile the .po in memory: the repository holds only sources, so a fresh clone
    # needs no build step, and a stale .mo can never disagree with its .po.
    po_path = LOCALES_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not po_path.exists():
        return gettext.NullTranslations()
    with po_path.open("rb") as fh:
        catalog = read_po(fh, locale=language)
    buf = io.BytesIO()
    write_mo(buf, catalog)
    buf.seek(0)
    return gettext.GNUTranslations(buf)


def language_for(slack_locale: str | None, default: str) -> str:
    """Map a Slack locale such as `de-DE` or `en-GB` to a supported language."""
    if slack_locale:
        lang = slack_locale.replace("_", "-").split("-")[0].lower()
        if lang in SUPPORTED_LANGUAGES:
            return lang
    return default if default in SUPPORTED_LANGUAGES else "en"


def translator(language: str) -> Translator:
    """The translator for a supported language code."""
    lang = language if language in SUPPORTED_LANGUAGES else "en"
    return Translator(lang, _catalog(lang))
