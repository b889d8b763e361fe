"""The wheel is complete: an installed bot can migrate and finds its catalogs and data."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest
from setuptools import find_packages

from tests.conftest import REPO_ROOT


def test_the_package_list_covers_every_package_in_the_tree() -> None:
    config = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    listed = set(config["tool"]["setuptools"]["packages"])
    found = set(find_packages(where=str(REPO_ROOT), include=["bot*"]))
    assert listed == found | {"bot.migrations", "bot.migrations.versions"}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--wheel-dir",
            str(out),
            str(REPO_ROOT),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (built,) = out.glob("mentor_bot-*.whl")
    return built


def test_the_wheel_carries_migrations_catalogs_and_data(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    revisions = sorted(
        p.name
        for p in (REPO_ROOT / "migrations" / "versions").glob("*.py")
        if p.name != "__init__.py"
    )
    for rev in revisions:
        assert f"bot/migrations/versions/{rev}" in names
    for needed in [
        "bot/migrations/env.py",
        "bot/migrations/script.py.mako",
        "bot/i18n/locales/de/LC_MESSAGES/messages.po",
        "bot/i18n/locales/en/LC_MESSAGES/messages.po",
        "bot/data/skills.toml",
        "bot/sandbox/data/methods.json",
        "bot/py.typed",
    ]:
        assert needed in names, needed


def test_an_installed_wheel_migrates_away_from_the_checkout(wheel: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--target",
            str(site),
            str(wheel),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    # Only the installed copy of `bot` may be importable: not the checkout.
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "DATABASE_URL")}
    env.update(PYTHONPATH=str(site), DATABASE_URL=f"sqlite:///{tmp_path / 'installed.sqlite3'}")
    probe = subprocess.run(
        [
            sys.executable,
            "-I",
            "-c",
            "import sys; sys.path.insert(0, sys.argv[1]); import bot; print(bot.__file__)",
            str(site),
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert probe.stdout.startswith(str(site))
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; sys.path.insert(0, sys.argv[1]); "
            "from bot.cli import main; sys.exit(main(['migrate']))",
            str(site),
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    assert "database is at revision" in out.stdout
