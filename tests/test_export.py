"""Export end to end: real lameenc encode, real ffmpeg decode, real mutagen/ffprobe chapter reads."""

from __future__ import annotations

import errno
import io
import math
import os
import stat
import subprocess
import wave
import zlib
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from mutagen.id3 import ID3, CTOCFlags

import coach.atomic
from coach.audio_format import SAMPLE_RATE, ms_to_samples
from coach.errors import OutputFileError, UsageError
from coach.export import ExportResult, export_timeline
from coach.export.mp3 import (
    ENCODER_DELAY_SAMPLES,
    UNAWARE_DECODER_OFFSET_SAMPLES,
    _FrameCounter,
    write_mp3,
)
from coach.export.vtt import format_timestamp
from coach.mix import mix_to_array, normalise_speech
from coach.timeline.model import SPEECH_KINDS, Chapter, Cue, Timeline
from coach.speech import get_voice
from support import decode_audio, ffprobe_json
from coach.tones import TONE_MS, tone_pcm

ClipFor = Callable[[str], np.ndarray]

MAX_START_ERROR_MS = 20
SEARCH_MS = 150
SILENCE_RMS = 30.0          # about -61 dBFS
SOUND_GUARD_MS = 30         # MP3 smears a sound over about one frame (26 ms) around it


# --- clip providers --------------------------------------------------------------------------------

def synthetic_clip(text: str) -> np.ndarray:
    """A distinct, deterministic noise burst per text, its length and level depending on the text."""
    rng = np.random.default_rng(zlib.crc32(text.encode()))
    n = ms_to_samples(min(250 + 25 * len(text), 2500))
    fade = ms_to_samples(5)
    env = np.minimum(1.0, np.minimum(np.arange(n), np.arange(n)[::-1]) / fade)
    level = 500 + (zlib.crc32(text.encode()) % 4000)    # raw engine level varies: the mixer normalises
    return np.round(rng.standard_normal(n) * level * env).astype(np.int16)


def espeak_cli_clip(text: str) -> np.ndarray:
    out = subprocess.run(["espeak-ng", "--stdout", text], capture_output=True, check=True).stdout
    with wave.open(io.BytesIO(out)) as wav:
        assert wav.getframerate() == SAMPLE_RATE and wav.getnchannels() == 1 and wav.getsampwidth() == 2
        return np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2").copy()


def cached(clip_for: ClipFor) -> ClipFor:
    cache: dict[str, np.ndarray] = {}

    def provider(text: str) -> np.ndarray:
        if text not in cache:
            cache[text] = clip_for(text)
        return cache[text]

    return provider


# --- building timelines by hand ---------------------------------------------------------------------

class SessionBuilder:
    """Lays out cues the way the compiler does: speech back to back with 0.4 s gaps, holds, tones."""

    def __init__(self, clip_for: ClipFor):
        self.clip_for = clip_for
        self.t_ms = 0
        self.cues: list[Cue] = []
        self.chapters: list[Chapter] = []
        self._chapter = ""
        self._chapter_start = 0

    def clip_ms(self, text: str) -> int:
        return math.ceil(len(self.clip_for(text)) * 1000 / SAMPLE_RATE)

    def chapter(self, title: str) -> None:
        if self._chapter:
            self.chapters.append(Chapter(self._chapter, self._chapter_start, self.t_ms))
        self._chapter, self._chapter_start = title, self.t_ms

    def say(self, kind: str, text: str, at_ms: int | None = None) -> None:
        start = self.t_ms if at_ms is None else at_ms
        self.cues.append(Cue(start, start + self.clip_ms(text), kind, text, chapter=self._chapter))
        if at_ms is None:
            self.t_ms = start + self.clip_ms(text) + 400

    def tone(self, name: str, at_ms: int | None = None) -> None:
        start = self.t_ms if at_ms is None else at_ms
        self.cues.append(Cue(start, start + TONE_MS[name], "tone", tone=name, chapter=self._chapter))
        if at_ms is None:
            self.t_ms = start + TONE_MS[name] + 200

    def hold(self, seconds: int, halfway: bool = True) -> None:
        start, end = self.t_ms, self.t_ms + seconds * 1000
        self.cues.append(Cue(start, end, "hold", chapter=self._chapter))
        if halfway:
            self.say("halfway", "Halfway", at_ms=start + seconds * 500)
        for k, word in ((3, "Three"), (2, "Two"), (1, "One")):
            self.say("countdown", word, at_ms=end - k * 1000)
        self.t_ms = end

    def breathe(self, breaths: int, phase_ms: int) -> None:
        start = self.t_ms
        self.cues.append(Cue(start, start + breaths * 2 * phase_ms, "breathe", chapter=self._chapter))
        for b in range(breaths):
            inhale_at = start + b * 2 * phase_ms
            self.tone("inhale", at_ms=inhale_at)
            self.say("breath", "Breathe in", at_ms=inhale_at + 300)
            self.tone("exhale", at_ms=inhale_at + phase_ms)
            self.say("breath", "Breathe out", at_ms=inhale_at + phase_ms + 300)
        self.t_ms = start + breaths * 2 * phase_ms

    def pause(self, ms: int, kind: str = "pause") -> None:
        self.cues.append(Cue(self.t_ms, self.t_ms + ms, kind, chapter=self._chapter))
        self.t_ms += ms

    def build(self, title: str = "Morning back") -> Timeline:
        self.chapter("")  # closes the last chapter
        return Timeline(
            name="morning-back", title=title, duration_ms=self.t_ms,
            cues=tuple(sorted(self.cues, key=lambda c: c.start_ms)), chapters=tuple(self.chapters),
        )


