"""The install flow's pages: the browser's language, and nothing they show is markup."""

from __future__ import annotations

import pytest

from bot.i18n import translator
from bot.slack.install_pages import browser_language, failed_page, install_page, installed_page


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("de-DE,de;q=0.9,en;q=0.8", "de"),
        ("en-GB, de;q=0.5", "en"),
        ("fr-CH, fr;q=0.9, de;q=0.8, en;q=0.7", "de"),  # the best supported one
        ("en;q=0.2, de;q=0.9", "de"),  # quality, not order
        ("de;q=0, en;q=0.1", "en"),  # q=0 means "not this one"
        ("fr, es", "xx"),  # nothing supported: the default
        ("", "xx"),
        (None, "xx"),
        ("de;q=nonsense, en", "en"),
        (";;,,*", "xx"),
    ],
)
def test_the_browser_language_follows_accept_language(header: str | None, expected: str) -> None:
    assert browser_language(header, "xx") == expected


def test_whatever_the_pages_show_is_escaped() -> None:
    t = translator("en")
    page = installed_page(t, "<script>alert(1)</script> & Co", 'slack://open?x="><b>')
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co" in page
    assert 'href="slack://open?x=&quot;&gt;&lt;b&gt;"' in page
    assert 'href="https://slack.com/oauth/v2/authorize?a=1&amp;state=s"' in install_page(
        t, "https://slack.com/oauth/v2/authorize?a=1&state=s"
    )


def test_every_failure_says_what_happened_in_both_languages() -> None:
    reasons = ["access_denied", "invalid_browser", "invalid_state", "storage_error", "invalid_code"]
    for language in ("en", "de"):
        texts = {failed_page(translator(language), r, "/slack/install") for r in reasons}
        assert len(texts) == len(reasons)
        assert all('href="/slack/install"' in text for text in texts)
    assert "nicht installiert" in failed_page(translator("de"), "missing_code", "/slack/install")
