"""A continuous output: one ALSA playback stream, open for the whole session, that never falls silent
while a background bed plays under the voice.

simpleaudio opens the device once per buffer, so between cues nothing is written at all; a background
needs the device fed without a break. Here a writer thread mixes one period (PERIOD_MS) at a time:
the bed's next period plus every speech buffer still playing, scaled by the volume, written to
pyalsaaudio. play() returns at once, as the Output protocol asks; the buffer joins the mix at the next
period, so the player's deadline scheduler works unchanged.

Pacing: a sound card blocks the write while its buffer (PERIODS periods) is full, so the writer runs
on the card's own clock. ALSA's null device (what the tests and benchmarks capture through) takes
everything at once; there the writer keeps itself LEAD_MS ahead of the wall clock instead.

Stopping: a stopped buffer leaves the mix at the next period, and what the card already holds (at most
its buffer, 80 ms) plays out, which is as quick as simpleaudio's 100 ms. Removing the bed ramps it
to silence over one period, so even the safety stop makes no click.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

import numpy as np

from coach.audio_format import SAMPLE_RATE, ms_to_samples
from coach.errors import AudioOutputError
from coach.player.output import (DEFAULT_EXPORT_HINT, PlayHandle, export_instead, open_alsa_pcm, quiet_stderr,
                                 scale_pcm)

PERIOD_MS = 20
PERIODS = 4                  # the card's buffer: 80 ms
LEAD_MS = 80                 # how far ahead of the wall clock the writer runs on a device that does not pace
PERIOD_SAMPLES = ms_to_samples(PERIOD_MS)


class Bed(Protocol):
    def next(self, count: int) -> np.ndarray:
        """The next count samples of the bed, as floats in int16 units."""
        ...


class _Voice:
    """A speech buffer in the mix; the handle play() returns."""

    def __init__(self, pcm: np.ndarray):
        self.pcm = pcm
        self.at = 0              # samples already mixed
        self.stopped = False

    def stop(self) -> None:
        self.stopped = True

    def is_playing(self) -> bool:
        return not self.stopped and self.at < len(self.pcm)


class StreamOutput:
    """The Output for a session with a background: open() opens the device, the first sound starts
    the stream, close() ends it."""

    def __init__(self, volume: float = 1.0, export_hint: str = DEFAULT_EXPORT_HINT, device: str = "default",
                 open_pcm: Callable[[str], Any] | None = None,
                 clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep):
        scale_pcm(np.zeros(0, dtype=np.int16), volume)  # validates volume
        self.volume = volume
        self.export_hint = export_hint
        self.device = device
        self._open_pcm = open_pcm or _open_alsa
        self._clock, self._sleep = clock, sleep
        self._lock = threading.Lock()
        self._voices: list[_Voice] = []
        self._bed: Bed | None = None
        self._fading: Bed | None = None      # a bed just removed: one more period, ramped down
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._pcm: Any = None
        self.error: BaseException | None = None
        self.written = 0                     # samples written to the device so far
        self.underruns = 0                   # times the card ran dry (the writer was late)

    # -- the Output protocol ---------------------------------------------------------------------------

    def play(self, pcm: np.ndarray) -> PlayHandle:
        if self.error is not None:
            raise AudioOutputError(export_instead(f"the audio device failed ({self.error})", self.export_hint))
        voice = _Voice(np.asarray(pcm, dtype=np.int16))
        with self._lock:
            self._voices.append(voice)
            if self._thread is None and self._pcm is not None:
                self._start_writer()   # the first sound starts the stream: it goes out at once
        return voice

    # -- the stream ------------------------------------------------------------------------------------

    def open(self) -> StreamOutput:
        """Opens the device (no device: AudioOutputError, before anything else happens). The stream
        itself starts with the first sound: silence written before it would only delay it."""
        try:
            self._pcm = self._open_pcm(self.device)
        except AudioOutputError as exc:
            raise AudioOutputError(export_instead(str(exc), self.export_hint)) from None
        return self

    def _start_writer(self) -> None:
        self._thread = threading.Thread(target=self._run, name="coach-stream", daemon=True)
        self._thread.start()

    def set_bed(self, bed: Bed | None) -> None:
        """The sound under the voice from the next period on; None ramps the current one out."""
        with self._lock:
            if bed is None and self._bed is not None:
                self._fading = self._bed
            self._bed = bed

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(2)
        if self._pcm is not None:
            try:
                with quiet_stderr():
                    if self.error is None:
                        self._pcm.drain()   # the last period still in the card (a bell's tail) is heard
                    self._pcm.close()
            except Exception:  # noqa: BLE001 - a device gone at the end has nothing more to say
                pass
            self._pcm = None

    def __enter__(self) -> StreamOutput:
        return self.open()

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def _run(self) -> None:
        started = self._clock()
        paced_by_device = False
        try:
            while not self._stop.is_set():
                if not paced_by_device:
                    ahead_s = self.written / SAMPLE_RATE - (self._clock() - started) - LEAD_MS / 1000
                    if ahead_s > 0.001:
                        self._sleep(min(ahead_s, PERIOD_MS / 1000))
                        continue
                data = self.mix_period().tobytes()
                # An underrun (the writer was late): pyalsaaudio has already recovered the stream but
                # wrote nothing, and says so with a negative count. Write the same period again.
                for _attempt in range(3):
                    if self._pcm.write(data) >= 0:
                        break
                    self.underruns += 1
                self.written += PERIOD_SAMPLES
                # A card holds what it has not played yet; the null device holds nothing.
                paced_by_device = paced_by_device or self._pcm.avail() < PERIODS * PERIOD_SAMPLES
        except Exception as exc:  # noqa: BLE001 - reported by the next play(); the session ends there
            self.error = exc

    def mix_period(self, count: int = PERIOD_SAMPLES) -> np.ndarray:
        """The next count samples of the stream: bed plus speech, scaled by the volume, as int16."""
        mixed = np.zeros(count, dtype=np.float64)
        with self._lock:
            bed, fading = self._bed, self._fading
            self._fading = None
            voices = self._voices = [v for v in self._voices if v.is_playing()]
            for voice in voices:
                piece = voice.pcm[voice.at:voice.at + count]
                mixed[:len(piece)] += piece
                voice.at += len(piece)
        if bed is not None:
            mixed += bed.next(count)
        if fading is not None:
            mixed += fading.next(count) * np.linspace(1.0, 0.0, count)
        if self.volume != 1.0:
            mixed *= self.volume
        return np.clip(np.round(mixed), -32768, 32767).astype(np.int16)


def _open_alsa(device: str) -> Any:
    return open_alsa_pcm(
        False, device, SAMPLE_RATE, PERIOD_SAMPLES, PERIODS,
        missing=lambda exc: AudioOutputError(f"a background sound needs pyalsaaudio ({exc}); run scripts/setup, "
                                             f"or leave out --background"),
        unavailable=lambda exc: AudioOutputError(f"no audio output device found (ALSA: {exc})"))
