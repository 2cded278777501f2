"""Nothing hangs: a script too big to run is refused from its structure, before any work, in one line.

The shapes here are the ones a prober found hanging or crashing the landed code (nested repeats ran
for minutes at 1.8 GB; a 300-character name raised OSError). Work is bounded by counting, not timed,
except for a generous 1 s of CPU per refusal, which only a loop over the expanded session would miss.
"""

from __future__ import annotations

import textwrap
import time
import tracemalloc
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings

from coach import model as m
from coach.cli import cli
from coach.library import builtin_names, resolve
from coach.timeline import bounds
from coach.timeline.compiler import compile_timeline
from coach.timeline.estimate import estimate_spoken_ms
from routine_strategies import options, routines, spoken_lengths

HEAD = textwrap.dedent("""\
    format: 1
    kind: exercise
    name: {name}
    title: Test stretch
    description: A stretch for the tests.
    focus: [lower-back]
    equipment: [mat]
    position: kneeling
    contraindications: []
    safety: Move slowly and stop if anything hurts.
    steps:
    """)
STEPS_LINE = 11


def nested_repeats(depth: int, times: int = 50) -> str:
    text, indent = "", "  "
    for _ in range(depth):
        text += f"{indent}- repeat:\n{indent}    times: {times}\n{indent}    steps:\n"
        indent += "      "
    return text + f"{indent}- hold: {{seconds: 300}}\n"


def write(folder: Path, name: str, body: str, head: str = HEAD) -> Path:
    path = folder / f"{name}.yaml"
    path.write_text(head.format(name=name) + body, encoding="utf-8")
    return path


def routine_text(name: str, sequence: str) -> str:
    return f"format: 1\nkind: routine\nname: {name}\ntitle: Test routine\ndescription: For the tests.\nsequence: {sequence}\n"


def run(*args: str):
    """The command in-process, with the CPU it took."""
    start = time.process_time()
    result = CliRunner().invoke(cli, list(args))
    return result, time.process_time() - start


def refused(result, cpu_s: float, where: str, *phrases: str) -> str:
    """Exit 2, no traceback, the first line names the place, and the refusal took little work."""
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    first = result.output.splitlines()[0]
    assert where in first, first
    for phrase in phrases:
        assert phrase in first, first
    assert cpu_s < 1.0, f"{cpu_s:.2f} s of CPU to refuse"
    return first


@pytest.mark.parametrize("depth", [2, 3, 4, 5])
def test_nested_repeats_are_refused_from_the_structure(tmp_path, depth):
    path = write(tmp_path, f"nest{depth}", nested_repeats(depth))
    for command in ("validate", "show"):
        result, cpu_s = run(command, str(path))
        first = refused(result, cpu_s, f"{path}:", "repeat")
        if depth > bounds.MAX_NESTING:
            assert f"nested {bounds.MAX_NESTING + 1} deep" in first
        else:
            assert f"runs its steps over {bounds.MAX_REPETITIONS} times" in first
        if command == "show":
            assert result.output.count("\n") == 1   # one line


def test_two_hundred_long_holds_are_refused_by_the_session_limit(tmp_path):
    path = write(tmp_path, "holds", "  - hold: {seconds: 300}\n" * 200)
    for command in ("validate", "show", "play", "live"):
        result, cpu_s = run(command, str(path), *(("--yes",) if command in ("play", "live") else ()))
        refused(result, cpu_s, f"{path}:{STEPS_LINE}: ", "the session lasts at least 1000 minutes", "the limit is 120")


def test_many_breaths_in_a_repeat_are_refused_by_the_cue_count(tmp_path):
    path = write(tmp_path, "breaths", "  - repeat:\n      times: 50\n      steps:\n" + "        - hold: {breaths: 30}\n" * 500)
    result, cpu_s = run("validate", str(path))
    refused(result, cpu_s, f"{path}:{STEPS_LINE}: ", "expand to about", f"at most {bounds.MAX_CUES}")


@pytest.mark.parametrize("form", ["scalar", "mapping"])
def test_a_name_too_long_for_a_file_is_a_problem_not_a_lookup(tmp_path, form):
    long = "a" * 300
    sequence = f"[{long}]" if form == "scalar" else f"\n  - exercise: {long}\n    reps: 3"
    path = tmp_path / "long.yaml"
    path.write_text(routine_text("long", sequence), encoding="utf-8")
    line = 6 if form == "scalar" else 7
    for args in (("validate",), ("show",), ("play", "--yes"), ("export", "-o", str(tmp_path / "x.mp3"))):
        result, cpu_s = run(args[0], str(path), *args[1:])
        refused(result, cpu_s, f"{path}:{line}: ", "is 300 characters", "at most 64")
    assert not (tmp_path / "x.mp3").exists()


