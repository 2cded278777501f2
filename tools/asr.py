"""An independent check of exported audio: an offline recognizer listens and we compare with the timeline.

Nothing here trusts coach's own idea of where a cue is in the audio: the routine is exported through the
CLI, the WAV is transcribed by pocketsphinx (its en-us model ships in the wheel, so this runs offline),
and only then compared with the cue times `coach show --json` promises. Two questions:

- Is the speech intelligible? Word error rate of the recognizer's transcript against the spoken cue
  texts (lowercase, punctuation stripped, numbers as words).
- Is every cue where the timeline says? Each recognized word is attributed to the cue whose sound span
  is nearest to the word's middle (so the end of the previous sentence never counts for the next cue);
  a cue with no attributed speech within HEARD_WINDOW_MS of its start is "unheard". Its offset is where
  the recognizer hears the cue's first word (or, if it misheard that word, the first word it heard for
  the cue) relative to the cue's start.

pocketsphinx is a test extra and is imported only when transcribing.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import wave
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from coach.timeline.words import number_word

RECOGNIZER_RATE = 16000      # pocketsphinx's en-us acoustic model is trained on 16 kHz mono
FRAMES_PER_S = 100           # pocketsphinx word segmentation is in 10 ms frames
HEARD_WINDOW_MS = 1000       # a cue must have recognized speech within this of its start
ON_TIME_MS = 300             # "heard on time": first word within this of the cue's start
TAIL_PAD_MS = 1000           # silence appended before segmenting (longer than the segmenter's 0.3 s window)

# Tokens pocketsphinx emits that are not words of the transcript.
_FILLERS = {"<s>", "</s>", "<sil>", "[noise]", "[speech]", "<unk>"}
# Words a recognizer cannot tell apart by sound: matching a cue's first word accepts any of them.
_HOMOPHONES = [{"two", "to", "too"}, {"four", "for", "fore"}, {"one", "won"}, {"eight", "ate"},
               {"right", "write"}, {"there", "their"}, {"no", "know"}, {"in", "inn"}]


# -- text --------------------------------------------------------------------------------------------

def number_words(n: int) -> str:
    """An integer 0..999 999 as English words: 42 -> "forty two" (no "and", no hyphens). Below a
    hundred these are the words coach's own countdowns use (coach.timeline.words)."""
    if n < 0:
        return "minus " + number_words(-n)
    if n < 100:
        return number_word(n).replace("-", " ")
    if n < 1000:
        rest = n % 100
        return number_word(n // 100) + " hundred" + ("" if rest == 0 else " " + number_words(rest))
    if n < 1_000_000:
        rest = n % 1000
        return number_words(n // 1000) + " thousand" + ("" if rest == 0 else " " + number_words(rest))
    return " ".join(number_word(int(d)) for d in str(n))  # read digit by digit: never in a coaching cue


def _spell_number(match: re.Match) -> str:
    whole, _, fraction = match.group(0).partition(".")
    words = number_words(int(whole))
    if fraction:
        words += " point " + " ".join(number_word(int(d)) for d in fraction)
    return f" {words} "


def normalise_words(text: str) -> list[str]:
    """Lowercase words, numbers spelled out, punctuation gone (apostrophes inside words kept: child's)."""
    text = text.lower().replace("\u2019", "'")
    text = re.sub(r"\d+(?:\.\d+)?", _spell_number, text)
    text = re.sub(r"[^a-z']+", " ", text)
    return [w.strip("'") for w in text.split() if w.strip("'")]


def recognized_word(token: str) -> str | None:
    """A pocketsphinx token as a transcript word: "and(2)" -> "and"; None for silence and noise."""
    token = token.lower()
    if token in _FILLERS or token.startswith(("[", "<", "++")):
        return None
    token = re.sub(r"\(\d+\)$", "", token)
    words = normalise_words(token)
    return " ".join(words) if words else None


def same_word(expected: str, heard: str) -> bool:
    if expected == heard:
        return True
    return any(expected in group and heard in group for group in _HOMOPHONES)


def word_error_rate(reference: list[str], hypothesis: list[str]) -> float:
    """(substitutions + deletions + insertions) / reference words: Levenshtein distance over words."""
    if not reference:
        return 0.0 if not hypothesis else 1.0
    previous = list(range(len(hypothesis) + 1))
    for i, ref_word in enumerate(reference, 1):
        current = [i] + [0] * len(hypothesis)
        for j, hyp_word in enumerate(hypothesis, 1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ref_word != hyp_word))
        previous = current
    return previous[-1] / len(reference)


# -- audio -------------------------------------------------------------------------------------------

def read_wav(path: Path) -> tuple[np.ndarray, int]:
    """(mono int16 samples, sample rate) of a 16-bit PCM WAV."""
    with wave.open(str(path), "rb") as wav:
        if wav.getsampwidth() != 2:
            raise ValueError(f"{path}: expected 16-bit PCM, got {8 * wav.getsampwidth()}-bit")
        data = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2")
        channels, rate = wav.getnchannels(), wav.getframerate()
    if channels > 1:
        data = data.reshape(-1, channels).mean(axis=1).astype(np.int16)
    return data.astype(np.int16), rate


def resample_for_recognizer(pcm: np.ndarray, rate: int) -> np.ndarray:
    """int16 mono at RECOGNIZER_RATE, resampled by sox (a proper band-limited resampler)."""
    if rate == RECOGNIZER_RATE:
        return np.asarray(pcm, dtype=np.int16)
    return sox(pcm, rate, RECOGNIZER_RATE)


def sox(pcm: np.ndarray, rate: int, out_rate: int, *effects: str) -> np.ndarray:
    """int16 mono through sox (resampled to out_rate, then the effects), without dither: sox dithers at
    random unless told not to, and the same audio must come out every run (tests, benchmarks)."""
    if shutil.which("sox") is None:
        raise RuntimeError("sox is needed to prepare audio for the recognizer: apt-get install sox")
    raw_type = ["-t", "raw", "-e", "signed-integer", "-b", "16", "-c", "1", "-L"]
    out = subprocess.run(["sox", "-D", *raw_type, "-r", str(rate), "-", *raw_type, "-r", str(out_rate), "-", *effects],
                         input=np.ascontiguousarray(pcm, dtype="<i2").tobytes(), capture_output=True, check=True)
    return np.frombuffer(out.stdout, dtype="<i2").astype(np.int16)


# -- recognition -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Word:
    text: str
    start_ms: int
    end_ms: int

    @property
    def mid_ms(self) -> float:
        return (self.start_ms + self.end_ms) / 2


def transcribe(pcm16k: np.ndarray) -> list[Word]:
    """Every word pocketsphinx recognizes, with times in ms from the start of `pcm16k`.

    The audio is cut into speech regions by pocketsphinx's own voice activity detector and each region
    is decoded as one utterance: decoding a whole session as one utterance is slower and drifts."""
    from pocketsphinx import Decoder, Segmenter

    decoder = Decoder(samprate=RECOGNIZER_RATE, loglevel="FATAL")
    words: list[Word] = []
    # Trailing silence closes the last speech region: the segmenter yields a region only when speech
    # ends, so audio cut off mid-sentence would otherwise lose its last region without a word.
    padded = np.concatenate([np.asarray(pcm16k, dtype="<i2"), np.zeros(RECOGNIZER_RATE * TAIL_PAD_MS // 1000, "<i2")])
    stream = io.BytesIO(padded.tobytes())
    for region in Segmenter(sample_rate=RECOGNIZER_RATE).segment(stream):
        decoder.start_utt()
        decoder.process_raw(region.pcm, full_utt=True)
        decoder.end_utt()
        offset_ms = region.start_time * 1000
        for seg in decoder.seg():
            text = recognized_word(seg.word)
            if text is None:
                continue
            words.append(Word(text, round(offset_ms + seg.start_frame * 1000 / FRAMES_PER_S),
                              round(offset_ms + (seg.end_frame + 1) * 1000 / FRAMES_PER_S)))
    return words


# -- the check ---------------------------------------------------------------------------------------

@dataclass
class CueCheck:
    start_ms: int
    end_ms: int
    kind: str
    text: str
    expected: str                 # the cue's first word, normalised
    heard: bool                   # recognized speech attributed to the cue within HEARD_WINDOW_MS
    heard_text: str = ""          # the recognizer's words for the cue
    offset_ms: int | None = None  # where the first word was heard, minus the cue's start
    matched_by: str = ""          # "first-word", "onset" (first word misheard: first heard word), or ""

    @property
    def on_time(self) -> bool:
        return self.heard and self.offset_ms is not None and abs(self.offset_ms) <= ON_TIME_MS


@dataclass
class CheckReport:
    wer: float
    reference_words: int
    recognized_words: int
    cues: list[CueCheck] = field(default_factory=list)

    @property
    def unheard(self) -> list[CueCheck]:
        return [c for c in self.cues if not c.heard]

    def summary(self) -> dict:
        offsets = [abs(c.offset_ms) for c in self.cues if c.offset_ms is not None]
        # Offsets where the first word itself was recognized: a timing measure that a misheard first
        # word (then the offset is that of a later word) cannot inflate.
        first_word = [abs(c.offset_ms) for c in self.cues if c.matched_by == "first-word" and c.offset_ms is not None]
        return {
            "wer": round(self.wer, 4),
            "reference_words": self.reference_words,
            "recognized_words": self.recognized_words,
            "cues": len(self.cues),
            "heard": sum(c.heard for c in self.cues),
            "unheard": len(self.unheard),
            "first_word_matched": sum(c.matched_by == "first-word" for c in self.cues),
            "on_time": sum(c.on_time for c in self.cues),
            "on_time_ms": ON_TIME_MS,
            "median_abs_offset_ms": round(statistics.median(offsets)) if offsets else None,
            "max_abs_offset_ms": max(offsets) if offsets else None,
            "first_word_max_abs_offset_ms": max(first_word) if first_word else None,
            "first_word_on_time": sum(o <= ON_TIME_MS for o in first_word),
        }

    def to_json(self) -> dict:
        return {"summary": self.summary(), "cues": [asdict(c) | {"on_time": c.on_time} for c in self.cues]}


def check_audio(pcm: np.ndarray, rate: int, cues: list[dict], start_ms: int = 0,
                end_ms: int | None = None) -> CheckReport:
    """Listen to `pcm` (mono int16 at `rate`, timeline time 0 at sample 0) and check it against `cues`
    (the "cues" of `coach show --json`). With start_ms/end_ms only that stretch is transcribed and only
    the cues starting inside it are judged (the words near its edges are still attributed fairly)."""
    end_ms = len(pcm) * 1000 // rate if end_ms is None else end_ms
    first, last = start_ms * rate // 1000, end_ms * rate // 1000
    words = [Word(w.text, w.start_ms + start_ms, w.end_ms + start_ms)
             for w in transcribe(resample_for_recognizer(pcm[first:last], rate))]
    sounds = [c for c in cues if (c.get("text") and c["kind"] != "tone") or c.get("tone")]
    attributed = _attribute(words, sounds)
    judged = [c for c in sounds if c.get("text") and c["kind"] != "tone" and start_ms <= c["start_ms"] < end_ms]
    reference = [w for c in judged for w in normalise_words(c["text"])]
    heard_words = [w.text for w in words if not judged or
                   judged[0]["start_ms"] - HEARD_WINDOW_MS <= w.start_ms <= judged[-1]["end_ms"] + HEARD_WINDOW_MS]
    hypothesis = [part for text in heard_words for part in text.split()]
    report = CheckReport(word_error_rate(reference, hypothesis), len(reference), len(hypothesis))
    report.cues = [_check_cue(c, attributed.get(id(c), [])) for c in judged]
    return report


def _attribute(words: list[Word], sounds: list[dict]) -> dict[int, list[Word]]:
    """Each word goes to the sound (speech or tone) whose span is nearest its middle; on a tie (a tone
    under speech) to speech. Words the tones "produce" are thereby kept away from the speech cues."""
    by_cue: dict[int, list[Word]] = {}
    if not sounds:
        return by_cue
    for word in words:
        def distance(cue: dict) -> tuple[float, int]:
            gap = max(cue["start_ms"] - word.mid_ms, word.mid_ms - cue["end_ms"], 0.0)
            return gap, 1 if cue.get("tone") else 0
        best = min(sounds, key=distance)
        by_cue.setdefault(id(best), []).append(word)
    return by_cue


def _check_cue(cue: dict, words: list[Word]) -> CueCheck:
    start = cue["start_ms"]
    expected = (normalise_words(cue["text"]) or [""])[0]
    near = [w for w in words if w.start_ms < start + HEARD_WINDOW_MS and w.end_ms > start - HEARD_WINDOW_MS]
    result = CueCheck(start, cue["end_ms"], cue["kind"], cue["text"], expected, heard=bool(near),
                      heard_text=" ".join(w.text for w in words))
    if not near:
        return result
    matches = [w for w in near if same_word(expected, w.text.split()[0])]
    if matches:
        word, result.matched_by = min(matches, key=lambda w: abs(w.start_ms - start)), "first-word"
    else:
        word, result.matched_by = min(near, key=lambda w: w.start_ms), "onset"
    result.offset_ms = word.start_ms - start
    return result


# -- exporting through the CLI -----------------------------------------------------------------------

def coach_command() -> list[str]:
    """The coach CLI of this interpreter's environment (the venv's own script when there is one)."""
    script = Path(sys.executable).with_name("coach")
    if script.is_file():
        return [str(script)]
    return [sys.executable, "-c", "from coach.cli import main; main()"]


def coach_env(cache_dir: Path, scratch: Path) -> dict[str, str]:
    """The user's environment with a private cache, screening file and history, so the check neither
    reads nor changes the user's own."""
    return {**os.environ, "COACH_CACHE_DIR": str(cache_dir), "COACH_CONFIG": str(scratch / "screening.json"),
            "COACH_HISTORY_DB": str(scratch / "history.sqlite")}


def export_wav(ref: str, engine: str | None, cache_dir: Path, out: Path) -> None:
    """`coach export REF -o OUT.wav` (rendering into cache_dir what is missing)."""
    engine_args = ["--engine", engine] if engine else []
    run = subprocess.run([*coach_command(), "export", ref, "-o", str(out), "--yes", "--force", *engine_args,
                          "--cache-dir", str(cache_dir)],
                         capture_output=True, text=True, env=coach_env(cache_dir, out.parent))
    if run.returncode != 0:
        raise RuntimeError(f"coach export failed ({run.returncode}): {run.stderr.strip() or run.stdout.strip()}")


def show_timeline(ref: str, engine: str | None, cache_dir: Path) -> dict:
    """`coach show REF --json`: with every clip cached its lengths are measured, as in the export."""
    engine_args = ["--engine", engine] if engine else []
    with tempfile.TemporaryDirectory() as scratch:
        run = subprocess.run([*coach_command(), "show", ref, "--json", *engine_args, "--cache-dir", str(cache_dir)],
                             capture_output=True, text=True, env=coach_env(cache_dir, Path(scratch)))
    if run.returncode != 0:
        raise RuntimeError(f"coach show failed ({run.returncode}): {run.stderr.strip() or run.stdout.strip()}")
    return json.loads(run.stdout)


def check_routine(ref: str, engine: str | None = None, cache_dir: Path | None = None,
                  keep_wav: Path | None = None) -> tuple[CheckReport, dict]:
    """Export `ref` to WAV (in a temp cache unless cache_dir), transcribe it, check it: (report, timeline)."""
    with tempfile.TemporaryDirectory(prefix="coach-check-") as tmp:
        scratch = Path(tmp)
        cache = cache_dir or scratch / "cache"
        wav_path = keep_wav or scratch / "routine.wav"
        export_wav(ref, engine, cache, wav_path)
        timeline = show_timeline(ref, engine, cache)
        pcm, rate = read_wav(wav_path)
    if timeline.get("lengths_from") != "audio":
        raise RuntimeError("coach show did not use the rendered lengths: the timeline would not match the audio")
    return check_audio(pcm, rate, timeline["cues"]), timeline
