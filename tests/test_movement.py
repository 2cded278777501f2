"""Coaching timed to the body: `move` steps, breath-led movement, breathing for a duration, cues at
breath N, alternating repetitions and sets, read from YAML and compiled (docs/script-format.md)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from coach import model as m
from coach.cli import cli
from coach.errors import ScriptError
from coach.library import apply_overrides, resolve, resolve_script
from coach.script import load_script
from coach.timeline.compiler import GAP_MS, compile_timeline
from coach.timeline.estimate import estimate_spoken_ms

HEAD = """\
format: 1
kind: exercise
name: probe
title: Probe
description: A probe.
focus: [lower-back]
equipment: [mat]
position: lying-back
contraindications: []
safety:
  say: Go gently and stop if anything hurts.
  brief: Gently.
"""


def exercise_from(tmp_path: Path, body: str) -> m.Exercise:
    path = tmp_path / "probe.yaml"
    path.write_text(HEAD + textwrap.dedent(body), encoding="utf-8")
    script = load_script(path)
    assert isinstance(script, m.Exercise)
    return script


def compiled(ex: m.Exercise, **options) -> list:
    routine = resolve_script(ex, None)
    return list(compile_timeline(routine, estimate_spoken_ms, m.CompileOptions(**options)).cues)


def after(cues, pred):
    """The cues after the first one matching pred."""
    index = next(i for i, c in enumerate(cues) if pred(c))
    return cues[index + 1:]


def test_a_hold_starts_when_the_movement_is_done_not_when_the_words_end(tmp_path):
    ex = exercise_from(tmp_path, """\
        steps:
          - move: Slowly lower both knees to the left.
            brief: Knees left.
            seconds: 3
            settle_s: 1
          - hold: {seconds: 20}
        """)
    for verbosity in ("full", "brief", "minimal"):
        cues = compiled(ex, verbosity=verbosity)
        move = next(c for c in cues if c.kind == "move")
        hold = next(c for c in cues if c.kind == "hold")
        assert move.duration_ms == 4000
        assert hold.start_ms == move.end_ms
        words = [c for c in cues if c.kind == "instruction"]
        if verbosity == "minimal":   # the words are left out; the time to move is not
            assert words == []
        else:
            assert words[-1].end_ms + GAP_MS == move.start_ms
            assert words[-1].text == ("Slowly lower both knees to the left." if verbosity == "full" else "Knees left.")


def test_a_tempo_counts_the_seconds_of_the_movement(tmp_path):
    ex = exercise_from(tmp_path, """\
        steps:
          - move: Press up slowly.
            seconds: 4
            tempo: true
          - hold: {seconds: 3}
        """)
    cues = compiled(ex)
    move = next(c for c in cues if c.kind == "move")
    tempo = [c for c in cues if c.kind == "tempo"]
    assert [c.text for c in tempo] == ["One.", "Two.", "Three.", "Four."]
    assert [c.start_ms - move.start_ms for c in tempo] == [0, 1000, 2000, 3000]
    assert all(c.end_ms <= move.end_ms for c in tempo)


def test_a_breath_led_movement_is_the_exhale_and_the_hold_goes_on_with_the_inhale(tmp_path):
    ex = exercise_from(tmp_path, """\
        breath: {inhale_s: 4, exhale_s: 6}
        steps:
          - move: As you breathe out, lower both knees to the left.
            brief: Out, knees left.
            breath: out
          - hold: {breaths: 3}
        """)
    cues = compiled(ex)
    move = next(c for c in cues if c.kind == "move")
    opening = [c for c in cues if c.start_ms == move.start_ms and c.kind != "move"]
    assert {(c.kind, c.tone or c.text) for c in opening} == {
        ("tone", "exhale"), ("instruction", "As you breathe out, lower both knees to the left.")}
    assert move.duration_ms == 6000
    hold = next(c for c in cues if c.kind == "hold")
    assert hold.start_ms == move.end_ms          # breathing goes on: no pause between the phases
    first_in_hold = [c for c in cues if c.start_ms == hold.start_ms and c.kind in ("tone", "breath")]
    assert {c.tone or c.text for c in first_in_hold} == {"inhale", "Breathe in."}
    # At minimal the words go, the exhale tone stays and so does the phase's time.
    minimal = compiled(ex, verbosity="minimal")
    move = next(c for c in minimal if c.kind == "move")
    assert [c.tone for c in minimal if c.start_ms == move.start_ms and c.kind == "tone"] == ["exhale"]
    assert move.duration_ms == 6000
    # A slower pace makes the movement's exhale slower too.
    slow = compiled(ex, breath_scale=1.5)
    assert next(c for c in slow if c.kind == "move").duration_ms == 9000


def test_breathing_for_a_duration_is_whole_breaths_at_the_sessions_pace(tmp_path):
    ex = exercise_from(tmp_path, """\
        steps:
          - breathe: {seconds: 30, inhale_s: 4, exhale_s: 6}
        """)
    for scale, breaths in ((1.0, 3), (0.5, 6), (1.5, 2)):
        cues = compiled(ex, breath_scale=scale)
        span = next(c for c in cues if c.kind == "breathe")
        inhales = [c for c in cues if c.kind == "tone" and c.tone == "inhale" and span.start_ms <= c.start_ms]
        assert len(inhales) == breaths, scale
        assert abs(span.duration_ms - 30_000) <= (4000 + 6000) * scale / 2


def test_a_cue_at_breath_n_is_said_in_that_breath_and_keeps_the_breath_cues(tmp_path):
    ex = exercise_from(tmp_path, """\
        steps:
          - move: Hug your knees in.
            seconds: 3
          - hold:
              breaths: 5
              inhale_s: 4
              exhale_s: 6
              cues: [{at_breath: 4, say: Let your shoulders soften.}]
        """)
    for scale in (1.0, 1.3):
        cues = compiled(ex, breath_scale=scale)
        hold = next(c for c in cues if c.kind == "hold")
        inhales = [c.start_ms for c in cues if c.kind == "tone" and c.tone == "inhale" and c.start_ms >= hold.start_ms]
        cue = next(c for c in cues if c.kind == "hold-cue")
        assert inhales[3] <= cue.start_ms < inhales[4], scale
        assert len([c for c in cues if c.kind == "breath"]) == 10   # no breath cue gave way
    fewer = apply_overrides(ex, m.Entry("probe", breaths=2))
    assert fewer.steps[1].cues[0].at_breath == 2


def test_alternating_repetitions_take_turns_without_switching_sides(tmp_path):
    ex = exercise_from(tmp_path, """\
        steps:
          - repeat:
              times: 2
              alternate: true
              first: right
              steps:
                - move: Reach your {side} arm forward and your {other} leg back.
                  brief: "{side} arm, {other} leg."
                  seconds: 2
                - hold: {seconds: 3}
                - move: Bring them back down.
                  seconds: 2
        """)
    cues = compiled(ex)
    reaches = [c.text for c in cues if c.kind == "instruction" and "arm" in c.text]
    assert reaches == ["Reach your right arm forward and your left leg back.",
                       "Reach your left arm forward and your right leg back.",
                       "Right arm, left leg.", "Left arm, right leg."]
    assert [c.text for c in cues if c.kind == "count"] == ["One.", "Last one."]
    assert not [c for c in cues if c.kind == "switch-sides"]
    assert {c.chapter for c in cues if c.kind == "hold"} == {"Probe"}
    assert [c.duration_ms for c in cues if c.kind == "hold"] == [3000] * 4


def test_sets_repeat_the_exercise_but_not_its_announcement_or_full_safety_cue(tmp_path):
    ex = exercise_from(tmp_path, """\
        sets: 3
        set_rest_s: 8
        steps:
          - move: Press your lower back into the mat.
            seconds: 2
          - hold: {seconds: 5}
        """)
    cues = compiled(ex)
    assert [c.text for c in cues if c.kind == "announce"] == ["First: Probe."]
    safety = [c.text for c in cues if c.kind == "safety" and c.chapter.startswith("Probe")]
    assert safety == ["Go gently and stop if anything hurts.", "Gently.", "Gently."]
    assert [c.text for c in cues if c.kind == "count"] == ["Set two of three.", "Set three of three."]
    assert [c.duration_ms for c in cues if c.kind == "pause"] == [8000, 8000]
    assert [c.duration_ms for c in cues if c.kind == "hold"] == [5000] * 3
    chapters = {c.chapter for c in cues if c.kind == "hold"}
    assert chapters == {"Probe", "Probe: set 2", "Probe: set 3"}


def test_a_routine_entry_can_set_the_sets(tmp_path):
    exercise_from(tmp_path, """\
        steps:
          - move: Press your lower back into the mat.
            seconds: 2
          - hold: {seconds: 5}
        """)
    (tmp_path / "twice.yaml").write_text(textwrap.dedent("""\
        format: 1
        kind: routine
        name: twice
        title: Twice
        description: The probe twice.
        sequence:
          - exercise: probe
            sets: 2
        """), encoding="utf-8")
    routine = resolve(str(tmp_path / "twice.yaml"))
    assert routine.exercises[0].sets == 2
    timeline = compile_timeline(routine, estimate_spoken_ms)
    assert len([c for c in timeline.cues if c.kind == "hold"]) == 2


def test_get_ready_time_is_the_same_at_every_verbosity_and_always_says_where(tmp_path):
    ex = exercise_from(tmp_path, """\
        setup: Lie on your back with your knees bent.
        setup_s: 6
        steps:
          - move: Hug your knees in.
            seconds: 3
          - hold: {seconds: 20}
        """)
    for verbosity in ("full", "brief", "minimal"):
        cues = compiled(ex, verbosity=verbosity)
        ready = next(c for c in cues if c.kind == "transition")
        assert ready.duration_ms == 6000
        setup = next(c for c in cues if c.kind == "setup")
        assert setup.end_ms <= ready.start_ms
        expected = "Get ready, lying on your back." if verbosity == "minimal" else "Lie on your back with your knees bent."
        assert setup.text == expected


BAD_STEPS = [
    ("- move: Roll over.\n", "needs 'seconds'"),
    ("- move: Roll over.\n  seconds: 45\n", "between 0.5 and 30"),
    ("- move: Roll over.\n  breath: sideways\n", "choose one of: in, out"),
    ("- move: Roll over.\n  breath: out\n  tempo: true\n", "remove 'tempo'"),
    ("- breathe: {breaths: 4, seconds: 30}\n", "exactly one of 'breaths'"),
    ("- hold: {seconds: 20, cues: [{at_breath: 2, say: Soften.}]}\n", "needs a hold counted in breaths"),
    ("- hold: {breaths: 3, cues: [{at_breath: 5, say: Soften.}]}\n", "past the hold's 3 breaths"),
    ("- hold: {breaths: 3, cues: [{at_breath: 2, at_s: 4, say: Soften.}]}\n", "exactly one of 'at_s'"),
    ("- repeat: {times: 2, first: left, steps: [{say: Go.}]}\n", "add alternate: true"),
]


@pytest.mark.parametrize("step, phrase", BAD_STEPS, ids=[p for _, p in BAD_STEPS])
def test_new_fields_are_checked_with_the_line_and_the_fix(tmp_path, step, phrase):
    path = tmp_path / "probe.yaml"
    path.write_text(HEAD + "steps:\n" + textwrap.indent(step, "  "), encoding="utf-8")
    result = CliRunner().invoke(cli, ["validate", str(path)])
    assert result.exit_code == 2, result.output
    first = result.output.splitlines()[0]
    step_lines = range(14, 14 + step.count("\n"))   # the step starts on line 14 of the file
    assert any(first.startswith(f"{path}:{n}: ") for n in step_lines), first
    assert phrase in first, first
    assert "Traceback" not in result.output


def test_side_placeholders_work_in_an_alternating_repeat_only(tmp_path):
    body = "steps:\n  - repeat:\n      times: 2\n{alt}      steps: [{{move: 'Reach {{side}}.', seconds: 2}}]\n"
    path = tmp_path / "probe.yaml"
    path.write_text(HEAD + body.format(alt="      alternate: true\n"), encoding="utf-8")
    load_script(path)
    path.write_text(HEAD + body.format(alt=""), encoding="utf-8")
    with pytest.raises(ScriptError, match="only works inside a 'sides' block or a 'repeat' with alternate"):
        load_script(path)


MIN_MOVE_MS = 1_500   # the least time any built-in movement gets before a hold starts


def builtin_exercises() -> list[str]:
    from coach.library import builtin_names, load_ref

    return [n for n in builtin_names() if isinstance(load_ref(n)[0], m.Exercise)]


@pytest.mark.parametrize("name", builtin_exercises())
def test_every_builtin_hold_starts_after_time_to_move(name):
    """Walks each built-in exercise at every verbosity: what comes right before each hold (ignoring
    tones, safety reminders and repetition numbers) is time to move or to get ready, at least
    MIN_MOVE_MS long, and every instruction before a hold ends at least that long before it starts."""
    routine = resolve(name)
    for verbosity in ("full", "brief", "minimal"):
        cues = list(compile_timeline(routine, estimate_spoken_ms, m.CompileOptions(verbosity=verbosity)).cues)
        spans = [c for c in cues if c.kind in ("hold", "breathe")]
        assert spans, name
        for span in spans:
            before = [c for c in cues if c.end_ms <= span.start_ms and c.kind not in ("tone", "safety", "count")
                      and not (c.kind == "breath" and c.start_ms >= span.start_ms)]
            last = max(before, key=lambda c: (c.end_ms, c.kind in ("move", "transition", "hold", "breathe")))
            where = f"{name} at {verbosity}, {span.kind} at {span.start_ms / 1000:.1f} s"
            if last.kind in ("hold", "breathe"):
                continue   # breathing or holding straight on (a hold after paced breathing)
            assert last.kind in ("move", "transition"), f"{where}: follows {last.kind} '{last.text}'"
            assert last.duration_ms >= MIN_MOVE_MS, where
            said = [c for c in before if c.kind == "instruction"]
            if said:
                assert span.start_ms - said[-1].end_ms >= MIN_MOVE_MS, f"{where}: '{said[-1].text}'"


def test_the_complete_example_in_the_format_doc_is_a_valid_script(tmp_path):
    doc = (Path(__file__).resolve().parent.parent / "docs" / "script-format.md").read_text(encoding="utf-8")
    example = doc.split("## A complete example", 1)[1].split("```yaml\n", 1)[1].split("```", 1)[0]
    path = tmp_path / "supine-twist.yaml"
    path.write_text(example, encoding="utf-8")
    script = load_script(path)
    assert isinstance(script, m.Exercise)
    assert any(isinstance(s, m.Move) and s.breath == "out" for s in m.iter_steps(script.steps))
