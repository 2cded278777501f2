"""The web app's parts that need no browser: the MP3 stream against the export's mix, the view a page
follows, the library's ids, and the remote's state from a session's events."""

from __future__ import annotations

import subprocess

import numpy as np
import pytest

from alsa_capture import espeak_clip, tiny_timeline
from support import tiny_script
from coach.audio_format import SAMPLE_RATE, ms_to_samples
from coach.errors import UsageError
from coach.mix import mix_range, mix_to_array
from coach.player.events import Caption, Ended, Paused, Progress, Resumed, SessionResult, Started, StepChanged
from coach.player.segments import steps
from coach.safety import spoken_exit
from coach.timeline.compiler import compile_sentences

pytest.importorskip("starlette")

from coach.web.audio import pcm_pieces, mp3_stream  # noqa: E402
from coach.web.remote import Remote  # noqa: E402
from coach.web.routines import RoutineIndex, entry_json  # noqa: E402
from coach.web.view import STREAM_DELAY_MS, timeline_view  # noqa: E402


def test_the_pieces_are_the_export_mix_sample_for_sample_from_anywhere():
    timeline = tiny_timeline()
    whole = mix_to_array(timeline, espeak_clip)
    assert np.array_equal(np.concatenate(list(pcm_pieces(timeline, espeak_clip))), whole)
    middle_ms = timeline.cues[2].start_ms + 37          # inside a sentence
    rest = np.concatenate(list(pcm_pieces(timeline, espeak_clip, middle_ms)))
    assert np.array_equal(rest, whole[ms_to_samples(middle_ms):])
    # A piece never runs into a sentence: everything before it goes out before its clip is asked for.
    starts = {ms_to_samples(c.start_ms) for c in timeline.cues if c.is_speech and c.text}
    edges, at = set(), 0
    for piece in pcm_pieces(timeline, espeak_clip):
        at += len(piece)
        edges.add(at)
    assert starts - {0} <= edges | {len(whole)}


def test_the_background_bed_under_the_phone_is_the_exports_from_anywhere():
    from coach.background.bed import background_for
    from coach.mix import iter_pcm_chunks

    timeline = tiny_timeline()
    bed = background_for("rain", None)
    exported = np.concatenate(list(iter_pcm_chunks(timeline, espeak_clip, background=bed)))
    assert np.array_equal(np.concatenate(list(pcm_pieces(timeline, espeak_clip, 0, bed))), exported)
    middle_ms = 1234
    rest = np.concatenate(list(pcm_pieces(timeline, espeak_clip, middle_ms, bed)))
    assert np.array_equal(rest, exported[ms_to_samples(middle_ms):])


def test_the_stream_decodes_to_the_mix_after_the_encoders_delay(tmp_path):
    timeline = tiny_timeline()
    mp3 = b"".join(mp3_stream(timeline, espeak_clip))
    decoded = np.frombuffer(subprocess.run(["ffmpeg", "-v", "error", "-f", "mp3", "-i", "-", "-f", "s16le", "-ac", "1",
                                            "-ar", str(SAMPLE_RATE), "-"], input=mp3, capture_output=True,
                                           check=True).stdout, dtype="<i2").astype(np.float64)
    mix = mix_to_array(timeline, espeak_clip).astype(np.float64)
    delay = round(STREAM_DELAY_MS * SAMPLE_RATE / 1000)
    aligned = decoded[delay:delay + len(mix)]
    assert len(aligned) == len(mix)
    noise = np.sqrt(np.mean((aligned - mix) ** 2))
    signal = np.sqrt(np.mean(mix ** 2))
    assert 20 * np.log10(signal / noise) > 15          # lossy, but the same sound at the same place
    shifted = decoded[delay + 40:delay + 40 + len(mix)]  # 2 ms off: clearly worse, so the delay is right
    assert np.sqrt(np.mean((shifted[:len(mix)] - mix[:len(shifted)]) ** 2)) > noise


def test_the_view_has_the_players_steps_and_only_spoken_captions():
    timeline = tiny_timeline()
    view = timeline_view(timeline)
    assert [s["start_ms"] for s in view["steps"]] == [s.start_ms for s in steps(timeline)]
    assert [c["text"] for c in view["captions"]] == [c.text for c in timeline.cues if c.is_speech and c.text]
    assert view["duration_ms"] == timeline.duration_ms and view["delay_ms"] == pytest.approx(50.1, abs=0.1)


