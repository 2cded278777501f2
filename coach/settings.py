"""Where coach keeps things: the config file, the history, the clip cache and your routines folder.

The one place that turns environment variables and the platform's user folders into paths. The CLI's
options read the same variables (click's envvar), and hand what they got down; library code called
without them (tools, the web app) asks here, so both agree. Nothing is created here.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

CONFIG_ENV = "COACH_CONFIG"
HISTORY_ENV = "COACH_HISTORY_DB"
CACHE_ENV = "COACH_CACHE_DIR"
ROUTINES_ENV = "COACH_ROUTINES_DIR"

_PROJECT = Path(__file__).resolve().parent.parent   # a source checkout keeps its cache beside the code


@dataclass(frozen=True)
class Settings:
    config_path: Path
    history_path: Path
    cache_dir: Path
    routines_dir: Path


def _env(name: str) -> Path | None:
    value = os.environ.get(name)
    return Path(value) if value else None


def config_path(given: Path | None = None) -> Path:
    if given is not None:
        return given
    from platformdirs import user_config_dir

    return _env(CONFIG_ENV) or Path(user_config_dir("coach")) / "config.json"


def history_path(given: Path | None = None) -> Path:
    if given is not None:
        return given
    from platformdirs import user_data_dir

    return _env(HISTORY_ENV) or Path(user_data_dir("coach")) / "history.sqlite"


def cache_dir(given: Path | None = None) -> Path:
    """COACH_CACHE_DIR, else `audio_cache/` beside a source checkout, else the user cache."""
    if given is not None:
        return given
    found = _env(CACHE_ENV)
    if found is not None:
        return found
    if (_PROJECT / "pyproject.toml").is_file():
        return _PROJECT / "audio_cache"
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("coach")) / "audio_cache"


def routines_dir(given: Path | None = None, config: Path | None = None) -> Path:
    """Your routines: COACH_ROUTINES_DIR, else a `routines` folder beside the config file, so that one
    COACH_CONFIG (a second person, a test) moves the answers and the routines together."""
    if given is not None:
        return given
    return _env(ROUTINES_ENV) or config_path(config).parent / "routines"


def resolve(config: Path | None = None, history: Path | None = None, cache: Path | None = None,
            routines: Path | None = None) -> Settings:
    """Every path at once: what was given (the command line's options), else the defaults."""
    return Settings(config_path(config), history_path(history), cache_dir(cache), routines_dir(routines, config))
