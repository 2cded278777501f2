"""Content-addressed cache of rendered cues: one WAV per (voice identity, text), safe against kills and races.

Layout: <root>/<key[:2]>/<key>.wav, 16-bit mono 22050 Hz with the canonical 44-byte header (any tool reads
it), and <key>.json beside it (text, voice identity, spoken length) so `coach cache` can report what is
there. Every file is written to a unique hidden temp file in its folder, fsynced and renamed into place:
a reader sees a whole clip or no clip, whoever was killed and whoever else wrote the same key meanwhile.
A clip whose header or length is wrong is treated as missing and rendered again.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import multiprocessing
import os
import re
import secrets
import signal
import struct
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from coach.audio_format import CHANNELS, SAMPLE_RATE, SAMPLE_WIDTH
from coach.audio_format import spoken_ms as clip_ms
from coach.errors import EngineError
from coach.speech import voice_from_spec
from coach.speech.base import Voice, VoiceSpec

FORMAT_VERSION = 1          # bump when the file layout or key recipe changes: every key changes with it
STALE_TEMP_S = 3600         # prune() removes temp files this old (a live render finishes in seconds)
POOL_MIN_TEXTS = 16         # fewer missing clips render in-process: starting workers (a Piper model each) costs more

_HEADER = struct.Struct("<4sI4s4sIHHIIHH4sI")   # RIFF, WAVE, "fmt " (PCM, 16 bytes), "data"
_KEY = re.compile(r"[0-9a-f]{64}")
_SHARD = re.compile(r"[0-9a-f]{2}")

Progress = Callable[[int, int], None]   # (done, total)
USAGE_LOG = "usage.log"


@dataclass(frozen=True)
class CacheStats:
    clips: int
    bytes: int            # clips plus their index files
    temp_files: int       # left by renders that were killed; prune() removes the old ones
    hits: int             # lookups that found a clip, over every run that recorded its usage
    misses: int


@dataclass(frozen=True)
class ClipInfo:
    key: str
    text: str             # "" if the index file is missing (a render killed between the two writes)
    identity: str
    wav_bytes: int


def normalize_text(text: str) -> str:
    """Runs of whitespace become one space: they sound the same, so they share a clip."""
    normalized = " ".join(text.split())
    if not normalized:
        raise ValueError("cannot cache blank text")
    return normalized


class ClipCache:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.hits = 0      # lookups answered from disk (or memory) in this process
        self.misses = 0    # lookups that found no valid clip
        self._spoken_ms: dict[str, int] = {}

    # --- lookups -------------------------------------------------------------------------------------

    def key(self, voice: Voice, text: str) -> str:
        payload = json.dumps([FORMAT_VERSION, voice.cache_identity(), normalize_text(text)], ensure_ascii=False)
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()

    def clip_path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.wav"

    def get(self, voice: Voice, text: str) -> np.ndarray | None:
        """The cached clip, or None if it is missing or damaged. Never renders."""
        samples = read_clip(self.clip_path(self.key(voice, text)))
        self._count(samples is not None)
        return samples

    def get_or_render(self, voice: Voice, text: str) -> np.ndarray:
        text = normalize_text(text)
        key = self.key(voice, text)
        samples = read_clip(self.clip_path(key))
        self._count(samples is not None)
        if samples is None:
            samples = self._render_and_store(voice, text, key)
        return samples

    def spoken_ms(self, voice: Voice, text: str) -> int:
        """How long the clip for `text` lasts (rendering it if needed); reads only the header of a cached clip."""
        text = normalize_text(text)
        key = self.key(voice, text)
        if key in self._spoken_ms:  # asked again in this process: not a cache lookup
            return self._spoken_ms[key]
        length = clip_length_samples(self.clip_path(key))
        self._count(length is not None)
        if length is None:
            length = len(self._render_and_store(voice, text, key))
        self._spoken_ms[key] = clip_ms(length)
        return self._spoken_ms[key]

    # --- rendering many ------------------------------------------------------------------------------

    def render_many(self, voice: Voice, texts: Iterable[str], jobs: int = 2, progress: Progress | None = None) -> None:
        """Render every text that has no valid clip yet; `jobs` worker processes share the work.

        Each worker builds its own voice from voice.spec. Progress is reported as progress(done, total)
        over the missing clips only, starting with (0, total).
        """
        todo: list[str] = []
        for text in dict.fromkeys(normalize_text(t) for t in texts):
            present = clip_length_samples(self.clip_path(self.key(voice, text))) is not None
            self._count(present)
            if not present:
                todo.append(text)
        report = progress or (lambda done, total: None)
        report(0, len(todo))
        if jobs <= 1 or len(todo) < POOL_MIN_TEXTS:
            for done, text in enumerate(todo, 1):
                self._render_and_store(voice, text, self.key(voice, text))
                report(done, len(todo))
        elif todo:
            self._render_in_pool(voice.spec, todo, min(jobs, len(todo)), report)

    def _render_in_pool(self, spec: VoiceSpec, todo: list[str], workers: int, report: Progress) -> None:
        # spawn, never fork: the caller may hold threads (onnxruntime's, espeak's) that fork would break.
        pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                                   initializer=_worker_start, initargs=(os.getpid(),))
        try:
            futures = [pool.submit(_worker_render, spec, str(self.root), text) for text in todo]
            for done, future in enumerate(as_completed(futures), 1):
                future.result()  # a worker's EngineError is raised here
                report(done, len(todo))
        except BrokenProcessPool as exc:
            pool.shutdown(wait=False, cancel_futures=True)
            raise EngineError(f"a render worker stopped unexpectedly ({exc})") from exc
        except BaseException:
            # Workers finish the clip in hand (each write is atomic) and stop; the rest is cancelled.
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        pool.shutdown(wait=True)

    def _render_and_store(self, voice: Voice, text: str, key: str) -> np.ndarray:
        samples = voice.render(text)
        folder = self.root / key[:2]
        folder.mkdir(parents=True, exist_ok=True)
        index = {"format": FORMAT_VERSION, "identity": voice.cache_identity(), "text": text,
                 "spoken_ms": clip_ms(len(samples))}
        # Index first: a kill between the two writes leaves an index without a clip (harmless, pruned),
        # never a clip nobody can name.
        _write_atomic(folder / f"{key}.json", json.dumps(index, ensure_ascii=False, indent=1).encode("utf-8"))
        _write_atomic(folder / f"{key}.wav", wav_bytes(samples))
        _fsync_folder(folder)
        self._spoken_ms[key] = clip_ms(len(samples))
        return samples

    # --- housekeeping --------------------------------------------------------------------------------

    def keys(self) -> set[str]:
        return {p.stem for p in self._files() if p.suffix == ".wav" and _KEY.fullmatch(p.stem)}

    def entries(self) -> Iterator[ClipInfo]:
        """Every clip with its text and voice identity, from the index files."""
        for path in self._files():
            if path.suffix != ".wav" or not _KEY.fullmatch(path.stem):
                continue
            try:
                index = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
                size = path.stat().st_size
            except FileNotFoundError:
                index, size = {}, 0
            except (OSError, UnicodeDecodeError, json.JSONDecodeError):
                index, size = {}, path.stat().st_size
            yield ClipInfo(path.stem, str(index.get("text", "")), str(index.get("identity", "")), size)

    def stats(self) -> CacheStats:
        clips = total = temps = 0
        for path in self._files():
            if _is_temp(path):
                temps += 1
            elif _KEY.fullmatch(path.stem) and path.suffix in (".wav", ".json"):
                with contextlib.suppress(FileNotFoundError):  # pruned meanwhile
                    total += path.stat().st_size
                    if path.suffix == ".wav":
                        clips += 1
        hits, misses = self._recorded_usage()
        return CacheStats(clips, total, temps, hits + self.hits, misses + self.misses)

    def record_usage(self) -> None:
        """Add this process's hits and misses to the cache's usage log, so `coach cache` can report a
        hit rate across runs. One short line, appended: concurrent runs do not clobber each other."""
        if not (self.hits or self.misses):
            return
        with contextlib.suppress(OSError):
            self.root.mkdir(parents=True, exist_ok=True)
            with open(self.root / USAGE_LOG, "a", encoding="ascii") as log:
                log.write(f"{self.hits} {self.misses}\n")
        self.hits = self.misses = 0

    def _recorded_usage(self) -> tuple[int, int]:
        hits = misses = 0
        with contextlib.suppress(OSError):
            for line in (self.root / USAGE_LOG).read_text(encoding="ascii").splitlines():
                parts = line.split()
                if len(parts) == 2 and all(p.isdigit() for p in parts):
                    hits, misses = hits + int(parts[0]), misses + int(parts[1])
        return hits, misses

    def prune(self, keep_keys: Iterable[str], identity: str | None = None) -> int:
        """Delete every clip (and index) whose key is not in keep_keys, and temp files older than an hour.
        With `identity`, only that voice's clips are candidates: other voices' clips stay.

        Returns how many clips were removed. Files that are not the cache's own are left alone.
        """
        keep = set(keep_keys)
        if identity is not None:
            keep |= {e.key for e in self.entries() if e.identity != identity}
        removed = 0
        now = time.time()
        for path in self._files():
            with contextlib.suppress(FileNotFoundError):
                if _is_temp(path):
                    if now - path.stat().st_mtime > STALE_TEMP_S:
                        path.unlink()
                elif _KEY.fullmatch(path.stem) and path.suffix in (".wav", ".json") and path.stem not in keep:
                    path.unlink()
                    if path.suffix == ".wav":
                        removed += 1
        return removed

    def _files(self) -> Iterator[Path]:
        if not self.root.is_dir():
            return
        for folder in sorted(self.root.iterdir()):
            if folder.is_dir() and _SHARD.fullmatch(folder.name):
                yield from sorted(folder.iterdir())

    def _count(self, hit: bool) -> None:
        if hit:
            self.hits += 1
        else:
            self.misses += 1


# --- the WAV file ---------------------------------------------------------------------------------------

def _header(data_bytes: int) -> bytes:
    block_align = CHANNELS * SAMPLE_WIDTH
    return _HEADER.pack(b"RIFF", 36 + data_bytes, b"WAVE", b"fmt ", 16, 1, CHANNELS, SAMPLE_RATE,
                        SAMPLE_RATE * block_align, block_align, 8 * SAMPLE_WIDTH, b"data", data_bytes)


def wav_bytes(samples: np.ndarray) -> bytes:
    if samples.ndim != 1 or samples.dtype != np.int16:
        raise ValueError(f"a clip must be 1-D int16 PCM, not {samples.dtype} with shape {samples.shape}")
    data = samples.astype("<i2", copy=False).tobytes()
    return _header(len(data)) + data


def read_clip(path: Path) -> np.ndarray | None:
    """The clip's samples, or None if the file is missing, truncated, or not exactly coach's format."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    body = len(data) - _HEADER.size
    if body <= 0 or body % SAMPLE_WIDTH or data[:_HEADER.size] != _header(body):
        return None
    return np.frombuffer(bytearray(data[_HEADER.size:]), dtype="<i2").astype(np.int16, copy=False)


