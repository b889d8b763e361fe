"""Loading Slack's machine-readable contract from ``shared/slack-specs``."""

from __future__ import annotations

import copy
import json
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

ENV_VAR = "SLACK_SPECS_DIR"
_METHOD_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)+$")
_SAMPLE_NAME = re.compile(r"^[A-Za-z0-9_.\-]+$")


class SpecsNotFoundError(RuntimeError):
    """Raised when the ``shared/slack-specs`` directory cannot be located."""


@dataclass(frozen=True)
class MethodSpec:
    """The parts of one ``docs.slack.dev-methods/<method>.json`` file the sandbox uses."""

    name: str
    http_method: str
    json_input_supported: bool | None
    required: frozenset[str]
    properties: frozenset[str]
    errors: frozenset[str]
    rate_limit: str | None

    @property
    def accepts_json(self) -> bool:
        """Whether a JSON body is allowed (Slack only reads JSON bodies on write methods)."""
        if self.json_input_supported is None:
            return self.http_method != "GET"
        return self.json_input_supported


def _candidates(start: Path) -> Iterator[Path]:
    for base in (start, *start.parents):
        yield base / "shared" / "slack-specs"


@lru_cache(maxsize=1)
def specs_dir() -> Path:
    """Return the slack-specs directory: ``$SLACK_SPECS_DIR`` or a ``shared/slack-specs`` above."""
    env = os.environ.get(ENV_VAR)
    if env:
        path = Path(env).expanduser()
        if not (path / "docs.slack.dev-methods").is_dir():
            raise SpecsNotFoundError(
                f"{ENV_VAR}={env!r} does not contain docs.slack.dev-methods/; "
                "point it at the shared/slack-specs directory"
            )
        return path
    for start in (Path(__file__).resolve().parent, Path.cwd().resolve()):
        for candidate in _candidates(start):
            if (candidate / "docs.slack.dev-methods").is_dir():
                return candidate
    raise SpecsNotFoundError(
        "cannot find shared/slack-specs next to the repository or the working directory; "
        f"set {ENV_VAR} to its path"
    )


def _read_json(path: Path) -> Any:
    with path.open(encoding="utf-8") as fh:
        return json.load(fh)


@lru_cache(maxsize=1)
def method_names() -> frozenset[str]:
    """Return the names of every Web API method that has a spec file."""
    folder = specs_dir() / "docs.slack.dev-methods"
    return frozenset(p.stem for p in folder.glob("*.json") if p.stem not in {"methods", "_events"})


@cache
def method_spec(name: str) -> MethodSpec | None:
    """Return the spec of one Web API method, or None when Slack has no such method."""
    if not _METHOD_NAME.match(name) or name not in method_names():
        return None
    raw = _read_json(specs_dir() / "docs.slack.dev-methods" / f"{name}.json")
    args: Mapping[str, Any] = raw.get("args") or {}
    json_input = raw.get("json_input_supported")
    return MethodSpec(
        name=name,
        http_method=str(raw.get("http_method", "POST")).upper(),
        json_input_supported=json_input if isinstance(json_input, bool) else None,
        required=frozenset(args.get("required") or ()),
        properties=frozenset((args.get("properties") or {}).keys()),
        errors=frozenset((raw.get("errors") or {}).keys()),
        rate_limit=raw.get("rate_limits"),
    )


@cache
def _payload(name: str) -> Any:
    if not _SAMPLE_NAME.match(name):
        raise ValueError(f"bad sample name {name!r}")
    return _read_json(specs_dir() / "payloads" / f"{name}.json")


def payload_sample(name: str) -> Any:
    """Return a deep copy of ``payloads/<name>.json``, e.g. ``"view-submission.bolt-python"``."""
    return copy.deepcopy(_payload(name))


@cache
def _json_log(kind: str, name: str) -> Any:
    if not _SAMPLE_NAME.match(kind) or not _SAMPLE_NAME.match(name):
        raise ValueError(f"bad sample name {kind!r}/{name!r}")
    return _read_json(specs_dir() / "java-slack-sdk-json-logs" / kind / f"{name}.json")


def json_log_sample(kind: str, name: str) -> Any:
    """Return a deep copy of a java-slack-sdk field superset, e.g. ``("api", "users.info")``."""
    return copy.deepcopy(_json_log(kind, name))
