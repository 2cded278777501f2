"""A clip's index file: the text and voice it was rendered from, its length, and a checksum of its samples.

The checksum is what makes a clip trustworthy on use: the header and length of a WAV say nothing about
its samples, so flipped bytes, or a valid clip copied over another key, would otherwise be played as
they are (wrong words spoken). blake2b over the PCM bytes of a 5 s clip costs about 0.3 ms (2 busy
cores), a small part of reading it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from coach.cache.keys import FORMAT_VERSION, clip_key

DIGEST_BYTES = 16


@dataclass(frozen=True)
class ClipIndex:
    identity: str
    text: str
    samples: int        # the clip's length in samples
    digest: str         # blake2b (16 bytes, hex) of the clip's PCM bytes

    def to_bytes(self, spoken_ms: int) -> bytes:
        data = {"format": FORMAT_VERSION, "identity": self.identity, "text": self.text, "spoken_ms": spoken_ms,
                "samples": self.samples, "blake2b": self.digest}
        return json.dumps(data, ensure_ascii=False, indent=1).encode("utf-8")


def pcm_digest(pcm: bytes | memoryview) -> str:
    return hashlib.blake2b(pcm, digest_size=DIGEST_BYTES).hexdigest()


def read_index(path: Path, key: str) -> ClipIndex | None:
    """The index at `path` if it is whole and names `key` (its identity and text give that key), else
    None: missing, damaged, written before clips carried a checksum, or copied from another key."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    identity, text, samples, digest = (data.get(k) for k in ("identity", "text", "samples", "blake2b"))
    if not (isinstance(identity, str) and isinstance(text, str) and isinstance(samples, int)
            and isinstance(digest, str) and len(digest) == 2 * DIGEST_BYTES):
        return None
    try:
        if clip_key(identity, text) != key:
            return None
    except ValueError:   # blank text
        return None
    return ClipIndex(identity, text, samples, digest)
