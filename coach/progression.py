"""Progress that follows your body: from the session history, the next hold of each exercise, and the
note a session speaks after a safety stop. Pure, like coach.stats: rows in, frozen data out.

A hold grows a little (STEP_UP) after COMFORTABLE sessions in a row at the same hold (completed, not
rated "harder"), never past the articles' upper bound (coach.exercise_index); it shrinks (STEP_DOWN)
after a session rated "harder" or a safety stop during that exercise, never below the lower bound, and
a safety stop never lengthens one.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from coach import model as m
from coach.exercise_index import IndexedExercise, Range, by_name
from coach.history import Done, SessionRow

STEP_UP = 0.10
STEP_DOWN = 0.15
COMFORTABLE = 3


@dataclass(frozen=True)
class Proposal:
    name: str
    knob: str          # hold_s, breaths or reps
    value: int
    was: int
    why: str           # "three comfortable sessions", "rated harder", "a safety stop"


def knob_of(exercise: IndexedExercise) -> Range | None:
    """What progression moves: the hold when the exercise has a timed one, else its first range."""
    return exercise.range_of("hold_s") or (exercise.ranges[0] if exercise.ranges else None)


def played(routine: m.Routine) -> tuple[Done, ...]:
    """What a session does, for the history: each exercise with its first hold, breaths and repeats."""
    return tuple(Done(e.name, _first(e, "hold_s"), _first(e, "breaths"), _first(e, "reps")) for e in routine.exercises)


def _first(exercise: m.Exercise, knob: str) -> int | None:
    for step in m.iter_steps(exercise.steps):
        if knob == "hold_s" and isinstance(step, m.Hold) and step.hold_ms is not None:
            return step.hold_ms // 1000
        if knob == "breaths" and isinstance(step, (m.Hold, m.Breathe)) and step.breaths is not None:
            return step.breaths
        if knob == "reps" and isinstance(step, m.Repeat):
            return step.times
    return None


def next_value(current: int, bounds: Range, history: list[tuple[bool, bool]]) -> tuple[int, str] | None:
    """The next value from the sessions at `current`, oldest first, each (comfortable, stopped or harder).
    None: keep it."""
    if not history:
        return None
    comfortable, eased = history[-1]
    if eased:
        value = max(bounds.low, min(current, math.floor(current * (1 - STEP_DOWN))))
        return (value, "eased off") if value != current else None
    if len(history) >= COMFORTABLE and all(c for c, _ in history[-COMFORTABLE:]):
        value = min(bounds.high, max(current + 1, math.ceil(current * (1 + STEP_UP))))
        return (value, f"{COMFORTABLE} comfortable sessions") if value > current else None
    return None


def propose(rows: Iterable[SessionRow], exercises: Mapping[str, IndexedExercise] | None = None) -> dict[str, Proposal]:
    """name -> the proposed value, for every indexed exercise the history shows done."""
    exercises = exercises if exercises is not None else by_name()
    ordered = sorted((r for r in rows if r.exercises), key=lambda r: r.id)
    per: dict[str, list[tuple[int, bool, bool]]] = {}   # name -> (value, comfortable, eased), oldest first
    for row in ordered:
        for index, done in enumerate(row.exercises):
            ex = exercises.get(done.name)
            bounds = knob_of(ex) if ex is not None else None
            value = getattr(done, bounds.knob) if bounds is not None else None
            if bounds is None or value is None:
                continue
            stopped_here = row.outcome == "safety-stop" and row.reached == index
            if row.outcome == "safety-stop" and (row.reached is None or index > row.reached):
                continue   # never reached
            if row.outcome not in ("completed", "safety-stop") and not stopped_here:
                continue   # a quit or an interruption says nothing about the hold
            comfortable = row.outcome == "completed" and row.rating != "harder"
            eased = stopped_here or (row.rating == "harder" and row.outcome == "completed")
            per.setdefault(done.name, []).append((value, comfortable, eased))
    out = {}
    for name, seen in per.items():
        bounds = knob_of(exercises[name])
        assert bounds is not None
        current = bounds.clamp(seen[-1][0])
        # Only the run of sessions since the value last changed counts.
        run: list[tuple[bool, bool]] = []
        for v, c, e in reversed(seen):
            if v != seen[-1][0]:
                break
            run.insert(0, (c, e))
        found = next_value(current, bounds, run)
        if found is not None:
            out[name] = Proposal(name, bounds.knob, found[0], current, found[1])
    return out


def apply(routine: m.Routine, proposals: Mapping[str, Proposal]) -> m.Routine:
    """The routine with each proposed value in place of its exercise's own."""
    from coach.library import apply_overrides

    changed = tuple(apply_overrides(e, m.Entry(e.name, **{proposals[e.name].knob: proposals[e.name].value}))
                    if e.name in proposals else e for e in routine.exercises)
    return dataclasses.replace(routine, exercises=changed)


def stop_note(rows: Iterable[SessionRow], titles: Mapping[str, str] | None = None) -> str | None:
    """After a safety stop in the last session: what the next one says first."""
    latest = max(rows, key=lambda r: r.id, default=None)
    if latest is None or latest.outcome != "safety-stop":
        return None
    name = latest.ended_in
    if name is None:
        return "Last time you made a safety stop: go gently today."
    title = (titles or {}).get(name) or name.replace("-", " ")
    return f"Last time you stopped during the {title[0].lower() + title[1:]}: go gently."


_UNITS = {"hold_s": "s", "breaths": "breaths", "reps": "times"}


def hold_lines(rows: Iterable[SessionRow], shown: int = 6) -> list[str]:
    """Each exercise's hold (or count) over its last sessions, for a terminal: what `coach stats` adds."""
    rows = list(rows)
    proposals = propose(rows)
    exercises = by_name()
    lines = []
    for name, seen in sorted(holds_over_time(rows).items()):
        bounds = knob_of(exercises[name])
        assert bounds is not None
        values = " ".join(str(v) for _, v in seen[-shown:])
        nxt = f"; next {proposals[name].value}" if name in proposals else ""
        lines.append(f"  {name:<32} {values} {_UNITS[bounds.knob]} (range {bounds.low}-{bounds.high}{nxt})")
    return (["Holds by exercise, last sessions, oldest first:"] + lines) if lines else []


def holds_over_time(rows: Iterable[SessionRow]) -> dict[str, list[tuple[str, int]]]:
    """name -> (date, hold or count) per session, oldest first: what `coach stats` shows."""
    exercises = by_name()
    out: dict[str, list[tuple[str, int]]] = {}
    for row in sorted(rows, key=lambda r: r.id):
        for done in row.exercises:
            ex = exercises.get(done.name)
            bounds = knob_of(ex) if ex is not None else None
            value = getattr(done, bounds.knob) if bounds is not None else None
            if value is not None and bounds is not None:
                out.setdefault(done.name, []).append((row.started_at[:10], value))
    return out
