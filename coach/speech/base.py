"""The speech-engine interface and the facts every engine shares (rates, trimming, versions).

Imports no numpy and no engine: the CLI reads the rate range and the engine table from here while
`coach --help` stays instant. The PCM helpers engines use are in coach.speech.pcm.
"""

from __future__ import annotations

import functools
import importlib.metadata
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING

from coach.errors import UsageError

if TYPE_CHECKING:
    import numpy as np

DEFAULT_RATE_WPM = 175   # espeak-ng's own default; Piper's natural pace is about the same; the
                         # text-length estimate (coach.timeline.estimate) is calibrated at it too
MIN_RATE_WPM = 80        # espeak-ng clamps to 80..450; the same range keeps Piper's length_scale sane
MAX_RATE_WPM = 450

MARGIN_MS = 30           # silence kept before and after the speech, so spoken length means something
SILENCE_LEVEL = 164      # |sample| at or below this counts as silence (about -46 dBFS)
TRIM_IDENTITY = f"trim={MARGIN_MS}ms@{SILENCE_LEVEL}"  # part of every cache identity: trimming shapes the clip


@dataclass(frozen=True)
class VoiceSpec:
    """Everything needed to build the same voice again, in another process too (it pickles)."""

    engine: str
    voice: str            # a resolved voice id (or, for Piper, an absolute .onnx path)
    rate: int | None      # words a minute; None = the engine's natural pace


@dataclass(frozen=True)
class VoiceInfo:
    id: str
    name: str
    languages: tuple[str, ...]


@dataclass(frozen=True)
class EngineInfo:
    """What `coach voices` shows of an engine: whether it works here, and its voices."""

    name: str
    available: bool
    default_voice: str
    voices: tuple[VoiceInfo, ...]
    reason: str = ""      # why it is not available, with the fix


class Voice(ABC):
    """One engine + voice + rate. `render` returns int16 mono PCM at SAMPLE_RATE, trimmed to MARGIN_MS."""

    spec: VoiceSpec

    @abstractmethod
    def render(self, text: str) -> np.ndarray:
        """Speak one cue. Raises EngineError when the engine fails or produces no sound."""

    @abstractmethod
    def list_voices(self) -> list[VoiceInfo]:
        """The voices this engine offers."""

    def warm_up(self) -> None:
        """Load whatever the first render would load (a model), so it costs nothing later. Optional."""

    @abstractmethod
    def cache_identity(self) -> str:
        """Everything that changes the sound: engine and model versions, voice, rate, settings.

        Must be cheap: a cache hit must not load a model.
        """


def check_rate(rate: int | None) -> int | None:
    if rate is None:
        return None
    if isinstance(rate, bool) or not isinstance(rate, int):
        raise UsageError(f"speech rate must be a whole number of words a minute, not {rate!r}")
    if not MIN_RATE_WPM <= rate <= MAX_RATE_WPM:
        raise UsageError(f"speech rate {rate} is out of range: use {MIN_RATE_WPM} to {MAX_RATE_WPM} words a minute")
    return rate


def check_text(text: str) -> str:
    """A cue's text with surrounding blanks removed; blank text is a caller bug, not a user error."""
    stripped = text.strip()
    if not stripped:
        raise ValueError("cannot render blank text")
    return stripped


@functools.lru_cache(maxsize=None)
def package_version(name: str) -> str:
    """An installed package's version for cache identities ("unknown" if absent). Memoized: it is
    asked on every cache key, importlib.metadata scans site-packages each time, and versions do not
    change while a process runs."""
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "unknown"
