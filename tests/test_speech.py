"""The speech engines, for real: espeak-ng through pyttsx3, and Piper with the bundled voice."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hide_espeak import without_espeak

from coach.audio_format import SAMPLE_RATE, ms_to_samples
from coach.errors import EngineError, UsageError
from coach.speech import get_voice, list_engines, voice_from_spec
from coach.speech.base import MARGIN_MS, SILENCE_LEVEL, Voice
from coach.speech.pcm import pcm_from_frames, trim_silence

pytestmark = pytest.mark.slow

LONG_TEXT = "Slowly lower both knees to the left and keep your shoulders on the floor."


def spoken_ms(samples: np.ndarray) -> int:
    return len(samples) * 1000 // SAMPLE_RATE


def assert_trimmed_speech(clip: np.ndarray, min_ms: int, max_ms: int) -> None:
    assert clip.dtype == np.int16 and clip.ndim == 1
    assert min_ms <= spoken_ms(clip) <= max_ms
    assert np.abs(clip.astype(np.int32)).max() > 3000, "audible, not near-silence"
    loud = np.flatnonzero(np.abs(clip.astype(np.int32)) > SILENCE_LEVEL)
    margin = ms_to_samples(MARGIN_MS)
    assert loud[0] == margin and loud[-1] == len(clip) - margin - 1, "exactly MARGIN_MS of silence each side"


@pytest.fixture(scope="module")
def espeak() -> Voice:
    return get_voice("espeak")


@pytest.fixture(scope="module")
def piper() -> Voice:
    return get_voice("piper")


class TestEspeak:
    def test_renders_speech_of_plausible_length(self, espeak: Voice) -> None:
        assert_trimmed_speech(espeak.render("Breathe in."), 300, 1500)

    def test_longer_text_takes_longer(self, espeak: Voice) -> None:
        assert spoken_ms(espeak.render(LONG_TEXT)) > 2 * spoken_ms(espeak.render("Breathe in."))

    def test_same_text_twice_gives_identical_samples(self, espeak: Voice) -> None:
        first = espeak.render("Three. Two. One.")
        espeak.render("Rest")  # one long-lived espeak engine would let this change the pauses above
        assert np.array_equal(first, espeak.render("Three. Two. One."))

    def test_faster_rate_is_shorter(self) -> None:
        slow = get_voice("espeak", rate=120).render("Keep both shoulders on the floor.")
        fast = get_voice("espeak", rate=250).render("Keep both shoulders on the floor.")
        assert spoken_ms(fast) < 0.7 * spoken_ms(slow)

    def test_unknown_voice_names_close_matches(self) -> None:
        with pytest.raises(EngineError, match=r"unknown espeak voice 'gmw/en-uss': did you mean .*gmw/en-us"):
            get_voice("espeak", "gmw/en-uss")

    def test_voice_by_short_name(self) -> None:
        assert get_voice("espeak", "EN-US").spec.voice == "gmw/en-us"

    def test_prints_nothing(self, espeak: Voice, capfd: pytest.CaptureFixture[str]) -> None:
        espeak.render("Switch sides.")
        assert capfd.readouterr() == ("", "")

    def test_default_rate_is_175_and_shares_its_identity(self, espeak: Voice) -> None:
        assert espeak.cache_identity() == get_voice("espeak", rate=175).cache_identity()
        assert espeak.cache_identity() != get_voice("espeak", rate=176).cache_identity()

    def test_missing_library_says_how_to_install(self, tmp_path: Path) -> None:
        script = "from coach.speech import get_voice\nget_voice('espeak')\n"
        result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60,
                                env={**without_espeak(tmp_path), "PATH": "/usr/bin:/bin"})
        assert result.returncode == 1
        assert "EngineError: espeak-ng is not available" in result.stderr
        assert "apt-get install libespeak-ng1 espeak-ng" in result.stderr


class TestPiper:
    def test_renders_speech_of_plausible_length(self, piper: Voice) -> None:
        assert_trimmed_speech(piper.render("Breathe in."), 300, 1500)

    def test_same_text_twice_gives_identical_samples(self, piper: Voice) -> None:
        first = piper.render("Breathe in.")
        piper.render("Rest")
        assert np.array_equal(first, piper.render("Breathe in."))

    def test_sentences_get_a_pause_and_rate_changes_length(self, piper: Voice) -> None:
        both = piper.render("Breathe in. Breathe out.")
        assert spoken_ms(both) > spoken_ms(piper.render("Breathe in.")) + 300
        slow = get_voice("piper", rate=120).render("Breathe in.")
        fast = get_voice("piper", rate=250).render("Breathe in.")
        assert spoken_ms(fast) < 0.7 * spoken_ms(slow)

    def test_missing_model_file(self, tmp_path: Path) -> None:
        with pytest.raises(EngineError, match="Piper model not found"):
            get_voice("piper", str(tmp_path / "nobody.onnx"))

    def test_model_without_its_config(self, tmp_path: Path) -> None:
        (tmp_path / "voice.onnx").write_bytes(b"not a model")
        with pytest.raises(EngineError, match=r"voice\.onnx\.json is missing"):
            get_voice("piper", str(tmp_path / "voice.onnx"))

    def test_model_that_does_not_load(self, tmp_path: Path) -> None:
        (tmp_path / "voice.onnx").write_bytes(b"not a model")
        config = {"audio": {"sample_rate": SAMPLE_RATE}, "num_symbols": 1, "num_speakers": 1,
                  "espeak": {"voice": "en-us"}, "phoneme_id_map": {}}
        (tmp_path / "voice.onnx.json").write_text(json.dumps(config))
        voice = get_voice("piper", str(tmp_path / "voice.onnx"))  # the model loads lazily, on first render
        assert "sha256=" in voice.cache_identity()
        with pytest.raises(EngineError, match="cannot load Piper model"):
            voice.render("Breathe in.")

    def test_unknown_voice_name(self) -> None:
        with pytest.raises(EngineError, match="did you mean en_US-joe-medium"):
            get_voice("piper", "joe")


class TestChoosingAVoice:
    def test_defaults(self) -> None:
        assert get_voice(purpose="render").spec.engine == "piper"
        assert get_voice(purpose="live").spec.engine == "piper"   # issue 10: the neural voice live too

    def test_unknown_engine_lists_the_choices(self) -> None:
        with pytest.raises(EngineError, match="choose one of piper, espeak"):
            get_voice("festival")

    def test_rate_out_of_range_is_bad_input(self) -> None:
        with pytest.raises(UsageError, match="80 to 450"):
            get_voice("espeak", rate=20)

    def test_spec_rebuilds_the_same_voice(self, espeak: Voice, piper: Voice) -> None:
        for voice in (espeak, piper):
            again = voice_from_spec(voice.spec)
            assert again.spec == voice.spec and again.cache_identity() == voice.cache_identity()

    def test_list_engines(self) -> None:
        engines = {e.name: e for e in list_engines()}
        assert engines["piper"].available and engines["piper"].default_voice == "en_US-joe-medium"
        assert engines["espeak"].available and "gmw/en-us" in {v.id for v in engines["espeak"].voices}

    def test_importing_the_package_loads_no_engine(self) -> None:
        script = ("import sys, coach.speech, coach.speech.espeak, coach.speech.piper, coach.cache\n"
                  "print(sorted(m for m in sys.modules if m.split('.')[0] in ('piper', 'onnxruntime', 'pyttsx3')))")
        result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True)
        assert result.stdout.strip() == "[]"


class TestPcm:
    def test_trim_pads_or_cuts_to_the_margin(self) -> None:
        margin = ms_to_samples(MARGIN_MS)
        tone = np.full(100, 5000, dtype=np.int16)
        short_silence = np.concatenate([np.zeros(10, np.int16), tone, np.zeros(10, np.int16)])
        long_silence = np.concatenate([np.zeros(5000, np.int16), tone, np.zeros(5000, np.int16)])
        for samples in (tone, short_silence, long_silence):
            trimmed = trim_silence(samples)
            assert len(trimmed) == 100 + 2 * margin
            assert np.array_equal(trimmed[margin:-margin], tone)
        assert trim_silence(np.zeros(1000, np.int16)).size == 0

    def test_frames_of_other_shapes_become_int16_mono(self) -> None:
        stereo = np.array([[1000, 3000], [-2000, -4000]], dtype="<i2").tobytes()
        assert pcm_from_frames(stereo, 2, 2, SAMPLE_RATE).tolist() == [2000, -3000]
        unsigned8 = bytes([128, 255, 0])
        assert pcm_from_frames(unsigned8, 1, 1, SAMPLE_RATE).tolist() == [0, 127 << 8, -32768]
        with pytest.raises(EngineError, match="44100 Hz"):
            pcm_from_frames(stereo, 2, 2, 44100)
