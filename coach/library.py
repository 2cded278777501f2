"""Finds scripts by name or path and resolves routines into playable exercises."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from functools import lru_cache
from importlib import resources
from pathlib import Path

from coach import model as m
from coach.errors import Problem, ScriptError, UsageError
from coach.fields import MAX_PROBLEMS, did_you_mean
from coach.script import Script, load_script
from coach.timeline import bounds
from coach.timeline.estimate import estimator


def builtin_dir() -> Path:
    return Path(str(resources.files("coach.routines")))


def builtin_names() -> tuple[str, ...]:
    return tuple(sorted(p.stem for p in builtin_dir().glob("*.yaml")))


@lru_cache(maxsize=None)
def _load_builtin(name: str) -> Script:
    path = builtin_dir() / f"{name}.yaml"
    return load_script(path, shown=f"coach/routines/{name}.yaml")


def personal_dir() -> Path:
    """Your routines folder (coach.settings): scripts there play by name, and win over built-ins."""
    from coach import settings

    return settings.routines_dir()


def personal_names(folder: Path | None = None) -> tuple[str, ...]:
    return tuple(sorted(_local_names(folder or personal_dir())))


def all_names() -> tuple[str, ...]:
    """Every name `resolve` takes: the built-ins and yours."""
    return tuple(sorted(set(builtin_names()) | set(personal_names())))


def find_personal(name: str, folder: Path | None = None) -> Path | None:
    return _local_path(name, folder or personal_dir())


def looks_like_path(ref: str) -> bool:
    return "/" in ref or ref.endswith((".yaml", ".yml")) or ref.startswith(".")


def load_ref(ref: str) -> tuple[Script, Path | None]:
    """A script named by built-in name or by path, with the folder its references resolve in."""
    if looks_like_path(ref):
        path = Path(ref)
        return load_script(path, shown=ref), path.parent
    # Yours first: a copy of a built-in under its own name is how a person changes one.
    mine = find_personal(ref)
    if mine is not None:
        return load_script(mine, shown=str(mine)), mine.parent
    if ref in builtin_names():
        return _load_builtin(ref), None
    raise UsageError(f"no routine or exercise called '{ref}'{did_you_mean(ref, all_names())}; "
                     f"'coach list' shows them all, or give a path to a .yaml script")


def resolve(ref: str, options: m.CompileOptions | None = None, rate_wpm: int | None = None) -> m.Routine:
    """The playable routine for a built-in name or a script path, refused (ScriptError) when it is too
    big to run or its session, with these options and at this speaking rate, passes the limit."""
    script, folder = load_ref(ref)
    return resolve_script(script, folder, options, rate_wpm)


def resolve_script(script: Script, folder: Path | None, options: m.CompileOptions | None = None,
                   rate_wpm: int | None = None) -> m.Routine:
    if isinstance(script, m.Exercise):
        routine = m.Routine(script.name, script.title, script.description, (script,), 0, script.source, "exercise",
                            script.line)
    else:
        expansion = _Expansion()
        exercises = expansion.expand(script, folder, (script.name,))
        if expansion.problems:
            raise ScriptError(expansion.problems)
        routine = m.Routine(script.name, script.title, script.description, tuple(exercises), script.rest_ms,
                            script.source, line=script.line)
    check_session(routine, options or m.CompileOptions(), rate_wpm)
    return routine


def check_session(routine: m.Routine, options: m.CompileOptions, rate_wpm: int | None = None) -> None:
    """The one check of a session's length: its floor (computed from the structure, the speech
    estimated at this rate) against SESSION_LIMIT_MS."""
    floor_ms = bounds.floor_ms(routine, options, estimator(rate_wpm))
    if floor_ms <= bounds.SESSION_LIMIT_MS:
        return
    given = [f"{what} {value:g}" for what, value in (("hold scale", options.hold_scale),
                                                   ("breath scale", options.breath_scale)) if value != 1]
    given += [f"speech at {rate_wpm} words a minute"] if rate_wpm else []
    with_given = f" (with {', '.join(given)})" if given else ""
    raise ScriptError([Problem(routine.source, routine.line,
                               f"the session lasts at least {floor_ms / 60000:.0f} minutes{with_given}; the limit is "
                               f"{bounds.SESSION_LIMIT_MS // 60000}: shorten holds or repetitions, or split the routine")])


class _Expansion:
    """One routine's sequence resolved into exercises, refused as soon as it grows past MAX_CUES;
    each file is read once however often it is named, so no sequence can make it read a file again
    and again."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.cues = 0
        self.loaded: dict[tuple[str, Path | None], Script | ScriptError | None] = {}
        self.known: dict[Path | None, set[str]] = {}

    def expand(self, routine: m.RoutineScript, folder: Path | None, stack: tuple[str, ...]) -> list[m.Exercise]:
        out: list[m.Exercise] = []
        for entry in routine.sequence:
            if self.cues > bounds.MAX_CUES or len(self.problems) >= MAX_PROBLEMS:
                break
            out.extend(self.entry(routine, entry, folder, stack))
        return out

    def entry(self, routine: m.RoutineScript, entry: m.Entry, folder: Path | None,
              stack: tuple[str, ...]) -> list[m.Exercise]:
        problems = self.problems
        if entry.name in stack:
            chain = " -> ".join(stack[stack.index(entry.name):] + (entry.name,))
            problems.append(Problem(routine.source, entry.line, f"circular composition: {chain}; remove '{entry.name}' from this sequence"))
            return []
        script = self.find(entry.name, folder)
        if isinstance(script, ScriptError):
            problems.extend(script.problems)
            return []
        if script is None:
            known = self.known.setdefault(folder, set(builtin_names()) | _local_names(folder))
            problems.append(Problem(routine.source, entry.line,
                                    f"unknown exercise '{entry.name}'{did_you_mean(entry.name, known)}; 'coach list' shows the built-in names"))
            return []
        if isinstance(script, m.RoutineScript):
            if entry.hold_s or entry.breaths or entry.reps or entry.sets:
                # Reported, and the routine is still expanded: its own problems must show too.
                problems.append(Problem(routine.source, entry.line,
                                        f"'{entry.name}' is a routine; overrides (hold_s, breaths, reps, sets) apply to exercises only"))
            sub_folder = folder if _local_path(entry.name, folder) else None
            return self.expand(script, sub_folder, stack + (entry.name,))
        problems.extend(Problem(routine.source, entry.line, why) for why in unused_overrides(script, entry))
        exercise = apply_overrides(script, entry)
        too_big = bounds.exercise_problems(exercise) if exercise is not script else []
        if too_big:
            problems.append(Problem(routine.source, entry.line, f"with these overrides, '{entry.name}': {too_big[0].message}"))
            return []
        self.cues += bounds.exercise_size(exercise).cues + 2
        if self.cues > bounds.MAX_CUES:
            problems.append(Problem(routine.source, entry.line,
                                    f"the routine expands to over {bounds.MAX_CUES} cues by here (exercises, repeats, "
                                    f"sides and sets multiplied out); shorten it or split it into several"))
            return []
        return [exercise]

    def find(self, name: str, folder: Path | None) -> Script | ScriptError | None:
        key = (name, folder)
        if key not in self.loaded:
            try:
                self.loaded[key] = _find(name, folder)
            except ScriptError as exc:
                self.loaded[key] = exc
        return self.loaded[key]


