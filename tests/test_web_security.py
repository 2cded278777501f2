"""coach serve exposes nothing by accident: a real server on the loopback, real HTTP requests.

The server runs in this process on a thread (port 0: a free one), paired like `coach serve --lan`
(pairing is forced on, so the loopback's Host check is tested at the same time). Every route is taken
from the app's own route table, so a route added later is covered without editing this file.
"""

from __future__ import annotations

import http.client
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from coach.session import VoiceChoice

pytest.importorskip("starlette")

from coach.web.security import CSRF_HEADER, MAX_BODY_BYTES, MAX_PAIRING_ATTEMPTS, PUBLIC_PATHS  # noqa: E402
from coach.web.server import Bound, ServeRequest, open_server  # noqa: E402


@pytest.fixture
def server(tmp_path) -> Iterator[Bound]:
    personal = tmp_path / "mine"
    personal.mkdir()
    bound = open_server(ServeRequest(port=0, pairing=True, choice=VoiceChoice("espeak"), cache_dir=tmp_path / "cache",
                                     config_path=tmp_path / "config.json", history_db=tmp_path / "history.sqlite",
                                     personal_dir=personal))
    thread = threading.Thread(target=bound.serve, daemon=True)
    thread.start()
    try:
        yield bound
    finally:
        bound.stop()
        thread.join(10)


