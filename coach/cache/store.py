"""ClipCache: look clips up, render what is missing, store it atomically.

Layout: <root>/<key[:2]>/<key>.wav (coach.wav's canonical format) and <key>.json beside it (text, voice
identity, spoken length) so `coach cache` can report what is there. Both are written through
coach.atomic: a reader sees a whole clip or no clip, whoever was killed and whoever else wrote the same
key meanwhile. A clip whose header or length is wrong is treated as missing and rendered again.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from coach.atomic import atomic_files
from coach.audio_format import samples_to_spoken_ms
from coach.cache import housekeeping
from coach.cache.keys import FORMAT_VERSION, clip_key, normalize_text
from coach.cache.pool import render_in_pool
from coach.cache.usage import append_usage
from coach.progress import ProgressFn
from coach.speech.base import Voice
from coach.wav import clip_length_samples, read_clip, wav_bytes

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

    def get(self, voice: Voice, text: str) -> np.ndarray | None:
        """The cached clip, or None if it is missing or damaged. Never renders."""
        samples = read_clip(self.clip_path(self.key(voice, text)))
        self._count(samples is not None)
        return samples

    def has(self, voice: Voice, text: str) -> bool:
        """Whether a valid clip is cached (reads only its header). Not counted as a lookup."""
        return clip_length_samples(self.clip_path(self.key(voice, text))) is not None

    def get_or_render(self, voice: Voice, text: str) -> np.ndarray:
        text = normalize_text(text)
        samples = read_clip(self.clip_path(self.key(voice, text)))
        self._count(samples is not None)
        if samples is None:
            samples = self.render_and_store(voice, text)
        return samples

    def clip_ms(self, voice: Voice, text: str) -> int:
        """How long the clip for `text` lasts (rendering it if needed); reads only the header of a cached clip."""
        text = normalize_text(text)
        key = self.key(voice, text)
        if key in self._spoken_ms:  # asked again in this process: not a cache lookup
            return self._spoken_ms[key]
        length = clip_length_samples(self.clip_path(key))
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
        report = progress or (lambda done, total: None)
        report(0, len(todo))
        if jobs <= 1 or len(todo) < POOL_MIN_TEXTS:
            for done, text in enumerate(todo, 1):
                self.render_and_store(voice, text)
                report(done, len(todo))
        elif todo:
            render_in_pool(voice.spec, self.root, todo, min(jobs, len(todo)), report)

    def render_and_store(self, voice: Voice, text: str) -> np.ndarray:
        text = normalize_text(text)
        key = self.key(voice, text)
        samples = voice.render(text)
        folder = self.root / key[:2]
        folder.mkdir(parents=True, exist_ok=True)
        index = {"format": FORMAT_VERSION, "identity": voice.cache_identity(), "text": text,
                 "spoken_ms": samples_to_spoken_ms(len(samples))}
        # Index first: a kill between the two renames leaves an index without a clip (harmless, pruned),
        # never a clip nobody can name.
        with atomic_files() as files:
            files.open(folder / f"{key}.json").write(json.dumps(index, ensure_ascii=False, indent=1).encode("utf-8"))
            files.open(folder / f"{key}.wav").write(wav_bytes(samples))
        self._spoken_ms[key] = samples_to_spoken_ms(len(samples))
        return samples

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
