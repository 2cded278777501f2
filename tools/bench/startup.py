"""Start-up: how long the interpreter, `coach --help` and `coach list` take from launch to exit."""

from __future__ import annotations

from tools.bench.config import COACH, PYTHON, STARTUP_RUNS
from tools.bench.measure import Stat, measure, run_once
from tools.bench.workspace import Workspace


def bench_startup(ws: Workspace) -> dict[str, Stat]:
    env = ws.env()
    commands = {"python -c pass": [PYTHON, "-c", "pass"], "coach --help": [COACH, "--help"],
                "coach list": [COACH, "list"]}
    return {label: measure(lambda cmd=cmd: run_once(cmd, env), runs=STARTUP_RUNS) for label, cmd in commands.items()}
