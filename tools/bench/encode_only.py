"""The export benchmark's "pure encode": MP3-encode a raw PCM file the way export does, nothing else.

    python -m tools.bench.encode_only PCM_FILE OUT_MP3

PCM_FILE holds coach's PCM (int16 little-endian mono at SAMPLE_RATE); it is fed to the same encoder
(coach.export.mp3.write_mp3) in the same chunk length coach.mix yields. Timed in its own process.
"""

import sys

import numpy as np

from coach.audio_format import SAMPLE_WIDTH, ms_to_samples
from coach.export.mp3 import write_mp3
from coach.mix import DEFAULT_CHUNK_MS

CHUNK_BYTES = ms_to_samples(DEFAULT_CHUNK_MS) * SAMPLE_WIDTH


def chunks(path):
    with open(path, "rb") as f:
        while block := f.read(CHUNK_BYTES):
            yield np.frombuffer(block, dtype="<i2")


def main(pcm_path: str, out_path: str) -> None:
    with open(out_path, "wb") as out:
        write_mp3(chunks(pcm_path), out)


if __name__ == "__main__":
    main(*sys.argv[1:3])
