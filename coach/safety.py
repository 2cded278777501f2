"""What coach says about safety outside the exercises: the opening note, the guided exit after a
safety stop, and the signs that mean seeing a doctor. Written in our own words from the warnings in
the reference articles; spoken by sessions and printed by `coach safety`.
"""

from __future__ import annotations

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

# Spoken after a safety stop, one short sentence at a time so someone can follow with eyes closed.
GUIDED_EXIT: tuple[str, ...] = (
    "Stopping now.",
    "Slowly come out of the position. There is no hurry.",
    "If you are lying down, bend your knees and roll gently onto your side.",
    "Rest there and breathe easily for a few breaths.",
    "When you are ready, push yourself up with your hands, slowly.",
)

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


def spoken_exit() -> tuple[str, ...]:
    """Everything a safety stop says, in order."""
    return GUIDED_EXIT + (SPOKEN_DOCTOR,)


def guidance_text() -> str:
    """`coach safety`: the same guidance, as text to read."""
    lines = ["If you need to stop:"]
    lines += [f"  {i}. {s}" for i, s in enumerate(GUIDED_EXIT[1:], 1)]
    lines += ["", "See a doctor before you stretch again if you have:"]
    lines += [f"  - {s}" for s in SEE_A_DOCTOR]
    lines += ["", URGENT_SENTENCE, "", TOO_OFTEN_NOTE,
              "", "During a session: press s (or Ctrl-C) for a safety stop at any moment."]
    return "\n".join(lines)