def test_the_library_names_routines_by_id_and_lists_a_broken_script_with_its_problem(tmp_path):
    tiny_script(tmp_path, conditions="knee-injury")
    (tmp_path / "broken.yaml").write_text("format: 1\nkind: exercise\nname: broken\n")
    (tmp_path / "..hidden.yaml").write_text("not listed: not an id")
    index = RoutineIndex(tmp_path)
    rows = {e.id: entry_json(e, {}) for e in index.entries()}
    assert rows["my:tiny-stretch"]["verdict"]["status"] == "ask"
    assert entry_json(next(e for e in index.entries() if e.id == "my:tiny-stretch"),
                      {"knee-injury": True})["verdict"]["status"] == "ruled-out"
    assert rows["my:broken"]["verdict"]["status"] == "broken" and "broken.yaml" in rows["my:broken"]["problem"]
    assert not any(".." in i for i in rows)
    assert index.get("my:tiny-stretch").name == "tiny-stretch" and index.get("child-pose").name == "child-pose"
    for bad in ("../child-pose", str(tmp_path / "tiny-stretch.yaml"), "my:..hidden", "", None, 3, "my:broken"):
        with pytest.raises(UsageError):
            index.get(bad)


def test_the_remote_state_follows_the_session_and_its_guided_exit():
    timeline = tiny_timeline()
    all_steps = steps(timeline)
    remote = Remote()
    sent: list[str] = []
    remote.attach(sent.append)
    remote.on_event(Started(timeline.title, timeline.duration_ms, all_steps))
    remote.on_event(StepChanged(all_steps[1], all_steps[2], all_steps[1].start_ms))
    remote.on_event(Caption(timeline.cues[2], timeline.cues[2].start_ms))
    remote.on_event(Progress(all_steps[1].start_ms + 500, timeline.duration_ms, all_steps[1], all_steps[2]))
    remote.on_event(Paused(all_steps[1].start_ms + 500))
    state = remote._state
    assert state["chapter"] == all_steps[1].chapter and state["caption"] == timeline.cues[2].text
    assert state["paused"] and state["session_left_ms"] == timeline.duration_ms - all_steps[1].start_ms - 500
    remote.on_event(Resumed(all_steps[1].start_ms))
    assert not state["paused"]
    remote.command("next")
    with pytest.raises(UsageError):
        remote.command("quit")           # not a remote's button: only what the keys do on the floor
    assert sent == ["next"]
    remote.on_event(Ended(SessionResult("safety-stop", 900.0, timeline.duration_ms, 0.0, ())))
    exit_timeline = compile_sentences("safety-stop", "Safety stop", spoken_exit("lying-back"), lambda t: 1000)
    remote.on_event(Started("Safety stop", exit_timeline.duration_ms, steps(exit_timeline)))
    assert state["exit"] == list(spoken_exit("lying-back"))
    remote.close()
    assert list(remote.events()) == []      # a closed remote: its stream ends at once


def test_a_phone_session_is_screened_warned_and_recorded_like_coach_play(tmp_path):
    import sqlite3

    from coach.history import History
    from coach.library import resolve
    from coach.session import VoiceChoice
    from coach.web.phone import NeedsScreening, PhoneSessions, SessionSettings

    script = tiny_script(tmp_path, conditions="knee-injury")
    routine = resolve(str(script))
    settings = SessionSettings(VoiceChoice("espeak"), tmp_path / "cache", tmp_path / "config.json",
                               tmp_path / "history.sqlite")
    phone = PhoneSessions(settings, VoiceChoice("espeak").get("render"))
    with pytest.raises(NeedsScreening) as asked:
        phone.start(routine, cleared=False)
    assert asked.value.conditions == ("knee-injury",)
    (tmp_path / "config.json").write_text('{"conditions": {"knee-injury": true}}')
    with pytest.raises(UsageError, match="not advised with a knee injury"):
        phone.start(routine, cleared=False)
    history = History(tmp_path / "history.sqlite")
    for _ in range(3):
        history.end(history.start("tiny-stretch", "play"), "completed")
    started = phone.start(routine, cleared=True)       # a doctor approved it: played, with the note
    assert started["notice"].startswith("You have already started this routine three times today")
    spoken = [c["text"] for c in started["view"]["captions"]]
    assert any(t.startswith("You have already started this routine") for t in spoken)
    assert any("cleared you" in t for t in spoken)     # the CLI's --cleared reminder, spoken
    phone.end(started["session"], "quit")
    with pytest.raises(UsageError):
        phone.end(started["session"], "interrupted")    # the page cannot claim any ending it likes
    with sqlite3.connect(tmp_path / "history.sqlite") as db:
        assert db.execute("SELECT mode, outcome FROM sessions ORDER BY id DESC LIMIT 1").fetchone() == ("phone", "quit")