def clip_length_samples(path: Path) -> int | None:
    """Like read_clip, but checks only the header against the file size (no sample data is read)."""
    try:
        with path.open("rb") as f:
            header = f.read(_HEADER.size)
            body = os.fstat(f.fileno()).st_size - _HEADER.size
    except OSError:
        return None
    if body <= 0 or body % SAMPLE_WIDTH or header != _header(body):
        return None
    return body // SAMPLE_WIDTH


def _write_atomic(path: Path, data: bytes) -> None:
    # Unique per writer, hidden, and never a valid clip name: concurrent writers cannot collide and
    # nothing ever reads a temp file as a clip.
    temp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()
        raise


def _fsync_folder(folder: Path) -> None:
    """Make the renames durable too; not every platform can open a folder, which only costs durability."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _is_temp(path: Path) -> bool:
    return path.name.startswith(".") and path.name.endswith(".tmp")


# --- worker processes -----------------------------------------------------------------------------------

_worker_voices: dict[VoiceSpec, Voice] = {}


def _worker_start(parent_pid: int) -> None:
    # Ctrl-C reaches the whole process group: the parent handles it; a worker finishes its clip and stops.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_when_orphaned, args=(parent_pid,), daemon=True).start()


def _exit_when_orphaned(parent_pid: int) -> None:
    # A killed parent never sends the pool's stop signal; without this its workers would wait forever.
    while os.getppid() == parent_pid:
        time.sleep(0.5)
    os._exit(1)


def _worker_render(spec: VoiceSpec, root: str, text: str) -> None:
    # The voice is built here, not in the initializer, so that its EngineError reaches the parent.
    if spec not in _worker_voices:
        _worker_voices[spec] = voice_from_spec(spec)
    cache = ClipCache(Path(root))
    voice = _worker_voices[spec]
    cache._render_and_store(voice, text, cache.key(voice, text))
