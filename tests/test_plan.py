"""`coach plan`: for every focus, length, place and a dozen screening profiles the plan validates
strictly, holds nothing ruled out, fits the minutes within 10% by the compiled timeline (or says why,
truly), keeps the roles in order with the fewest position changes (brute force on small sets)."""

from __future__ import annotations

import itertools
import json
import random
from functools import lru_cache
from pathlib import Path

import pytest
from click.testing import CliRunner

from coach.cli import cli
from coach.exercise_index import ALWAYS_AT_HAND, PLACE_BRINGS, PLACES, index
from coach.library import resolve_script
from coach.plan import PlanRequest, build, script_text, suitable
from coach.plan.build import TOLERANCE, Chosen, _chosen
from coach.plan.order import best_order, position_changes, roles_in_order
from coach.script import load_script
from coach.timeline.compiler import compile_timeline
from coach.timeline.estimate import estimate_spoken_ms
from coach.validate import validate_files
from coach.vocab import CONDITIONS, EQUIPMENT, FOCUS_AREAS

PROFILES: tuple[tuple[dict[str, bool], tuple[str, ...]], ...] = (
    ({}, ()),
    ({c: False for c in CONDITIONS}, tuple(EQUIPMENT)),
    ({"knee-injury": True}, ()),
    ({"herniated-disc": True}, ("foam-roller",)),
    ({"osteoporosis": True}, ()),
    ({"pregnancy": True}, ("chair", "exercise-ball")),
    ({"shoulder-injury": True}, ()),
    ({"dizziness": True, "nerve-symptoms": True}, ()),
    ({"spinal-instability": True, "recent-injury": True}, ()),
    ({"knee-injury": True, "shoulder-injury": True}, ("cushion",)),
    ({"unevaluated-pain": True}, ("pull-up-bar",)),
    ({"inflammatory-joint-disease": True, "pregnancy": True, "knee-injury": True}, tuple(EQUIPMENT)),
)


def fewest_changes(items) -> int | None:
    """By brute force: the fewest position changes of any order that keeps the roles in order."""
    found = [position_changes(p) for p in itertools.permutations(items) if roles_in_order(p)]
    return min(found) if found else None


@lru_cache(maxsize=None)
def validated(text: str, folder: str) -> tuple[str, ...]:
    """The strict validation of one script text (plans repeat across profiles: each text once)."""
    path = Path(folder) / f"check-{abs(hash(text))}.yaml"
    path.write_text(text.replace("name: planned-routine", f"name: {path.stem}"))
    result = validate_files([path])
    return tuple(str(p) for p in result.problems)


def test_best_order_is_optimal_against_brute_force_on_small_sets():
    rng = random.Random(7)
    items = [Chosen(e, ()) for e in index()]
    checked = 0
    for size in range(1, 8):
        for _ in range(40 if size > 5 else 80):
            sample = rng.sample(items, size)
            order = best_order(sample)
            assert sorted(c.exercise.name for c in order) == sorted(c.exercise.name for c in sample)
            assert roles_in_order(order)
            assert position_changes(order) == fewest_changes(sample)
            checked += 1
    assert checked == 5 * 80 + 2 * 40


def test_best_order_groups_positions_it_can():
    by = {e.name: Chosen(e, ()) for e in index()}
    mixed = [by[n] for n in ("prone-press-up", "cat-cow", "supine-spinal-twist", "superman", "pelvic-tilt",
                             "knee-to-chest", "child-pose")]
    order = [c.exercise.name for c in best_order(mixed)]
    assert order[-1] == "child-pose" and order.index("cat-cow") < order.index("prone-press-up")
    assert position_changes(best_order(mixed)) == fewest_changes(mixed) == 3


def test_every_focus_minutes_place_and_profile(tmp_path):
    checked = fitted = 0
    for focus, minutes, place, (answers, equipment) in itertools.product(
            FOCUS_AREAS, (5, 10, 15, 20), tuple(PLACES), PROFILES):
        request = PlanRequest(minutes, focus, place, equipment, seed=minutes, answers=answers)
        plan = build(request)
        checked += 1
        allowed, _ = suitable(request)
        if not plan.chosen:
            assert not allowed, (focus, minutes, place, answers)
            continue
        have = set(ALWAYS_AT_HAND) | set(equipment) | set(PLACE_BRINGS.get(place, ()))
        for chosen in plan.chosen:
            ex = chosen.exercise
            assert not any(answers.get(c) for c in ex.contraindications), (ex.name, answers)
            assert set(ex.equipment) <= have and ex.position in PLACES[place] and focus in ex.focus
            for knob, value in chosen.values:
                bounds = ex.range_of(knob)
                assert bounds is not None and bounds.low <= value <= bounds.high, (ex.name, knob, value)
        text = script_text(plan)
        assert validated(text, str(tmp_path)) == (), text
        # The minutes, by the compiled timeline of the script as written.
        script = load_script(_write(tmp_path, text), shown="plan.yaml")
        compiled = compile_timeline(resolve_script(script, None), estimate_spoken_ms).duration_ms
        target = minutes * 60_000
        if plan.fits:
            assert abs(compiled - target) <= TOLERANCE * target, (focus, minutes, place, compiled)
            fitted += 1
        else:
            # It says why, and it is true: no set of the suitable exercises, at any dose, reaches the band.
            assert len(allowed) <= 10, (focus, minutes, place, answers)
            assert not _some_set_fits(tuple(allowed), request), (focus, minutes, place, answers)
            assert plan.why_not and "suitable exercise" in plan.why_not
        assert roles_in_order(plan.chosen)
        if len(plan.chosen) <= 7:
            assert plan.position_changes == fewest_changes(plan.chosen)
    assert checked == 6 * 4 * 4 * 12
    # Every length on the floor for the lower back, with no condition, is met.
    assert fitted >= 300


