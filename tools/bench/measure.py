"""Running commands in fresh processes and taking their wall time and peak memory."""

from __future__ import annotations

import os
import statistics
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass

from tools.bench.config import LONG_S, PYTHON, ROOT, RUNS, BenchError


@dataclass(frozen=True)
class Sample:
    wall_s: float
    peak_mb: float
    parts_s: tuple[float, ...] = ()    # per step, for a sequence of commands


@dataclass(frozen=True)
class Stat:
    wall_s: float          # median
    peak_mb: float         # median of each run's peak
    runs: int
    walls_s: tuple[float, ...] = ()
    parts_s: tuple[float, ...] = ()    # median per step

    def __str__(self) -> str:
        return f"{self.wall_s:.2f} s"


def run_once(cmd: list[str], env: dict[str, str], timeout_s: float = 3600) -> Sample:
    """Run cmd in a fresh process: its wall time and its own peak RSS (not the max over every child
    this bench ever ran, which is what RUSAGE_CHILDREN would give after the first big one)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=env)
        timer = threading.Timer(timeout_s, proc.kill)
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        wall_s = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            err.seek(0)
            tail = err.read().decode(errors="replace").strip().splitlines()[-3:]
            raise BenchError(f"{' '.join(cmd[:4])}... exited {proc.returncode}: {' | '.join(tail)}")
    return Sample(wall_s, usage.ru_maxrss / 1024)   # ru_maxrss is in KiB on Linux


def run_steps(steps: list[list[str]], env: dict[str, str]) -> Sample:
    """Commands one after another (a shell pipeline a user would write): summed time, largest peak."""
    samples = [run_once(cmd, env) for cmd in steps]
    return Sample(sum(s.wall_s for s in samples), max(s.peak_mb for s in samples), tuple(s.wall_s for s in samples))


def measure(run, runs: int = RUNS, setup=None) -> Stat:
    """Median of `runs` runs of run() -> Sample, setup() before each; one run when it is long."""
    samples: list[Sample] = []
    for _ in range(runs):
        if setup is not None:
            setup()
        samples.append(run())
        if samples[-1].wall_s > LONG_S:
            break
    walls = tuple(s.wall_s for s in samples)
    parts = tuple(statistics.median(part) for part in zip(*(s.parts_s for s in samples)))
    return Stat(statistics.median(walls), statistics.median(s.peak_mb for s in samples), len(samples), walls, parts)


def quiet(cmd: list[str], env: dict[str, str]) -> str:
    """Run a set-up step (not measured); its stdout."""
    run = subprocess.run(cmd, capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL)
    if run.returncode != 0:
        raise BenchError(f"{' '.join(cmd[:4])}... exited {run.returncode}: {run.stderr.strip()[-300:]}")
    return run.stdout


def program(name: str, *args: str) -> list[str]:
    """The command that runs the bench's own program tools/bench/<name>.py (see with_tools)."""
    return [PYTHON, "-m", f"tools.bench.{name}", *args]


def with_tools(env: dict[str, str]) -> dict[str, str]:
    """env, with the repository root on PYTHONPATH so that `python -m tools.bench.<name>` imports."""
    return {**env, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))}
