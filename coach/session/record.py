"""Recording a session in the history, for coach.session.run."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from coach import model as m
    from coach.history import History
    from coach.timeline.model import Timeline


class SessionRecord:
    """The history as a session uses it: one that cannot be used (a newer coach's file, a folder that
    cannot be written) never stops the session; the person is told once that it is not recorded."""

    def __init__(self, history: History, notice: Callable[[str], None]):
        self._history = history
        self._notice = notice
        self._off = False
        self._told = 0   # how many of history.notes were shown

    def sessions_today(self, routine: str) -> int:
        return self._try(lambda: self._history.sessions_today(routine), 0)

    def progressed(self, routine: m.Routine, options: m.CompileOptions) -> tuple[m.Routine, m.CompileOptions]:
        """The routine with the holds coach.progression proposes, and last time's safety-stop note."""
        import dataclasses

        from coach import progression

        rows = self._try(self._history.rows, [])
        note = progression.stop_note(rows, {e.name: e.title for e in routine.exercises})
        if note:
            options = dataclasses.replace(options, notes=options.notes + (note,))
        return progression.apply(routine, progression.propose(rows)), options

    def start(self, routine: m.Routine, mode: str, options: m.CompileOptions) -> int | None:
        from coach.progression import played

        settings = {"verbosity": options.verbosity, "hold_scale": options.hold_scale,
                    "breath_scale": options.breath_scale}
        return self._try(lambda: self._history.start(routine.name, mode, played(routine), settings), None)

    def end(self, session_id: int | None, ended: str, timeline: Timeline | None = None,
            position_ms: float | None = None) -> None:
        """position_ms: the session's position when it ended (None when it never got to play)."""
        if session_id is None:
            return
        reached = None
        if timeline is not None:
            starts = [start for start, _ in timeline.positions]
            at = position_ms or 0.0
            reached = len(starts) - 1 if ended == "completed" else max(0, sum(s <= at for s in starts) - 1)
        self._try(lambda: self._history.end(session_id, ended, reached), None)

    def rate(self, session_id: int | None, rating: str) -> None:
        """The answer to "How was that?" (coach.vocab.RATINGS)."""
        if session_id is not None:
            self._try(lambda: self._history.rate(session_id, rating), None)

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
