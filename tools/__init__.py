"""Developer tools for coach, not shipped in the wheel (the wheel packages only `coach*`).

Modules: asr (an offline recognizer checks exported audio: scripts/check-audio), bench (benchmarks:
scripts/bench). Run from the repository root, or with it on sys.path / PYTHONPATH.
"""