def unused_overrides(exercise: m.Exercise, entry: m.Entry) -> list[str]:
    """An override the exercise has nothing to apply to is a mistake worth saying, not a silent no-op."""
    steps = list(m.iter_steps(exercise.steps))
    has = {
        "hold_s": any(isinstance(s, m.Hold) and s.hold_ms is not None for s in steps),
        "breaths": any(isinstance(s, m.Breathe) or (isinstance(s, m.Hold) and s.breaths is not None) for s in steps),
        "reps": any(isinstance(s, m.Repeat) for s in steps),
    }
    what = {"hold_s": "hold timed in seconds", "breaths": "hold counted in breaths and no 'breathe' step",
            "reps": "'repeat' step"}
    return [f"'{key}' has nothing to apply to: '{exercise.name}' has no {what[key]}; remove '{key}' from this entry"
            for key in ("hold_s", "breaths", "reps") if getattr(entry, key) and not has[key]]


def _local_path(name: str, folder: Path | None) -> Path | None:
    if folder is None:
        return None
    path = folder / f"{name}.yaml"
    try:
        return path if path.is_file() else None
    except OSError:   # a name the system cannot take as a file name is no file (script.py refuses those)
        return None


def _local_names(folder: Path | None) -> set[str]:
    try:
        return {p.stem for p in folder.glob("*.yaml")} if folder is not None and folder.is_dir() else set()
    except OSError:
        return set()


