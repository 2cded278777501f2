"""routine + spoken length of each text -> Timeline. Pure: no I/O, no clock, no audio.

The same function serves estimated lengths (before any audio exists) and measured ones (from the
clip cache), so what `coach show` prints and what an export plays come from one place.
"""

from __future__ import annotations

from bisect import bisect_right
import dataclasses
from typing import Any, Callable

from coach import model as m
from coach.safety import CLEARED_REMINDER, OPENING_NOTE
from coach.timeline.fitting import Candidate, fit_span
from coach.timeline.hold_sound import hold_sound_tones
from coach.timeline.model import TONE_MS, Chapter, Cue, DroppedCue, Timeline
from coach.timeline.words import number_word, spoken_number
from coach.vocab import POSITIONS, SIDES, verbosity_rank

SpokenMs = Callable[[str], int]

GAP_MS = 400          # pause between instructions spoken one after another
SWITCH_MS = 3_000     # time to change sides
INTRO_GAP_MS = 300    # after the opening bell

INHALE = m.Text("Breathe in.", "In.", "brief")
EXHALE = m.Text("Breathe out.", "Out.", "brief")
HALFWAY = m.Text("Halfway.", None, "brief")
SWITCH = m.Text("Switch sides.", None, "minimal")
OUTRO = m.Text("That is the end of the session. Well done. Take a moment before you get up.",
               "That is the end. Well done.", "minimal")
# The outro's last sentence fits where the routine ends: nobody standing is told to get up.
OUTRO_BY_POSITION = {
    "standing": m.Text("That is the end of the session. Well done. Take a moment and let your breathing settle.",
                       OUTRO.brief, "minimal"),
    "seated-chair": m.Text("That is the end of the session. Well done. Take a moment before you stand up.",
                           OUTRO.brief, "minimal"),
    "hanging": m.Text("That is the end of the session. Well done. Let your arms rest for a moment.",
                      OUTRO.brief, "minimal"),
}


def compile_timeline(routine: m.Routine, spoken_ms: SpokenMs, options: m.CompileOptions = m.CompileOptions(),
                     lengths_from: str = "estimate", minutes: int | None = None) -> Timeline:
    """Two passes: the first measures the session so the introduction can say how long it is.
    minutes: what the introduction says instead (a session planned with generous slots that it
    shortens as the real lengths arrive says the minutes it will take, not those of the slots)."""
    if minutes is None:
        first = _Builder(spoken_ms, options).build(routine, minutes=0)
        minutes = max(1, round(first.duration_ms / 60_000))
    timeline = _Builder(spoken_ms, options).build(routine, minutes=minutes)
    return dataclasses.replace(timeline, lengths_from=lengths_from, verbosity=options.verbosity)


def duration_ms(routine: m.Routine, spoken_ms: SpokenMs, options: m.CompileOptions = m.CompileOptions()) -> int:
    """The session's length from one pass (the introduction's "About N minutes" left unsaid): within
    a second or two of the compiled timeline's, for listings that need no cues."""
    return _Builder(spoken_ms, options).build(routine, minutes=0).duration_ms


def compile_sentences(name: str, title: str, sentences: tuple[str, ...], spoken_ms: SpokenMs,
                      kind: str = "safety") -> Timeline:
    """A plain sequence of sentences, one chapter, the usual pause between them: what a safety stop
    says after the routine has stopped."""
    builder = _Builder(spoken_ms, m.CompileOptions())
    builder.chapter(title)
    for sentence in sentences:
        builder.say(kind, m.Text(sentence, None, "minimal"))
    routine = m.Routine(name, title, "", ())
    return builder.finish(routine)


def up_next(ex: m.Exercise) -> m.Text:
    where = POSITIONS.get(ex.position, "")
    return m.Text(f"Rest. Up next: {ex.title}, {where}." if where else f"Rest. Up next: {ex.title}.",
                  f"Up next: {ex.title}.", "brief")


def position_line(position: str) -> m.Text:
    """The get-ready line when a script gives none, or gives one this verbosity leaves out: a person
    told only an exercise's name still needs to know where to be."""
    where = POSITIONS.get(position, position)
    return m.Text(f"Get ready, {where}.", None, "minimal")


def set_texts(n: int, sets: int) -> tuple[m.Text, m.Text]:
    """The rest before set n, and the line that opens it."""
    return (m.Text(f"Rest before set {number_word(n)}.", "Rest.", "brief"),
            m.Text(f"Set {number_word(n)} of {number_word(sets)}.", None, "minimal"))


