"""Preparing a session: resolve the routine, pick a voice, get spoken lengths, hand back what plays.

Where lengths come from: measured from the audio cache when every clip is there (then `show`,
`export` and `play` agree to the millisecond), estimated from the text otherwise. `play` and
`export` render what is missing first, so they always run on measured lengths; `live` renders
nothing ahead and plans on a deliberately generous estimate instead.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from coach import model as m
from coach.library import resolve
from coach.timeline.compiler import compile_timeline
from coach.timeline.estimate import estimate_spoken_ms
from coach.timeline.model import Timeline

Progress = Callable[[int, int], None]

# Live sessions synthesize each cue during the session, so they plan each cue's slot from the
# estimate, stretched. Measured over all 582 texts of the built-in library at every verbosity, real
# length reached 1.43x the estimate (espeak) and 1.44x (Piper), worst on short texts; 1.3x + 300 ms
# covered every one for both engines, at about 1 s of extra pause per cue.
LIVE_SLOT_FACTOR = 1.3
LIVE_SLOT_EXTRA_MS = 300


@dataclass(frozen=True)
class VoiceChoice:
    """What the user asked for; None means the default for the purpose."""

    engine: str | None = None
    voice: str | None = None
    rate: int | None = None


@dataclass(frozen=True)
class Prepared:
    routine: m.Routine
    timeline: Timeline
    clip_for: Callable[[str], "object"]   # text -> int16 numpy array at SAMPLE_RATE
    spoken_ms: Callable[[str], int]       # the lengths the timeline was planned with
    cache: object | None = None           # the ClipCache behind clip_for (None for live)

    def exit_timeline(self) -> Timeline:
        """What a safety stop says: the guided exit and the signs that mean seeing a doctor."""
        from coach.safety import spoken_exit
        from coach.timeline.compiler import compile_sentences

        return compile_sentences("safety-stop", "Safety stop", spoken_exit(), self.spoken_ms)

    def finish(self) -> None:
        """Record the cache's hits and misses for `coach cache`; call when the session is over."""
        if self.cache is not None:
            self.cache.record_usage()


def default_cache_dir() -> Path:
    """COACH_CACHE_DIR, else `audio_cache/` beside the package's project, else the user cache."""
    env = os.environ.get("COACH_CACHE_DIR")
    if env:
        return Path(env)
    project = Path(__file__).resolve().parent.parent
    if (project / "pyproject.toml").is_file():
        return project / "audio_cache"
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("coach")) / "audio_cache"


def compile_ref(ref: str, options: m.CompileOptions) -> Timeline:
    """The timeline of a built-in name or script path, with lengths estimated from the text."""
    return compile_timeline(resolve(ref), estimate_spoken_ms, options, lengths_from="estimate")


def show_timeline(ref: str, options: m.CompileOptions, choice: VoiceChoice, cache_dir: Path | None) -> Timeline:
    """For `show`: measured lengths when the cache holds every clip for this voice, else the estimate.
    Never renders, and never fails for want of an engine: showing needs no audio."""
    from coach.errors import EngineError

    routine = resolve(ref)
    try:
        from coach.cache import ClipCache
        from coach.speech import get_voice

        voice = get_voice(choice.engine, choice.voice, choice.rate, "render")
        cache = ClipCache(cache_dir or default_cache_dir())
    except EngineError:
        return compile_timeline(routine, estimate_spoken_ms, options, lengths_from="estimate")
    return cached_lengths_timeline(routine, options, voice, cache)


def texts_to_render(routine: m.Routine, options: m.CompileOptions, spoken_ms: Callable[[str], int]) -> set[str]:
    """Every text the compiler asks about (all forms it might choose), for pre-rendering."""
    asked: set[str] = set()

    def recording(text: str) -> int:
        asked.add(text)
        return spoken_ms(text)

    compile_timeline(routine, recording, options)
    return asked