def request(bound: Bound, method: str, path: str, body: bytes | str | None = None,
            headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", bound.address.port, timeout=20)
    try:
        data = body.encode() if isinstance(body, str) else body
        conn.request(method, path, body=data, headers=headers or {})
        reply = conn.getresponse()
        return reply.status, {k.lower(): v for k, v in reply.getheaders()}, reply.read()
    finally:
        conn.close()


def pair(bound: Bound) -> str:
    """The cookie header a paired phone sends."""
    status, headers, _ = request(bound, "POST", "/pair", f"code={bound.address.pairing_code}",
                                 {"content-type": "application/x-www-form-urlencoded"})
    assert status == 303, status
    return headers["set-cookie"].split(";")[0]


def concrete(path: str) -> str:
    return path.replace("{session}", "abcdefghijkl")


def test_every_route_but_pairing_refuses_a_device_without_the_cookie(server):
    routes = [(r.path, m) for r in server.app.routes for m in sorted(r.methods or ()) if m != "HEAD"]   # type: ignore[attr-defined]
    guarded = [(p, m) for p, m in routes if p not in PUBLIC_PATHS]
    assert ("/api/sessions/{session}/audio.mp3", "GET") in guarded and ("/api/play", "POST") in guarded
    assert len(guarded) >= 12
    for path, method in guarded:
        status, headers, body = request(server, method, concrete(path), "{}" if method == "POST" else None,
                                        {"content-type": "application/json"})
        assert status == 401, (method, path, status)
        assert b"pairing code" in body          # the 401 page says how to pair
        assert "unsafe" not in headers["content-security-policy"]
    wrong_cookie = {"cookie": "coach_session=forged-token-value"}
    assert request(server, "GET", "/api/library", headers=wrong_cookie)[0] == 401


def test_the_pairing_code_is_exchanged_once_for_an_httponly_strict_cookie(server):
    status, headers, _ = request(server, "POST", "/pair", f"code={server.address.pairing_code}",
                                 {"content-type": "application/x-www-form-urlencoded"})
    assert status == 303 and headers["location"] == "/"
    cookie = headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/" in cookie
    sent = cookie.split(";")[0]
    status, _, body = request(server, "GET", "/api/library", headers={"cookie": sent})
    assert status == 200 and json.loads(body)["routines"]
    # One-time: the same code does not pair a second device.
    status, _, body = request(server, "POST", "/pair", f"code={server.address.pairing_code}",
                              {"content-type": "application/x-www-form-urlencoded"})
    assert status == 410 and b"already used" in body


def test_wrong_pairing_codes_are_limited_and_then_even_the_right_one_is_refused(server):
    wrong = "000000" if server.address.pairing_code != "000000" else "111111"
    form = {"content-type": "application/x-www-form-urlencoded"}
    answers = [request(server, "POST", "/pair", f"code={wrong}", form) for _ in range(MAX_PAIRING_ATTEMPTS)]
    assert [a[0] for a in answers] == [401] * (MAX_PAIRING_ATTEMPTS - 1) + [429]
    assert b"4 tries left" in answers[0][2]
    status, _, body = request(server, "POST", "/pair", f"code={server.address.pairing_code}", form)
    assert status == 429 and b"restart coach serve --lan" in body


def test_commands_are_posts_with_the_csrf_token_from_the_page(server):
    cookie = pair(server)
    status, _, page = request(server, "GET", "/", headers={"cookie": cookie})
    assert status == 200
    token = page.decode().split('name="coach-csrf" content="')[1].split('"')[0]
    body = json.dumps({"answers": {"pregnancy": False}})
    assert request(server, "POST", "/api/screening", body, {"cookie": cookie})[0] == 403            # no token
    assert request(server, "POST", "/api/screening", body, {"cookie": cookie, CSRF_HEADER: "x" * len(token)})[0] == 403
    assert request(server, "POST", "/api/screening", body,
                   {"cookie": cookie, CSRF_HEADER: token, "origin": "http://evil.example"})[0] == 403
    assert request(server, "POST", "/api/screening", body, {"cookie": cookie, CSRF_HEADER: token})[0] == 200
    assert request(server, "GET", "/api/play", headers={"cookie": cookie})[0] == 405                 # reads are GETs only


def test_routines_are_named_by_library_id_never_by_a_path(server, tmp_path):
    cookie = pair(server)
    page = request(server, "GET", "/", headers={"cookie": cookie})[2].decode()
    token = page.split('name="coach-csrf" content="')[1].split('"')[0]
    secret = tmp_path / "secret.yaml"
    secret.write_text((Path(__file__).parent.parent / "coach" / "routines" / "child-pose.yaml").read_text())
    headers = {"cookie": cookie, CSRF_HEADER: token}
    for ref in ("../../etc/passwd", "/etc/passwd", str(secret), "my:../secret", "child-pose.yaml", "my:/etc/passwd"):
        status, _, body = request(server, "POST", "/api/play", json.dumps({"routine": ref}), headers)
        assert status == 400, (ref, status, body)
    status, _, body = request(server, "POST", "/api/play", json.dumps({"routine": "no-such-routine"}), headers)
    assert status == 400 and b"no routine called" in body
    for path in ("/static/../app.py", "/static/%2e%2e/app.py", "/static/app.html", "/static/..%2fserver.py"):
        assert request(server, "GET", path, headers={"cookie": cookie})[0] == 404, path


def test_sizes_hosts_and_headers(server):
    cookie = pair(server)
    big = "x" * (MAX_BODY_BYTES + 1)
    assert request(server, "POST", "/api/play", big, {"cookie": cookie})[0] == 413
    assert request(server, "GET", "/", headers={"cookie": cookie, "host": "rebound.example:80"})[0] == 421
    status, headers, _ = request(server, "GET", "/static/app.js", headers={"cookie": cookie})
    assert status == 200
    csp = headers["content-security-policy"]
    assert "default-src 'none'" in csp and "script-src 'self'" in csp and "unsafe" not in csp
    assert headers["x-content-type-options"] == "nosniff" and headers["x-frame-options"] == "DENY"


def test_the_pairing_page_escapes_what_the_link_carries(server):
    status, headers, body = request(server, "GET", '/pair?code="><script>alert(1)</script>')
    assert status == 200
    assert b"<script>" not in body and b"&lt;script&gt;" in body
    assert "style-src 'sha256-" in headers["content-security-policy"]


def test_no_page_loads_anything_from_elsewhere():
    from coach.web.pages import app_page, static_files

    texts = [app_page("t", "player").decode()] + [c.decode() for name, (c, _) in static_files().items()
                                                    if not name.endswith(".png")]
    for text in texts:
        assert "http://" not in text.replace("http://www.w3.org/2000/svg", "") and "https://" not in text
        assert "//cdn" not in text and "innerHTML" not in text
