"""What coach says about safety outside the exercises: the opening note, the guided exit after a
safety stop, and the signs that mean seeing a doctor. Written in our own words from the warnings in
the reference articles; spoken by sessions and printed by `coach safety`.
"""

from __future__ import annotations

from collections.abc import Iterable

from coach.model import Text

OPENING_NOTE = Text(
    "Before we begin: move slowly and gently, and never into pain. If you feel sharp or spreading pain, "
    "numbness or tingling, stop and come out of the position slowly.",
    "Move gently. Stop if anything hurts.",
    "minimal",
)

CLEARED_REMINDER = Text(
    "You said a doctor or therapist has cleared you for this routine. Follow their advice first, "
    "and skip anything they told you to avoid.",
    "Follow your doctor's or therapist's advice first.",
    "minimal",
)

# Spoken after a safety stop, one short sentence at a time so someone can follow with eyes closed:
# the opening, then how to come out of the position the person is in and how to rest, then the signs
# that need help at once, then when to see a doctor.
EXIT_OPENING: tuple[str, ...] = (
    "Stopping now.",
    "Slowly come out of the position. There is no hurry.",
)

# How to come out of each position (coach.vocab.POSITIONS) and rest: the position at the moment of
# the stop decides. Written for someone who may be in pain: small movements, support first.
EXIT_BY_POSITION: dict[str, tuple[str, ...]] = {
    "standing": ("Let your arms come down and stand with your knees soft.",
                 "If you feel unsteady, hold on to something firm, or sit down."),
    "seated-chair": ("Come back to sitting upright, with both feet flat on the floor.",
                     "Stay seated and breathe easily until you feel ready to stand."),
    "seated-floor": ("Unwind slowly and put your hands on the floor beside you.",
                     "If you like, lie down on your side with your knees bent, and breathe easily."),
    # Said in child's pose too, where the hands are already down: "with", not "bring them".
    "kneeling": ("With your hands on the floor for support, lower yourself gently onto your side.",
                 "Rest there with your knees bent, and breathe easily for a few breaths."),
    "all-fours": ("Lower your hips and knees gently and lie down on your side.",
                  "Rest there with your knees bent, and breathe easily for a few breaths."),
    "lying-back": ("Bend your knees, feet flat, and roll gently onto your side.",
                   "Rest there and breathe easily for a few breaths."),
    "lying-front": ("Turn your head to one side, and roll slowly onto your side.",
                    "Rest there with your knees bent, and breathe easily for a few breaths."),
    "lying-side": ("Stay on your side with your knees bent and your head supported.",
                   "Rest there and breathe easily for a few breaths."),
    "on-roller": ("Support your head with your hands, lift your hips, and roll off the foam roller to one side.",
                  "Rest on the floor with your knees bent, and breathe easily for a few breaths."),
    "on-ball": ("Lower your hips to the floor, and slide off the ball to one side.",
                "Rest on the floor with your knees bent, and breathe easily for a few breaths."),
    "bed-edge": ("Bring your legs up onto the bed, and roll onto your side, away from the edge.",
                 "Rest there and breathe easily for a few breaths."),
    "hanging": ("Put your feet back on the floor or the step, and only then let go of the bar.",
                "Stand still for a moment, and hold on to something firm if you feel unsteady."),
}
# Before the first exercise the position is not known: the general way out.
EXIT_ANY_POSITION: tuple[str, ...] = (
    "If you are lying down, bend your knees and roll gently onto your side.",
    "Rest there and breathe easily for a few breaths.",
)
EXIT_GETTING_UP = "When you are ready, get up slowly, using your hands for support."

# The generic guided exit, printed by `coach safety`.
GUIDED_EXIT: tuple[str, ...] = EXIT_OPENING + EXIT_ANY_POSITION + (EXIT_GETTING_UP,)

# The signs the articles name as reasons to see a doctor rather than stretch.
SEE_A_DOCTOR: tuple[str, ...] = (
    "pain that spreads from your back down one or both legs",
    "numbness, tingling or weakness in your legs, feet, arms or hands",
    "pain that is constant and intense, or gets worse at night",
    "problems controlling your bladder or bowels",
    "back pain together with unexplained weight loss",
    "swelling or redness over your spine",
    "back pain that has lasted more than a few weeks",
)

URGENT_SENTENCE = ("If you suddenly cannot control your bladder or bowels, or your legs become weak or numb, "
                   "get medical help straight away.")

TOO_OFTEN_NOTE = ("Stretching the same way many times a day does not help more and can irritate your back. "
                  "If you feel you need it that often, ask a doctor or physiotherapist why.")


# The spoken form is shorter than the printed list: someone on the floor hears it once.
SPOKEN_DOCTOR = ("See a doctor before you stretch again if pain spreads down a leg, if you feel numbness or "
                 "tingling, if the pain is constant or worse at night, or if you have bladder problems, "
                 "weight loss you cannot explain, or swelling.")


def too_often_note(done_today: int) -> str:
    """Spoken and printed when a routine is started again past the daily limit."""
    from coach.timeline.words import number_word

    if done_today < 100:
        times = {1: "once", 2: "twice"}.get(done_today, f"{number_word(done_today)} times")
    else:
        times = "many times"
    return f"You have already started this routine {times} today. {TOO_OFTEN_NOTE}"


def spoken_exit(position: str | None = None) -> tuple[str, ...]:
    """Everything a safety stop says, in order, for someone in `position` (None: not known)."""
    way_out = EXIT_BY_POSITION.get(position, EXIT_ANY_POSITION) if position else EXIT_ANY_POSITION
    getting_up = () if position in ("standing", "hanging") else (EXIT_GETTING_UP,)
    return EXIT_OPENING + way_out + getting_up + (URGENT_SENTENCE, SPOKEN_DOCTOR)


def exit_texts(positions: Iterable[str | None]) -> tuple[str, ...]:
    """Every sentence a safety stop may say in these positions, each once, in order."""
    return tuple(dict.fromkeys(text for position in positions for text in spoken_exit(position)))


def guidance_text() -> str:
    """`coach safety`: the same guidance, as text to read."""
    lines = ["If you need to stop:"]
    lines += [f"  {i}. {s}" for i, s in enumerate(GUIDED_EXIT[1:], 1)]
    lines += ["", "See a doctor before you stretch again if you have:"]
    lines += [f"  - {s}" for s in SEE_A_DOCTOR]
    lines += ["", URGENT_SENTENCE, "", TOO_OFTEN_NOTE,
              "", "During a session: press s (or Ctrl-C) for a safety stop at any moment."]
    return "\n".join(lines)
