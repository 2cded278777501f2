"""Places cues inside a hold or breathing span so that none overlaps another or is cut off.

The rule (docs/script-format.md, "When cues inside a hold do not fit"): candidates are placed in
priority order (countdown, halfway, breath cues, safety cues, script cues: so a script cue never
takes a breath cue's place); each needs its whole spoken length free, MARGIN_MS clear of other
speech, and must end by its latest end. Fixed cues try their full then brief form at their moment;
script cues may also move up to MAX_SHIFT_MS later; a safety cue goes to the free moment nearest
its own anywhere in the span. What still does not fit is dropped, except safety cues, which are
handed back to be spoken before the span (only when the span has no room for them at all).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

MARGIN_MS = 200
MAX_SHIFT_MS = 5_000

PRIORITY = {"countdown": 0, "tempo": 0, "halfway": 1, "breath": 2, "safety": 3, "hold-cue": 4}


@dataclass(frozen=True)
class Candidate:
    desired_ms: int                    # offset from the span's start
    forms: tuple[str, ...]             # texts to try, in order
    kind: str
    movable: bool = False
    latest_end_ms: int | None = None   # None: the span's end

    @property
    def is_safety(self) -> bool:
        return self.kind == "safety"


@dataclass(frozen=True)
class Placed:
    start_ms: int
    end_ms: int
    kind: str
    text: str


@dataclass(frozen=True)
class Fit:
    placed: tuple[Placed, ...]
    dropped: tuple[Candidate, ...]
    unplaced_safety: tuple[Candidate, ...]


def fit_span(span_ms: int, candidates: list[Candidate], spoken_ms: Callable[[str], int],
             busy: list[tuple[int, int]]) -> Fit:
    """Offsets are relative to the span's start; `busy` is speech already placed near it."""
    occupied = list(busy)
    placed: list[Placed] = []
    dropped: list[Candidate] = []
    unplaced: list[Candidate] = []
    order = sorted(candidates, key=lambda c: (PRIORITY[c.kind], c.desired_ms))
    # Ask for every form's length up front, so a caller recording the texts sees all of them.
    lengths = {form: spoken_ms(form) for c in order for form in c.forms}
    for cand in order:
        spot = _find_spot(cand, span_ms, lengths, occupied)
        if spot is None:
            (unplaced if cand.is_safety else dropped).append(cand)
            continue
        start, text = spot
        end = start + lengths[text]
        occupied.append((start, end))
        placed.append(Placed(start, end, cand.kind, text))
    placed.sort(key=lambda p: p.start_ms)
    return Fit(tuple(placed), tuple(dropped), tuple(unplaced))


def _find_spot(cand: Candidate, span_ms: int, lengths: dict[str, int],
               occupied: list[tuple[int, int]]) -> tuple[int, str] | None:
    latest_end = span_ms if cand.latest_end_ms is None else min(cand.latest_end_ms, span_ms)
    if cand.is_safety:
        return _nearest_free(cand, latest_end, lengths, occupied)
    starts = [cand.desired_ms]
    if cand.movable:
        window_end = cand.desired_ms + MAX_SHIFT_MS
        starts += sorted({end + MARGIN_MS for _, end in occupied if cand.desired_ms < end + MARGIN_MS <= window_end})
    for text in cand.forms:
        for start in starts:
            end = start + lengths[text]
            if start >= 0 and end <= latest_end and _is_free(start, end, occupied):
                return start, text
    return None


def _nearest_free(cand: Candidate, latest_end: int, lengths: dict[str, int],
                  occupied: list[tuple[int, int]]) -> tuple[int, str] | None:
    """The free start nearest the desired one (a later one on a tie), for each form in turn."""
    for text in cand.forms:
        length = lengths[text]
        starts = {cand.desired_ms, 0, latest_end - length}
        starts |= {end + MARGIN_MS for _, end in occupied} | {start - MARGIN_MS - length for start, _ in occupied}
        free = [s for s in starts if 0 <= s and s + length <= latest_end and _is_free(s, s + length, occupied)]
        if free:
            return min(free, key=lambda s: (abs(s - cand.desired_ms), -s)), text
    return None


def _is_free(start: int, end: int, occupied: list[tuple[int, int]]) -> bool:
    return all(end + MARGIN_MS <= o_start or start >= o_end + MARGIN_MS for o_start, o_end in occupied)
