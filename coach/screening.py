"""Contraindication screening: which conditions a routine names, what the user answered, the verdict.

Answers live in a small JSON config file (atomic writes) so a user is asked once per condition, and
can reset them. The CLI does the asking; this module only decides.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from coach.atomic import atomic_write
from coach.errors import CoachError
from coach.model import Routine
from coach.vocab import CONDITIONS

DAILY_LIMIT_DEFAULT = 3


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
                json.dump({"conditions": dict(sorted(self.values.items())), "daily_limit": self.daily_limit}, f, indent=2)
        except OSError as exc:
            raise CoachError(f"cannot save the screening answers to {self.path} ({exc.strerror}); "
                             f"set --config or COACH_CONFIG to a writable file") from None


def evaluate(routine: Routine, answers: dict[str, bool], cleared: bool) -> Verdict:
    named = routine.contraindications
    unanswered = tuple(c for c in named if c not in answers)
    blocking = () if cleared else tuple(c for c in named if answers.get(c))
    return Verdict(unanswered, blocking)


def refusal_message(routine: Routine, blocking: tuple[str, ...]) -> str:
    labels = "; ".join(CONDITIONS[c] for c in blocking)
    return (f"'{routine.name}' is not advised with {labels}. If your doctor or physiotherapist has "
            f"approved it, run it again with --cleared; 'coach screening --reset' changes your answers")
