"""What the coaching lint reads in a cue's words: breath instructions, movement verbs, directions.

Plain English heuristics, kept in one place so docs/script-format.md can list them and a test can
probe each one.
"""

from __future__ import annotations

import re

# "Breathe in", "inhale", a brief "In, chest lifts." ("breathe into your ribs" is not an in-breath).
_IN = r"\b(?:breathe|breath|breathing)\s+in\b|\binhal(?:e|ing)\b|^in[.,!]"
_OUT = r"\b(?:breathe|breath|breathing)\s+out\b|\bexhal(?:e|ing)\b|^out[.,!]"
# Free breathing: "keep breathing", "breathe slowly", "breathe in and out deeply", "each time you
# breathe in" (a description of the breath going on, not an instruction to take one).
_ONGOING = (r"\b(?:each|every|any)\s+time\s+you\s+breathe\s+(?:in|out)\b|\bwhenever\s+you\s+breathe\s+(?:in|out)\b"
            r"|\bbreathe\s+in\s+and\s+out\b")
_FREE = r"\bbreath(?:e|es|ing)?\b"
_BREATH_RE = re.compile(rf"(?P<ongoing>{_ONGOING})|(?P<in>{_IN})|(?P<out>{_OUT})|(?P<free>{_FREE})", re.I)


def breath_marks(text: str) -> list[tuple[float, str]]:
    """Each breath instruction in the text, in order: (where it starts, as a fraction of the text;
    "in", "out" or "free")."""
    marks = []
    for match in _BREATH_RE.finditer(text):
        kind = "free" if match.lastgroup == "ongoing" else str(match.lastgroup)
        marks.append((match.start() / max(1, len(text)), kind))
    return marks


# Verbs that change where the body is (the list and their close relatives). Postures that
# name a place to be ("kneel", "sit", "stand", "lie") are left out: they are how a setup is said.
MOVE_VERBS = frozenset("""
    move roll turn twist rotate bend lower lift raise rock reach tilt lean fold arch round drop press
    push pull slide walk step bring draw curl straighten tuck sway tip hug stretch swing shift place
    put set cross uncross extend sink scoot shuffle
""".split())
_LET_MOVES = re.compile(r"\blet\s+(?:\w+\s+){1,3}(?:fall|drop|sink|tip|roll|lower|come|hang|swing)\b", re.I)
_LEADING = frozenset("and then slowly gently now carefully softly a little".split())
_CLAUSES = re.compile(r"[.;,!?]|\band\b|\bthen\b", re.I)


def tells_to_move(text: str) -> bool:
    """The words tell the body to move: a clause that starts with a movement verb ("Breathe out,
    bend at your hips, and slowly roll the ball forward"), or "let your knees fall"."""
    if _LET_MOVES.search(text):
        return True
    for clause in _CLAUSES.split(text):
        words = [w for w in re.findall(r"[a-z']+", clause.lower())]
        while words and words[0] in _LEADING:
            words = words[1:]
        if words and words[0] in MOVE_VERBS:
            return True
    return False


# Positions in which "back", "forward", "up" and "down" no longer say which way the body goes: lying,
# the body's back is the floor and its head is neither up nor forward.
LYING_POSITIONS = frozenset({"lying-back", "lying-front", "lying-side", "on-roller", "bed-edge"})
DIRECTIONS = frozenset({"back", "forward", "forwards", "backward", "backwards", "up", "down"})
# Verbs that carry a direction of travel; "lie back" or "lean back" from sitting is clear, so those
# verbs are not here.
_TRAVEL = """
    rock roll move slide shift sway tip push press reach bring come go scoot shuffle lift lower tilt
    walk turn rotate swing drop
""".split()


def _gerund(verb: str) -> str:
    if verb in ("tip", "drop"):
        return verb + verb[-1] + "ing"
    return (verb[:-1] if verb.endswith("e") else verb) + "ing"


# "Keep rolling up and down": the -ing forms too.
TRAVEL_VERBS = frozenset(_TRAVEL + [_gerund(v) for v in _TRAVEL])
# A direction followed by one of these names where it ends: "back to the middle", "down onto the mat".
ANCHORS = frozenset("""
    to towards toward onto into on off over from along through by beside alongside behind under below
    above past between across around in out at
""".split())
_NOUN_BEFORE = frozenset("your the lower upper middle mid whole my".split())


def bare_directions(text: str) -> list[str]:
    """The phrases whose direction depends on which way the body faces: a travel verb, up to three
    words, then back / forward / up / down that no body-relative place follows ("Rock back.")."""
    found = []
    tokens = re.findall(r"[A-Za-z']+|[.,;:!?]", text)
    lower = [t.lower() for t in tokens]
    for i, word in enumerate(lower):
        if word not in TRAVEL_VERBS:
            continue
        for j in range(i + 1, min(i + 5, len(lower))):
            if not lower[j].isalpha():
                break
            if lower[j] not in DIRECTIONS or lower[j - 1] in _NOUN_BEFORE:
                continue
            end = j
            while end + 1 < len(lower) and lower[end + 1] in DIRECTIONS:
                end += 1   # "back down", "back up": what follows the last one decides
            after = lower[end + 1] if end + 1 < len(lower) else "."
            if after not in ANCHORS:
                found.append(" ".join(tokens[i:end + 1]))
            break
    return found


def quote(text: str, limit: int = 48) -> str:
    """A cue's words shortened for a one-line message."""
    return text if len(text) <= limit else text[:limit - 3].rstrip(" ,.") + "..."
