"""Every step kind is handled everywhere a step tree is read or rewritten: adding one to the model
and forgetting a place fails here, instead of passing silently."""

from __future__ import annotations

import textwrap
import typing
from pathlib import Path

import pytest

from coach import model as m
from coach.library import apply_overrides
from coach.script import load_script
from coach.timeline.compiler import _STEP_HANDLERS, _sided, compile_timeline
from coach.timeline.estimate import estimate_spoken_ms

SIDE_TEXT = m.Text("Reach to the {side}, away from the {other}.", "Reach {side}.", "full")

# One step of each kind, with {side} in every text it speaks itself, as a script writes it.
SAMPLES: dict[type, tuple[m.Step, str]] = {
    m.Say: (m.Say(SIDE_TEXT), "say: 'Reach to the {side}.'"),
    m.Move: (m.Move(SIDE_TEXT, 3000, 1000), "{move: 'Roll to the {side}.', seconds: 3}"),
    m.SafetyStep: (m.SafetyStep(SIDE_TEXT), "safety: 'Keep the {side} knee soft.'"),
    m.Hold: (m.Hold(20_000, None, 4000, 6000, 3, True, (m.HoldCue(5000, SIDE_TEXT),)),
             "hold: {seconds: 20, cues: [{at_s: 5, say: 'Soften the {side} hip.'}]}"),
    m.Breathe: (m.Breathe(3, 4000, 6000, SIDE_TEXT, SIDE_TEXT),
                "breathe: {breaths: 3, inhale_say: 'In to the {side}.'}"),
    m.Repeat: (m.Repeat(2, True, (m.Say(SIDE_TEXT),)), "repeat: {times: 2, steps: [{say: 'Lift the {side} arm.'}]}"),
    m.Sides: (m.Sides("left", (m.Say(SIDE_TEXT),)), "sides: {steps: [{say: 'Turn to the {side}.'}]}"),
    m.Rest: (m.Rest(5000, SIDE_TEXT), "rest: {seconds: 5, say: 'Rest the {side} side.'}"),
}


def texts_of(step: m.Step) -> list[str]:
    found: list[str] = []

    def grab(text: m.Text) -> m.Text:
        found.extend(t for t in (text.full, text.brief) if t)
        return text

    for s in m.iter_steps((step,)):
        s.map_texts(grab)
    return found


def test_the_step_union_and_the_kind_table_agree():
    assert set(typing.get_args(m.Step)) == set(m.STEP_TYPES) == set(SAMPLES)
    assert len(set(m.STEP_KINDS)) == len(m.STEP_TYPES)


@pytest.mark.parametrize("kind", m.STEP_TYPES, ids=lambda t: t.KIND)
def test_the_compiler_has_a_rule_for_every_kind(kind):
    assert kind in _STEP_HANDLERS
    step, _ = SAMPLES[kind]
    exercise = m.Exercise("x", "X", "", ("lower-back",), ("mat",), "kneeling", (), m.Text("Go gently."),
                          (m.Sides("left", (step,)),))
    timeline = compile_timeline(m.Routine("x", "X", "", (exercise,)), estimate_spoken_ms)
    assert timeline.duration_ms > 0


@pytest.mark.parametrize("kind", m.STEP_TYPES, ids=lambda t: t.KIND)
def test_sides_fill_every_text_of_every_kind(kind):
    step, _ = SAMPLES[kind]
    before = texts_of(step)
    after = texts_of(_sided((step,), "left", "right")[0])
    assert before and any("{side}" in t for t in before)
    assert len(after) == len(before)
    assert not any("{side}" in t or "{other}" in t for t in after)
    assert any("left" in t for t in after)


@pytest.mark.parametrize("kind", m.STEP_TYPES, ids=lambda t: t.KIND)
def test_the_script_reader_knows_every_kind(tmp_path: Path, kind):
    _, yaml_step = SAMPLES[kind]
    if kind is not m.Sides:   # {side} outside a 'sides' block is an error (test_validate checks it)
        yaml_step = yaml_step.replace("{side}", "left")
    path = tmp_path / "probe.yaml"
    path.write_text(textwrap.dedent(f"""\
        format: 1
        kind: exercise
        name: probe
        title: Probe
        description: One step of one kind.
        focus: [lower-back]
        equipment: [mat]
        position: kneeling
        contraindications: []
        safety: Go gently.
        steps:
          - {yaml_step}
        """), encoding="utf-8")
    exercise = load_script(path)
    assert type(exercise.steps[0]) is kind
    assert kind.KIND in yaml_step


def test_overrides_reach_every_kind_they_name_at_any_depth():
    hold = m.Hold(20_000, None, 4000, 6000, 3, True, (m.HoldCue(10_000, SIDE_TEXT),))
    breath_hold = m.Hold(None, 4, 4000, 6000, 0, False)
    breathe = m.Breathe(3, 4000, 6000, SIDE_TEXT, SIDE_TEXT)
    tree = (m.Sides("left", (m.Repeat(2, True, (hold, breath_hold, breathe)),)),)
    exercise = m.Exercise("x", "X", "", ("lower-back",), ("mat",), "kneeling", (), m.Text("Go."), tree)
    out = apply_overrides(exercise, m.Entry("x", hold_s=40, breaths=6, reps=5))
    repeat = out.steps[0].steps[0]
    new_hold, new_breath_hold, new_breathe = repeat.steps
    assert repeat.times == 5
    assert new_hold.hold_ms == 40_000 and new_hold.cues[0].at_ms == 20_000
    assert new_breath_hold.breaths == 6
    assert new_breathe.breaths == 6
    assert apply_overrides(exercise, m.Entry("x")) is exercise


def test_a_safety_cue_goes_to_the_nearest_free_moment_inside_the_hold():
    from coach.timeline.fitting import MARGIN_MS, Candidate, fit_span

    lengths = {"Three.": 500, "Two.": 500, "One.": 500, "Keep your neck long.": 1500}
    countdown = [Candidate(10_000 - k * 1000, (w,), "countdown") for k, w in ((3, "Three."), (2, "Two."), (1, "One."))]
    # Wanted at 7.5 s, in the middle of the countdown: the nearest free moment is before it, inside the hold.
    safety = Candidate(7_500, ("Keep your neck long.",), "safety", movable=True)
    fit = fit_span(10_000, [*countdown, safety], lengths.__getitem__, [])
    placed = {p.text: p for p in fit.placed}
    assert not fit.unplaced_safety and not fit.dropped
    assert placed["Keep your neck long."].end_ms + MARGIN_MS == placed["Three."].start_ms
    # No room anywhere in a short, full hold: handed back to be spoken before it, never dropped.
    fit = fit_span(2_000, [Candidate(1_000, ("One.",), "countdown"), safety], lengths.__getitem__, [])
    assert fit.unplaced_safety == (safety,)
