"""Which voice and which clip cache a session uses."""

from __future__ import annotations

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

    def check(self) -> VoiceChoice:
        """An unknown voice is bad input wherever it is given (`show` too, which otherwise needs no
        engine): raises UnknownVoiceError now. Other engine problems wait for whoever needs the voice.
        Returns the choice with the engine filled in when a voice given alone belongs to one engine
        (espeak's gmw/en-gb-x-rp picks espeak even where Piper is the default)."""
        if self.voice is None:
            return self
        from coach.errors import EngineError, UnknownVoiceError

        try:
            voice = self.get("render")
        except UnknownVoiceError:
            raise
        except EngineError:
            return self
        return self if self.engine else VoiceChoice(voice.spec.engine, self.voice, self.rate)


def default_cache_dir() -> Path:
    from coach import settings

    return settings.cache_dir()


def open_cache(cache_dir: Path | None) -> ClipCache:
    from coach.cache import ClipCache

    return ClipCache(cache_dir or default_cache_dir())
