"""The listening settings in the config file (the same JSON file as the screening answers):

    "listen": true              listen for voice commands in every play / live session
    "listen_wake_word": true    only obey commands that start with "coach" ("coach, pause")

--listen / --no-listen on the command line wins over the file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from coach import config

KEYS = ("listen", "listen_wake_word")


@dataclass(frozen=True)
class ListenSettings:
    listen: bool = False
    wake_word: bool = False


def load_listen_settings(path: Path) -> ListenSettings:
    """Raises ConfigError (exit 2) for a file or a value it cannot use."""
    data, text = config.read(path)
    values = {key: config.true_false(data.get(key, False), path, text, key) for key in KEYS}
    return ListenSettings(values["listen"], values["listen_wake_word"])
