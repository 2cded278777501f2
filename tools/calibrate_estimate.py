"""Calibrate coach.timeline.estimate against real renders: `python -m tools.calibrate_estimate`.

Renders every text the built-in library speaks (every routine, every verbosity, what a safety stop
says) with each engine at its natural pace into a cache of its own, fits the estimate's coefficients
per engine by least squares, and prints them with the error they leave: per text, and per routine
(the session's length from the estimate against the one from the measured clips). The printed
constants go into estimate.py by hand, with the date.

Options: --cache DIR (default /tmp/coach-calibration-cache; kept between runs), --engines espeak,piper,
--jobs N, --check (no fit: the error of the constants estimate.py has now).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from coach import model as m
from coach.cache import ClipCache
from coach.library import builtin_names, resolve
from coach.safety import exit_texts
from coach.session.prepare import stop_positions, texts_to_render
from coach.speech import get_voice
from coach.timeline.compiler import compile_timeline
from coach.timeline import estimate
from coach.vocab import VERBOSITIES


def library_texts(routines: list[m.Routine]) -> set[str]:
    texts: set[str] = set()
    for routine in routines:
        for verbosity in VERBOSITIES:
            texts |= texts_to_render(routine, m.CompileOptions(verbosity=verbosity), estimate.estimate_spoken_ms)
    return texts | set(exit_texts(stop_positions(routines)))


def fit(texts: list[str], measured_ms: np.ndarray) -> tuple[float, ...]:
    """Least squares over the estimate's features (relative error weighted: short texts count as much)."""
    rows = np.array([estimate.features(t) for t in texts], dtype=np.float64)
    weights = 1.0 / measured_ms
    coef, *_ = np.linalg.lstsq(rows * weights[:, None], measured_ms * weights, rcond=None)
    return tuple(float(c) for c in coef)


def routine_errors(routines: list[m.Routine], cache: ClipCache, voice, engine: str) -> list[tuple[str, str, float]]:
    out = []
    estimated = estimate.estimator(None, engine)
    for routine in routines:
        for verbosity in VERBOSITIES:
            options = m.CompileOptions(verbosity=verbosity)
            guess = compile_timeline(routine, estimated, options).duration_ms
            real = compile_timeline(routine, lambda t: cache.clip_ms(voice, t), options).duration_ms
            out.append((routine.name, verbosity, guess / real - 1))
    return out


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.calibrate_estimate")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/coach-calibration-cache"))
    parser.add_argument("--engines", default="espeak,piper")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    routines = [resolve(name) for name in builtin_names()]
    texts = sorted(library_texts(routines))
    cache = ClipCache(args.cache)
    print(f"{len(texts)} texts from {len(routines)} built-in routines and exercises")
    for engine in args.engines.split(","):
        voice = get_voice(engine, None, None)
        cache.render_many(voice, texts, jobs=args.jobs)
        # The measured timeline may say other minutes in its introduction: render those too.
        for routine in routines:
            for verbosity in VERBOSITIES:
                options = m.CompileOptions(verbosity=verbosity)
                said = {c.text for c in compile_timeline(routine, lambda t: cache.clip_ms(voice, t), options).speech}
                cache.render_many(voice, sorted(said), jobs=args.jobs)
        measured = np.array([cache.clip_ms(voice, t) for t in texts], dtype=np.float64)
        if not args.check:
            coef = fit(texts, measured)
            print(f"{engine}: COEFFICIENTS = ({', '.join(f'{c:.1f}' for c in coef)})  # {estimate.FEATURES}")
            estimate.COEFFICIENTS[engine] = coef
        guess = np.array([estimate.estimate_spoken_ms(t, None, engine) for t in texts], dtype=np.float64)
        rel = guess / measured - 1
        print(f"{engine}: per text: median |error| {np.median(np.abs(rel)):.1%}, 90th percentile "
              f"{np.percentile(np.abs(rel), 90):.1%}, worst {rel.min():+.1%} / {rel.max():+.1%}; "
              f"real/estimate at most {np.max(measured / guess):.2f}; all texts {guess.sum() / measured.sum() - 1:+.2%}")
        errors = routine_errors(routines, cache, voice, engine)
        worst = max(errors, key=lambda e: abs(e[2]))
        full = [e[2] for e in errors if e[1] == "full"]
        print(f"{engine}: per routine (session length): worst {worst[2]:+.2%} ({worst[0]}, {worst[1]}); "
              f"at full verbosity {min(full):+.2%} .. {max(full):+.2%}; mean |error| "
              f"{np.mean([abs(e[2]) for e in errors]):.2%}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
