"""The command line (scripts/bench, `python -m tools.bench`): options, and the sections in their order."""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import sys
import tempfile
import time
import traceback
from pathlib import Path

import tools.bench
from tools.bench.background import bench_background
from tools.bench.check import bench_check
from tools.bench.cold import bench_cold_sessions, bench_first_sound
from tools.bench.config import ENGINES, FULL, QUICK, ROOT, Profile
from tools.bench.export import bench_baseline, bench_export, probe_ssml_breaks
from tools.bench.listen import bench_listen
from tools.bench.render import bench_cold_render, warm_cache
from tools.bench.report import report_markdown
from tools.bench.results import Results, machine_info
from tools.bench.sessions import bench_live, bench_play
from tools.bench.startup import bench_startup
from tools.bench.workspace import Workspace, build_routines

SECTIONS = ("startup", "cold", "render", "export", "play", "background", "live", "check", "listen")


def run_section(results: Results, name: str, fn):
    """Run one section; a failure is reported as 'not available' and the bench carries on."""
    print(f"bench: {name}...", file=sys.stderr, flush=True)
    started = time.perf_counter()
    try:
        value = fn()
    except Exception as exc:  # noqa: BLE001  (any failure of one section must not lose the others)
        results.unavailable[name] = f"{type(exc).__name__}: {exc}"
        traceback.print_exc(file=sys.stderr)
        return None
    print(f"bench: {name} done in {time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)
    return value


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bench", description=tools.bench.__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a smaller run (a few minutes)")
    parser.add_argument("--output", type=Path, help="write the report here (default for the full run: "
                        "docs/benchmarks.md; the quick run only prints)")
    parser.add_argument("--only", nargs="+", choices=SECTIONS, help="run only these sections")
    parser.add_argument("--keep", action="store_true", help="keep the temp folder (its path is printed)")
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    # Started in the background by a shell, we (and so every child) would ignore SIGINT, and the play
    # sessions could not be stopped with Ctrl-C after their first sound: put Python's handler back, so
    # children start with the default disposition and Python turns SIGINT into KeyboardInterrupt.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    profile = QUICK if args.quick else FULL
    wanted = set(args.only or SECTIONS)
    output = args.output or (None if args.quick else ROOT / "docs" / "benchmarks.md")
    started = time.perf_counter()
    results = Results(profile.name, machine=machine_info(), play_routine=profile.session_routine)
    tmp = Path(tempfile.mkdtemp(prefix="coach-bench-"))
    ws = Workspace(tmp)
    try:
        run_all(ws, profile, wanted, results)
    finally:
        if args.keep:
            print(f"bench: temp files kept in {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    results.seconds = time.perf_counter() - started
    results.machine["load_end"] = os.getloadavg()[0]
    text = report_markdown(results)
    print(text)
    if output is not None:
        output.write_text(text + "\n")
        print(f"bench: wrote {output}", file=sys.stderr)
    return 0


def run_all(ws: Workspace, profile: Profile, wanted: set[str], results: Results) -> None:
    # Start-up first, on a quiet machine and before any cache exists.
    if "startup" in wanted:
        results.startup = run_section(results, "startup", lambda: bench_startup(ws)) or {}
    if "cold" in wanted:
        results.first_sound = run_section(results, "first-sound", lambda: bench_first_sound(ws, profile.first_sound)) or {}
        results.cold_sessions = run_section(
            results, "cold-sessions", lambda: bench_cold_sessions(ws, list(profile.cold_sessions))) or []
    seeds: dict[str, Path] = {}
    if "render" in wanted:
        rendered = run_section(results, "render", lambda: bench_cold_render(ws, profile))
        if rendered:
            results.render, seeds = rendered
    needs_warm = wanted & {"export", "play", "background", "check", "listen"}
    routines: dict[int, Path] = {}
    if "export" in wanted:
        routines = run_section(results, "routines", lambda: build_routines(ws, profile)) or {}
    warm: dict[str, Path] = {}
    if needs_warm:
        refs = [str(p) for p in routines.values()] + [profile.session_routine]
        warm = run_section(results, "warm-up", lambda: {e: warm_cache(ws, e, seeds.get(e), refs) for e in ENGINES}) or {}
    if "export" in wanted and warm and routines:
        results.export = run_section(results, "export", lambda: bench_export(ws, routines, warm)) or []
        results.breaks = run_section(results, "ssml-probe", lambda: probe_ssml_breaks(ws)) or {}
        results.baseline = run_section(results, "baseline", lambda: bench_baseline(ws, routines, warm["espeak"])) or {}
    if "play" in wanted and warm:
        results.play = run_section(results, "play", lambda: bench_play(ws, profile.session_routine, warm)) or {}
    if "background" in wanted and warm:
        results.background = run_section(
            results, "background", lambda: bench_background(ws, profile.session_routine, warm)) or {}
    if "live" in wanted:
        results.live = run_section(results, "live", lambda: bench_live(ws, profile.session_routine)) or {}
    if "check" in wanted and warm:
        results.check = run_section(results, "check", lambda: bench_check(ws, profile.session_routine, warm)) or {}
    if "listen" in wanted and warm:
        results.listen = run_section(results, "listen", lambda: bench_listen(ws, profile.name == "quick", warm)) or {}

