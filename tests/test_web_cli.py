"""`coach serve` as a person runs it: a real process, a real port, Ctrl-C, a busy port, --lan."""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import urllib.error
import urllib.request

import pytest

from support import COACH, private_env, run_coach

pytest.importorskip("uvicorn")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_serve(tmp_path, *args: str) -> tuple[subprocess.Popen, list[str]]:
    """`coach serve ARGS` started, and the lines it printed up to "Ctrl-C stops the server."."""
    proc = subprocess.Popen(COACH + ["serve", "--engine", "espeak", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env={**os.environ, **private_env(tmp_path)})
    assert proc.stdout is not None
    lines = []
    for _ in range(200):   # bounded: the QR code is a few dozen lines
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line.rstrip("\n"))
        if line.startswith("Ctrl-C stops the server."):
            return proc, lines
    proc.kill()
    raise AssertionError(f"coach serve did not start: {lines} {proc.stderr.read() if proc.stderr else ''}")


def test_ctrl_c_stops_the_server_cleanly_while_a_phone_is_playing(tmp_path):
    from coach.library import resolve

    conditions = resolve("child-pose").contraindications
    (tmp_path / "config.json").write_text(json.dumps({"conditions": {c: False for c in conditions}}))
    port = free_port()
    proc, lines = start_serve(tmp_path, "--port", str(port))
    base = f"http://127.0.0.1:{port}"
    try:
        assert lines[0] == f"coach is serving at {base}/"
        assert "Only this computer can open it" in lines[1]
        with urllib.request.urlopen(f"{base}/", timeout=10) as reply:
            page = reply.read().decode()
        assert '<script type="module" src="/static/app.js">' in page
        token = page.split('name="coach-csrf" content="')[1].split('"')[0]
        play = urllib.request.Request(f"{base}/api/play", data=json.dumps({"routine": "child-pose"}).encode(),
                                      headers={"x-coach-csrf": token, "content-type": "application/json"})
        with urllib.request.urlopen(play, timeout=30) as reply:
            audio = json.loads(reply.read())["audio"]
        stream = urllib.request.urlopen(f"{base}{audio}", timeout=30)
        assert stream.headers["content-type"] == "audio/mpeg" and stream.read(4096)[:2] == b"\xff\xf3"
        proc.send_signal(signal.SIGINT)        # the stream still open, the session still playing
        out, err = proc.communicate(timeout=30)
        stream.close()
    finally:
        proc.kill()
    assert proc.returncode == 0, (proc.returncode, out, err)
    assert out.strip().splitlines()[-1] == "coach serve: stopped."
    assert "Traceback" not in err and err.strip() == ""
    with sqlite3.connect(tmp_path / "history.sqlite") as db:
        assert db.execute("SELECT routine, mode, outcome FROM sessions").fetchall() == [("child-pose", "phone", "interrupted")]


def test_a_second_serve_on_a_busy_port_says_so_in_one_line(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        result = run_coach("serve", "--engine", "espeak", "--port", str(port), env=private_env(tmp_path), timeout=60)
        remote = run_coach("play", "child-pose", "--yes", "--engine", "espeak", "--remote", "--remote-port", str(port),
                           env=private_env(tmp_path), timeout=60)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"coach: port {port} is already in use (another coach serve?); stop it, or choose another port with --port N"]
    assert remote.returncode == 1     # before any sound or screening
    assert remote.stderr.strip().splitlines() == [
        f"coach: port {port} is already in use (another coach serve?); stop it, or choose another port with --remote-port N"]


def test_lan_prints_the_pairing_code_and_a_qr_code_and_refuses_an_unpaired_request(tmp_path):
    port = free_port()
    proc, lines = start_serve(tmp_path, "--lan", "--port", str(port))
    try:
        code_line = next(line for line in lines if line.startswith("Pairing code: "))
        code = code_line.split()[2]
        assert code.isdigit() and len(code) == 6
        assert f":{port}/pair?code={code}" in code_line
        qr = [line for line in lines if "█" in line or "▀" in line or "▄" in line]
        assert len(qr) >= 10                          # drawn with block characters, a square of them
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/library", timeout=10)
            raise AssertionError("an unpaired request was answered")
        except urllib.error.HTTPError as exc:
            assert exc.code == 401
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=30)
        proc.kill()


def test_help_and_list_do_not_import_the_web_stack():
    code = ("import sys\nfrom click.testing import CliRunner\nfrom coach.cli import cli\n"
            "CliRunner().invoke(cli, ['--help']); CliRunner().invoke(cli, ['list']); CliRunner().invoke(cli, ['serve', '--help'])\n"
            "print(','.join(m for m in ('starlette', 'uvicorn', 'segno', 'anyio', 'coach.web') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
