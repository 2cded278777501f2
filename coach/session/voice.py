"""Which voice and which clip cache a session uses."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from coach.cache import ClipCache
    from coach.speech import Purpose, Voice


@dataclass(frozen=True)
class VoiceChoice:
    """What the user asked for; None means the default for the purpose."""

    engine: str | None = None
    voice: str | None = None
    rate: int | None = None

    def get(self, purpose: Purpose) -> Voice:
        from coach.speech import get_voice

        return get_voice(self.engine, self.voice, self.rate, purpose)


def default_cache_dir() -> Path:
    """COACH_CACHE_DIR, else `audio_cache/` beside the package's project, else the user cache."""
    env = os.environ.get("COACH_CACHE_DIR")
    if env:
        return Path(env)
    project = Path(__file__).resolve().parent.parent.parent
    if (project / "pyproject.toml").is_file():
        return project / "audio_cache"
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("coach")) / "audio_cache"


def open_cache(cache_dir: Path | None) -> ClipCache:
    from coach.cache import ClipCache

    return ClipCache(cache_dir or default_cache_dir())
