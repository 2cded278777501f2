"""Contraindication screening: which conditions a routine names, what the user answered, the verdict.

Answers live in a small JSON config file (atomic writes) so a user is asked once per condition, and
can reset them. The caller does the asking (through an `ask` function); this module decides.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from coach.atomic import atomic_write
from coach.errors import CoachError, UsageError
from coach.model import Routine
from coach.vocab import CONDITIONS

DAILY_LIMIT_DEFAULT = 3

# Asks the person which of these conditions they have: (routine, condition ids) -> id -> has it.
AskFn = Callable[[Routine, tuple[str, ...]], dict[str, bool]]


def default_config_path() -> Path:
    env = os.environ.get("COACH_CONFIG")
    if env:
        return Path(env)
    from platformdirs import user_config_dir

    return Path(user_config_dir("coach")) / "config.json"


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
        self._other: dict[str, object] = {}   # the file's other settings ("listen", ...): kept as they are
        self.values: dict[str, bool] = self._load()

    def _load(self) -> dict[str, bool]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            raise CoachError(f"{self.path}: cannot read the screening answers ({exc}); "
                             f"run 'coach screening --reset' to start again") from None
        if not isinstance(data, dict):
            return {}
        self._other = {k: v for k, v in data.items() if k not in ("conditions", "daily_limit")}
        limit = data.get("daily_limit", DAILY_LIMIT_DEFAULT)
        if isinstance(limit, int) and not isinstance(limit, bool) and limit > 0:
            self.daily_limit = limit
        conditions = data.get("conditions", {})
        return {k: bool(v) for k, v in conditions.items() if k in CONDITIONS} if isinstance(conditions, dict) else {}

    def record(self, answers: dict[str, bool]) -> None:
        self.values.update(answers)
        self._save()

    def reset(self) -> None:
        self.values = {}
        self._save()

    def _save(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with atomic_write(self.path, mode="w") as f:
                json.dump({"conditions": dict(sorted(self.values.items())), "daily_limit": self.daily_limit,
                           **self._other}, f, indent=2)
        except OSError as exc:
            raise CoachError(f"cannot save the screening answers to {self.path} ({exc.strerror}); "
                             f"set --config or COACH_CONFIG to a writable file") from None


def evaluate(routine: Routine, answers: dict[str, bool], cleared: bool) -> Verdict:
    named = routine.contraindications
    unanswered = tuple(c for c in named if c not in answers)
    blocking = () if cleared else tuple(c for c in named if answers.get(c))
    return Verdict(unanswered, blocking)


def refusal_message(routine: Routine, blocking: tuple[str, ...]) -> str:
    """Names the condition and, in a routine, the exercises that are not advised with it."""
    labels = "; ".join(CONDITIONS[c] for c in blocking)
    causes = [e.title for e in routine.exercises if set(e.contraindications) & set(blocking)]
    because = ""
    if routine.kind == "routine" and causes:
        listed = ", ".join(causes[:-1]) + (" and " if len(causes) > 1 else "") + causes[-1]
        because = f" ({listed})"
    return (f"'{routine.name}'{because} is not advised with {labels}. If your doctor or physiotherapist has "
            f"approved it, run it again with --cleared; 'coach screening --reset' changes your answers")


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
        raise UsageError(refusal_message(routine, verdict.blocking))
    return answers