def _some_set_fits(allowed, request) -> bool:
    return _any_fits(allowed, request.minutes, request.gentle)


@lru_cache(maxsize=None)
def _any_fits(allowed, minutes: int, gentle: bool) -> bool:
    request = PlanRequest(minutes, gentle=gentle)
    target = minutes * 60_000
    for size in range(1, len(allowed) + 1):
        for subset in itertools.combinations(allowed, size):
            shortest, longest = (_compiled(_chosen(subset, f, request)) for f in (0.0, 1.0))
            if shortest <= target * (1 + TOLERANCE) and longest >= target * (1 - TOLERANCE):
                return True
    return False


@lru_cache(maxsize=None)
def _compiled(chosen) -> int:
    from coach.model import RoutineScript

    script = RoutineScript("all", "all", "", tuple(_entries(chosen)), 3000)
    return compile_timeline(resolve_script(script, None), estimate_spoken_ms).duration_ms


def _write(folder: Path, text: str) -> Path:
    path = folder / "planned-routine.yaml"
    path.write_text(text)
    return path


def _entries(chosen):
    from coach.plan.build import entries

    return entries(tuple(chosen))


def test_the_same_seed_gives_the_same_plan_and_seeds_vary_it():
    request = PlanRequest(10, "lower-back", "floor", seed=3)
    assert script_text(build(request)) == script_text(build(request))
    sets = {tuple(c.exercise.name for c in build(PlanRequest(10, "lower-back", "floor", seed=s)).chosen)
            for s in range(8)}
    assert len(sets) > 1


def test_not_the_last_sessions_exact_set_when_there_is_a_choice():
    first = build(PlanRequest(10, "lower-back", "floor", seed=5))
    names = tuple(c.exercise.name for c in first.chosen)
    again = build(PlanRequest(10, "lower-back", "floor", seed=5, recent=(names,)))
    assert set(c.exercise.name for c in again.chosen) != set(names)


def test_gentle_leaves_out_the_strong_and_says_so():
    plan = build(PlanRequest(10, "lower-back", "floor", gentle=True, seed=1))
    assert plan.chosen and not any(c.exercise.strong for c in plan.chosen)
    assert ("prone-press-up", "too strong for a gentle session") in plan.left_out


def test_a_neglected_focus_is_preferred_without_for():
    # Lower back every day this week: the plan leans elsewhere.
    plan = build(PlanRequest(10, None, "floor", seed=2,
                             week_focus={"lower-back": 30, "hips": 10, "mid-back": 10, "upper-back": 0,
                                         "neck": 5, "shoulders": 5}))
    assert sum("upper-back" in c.exercise.focus for c in plan.chosen) >= len(plan.chosen) // 2


def run(*args):
    return CliRunner().invoke(cli, list(args))


def test_plan_command_saves_a_script_that_validates_and_plays_by_name(private_state):
    (private_state / "config.json").write_text(json.dumps({"conditions": {"knee-injury": "yes"}}))
    result = run("plan", "--minutes", "10", "--for", "lower-back", "--place", "floor", "--seed", "4",
                 "--save", "my-ten")
    assert result.exit_code == 0, result.output + result.stderr
    assert "Left out: child-pose (not advised with a knee injury or pain when kneeling)" in result.output
    path = private_state / "routines" / "my-ten.yaml"
    assert f"Saved as {path}" in result.output
    assert validate_files([path]).problems == ()
    shown = json.loads(run("show", "my-ten", "--json").output)
    assert abs(shown["duration_ms"] - 600_000) <= 60_000
    assert not {e.name for e in load_script(path).sequence} & {"child-pose", "cat-cow", "child-pose-side-reach"}
    again = run("plan", "--minutes", "10", "--save", "my-ten")
    assert again.exit_code == 2 and "already exists" in again.stderr


def test_plan_command_says_why_it_cannot_fill_the_minutes():
    result = run("plan", "--minutes", "20", "--for", "upper-back", "--place", "standing", "--seed", "1")
    assert result.exit_code == 0
    assert "could not meet 20 minutes within 10%: only 3 suitable exercises" in result.stderr
    nothing = run("plan", "--minutes", "10", "--for", "neck", "--place", "desk", "--seed", "1")
    assert nothing.exit_code in (0, 2)
    if nothing.exit_code == 2:
        assert "no exercise fits these choices" in nothing.stderr


# -- coach play --plan SPEC (pure) ---------------------------------------------------------------------------

def test_a_plan_spec_gives_the_request_coach_plan_would_make():
    from coach.plan.spec import parse_spec

    assert parse_spec("10 lower-back floor", seed=5) == PlanRequest(10, "lower-back", "floor", (), False, 5)
    assert parse_spec(" 15min, mid-back,foam-roller, gentle seed=7 ", seed=5) == PlanRequest(
        15, "mid-back", None, ("foam-roller",), True, 7)
    assert parse_spec("5 bed", seed=0).place == "bed"            # a place before the equipment of that name
    assert parse_spec("5 chair cushion chair", seed=0).equipment == ("chair", "cushion")


@pytest.mark.parametrize(("spec", "says"), [
    ("lower-back floor", "say how many minutes"),
    ("10 lowerback", "'lowerback' is not a number of minutes"),
    ("2 desk", "2 minutes is outside 3-60"),
    ("10 desk floor", "two places (desk and floor)"),
])
def test_a_bad_plan_spec_is_one_line_with_an_example(spec, says):
    from coach.errors import UsageError
    from coach.plan.spec import parse_spec

    with pytest.raises(UsageError) as raised:
        parse_spec(spec, seed=0)
    message = str(raised.value)
    assert says in message and '--plan "10 lower-back floor"' in message and "\n" not in message
