"""The listening settings in the config file (the same JSON file as the screening answers):

    "listen": true              listen for voice commands in every play / live session
    "listen_wake_word": true    only obey commands that start with "coach" ("coach, pause")

--listen / --no-listen on the command line wins over the file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from coach.errors import UsageError

KEYS = ("listen", "listen_wake_word")


@dataclass(frozen=True)
class ListenSettings:
    listen: bool = False
    wake_word: bool = False


def load_listen_settings(path: Path) -> ListenSettings:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError, OSError):
        return ListenSettings()   # a broken file is reported by the screening, which reads it first
    if not isinstance(data, dict):
        return ListenSettings()
    values = {}
    for key in KEYS:
        value = data.get(key, False)
        if not isinstance(value, bool):
            raise UsageError(f"{path}: \"{key}\" must be true or false, not {json.dumps(value)}; "
                             f"fix it in the file, or delete the line")
        values[key] = value
    return ListenSettings(values["listen"], values["listen_wake_word"])
