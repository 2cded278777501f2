"""A cold play re-plans the rest of the session as its clips arrive: after the first minute every
sentence is given its measured length, and the next one follows it after the compiler's pause, with
no slot's spare time left as dead air. Real engines, real ALSA playback captured to a file, the real
CLI in this process; the session runs in real time (about 95 s), mostly a hold in its first minute.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from alsa_capture import write_capture_config
from support import TINY_SCRIPT
from coach.cache import ClipCache
from coach.cli import cli
from coach.speech import get_voice
from coach.timeline.compiler import GAP_MS

pytestmark = pytest.mark.slow

# The tiny script's header, with a long hold first and long sentences after it.
LONG_TALK = TINY_SCRIPT.format(conditions="").split("steps:")[0].replace("tiny-stretch", "long-talk") + """\
steps:
  - hold: {seconds: 50, countdown: 0}
  - say: Let your shoulders soften towards the floor, and let your breathing settle into an easy rhythm.
  - say: Notice the length along your back, from your hips all the way up to the back of your head.
  - say: Keep your forehead resting on the floor, and let your arms lie heavy beside your body.
  - say: If anything feels sharp or sore, ease off a little, or come out of the position slowly.
  - say: Stay here for a few more moments, breathing slowly in and out through your nose.
"""


@pytest.mark.parametrize("engine", ["piper", "espeak"])
def test_a_cold_play_gives_every_sentence_after_the_first_minute_its_measured_length(tmp_path, monkeypatch, engine):
    script = tmp_path / "long-talk.yaml"
    script.write_text(LONG_TALK)
    monkeypatch.setenv("COACH_CACHE_DIR", str(tmp_path / "cache"))
    config, _raw = write_capture_config(tmp_path)
    monkeypatch.setenv("ALSA_CONFIG_PATH", str(config))
    log = tmp_path / "timing.jsonl"
    result = CliRunner().invoke(cli, ["play", str(script), "--yes", "--engine", engine, "--timing-log", str(log)])
    assert result.exit_code == 0, result.output
    entries = [json.loads(line) for line in log.read_text().splitlines()]
    spoken = [e for e in entries if e["text"]]
    cache, voice = ClipCache(tmp_path / "cache"), get_voice(engine)
    measured = {e["text"]: cache.clip_ms(voice, e["text"]) for e in spoken}
    # The first sentences were planned before their clips existed: with slots, longer than the clips.
    assert spoken[0]["planned_ms"] > measured[spoken[0]["text"]]
    later = [e for e in spoken if e["scheduled_ms"] >= 60_000]
    assert len(later) >= 6   # the five sentences and the outro
    assert [(e["text"], e["planned_ms"]) for e in later] == [(e["text"], measured[e["text"]]) for e in later]
    # One sentence after another: each starts the compiler's pause after the last one ends.
    says = later[:5]
    for a, b in zip(says, says[1:]):
        assert b["scheduled_ms"] == a["scheduled_ms"] + a["planned_ms"] + GAP_MS, (a, b)
    assert all(abs(e["late_ms"]) < 250 for e in entries)
