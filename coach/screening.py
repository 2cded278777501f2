"""Contraindication screening: which conditions a routine names, what the user answered, the verdict.

Answers live in a small JSON config file (coach.config: read strictly, written atomically, nothing in
it lost) so a user is asked once per condition, and can reset them. The caller does the asking
(through an `ask` function); this module decides.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from coach import config, settings
from coach.errors import UsageError
from coach.model import Routine
from coach.vocab import CONDITIONS

DAILY_LIMIT_DEFAULT = 3

# Asks the person which of these conditions they have: (routine, condition ids) -> id -> has it.
AskFn = Callable[[Routine, tuple[str, ...]], dict[str, bool]]


def default_config_path() -> Path:
    return settings.config_path()


@dataclass(frozen=True)
class Verdict:
    unanswered: tuple[str, ...]   # conditions the routine names that the user was never asked about
    blocking: tuple[str, ...]     # conditions the routine names that the user said they have

    @property
    def allowed(self) -> bool:
        return not self.unanswered and not self.blocking


class Answers:
    """The remembered answers: condition id -> True (I have it) / False (I don't), plus the daily
    limit of starts of one routine (`daily_limit` in the same file)."""

    def __init__(self, path: Path):
        self.path = path
        self.daily_limit = DAILY_LIMIT_DEFAULT
        self._data: dict[str, object] = {}      # the whole file: what this class does not own is kept as it is
        self._unknown: dict[str, object] = {}   # conditions this version does not know, kept as written
        self.values: dict[str, bool] = self._load()

    def _load(self) -> dict[str, bool]:
        """Raises ConfigError (exit 2) for anything it cannot use: the file is then never rewritten."""
        data, text = config.read(self.path)
        self._data = data
        limit = data.get("daily_limit", DAILY_LIMIT_DEFAULT)
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise config.bad_value(self.path, text, "daily_limit", limit,
                                   "must be a whole number of starts of one routine a day, such as 3")
        self.daily_limit = limit
        conditions = data.get("conditions", {})
        if not isinstance(conditions, dict):
            raise config.bad_value(self.path, text, "conditions", conditions,
                                   'must be an object of answers, such as {"pregnancy": "no"}')
        self._unknown = {k: v for k, v in conditions.items() if k not in CONDITIONS}
        return {k: config.yes_no(v, self.path, text, k, f"conditions.{k}")
                for k, v in conditions.items() if k in CONDITIONS}

    def record(self, answers: dict[str, bool]) -> None:
        self.values.update(answers)
        self._save()

    def reset(self) -> None:
        """Forget every answer, those to conditions this version does not know too; the rest stays."""
        self.values = {}
        self._unknown = {}
        self._save()

    def _save(self) -> None:
        conditions = {**self._unknown, **dict(sorted(self.values.items()))}
        config.write(self.path, {**self._data, "conditions": conditions, "daily_limit": self.daily_limit})


def parse_change(change: str) -> tuple[str, bool]:
    """'knee-injury=yes' -> ('knee-injury', True); anything else is a UsageError saying the form."""
    condition, sep, value = change.partition("=")
    condition, value = condition.strip(), value.strip().lower()
    if not sep or condition not in CONDITIONS or value not in config.YES + config.NO:
        raise UsageError(f"'{change}' is not CONDITION=yes or CONDITION=no; conditions: {', '.join(CONDITIONS)}")
    return condition, value in config.YES


def evaluate(routine: Routine, answers: dict[str, bool], cleared: bool) -> Verdict:
    named = routine.contraindications
    unanswered = tuple(c for c in named if c not in answers)
    blocking = () if cleared else tuple(c for c in named if answers.get(c))
    return Verdict(unanswered, blocking)


def alternative(routine: Routine, answers: dict[str, bool]) -> str | None:
    """A built-in that fits these answers and works the same areas (routines before exercises, the
    most areas in common, then the closest length); None when there is none."""
    from coach.library import builtin_names, resolve

    length = _estimated_ms(routine)
    found = []
    for name in builtin_names():
        other = resolve(name)
        shared = len(set(other.focus) & set(routine.focus))
        if name == routine.name or not shared or any(answers.get(c) for c in other.contraindications):
            continue
        found.append(((other.kind != routine.kind, -shared, abs(_estimated_ms(other) - length)),
                      name))
    return min(found)[1] if found else None


def refusal_message(routine: Routine, blocking: tuple[str, ...], answers: dict[str, bool] | None = None) -> str:
    """Names the condition and, in a routine, the exercises that are not advised with it; with the
    answers, offers a built-in that fits them, or a plan that leaves those exercises out."""
    labels = "; ".join(CONDITIONS[c] for c in blocking)
    causes = [e.title for e in routine.exercises if set(e.contraindications) & set(blocking)]
    because = ""
    if routine.kind == "routine" and causes:
        listed = ", ".join(causes[:-1]) + (" and " if len(causes) > 1 else "") + causes[-1]
        because = f" ({listed})"
    instead = ""
    if answers is not None:
        other = alternative(routine, answers)
        focus = routine.focus[0] if routine.focus else "lower-back"
        minutes = max(5, round(_estimated_ms(routine) / 60000 / 5) * 5)
        plan = f"'coach plan --minutes {minutes} --for {focus}'"
        instead = (f" Instead: 'coach play {other}' fits your answers, or {plan} makes one without it." if other else
                   f" Instead: {plan} makes a routine without it.")
    return (f"'{routine.name}'{because} is not advised with {labels}. If your doctor or physiotherapist has "
            f"approved it, run it again with --cleared; 'coach screening --set {blocking[0]}=no' changes the answer."
            + instead)


def _estimated_ms(routine: Routine) -> int:
    from coach.timeline.compiler import duration_ms
    from coach.timeline.estimate import estimate_spoken_ms

    return duration_ms(routine, estimate_spoken_ms)


def screen(routine: Routine, answers: Answers, cleared: bool, assume_none: bool, ask: AskFn | None) -> Answers:
    """Ask once about the conditions the routine names; refuse when one applies and not `cleared`.

    assume_none: answer "none of these apply" without asking (--yes). ask: None when there is no
    one to ask (no terminal): then unanswered questions refuse instead of hanging.
    Returns the answers (they also carry the daily limit). Raises UsageError on a refusal.
    """
    verdict = evaluate(routine, answers.values, cleared)
    if verdict.unanswered:
        if assume_none:
            answers.record({c: False for c in verdict.unanswered})
        elif ask is None:
            raise UsageError(f"'{routine.name}' first asks about health conditions, and there is no terminal to "
                             f"answer on; run it in a terminal, or pass --yes if none of these apply to you: "
                             + "; ".join(CONDITIONS[c] for c in verdict.unanswered))
        else:
            answers.record(ask(routine, verdict.unanswered))
        verdict = evaluate(routine, answers.values, cleared)
    if verdict.blocking:
        raise UsageError(refusal_message(routine, verdict.blocking, answers.values))
    return answers