def _find(name: str, folder: Path | None) -> Script | None:
    """Files beside the routine win over built-ins, so a user can shadow one by copying it."""
    local = _local_path(name, folder)
    if local is not None:
        return load_script(local, shown=str(local))
    if name in builtin_names():
        return _load_builtin(name)
    return None


def apply_overrides(exercise: m.Exercise, entry: m.Entry) -> m.Exercise:
    if entry.sets:
        exercise = dataclasses.replace(exercise, sets=entry.sets)
    if not (entry.hold_s or entry.breaths or entry.reps):
        return exercise
    return dataclasses.replace(exercise, steps=m.map_steps(exercise.steps, lambda s: s.with_overrides(entry)))


_TEMPLATE = """\
format: 1
kind: routine
name: {name}
title: {title}
# What it is for and how long it takes: shown by 'coach list' and spoken at the start.
description: >
  A routine of my own: gentle stretches for the lower back, about five minutes.
# Seconds of quiet between exercises.
rest_s: 3
# Exercises by name ('coach list' shows them; a file NAME.yaml in this folder wins over a built-in).
# An entry may change the exercise for this routine only: hold_s, breaths, reps, sets.
sequence:
  - cat-cow
  - exercise: knee-to-chest
    hold_s: 20
  - child-pose
"""


def save_personal(name: str, text: str, folder: Path | None = None) -> Path:
    """Write a script (a plan) as NAME.yaml into your routines folder. Never overwrites (UsageError)."""
    return _write_new(name, lambda: text, folder)


def new_personal(name: str, from_name: str | None = None, folder: Path | None = None) -> Path:
    """Write NAME.yaml into your routines folder: a commented template, or a copy of a built-in
    renamed to NAME. Never overwrites (UsageError)."""
    if from_name is not None and from_name not in builtin_names():
        raise UsageError(f"no built-in called '{from_name}'{did_you_mean(from_name, builtin_names())}; "
                         f"'coach list' shows them")

    def text() -> str:
        if from_name is None:
            return _TEMPLATE.format(name=name, title=name.replace("-", " ").capitalize())
        copied = (builtin_dir() / f"{from_name}.yaml").read_text(encoding="utf-8")
        return copied.replace(f"\nname: {from_name}\n", f"\nname: {name}\n", 1)

    return _write_new(name, text, folder)


def _write_new(name: str, text: Callable[[], str], folder: Path | None) -> Path:
    from coach import atomic
    from coach.errors import CoachError
    from coach.script import name_problem

    why = name_problem(name)
    if why:
        raise UsageError(why)
    folder = folder or personal_dir()
    path = folder / f"{name}.yaml"
    if path.exists():
        raise UsageError(f"{path} already exists; edit it, or remove it to start again")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with atomic.atomic_write(path, mode="w") as f:
            f.write(text())
    except OSError as exc:
        raise CoachError(f"cannot write {path} ({exc.strerror}); set COACH_ROUTINES_DIR to a writable folder") from None
    return path
