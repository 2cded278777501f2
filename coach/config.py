"""The config file (COACH_CONFIG): one JSON object holding the screening answers, daily_limit and the
listening settings. Read strictly and never rewritten with anything lost: a value coach cannot use is
an error naming the file, the line, the key and the fix (ConfigError, exit 2), and keys this version
does not know are kept as they are. Writes are atomic.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from coach.atomic import atomic_write
from coach.errors import CoachError, UsageError

YES = ("yes", "true")
NO = ("no", "false")


class ConfigError(UsageError):
    """The config file holds something coach cannot use; it is left as it is."""


def read(path: Path) -> tuple[dict[str, Any], str]:
    """(the file's object, its text); ({}, "") when there is no file."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}, ""
    except (OSError, UnicodeDecodeError) as exc:
        raise CoachError(f"{path}: cannot read the config file ({getattr(exc, 'strerror', None) or exc}); "
                         f"fix its permissions, or set --config or COACH_CONFIG to another file") from None
    if not text.strip():
        return {}, text
    try:
        data = json.loads(text)
    except ValueError as exc:
        line = getattr(exc, "lineno", 0)
        where = f"{path}:{line}" if line else str(path)
        raise ConfigError(f"{where}: not valid JSON ({getattr(exc, 'msg', exc)}); fix it, or delete the file "
                          f"to start again (your screening answers are then asked again)") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the config file must be one JSON object ({{\"daily_limit\": 3, ...}}), "
                          f"not {_kind(data)}; fix it, or delete the file to start again")
    return data, text


def yes_no(value: object, path: Path, text: str, key: str, shown_key: str | None = None) -> bool:
    """true/false, or the strings yes/no/true/false in any case; anything else is a ConfigError."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in YES + NO:
        return value.strip().lower() in YES
    raise bad_value(path, text, key, value, "must be yes or no (true or false)", shown_key)


def true_false(value: object, path: Path, text: str, key: str) -> bool:
    """A setting (not an answer): JSON true or false only."""
    if isinstance(value, bool):
        return value
    raise bad_value(path, text, key, value, "must be true or false")


def bad_value(path: Path, text: str, key: str, value: object, rule: str, shown_key: str | None = None) -> ConfigError:
    line = line_of(text, key)
    where = f"{path}:{line}" if line else str(path)
    return ConfigError(f"{where}: \"{shown_key or key}\" {rule}, not {json.dumps(value)}; "
                       f"fix it in the file, or delete the line")


def line_of(text: str, key: str) -> int:
    """The first line where `"key":` appears (0 if none): where to look."""
    pattern = re.compile(r'"' + re.escape(key) + r'"\s*:')
    for number, line in enumerate(text.splitlines(), 1):
        if pattern.search(line):
            return number
    return 0


def write(path: Path, data: dict[str, Any]) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_write(path, mode="w") as f:
            json.dump(data, f, indent=2)
            f.write("\n")
    except OSError as exc:
        raise CoachError(f"cannot save the config file {path} ({exc.strerror}); "
                         f"set --config or COACH_CONFIG to a writable file") from None


def _kind(data: object) -> str:
    if isinstance(data, list):
        return "a list"
    if isinstance(data, str):
        return "a string"
    return json.dumps(data)
