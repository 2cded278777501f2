"""Speech engines behind one small interface: pick one with get_voice, render cues with Voice.render.

Importing this package imports no engine and no numpy (no pyttsx3, piper or onnxruntime): `coach --help`
stays instant and works with any engine missing.

To add an engine: a module here with ENGINE, `create(voice, rate) -> Voice` and
`engine_info() -> EngineInfo` (see espeak.py, piper.py), and one line in ENGINE_MODULES.
"""

from __future__ import annotations

import importlib
from typing import Literal

from coach.errors import EngineError, UnknownVoiceError
from coach.speech.base import EngineInfo, Voice, VoiceInfo, VoiceSpec

__all__ = ["ENGINES", "EngineInfo", "Voice", "VoiceInfo", "VoiceSpec", "default_engine", "get_voice",
           "list_engines", "voice_from_spec"]

# Engine name -> the module that implements it, imported only when the engine is used. Listed in the
# order `coach voices` shows them; the CLI's --engine choices come from here.
ENGINE_MODULES: dict[str, str] = {
    "piper": "coach.speech.piper",
    "espeak": "coach.speech.espeak",
}
ENGINES: tuple[str, ...] = tuple(ENGINE_MODULES)
Purpose = Literal["render", "live"]


def default_engine(purpose: Purpose) -> str:
    """Piper when it is installed, for rendered and live sessions alike: it is far more intelligible
    (offline recognizer: 22% word errors against espeak's 68%) and fast enough to speak live
    (about 18x real time on 2 cores). espeak otherwise."""
    from coach.speech import piper  # light: finds packages without importing them

    return "piper" if piper.ready() else "espeak"


def get_voice(engine: str | None = None, voice: str | None = None, rate: int | None = None,
              purpose: Purpose = "render") -> Voice:
    """A ready voice. engine/voice None = the default for `purpose`; rate in words a minute, None = natural.

    A voice asked for without an engine that the default engine does not have but another one does
    comes from that other engine (`--voice gmw/en-gb-x-rp` is espeak's: no --engine needed). Raises
    UnknownVoiceError (exit 2) for a voice no engine has (naming the asked engine's close matches);
    EngineError for an unknown engine or a missing one (with how to install it).
    """
    if purpose not in ("render", "live"):
        raise ValueError(f"purpose must be 'render' or 'live', not {purpose!r}")
    name = (engine or default_engine(purpose)).strip().lower()
    if name not in ENGINE_MODULES:
        raise EngineError(f"unknown speech engine {engine!r}: choose one of {', '.join(ENGINES)}")
    try:
        return importlib.import_module(ENGINE_MODULES[name]).create(voice, rate)
    except UnknownVoiceError:
        other = None if engine or voice is None else _engine_with_voice(voice, rate, name)
        if other is None:
            raise
        return other


def _engine_with_voice(voice: str, rate: int | None, tried: str) -> Voice | None:
    """The voice from another engine that knows it (only asked once the default engine did not)."""
    for name, module in ENGINE_MODULES.items():
        if name == tried:
            continue
        try:
            return importlib.import_module(module).create(voice, rate)
        except EngineError:
            continue
    return None


def voice_from_spec(spec: VoiceSpec) -> Voice:
    """Rebuild a voice from its spec, e.g. in a worker process."""
    return get_voice(spec.engine, spec.voice, spec.rate)


def list_engines() -> list[EngineInfo]:
    """Every engine, whether it works here, its default voice and its voices (for `coach voices`)."""
    return [importlib.import_module(module).engine_info() for module in ENGINE_MODULES.values()]