def full_session(clip_for: ClipFor) -> Timeline:
    """About 50 s: every kind of event, chapter titles of very different lengths (longest early)."""
    s = SessionBuilder(clip_for)
    s.chapter("Introduction")
    s.say("intro", "Morning back. About one minute.")
    s.tone("bell")
    s.chapter("Cat–cow: slow, gentle flexion and extension of the whole spine, with the breath")
    s.say("announce", "Cat cow")
    s.say("setup", "Come onto your hands and knees.")
    s.breathe(breaths=2, phase_ms=3000)
    s.chapter("Knee hug — left side")
    s.say("instruction", "Hug your left knee towards your chest.")
    s.hold(seconds=8)
    s.say("switch-sides", "Switch sides")
    s.pause(2000, kind="transition")
    s.chapter("Knee hug — right side")
    s.say("instruction", "Hug your right knee towards your chest.")
    s.hold(seconds=8)
    s.chapter("Ü")
    s.say("rest", "Rest on your back & breathe <normally>.")
    s.pause(3000)
    s.chapter("Finish")
    s.say("outro", "Well done.")
    s.tone("bell")
    s.pause(500)
    return s.build()


def real_speech_session(clip_for: ClipFor) -> Timeline:
    """About 20 s of real spoken cues, holds and tones."""
    s = SessionBuilder(clip_for)
    s.chapter("Introduction")
    s.say("intro", "Welcome to morning back.")
    s.tone("bell")
    s.chapter("Knee hug")
    s.say("instruction", "Lie on your back and hug both knees.")
    s.hold(seconds=7)
    s.say("instruction", "Relax.")
    s.chapter("Finish")
    s.say("outro", "Well done. See you tomorrow.")
    s.pause(300)
    return s.build()


# --- decoding and measuring -------------------------------------------------------------------------



def start_error_ms(decoded: np.ndarray, template: np.ndarray, expected_start: int) -> tuple[float, float]:
    """(measured - expected start in ms, normalised correlation at the best lag) within ±SEARCH_MS."""
    search = ms_to_samples(SEARCH_MS)
    lo = max(0, expected_start - search)
    hi = min(len(decoded), expected_start + search + len(template))
    window = decoded[lo:hi].astype(np.float64)
    tmpl = template.astype(np.float64)
    lags = len(window) - len(tmpl) + 1
    assert lags > 0, "window shorter than the clip"
    nfft = 1 << (len(window) + len(tmpl)).bit_length()
    corr = np.fft.irfft(np.fft.rfft(window, nfft) * np.conj(np.fft.rfft(tmpl, nfft)), nfft)[:lags]
    best = int(np.argmax(corr))
    segment = window[best:best + len(tmpl)]
    score = float(corr[best] / (np.linalg.norm(segment) * np.linalg.norm(tmpl) + 1e-9))
    return (lo + best - expected_start) * 1000 / SAMPLE_RATE, score


