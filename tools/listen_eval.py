"""Measuring voice commands on recorded audio: detection in noise, false triggers, latency.

Everything runs through coach.listen's own loop (coach.listen.recording: endpointer, gate, voicing check,
the grammar's first pass and the recognizer), fed frame by frame from arrays instead of a microphone, so
every figure is about the same code a session uses. Used by scripts/bench (section `listen`) and by the
tests. A Pair is what a session loads: (the grammar's first pass, the judge with the strong recognizer).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from coach.listen.commands import PHRASE_COMMANDS
from coach.listen.listener import Judge, load_recognizers
from coach.listen.microphone import RATE
from coach.listen.recording import Found
from coach.listen.recording import listen_through as _listen_through
from coach.speech.base import MARGIN_MS

Pair = tuple[object, Judge]     # (the grammar's first pass, the judge)

LEAD_S, TAIL_S = 0.6, 1.0        # quiet before and after each command in a detection trial

# Short things people say on a mat that are not commands: the hard case for false accepts.
NOT_COMMANDS = ("okay", "yes", "no", "thank you", "that feels good", "hold on", "one more", "breathe in",
                "breathe out", "relax", "three", "two", "one", "left side", "right side", "rest", "release",
                "good", "slowly", "hello", "what", "hang on", "nice", "all right", "ouch", "wait", "done",
                "ready", "let go", "switch", "lower", "higher", "later", "not now", "come on", "easy", "stay",
                "keep going", "that's enough", "my back hurts")
# More of them, mostly one word (the body, counting, what people mutter): added in round 3, when they
# showed that Whisper with its prompt writes short words as commands ("push" as "Pause.")
MORE_REMARKS = ("oh", "oops", "hmm", "uh huh", "wow", "okay then", "yeah", "nope", "sure", "fine", "great",
                "lovely", "hold it", "just a sec", "one second", "almost", "nearly there", "keep breathing",
                "deep breath", "in and out", "up", "down", "back", "forward", "push", "pull", "tight", "sore",
                "much better", "that's it", "perfect", "my knee", "my neck", "ow", "that's tight", "so stiff",
                "let's go", "here we go", "and relax", "nice and slow", "the door", "who is it", "coming",
                "just a minute", "be right there", "what time is it", "turn it down", "louder", "sorry",
                "excuse me", "bless you", "thanks", "morning", "goodbye", "see you later", "dinner", "coffee",
                "where's the cat", "good dog", "sit", "no no", "yes yes", "not bad", "better", "worse",
                "same again", "pretty good", "stretch", "lift", "turn", "hands", "knees", "breathe", "hips",
                "feet", "arms up", "long breath", "the phone", "deep", "hello there", "ah", "aha", "er", "um",
                "mm", "huh", "hey", "hi", "bye", "yep", "nah", "cool", "nice one", "well done", "oh dear",
                "oh no", "phew", "whoa", "careful", "gently", "steady", "chin", "shoulders", "toes", "spine",
                "exhale", "inhale", "four", "five", "six", "seven", "eight", "nine", "ten", "first", "last",
                "left", "right", "more", "less", "hold", "deeper", "longer", "faster", "slower", "bend",
                "reach", "roll", "twist", "curl", "arch", "drop", "squeeze", "press", "rest now", "who's that",
                "the kettle", "no thanks", "please", "one minute", "finished", "easy does it")
# Words that sound like a command ("paws" is "pause"): no recognizer can tell them apart, so they are
# counted on their own, not as false accepts
SOUND_ALIKES = ("paws", "pass", "post", "top", "shop", "hop", "nest", "text", "peep", "heal", "play")
# Round 5, held out: remarks and near words no earlier round used, said in voices no earlier round used
# (FRESH_VOICES in the bench), to measure the quiet-room check on speech it was not chosen on.
FRESH_REMARKS = ("alright then", "not yet", "oh boy", "mhm", "good grief", "come here", "go away", "lunch", "tea",
                 "milk", "sugar", "baby", "mum", "dad", "puppy", "kitty", "window", "lights", "music", "quiet",
                 "shush", "hush", "listen", "look", "see", "watch", "wait up", "one sec", "hang about",
                 "nearly done", "so good", "too much", "enough", "ooh", "eek", "yikes", "oof", "right then",
                 "okay good", "back up", "straight", "flat", "low", "high", "calm", "warm", "cold", "hot", "tired",
                 "sleepy", "stiff", "tense", "loose", "better now", "pop", "crack", "click", "knee", "neck", "elbow",
                 "wrist", "ankle", "thigh", "calf", "core", "nose", "mouth", "eyes closed", "open", "close",
                 "stay there", "hold still", "don't move", "step", "stand", "sit up", "lie down", "flip", "swap",
                 "other side", "oh yes", "no way", "yes please", "maybe", "later on", "why", "how", "who", "where",
                 "when", "hm hm", "okay okay", "ha", "heh")
FRESH_SOUND_ALIKES = ("pose", "boss", "cause", "keep", "peek", "beep", "sheep", "cheap", "leap", "rope", "yelp",
                      "stomp", "stuff", "stock", "shot", "spot", "snap", "tip", "slip", "zip", "tap", "time", "song")


@dataclass(frozen=True)
class Trial:
    voice: str
    phrase: str
    snr_db: float | None     # None: no noise
    heard: str | None        # the command acted on, if any
    latency_ms: float | None
    provisional_ms: float | None = None   # a provisional safety stop: how soon after the words it came
    listened_again: bool = False          # the recognizer listened again (Whisper's denoised second listen)

    @property
    def expected(self) -> str:
        return PHRASE_COMMANDS[self.phrase]

    @property
    def correct(self) -> bool:
        return self.heard == self.expected


def render_16k(engine: str, texts: Iterable[str], voice: str | None = None, rate: int | None = None) -> list[np.ndarray]:
    """Each text spoken by the engine, at the recognizer's 16 kHz."""
    from coach.audio_format import SAMPLE_RATE
    from coach.speech import get_voice
    from tools import asr

    v = get_voice(engine, voice, rate)
    return [asr.resample_for_recognizer(v.render(t), SAMPLE_RATE) for t in texts]


