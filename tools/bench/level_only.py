"""The export benchmark's "levelling": what bringing speech to one loudness costs an export.

    python -m tools.bench.level_only ROUTINE ENGINE CACHE_DIR [--prepare-only]

Levels every distinct speech clip of the routine once (coach.mix.normalise_speech: BS.1770 loudness,
true-peak limiting), as export does, after the same preparation as mix_only; timed in its own process,
so the figure includes importing scipy and pyloudnorm. With --prepare-only it stops before levelling:
the difference between the two runs is what levelling costs.
"""

import sys
from pathlib import Path

from coach.mix import normalise_speech
from tools.bench.coachapi import prepare_export


def main(ref: str, engine: str, cache_dir: str, *flags: str) -> None:
    prepared = prepare_export(ref, engine, Path(cache_dir))
    if "--prepare-only" in flags:
        return
    for text in {cue.text for cue in prepared.timeline.cues if cue.is_speech and cue.text}:
        normalise_speech(prepared.clip_for(text))


if __name__ == "__main__":
    main(*sys.argv[1:])