def speech_cues(tl: Timeline) -> list[Cue]:
    return [c for c in tl.cues if c.kind in SPEECH_KINDS and c.text]


def sound_spans(tl: Timeline, clip_for: ClipFor) -> list[tuple[int, int]]:
    spans = []
    for cue in tl.cues:
        if cue.kind == "tone":
            spans.append((ms_to_samples(cue.start_ms), ms_to_samples(cue.start_ms) + len(tone_pcm(cue.tone))))
        elif cue.is_speech and cue.text:
            spans.append((ms_to_samples(cue.start_ms), ms_to_samples(cue.start_ms) + len(clip_for(cue.text))))
    return spans


def assert_cues_start_on_time(decoded: np.ndarray, tl: Timeline, clip_for: ClipFor) -> float:
    worst_ms = 0.0
    for cue in speech_cues(tl):
        clip = normalise_speech(clip_for(cue.text))
        error_ms, score = start_error_ms(decoded, clip, ms_to_samples(cue.start_ms))
        assert score > 0.5, f"clip not found near {cue.start_ms} ms: {cue.text!r} (correlation {score:.2f})"
        assert abs(error_ms) <= MAX_START_ERROR_MS, f"{cue.text!r} starts {error_ms:+.1f} ms off"
        worst_ms = max(worst_ms, abs(error_ms))
    return worst_ms


def assert_holds_silent(decoded: np.ndarray, tl: Timeline, clip_for: ClipFor) -> None:
    guard = ms_to_samples(SOUND_GUARD_MS)
    quiet = np.zeros(len(decoded), dtype=bool)
    for cue in tl.cues:
        if cue.kind == "hold":
            quiet[ms_to_samples(cue.start_ms):ms_to_samples(cue.end_ms)] = True
    for start, end in sound_spans(tl, clip_for):
        quiet[max(0, start - guard):end + guard] = False
    assert quiet.sum() > SAMPLE_RATE  # the holds really do have silent stretches to check
    level = float(np.sqrt(np.mean(decoded[quiet].astype(np.float64) ** 2)))
    assert level < SILENCE_RMS, f"holds are not silent: RMS {level:.1f}"


def parse_vtt(text: str) -> tuple[list[tuple[int, int, str]], list[str]]:
    """(cues as (start_ms, end_ms, text), NOTE lines); asserts the basic WebVTT structure."""
    def ms(stamp: str) -> int:
        hms, millis = stamp.split(".")
        h, m, s = (int(x) for x in hms.split(":"))
        assert len(millis) == 3 and len(hms) == 8
        return ((h * 60 + m) * 60 + s) * 1000 + int(millis)

    assert text.endswith("\n") and "\r" not in text
    blocks = text.strip("\n").split("\n\n")
    assert blocks[0] == "WEBVTT"
    cues, notes = [], []
    for block in blocks[1:]:
        lines = block.split("\n")
        assert all(line.strip() for line in lines), "blank line inside a block"
        if lines[0].startswith("NOTE"):
            assert "-->" not in block
            notes.append(block)
            continue
        timing = lines[1] if "-->" not in lines[0] else lines[0]
        body = lines[2:] if timing is lines[1] else lines[1:]
        start, arrow, end = timing.split(" ")
        assert arrow == "-->"
        unescaped = "\n".join(body).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
        assert "<" not in "\n".join(body)
        cues.append((ms(start), ms(end), unescaped))
    return cues, notes


