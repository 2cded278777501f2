"""Finds scripts by name or path and resolves routines into playable exercises."""

from __future__ import annotations

import dataclasses
from functools import lru_cache
from importlib import resources
from pathlib import Path

from coach import model as m
from coach.errors import Problem, ScriptError, UsageError
from coach.fields import did_you_mean
from coach.script import Script, load_script


def builtin_dir() -> Path:
    return Path(str(resources.files("coach.routines")))


def builtin_names() -> tuple[str, ...]:
    return tuple(sorted(p.stem for p in builtin_dir().glob("*.yaml")))


@lru_cache(maxsize=None)
def _load_builtin(name: str) -> Script:
    path = builtin_dir() / f"{name}.yaml"
    return load_script(path, shown=f"coach/routines/{name}.yaml")


def looks_like_path(ref: str) -> bool:
    return "/" in ref or ref.endswith((".yaml", ".yml")) or ref.startswith(".")


def load_ref(ref: str) -> tuple[Script, Path | None]:
    """A script named by built-in name or by path, with the folder its references resolve in."""
    if looks_like_path(ref):
        path = Path(ref)
        return load_script(path, shown=ref), path.parent
    if ref in builtin_names():
        return _load_builtin(ref), None
    raise UsageError(f"no routine or exercise called '{ref}'{did_you_mean(ref, builtin_names())}; "
                     f"'coach list' shows them all, or give a path to a .yaml script")


def resolve(ref: str) -> m.Routine:
    """The playable routine for a built-in name or a script path."""
    script, folder = load_ref(ref)
    return resolve_script(script, folder)


def resolve_script(script: Script, folder: Path | None) -> m.Routine:
    if isinstance(script, m.Exercise):
        return m.Routine(script.name, script.title, script.description, (script,), 0, script.source, "exercise")
    problems: list[Problem] = []
    exercises = _expand(script, folder, (script.name,), problems)
    if problems:
        raise ScriptError(problems)
    return m.Routine(script.name, script.title, script.description, tuple(exercises), script.rest_ms, script.source)


def _expand(routine: m.RoutineScript, folder: Path | None, stack: tuple[str, ...],
            problems: list[Problem]) -> list[m.Exercise]:
    out: list[m.Exercise] = []
    for entry in routine.sequence:
        if entry.name in stack:
            chain = " -> ".join(stack[stack.index(entry.name):] + (entry.name,))
            problems.append(Problem(routine.source, entry.line, f"circular composition: {chain}; remove '{entry.name}' from this sequence"))
            continue
        try:
            script = _find(entry.name, folder)
        except ScriptError as exc:
            problems.extend(exc.problems)
            continue
        if script is None:
            known = set(builtin_names()) | (_local_names(folder))
            problems.append(Problem(routine.source, entry.line,
                                    f"unknown exercise '{entry.name}'{did_you_mean(entry.name, known)}; 'coach list' shows the built-in names"))
            continue
        if isinstance(script, m.RoutineScript):
            if entry.hold_s or entry.breaths or entry.reps or entry.sets:
                # Reported, and the routine is still expanded: its own problems must show too.
                problems.append(Problem(routine.source, entry.line,
                                        f"'{entry.name}' is a routine; overrides (hold_s, breaths, reps, sets) apply to exercises only"))
            sub_folder = folder if _local_path(entry.name, folder) else None
            out.extend(_expand(script, sub_folder, stack + (entry.name,), problems))
        else:
            problems.extend(Problem(routine.source, entry.line, why) for why in unused_overrides(script, entry))
            out.append(apply_overrides(script, entry))
    return out


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
    return path if path.is_file() else None


def _local_names(folder: Path | None) -> set[str]:
    return {p.stem for p in folder.glob("*.yaml")} if folder is not None and folder.is_dir() else set()


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
