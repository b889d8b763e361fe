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
BUNDLED_METHODS = Path(__file__).resolve().parent / "data" / "methods.json"
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


def _compact(raw: Mapping[str, Any]) -> dict[str, Any]:
    """The parts of a method file the sandbox uses, in a JSON-friendly shape."""
    args: Mapping[str, Any] = raw.get("args") or {}
    json_input = raw.get("json_input_supported")
    return {
        "http_method": str(raw.get("http_method", "POST")).upper(),
        "json_input_supported": json_input if isinstance(json_input, bool) else None,
        "required": sorted(args.get("required") or ()),
        "properties": sorted((args.get("properties") or {}).keys()),
        "errors": sorted((raw.get("errors") or {}).keys()),
        "rate_limits": raw.get("rate_limits"),
    }


def methods_from_specs(folder: Path) -> dict[str, dict[str, Any]]:
    """Every method in a ``docs.slack.dev-methods`` folder, compacted."""
    return {
        p.stem: _compact(_read_json(p))
        for p in sorted(folder.glob("*.json"))
        if p.stem not in {"methods", "_events"}
    }


@lru_cache(maxsize=1)
def _methods() -> dict[str, dict[str, Any]]:
    # Prefer Slack's files; a clone without shared/ beside it (a newcomer's laptop, the
    # demo) uses the compact copy bundled from the same files (see BUNDLED_METHODS).
    try:
        return methods_from_specs(specs_dir() / "docs.slack.dev-methods")
    except SpecsNotFoundError:
        data: dict[str, dict[str, Any]] = _read_json(BUNDLED_METHODS)["methods"]
        return data


def method_names() -> frozenset[str]:
    """Return the names of every Web API method that has a spec file."""
    return frozenset(_methods())


@cache
def method_spec(name: str) -> MethodSpec | None:
    """Return the spec of one Web API method, or None when Slack has no such method."""
    if not _METHOD_NAME.match(name):
        return None
    raw = _methods().get(name)
    if raw is None:
        return None
    return MethodSpec(
        name=name,
        http_method=raw["http_method"],
        json_input_supported=raw["json_input_supported"],
        required=frozenset(raw["required"]),
        properties=frozenset(raw["properties"]),
        errors=frozenset(raw["errors"]),
        rate_limit=raw["rate_limits"],
    )


def write_bundle() -> Path:
    """Regenerate BUNDLED_METHODS from shared/slack-specs (run after re-copying the specs)."""
    folder = specs_dir() / "docs.slack.dev-methods"
    source = "slack-ruby/slack-api-ref docs.slack.dev/methods (MIT, see LICENSE.slack-api-ref.md)"
    data = {"_source": source, "methods": methods_from_specs(folder)}
    BUNDLED_METHODS.write_text(json.dumps(data, indent=0, sort_keys=True) + "\n", encoding="utf-8")
    license_text = (folder / "LICENSE.md").read_text(encoding="utf-8")
    (BUNDLED_METHODS.parent / "LICENSE.slack-api-ref.md").write_text(license_text, encoding="utf-8")
    return BUNDLED_METHODS


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


if __name__ == "__main__":
    print(f"wrote {write_bundle()}")
