"""Where a session's clips come from, and how long each is planned to last: one engine for play and live.

A text whose clip is in the cache is planned with its measured length; any other text is planned
with the live slot (the estimate, stretched: coach.session.live) and synthesized during the session.
`play` synthesizes ahead on a worker thread, in the order the session needs the clips (the first
sentence, then what a safety stop says, then the rest), and writes each clip into the cache as it goes,
so the next run is fully warm. `live` reads and writes no cache and synthesizes each clip only when
the player asks for it, a few seconds ahead. A clip that comes out longer than its slot is played
faster (coach.session.live), never cut; the cache keeps the natural one. Once a clip exists its
real length is known (known_ms), and `on_ready` hears of it: the session is then re-planned on it
(coach.session.replan), so a slot's spare time is not left as dead air.

A cache that cannot be written (a file in the way, read-only, a full disk) never stops a session: the
clip is played all the same, nothing more is written, and `on_cache_error` hears of it once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from coach.audio_format import samples_to_spoken_ms
from coach.errors import CacheWriteError
from coach.session.live import fit_to_slot, live_slot_ms
from coach.timeline.estimate import estimator

if TYPE_CHECKING:
    import numpy as np

    from coach.cache import ClipCache
    from coach.speech import Voice
    from coach.timeline.model import Cue


class SessionClips:
    def __init__(self, voice: Voice, cache: ClipCache | None, ahead: bool,
                 on_cache_error: Callable[[CacheWriteError], None] | None = None):
        self.voice = voice
        self._cache = cache
        self._ahead = ahead and cache is not None
        self._slot_ms = live_slot_ms(voice.spec.rate, voice.spec.engine)
        self.on_ready: Callable[[str], None] | None = None   # a slotted text's clip exists now
        self._estimate_ms = estimator(voice.spec.rate, voice.spec.engine)
        self._planned: dict[str, int] = {}     # text -> the length the timeline was planned with
        self._slotted: set[str] = set()        # texts planned with a slot (not cached when planned)
        self._clips: dict[str, np.ndarray] = {}
        self._errors: dict[str, Exception] = {}
        self._queue: list[str] = []
        self._cond = threading.Condition()
        self._closed = False
        self._thread: threading.Thread | None = None
        self._then: Callable[[], None] | None = None
        self._on_cache_error = on_cache_error
        self.cache_error: CacheWriteError | None = None   # the first failed cache write: no more are tried
        self.rendered = 0                       # clips synthesized in this session
        self.ready_at: dict[str, float] = {}    # text -> time.monotonic() when its clip was ready

    # -- planning --------------------------------------------------------------------------------------

    def planned_ms(self, text: str) -> int:
        """Measured if the clip is cached, else the live slot. Stable: asked again, the same answer."""
        if text not in self._planned:
            cache = self._cache
            if cache is not None and cache.has(self.voice, text):
                self._planned[text] = cache.clip_ms(self.voice, text)
            else:
                self._planned[text] = self._slot_ms(text)
                self._slotted.add(text)
        return self._planned[text]

    def known_ms(self, text: str) -> int:
        """The length the session can plan for `text` now: the clip's own once it exists (the one it
        plays, which fits the slot), else what it was first planned with."""
        planned = self.planned_ms(text)
        with self._cond:
            clip = self._clips.get(text)
        return samples_to_spoken_ms(len(clip)) if clip is not None and text in self._slotted else planned

    def best_ms(self, text: str) -> int:
        """The best guess of the real length: measured if cached (or made already), else the estimate."""
        if text in self._slotted:
            return self.known_ms(text) if text in self._clips else self._estimate_ms(text)
        return self.planned_ms(text) if self._cache is not None else self._estimate_ms(text)

    def pending(self) -> int:
        """How many texts are still waiting to be synthesized ahead."""
        with self._cond:
            return len(self._queue)

    def planned_any_slot(self) -> bool:
        """Whether some text so far was planned with a slot (its clip was not cached)."""
        return bool(self._slotted)

    # -- synthesis -------------------------------------------------------------------------------------

    def start(self, texts_in_order: Iterable[str], then: Callable[[], None] | None = None) -> None:
        """Synthesize ahead (play only), in this order, every text that was planned with a slot; then,
        once all are done and if the session is still on, call `then` on the worker."""
        if not self._ahead:
            return
        self._then = then
        with self._cond:
            for text in dict.fromkeys(texts_in_order):
                if text in self._slotted:
                    self._queue.append(text)
        self._thread = threading.Thread(target=self._work, name="coach-synthesis", daemon=True)
        self._thread.start()

    def clip_for(self, text: str) -> np.ndarray:
        """The clip to play for `text`, waiting for its synthesis if need be (it goes first in line)."""
        with self._cond:
            if text in self._clips:
                return self._clips[text]
            if self._ahead and text in self._slotted:
                if text in self._queue:
                    self._queue.remove(text)
                self._queue.insert(0, text)
                self._cond.notify_all()
                while text not in self._clips:
                    if text in self._errors:
                        raise self._errors[text]
                    if self._closed:
                        raise RuntimeError("the session's synthesis was closed")
                    self._cond.wait(0.05)
                return self._clips[text]
        clip = self._make(text)   # live, or a cached clip: here, on the caller's thread
        with self._cond:
            new = text not in self._clips
            self._clips.setdefault(text, clip)
            clip = self._clips[text]
        if new and text in self._slotted:
            self._ready(text)
        return clip

    def _ready(self, text: str) -> None:
        on_ready = self.on_ready
        if on_ready is not None:
            try:
                on_ready(text)
            except Exception:  # noqa: BLE001 - a re-plan that fails leaves the plan as it was
                pass

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(30)

    def _work(self) -> None:
        while True:
            with self._cond:
                if not self._queue and self._then is not None and not self._closed:
                    then, self._then = self._then, None
                    self._cond.release()
                    try:
                        if self.cache_error is None:
                            then()
                    except CacheWriteError as exc:
                        self.cache_failed(exc)
                    except Exception:  # noqa: BLE001 - a cache left incomplete only costs the next run a render
                        pass
                    finally:
                        self._cond.acquire()
                while not self._queue and not self._closed:
                    self._cond.wait()
                if self._closed:
                    return
                text = self._queue.pop(0)
                if text in self._clips:
                    continue
            try:
                clip, error = self._make(text), None
            except Exception as exc:  # handed to whoever asks for this clip
                clip, error = None, exc
            with self._cond:
                if clip is not None:
                    self._clips[text] = clip
                    self.ready_at[text] = time.monotonic()
                elif error is not None:
                    self._errors[text] = error
                self._cond.notify_all()
            if clip is not None:
                self._ready(text)

    def cache_failed(self, error: CacheWriteError) -> None:
        """Stop writing the cache for the rest of the session; tell `on_cache_error` the first time."""
        with self._cond:
            first = self.cache_error is None
            if first:
                self.cache_error = error
        if first and self._on_cache_error is not None:
            self._on_cache_error(error)

    def _make(self, text: str) -> np.ndarray:
        natural = self._natural(text)
        if self._cache is not None and text not in self._slotted:
            return natural
        self.rendered += 1
        return fit_to_slot(self.voice, text, natural, self._planned.get(text) or self._slot_ms(text))

    def _natural(self, text: str) -> np.ndarray:
        """The cached clip if it verifies, else a fresh render, written into the cache as it goes."""
        cache = self._cache
        if cache is None:
            return self.voice.render(text)
        clip = cache.get(self.voice, text)
        if clip is not None:
            return clip
        clip = self.voice.render(text)
        if self.cache_error is None:
            try:
                cache.store(self.voice, text, clip)
            except CacheWriteError as exc:
                self.cache_failed(exc)
        return clip


def synthesis_order(cues: Iterable[Cue], exit_texts: Iterable[str]) -> list[str]:
    """What to synthesize first: the first sentence (due right after the opening bell), then what a
    safety stop says (so a stop is answered in the voice within seconds of a cold start), then the
    rest in the order the session needs it."""
    spoken = [c.text for c in sorted(cues, key=lambda c: c.start_ms) if c.is_speech and c.text]
    return list(dict.fromkeys([*spoken[:1], *exit_texts, *spoken]))
