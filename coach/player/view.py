"""What a person sees while a session plays: event callbacks that write to a stream the CLI hands in.

On a terminal: a caption line for each spoken cue as it is spoken, wrapped on words, and one status line
(exercise, what is happening and the time left in it, what comes next, the time left in the session)
redrawn in place with a carriage return and fitted to the width (coach.player.status). Piped
or in CI: caption lines only, "0:12.3  Breathe in.", one per line, flushed as they come.
"""

from __future__ import annotations

import os
import shutil
import textwrap
from typing import TextIO

from coach.player.keys import KEY_HELP
from coach.player.events import (Caption, Ended, Event, Heard, Listening, Paused, Progress, Resumed, SessionResult,
                                 Started, StepChanged, Waiting)
from coach.player.segments import PlayerStep
from coach.player.status import StatusState, fit_status
from coach.render_text import clock

_CLEAR_LINE = "\r\x1b[K"
_CAPTION_INDENT = len("0:00.0  ")   # wrapped caption lines start under the text, not under the time
_ENDINGS = {
    "completed": "Session complete. Well done.",
    "quit": "Stopped.",
    "safety-stop": "Safety stop.",   # what is said after one is decided elsewhere
    "interrupted": "Interrupted.",
}


def caption_line(position_ms: float, text: str) -> str:
    return f"{clock(int(position_ms))}  {text}"


def heard_line(event: Heard) -> str:
    return f"heard: {event.phrase}" + ("" if event.phrase.replace(" ", "-") == event.command else f" ({event.command})")


class PlainView:
    """Caption lines only: for pipes, logs and CI."""

    def __init__(self, stream: TextIO):
        self._stream = stream

    def __call__(self, event: Event) -> None:
        if isinstance(event, Caption):
            self._stream.write(caption_line(event.position_ms, event.cue.text) + "\n")
            self._stream.flush()
        elif isinstance(event, Heard):
            self._stream.write(heard_line(event) + "\n")
            self._stream.flush()

    def close(self) -> None:
        pass


class TerminalView:
    """Captions as lines above one status line redrawn in place (plain ANSI, no TUI library)."""

    def __init__(self, stream: TextIO, width: int | None = None, show_keys: bool = True):
        self._stream = stream
        self._width = width
        self._show_keys = show_keys
        self._duration_ms = 0
        self._position_ms = 0.0
        self._step: PlayerStep | None = None
        self._next: PlayerStep | None = None
        self._paused = False
        self._waiting = False       # held still until the voice has the next clip ready
        self._listening = False     # voice commands are on
        self._status_shown = False

    def __call__(self, event: Event) -> None:
        if isinstance(event, Started):
            self._duration_ms = event.duration_ms
            keys = f"  ({KEY_HELP})" if self._show_keys else ""
            self._line(f"{event.title}, {clock(event.duration_ms)}{keys}")
        elif isinstance(event, StepChanged):
            self._step, self._next, self._position_ms = event.step, event.next_step, event.position_ms
        elif isinstance(event, Caption):
            self._position_ms = event.position_ms
            self._line(caption_line(event.position_ms, event.cue.text), indent=_CAPTION_INDENT)
        elif isinstance(event, Progress):
            self._step, self._next, self._position_ms = event.step, event.next_step, event.position_ms
        elif isinstance(event, Paused):
            self._paused, self._position_ms = True, event.position_ms
        elif isinstance(event, Resumed):
            self._paused, self._waiting, self._position_ms = False, False, event.position_ms
        elif isinstance(event, Waiting):
            self._waiting, self._position_ms = True, event.position_ms
        elif isinstance(event, Listening):
            self._listening = True
        elif isinstance(event, Heard):
            self._line(heard_line(event))
        elif isinstance(event, Ended):
            self._line(self._summary(event.result))
            self._status_shown = False
            return
        self._draw_status()

    def close(self) -> None:
        """Leave the cursor on a fresh line (also after Ctrl-C or an error)."""
        if self._status_shown:
            self._stream.write(_CLEAR_LINE)
            self._stream.flush()
            self._status_shown = False

    def status_text(self, width: int = 10_000) -> str:
        return fit_status(StatusState(self._step, self._next, self._position_ms, self._duration_ms,
                                      self._paused, self._waiting, self._listening), width)

    def _columns(self) -> int:
        if self._width:
            return self._width
        # The size of the terminal this view writes to: the process's own stdout may be pointed
        # elsewhere while a session plays (an engine that prints), and would report no size.
        # A terminal that reports 0 columns (a bare pseudo-terminal) gets the usual 80, as shutil does.
        try:
            columns = os.get_terminal_size(self._stream.fileno()).columns
        except (AttributeError, OSError, ValueError):
            columns = 0
        return columns or shutil.get_terminal_size((80, 24)).columns

    def _draw_status(self) -> None:
        # One column short of the edge: a line that fills the last column wraps on some terminals.
        self._stream.write(_CLEAR_LINE + self.status_text(self._columns() - 1))
        self._stream.flush()
        self._status_shown = True

    def _line(self, text: str, indent: int = 0) -> None:
        # Clear the status line, print the line wrapped on words (continuation lines indented), and let
        # the next redraw put the status back.
        lines = textwrap.wrap(text, width=max(20, self._columns() - 1), subsequent_indent=" " * indent,
                              break_long_words=True, break_on_hyphens=False) or [""]
        self._stream.write(_CLEAR_LINE + "\n".join(lines) + "\n")
        self._stream.flush()
        self._status_shown = False

    @staticmethod
    def _summary(result: SessionResult) -> str:
        where = f" ({clock(int(result.position_ms))} of {clock(result.duration_ms)})"
        return _ENDINGS.get(result.ended, result.ended) + ("" if result.ended == "completed" else where)


def make_view(stream: TextIO, interactive: bool) -> PlainView | TerminalView:
    return TerminalView(stream) if interactive else PlainView(stream)
