"""The routine builder: a request (minutes, focus, place, equipment, screening answers, recent
sessions, proposed holds) -> a routine script that coach.library resolves like any other. Pure: no
audio, no files; the minutes are checked on the compiled timeline (speech lengths estimated)."""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache

from coach import model as m
from coach.exercise_index import ALWAYS_AT_HAND, PLACE_BRINGS, PLACES, IndexedExercise, index
from coach.library import resolve_script
from coach.plan.order import best_order, position_changes
from coach.timeline.compiler import compile_timeline, duration_ms
from coach.timeline.estimate import estimate_spoken_ms
from coach.vocab import CONDITIONS

TOLERANCE = 0.10          # the compiled session is within 10% of the minutes asked for
REST_MS = 3000
GENTLE_MAX_FRACTION = 0.5  # --gentle: holds and counts in the lower half of the articles' ranges
_TRIES = 6                 # shuffles tried to avoid repeating the last session's exact set


@dataclass(frozen=True)
class PlanRequest:
    minutes: int
    focus: str | None = None
    place: str | None = None
    equipment: tuple[str, ...] = ()
    gentle: bool = False
    seed: int = 0
    answers: Mapping[str, bool] = field(default_factory=dict)   # condition -> has it (screening)
    recent: tuple[tuple[str, ...], ...] = ()   # exercise names of recent sessions, newest first
    week_focus: Mapping[str, int] = field(default_factory=dict)  # focus -> exercises done this week
    proposed: Mapping[str, Mapping[str, int]] = field(default_factory=dict)  # progression: name -> knob -> value
    name: str = "planned-routine"


@dataclass(frozen=True)
class Chosen:
    exercise: IndexedExercise
    values: tuple[tuple[str, int], ...]     # knob -> value written into the entry

    @property
    def role(self) -> str:
        return self.exercise.role

    @property
    def position(self) -> str:
        return self.exercise.position


@dataclass(frozen=True)
class Plan:
    request: PlanRequest
    script: m.RoutineScript
    chosen: tuple[Chosen, ...]
    duration_ms: int                        # the compiled timeline's
    left_out: tuple[tuple[str, str], ...]   # (exercise, why), for the person
    focus: str | None                       # the focus used (the request's, or a neglected one)
    why_not: str | None = None              # set when the minutes could not be met within TOLERANCE

    @property
    def position_changes(self) -> int:
        return position_changes(self.chosen)

    @property
    def fits(self) -> bool:
        return self.why_not is None


def suitable(request: PlanRequest) -> tuple[list[IndexedExercise], list[tuple[str, str]]]:
    """The exercises this request may use, and those left out with why (screening, equipment, --gentle;
    place and focus leave out silently: they were asked for)."""
    have = set(ALWAYS_AT_HAND) | set(request.equipment) | set(PLACE_BRINGS.get(request.place or "", ()))
    positions = set(PLACES[request.place]) if request.place else None
    keep: list[IndexedExercise] = []
    left: list[tuple[str, str]] = []
    for ex in index():
        if positions is not None and ex.position not in positions:
            continue
        if request.focus and request.focus not in ex.focus:
            continue
        ruled = [c for c in ex.contraindications if request.answers.get(c)]
        missing = [e for e in ex.equipment if e not in have]
        if ruled:
            left.append((ex.name, "not advised with " + "; ".join(CONDITIONS[c] for c in ruled)))
        elif missing:
            left.append((ex.name, "needs " + ", ".join(missing)))
        elif request.gentle and ex.strong:
            left.append((ex.name, "too strong for a gentle session"))
        else:
            keep.append(ex)
    return keep, left


