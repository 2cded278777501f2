"""What a bench run found, section by section, and the machine it ran on."""

from __future__ import annotations

import contextlib
import datetime
import os
import platform
import subprocess
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Results:
    profile: str
    machine: dict = field(default_factory=dict)
    startup: dict = field(default_factory=dict)
    render: dict = field(default_factory=dict)
    export: list = field(default_factory=list)
    baseline: dict = field(default_factory=dict)
    breaks: dict = field(default_factory=dict)
    play: dict = field(default_factory=dict)
    live: dict = field(default_factory=dict)
    check: dict = field(default_factory=dict)
    listen: dict = field(default_factory=dict)         # voice commands: detection, false triggers, latency
    background: dict = field(default_factory=dict)     # play --background: first sound, the stream's cost
    first_sound: dict = field(default_factory=dict)     # (routine, engine, cache state) -> first sounds
    cold_sessions: list = field(default_factory=list)   # whole sessions on an empty cache
    unavailable: dict = field(default_factory=dict)    # section -> why
    seconds: float = 0.0
    play_routine: str = ""


def machine_info() -> dict:
    model = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    tools = {}
    for tool, args in (("espeak-ng", ["--version"]), ("ffmpeg", ["-version"]), ("sox", ["--version"])):
        with contextlib.suppress(OSError):
            tools[tool] = subprocess.run([tool, *args], capture_output=True, text=True).stdout.splitlines()[0][:60]
    return {"nproc": os.cpu_count(), "cpu": model, "memory_gb": round(mem_gb, 1), "load_start": os.getloadavg()[0],
            "python": platform.python_version(), "os": platform.platform(terse=True),
            "date": datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"), "tools": tools}
