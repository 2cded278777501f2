"""Rendering many clips in worker processes, each with its own voice built from a VoiceSpec."""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from coach.errors import EngineError
from coach.progress import ProgressFn
from coach.speech import voice_from_spec
from coach.speech.base import Voice, VoiceSpec


def render_in_pool(spec: VoiceSpec, root: Path, todo: list[str], workers: int, report: ProgressFn) -> None:
    """Render and store every text in `todo` into the cache at `root`, `workers` processes at once."""
    # spawn, never fork: the caller may hold threads (onnxruntime's, espeak's) that fork would break.
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                               initializer=_worker_start, initargs=(os.getpid(),))
    try:
        futures = [pool.submit(_worker_render, spec, str(root), text) for text in todo]
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
    from coach.cache.store import ClipCache

    # The voice is built here, not in the initializer, so that its EngineError reaches the parent.
    if spec not in _worker_voices:
        _worker_voices[spec] = voice_from_spec(spec)
    ClipCache(Path(root)).render_and_store(_worker_voices[spec], text)
