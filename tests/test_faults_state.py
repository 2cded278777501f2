"""Nothing lost, nothing hangs: a damaged, foreign, newer or uncreatable history, through the real CLI.

The history files are real: written by coach's own History, then damaged (random bytes over a page),
or replaced by random bytes, or stamped with a newer PRAGMA user_version.
"""

from __future__ import annotations

import json
import os
import random
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from support import run_coach

from coach.history import History
from coach.history_file import SCHEMA_VERSION

TESTS = Path(__file__).resolve().parent
PAGE = 4096


def written_by_coach(path: Path, sessions: int = 300) -> Path:
    history = History(path)
    for i in range(sessions):
        history.end(history.start(f"routine-number-{i:04d}-with-a-long-name-to-fill-pages", "play"), "completed")
    return path


def corrupt_a_page(path: Path, page: int = 4) -> bytes:
    data = bytearray(path.read_bytes())
    noise = random.Random(19)
    data[(page - 1) * PAGE:page * PAGE] = bytes(noise.randrange(256) for _ in range(PAGE))
    for side in ("-wal", "-shm"):
        Path(f"{path}{side}").unlink(missing_ok=True)
    path.write_bytes(bytes(data))
    return bytes(data)


def newer_file(path: Path) -> bytes:
    written_by_coach(path, sessions=3)
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    return path.read_bytes()


def moved_aside(db: Path) -> Path:
    (found,) = [p for p in db.parent.iterdir() if p.name.startswith(db.name + ".damaged-") and
                not p.name.endswith(("-wal", "-shm", "-journal"))]
    return found


def env_for(db: Path) -> dict[str, str]:
    return {"COACH_HISTORY_DB": str(db)}


def uncreatable(tmp_path: Path) -> Path:
    """A history in a folder nobody may write: as root, permissions do not stop us, so /proc."""
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o555)
    if os.access(folder, os.W_OK):
        return Path("/proc/self/history.sqlite")
    return folder / "history.sqlite"


TOO_NEW = ("coach: the session history {db} was written by a newer coach (schema version {v}; this one knows up "
           "to {known}) and is left untouched; upgrade coach, or set --history-db or COACH_HISTORY_DB to another file")


@pytest.mark.parametrize("command", ["history", "stats"])
def test_a_corrupt_page_is_moved_aside_and_a_new_history_started(tmp_path, command):
    db = written_by_coach(tmp_path / "history.sqlite")
    damaged = corrupt_a_page(db)
    result = run_coach(command, env=env_for(db))
    assert result.returncode == 0, result.stderr
    kept = moved_aside(db)
    assert kept.read_bytes() == damaged                     # kept as it was, for whoever wants to look
    assert result.stderr.startswith(f"coach: the session history {db} was unreadable (corrupt pages: ")
    assert result.stderr.endswith(f"); it is kept as {kept.name} and a new one is started\n")
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert History(db).rows() == []                         # a new, working file
    again = run_coach(command, env=env_for(db))
    assert again.returncode == 0 and again.stderr == ""


def test_a_file_that_is_not_a_database_is_moved_aside(tmp_path):
    db = tmp_path / "history.sqlite"
    junk = random.Random(7).randbytes(10_000)
    db.write_bytes(junk)
    result = run_coach("history", env=env_for(db))
    kept = moved_aside(db)
    assert (result.returncode, result.stdout) == (0, "No sessions yet.\n")
    assert result.stderr == (f"coach: the session history {db} was unreadable (not an SQLite database); "
                             f"it is kept as {kept.name} and a new one is started\n")
    assert kept.read_bytes() == junk


def test_a_foreign_schema_is_moved_aside_unchanged(tmp_path):
    db = tmp_path / "history.sqlite"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE sessions (id INTEGER PRIMARY KEY, what TEXT)")
        conn.execute("INSERT INTO sessions (what) VALUES ('mine')")
    conn.close()
    before = db.read_bytes()
    result = run_coach("stats", env=env_for(db))
    kept = moved_aside(db)
    assert result.returncode == 0
    assert result.stderr == (f"coach: the session history {db} was unreadable (a schema this version does not "
                             f"know: sessions(id, what)); it is kept as {kept.name} and a new one is started\n")
    assert kept.read_bytes() == before