def measured_timeline(routine: m.Routine, options: m.CompileOptions, voice, cache,
                      progress: Progress | None = None, jobs: int = 2) -> Timeline:
    """Render every clip the routine needs into the cache, then compile on the real lengths.

    The texts depend a little on lengths (the introduction says the minutes; a cue that no longer
    fits falls back to its brief form), so this repeats until nothing new is asked for."""
    known: set[str] = set()
    pending = texts_to_render(routine, options, estimate_spoken_ms)
    while pending - known:
        cache.render_many(voice, sorted(pending - known), jobs=jobs, progress=progress)
        known |= pending
        pending = texts_to_render(routine, options, lambda t: cache.spoken_ms(voice, t))
    return compile_timeline(routine, lambda t: cache.spoken_ms(voice, t), options, lengths_from="audio")


def cached_lengths_timeline(routine: m.Routine, options: m.CompileOptions, voice, cache) -> Timeline:
    """Measured lengths if every needed clip is already cached; otherwise the estimate (for `show`)."""
    needed = texts_to_render(routine, options, estimate_spoken_ms)
    if all(cache.get(voice, t) is not None for t in needed):
        try:
            return compile_timeline(routine, lambda t: _cached_ms(cache, voice, t), options, lengths_from="audio")
        except _NotCached:
            pass
    return compile_timeline(routine, estimate_spoken_ms, options, lengths_from="estimate")


class _NotCached(Exception):
    pass


def _cached_ms(cache, voice, text: str) -> int:
    clip = cache.get(voice, text)
    if clip is None:
        raise _NotCached(text)
    from coach.audio_format import spoken_ms

    return spoken_ms(len(clip))


def prepare_session(ref: str, options: m.CompileOptions, choice: VoiceChoice, cache_dir: Path | None,
                    purpose: str = "play", progress: Progress | None = None) -> Prepared:
    """What a session plays. `purpose` is "play", "export" (render into the cache, measured lengths)
    or "live" (no cache, no rendering ahead: each clip is synthesized when the player asks for it)."""
    from coach.speech import get_voice

    routine = resolve(ref)
    voice = get_voice(choice.engine, choice.voice, choice.rate, "live" if purpose == "live" else "render")
    if purpose == "live":
        rate = choice.rate or 175

        def live_ms(text: str) -> int:
            return int(estimate_spoken_ms(text, rate) * LIVE_SLOT_FACTOR) + LIVE_SLOT_EXTRA_MS

        timeline = compile_timeline(routine, live_ms, options, lengths_from="estimate")
        return Prepared(routine, timeline, _memo(_fitting(voice, live_ms)), live_ms)
    from coach.cache import ClipCache
    from coach.safety import spoken_exit

    cache = ClipCache(cache_dir or default_cache_dir())
    timeline = measured_timeline(routine, options, voice, cache, progress)
    if purpose == "play":  # a safety stop must speak at once, not wait for a render
        cache.render_many(voice, spoken_exit())
    return Prepared(routine, timeline, lambda text: cache.get_or_render(voice, text),
                    lambda text: cache.spoken_ms(voice, text), cache)


def _fitting(voice, slot_ms: Callable[[str], int]) -> Callable[[str], object]:
    """Live synthesis that never overruns the slot the timeline planned for a text: a clip that comes
    out too long is spoken again, faster; and if even the fastest rate is too long, it is played a
    little faster (resampled). Never cut: a cut-off word is worse than a quicker one."""
    import numpy as np

    from coach.audio_format import ms_to_samples
    from coach.speech import voice_from_spec
    from coach.speech.base import VoiceSpec

    def clip_for(text: str):
        clip = voice.render(text)
        slot = ms_to_samples(slot_ms(text))
        if len(clip) <= slot:
            return clip
        rate = voice.spec.rate or 175
        faster = min(MAX_LIVE_RATE, int(rate * len(clip) / slot * 1.05) + 1)
        if faster > rate:
            clip = voice_from_spec(VoiceSpec(voice.spec.engine, voice.spec.voice, faster)).render(text)
        if len(clip) > slot:
            positions = np.linspace(0, len(clip) - 1, slot)
            clip = np.interp(positions, np.arange(len(clip)), clip.astype(np.float64)).astype(np.int16)
        return clip

    return clip_for


MAX_LIVE_RATE = 400


def _memo(render: Callable[[str], object]) -> Callable[[str], object]:
    clips: dict[str, object] = {}

    def clip_for(text: str):
        if text not in clips:
            clips[text] = render(text)
        return clips[text]

    return clip_for
