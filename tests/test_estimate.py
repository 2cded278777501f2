"""The estimate follows the speaking rate, as the engines do (coach.timeline.estimate has the figures)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from coach.cli import cli
from coach.timeline.estimate import estimate_spoken_ms

SENTENCE = "Slowly sit back towards your heels, and let your arms reach forward."


def shown_ms(*args: str) -> tuple[int, int]:
    """The session's length and its first spoken cue's length, as `coach show --json` prints them."""
    result = CliRunner().invoke(cli, ["show", "child-pose", "--json", *args])
    assert result.exit_code == 0, result.output
    timeline = json.loads(result.output)
    intro = next(c for c in timeline["cues"] if c["kind"] == "intro")
    return timeline["duration_ms"], intro["end_ms"] - intro["start_ms"]


@pytest.mark.parametrize("engine", ["espeak", "piper"])
def test_show_estimates_slower_speech_as_longer(engine):
    slow, normal, fast = (shown_ms("--engine", engine, "--rate", str(rate)) for rate in (90, 175, 400))
    assert slow[0] > normal[0] > fast[0]
    assert slow[1] > normal[1] > fast[1]
    assert normal == shown_ms("--engine", engine)   # no rate: the engine's own pace, 175


def test_espeak_follows_the_rate_in_proportion_and_piper_partly():
    at_175 = estimate_spoken_ms(SENTENCE, None, "espeak")
    assert estimate_spoken_ms(SENTENCE, 90, "espeak") == pytest.approx(at_175 * 175 / 90, rel=0.01)
    assert estimate_spoken_ms(SENTENCE, 400, "espeak") == pytest.approx(at_175 * 175 / 400, rel=0.01)
    # Measured: Piper at 90 spoke 1.69x as long as at 175, at 400 0.59x.
    piper_175 = estimate_spoken_ms(SENTENCE, 175, "piper")
    assert estimate_spoken_ms(SENTENCE, 90, "piper") == pytest.approx(piper_175 * 1.69, rel=0.03)
    assert estimate_spoken_ms(SENTENCE, 400, "piper") == pytest.approx(piper_175 * 0.59, rel=0.03)


def test_each_engine_has_its_own_calibration_and_no_engine_means_espeaks():
    assert estimate_spoken_ms(SENTENCE) == estimate_spoken_ms(SENTENCE, None, "espeak")
    assert estimate_spoken_ms(SENTENCE, None, "piper") != estimate_spoken_ms(SENTENCE, None, "espeak")
    # An engine with no calibration of its own gets the mean of the calibrated ones.
    both = (estimate_spoken_ms(SENTENCE, None, "piper") + estimate_spoken_ms(SENTENCE, None, "espeak")) / 2
    assert estimate_spoken_ms(SENTENCE, None, "another") == pytest.approx(both, abs=1)