def test_a_long_name_on_the_command_line_is_unknown(tmp_path):
    result, cpu_s = run("show", "b" * 300)
    refused(result, cpu_s, "coach: no routine or exercise called")


def marathon(folder: Path) -> Path:
    """About 3.5 hours of holds: 3 exercises of 14 five-minute holds."""
    write(folder, "holds14", "  - hold: {seconds: 300}\n" * 14)
    path = folder / "marathon.yaml"
    path.write_text(routine_text("marathon", "[holds14, holds14, holds14]"), encoding="utf-8")
    return path


@pytest.mark.parametrize("command", ["validate", "show", "play", "live", "export", "render"])
def test_a_routine_over_two_hours_is_refused_by_every_command(tmp_path, command):
    path = marathon(tmp_path)
    extra = {"play": ("--yes",), "live": ("--yes",), "export": ("-o", str(tmp_path / "m.mp3"), "--yes")}
    result, cpu_s = run(command, str(path), *extra.get(command, ()))
    first = refused(result, cpu_s, f"{path}:6: ", "the session lasts at least 2", "the limit is 120")
    if command != "validate":
        assert result.output == first + "\n"   # one line
    assert not (tmp_path / "m.mp3").exists()


def test_the_hold_scale_counts_toward_the_limit(tmp_path):
    write(tmp_path, "holds14", "  - hold: {seconds: 300}\n" * 14)   # about 71 minutes
    path = tmp_path / "holds14.yaml"
    assert run("show", str(path))[0].exit_code == 0
    for command, extra in (("show", ()), ("play", ("--yes",)), ("export", ("-o", str(tmp_path / "h.mp3"), "--yes"))):
        result, cpu_s = run(command, str(path), "--hold-scale", "2", *extra)
        refused(result, cpu_s, f"{path}:{STEPS_LINE}: ", "at least 14", "(with hold scale 2)", "the limit is 120")


def test_refusing_the_worst_shapes_allocates_little(tmp_path):
    shapes = {
        "nest5": HEAD.format(name="nest5") + nested_repeats(5),
        "holds": HEAD.format(name="holds") + "  - hold: {seconds: 300}\n" * 200,
        "sequence": routine_text("sequence", "\n" + "  - child-pose\n" * 60_000),   # about 1 MiB
        "flow": "format: 1\nsteps: " + "[" * 400_000 + "]" * 400_000 + "\n",
        "manykeys": "format: 1\nkind: exercise\n" + "".join(f"k{i}: {i}\n" for i in range(60_000)),
    }
    for name, text in shapes.items():
        path = tmp_path / f"{name}.yaml"
        path.write_text(text, encoding="utf-8")
        tracemalloc.start()
        try:
            result, cpu_s = run("validate", str(path))
            peak_mb = tracemalloc.get_traced_memory()[1] / 1e6
        finally:
            tracemalloc.stop()
        refused(result, cpu_s, f"{path}:")
        assert peak_mb < 50, f"{name}: {peak_mb:.0f} MB at the peak"


# -- the floor and the count are right: never above the compiled session, never below its cues -----

PROPS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPS
@given(routines(), spoken_lengths(), options())
def test_the_floor_and_the_count_bound_the_compiled_session(routine, spoken_ms, opts):
    timeline = compile_timeline(routine, spoken_ms, opts)
    assert bounds.floor_ms(routine, opts, spoken_ms) <= timeline.duration_ms
    assert bounds.routine_cues(routine.exercises) >= len(timeline.cues)


@pytest.mark.parametrize("name", builtin_names())
def test_the_floor_of_every_builtin_is_close_to_its_length(name):
    routine = resolve(name)
    duration_ms = compile_timeline(routine, estimate_spoken_ms).duration_ms
    floor_ms = bounds.floor_ms(routine, m.CompileOptions(), estimate_spoken_ms)
    assert 0.85 * duration_ms <= floor_ms <= duration_ms


def test_a_path_too_long_for_the_system_is_one_line(tmp_path):
    path = tmp_path / ("c" * 300 + ".yaml")
    for command in ("validate", "show"):
        result, cpu_s = run(command, str(path))
        refused(result, cpu_s, f"{path}: ", "cannot be read (File name too long); use a shorter name")


def test_the_speaking_rate_counts_toward_the_limit(tmp_path):
    # About 100 minutes of speech at the usual 175 words a minute; more than twice that at 80.
    sentence = "Let your shoulders soften towards the floor and breathe slowly out through your mouth."
    path = write(tmp_path, "talk", "  - repeat:\n      times: 50\n      steps:\n" + f"        - say: {sentence}\n" * 20)
    assert run("show", str(path))[0].exit_code == 0
    result, cpu_s = run("show", str(path), "--rate", "80")
    refused(result, cpu_s, f"{path}:{STEPS_LINE}: ", "(with speech at 80 words a minute)", "the limit is 120")
