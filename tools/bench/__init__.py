"""Benchmarks for coach: export, rendering, start-up, playback timing and an independent audio check.

    scripts/bench            the full run (about half an hour: a live session runs in real time and the
                             Piper voice renders the whole library cold); writes docs/benchmarks.md
    scripts/bench --quick    a few minutes: shorter routines, a library subset, child-pose sessions;
                             prints only (give --output FILE to keep it)

Every figure is the median of several runs (RUNS, or one run when a run takes longer than LONG_S), each
in a fresh subprocess; peak memory is that subprocess's own maximum resident set (os.wait4's rusage,
which covers the process and the children it waited for). Each comparison is a ratio of two figures
taken in the same run. Nothing is asserted: targets are reported as met or not, with the numbers.

Modules: cli (options, the order of the sections), config (paths, run counts, profiles), coachapi (the
one place that imports coach's session and compile API), measure (running and timing subprocesses),
workspace (temp folders, environment, built routines), one module per section (startup, render,
export, sessions, check), report (the markdown). encode_only and mix_only are programs the export
section times, each in its own process (`python -m tools.bench.encode_only ...`).

This package imports nothing at import time: the timed programs below it start as light as they can.
"""