HUMAN_RECORDINGS = ("beckett.wav", "clone-test.wav", "endgame_nagg_nell.wav", "two_cities.wav")


def human_speech(names: Sequence[str] = HUMAN_RECORDINGS) -> np.ndarray:
    """People reading aloud: the demo recordings inside the moonshine-voice package (read where it is
    installed, nothing copied), joined with a second of quiet between them, at 16 kHz."""
    import importlib.util
    from pathlib import Path

    from tools import asr

    spec = importlib.util.find_spec("moonshine_voice")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the human recordings come with moonshine-voice: pip install moonshine-voice==0.1.5")
    assets = Path(list(spec.submodule_search_locations)[0]) / "assets"
    clips = []
    for name in names:
        pcm, rate = asr.read_wav(assets / name)
        clips.append(asr.resample_for_recognizer(pcm, rate))
    return with_gaps(clips, 1.0)


def pink_noise(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    spectrum = np.fft.rfft(rng.standard_normal(n))
    k = np.arange(len(spectrum), dtype=np.float64)
    k[0] = 1.0
    return np.fft.irfft(spectrum / np.sqrt(k), n)


def with_noise(signal: np.ndarray, reference: np.ndarray, snr_db: float | None, seed: int) -> np.ndarray:
    """signal plus pink noise snr_db below reference's level (the command's own speech)."""
    out = signal.astype(np.float64)
    if snr_db is not None:
        noise = pink_noise(len(out), seed)
        level = np.sqrt(np.mean(reference.astype(np.float64) ** 2))
        out += noise * level / np.sqrt(np.mean(noise ** 2)) / 10 ** (snr_db / 20)
    return np.clip(np.round(out), -32768, 32767).astype(np.int16)


def recognizers(backend: str = "whisper", wake_word: bool = False) -> Pair:
    return load_recognizers(backend, wake_word)   # type: ignore[return-value]


def listen_through(audio: np.ndarray, pair: Pair, gate=None, stages: tuple[str, ...] = ("heard",)) -> list[Found]:
    """The events of those stages in 16 kHz audio (default: the commands acted on). gate: anything with
    closed(at_s) in seconds of the audio."""
    first, judge = pair
    wake_word = bool(getattr(first, "wake_word", False))   # as the session would: joins "Coach," to "pause."
    return [f for f in _listen_through(audio, first, judge, gate, wake_word) if f.stage in stages]   # type: ignore[arg-type]


def trial_audio(clip: np.ndarray, snr: float | None, seed: int) -> np.ndarray:
    """A clip said once between LEAD_S and TAIL_S of quiet, under pink noise snr dB below it (None: none)."""
    lead, tail = np.zeros(int(LEAD_S * RATE)), np.zeros(int(TAIL_S * RATE))
    return with_noise(np.concatenate([lead, clip, tail]), clip, snr, seed)


def detection_trials(clips: dict[tuple[str, str], np.ndarray], snrs: Sequence[float | None], pair: Pair) -> list[Trial]:
    """Each clip (voice, phrase) -> 16 kHz int16, said once between quiet stretches, in each noise level.
    Latency: from the end of the speech to the decision (the endpointer's wait), plus the time the
    decision took to compute."""
    trials = []
    for seed, ((voice, phrase), clip) in enumerate(clips.items()):
        for snr in snrs:
            audio = trial_audio(clip, snr, seed)
            speech_end = LEAD_S + (len(clip) / RATE) - MARGIN_MS / 1000
            before = listened_again(pair)
            found = listen_through(audio, pair, stages=("heard", "provisional"))
            heard = next((f for f in found if f.stage == "heard"), None)
            quick = next((f for f in found if f.stage == "provisional"), None)
            trials.append(Trial(voice, phrase, snr, heard.command if heard else None,
                                None if heard is None else _latency_ms(heard, speech_end),
                                None if quick is None else _latency_ms(quick, speech_end),
                                listened_again(pair) > before))
    return trials


def listened_again(pair: Pair) -> int:
    """How many utterances the strong recognizer has listened to a second time (0 for one that never does)."""
    return getattr(pair[1].confirm, "denoised", 0)


def _latency_ms(found: Found, speech_end_s: float) -> float:
    return (found.decided_s - speech_end_s + found.compute_s) * 1000


class IntervalGate:
    """The gate a session would have had: closed during each sound (start, end in seconds) plus its tail."""

    def __init__(self, sounds: Iterable[tuple[float, float]], tail_s: float):
        self._spans = sorted((start, end + tail_s) for start, end in sounds)
        self._starts = [s for s, _ in self._spans]

    def closed(self, at: float) -> bool:
        i = bisect_right(self._starts, at) - 1
        return i >= 0 and at < self._spans[i][1]


def with_gaps(clips: Iterable[np.ndarray], gap_s: float) -> np.ndarray:
    gap = np.zeros(int(gap_s * RATE), dtype=np.int16)
    parts = []
    for clip in clips:
        parts += [clip.astype(np.int16), gap]
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int16)
