"""Maintain the catalogs: extract messages from the code and merge them into each language.

Run with `make messages`. Translators edit the .po files; the bot reads them directly.
"""

from __future__ import annotations

import io
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from bot import __version__
from bot.config import SUPPORTED_LANGUAGES
from bot.i18n import DOMAIN, LOCALES_DIR

PACKAGE_DIR = Path(__file__).resolve().parents[1]
KEYWORDS = {"_": None, "n_": (1, 2)}


def extract() -> Catalog:
    """Every translatable message in the bot's source code."""
    template = Catalog(project="mentor-bot", fuzzy=False)
    for _file, _line, message, comments, context in extract_from_dir(
        str(PACKAGE_DIR), method_map=[("**.py", "python")], keywords=KEYWORDS
    ):
        template.add(message, None, auto_comments=comments, context=context)
    return template


def po_path(language: str) -> Path:
    """Where a language's catalog lives."""
    return LOCALES_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def read_catalog(language: str) -> Catalog:
    """Load one language's catalog."""
    with po_path(language).open("rb") as fh:
        return read_po(fh, locale=language)


def update_all() -> None:
    """Merge the extracted messages into each language, keeping existing translations."""
    template = extract()
    for language in SUPPORTED_LANGUAGES:
        path = po_path(language)
        catalog = read_catalog(language) if path.exists() else Catalog(locale=language)
        catalog.update(template, no_fuzzy_matching=True)
        catalog.obsolete.clear()
        catalog.project, catalog.version = "mentor-bot", __version__
        catalog.copyright_holder = "mentor-bot contributors"
        catalog.msgid_bugs_address = ""
        catalog.last_translator = "mentor-bot contributors"
        catalog.language_team = language
        catalog.fuzzy = False
        buf = io.BytesIO()
        write_po(buf, catalog, sort_output=True, omit_header=False, width=100, no_location=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(buf.getvalue())


if __name__ == "__main__":
    update_all()