@pytest.mark.parametrize("command", ["history", "stats"])
def test_a_newer_history_is_refused_and_left_untouched(tmp_path, command):
    db = tmp_path / "history.sqlite"
    before = newer_file(db)
    result = run_coach(command, env=env_for(db))
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr == TOO_NEW.format(db=db, v=SCHEMA_VERSION + 1, known=SCHEMA_VERSION) + "\n"
    assert db.read_bytes() == before
    assert not list(tmp_path.glob("*.damaged-*"))


@pytest.mark.parametrize("command", ["history", "stats"])
def test_a_history_that_cannot_be_created_reads_as_empty(tmp_path, command):
    db = uncreatable(tmp_path)
    result = run_coach(command, env=env_for(db))
    assert result.returncode == 0 and result.stderr == "", result.stderr
    assert not db.exists()


# -- a session never refuses to play because of its history ------------------------------------------

def play(tmp_path: Path, db: Path):
    """`coach play` of the tiny stand-in timeline (tests/alsa_capture.py), captured by ALSA."""
    from alsa_capture import write_capture_config

    config, raw = write_capture_config(tmp_path)
    env = {"ALSA_CONFIG_PATH": str(config), "COACH_HISTORY_DB": str(db), "COACH_CONFIG": str(tmp_path / "c.json"),
           "COACH_CACHE_DIR": str(tmp_path / "cache"),
           "PYTHONPATH": os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")])}
    result = run_coach("play", "child-pose", "--yes", env=env, timeout=120)
    result.captured = raw.stat().st_size if raw.exists() else 0   # type: ignore[attr-defined]
    return result


def run_cli_coach(monkeypatch):
    """run_coach, but through alsa_capture.run_cli (the tiny stand-in timeline)."""
    import support

    monkeypatch.setattr(support, "COACH", [sys.executable, "-c", "import alsa_capture; alsa_capture.run_cli()"])


@pytest.mark.slow
def test_play_on_a_corrupt_history_records_into_a_new_one(tmp_path, monkeypatch):
    run_cli_coach(monkeypatch)
    db = written_by_coach(tmp_path / "history.sqlite")
    corrupt_a_page(db)
    result = play(tmp_path, db)
    assert result.returncode == 0, result.stderr
    assert result.captured > 0
    kept = moved_aside(db)
    assert result.stderr.startswith(f"coach: the session history {db} was unreadable (corrupt pages: ")
    assert result.stderr.endswith(f"it is kept as {kept.name} and a new one is started\n")
    assert [(r.routine, r.outcome) for r in History(db).rows()] == [("child-pose", "completed")]


@pytest.mark.slow
def test_play_on_a_newer_history_plays_unrecorded_and_says_so(tmp_path, monkeypatch):
    run_cli_coach(monkeypatch)
    db = tmp_path / "history.sqlite"
    before = newer_file(db)
    result = play(tmp_path, db)
    assert result.returncode == 0, result.stderr
    assert result.captured > 0
    too_new = TOO_NEW.format(db=db, v=SCHEMA_VERSION + 1, known=SCHEMA_VERSION).removeprefix("coach: ")
    assert result.stderr == f"coach: this session is not recorded: {too_new}\n"
    assert db.read_bytes() == before


@pytest.mark.slow
def test_play_with_a_history_that_cannot_be_created_plays_and_says_once(tmp_path, monkeypatch):
    run_cli_coach(monkeypatch)
    db = uncreatable(tmp_path)
    result = play(tmp_path, db)
    assert result.returncode == 0, result.stderr
    assert result.captured > 0
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith(f"coach: this session is not recorded: cannot open the session history at {db} (")


# -- the config file is never rewritten with anything lost --------------------------------------------

BAD_CONFIGS = {
    "a list": ('["pregnancy"]\n', '{p}: the config file must be one JSON object ({{"daily_limit": 3, ...}}), not a list; '
                                  'fix it, or delete the file to start again'),
    "a string": ('"no conditions"\n', '{p}: the config file must be one JSON object ({{"daily_limit": 3, ...}}), not a '
                                      'string; fix it, or delete the file to start again'),
    "daily_limit lots": ('{\n  "conditions": {},\n  "daily_limit": "lots",\n  "mine": 1\n}\n',
                         '{p}:3: "daily_limit" must be a whole number of starts of one routine a day, such as 3, '
                         'not "lots"; fix it in the file, or delete the line'),
    "maybe": ('{\n  "conditions": {\n    "recent-surgery": "maybe"\n  }\n}\n',
              '{p}:3: "conditions.recent-surgery" must be yes or no (true or false), not "maybe"; '
              'fix it in the file, or delete the line'),
    "not JSON": ('{"conditions": {"pregnancy": no}}\n',
                 '{p}:1: not valid JSON (Expecting value); fix it, or delete the file to start again '
                 '(your screening answers are then asked again)'),
}


def capture_env(tmp_path: Path, cfg: Path) -> dict[str, str]:
    from alsa_capture import write_capture_config

    config, _ = write_capture_config(tmp_path)
    return {"ALSA_CONFIG_PATH": str(config), "COACH_CONFIG": str(cfg), "COACH_HISTORY_DB": str(tmp_path / "h.sqlite"),
            "COACH_CACHE_DIR": str(tmp_path / "cache"),
            "PYTHONPATH": os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")])}


@pytest.mark.parametrize("case", list(BAD_CONFIGS))
@pytest.mark.parametrize("command", [("screening",), ("screening", "--reset"), ("play", "--yes")])
def test_a_config_coach_cannot_use_is_one_line_exit_2_and_never_rewritten(tmp_path, monkeypatch, case, command):
    from support import tiny_script

    run_cli_coach(monkeypatch)
    cfg = tmp_path / "config.json"
    text, message = BAD_CONFIGS[case]
    cfg.write_text(text)
    args = [command[0], str(tiny_script(tmp_path, "recent-surgery")), *command[1:]] if command[0] == "play" else command
    result = run_coach(*args, env=capture_env(tmp_path, cfg), timeout=120)
    assert (result.returncode, result.stderr) == (2, "coach: " + message.format(p=cfg) + "\n")
    assert cfg.read_text() == text
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(("config", ".config"))) == ["config.json"]


@pytest.mark.slow
@pytest.mark.parametrize("answer, code", [("no", 0), ("No", 0), ("false", 0), ("yes", 2), ("TRUE", 2)])
def test_a_no_in_the_config_file_means_no(tmp_path, monkeypatch, answer, code):
    from support import tiny_script

    run_cli_coach(monkeypatch)
    cfg = tmp_path / "config.json"
    text = json.dumps({"conditions": {"recent-surgery": answer}, "daily_limit": 3, "mine": [1, 2]})
    cfg.write_text(text)
    result = run_coach("play", str(tiny_script(tmp_path, "recent-surgery")), env=capture_env(tmp_path, cfg),
                       stdin=subprocess.DEVNULL, timeout=120)
    assert result.returncode == code, result.stderr
    if code:
        assert result.stderr.startswith("coach: 'tiny-stretch' is not advised with back, neck or hip surgery")
    assert cfg.read_text() == text    # nothing asked, nothing to save


def test_unknown_keys_survive_a_reset_through_the_cli(tmp_path):
    cfg = tmp_path / "config.json"
    cfg.write_text(json.dumps({"conditions": {"pregnancy": "yes"}, "daily_limit": 4, "listen": True,
                               "theme": "dark", "routines_folder": "~/stretches"}))
    result = run_coach("screening", "--reset", env={"COACH_CONFIG": str(cfg)})
    assert result.returncode == 0, result.stderr
    assert json.loads(cfg.read_text()) == {"conditions": {}, "daily_limit": 4, "listen": True, "theme": "dark",
                                           "routines_folder": "~/stretches"}
