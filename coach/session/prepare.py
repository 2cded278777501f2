"""What a session plays: spoken lengths, rendering into the cache, and the timeline built on them.

Where lengths come from: measured from the audio cache where a clip is there, planned otherwise.
`export` (and `render`) render everything first, so they run on measured lengths only (then `show`,
`export` and a warm `play` agree to the millisecond). `play` and `live` start at once: a text not yet
cached is planned with a generous slot and synthesized during the session (coach.session.clips), and
the session is planned again on each clip's real length as it arrives (coach.session.replan). Where
nothing is measured, every length shown or said is the estimate calibrated for the engine and rate.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from coach import model as m
from coach.errors import CacheWriteError
from coach.progress import ProgressFn
from coach.safety import exit_texts, spoken_exit
from coach.session.rating import RATING_TEXTS
from coach.session.voice import VoiceChoice, open_cache
from coach.timeline.compiler import compile_sentences, compile_timeline
from coach.timeline.estimate import estimate_spoken_ms, estimator
from coach.timeline.model import Timeline

if TYPE_CHECKING:
    import numpy as np

    from coach.cache import ClipCache
    from coach.player import Player
    from coach.session.clips import SessionClips
    from coach.session.replan import Replanner
    from coach.speech import Purpose, Voice

Mode = Literal["play", "live", "export"]
SpokenMs = Callable[[str], int]
# After a completed session, how long the worker may go on making what is still queued: a short session
# on a loaded machine can end before what a safety stop says is cached.
DRAIN_S = 20.0


@dataclass(frozen=True)
class Prepared:
    routine: m.Routine
    timeline: Timeline
    clip_for: Callable[[str], np.ndarray]   # text -> int16 PCM at SAMPLE_RATE
    planned_ms: SpokenMs                    # the spoken lengths the timeline was planned with
    cache: ClipCache | None = None          # the cache behind clip_for (None for live)
    clips: SessionClips | None = None       # synthesis during the session (play, live)
    replanner: Replanner | None = None      # plans the session again as clips arrive (play, live)

    def follow(self, player: Player) -> None:
        """Let `player` take over each new plan as the clips arrive (the routine's player only)."""
        if self.replanner is not None:
            self.replanner.attach(player)

    def exit_timeline(self, position: str | None = None) -> Timeline:
        """What a safety stop says to someone in `position`: the way out of it, the signs that need
        help at once, and those that mean seeing a doctor."""
        return compile_sentences("safety-stop", "Safety stop", spoken_exit(position), self.planned_ms)

    def sentence_timeline(self, text: str) -> Timeline:
        """One sentence on its own (the question at the end, coach.session.rating)."""
        return compile_sentences("rating", "Rating", (text,), self.planned_ms, kind="outro")

    def finish(self, completed: bool = False) -> None:
        """Stop synthesis and record the cache's hits and misses; call when the session is over. After a
        completed session the clips still queued (what a safety stop says comes early in that queue) get
        up to DRAIN_S to be made, so the next run has them; a stopped session ends at once."""
        if self.replanner is not None:
            self.replanner.detach()
        if self.clips is not None:
            self.clips.close(DRAIN_S if completed else 0.0)
        if self.cache is not None:
            self.cache.record_usage()


def estimated_timeline(routine: m.Routine, options: m.CompileOptions, rate_wpm: int | None = None,
                       engine: str | None = None) -> Timeline:
    """The timeline with lengths estimated from the text (at this rate): no audio, no engine."""
    return compile_timeline(routine, estimator(rate_wpm, engine), options, lengths_from="estimate")


def preview_timeline(routine: m.Routine, options: m.CompileOptions, choice: VoiceChoice,
                     cache_dir: Path | None) -> Timeline:
    """For `show`: measured lengths when the cache holds every clip for this voice, else the estimate.
    Never renders, and never fails for want of an engine: showing needs no audio."""
    from coach.errors import EngineError

    try:
        voice = choice.get("render")
    except EngineError:
        return estimated_timeline(routine, options, choice.rate, choice.engine)
    return cached_lengths_timeline(routine, options, voice, open_cache(cache_dir))


def listed_duration(options: m.CompileOptions, choice: VoiceChoice, cache_dir: Path | None
                    ) -> Callable[[m.Routine], int]:
    """For `list`: each routine's length as `show` gives it for this voice (measured when cached, the
    engine's calibrated estimate otherwise), with the voice and the cache opened once for all. An
    empty cache is not opened (nor an engine loaded): `coach list` stays instant."""
    from coach.errors import EngineError
    from coach.session.voice import default_cache_dir
    from coach.speech import default_engine

    def estimated(routine: m.Routine) -> int:
        return estimated_timeline(routine, options, choice.rate, choice.engine or default_engine("render")).duration_ms

    if next((cache_dir or default_cache_dir()).glob("*/*.wav"), None) is None:
        return estimated
    try:
        voice = choice.get("render")
    except EngineError:
        return estimated
    cache = open_cache(cache_dir)
    return lambda routine: cached_lengths_timeline(routine, options, voice, cache).duration_ms


def texts_to_render(routine: m.Routine, options: m.CompileOptions, spoken_ms: SpokenMs) -> set[str]:
    """Every text the compiler asks about (all forms it might choose), for pre-rendering."""
    asked: set[str] = set()

    def recording(text: str) -> int:
        asked.add(text)
        return spoken_ms(text)

    compile_timeline(routine, recording, options)
    return asked


def measured_timeline(routine: m.Routine, options: m.CompileOptions, voice: Voice, cache: ClipCache,
                      progress: ProgressFn | None = None, jobs: int = 2, spoken_only: bool = False) -> Timeline:
    """Render every clip the routine needs into the cache, then compile on the real lengths.

    The texts depend a little on lengths (the introduction says the minutes; a cue that no longer
    fits falls back to its brief form), so this repeats until nothing new is asked for. spoken_only:
    only the texts the timeline speaks (not every brief form the compiler might have chosen)."""
    def asked(spoken_ms: SpokenMs) -> set[str]:
        if spoken_only:
            return {c.text for c in compile_timeline(routine, spoken_ms, options).speech}
        return texts_to_render(routine, options, spoken_ms)

    def measured_ms(text: str) -> int:
        return cache.clip_ms(voice, text)   # renders a text not cached yet

    known: set[str] = set()
    pending = asked(estimate_spoken_ms) if not spoken_only else asked(_cached_or_estimated(cache, voice))
    while pending - known:
        cache.render_many(voice, sorted(pending - known), jobs=jobs, progress=progress)
        known |= pending
        pending = asked(measured_ms)
    return compile_timeline(routine, measured_ms, options, lengths_from="audio")


def _cached_or_estimated(cache: ClipCache, voice: Voice) -> SpokenMs:
    def spoken_ms(text: str) -> int:
        return cache.clip_ms(voice, text) if cache.has(voice, text) else estimate(text)

    estimate = estimator(voice.spec.rate, voice.spec.engine)

    return spoken_ms


def cached_lengths_timeline(routine: m.Routine, options: m.CompileOptions, voice: Voice,
                            cache: ClipCache) -> Timeline:
    """Measured lengths if every clip the timeline speaks is cached (after `render`, `export` or a
    whole `play`); otherwise the estimate (for `show`)."""
    timeline = compile_timeline(routine, _cached_or_estimated(cache, voice), options, lengths_from="audio")
    if all(cache.has(voice, cue.text) for cue in timeline.speech):
        return timeline
    return estimated_timeline(routine, options, voice.spec.rate, voice.spec.engine)


def prerender_exit(cache: ClipCache, voice: Voice, routines: Iterable[m.Routine], jobs: int = 2) -> None:
    """Render what a safety stop says in any position of these routines, so that a stop speaks at
    once instead of waiting for a render; and the question at the end of a session."""
    cache.render_many(voice, outside_the_routine(routines), jobs=jobs)


def outside_the_routine(routines: Iterable[m.Routine]) -> list[str]:
    """What a session may say besides its routine: a safety stop's exit in any of their positions, and
    the question at the end (with its acknowledgements)."""
    return [*exit_texts(stop_positions(routines)), *RATING_TEXTS]


def stop_positions(routines: Iterable[m.Routine]) -> list[str | None]:
    """Where a safety stop can find someone: before the first exercise, then each exercise's position."""
    return [None, *dict.fromkeys(e.position for r in routines for e in r.exercises)]


def prepare(routine: m.Routine, options: m.CompileOptions, choice: VoiceChoice, cache_dir: Path | None,
            mode: Mode = "play", progress: ProgressFn | None = None, voice: Voice | None = None,
            notice: Callable[[str], None] | None = None) -> Prepared:
    """What a session plays. "export" renders every clip into the cache first (progress reports it)
    and plans on measured lengths (a cache that cannot be written raises CacheWriteError). "play"
    plans on what is cached, starts at once and synthesizes the rest ahead into the cache; if the
    cache cannot be written it plays on without it and says so once through `notice`. "live" uses no
    cache and synthesizes each clip when the player asks for it. `voice`: one already built (and
    warming up), else built from `choice`."""
    if mode == "export":
        return _prepare_export(routine, options, voice or choice.get("render"), open_cache(cache_dir), progress)
    from coach.session.clips import SessionClips, synthesis_order
    from coach.session.replan import Replanner

    voice = voice or choice.get(voice_purpose(mode))
    cache = open_cache(cache_dir) if mode == "play" else None
    clips = SessionClips(voice, cache, ahead=mode == "play",
                         on_cache_error=lambda exc: (notice or _quiet)(cache_unwritable_note(exc)))
    minutes = stated_minutes(routine, options, clips.best_ms)
    lengths_from = "estimate" if _any_slot(routine, options, clips) else "audio"
    timeline = compile_timeline(routine, clips.planned_ms, options, lengths_from, minutes=minutes)
    stop_texts = exit_texts(_positions_by_time(timeline))
    for text in (*stop_texts, *RATING_TEXTS):
        clips.planned_ms(text)   # planned now, so a stop speaks them in the slots they were given
    if cache is not None and clips.planned_any_slot():
        try:
            cache.check_writable()   # said before the session starts, not in the middle of it
        except CacheWriteError as exc:
            clips.cache_failed(exc)
    replanner = None
    if clips.planned_any_slot():
        replanner = Replanner(routine, options, clips, minutes, lengths_from)
        clips.on_ready = replanner.clip_ready
    then = (lambda: complete_cache(routine, options, voice, cache)) if cache is not None else None
    clips.start(synthesis_order(timeline.cues, stop_texts) + list(RATING_TEXTS), then)
    return Prepared(routine, timeline, clips.clip_for, clips.planned_ms, cache, clips, replanner)


def stated_minutes(routine: m.Routine, options: m.CompileOptions, spoken_ms: SpokenMs) -> int:
    """The minutes the introduction says: the session's length on these (best-guess) lengths."""
    return max(1, round(compile_timeline(routine, spoken_ms, options).duration_ms / 60_000))


def _any_slot(routine: m.Routine, options: m.CompileOptions, clips: SessionClips) -> bool:
    """Whether the session's plan needs a slot anywhere (asks for every text the compile speaks)."""
    compile_timeline(routine, clips.planned_ms, options)
    return clips.planned_any_slot()


def cache_unwritable_note(exc: CacheWriteError) -> str:
    """The one line a session says when its clips cannot be cached: what, where, the fix, and that it goes on."""
    return f"{exc}. The session goes on without caching: cues not cached yet are timed from estimates."


def _quiet(_text: str) -> None:
    pass


def complete_cache(routine: m.Routine, options: m.CompileOptions, voice: Voice, cache: ClipCache) -> None:
    """Render what the next run will say that this one did not: with measured lengths the session
    is shorter, so its introduction names other minutes. Then the next run is fully warm."""
    measured_timeline(routine, options, voice, cache, jobs=1, spoken_only=True)


def _prepare_export(routine: m.Routine, options: m.CompileOptions, voice: Voice, cache: ClipCache,
                    progress: ProgressFn | None) -> Prepared:
    timeline = measured_timeline(routine, options, voice, cache, progress)
    return Prepared(routine, timeline, lambda text: cache.get_or_render(voice, text),
                    lambda text: cache.clip_ms(voice, text), cache)


def _positions_by_time(timeline: Timeline) -> list[str | None]:
    """The positions a stop can find someone in, the first ones first (synthesized in this order)."""
    return [timeline.position_at(0), *dict.fromkeys(p for _, p in timeline.positions)]


def voice_purpose(mode: Mode) -> Purpose:
    return "live" if mode == "live" else "render"


@dataclass(frozen=True)
class RenderSummary:
    engine: str
    routines: int
    clips: int
    size_bytes: int
    cache_root: Path


def render_routines(routines: Iterable[m.Routine], options: m.CompileOptions, choice: VoiceChoice,
                    cache_dir: Path | None, jobs: int, progress: ProgressFn | None = None) -> RenderSummary:
    """`coach render`: every clip of these routines, and what a safety stop says, into the cache."""
    voice = choice.get("render")
    cache = open_cache(cache_dir)
    routines = list(routines)
    count = 0
    for routine in routines:
        measured_timeline(routine, options, voice, cache, progress=progress, jobs=jobs)
        count += 1
    prerender_exit(cache, voice, routines, jobs=jobs)
    cache.record_usage()
    stats = cache.stats()
    return RenderSummary(voice.spec.engine, count, stats.clips, stats.size_bytes, cache.root)


def prune_unused(routines: Iterable[m.Routine], options: m.CompileOptions, choice: VoiceChoice,
                 cache: ClipCache, dry_run: bool = False) -> int:
    """`coach cache prune`: remove this voice's clips that none of `routines` (nor a safety stop) uses.
    Returns how many clips were (with dry_run: would be) removed."""
    voice = choice.get("render")

    cached_or_estimated_ms = _cached_or_estimated(cache, voice)
    keep: set[str] = set()
    routines = list(routines)
    for routine in routines:
        # Estimated lengths ask for every form the compiler might choose; measured ones only add the
        # few texts that depend on them (the minutes in the introduction), so ask both ways.
        texts = texts_to_render(routine, options, estimate_spoken_ms)
        texts |= texts_to_render(routine, options, cached_or_estimated_ms)
        keep |= {cache.key(voice, t) for t in texts}
    keep |= {cache.key(voice, t) for t in outside_the_routine(routines)}
    return cache.prune(keep, identity=voice.cache_identity(), dry_run=dry_run)