def intro_text(title: str, minutes: int) -> m.Text:
    unit = "minute" if minutes == 1 else "minutes"
    return m.Text(f"{title}. About {minutes} {unit}.", None, "minimal")


class _Builder:
    def __init__(self, spoken_ms: SpokenMs, options: m.CompileOptions):
        self.spoken_ms = spoken_ms
        self.options = options
        self.rank = verbosity_rank(options.verbosity)
        self.t = 0                 # end of the last event
        self.gap = 0               # pause owed before the next spoken instruction
        self.cues: list[tuple[Cue, int]] = []   # (cue, chapter index); titles filled in at the end
        self.chapters: list[list] = []          # [title, start_ms]
        self.dropped: list[DroppedCue] = []
        self.last_speech: tuple[int, int] | None = None
        self.positions: list[tuple[int, str]] = []   # (start_ms, position) as each exercise begins

    # -- the session ---------------------------------------------------------------------------

    def build(self, routine: m.Routine, minutes: int) -> Timeline:
        self.chapter("Introduction")
        self.tone("bell")
        self.gap = INTRO_GAP_MS
        self.say("intro", intro_text(routine.title, minutes))
        self.say("safety", OPENING_NOTE, safety=True)
        if self.options.cleared:
            self.say("safety", CLEARED_REMINDER, safety=True)
        for note in self.options.notes:
            self.say("safety", m.Text(note, None, "minimal"), safety=True)
        position = None
        for index, exercise in enumerate(routine.exercises):
            if index and routine.rest_ms:
                self.rest_before(exercise, routine.rest_ms)
            self.exercise(exercise, index, position)
            position = exercise.position
        self.chapter("Finish")
        self.say("outro", OUTRO_BY_POSITION.get(position or "", OUTRO))
        self.t += self.gap
        self.tone("bell")
        return self.finish(routine)

    def rest_before(self, ex: m.Exercise, rest_ms: int) -> None:
        """The rest between two exercises says what comes next (within the rest, when it fits)."""
        start = self.t
        self.say("rest", up_next(ex))
        self.silence("pause", max(0, rest_ms - (self.t - start)))

    def exercise(self, ex: m.Exercise, index: int, previous_position: str | None) -> None:
        self.chapter(ex.title)
        self.positions.append((self.t + self.gap, ex.position))
        self.say("announce", m.Text(f"{'First' if index == 0 else 'Next'}: {ex.title}.", None, "minimal"))
        self.say("safety", ex.safety, safety=True)
        if ex.position != previous_position:
            # The time to get into position is the same at every verbosity; only the words change.
            setup = ex.setup if ex.setup is not None and self.spoken(ex.setup) else position_line(ex.position)
            self.say("setup", setup)
            self.silence("transition", ex.setup_ms)
        self.steps(ex.steps, ex.title, later_rep=False)
        for n in range(2, ex.sets + 1):
            # A later set: no announcement and only the short safety reminder; the full one was said.
            rest, opening = set_texts(n, ex.sets)
            self.chapter(f"{ex.title}: set {n}")
            if ex.set_rest_ms:
                self.rest(m.Rest(ex.set_rest_ms, rest), ex.title, later_rep=True)
            self.say("count", opening)
            if ex.safety.brief:
                self.say("safety", m.Text(ex.safety.brief, None, "minimal"), safety=True)
            self.steps(ex.steps, ex.title, later_rep=True)

    def steps(self, steps: tuple[m.Step, ...], title: str, later_rep: bool) -> None:
        for step in steps:
            handler = _STEP_HANDLERS.get(type(step))
            if handler is None:  # a new step kind added to the model but not here
                raise TypeError(f"the compiler has no rule for {type(step).__name__} steps")
            handler(self, step, title, later_rep)

    def instruction(self, step: m.Say, title: str, later_rep: bool) -> None:
        text = m.Text(step.text.brief, None, step.text.level) if later_rep and step.text.brief else step.text
        self.say("instruction", text)

    def move(self, step: m.Move, title: str, later_rep: bool) -> None:
        """The instruction, then the movement's time; a hold or the next repetition starts after it.
        The time stays when the words are left out at a lower verbosity: the body still moves."""
        text = m.Text(step.text.brief, None, step.text.level) if later_rep and step.text.brief else step.text
        if step.breath is not None:
            self.breath_led_move(step, text)
            return
        self.say("instruction", text)
        if step.tempo:
            seconds = step.move_ms // 1000
            candidates = [Candidate(k * 1000, (spoken_number(k + 1),), "tempo", latest_end_ms=(k + 1) * 1000)
                          for k in range(seconds)]
            self.span("move", step.move_ms + step.settle_ms, candidates, [], gap_first=True)
            self.gap = 0
        else:
            self.silence("move", step.move_ms + step.settle_ms)

    def breath_led_move(self, step: m.Move, text: m.Text) -> None:
        """The instruction opens the breath phase it names: its tone and its words start together and
        the movement lasts the phase, so the breathing that follows goes on with the other phase."""
        phase = "inhale" if step.breath == "in" else "exhale"
        phase_ms = self.pace(step.move_ms)
        if not self.spoken(text):
            text = INHALE if phase == "inhale" else EXHALE
        forms = text.forms(self.options.verbosity) if self.spoken(text) else ()
        start = self.t + self.gap
        length_ms = phase_ms
        if forms:
            spoken = forms[0]
            end = start + self.spoken_ms(spoken)
            self.add(Cue(start, end, "instruction", spoken))
            self.last_speech = (start, end)
            length_ms = max(phase_ms, end - start + GAP_MS)
        length_ms += step.settle_ms
        self.add(Cue(start, start + TONE_MS[phase], "tone", tone=phase))
        self.add(Cue(start, start + length_ms, "move"))
        self.t, self.gap = start + length_ms, 0

    def safety_step(self, step: m.SafetyStep, title: str, later_rep: bool) -> None:
        self.say("safety", step.text, safety=True)

    def rest(self, step: m.Rest, title: str, later_rep: bool) -> None:
        self.say("rest", step.text)
        self.silence("pause", step.rest_ms)

    def repeat(self, step: m.Repeat, title: str, later_rep: bool = False) -> None:
        first, second = step.first, SIDES[1 - SIDES.index(step.first)]
        rounds = [(first, second), (second, first)] if step.alternate else [None]
        for i in range(step.times):
            if step.counted:
                last = step.times > 1 and i == step.times - 1
                self.say("count", m.Text("Last one." if last else spoken_number(i + 1), None, "minimal"))
            for r, sides in enumerate(rounds):
                steps = step.steps
                if i == step.times - 1 and r == len(rounds) - 1:
                    # A rest that closes a repetition is for the next one; after the last, there is none.
                    while steps and isinstance(steps[-1], m.Rest):
                        steps = steps[:-1]
                if sides is not None:
                    # Alternating: each side in turn inside one repetition, no switch pause, one chapter.
                    steps = _sided(steps, *sides)
                self.steps(steps, title, later_rep=later_rep or i > 0)

    def sides(self, step: m.Sides, title: str, later_rep: bool) -> None:
        first = step.first
        second = SIDES[1 - SIDES.index(first)]
        current = self.chapters[-1][0]
        # Inside a later set the side chapters say which set they belong to.
        base = current if current.startswith(f"{title}: set ") else title
        if current == base:
            self.chapters[-1][0] = f"{base}, {first} side" if base != title else f"{title}: {first} side"
        else:
            self.chapter(f"{title}: {first} side")
        self.steps(_sided(step.steps, first, second), title, later_rep)
        self.chapter(f"{base}, {second} side" if base != title else f"{title}: {second} side")
        self.say("switch-sides", SWITCH)
        self.silence("transition", SWITCH_MS)
        self.steps(_sided(step.steps, second, first), title, later_rep)

    # -- spans: holds and paced breathing ------------------------------------------------------

    def hold(self, h: m.Hold, title: str = "", later_rep: bool = False) -> None:
        inhale_ms, exhale_ms = self.pace(h.inhale_ms), self.pace(h.exhale_ms)
        candidates: list[Candidate] = []
        tones: list[tuple[int, str]] = []
        breaths = h.breaths or 0
        if h.hold_ms is not None:
            span_ms = self.scaled_hold(h.hold_ms)
            countdown = min(h.countdown, span_ms // 1000 - 1)
            for k in range(1, countdown + 1):
                candidates += self.fixed(span_ms - k * 1000, m.Text(spoken_number(k), None, "minimal"), "countdown")
            if h.halfway:
                candidates += self.fixed(span_ms // 2, HALFWAY, "halfway")
        else:
            span_ms = breaths * (inhale_ms + exhale_ms)
            candidates, tones = self.breath_phases(breaths, inhale_ms, exhale_ms, INHALE, EXHALE)
        original_ms = h.duration_ms
        for cue in h.cues:
            if cue.at_breath is not None:
                at_ms = (cue.at_breath - 1) * (inhale_ms + exhale_ms)
            else:
                at_ms = cue.at_ms * span_ms // original_ms
            kind = "safety" if cue.safety else "hold-cue"
            if cue.safety or self.spoken(cue.text):
                candidates.append(Candidate(at_ms, cue.text.forms(self.options.verbosity), kind, movable=True))
        fill = (inhale_ms, exhale_ms) if h.hold_ms is not None and self.options.hold_sound != "none" else None
        self.span("hold", span_ms, candidates, tones, fill=fill)

    def breathe(self, b: m.Breathe, title: str = "", later_rep: bool = False) -> None:
        inhale_ms, exhale_ms = self.pace(b.inhale_ms), self.pace(b.exhale_ms)
        breaths = b.breaths
        if b.for_ms is not None:
            # "For 30 seconds": whole breaths at the pace this session runs, as near the time as can be.
            breaths = max(1, round(b.for_ms / (inhale_ms + exhale_ms)))
        candidates, tones = self.breath_phases(breaths, inhale_ms, exhale_ms, b.inhale, b.exhale)
        self.span("breathe", breaths * (inhale_ms + exhale_ms), candidates, tones)

    def breath_phases(self, breaths: int, inhale_ms: int, exhale_ms: int, inhale: m.Text,
                      exhale: m.Text) -> tuple[list[Candidate], list[tuple[int, str]]]:
        """A cue and a pacing tone at the start of every inhale and exhale, each cue within its phase.
        After the first breath only the brief forms are tried: once the pattern is set, less is said."""
        candidates, tones = [], []
        for n in range(breaths):
            start = n * (inhale_ms + exhale_ms)
            for offset, length, text, tone in ((0, inhale_ms, inhale, "inhale"), (inhale_ms, exhale_ms, exhale, "exhale")):
                tones.append((start + offset, tone))
                if not self.spoken(text):
                    continue
                forms = text.forms(self.options.verbosity)
                if n > 0 and text.brief:
                    forms = (text.brief,)
                candidates.append(Candidate(start + offset, forms, "breath", latest_end_ms=start + offset + length))
        return candidates, tones

    def span(self, kind: str, span_ms: int, candidates: list[Candidate], tones: list[tuple[int, str]],
             gap_first: bool = False, fill: tuple[int, int] | None = None) -> None:
        """The span starts the moment the speech before it ends (after the usual pause when it opens
        with a tone or a counted tempo); safety cues that do not fit inside are spoken before it,
        which moves the span but never shortens it. fill (the inhale and exhale ms) asks for the
        hold sound in the room the speech leaves (coach.timeline.hold_sound): it moves nothing."""
        pause_first = bool(tones) or gap_first
        while True:
            origin = self.t + (self.gap if pause_first else 0)
            busy = [(s - origin, e - origin) for s, e in [self.last_speech]] if self.last_speech else []
            fit = fit_span(span_ms, candidates, self.spoken_ms, busy)
            if not fit.unplaced_safety:
                break
            for cand in fit.unplaced_safety:
                self.say("safety", m.Text(cand.forms[0], None, "minimal"), safety=True)
                candidates = [c for c in candidates if c is not cand]
        start = self.t
        if pause_first:
            # Paced breathing begins with an inhale cue, which needs the usual pause after speech.
            start += self.gap
        self.add(Cue(start, start + span_ms, kind))
        for offset, tone in tones:
            self.add(Cue(start + offset, start + offset + TONE_MS[tone], "tone", tone=tone))
        for p in fit.placed:
            self.add(Cue(start + p.start_ms, start + p.end_ms, p.kind, p.text))
        if fill is not None:
            speech = [(p.start_ms, p.end_ms) for p in fit.placed]
            if self.last_speech:
                speech.append((self.last_speech[0] - start, self.last_speech[1] - start))
            for offset, tone in hold_sound_tones(self.options.hold_sound, span_ms, speech, *fill):
                self.add(Cue(start + offset, start + offset + TONE_MS[tone], "tone", tone=tone))
        for cand in fit.dropped:
            self.dropped.append(DroppedCue(cand.forms[-1], start + cand.desired_ms, f"no room for the {cand.kind} cue"))
        if fit.placed:
            last = max(fit.placed, key=lambda p: p.end_ms)
            self.last_speech = (start + last.start_ms, start + last.end_ms)
        self.t = start + span_ms
        self.gap = GAP_MS

    # -- primitives ----------------------------------------------------------------------------

    def spoken(self, text: m.Text) -> bool:
        return self.rank >= verbosity_rank(text.level)

    def fixed(self, at_ms: int, text: m.Text, kind: str) -> list[Candidate]:
        if not self.spoken(text):
            return []
        return [Candidate(at_ms, text.forms(self.options.verbosity), kind)]

    def pace(self, phase_ms: int) -> int:
        return paced_ms(phase_ms, self.options)

    def scaled_hold(self, hold_ms: int) -> int:
        return scaled_hold_ms(hold_ms, self.options)

    def say(self, kind: str, text: m.Text | None, safety: bool = False) -> None:
        if text is None or not (safety or self.spoken(text)):
            return
        spoken = text.pick(self.options.verbosity)
        start = self.t + self.gap
        end = start + self.spoken_ms(spoken)
        self.add(Cue(start, end, kind, spoken))
        self.last_speech = (start, end)
        self.t, self.gap = end, GAP_MS

    def silence(self, kind: str, duration_ms: int) -> None:
        if duration_ms <= 0:  # e.g. setup_s: 0: no get-ready time, and no empty event
            return
        start = self.t + self.gap
        self.add(Cue(start, start + duration_ms, kind))
        self.t, self.gap = start + duration_ms, 0

    def tone(self, name: str) -> None:
        self.add(Cue(self.t, self.t + TONE_MS[name], "tone", tone=name))
        self.t, self.gap = self.t + TONE_MS[name], 0

    def chapter(self, title: str) -> None:
        self.chapters.append([title, self.t + self.gap])

    def add(self, cue: Cue) -> None:
        self.cues.append((cue, len(self.chapters) - 1))

    def finish(self, routine: m.Routine) -> Timeline:
        """Each chapter starts at its first event (a hold opening a chapter starts before the pause
        owed to speech); chapters left empty at this verbosity are dropped; cues belong to the
        chapter their start falls in."""
        duration_ms = max(c.end_ms for c, _ in self.cues)
        first_ms: dict[int, int] = {}
        for cue, index in self.cues:
            first_ms[index] = min(first_ms.get(index, cue.start_ms), cue.start_ms)
        marks = [(title, first_ms[i]) for i, (title, _) in enumerate(self.chapters) if i in first_ms]
        marks = [mark for mark, after in zip(marks, marks[1:] + [(None, duration_ms)]) if mark[1] < after[1]]
        bounds = [start for _, start in marks] + [duration_ms]
        chapters = tuple(Chapter(title, bounds[i], bounds[i + 1]) for i, (title, _) in enumerate(marks))
        starts = [ch.start_ms for ch in chapters]
        cues = sorted(
            (Cue(c.start_ms, c.end_ms, c.kind, c.text, chapters[bisect_right(starts, c.start_ms) - 1].title, c.tone)
             for c, _ in self.cues),
            key=lambda c: (c.start_ms, c.end_ms),
        )
        return Timeline(routine.name, routine.title, duration_ms, tuple(cues), chapters, tuple(self.dropped),
                        positions=tuple(self.positions))


# How each step kind compiles: (builder, step, exercise title, later repetition). A test checks that
# every kind in coach.model.STEP_TYPES has an entry.
_STEP_HANDLERS: dict[type, Callable[[_Builder, Any, str, bool], None]] = {
    m.Say: _Builder.instruction,
    m.Move: _Builder.move,
    m.SafetyStep: _Builder.safety_step,
    m.Hold: _Builder.hold,
    m.Breathe: _Builder.breathe,
    m.Repeat: _Builder.repeat,
    m.Sides: _Builder.sides,
    m.Rest: _Builder.rest,
}


def paced_ms(phase_ms: int, options: m.CompileOptions) -> int:
    """A breath phase at the session's pace, in whole tenths of a second."""
    return max(500, round(phase_ms * options.breath_scale / 100) * 100)


def scaled_hold_ms(hold_ms: int, options: m.CompileOptions) -> int:
    """A timed hold at the session's hold scale, in whole seconds."""
    return max(1000, round(hold_ms * options.hold_scale / 1000) * 1000) if options.hold_scale != 1 else hold_ms


def _sided(steps: tuple[m.Step, ...], side: str, other: str) -> tuple[m.Step, ...]:
    """The steps with {side} and {other} filled in, at any depth."""
    return m.map_steps(steps, lambda step: step.map_texts(lambda text: text.with_sides(side, other)))