def files_in(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


# --- the exported MP3, decoded ----------------------------------------------------------------------

@pytest.fixture(scope="module")
def synthetic_clip_for() -> ClipFor:
    return cached(synthetic_clip)


@pytest.fixture(scope="module")
def session(synthetic_clip_for) -> Timeline:
    return full_session(synthetic_clip_for)


@pytest.fixture(scope="module")
def exported_mp3(tmp_path_factory, session, synthetic_clip_for) -> tuple[ExportResult, np.ndarray]:
    out = tmp_path_factory.mktemp("mp3") / "morning-back.mp3"
    result = export_timeline(session, synthetic_clip_for, out, tags={"title": "Morning back"})
    return result, decode_audio(out)


def test_mp3_export_result_describes_the_files(exported_mp3, session):
    result, _ = exported_mp3
    assert result.path.name == "morning-back.mp3" and result.path.exists()
    assert result.vtt_path == result.path.with_suffix(".vtt") and result.vtt_path.exists()
    assert result.duration_ms == session.duration_ms
    assert result.size_bytes == result.path.stat().st_size
    assert result.offset_ms == 0.0
    assert files_in(result.path.parent) == ["morning-back.mp3", "morning-back.vtt"]  # no temp left


def test_mp3_decodes_to_exactly_the_timeline_length(exported_mp3, session):
    # The LAME Info tag tells ffmpeg to trim the encoder delay and the end padding: exact, not approximate.
    _, decoded = exported_mp3
    assert len(decoded) == ms_to_samples(session.duration_ms)


def test_mp3_every_speech_cue_starts_on_time(exported_mp3, session, synthetic_clip_for):
    _, decoded = exported_mp3
    worst_ms = assert_cues_start_on_time(decoded, session, synthetic_clip_for)
    assert worst_ms <= 1.0  # in practice the decoded audio is sample-aligned


def test_mp3_holds_are_silent_apart_from_their_spoken_cues(exported_mp3, session, synthetic_clip_for):
    _, decoded = exported_mp3
    assert_holds_silent(decoded, session, synthetic_clip_for)


def test_mp3_speech_comes_out_at_podcast_level(exported_mp3, session, synthetic_clip_for):
    _, decoded = exported_mp3
    cue = speech_cues(session)[0]
    start = ms_to_samples(cue.start_ms)
    voiced = decoded[start:start + len(synthetic_clip_for(cue.text))].astype(np.float64)
    level_dbfs = 20 * np.log10(np.sqrt(np.mean(voiced**2)) / 32768)
    assert -21 < level_dbfs < -15


def test_mp3_info_tag_carries_lame_delay_and_a_valid_crc(exported_mp3):
    result, _ = exported_mp3
    data = result.path.read_bytes()
    tag_size = ID3(result.path).size  # header included
    frame = data[tag_size:tag_size + 208]
    assert frame[:2] == b"\xff\xf3" and frame[13:17] == b"Info"
    lame = frame.index(b"LAME3.100")
    delay_padding = int.from_bytes(frame[lame + 21:lame + 24], "big")
    assert delay_padding >> 12 == ENCODER_DELAY_SAMPLES
    # ffmpeg exposes the encoder string only when the Info tag's CRC checks out.
    streams = ffprobe_json(result.path, "-show_streams")["streams"]
    assert streams[0]["tags"]["encoder"] == "LAME3.100"
    assert streams[0]["sample_rate"] == str(SAMPLE_RATE) and streams[0]["channels"] == 1


# --- tags and chapters ------------------------------------------------------------------------------

def test_mp3_id3_tags_and_chapters_read_back_with_mutagen(exported_mp3, session):
    result, _ = exported_mp3
    tags = ID3(result.path)
    assert str(tags["TIT2"]) == "Morning back"
    assert str(tags["TPE1"]) == "coach"
    assert str(tags["TALB"]) == "coach"
    chaps = tags.getall("CHAP")  # in file order
    assert [(c.start_time, c.end_time, str(c.sub_frames["TIT2"])) for c in chaps] == [
        (ch.start_ms, ch.end_ms, ch.title) for ch in session.chapters
    ]
    (toc,) = tags.getall("CTOC")
    assert toc.flags & CTOCFlags.TOP_LEVEL and toc.flags & CTOCFlags.ORDERED
    assert toc.child_element_ids == [c.element_id for c in chaps]


def test_mp3_chapters_read_back_with_ffprobe_in_time_order(exported_mp3, session):
    result, _ = exported_mp3
    chapters = ffprobe_json(result.path, "-show_chapters")["chapters"]
    assert [c["tags"]["title"] for c in chapters] == [ch.title for ch in session.chapters]
    for probed, chapter in zip(chapters, session.chapters):
        assert abs(float(probed["start_time"]) * 1000 - chapter.start_ms) <= 1
        assert abs(float(probed["end_time"]) * 1000 - chapter.end_ms) <= 1


def test_mp3_many_chapters_with_uneven_titles_stay_in_time_order(tmp_path):
    # Titles long, short, non-ASCII, in an order that sorting by size alone would scramble.
    lengths = [40, 3, 60, 1, 25, 2, 80, 10, 5, 33, 7, 50, 4, 15]
    titles = [
        f"{i:02d} " + ("Ünïcode " if i % 3 == 0 else "stretch ") * (n // 8) + "x" * (n % 8)
        for i, n in enumerate(lengths)
    ]
    chapters = tuple(Chapter(title, i * 1000, (i + 1) * 1000) for i, title in enumerate(titles))
    tl = Timeline(name="c", title="Chapters", duration_ms=len(lengths) * 1000, cues=(), chapters=chapters)
    out = tmp_path / "chapters.mp3"
    export_timeline(tl, synthetic_clip, out)
    probed = ffprobe_json(out, "-show_chapters")["chapters"]
    assert [c["tags"]["title"] for c in probed] == [ch.title for ch in chapters]
    assert [round(float(c["start_time"]) * 1000) for c in probed] == [ch.start_ms for ch in chapters]
    assert [str(c.sub_frames["TIT2"]) for c in ID3(out).getall("CHAP")] == [ch.title for ch in chapters]


def test_mp3_decoder_ignoring_the_info_tag_is_late_by_the_documented_constant(exported_mp3):
    # What a player that doesn't read the LAME tag hears: the Info frame as silence, plus the delays.
    result, decoded = exported_mp3
    data = result.path.read_bytes()
    at = data.index(b"Info")
    unaware = result.path.with_name("unaware.mp3")
    unaware.write_bytes(data[:at] + b"Nope" + data[at + 4:])
    try:
        late = decode_audio(unaware)
    finally:
        unaware.unlink()
    ref = decoded[SAMPLE_RATE:3 * SAMPLE_RATE]
    error_ms, score = start_error_ms(late, ref, SAMPLE_RATE + UNAWARE_DECODER_OFFSET_SAMPLES)
    assert score > 0.99 and error_ms == 0.0
    assert UNAWARE_DECODER_OFFSET_SAMPLES == 1681  # 76.2 ms at 22050 Hz


# --- transcript -------------------------------------------------------------------------------------

def test_vtt_has_one_cue_per_spoken_cue_with_its_times_and_text(exported_mp3, session):
    result, _ = exported_mp3
    cues, notes = parse_vtt(result.vtt_path.read_text(encoding="utf-8"))
    assert cues == [(c.start_ms, c.end_ms, c.text) for c in speech_cues(session)]
    assert [n.split(": ", 1)[1] for n in notes] == [ch.title for ch in session.chapters]


def test_vtt_timestamps_cover_hours():
    assert format_timestamp(0) == "00:00:00.000"
    assert format_timestamp(3_723_004) == "01:02:03.004"


# --- WAV --------------------------------------------------------------------------------------------

def test_wav_places_every_clip_at_its_exact_sample(tmp_path, session, synthetic_clip_for):
    result = export_timeline(session, synthetic_clip_for, tmp_path / "session.wav")
    with wave.open(str(result.path)) as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (1, 2, SAMPLE_RATE)
        assert wav.getnframes() == ms_to_samples(session.duration_ms)
        pcm = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2")
    np.testing.assert_array_equal(pcm, mix_to_array(session, synthetic_clip_for))
    # Take the tones out (mixing is a plain sum, no clipping here), and each clip is where it belongs.
    tone_cues = tuple(c for c in session.cues if c.kind == "tone")
    tones_only = Timeline("t", "t", session.duration_ms, tone_cues, ())
    speech = pcm.astype(np.int32) - mix_to_array(tones_only, synthetic_clip_for).astype(np.int32)
    for cue in speech_cues(session):
        clip = normalise_speech(synthetic_clip_for(cue.text))
        start = ms_to_samples(cue.start_ms)
        np.testing.assert_array_equal(speech[start:start + len(clip)], clip)
        assert speech[start - 1] == 0
    assert parse_vtt(result.vtt_path.read_text(encoding="utf-8"))[0][0][0] == 0


# --- real speech ------------------------------------------------------------------------------------

def _coach_speech_provider() -> ClipFor:
    return get_voice("espeak", None, None, "render").render


def _espeak_cli_provider() -> ClipFor:
    return espeak_cli_clip


@pytest.mark.slow
@pytest.mark.parametrize(
    "provider", [_coach_speech_provider, _espeak_cli_provider], ids=["coach.speech", "espeak-ng-cli"]
)
def test_mp3_real_speech_cues_start_on_time(tmp_path, provider):
    clip_for = cached(provider())
    tl = real_speech_session(clip_for)
    result = export_timeline(tl, clip_for, tmp_path / "real.mp3")
    decoded = decode_audio(result.path)
    assert len(decoded) == ms_to_samples(tl.duration_ms)
    assert_cues_start_on_time(decoded, tl, clip_for)
    assert_holds_silent(decoded, tl, clip_for)


# --- other bitrates ---------------------------------------------------------------------------------

@pytest.mark.parametrize("bitrate_kbps", [32, 128])
def test_mp3_timing_holds_at_other_bitrates(tmp_path, bitrate_kbps):
    s = SessionBuilder(synthetic_clip)
    s.chapter("Only")
    s.say("intro", "One")
    s.hold(seconds=4, halfway=False)
    s.say("outro", "Done")
    tl = s.build()
    result = export_timeline(tl, synthetic_clip, tmp_path / "b.mp3", bitrate_kbps=bitrate_kbps)
    decoded = decode_audio(result.path)
    assert len(decoded) == ms_to_samples(tl.duration_ms)
    assert assert_cues_start_on_time(decoded, tl, synthetic_clip) <= 1.0


def test_frame_counter_handles_frames_split_anywhere():
    pcm = (np.sin(np.arange(30_000) / 7) * 5000).astype(np.int16)
    out = io.BytesIO()
    write_mp3([pcm], out)
    stream = out.getvalue()
    whole = _FrameCounter()
    whole.feed(stream)
    whole.check_complete()
    for piece in (1, 3, 100, 209, 1000):
        counter = _FrameCounter()
        for i in range(0, len(stream), piece):
            counter.feed(stream[i:i + piece])
        counter.check_complete()
        assert counter.count == whole.count > 50


# --- safety: existing files, bad folders, full disk, Ctrl-C -----------------------------------------

def short_session() -> Timeline:
    s = SessionBuilder(synthetic_clip)
    s.chapter("Only")
    s.say("intro", "Short one")
    s.pause(1000)
    return s.build()


def long_silentish_session() -> Timeline:
    """70 s: three mixer chunks, so an export can be interrupted between them."""
    cues = (Cue(1000, 1500, "intro", "Hi"), Cue(65_000, 65_500, "outro", "Bye"))
    return Timeline("l", "Long", 70_000, cues, (Chapter("All", 0, 70_000),))


@pytest.mark.parametrize("existing", ["out.mp3", "out.vtt"])
def test_existing_file_is_kept_without_force(tmp_path, existing):
    (tmp_path / existing).write_bytes(b"old")
    with pytest.raises(OutputFileError, match="exists; pass --force to overwrite") as err:
        export_timeline(short_session(), synthetic_clip, tmp_path / "out.mp3")
    assert str(tmp_path / existing) in str(err.value)
    assert (tmp_path / existing).read_bytes() == b"old"
    assert files_in(tmp_path) == [existing]


def test_existing_files_are_replaced_with_force(tmp_path):
    (tmp_path / "out.wav").write_bytes(b"old")
    (tmp_path / "out.vtt").write_bytes(b"old")
    result = export_timeline(short_session(), synthetic_clip, tmp_path / "out.wav", force=True)
    assert result.path.read_bytes()[:4] == b"RIFF"
    assert result.vtt_path.read_text(encoding="utf-8").startswith("WEBVTT")
    assert files_in(tmp_path) == ["out.vtt", "out.wav"]


def test_new_files_get_the_usual_permissions(tmp_path):
    umask = os.umask(0o022)
    try:
        result = export_timeline(short_session(), synthetic_clip, tmp_path / "p.mp3")
    finally:
        os.umask(umask)
    assert stat.S_IMODE(result.path.stat().st_mode) == 0o644
    assert stat.S_IMODE(result.vtt_path.stat().st_mode) == 0o644


def test_folder_that_is_really_a_file_is_a_clear_error(tmp_path):
    # Tests run as root, which ignores permission bits: a file in the path fails for everyone.
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(OutputFileError, match="not a folder") as err:
        export_timeline(short_session(), synthetic_clip, tmp_path / "notes.txt" / "sub" / "out.mp3")
    assert str(tmp_path / "notes.txt") in str(err.value)


def test_missing_folder_is_a_clear_error(tmp_path):
    with pytest.raises(OutputFileError, match="does not exist") as err:
        export_timeline(short_session(), synthetic_clip, tmp_path / "nope" / "out.mp3")
    assert str(tmp_path / "nope") in str(err.value) and "mkdir" in str(err.value)


def test_unknown_format_is_a_usage_error(tmp_path):
    with pytest.raises(UsageError, match=r"\.mp3 or \.wav"):
        export_timeline(short_session(), synthetic_clip, tmp_path / "out.ogg")
    with pytest.raises(UsageError):
        export_timeline(short_session(), synthetic_clip, tmp_path / "out.mp3", fmt="flac")
    assert files_in(tmp_path) == []


def test_impossible_bitrate_is_a_usage_error(tmp_path):
    with pytest.raises(UsageError, match="64"):
        export_timeline(short_session(), synthetic_clip, tmp_path / "out.mp3", bitrate_kbps=192)
    assert files_in(tmp_path) == []


def test_format_can_be_given_explicitly(tmp_path):
    result = export_timeline(short_session(), synthetic_clip, tmp_path / "session.audio", fmt="wav")
    assert result.path.read_bytes()[:4] == b"RIFF"
    assert result.vtt_path.name == "session.vtt"


class DiskFullFile:
    """Wraps a temp file; writes fail with ENOSPC once `limit` bytes have gone through it."""

    def __init__(self, file, limit: int):
        self._file, self._limit, self._written = file, limit, 0

    def write(self, data) -> int:
        self._written += len(data)
        if self._written > self._limit:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return self._file.write(data)

    def __getattr__(self, name):
        return getattr(self._file, name)


def fill_disk_after(monkeypatch, limit: int) -> None:
    real_fdopen = coach.atomic._fdopen
    def fdopen(fd, *args, **kwargs):
        return DiskFullFile(real_fdopen(fd, *args, **kwargs), limit)

    monkeypatch.setattr(coach.atomic, "_fdopen", fdopen)


@pytest.mark.parametrize("fmt", ["mp3", "wav"])
def test_full_disk_is_a_clear_error_and_leaves_no_partial_file(tmp_path, monkeypatch, fmt):
    fill_disk_after(monkeypatch, limit=50_000)  # the transcript fits, the audio does not
    with pytest.raises(OutputFileError, match="disk space"):
        export_timeline(long_silentish_session(), synthetic_clip, tmp_path / f"out.{fmt}")
    assert files_in(tmp_path) == []


def test_full_disk_while_writing_the_transcript_leaves_nothing(tmp_path, monkeypatch):
    fill_disk_after(monkeypatch, limit=10)
    with pytest.raises(OutputFileError, match="disk space"):
        export_timeline(short_session(), synthetic_clip, tmp_path / "out.mp3")
    assert files_in(tmp_path) == []


def test_full_disk_with_force_keeps_the_old_files(tmp_path, monkeypatch):
    (tmp_path / "out.mp3").write_bytes(b"old audio")
    (tmp_path / "out.vtt").write_bytes(b"old vtt")
    fill_disk_after(monkeypatch, limit=50_000)
    with pytest.raises(OutputFileError):
        export_timeline(long_silentish_session(), synthetic_clip, tmp_path / "out.mp3", force=True)
    assert (tmp_path / "out.mp3").read_bytes() == b"old audio"
    assert (tmp_path / "out.vtt").read_bytes() == b"old vtt"
    assert files_in(tmp_path) == ["out.mp3", "out.vtt"]


@pytest.mark.parametrize("fmt", ["mp3", "wav"])
def test_ctrl_c_during_export_leaves_no_file(tmp_path, fmt):
    calls = []

    def progress(done_ms: int, total_ms: int) -> None:
        calls.append(done_ms)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        export_timeline(long_silentish_session(), synthetic_clip, tmp_path / f"out.{fmt}", progress=progress)
    assert calls == [30_000]
    assert files_in(tmp_path) == []


def test_progress_reports_each_chunk_up_to_the_total(tmp_path):
    calls: list[tuple[int, int]] = []
    export_timeline(
        long_silentish_session(), synthetic_clip, tmp_path / "out.mp3",
        progress=lambda done, total: calls.append((done, total)),
    )
    assert calls == [(30_000, 70_000), (60_000, 70_000), (70_000, 70_000)]
