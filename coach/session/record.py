"""Recording a session in the history, for coach.session.run."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from coach.history import History


class SessionRecord:
    """The history as a session uses it: one that cannot be used (a newer coach's file, a folder that
    cannot be written) never stops the session; the person is told once that it is not recorded."""

    def __init__(self, history: History, notice: Callable[[str], None]):
        self._history = history
        self._notice = notice
        self._off = False
        self._told = 0   # how many of history.notes were shown

    def starts_today(self, routine: str) -> int:
        return self._try(lambda: self._history.starts_today(routine), 0)

    def start(self, routine: str, mode: str) -> int | None:
        return self._try(lambda: self._history.start(routine, mode), None)

    def end(self, session_id: int | None, ended: str) -> None:
        if session_id is not None:
            self._try(lambda: self._history.end(session_id, ended), None)

    def _try(self, work: Callable[[], Any], default: Any) -> Any:
        from coach.history import HistoryError

        if self._off:
            return default
        try:
            return work()
        except HistoryError as exc:
            self._off = True
            self._notice(f"this session is not recorded: {exc}")
            return default
        finally:
            for note in self._history.notes[self._told:]:
                self._notice(note)
            self._told = len(self._history.notes)