def build(request: PlanRequest) -> Plan:
    candidates, left_out = suitable(request)
    focus = request.focus
    last = set(request.recent[0]) if request.recent else set()
    best: Plan | None = None
    for attempt in range(_TRIES):
        ranked = _ranked(candidates, request, attempt)
        chosen, duration, why_not = _fit(tuple(ranked), request)
        plan = _plan(request, chosen, duration, left_out, focus, why_not)
        if best is None or (plan.fits and not best.fits):
            best = plan
        # Not yesterday's exact set, when there is a choice.
        if not plan.fits or {c.exercise.name for c in chosen} != last:
            return best
    assert best is not None
    return best


def _ranked(candidates: list[IndexedExercise], request: PlanRequest, attempt: int) -> list[IndexedExercise]:
    rng = random.Random(f"{request.seed}:{attempt}")
    recent = [set(r) for r in request.recent[:3]]
    least = min((request.week_focus.get(f, 0) for e in candidates for f in e.focus), default=0)

    def score(ex: IndexedExercise) -> float:
        s = rng.random()
        s += sum(0.6 / (age + 1) for age, names in enumerate(recent) if ex.name in names)   # done lately
        if not request.focus and any(request.week_focus.get(f, 0) == least for f in ex.focus):
            s -= 0.4    # a focus neglected this week
        return s

    return sorted(candidates, key=score)


def _values(ex: IndexedExercise, fraction: float, request: PlanRequest) -> tuple[tuple[str, int], ...]:
    cap = GENTLE_MAX_FRACTION if request.gentle else 1.0
    proposed = request.proposed.get(ex.name, {})
    out = []
    for r in ex.ranges:
        value = r.at(min(fraction, cap))
        if r.knob in proposed:
            # Progress moves the hold; the fitting still scales the other knobs.
            value = r.clamp(proposed[r.knob])
        out.append((r.knob, value))
    return tuple(out)


def _fit(ranked: tuple[IndexedExercise, ...], request: PlanRequest) -> tuple[tuple[Chosen, ...], int, str | None]:
    target = request.minutes * 60_000
    low, high = target * (1 - TOLERANCE), target * (1 + TOLERANCE)
    best: tuple[tuple[Chosen, ...], int] | None = None
    for picked in _candidate_sets(ranked, target, request):
        fraction = _bisect(picked, target, request)
        chosen = _chosen(picked, fraction, request)
        duration = compile_timeline(_routine(request, chosen), estimate_spoken_ms).duration_ms
        if low <= duration <= high:
            return chosen, duration, None
        if best is None or abs(duration - target) < abs(best[1] - target):
            best = (chosen, duration)
    if best is None:
        return (), 0, "no exercise fits these choices"
    chosen, duration = best
    count = f"{len(ranked)} suitable exercise{'s' if len(ranked) != 1 else ''}"
    why = (f"only {count}: the closest is {duration / 60000:.1f} minutes" if duration < low else
           f"with {count}, the closest is {duration / 60000:.1f} minutes")
    return chosen, duration, why


_SEARCH_FROM = 12     # the best ranked exercises a fuller search looks among
_SEARCH_SETS = 24     # the sets it compiles, best ranked first
_ESTIMATE_SLACK = 1.25


def _candidate_sets(ranked: tuple[IndexedExercise, ...], target: int,
                    request: PlanRequest):
    """The greedy set first; then, when that cannot be fitted, sets of the best ranked exercises whose
    estimated shortest and longest take in the target, those made of the better ranked first."""
    greedy = _pick(ranked, target, request)
    if not greedy:
        return
    yield greedy
    import itertools

    pool = ranked[:_SEARCH_FROM]
    base = _overhead_ms()
    spans = {e: (_alone_ms(e, 0.0, request) - base, _alone_ms(e, 1.0, request) - base) for e in pool}
    fitting = []
    for size in range(1, len(pool) + 1):
        for subset in itertools.combinations(pool, size):
            shortest = base + sum(spans[e][0] for e in subset)
            longest = base + sum(spans[e][1] for e in subset)
            # The sum misses the get-ready time between different positions: it runs short, hence the slack.
            if shortest <= target * (1 + TOLERANCE) and longest * _ESTIMATE_SLACK >= target * (1 - TOLERANCE) \
                    and subset != greedy:
                fitting.append((sum(pool.index(e) for e in subset) / size, subset))
    fitting.sort(key=lambda f: f[0])
    for _, subset in fitting[:_SEARCH_SETS]:
        yield subset


