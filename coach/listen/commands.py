"""The spoken commands: one table, read by the recognizer's grammar, the help text and the docs.

Chosen to be short, common words a person says naturally, and unlike the words coach itself speaks
between its sentences. Several phrases can mean the same command. "stop" and "help" are the safety stop:
someone in trouble on the floor says one of those, not a special word.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

WAKE_WORD = "coach"
# How a transcribing recognizer writes "coach" said in front of a command (measured on Piper and espeak-ng
# voices: Whisper writes "Coach.", "Couch" and, for espeak-ng's clipped vowel, "Go.").
WAKE_FORMS = frozenset({"coach", "couch", "koch", "cooch", "coaches", "go"})


@dataclass(frozen=True)
class VoiceCommand:
    command: str               # what it does: a player command, or "time-left"
    phrases: tuple[str, ...]   # what to say (lowercase, as the recognizer's dictionary spells them)
    does: str                  # for the help text


SAFETY_STOP = "safety-stop"

VOICE_COMMANDS: tuple[VoiceCommand, ...] = (
    VoiceCommand("pause", ("pause",), "pause the session"),
    VoiceCommand("resume", ("resume", "continue"), "go on after a pause"),
    VoiceCommand("next", ("next", "skip"), "skip to the next step"),
    VoiceCommand("repeat", ("repeat", "again"), "start this step again"),
    VoiceCommand("time-left", ("how long", "time left"), "hear the time left in this step and the session"),
    VoiceCommand(SAFETY_STOP, ("stop", "help", "safety stop"),
                 "safety stop: the sound stops and coach talks you out of the position"),
)

PHRASE_COMMANDS: dict[str, str] = {p: vc.command for vc in VOICE_COMMANDS for p in vc.phrases}

# The answers to the one question coach asks, at the end of a session: "How was that: easier, right, or
# harder?" (coach.session.rating). Heard only while it waits for the answer, and without the wake word
# (coach asked; the person answers); the commands are heard then too ("skip", "next" or "stop": no answer).
RATING_ANSWERS: tuple[VoiceCommand, ...] = (
    VoiceCommand("easier", ("easier", "easy", "too easy"), "it felt easy"),
    VoiceCommand("right", ("right", "about right", "just right"), "it was about right"),
    VoiceCommand("harder", ("harder", "hard", "too hard"), "it was hard work"),
)
ANSWER_PHRASES: dict[str, str] = {p: vc.command for vc in RATING_ANSWERS for p in vc.phrases}


def vocabulary(answers: bool = False) -> dict[str, str]:
    """phrase -> command: the commands, and with answers the rating answers too."""
    return {**PHRASE_COMMANDS, **ANSWER_PHRASES} if answers else PHRASE_COMMANDS


def phrases(wake_word: bool = False) -> tuple[str, ...]:
    """Every phrase as it must be said: with the wake word in front when one is required."""
    prefix = f"{WAKE_WORD} " if wake_word else ""
    return tuple(prefix + p for p in PHRASE_COMMANDS)


def command_for(heard: str, answers: bool = False) -> str | None:
    """The command a recognized phrase stands for; a leading wake word is ignored."""
    words = heard.lower().split()
    if words and words[0] == WAKE_WORD:
        words = words[1:]
    return vocabulary(answers).get(" ".join(words))


def command_in_transcript(text: str, wake_word: bool = False, answers: bool = False) -> tuple[str, str] | None:
    """(phrase, command) when the WHOLE transcript is one command phrase (said once or repeated:
    "Stop, stop!"), else None: "stop if it hurts" holds a command word and is not a command. With
    wake_word, the phrase must follow one of WAKE_FORMS; without it, one in front is ignored. With
    answers, the rating answers count too, and the wake word is never required."""
    words = re.sub(r"[^a-z' ]+", " ", text.lower().replace("-", " ")).split()
    woken = bool(words) and words[0] in WAKE_FORMS
    if woken:
        words = words[1:]
    if wake_word and not woken and not answers:
        return None
    for phrase, command in vocabulary(answers).items():
        size = len(phrase.split())
        if words and len(words) % size == 0 and all(" ".join(words[i:i + size]) == phrase
                                                    for i in range(0, len(words), size)):
            return phrase, command
    return None


def help_lines(wake_word: bool = False) -> list[str]:
    prefix = f"{WAKE_WORD.capitalize()}, " if wake_word else ""
    lines = []
    for vc in VOICE_COMMANDS:
        said = " / ".join(f'"{prefix}{p}"' for p in vc.phrases)
        lines.append(f"{said}: {vc.does}")
    return lines
