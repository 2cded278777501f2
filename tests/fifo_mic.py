"""A microphone for real `coach play --listen` sessions: ALSA's file plugin reads its `infile` from a
named pipe that the test writes, so what is "said" follows the session's own progress, read from its
timing log, instead of the wall clock.

Why: a file of audio laid out in advance (words at 16 s) is read by the session in real time from the
moment it opens the microphone, while the session's own schedule moves with the machine's load (a cue
not yet rendered gets a longer slot; a late voice holds the session still). On a loaded machine the
hold started late, "Stop." fell inside coach's own speech, the gate dropped it, and the test failed.
Here a command is written only once the log shows the step it belongs to, and the pipe paces the
writer to the session's reading (a full pipe blocks), so the gaps between commands are kept as written.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

# One long hold: at minimal verbosity about 14 s of intro and "get ready", then 30 s of quiet.
LONG_HOLD = """\
format: 1
kind: exercise
name: long-hold
title: Long hold
description: One long hold, for the voice command tests.
focus: [lower-back]
equipment: [mat]
position: kneeling
setup_s: 0
contraindications: []
safety:
  say: Stop if anything hurts.
steps:
  - say: Sit back.
  - hold: {seconds: 30, countdown: 0}
  - say: Well done.
"""

RATE = 16_000
FRAME = 480                        # 30 ms, the microphone's read
CONFIG = """pcm.!default {{
    type file
    slave.pcm {{ type null }}
    file "| cat >> {played}"
    infile "{fifo}"
    format "raw"
}}
"""


def room_noise(samples: int, level: float, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(samples) * level


class Script:
    """What to say: (wait for, then after seconds of audio, a 16 kHz clip), in order. wait_for(entries)
    is True once the session's timing log shows the moment; None: straight after the previous clip."""

    def __init__(self) -> None:
        self.steps: list[tuple[Callable[[list[dict]], bool] | None, float, np.ndarray]] = []

    def say(self, clip: np.ndarray, after_s: float, wait_for: Callable[[list[dict]], bool] | None = None) -> Script:
        self.steps.append((wait_for, after_s, clip))
        return self


def cue_started(text: str) -> Callable[[list[dict]], bool]:
    return lambda entries: any(e.get("text") == text for e in entries)


def log_has(key: str, count: int = 1) -> Callable[[list[dict]], bool]:
    return lambda entries: sum(key in e for e in entries) >= count


def all_of(*waits: Callable[[list[dict]], bool]) -> Callable[[list[dict]], bool]:
    return lambda entries: all(wait(entries) for wait in waits)


class FifoMicrophone:
    """Writes the pipe on a thread: quiet room noise, and each clip of the script when its moment comes."""

    def __init__(self, folder: Path, script: Script, timing_log: Path, noise_level: float = 30.0):
        self.fifo = folder / "mic.fifo"
        os.mkfifo(self.fifo)
        self.config = folder / "asound.conf"
        self.config.write_text(CONFIG.format(played=folder / "played.raw", fifo=self.fifo))
        self._script, self._log, self._noise = script, timing_log, noise_level
        self._done = threading.Event()
        self.said: list[int] = []        # which script steps were written
        self.seen: list[tuple[float, dict]] = []   # each timing-log entry, with when this thread first saw it
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> FifoMicrophone:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        try:   # a writer still waiting for the session to open the pipe: let it through
            os.close(os.open(self.fifo, os.O_RDONLY | os.O_NONBLOCK))
        except OSError:
            pass
        self._thread.join(10)

    def _entries(self) -> list[dict]:
        try:
            lines = self._log.read_text().splitlines()
        except OSError:
            return [e for _, e in self.seen]
        now = time.monotonic()
        for line in lines[len(self.seen):]:
            try:
                self.seen.append((now, json.loads(line)))
            except ValueError:   # a line being written: read again next time
                break
        return [e for _, e in self.seen]

    def _run(self) -> None:
        seed = 0
        try:
            with open(self.fifo, "wb", buffering=0) as pipe:
                def write(samples: np.ndarray) -> None:
                    pipe.write(np.clip(np.round(samples), -32768, 32767).astype("<i2").tobytes())

                for index, (wait_for, after_s, clip) in enumerate(self._script.steps):
                    # Noise a frame at a time until the moment: the full pipe blocks each write, so this
                    # loop runs at the session's pace and reads the log about every 30 ms.
                    while wait_for is not None and not wait_for(self._entries()):
                        if self._done.is_set():
                            return
                        seed += 1
                        write(room_noise(FRAME, self._noise, seed))
                    seed += 1
                    write(room_noise(int(after_s * RATE), self._noise, seed))
                    seed += 1
                    write(clip + room_noise(len(clip), self._noise, seed))
                    self.said.append(index)
                while not self._done.is_set():
                    self._entries()
                    seed += 1
                    write(room_noise(FRAME, self._noise, seed))
        except (BrokenPipeError, OSError) as exc:   # the session closed the microphone: done
            if not isinstance(exc, BrokenPipeError) and not self._done.is_set():
                self.error = exc
