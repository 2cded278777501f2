"""Hypothesis strategies for random routines, built straight from the model (no YAML)."""

from __future__ import annotations

from hypothesis import strategies as st

from coach import model as m

SENTENCES = [
    "Relax.",
    "Breathe out slowly.",
    "Let your shoulders soften towards the floor.",
    "Slowly lower both knees to the {side}, keeping both shoulders on the mat and your breath easy.",
    "Walk your hands back towards your knees and roll up to kneeling, bringing your head up last of all.",
    "Sink a little deeper on the {side}.",
]
BRIEFS = [None, "Relax.", "Sink deeper.", "Knees {side}."]


@st.composite
def texts(draw, level=None) -> m.Text:
    full = draw(st.sampled_from(SENTENCES))
    brief = draw(st.sampled_from(BRIEFS))
    lvl = level or draw(st.sampled_from(["minimal", "brief", "full"]))
    return m.Text(full, brief, lvl)


@st.composite
def holds(draw) -> m.Hold:
    inhale_ms = draw(st.integers(1, 8)) * 1000
    exhale_ms = draw(st.integers(1, 8)) * 1000
    if draw(st.booleans()):
        hold_ms = draw(st.integers(1, 60)) * 1000
        breaths = None
        duration = hold_ms
        countdown = draw(st.integers(0, min(10, hold_ms // 1000 - 1))) if hold_ms > 1000 else 0
    else:
        hold_ms = None
        breaths = draw(st.integers(1, 6))
        duration = breaths * (inhale_ms + exhale_ms)
        countdown = 0
    cues = []
    for _ in range(draw(st.integers(0, 3))):
        if breaths and draw(st.booleans()):
            at_breath = draw(st.integers(1, breaths))
            cues.append(m.HoldCue((at_breath - 1) * duration // breaths, draw(texts()), draw(st.booleans()),
                                  at_breath=at_breath))
        else:
            cues.append(m.HoldCue(draw(st.integers(0, duration - 1)), draw(texts()), draw(st.booleans())))
    cues.sort(key=lambda c: c.at_ms)
    return m.Hold(hold_ms, breaths, inhale_ms, exhale_ms, countdown, draw(st.booleans()), tuple(cues))


@st.composite
def breathes(draw) -> m.Breathe:
    inhale_ms, exhale_ms = draw(st.integers(1, 6)) * 1000, draw(st.integers(1, 6)) * 1000
    for_ms = draw(st.one_of(st.none(), st.integers(5, 40).map(lambda s: s * 1000)))
    breaths = draw(st.integers(1, 5)) if for_ms is None else max(1, round(for_ms / (inhale_ms + exhale_ms)))
    return m.Breathe(breaths, inhale_ms, exhale_ms, draw(texts("brief")), draw(texts("brief")), for_ms=for_ms)


@st.composite
def moves(draw) -> m.Move:
    """Timed (sometimes with a counted tempo) or led by a breath phase."""
    text = draw(texts())
    settle_ms = draw(st.sampled_from([0, 500, 1000, 2000]))
    if draw(st.booleans()):
        return m.Move(text, draw(st.integers(1, 8)) * 1000, settle_ms, breath=draw(st.sampled_from(["in", "out"])))
    return m.Move(text, draw(st.integers(1, 12)) * 500, settle_ms, tempo=draw(st.booleans()))


def steps(depth: int = 0):
    leaf = st.one_of(
        texts().map(m.Say),
        texts().map(m.SafetyStep),
        moves(),
        holds(),
        breathes(),
        st.builds(m.Rest, st.integers(1, 20).map(lambda s: s * 1000), st.one_of(st.none(), texts())),
    )
    if depth >= 2:
        return leaf
    inner = st.lists(steps(depth + 1), min_size=1, max_size=3).map(tuple)
    return st.one_of(
        leaf,
        st.builds(m.Repeat, st.integers(1, 3), st.booleans(), inner, alternate=st.booleans(),
                  first=st.sampled_from(["left", "right"])),
        st.builds(m.Sides, st.sampled_from(["left", "right"]), inner),
    )


@st.composite
def exercises(draw, index: int = 0) -> m.Exercise:
    return m.Exercise(
        name=f"ex-{index}", title=f"Exercise {index}", description="A test exercise.",
        focus=("lower-back",), equipment=("mat",),
        position=draw(st.sampled_from(["kneeling", "lying-back", "standing"])),
        contraindications=("pregnancy",), safety=draw(texts("minimal")),
        steps=tuple(draw(st.lists(steps(), min_size=1, max_size=4))),
        setup=draw(st.one_of(st.none(), texts())), setup_ms=draw(st.integers(0, 10)) * 1000,
        sets=draw(st.integers(1, 2)), set_rest_ms=draw(st.integers(0, 5)) * 1000,
    )


@st.composite
def routines(draw) -> m.Routine:
    count = draw(st.integers(1, 3))
    exs = tuple(draw(exercises(i)) for i in range(count))
    return m.Routine("random", "Random routine", "Generated.", exs, draw(st.integers(0, 5)) * 1000)


@st.composite
def options(draw) -> m.CompileOptions:
    return m.CompileOptions(
        verbosity=draw(st.sampled_from(["minimal", "brief", "full"])),
        hold_scale=draw(st.sampled_from([0.5, 1.0, 1.5])),
        breath_scale=draw(st.sampled_from([0.75, 1.0, 1.25])),
    )


@st.composite
def spoken_lengths(draw):
    """A deterministic spoken-length function: the estimate stretched, sometimes a lot."""
    from coach.timeline.estimate import estimate_spoken_ms

    factor = draw(st.sampled_from([0.3, 0.8, 1.0, 1.7, 3.0]))
    return lambda text: max(50, int(estimate_spoken_ms(text) * factor))
