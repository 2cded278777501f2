"""Where the sound goes: the output interface the scheduler uses, and its simpleaudio (ALSA) version.

simpleaudio is imported lazily, so `coach --help` works without it. ALSA reports a missing device on
stderr from inside the C library; none of that may reach the user, who gets one clean AudioOutputError
that says what to do instead.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any, Protocol

import numpy as np

from coach.audio_format import CHANNELS, SAMPLE_RATE, SAMPLE_WIDTH
from coach.errors import AudioOutputError

DEFAULT_EXPORT_HINT = "coach export ROUTINE -o FILE.mp3"


def export_instead(what: str, export_hint: str) -> str:
    """What went wrong with the sound, and the way to follow the routine anyway."""
    return f"{what}; to follow this routine anyway, try `{export_hint}` and play the file on another device"


class PlayHandle(Protocol):
    def stop(self) -> None: ...
    def is_playing(self) -> bool: ...


class Output(Protocol):
    def play(self, pcm: np.ndarray) -> PlayHandle:
        """Start playing int16 mono PCM at SAMPLE_RATE now; return at once."""
        ...


def scale_pcm(pcm: np.ndarray, volume: float) -> np.ndarray:
    """PCM scaled by volume (0.0-1.0); the same array when volume is 1."""
    if not 0.0 <= volume <= 1.0:
        raise ValueError(f"volume must be between 0.0 and 1.0, got {volume}")
    if volume == 1.0:
        return pcm
    return np.round(pcm.astype(np.float64) * volume).astype(np.int16)


class SimpleaudioOutput:
    """Plays each buffer with simpleaudio.play_buffer (one ALSA open per buffer, on its own C thread).

    Stopping takes effect at simpleaudio's next 100 ms write, after which ALSA drains what it holds:
    that bound is simpleaudio's, not ours.
    """

    def __init__(self, volume: float = 1.0, export_hint: str = DEFAULT_EXPORT_HINT):
        scale_pcm(np.zeros(0, dtype=np.int16), volume)  # validates volume
        self.volume = volume
        self.export_hint = export_hint
        self._sa: Any = None

    def open(self) -> None:
        """Check that a device can be opened (a zero-length play: nothing is heard). Raises
        AudioOutputError with the next step when there is no device."""
        self.play(np.zeros(0, dtype=np.int16)).stop()

    def play(self, pcm: np.ndarray) -> PlayHandle:
        sa = self._module()
        data = np.ascontiguousarray(scale_pcm(np.asarray(pcm, dtype=np.int16), self.volume)).tobytes()
        try:
            with quiet_stderr():
                return sa.play_buffer(data, CHANNELS, SAMPLE_WIDTH, SAMPLE_RATE)
        except sa._simpleaudio.SimpleaudioError as exc:
            raise AudioOutputError(self._no_device_message(exc)) from None

    def _module(self) -> Any:
        if self._sa is None:
            try:
                import simpleaudio
                import simpleaudio._simpleaudio  # noqa: F401  (its error class is not re-exported)
            except ImportError as exc:
                raise AudioOutputError(
                    f"cannot play audio: simpleaudio is not installed ({exc}); install it, or try"
                    f" `{self.export_hint}` and play the file on another device"
                ) from None
            silence_alsa_errors()
            self._sa = simpleaudio
        return self._sa

    def _no_device_message(self, exc: Exception) -> str:
        # simpleaudio's message: "Error opening PCM device. -- CODE: -19 -- MSG: No such device"
        detail = str(exc).rsplit("MSG:", 1)[-1].strip() or str(exc)
        if "opening PCM device" in str(exc):
            what = f"no audio output device found (ALSA: {detail})"
        else:
            what = f"the audio device failed (ALSA: {detail})"
        return export_instead(what, self.export_hint)


# -- pyalsaaudio streams (the continuous output and the microphone) ------------------------------------

def open_alsa_pcm(capture: bool, device: str, rate: int, periodsize: int, periods: int,
                  missing: Callable[[ImportError], Exception], unavailable: Callable[[Exception], Exception]) -> Any:
    """A mono 16-bit pyalsaaudio stream, ALSA's own lines kept off the terminal. Without pyalsaaudio
    raises missing(error); when ALSA cannot open the device, unavailable(error): the caller says what
    that means and what to do."""
    try:
        import alsaaudio
    except ImportError as exc:
        raise missing(exc) from None
    silence_alsa_errors()
    try:
        with quiet_stderr():
            return alsaaudio.PCM(alsaaudio.PCM_CAPTURE if capture else alsaaudio.PCM_PLAYBACK, alsaaudio.PCM_NORMAL,
                                 device=device, channels=1, rate=rate, format=alsaaudio.PCM_FORMAT_S16_LE,
                                 periodsize=periodsize, periods=periods)
    except alsaaudio.ALSAAudioError as exc:
        raise unavailable(exc) from None


# -- keeping ALSA quiet -------------------------------------------------------------------------------

_ALSA_HANDLER: Any = None
_STDERR_LOCK = threading.Lock()


def silence_alsa_errors() -> None:
    """Route ALSA's error messages (printed from any thread, e.g. underruns during playback) to a
    no-op handler. Best effort: without libasound by that name, quiet_stderr still covers opens."""
    global _ALSA_HANDLER
    if _ALSA_HANDLER is not None or not sys.platform.startswith("linux"):
        return
    try:
        lib = ctypes.CDLL("libasound.so.2")
        # void handler(const char *file, int line, const char *function, int err, const char *fmt, ...)
        handler_type = ctypes.CFUNCTYPE(None, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_int,
                                        ctypes.c_char_p)
        handler = handler_type(lambda *_args: None)
        lib.snd_lib_error_set_handler(handler)
    except (OSError, AttributeError):
        return
    _ALSA_HANDLER = handler  # keep the callback alive as long as ALSA may call it


@contextlib.contextmanager
def quiet_stderr() -> Iterator[None]:
    """fd 2 points at /dev/null for the duration (C code writes there, not to sys.stderr)."""
    with _STDERR_LOCK:
        if sys.stderr is not None:
            sys.stderr.flush()  # Python's own pending output must not vanish with ALSA's
        try:
            saved = os.dup(2)
        except OSError:
            yield
            return
        try:
            null = os.open(os.devnull, os.O_WRONLY)
            try:
                os.dup2(null, 2)
            finally:
                os.close(null)
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)
