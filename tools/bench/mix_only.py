"""The export benchmark's "mix only": what export does before encoding (resolve, check the cache,
compile, mix), no encoder.

    python -m tools.bench.mix_only ROUTINE ENGINE CACHE_DIR [PCM_FILE]

With PCM_FILE the mixed PCM (int16 little-endian) is written there, for encode_only. Timed in its own
process.
"""

import sys
from pathlib import Path

from coach.mix import iter_pcm_chunks
from tools.bench.coachapi import prepare_export


def main(ref: str, engine: str, cache_dir: str, pcm_path: str | None = None) -> None:
    prepared = prepare_export(ref, engine, Path(cache_dir))
    chunks = iter_pcm_chunks(prepared.timeline, prepared.clip_for)
    if pcm_path is None:
        for _chunk in chunks:
            pass
        return
    with open(pcm_path, "wb") as out:
        for chunk in chunks:
            out.write(chunk.astype("<i2").tobytes())


if __name__ == "__main__":
    main(*sys.argv[1:5])
