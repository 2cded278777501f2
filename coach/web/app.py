"""The web app's routes: reads are GETs, commands are POSTs with a small JSON body.

Every route is listed in `routes()` (the security tests walk that list). Routines are named by id;
sessions by the random id the server handed out; static files by their exact names in the package.
The library's errors become one JSON line {"error": ...}: 400 for bad input, 409 when the health
questions come first, 404 for a session that is over, 500 for a failure at run time.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from coach.errors import CoachError, UsageError
from coach.safety import SEE_A_DOCTOR, URGENT_SENTENCE, spoken_exit
from coach.screening import Answers
from coach.vocab import CONDITIONS
from coach.web import pages
from coach.web.phone import NeedsScreening, PhoneSessions, SessionOver
from coach.web.routines import RoutineIndex, entry_json
from coach.web.security import MAX_BODY_BYTES, Guard, PairingRefused, Policy, cookie_header

if TYPE_CHECKING:
    from coach.web.remote import Remote


@dataclass
class WebState:
    policy: Policy
    index: RoutineIndex
    phone: PhoneSessions | None          # None: a remote only (coach play --remote)
    remote: Remote | None = None


def build_app(state: WebState) -> Starlette:
    app = Starlette(routes=routes(state), max_body_size=MAX_BODY_BYTES,
                    middleware=[Middleware(Guard, policy=state.policy, unpaired=pages.pair_page)])
    return app


def routes(state: WebState) -> list[BaseRoute]:
    found: list[BaseRoute] = [
        Route("/", _page(state, "remote" if state.phone is None else "player"), methods=["GET"]),
        Route("/pair", _pair_form, methods=["GET"]),
        Route("/pair", _pair(state), methods=["POST"]),
        *(Route(f"/static/{name}", _static(name), methods=["GET"]) for name in pages.static_files()),
        Route("/api/safety", _safety, methods=["GET"]),
    ]
    if state.phone is not None:
        found += _phone_routes(state, state.phone)
    if state.remote is not None:
        from coach.web.remote import remote_routes

        found += remote_routes(state.remote)
    return found


def _phone_routes(state: WebState, phone: PhoneSessions) -> list[BaseRoute]:
    settings = phone.settings

    def library(request: Request) -> Response:
        answers = Answers(settings.config_path).values
        return JSONResponse({"routines": [entry_json(e, answers) for e in state.index.entries()]})

    def screening(request: Request) -> Response:
        answers = Answers(settings.config_path).values
        return JSONResponse({"conditions": [{"id": c, "label": label, "answer": answers.get(c)}
                                            for c, label in CONDITIONS.items()]})

    async def save_screening(request: Request) -> Response:
        body = await _json(request)
        given = body.get("answers")
        if not isinstance(given, dict) or not all(k in CONDITIONS and isinstance(v, bool) for k, v in given.items()):
            raise UsageError("answers: an object of condition ids to true or false")
        await run_in_threadpool(Answers(settings.config_path).record, given)
        return JSONResponse({"saved": len(given)})

    async def play(request: Request) -> Response:
        body = await _json(request)
        routine = state.index.get(body.get("routine"))   # an id from the library, never a path
        return JSONResponse(await run_in_threadpool(phone.start, routine, body.get("cleared") is True))

    def audio(request: Request) -> Response:
        session = phone.get(request.path_params["session"])
        return _mp3(session.prepared.timeline, session.prepared.clip_for, _from_ms(request), settings.background)

    def exit_audio(request: Request) -> Response:
        session = phone.get(request.path_params["session"])
        if session.exit_timeline is None:
            raise UsageError("no safety stop in this session")
        return _mp3(session.exit_timeline, session.prepared.clip_for, _from_ms(request))

    async def safety_stop(request: Request) -> Response:
        body = await _json(request)
        position_ms = body.get("position_ms")
        if not isinstance(position_ms, (int, float)) or isinstance(position_ms, bool):
            raise UsageError("position_ms: where in the session the stop came, in ms")
        return JSONResponse(await run_in_threadpool(phone.safety_stop, request.path_params["session"], position_ms))

    async def end(request: Request) -> Response:
        body = await _json(request)
        await run_in_threadpool(phone.end, request.path_params["session"], str(body.get("outcome")))
        return JSONResponse({"ended": body.get("outcome")})

    return [
        Route("/api/library", _errors(library), methods=["GET"]),
        Route("/api/screening", _errors(screening), methods=["GET"]),
        Route("/api/screening", _errors(save_screening), methods=["POST"]),
        Route("/api/play", _errors(play), methods=["POST"]),
        Route("/api/sessions/{session}/audio.mp3", _errors(audio), methods=["GET"]),
        Route("/api/sessions/{session}/exit.mp3", _errors(exit_audio), methods=["GET"]),
        Route("/api/sessions/{session}/safety-stop", _errors(safety_stop), methods=["POST"]),
        Route("/api/sessions/{session}/end", _errors(end), methods=["POST"]),
    ]


def _page(state: WebState, page: str) -> Callable[[Request], Response]:
    def endpoint(request: Request) -> Response:
        return Response(pages.app_page(state.policy.csrf_token, page), media_type="text/html; charset=utf-8")

    return endpoint


def _pair_form(request: Request) -> Response:
    body, csp = pages.pair_page(request.query_params.get("code", "")[:12])
    return Response(body, media_type="text/html; charset=utf-8", headers={"content-security-policy": csp})


def _pair(state: WebState) -> Callable[[Request], Any]:
    async def endpoint(request: Request) -> Response:
        pairing = state.policy.pairing
        if pairing is None:
            return RedirectResponse("/", status_code=303)
        code = parse_qs((await request.body()).decode("utf-8", "replace")).get("code", [""])[0]
        try:
            token = pairing.pair(code)
        except PairingRefused as exc:
            body, csp = pages.pair_page(error=str(exc))
            return Response(body, status_code=exc.status, media_type="text/html; charset=utf-8",
                            headers={"content-security-policy": csp})
        return RedirectResponse("/", status_code=303, headers={"set-cookie": cookie_header(token)})

    return endpoint


def _static(name: str) -> Callable[[Request], Response]:
    content, media_type = pages.static_files()[name]

    def endpoint(request: Request) -> Response:
        return Response(content, media_type=media_type)

    return endpoint


def _safety(request: Request) -> Response:
    """The guided exit when nothing is playing: where the person is is not known."""
    return JSONResponse({"view": {"captions": [{"text": t} for t in spoken_exit(None)]}, "audio": None,
                         "urgent": URGENT_SENTENCE, "see_a_doctor": list(SEE_A_DOCTOR)})


def _mp3(timeline, clip_for, from_ms: int, background=None) -> Response:
    from coach.web.audio import mp3_stream

    return StreamingResponse(mp3_stream(timeline, clip_for, from_ms, background), media_type="audio/mpeg",
                             headers={"accept-ranges": "none"})


def _from_ms(request: Request) -> int:
    raw = request.query_params.get("from_ms", "0")
    if not raw.isdigit() or len(raw) > 9:
        raise UsageError("from_ms: a whole number of milliseconds")
    return int(raw)


async def _json(request: Request) -> dict:
    raw = await request.body()
    try:
        body = json.loads(raw or b"{}")
    except ValueError:
        raise UsageError("the request body must be JSON") from None
    if not isinstance(body, dict):
        raise UsageError("the request body must be a JSON object")
    return body


def _errors(endpoint: Callable[[Request], Any]) -> Callable[[Request], Any]:
    """The library's errors as one JSON line with a status that says whose fault it was."""
    import inspect

    def answer(exc: CoachError) -> Response:
        if isinstance(exc, NeedsScreening):
            return JSONResponse({"error": str(exc), "screening": list(exc.conditions)}, status_code=409)
        status = 404 if isinstance(exc, SessionOver) else 400 if isinstance(exc, UsageError) else 500
        return JSONResponse({"error": str(exc)}, status_code=status)

    if inspect.iscoroutinefunction(endpoint):
        async def wrapped_async(request: Request) -> Response:
            try:
                return await endpoint(request)
            except CoachError as exc:
                return answer(exc)

        return wrapped_async

    def wrapped(request: Request) -> Response:
        try:
            return endpoint(request)
        except CoachError as exc:
            return answer(exc)

    return wrapped
