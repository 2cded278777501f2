"""Sessions played in the phone's browser: screened, prepared and recorded like `coach play`.

The same rules as the CLI: the screening answers decide (a named condition the person has refuses the
routine unless a doctor cleared it), the daily limit adds its spoken note, clips missing from the cache
are synthesized ahead while the stream plays, and the history gets a row per session (mode "phone")
that says how it ended. One phone session at a time: starting another ends the one before as "quit".
A safety stop ends it as "safety-stop" and gives the guided exit for the position the person is in.
"""

from __future__ import annotations

import dataclasses
import secrets
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from coach import model as m
from coach.errors import UsageError
from coach.safety import SEE_A_DOCTOR, URGENT_SENTENCE
from coach.screening import Answers, evaluate
from coach.vocab import CONDITIONS
from coach.web.view import timeline_view

if TYPE_CHECKING:
    from coach.background import Background
    from coach.session.prepare import Prepared
    from coach.session.voice import VoiceChoice
    from coach.speech import Voice
    from coach.timeline.model import Timeline

HISTORY_MODE = "phone"


class NeedsScreening(UsageError):
    """The routine names conditions the person was never asked about: the page asks, then tries again."""

    def __init__(self, conditions: tuple[str, ...]):
        self.conditions = conditions
        super().__init__("answer the health questions first: " + "; ".join(CONDITIONS[c] for c in conditions))


class SessionOver(UsageError):
    """A session id the server no longer has (over, or from before a restart)."""


@dataclass
class PhoneSession:
    id: str
    prepared: Prepared
    history_id: int
    ended: str | None = None
    exit_timeline: Timeline | None = None


@dataclass(frozen=True)
class SessionSettings:
    choice: VoiceChoice
    cache_dir: Path | None
    config_path: Path
    history_db: Path
    options: m.CompileOptions = m.CompileOptions()
    background: Background | None = None     # under the routine (the guided exit is the voice alone)


class PhoneSessions:
    def __init__(self, settings: SessionSettings, voice: Voice):
        self.settings = settings
        self.voice = voice
        self._lock = threading.Lock()
        self._sessions: dict[str, PhoneSession] = {}

    def start(self, routine: m.Routine, cleared: bool) -> dict:
        """Screen, prepare (nothing waits for rendering) and record the start; the page gets the view
        and where the audio streams from."""
        from coach.history import History
        from coach.safety import too_often_note
        from coach.session.prepare import prepare

        answers = Answers(self.settings.config_path)
        verdict = evaluate(routine, answers.values, cleared)
        if verdict.unanswered:
            raise NeedsScreening(verdict.unanswered)
        if verdict.blocking:
            labels = "; ".join(CONDITIONS[c] for c in verdict.blocking)
            raise UsageError(f"'{routine.title}' is not advised with {labels}; play it only if your doctor or "
                             f"physiotherapist approved it")
        options = dataclasses.replace(self.settings.options, cleared=cleared)
        history = History(self.settings.history_db)
        notice = ""
        done_today = history.starts_today(routine.name)
        if done_today >= answers.daily_limit:
            notice = too_often_note(done_today)
            options = dataclasses.replace(options, notes=options.notes + (notice,))
        self.end_all("quit")
        prepared = prepare(routine, options, self.settings.choice, self.settings.cache_dir, "play", voice=self.voice)
        session = PhoneSession(secrets.token_urlsafe(12), prepared, history.start(routine.name, HISTORY_MODE))
        with self._lock:
            self._sessions[session.id] = session
        return {"session": session.id, "view": timeline_view(prepared.timeline), "notice": notice,
                "audio": f"/api/sessions/{session.id}/audio.mp3"}

    def get(self, session_id: str) -> PhoneSession:
        with self._lock:
            session = self._sessions.get(session_id)
        if session is None:
            raise SessionOver("that session is over; start the routine again from the library")
        return session

    def safety_stop(self, session_id: str, position_ms: float) -> dict:
        """End the session as a safety stop and give the guided exit for where it found the person."""
        session = self.get(session_id)
        position_ms = max(0.0, min(float(position_ms), session.prepared.timeline.duration_ms))
        position = session.prepared.timeline.position_at(position_ms)
        session.exit_timeline = session.prepared.exit_timeline(position)
        self._end(session, "safety-stop", finish=False)   # the exit still needs the session's voice
        return {"view": timeline_view(session.exit_timeline), "position": position,
                "audio": f"/api/sessions/{session.id}/exit.mp3",
                "urgent": URGENT_SENTENCE, "see_a_doctor": list(SEE_A_DOCTOR)}

    def end(self, session_id: str, outcome: str) -> None:
        if outcome not in ("completed", "quit"):
            raise UsageError("a session ends as completed or quit (a safety stop has its own button)")
        session = self.get(session_id)
        if session.ended is None:
            self._end(session, outcome)

    def end_all(self, outcome: str) -> None:
        """End every open session (a new one starts, or the server stops), and let go of their voices."""
        with self._lock:
            sessions, self._sessions = list(self._sessions.values()), {}
        for session in sessions:
            if session.ended is None:
                self._end(session, outcome)
            else:
                self._finish(session)

    def _end(self, session: PhoneSession, outcome: str, finish: bool = True) -> None:
        from coach.history import History

        session.ended = outcome
        History(self.settings.history_db).end(session.history_id, outcome)
        if finish:
            self._finish(session)

    def _finish(self, session: PhoneSession) -> None:
        # On a thread: closing waits for a render in progress, and the person is waiting for sound.
        threading.Thread(target=session.prepared.finish, name="coach-session-finish", daemon=True).start()
