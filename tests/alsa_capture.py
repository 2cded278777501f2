"""Test helpers for real ALSA playback on a machine without a sound card.

- ALSA configs (used through ALSA_CONFIG_PATH): one that appends everything played to a raw file
  (ALSA's `file` plugin over the `null` device: it records WHAT was played, not WHEN: the null device
  does not pace real time), and one whose default device cannot be opened.
- Small sessions to play: a few-seconds timeline with espeak-ng command-line clips, and a stand-in for
  coach.session.prepare.prepare so the CLI can be run on it (test code only, never product code).
- ScaledClock: real waiting, faster than real time, with actions fired at exact clock times.
- `python -c "import alsa_capture; alsa_capture.run_cli()"`: the coach CLI with the stand-in, for
  tests that need a real process (real stderr, a terminal, Ctrl-C).
"""

from __future__ import annotations

import functools
import os
import subprocess
import threading
import time
from pathlib import Path

import numpy as np

from coach.timeline.model import Chapter, Cue, Timeline

SAMPLE_RATE = 22050

CAPTURE_CONFIG = """pcm.!default {{
    type file
    slave.pcm {{ type null }}
    file "| cat >> {raw}"
    format "raw"
}}
"""

# A device name ALSA cannot resolve: the open fails, and ALSA prints its own lines on stderr.
NO_DEVICE_CONFIG = """pcm.!default {
    type hw
    card "nosuchcard"
}
"""


def write_capture_config(folder: Path) -> tuple[Path, Path]:
    """(config, raw file): every play appends its int16 samples to the raw file."""
    raw = folder / "captured.raw"
    config = folder / "capture.conf"
    config.write_text(CAPTURE_CONFIG.format(raw=raw))
    return config, raw


def write_no_device_config(folder: Path) -> Path:
    config = folder / "nodevice.conf"
    config.write_text(NO_DEVICE_CONFIG)
    return config


def read_capture(raw: Path) -> np.ndarray:
    return np.fromfile(raw, dtype="<i2") if raw.exists() else np.zeros(0, dtype=np.int16)


# -- small sessions ------------------------------------------------------------------------------------

@functools.lru_cache(maxsize=None)
def espeak_clip(text: str) -> np.ndarray:
    """espeak-ng's own command line (22050 Hz mono int16), trailing silence trimmed."""
    wav = subprocess.run(["espeak-ng", "--stdout", "-s", "190", text], capture_output=True, check=True).stdout
    data = wav[wav.index(b"data") + 8:]  # the header's length fields are bogus when streamed
    pcm = np.frombuffer(data[: len(data) // 2 * 2], dtype="<i2").astype(np.int16)
    loud = np.nonzero(np.abs(pcm.astype(np.int32)) > 200)[0]
    return pcm[: loud[-1] + 1] if len(loud) else pcm


def clip_ms(text: str) -> int:
    return len(espeak_clip(text)) * 1000 // SAMPLE_RATE + 1


def tiny_timeline(name: str = "tiny") -> Timeline:
    """About 3.5 s: a tick, two sentences, a short hold with a cue inside, a closing tick. Lengths are
    measured, so every clip fits its cue as in a real compiled timeline."""
    cues: list[Cue] = [Cue(0, 60, "tone", chapter="Start", tone="tick")]
    t = 100
    for kind, text in (("intro", "Tiny routine."), ("instruction", "Lie on your back.")):
        cues.append(Cue(t, t + clip_ms(text), kind, text, chapter="Start"))
        t += clip_ms(text) + 300
    hold_start = t
    cues.append(Cue(t, t + 1000, "hold", chapter="Hold"))
    cues.append(Cue(t + 100, t + 100 + clip_ms("Relax."), "hold-cue", "Relax.", chapter="Hold"))
    t += 1000 + 300
    cues.append(Cue(t, t + clip_ms("Done."), "outro", "Done.", chapter="Finish"))
    t += clip_ms("Done.")
    cues.append(Cue(t, t + 60, "tone", chapter="Finish", tone="tick"))
    end = t + 60
    chapters = (Chapter("Start", 0, hold_start), Chapter("Hold", hold_start, hold_start + 1300),
                Chapter("Finish", hold_start + 1300, end))
    return Timeline(name, name.title(), end, tuple(sorted(cues, key=lambda c: (c.start_ms, c.end_ms))), chapters,
                    lengths_from="audio")


def fallback_prepare(routine, options, choice, cache_dir=None, mode="play", progress=None, voice=None, notice=None):
    """Stands in for coach.session.prepare.prepare in tests: the tiny timeline, whatever the routine.
    `live` synthesises on every call (a real engine run per cue, like a live session)."""
    from coach.session.prepare import Prepared

    timeline = tiny_timeline(routine.name)
    if mode == "live":
        def clip_for(text: str) -> np.ndarray:
            return espeak_clip.__wrapped__(text)
    else:
        clip_for = espeak_clip
    return Prepared(routine, timeline, clip_for, clip_ms)


# -- a clock for real playback ------------------------------------------------------------------------

class ScaledClock:
    """Monotonic time sped up `speed` times (it really waits, so real plays finish in order), with
    actions run at exact clock times from inside sleep_until, so commands land deterministically."""

    def __init__(self, speed: float = 1.0, actions: list | None = None):
        self.speed = speed
        self._t0 = time.monotonic()
        self._actions = sorted(actions or [], key=lambda a: a[0])

    def now_ms(self) -> float:
        return (time.monotonic() - self._t0) * 1000 * self.speed

    def sleep_until(self, deadline_ms: float, wake: threading.Event) -> bool:
        while not wake.is_set():
            target = deadline_ms
            action = self._actions[0] if self._actions and self._actions[0][0] <= deadline_ms else None
            if action is not None:
                target = action[0]
            remaining = target - self.now_ms()
            if remaining > 0 and wake.wait(min(remaining / 1000 / self.speed, 60)):
                return False
            if action is not None and self.now_ms() >= action[0]:
                self._actions.pop(0)
                action[1]()
                continue
            if self.now_ms() >= deadline_ms:
                return True
        return False


# -- the CLI in a real process ------------------------------------------------------------------------

def run_cli() -> None:
    """coach's CLI with fallback_prepare. COACH_TEST_STOP_LOG=FILE appends the monotonic time
    of every PlayObject.stop() to FILE (to measure how fast Ctrl-C silences the sound)."""
    from coach.session import prepare

    prepare.prepare = fallback_prepare
    stop_log = os.environ.get("COACH_TEST_STOP_LOG")
    if stop_log:
        import simpleaudio.shiny

        original_stop = simpleaudio.shiny.PlayObject.stop

        def logged_stop(self) -> None:
            original_stop(self)
            with open(stop_log, "a") as f:
                f.write(f"{time.monotonic()}\n")

        simpleaudio.shiny.PlayObject.stop = logged_stop
    from coach.cli import main

    main()
