"""A recording run through exactly what a session uses (endpointer, gate, voicing check, recognizers),
frame by frame and as fast as the recognizers go: `coach listen --file`, the benchmarks and the tests."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from coach.errors import UsageError
from coach.listen.backends import StreamingRecognizer
from coach.listen.listener import HeardCommand, Judge, Stage, Utterance, Utterances
from coach.listen.microphone import FRAME_BYTES, FRAME_S, RATE


class Gate(Protocol):
    def closed(self, at: float) -> bool: ...   # at: seconds into the recording


@dataclass(frozen=True)
class Found:
    at_s: float          # where the words ended, seconds into the recording
    phrase: str
    command: str
    stage: Stage         # heard / provisional / withdrawn
    score: float
    decided_s: float     # when it was decided, seconds into the recording (the endpointer's wait included)
    compute_s: float     # CPU-bound time the recognizer took to decide (wall clock)

    def as_json(self) -> dict:
        return {"at_s": round(self.at_s, 2), "command": self.command, "phrase": self.phrase, "stage": self.stage,
                "score": self.score, "latency_ms": round((self.decided_s - self.at_s + self.compute_s) * 1000)}


def listen_through(audio: np.ndarray, first: StreamingRecognizer | None, judge: Judge,
                   gate: Gate | None = None, wake_word: bool = False) -> Iterator[Found]:
    """Every event in 16 kHz int16 audio, in order. A provisional stop comes first, its outcome after,
    once the utterance's isolation is settled (QUIET_AROUND_S after it). Decided_s is when a session would
    act: the later of that settling and the recognizer's compute, which a session overlaps."""
    utterances = Utterances(first, gate, wake_word)   # type: ignore[arg-type]   # any gate with closed(at)
    waiting: list[tuple[Utterance, float, float]] = []   # (utterance, the frame it ended, first-pass time)

    def settled(at: float) -> Iterator[Found]:
        for item in [w for w in waiting if w[0].isolation.settled]:
            waiting.remove(item)
            yield from _decided(item, judge, at)

    frame_end = 0.0
    for frame, frame_end in frames_of(audio):
        started = time.perf_counter()
        utterance = utterances.push(frame, frame_end, 0.0)
        if utterance is not None:
            quick_s = time.perf_counter() - started
            early = judge.early(utterance, frame_end)
            if early is not None:
                yield _found(early, quick_s)
            waiting.append((utterance, frame_end, quick_s))
        yield from settled(frame_end)
    utterances.flush()          # the recording's end: what is still open is over
    yield from settled(frame_end + FRAME_S)


def frames_of(audio: np.ndarray) -> Iterator[tuple[bytes, float]]:
    """16 kHz int16 audio as the microphone hands it over: (one frame, where it ends, in seconds)."""
    data = np.ascontiguousarray(audio, dtype="<i2").tobytes()
    for i in range(len(data) // FRAME_BYTES):
        yield data[i * FRAME_BYTES:(i + 1) * FRAME_BYTES], (i + 1) * FRAME_S


def _decided(item: tuple[Utterance, float, float], judge: Judge, settled_at: float) -> Iterator[Found]:
    utterance, ended_at, quick_s = item
    started = time.perf_counter()
    heard = judge.decide(utterance) if utterance.isolation.alone else None
    compute_s = quick_s + time.perf_counter() - started
    judge.idle()    # as a session does once no utterance waits: not part of the decision's time
    acted = max(settled_at - compute_s, ended_at)     # acted + compute_s: the later of the two
    for event in judge.outcome(utterance, heard, acted):
        yield _found(event, compute_s)


def _found(event: HeardCommand, compute_s: float) -> Found:
    return Found(event.speech_end, event.heard.phrase, event.heard.command, event.stage, event.heard.score,
                 event.acted, compute_s)


def read_recording(path: Path) -> np.ndarray:
    """Any audio file ffmpeg's libraries read (WAV, FLAC, MP3, ...), as 16 kHz mono int16."""
    try:
        from faster_whisper.audio import decode_audio
    except ImportError as exc:
        raise UsageError(f"reading a recording needs faster-whisper ({exc}); run scripts/setup") from exc
    if not path.is_file():
        raise UsageError(f"{path}: no such file; give a recording of the room, e.g. a WAV file")
    try:
        samples = decode_audio(str(path), sampling_rate=RATE)
    except Exception as exc:  # noqa: BLE001 - av raises its own family for every unreadable file
        raise UsageError(f"{path}: not an audio file coach can read ({exc}); give a WAV, FLAC or MP3 recording") from exc
    return np.clip(np.round(np.asarray(samples) * 32768), -32768, 32767).astype(np.int16)
