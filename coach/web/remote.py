"""The remote: a `coach play` session on the computer, shown and steered from the phone.

A session source and sink (coach.session.run.SessionHooks): `attach` is handed the session's command
callable (the phone's buttons act as the keys do), and `on_event` gets every event of the session and
of its guided exit. What the page shows is one small state, pushed as server-sent events whenever it
changes; the page draws it as it draws the phone player.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from coach.errors import UsageError
from coach.player.events import Caption, Ended, Event, Paused, Progress, Resumed, Started, StepChanged, Waiting
from coach.player.segments import PlayerStep
from coach.safety import SEE_A_DOCTOR, URGENT_SENTENCE

if TYPE_CHECKING:
    from starlette.routing import BaseRoute

    from coach.web.server import Address, ServeRequest

REMOTE_COMMANDS = frozenset({"toggle-pause", "pause", "resume", "next", "repeat", "safety-stop"})
_HEARTBEAT_S = 15.0      # an SSE comment now and then: a dead connection is noticed and let go


class Remote:
    def __init__(self) -> None:
        self._send: Callable[[str], None] | None = None
        self._cond = threading.Condition()
        self._state: dict[str, Any] = {"title": "", "paused": False}
        self._version = 0
        self._exiting = False
        self._closed = False

    # -- the session's side ------------------------------------------------------------------------
    def attach(self, command: Callable[[str], None]) -> None:
        """A control source: the session hands over how to command it."""
        self._send = command

    def on_event(self, event: Event) -> None:
        """An event sink: the session's events (and its guided exit's) become the page's state."""
        with self._cond:
            state = self._state
            if isinstance(event, Started):
                if self._exiting:
                    state.update(exit=[s.label for s in event.steps], urgent=URGENT_SENTENCE,
                                 see_a_doctor=list(SEE_A_DOCTOR), caption="", ended=None)
                else:
                    state.update(title=event.title, duration_ms=event.duration_ms, session_left_ms=event.duration_ms)
            elif isinstance(event, StepChanged):
                state.update(_step_state(event.step, event.next_step, event.position_ms))
            elif isinstance(event, Progress):
                state.update(_step_state(event.step, event.next_step, event.position_ms))
                state["session_left_ms"] = max(0.0, event.duration_ms - event.position_ms)
            elif isinstance(event, Caption):
                state["caption"] = event.cue.text
            elif isinstance(event, Paused):
                state["paused"] = True
            elif isinstance(event, Resumed):
                state.update(paused=False, waiting=False)
            elif isinstance(event, Waiting):
                state["waiting"] = True
            elif isinstance(event, Ended):
                if self._exiting:
                    state["exit_done"] = True
                elif event.result.ended in ("safety-stop", "interrupted"):
                    self._exiting = True
                    state.update(paused=False, stopping=True)
                else:
                    state.update(ended=event.result.ended, paused=False)
            else:
                return
            self._version += 1
            self._cond.notify_all()

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    # -- the page's side ---------------------------------------------------------------------------
    def command(self, name: object) -> None:
        if name not in REMOTE_COMMANDS:
            raise UsageError(f"unknown command; use one of {', '.join(sorted(REMOTE_COMMANDS))}")
        if self._send is None:
            raise UsageError("no session is running yet")
        self._send(str(name))

    def events(self) -> Iterator[bytes]:
        """Server-sent events: the state now, then each change, until the session's process ends."""
        seen = -1
        while True:
            with self._cond:
                if self._version == seen and not self._closed:
                    self._cond.wait(_HEARTBEAT_S)
                if self._closed:
                    return
                if self._version == seen:
                    data, changed = b": still here\n\n", False
                else:
                    seen = self._version
                    data, changed = json.dumps(self._state).encode(), True
            yield b"event: state\ndata: " + data + b"\n\n" if changed else data


def _step_state(step: PlayerStep, next_step: PlayerStep | None, position_ms: float) -> dict[str, Any]:
    if next_step is None:
        following = ""
    elif next_step.chapter == step.chapter:
        following = next_step.label
    else:
        following = next_step.chapter
    return {"chapter": step.chapter, "label": step.label, "kind": step.kind, "span": step.is_span, "next": following,
            "step_left_ms": max(0.0, step.end_ms - position_ms) if step.is_span else None}


def remote_routes(remote: Remote) -> list[BaseRoute]:
    from starlette.requests import Request
    from starlette.responses import JSONResponse, Response, StreamingResponse
    from starlette.routing import Route

    from coach.web.app import _errors, _json

    def events(request: Request) -> Response:
        return StreamingResponse(remote.events(), media_type="text/event-stream",
                                 headers={"x-accel-buffering": "no"})

    @_errors
    async def command(request: Request) -> Response:
        body = await _json(request)
        remote.command(body.get("command"))
        return JSONResponse({"sent": body["command"]})

    return [Route("/api/remote/events", events, methods=["GET"]),
            Route("/api/remote/command", command, methods=["POST"])]


@contextmanager
def serving_remote(request: ServeRequest, announce: Callable[[Address], None]) -> Iterator[Remote]:
    """A remote for the session about to run: its page served on a thread of this process until the
    session is over. `announce` is told where to open it (and the pairing code, with lan)."""
    from coach.web.server import open_server

    remote = Remote()
    bound = open_server(request, remote=remote)
    thread = threading.Thread(target=bound.serve, name="coach-remote", daemon=True)
    thread.start()
    try:
        announce(bound.address)
        yield remote
    finally:
        remote.close()
        bound.stop()
        thread.join(5)
