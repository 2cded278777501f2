"""ClipCache: look clips up, render what is missing, store it atomically.

Layout: <root>/<key[:2]>/<key>.wav (coach.wav's canonical format) and <key>.json beside it (text, voice
identity, length and a checksum of the samples: coach.cache.index). Both are written through
coach.atomic: a reader sees a whole clip or no clip, whoever was killed and whoever else wrote the same
key meanwhile. A clip whose header, length or index is wrong is treated as missing (planning reads only
the header and the index); a clip whose samples do not match the checksum is treated as missing when it
is used. Either way it is rendered again and replaced atomically. A write that fails raises
CacheWriteError (coach.cache.faults) with the folder and the fix.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from coach.atomic import atomic_files
from coach.audio_format import samples_to_spoken_ms
from coach.cache import housekeeping
from coach.cache.faults import cache_write_error
from coach.cache.index import ClipIndex, pcm_digest, read_index
from coach.cache.keys import clip_key, normalize_text
from coach.cache.pool import render_in_pool
from coach.cache.usage import append_usage
from coach.progress import ProgressFn
from coach.speech.base import Voice
from coach.wav import HEADER_BYTES, clip_length_samples, header, pcm_bytes

POOL_MIN_TEXTS = 16         # fewer missing clips render in-process: starting workers (a Piper model each) costs more


class ClipCache:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.hits = 0      # lookups answered from disk (or memory) in this process
        self.misses = 0    # lookups that found no valid clip
        self._spoken_ms: dict[str, int] = {}

    # --- lookups -------------------------------------------------------------------------------------

    def key(self, voice: Voice, text: str) -> str:
        return clip_key(voice.cache_identity(), text)

    def clip_path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.wav"

    def index_path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.json"

    def get(self, voice: Voice, text: str) -> np.ndarray | None:
        """The cached clip, or None if it is missing or damaged (its samples fail the checksum). Never renders."""
        samples = self.verified_clip(self.key(voice, text))
        self._count(samples is not None)
        return samples

    def has(self, voice: Voice, text: str) -> bool:
        """Whether a clip is cached whose header and length agree with its index (the samples are not
        read: they are checked when the clip is used). Not counted as a lookup."""
        return self._length(self.key(voice, text)) is not None

    def get_or_render(self, voice: Voice, text: str) -> np.ndarray:
        text = normalize_text(text)
        samples = self.verified_clip(self.key(voice, text))
        self._count(samples is not None)
        if samples is None:
            samples = self.render_and_store(voice, text)
        return samples

    def verified_clip(self, key: str) -> np.ndarray | None:
        """The samples of the clip under `key` if its index names this key and they match its checksum."""
        index = read_index(self.index_path(key), key)
        if index is None:
            return None
        try:
            with self.clip_path(key).open("rb") as f:
                data = bytearray(os.fstat(f.fileno()).st_size)   # read once, into a buffer the array can own
                if f.readinto(data) != len(data):
                    return None
        except OSError:
            return None
        pcm = memoryview(data)[HEADER_BYTES:]
        if len(pcm) != index.samples * 2 or data[:HEADER_BYTES] != header(len(pcm)) or pcm_digest(pcm) != index.digest:
            return None
        return np.frombuffer(data, dtype="<i2", offset=HEADER_BYTES).astype(np.int16, copy=False)

    def _length(self, key: str) -> int | None:
        index = read_index(self.index_path(key), key)
        length = clip_length_samples(self.clip_path(key)) if index is not None else None
        return length if index is not None and length == index.samples else None

    def clip_ms(self, voice: Voice, text: str) -> int:
        """How long the clip for `text` lasts (rendering it if needed); reads only the header of a cached clip."""
        text = normalize_text(text)
        key = self.key(voice, text)
        if key in self._spoken_ms:  # asked again in this process: not a cache lookup
            return self._spoken_ms[key]
        length = self._length(key)
        self._count(length is not None)
        if length is None:
            length = len(self.render_and_store(voice, text))
        self._spoken_ms[key] = samples_to_spoken_ms(length)
        return self._spoken_ms[key]

    # --- rendering -----------------------------------------------------------------------------------

    def render_many(self, voice: Voice, texts: Iterable[str], jobs: int = 2, progress: ProgressFn | None = None) -> None:
        """Render every text that has no valid clip yet; `jobs` worker processes share the work.

        Each worker builds its own voice from voice.spec. Progress is reported as progress(done, total)
        over the missing clips only, starting with (0, total).
        """
        todo: list[str] = []
        for text in dict.fromkeys(normalize_text(t) for t in texts):
            present = self.has(voice, text)
            self._count(present)
            if not present:
                todo.append(text)
        if todo:
            self.check_writable()   # before minutes of rendering, not after the first clip
            housekeeping.remove_orphaned_temps(self.root)
        report = progress or (lambda done, total: None)
        report(0, len(todo))
        if jobs <= 1 or len(todo) < POOL_MIN_TEXTS:
            for done, text in enumerate(todo, 1):
                self.render_and_store(voice, text)
                report(done, len(todo))
        elif todo:
            render_in_pool(voice.spec, self.root, todo, min(jobs, len(todo)), report)

    def render_and_store(self, voice: Voice, text: str) -> np.ndarray:
        """Render `text` and store it; raises CacheWriteError (after rendering) if it cannot be stored."""
        samples = voice.render(normalize_text(text))
        self.store(voice, text, samples)
        return samples

    def store(self, voice: Voice, text: str, samples: np.ndarray) -> None:
        """Write `samples` as the clip for `text`, replacing whatever is there. Raises CacheWriteError."""
        text = normalize_text(text)
        key = self.key(voice, text)
        pcm = pcm_bytes(samples)
        spoken_ms = samples_to_spoken_ms(len(samples))
        index = ClipIndex(voice.cache_identity(), text, len(samples), pcm_digest(pcm))
        clip = self.clip_path(key)
        try:
            clip.parent.mkdir(parents=True, exist_ok=True)
            # Index first: a kill between the two renames leaves an index without a clip (harmless, pruned),
            # never a clip nobody can name (nor, over a stale clip, one that passes the new checksum).
            with atomic_files() as files:
                files.open(self.index_path(key)).write(index.to_bytes(spoken_ms))
                clip_file = files.open(clip)
                clip_file.write(header(len(pcm)))
                clip_file.write(pcm)
        except OSError as exc:
            raise cache_write_error(exc, self.root, clip) from exc
        self._spoken_ms[key] = spoken_ms

    def check_writable(self) -> None:
        """Raise CacheWriteError unless files can be created in the cache folder (nothing is left behind)."""
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryFile(dir=self.root):   # unnamed where possible: even a kill leaves nothing
                pass
        except OSError as exc:
            raise cache_write_error(exc, self.root, self.root / "probe") from exc

    # --- housekeeping --------------------------------------------------------------------------------

    def keys(self) -> set[str]:
        return housekeeping.keys(self.root)

    def entries(self) -> Iterable[housekeeping.ClipInfo]:
        return housekeeping.entries(self.root)

    def stats(self) -> housekeeping.CacheStats:
        return housekeeping.stats(self.root, self.hits, self.misses)

    def prune(self, keep_keys: Iterable[str], identity: str | None = None, dry_run: bool = False) -> int:
        return housekeeping.prune(self.root, keep_keys, identity, dry_run)

    def record_usage(self) -> None:
        """Add this process's hits and misses to the cache's usage log (see coach.cache.usage)."""
        append_usage(self.root, self.hits, self.misses)
        self.hits = self.misses = 0

    def _count(self, hit: bool) -> None:
        if hit:
            self.hits += 1
        else:
            self.misses += 1