def _pick(ranked: tuple[IndexedExercise, ...], target: int, request: PlanRequest) -> tuple[IndexedExercise, ...]:
    """Greedy on estimates from one exercise at a time (what each adds to a session, its rest
    included): a rest to end on first (when there is one), then the best ranked that still fit,
    until the longest doses reach the target."""
    base = _overhead_ms()
    rest = [e for e in ranked if e.role == "rest"][:1]
    picked: list[IndexedExercise] = []
    total_low = total_high = base
    for ex in rest + [e for e in ranked if e not in rest]:
        lo, hi = _alone_ms(ex, 0.0, request) - base, _alone_ms(ex, 1.0, request) - base
        if picked and total_low + lo > target * (1 + TOLERANCE):
            continue
        picked.append(ex)
        total_low += lo
        total_high += hi
        if total_high >= target:
            break
    return tuple(picked)


def _bisect(picked: tuple[IndexedExercise, ...], target: int, request: PlanRequest) -> float:
    lo, hi = 0.0, 1.0
    if _duration(picked, hi, request) <= target:
        return hi
    if _duration(picked, lo, request) >= target:
        return lo
    for _ in range(7):
        mid = (lo + hi) / 2
        if _duration(picked, mid, request) < target:
            lo = mid
        else:
            hi = mid
    return lo if abs(_duration(picked, lo, request) - target) <= abs(_duration(picked, hi, request) - target) else hi


def _chosen(picked: tuple[IndexedExercise, ...], fraction: float, request: PlanRequest) -> tuple[Chosen, ...]:
    return tuple(best_order([Chosen(e, _values(e, fraction, request)) for e in picked]))


def _duration(picked: tuple[IndexedExercise, ...], fraction: float, request: PlanRequest) -> int:
    return _routine_ms(_chosen(picked, fraction, request))


@lru_cache(maxsize=4096)
def _routine_ms(chosen: tuple[Chosen, ...]) -> int:
    return duration_ms(_resolved(chosen, "x", "x"), estimate_spoken_ms)


def _alone_ms(ex: IndexedExercise, fraction: float, request: PlanRequest) -> int:
    return _routine_ms((Chosen(ex, _values(ex, fraction, request)),))


@lru_cache(maxsize=1)
def _overhead_ms() -> int:
    """The introduction and the finish: twice one exercise alone less the two in a row."""
    ex = index()[0]
    one = Chosen(ex, ())
    return 2 * _routine_ms((one,)) - _routine_ms((one, one))


def entries(chosen: tuple[Chosen, ...]) -> tuple[m.Entry, ...]:
    return tuple(m.Entry(c.exercise.name, **dict(c.values)) for c in chosen)


def _resolved(chosen: tuple[Chosen, ...], name: str, title: str) -> m.Routine:
    script = m.RoutineScript(name, title, "", entries(chosen), REST_MS)
    return resolve_script(script, None)


def _routine(request: PlanRequest, chosen: tuple[Chosen, ...]) -> m.Routine:
    from coach.plan.writer import title_of

    return _resolved(chosen, request.name, title_of(request))


def _plan(request: PlanRequest, chosen: tuple[Chosen, ...], duration: int, left_out: list[tuple[str, str]],
          focus: str | None, why_not: str | None) -> Plan:
    from coach.plan.writer import describe, title_of

    script = m.RoutineScript(request.name, title_of(request), describe(request, chosen), entries(chosen), REST_MS)
    return Plan(request, script, chosen, duration, tuple(left_out), focus, why_not)
