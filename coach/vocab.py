"""Closed vocabularies of the script format: focus areas, equipment, positions, conditions.

Kept in one place so the validator, `coach list` filters, screening and the docs agree.
"""

from __future__ import annotations

# How a session can end: the player reports it, the history records it, the view words it.
# "terminated" (SIGTERM) is the session's own, never the player's: nobody asked for a guided exit.
ENDINGS: tuple[str, ...] = ("completed", "quit", "safety-stop", "interrupted", "terminated")

FOCUS_AREAS: tuple[str, ...] = (
    "upper-back",
    "mid-back",
    "lower-back",
    "neck",
    "hips",
    "shoulders",
)

EQUIPMENT: tuple[str, ...] = (
    "none",
    "mat",
    "chair",
    "foam-roller",
    "bed",
    "exercise-ball",
    "cushion",
    "pull-up-bar",
)

# Where the body is at the start of an exercise. A change of position between two
# exercises earns get-ready time; a position that involves placing equipment earns more.
POSITIONS: dict[str, str] = {
    "standing": "standing",
    "seated-chair": "sitting on a chair",
    "seated-floor": "sitting on the floor",
    "kneeling": "kneeling",
    "all-fours": "on hands and knees",
    "lying-back": "lying on your back",
    "lying-front": "lying on your front",
    "lying-side": "lying on your side",
    "on-roller": "lying back over a foam roller",
    "on-ball": "over an exercise ball",
    "bed-edge": "lying at the edge of a bed",
    "hanging": "hanging from a bar",
}

# Who should not do an exercise without clearance. The ids are what scripts list; the
# labels are what screening reads out and prints.
CONDITIONS: dict[str, str] = {
    "osteoporosis": "osteoporosis or osteopenia (thinning bones)",
    "herniated-disc": "a herniated, bulging or slipped disc",
    "spinal-instability": "spinal instability, spondylolisthesis or a spinal fracture",
    "recent-injury": "a recent back or neck injury",
    "recent-surgery": "back, neck or hip surgery in the last year",
    "pregnancy": "pregnancy",
    "inflammatory-joint-disease": "osteoarthritis or inflammatory joint disease (such as rheumatoid arthritis)",
    "nerve-symptoms": "nerve pain, numbness, tingling or weakness in the arms or legs",
    "dizziness": "dizziness, balance problems or vertigo",
    "unevaluated-pain": "ongoing back pain that a doctor has never looked at",
    "shoulder-injury": "a shoulder injury or shoulder instability",
    "knee-injury": "a knee injury or pain when kneeling",
}

# The answer to "How was that: easier, right, or harder?" at the end of a session.
RATINGS: tuple[str, ...] = ("easier", "right", "harder")

VERBOSITIES: tuple[str, ...] = ("minimal", "brief", "full")
SIDES: tuple[str, ...] = ("left", "right")


def verbosity_rank(level: str) -> int:
    """minimal < brief < full; a cue of level L is spoken when the session's rank >= L's."""
    return VERBOSITIES.index(level)
