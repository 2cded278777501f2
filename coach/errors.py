"""One exception family. The CLI catches CoachError and prints its message; nothing else does."""

from __future__ import annotations

from dataclasses import dataclass


class CoachError(Exception):
    """A failure the user can act on. `exit_code` follows the CLI convention: 2 bad input, 1 run time."""

    exit_code = 1


class UsageError(CoachError):
    """Bad input on the command line: an unknown routine, a bad option value."""

    exit_code = 2


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a script, with where it is and how to fix it. A "warning" (the coaching
    lint) leaves the script playable; `coach validate --strict` counts it as an error."""

    path: str
    line: int  # 1-based; 0 when the problem is the file as a whole
    message: str
    severity: str = "error"  # or "warning"

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        label = "warning: " if self.severity == "warning" else ""
        return f"{where}: {label}{self.message}"


class ScriptError(CoachError):
    """A script (or several) is invalid. Carries every problem found, not just the first."""

    exit_code = 2

    def __init__(self, problems: list[Problem] | tuple[Problem, ...]):
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class EngineError(CoachError):
    """A speech engine is missing or failed (no espeak library, no neural voice, unknown voice id)."""


class UnknownVoiceError(EngineError):
    """A voice the engine does not have: bad input (exit 2), wherever a voice is given; the message
    names close matches."""

    exit_code = 2


class AudioOutputError(CoachError):
    """No usable audio device, or playback failed."""


class AudioInputError(CoachError):
    """No usable microphone for voice commands (the session can still play, controlled by keys)."""


class OutputFileError(CoachError):
    """An output file cannot be written (exists without --force, unwritable folder, full disk)."""


class CacheWriteError(CoachError):
    """The audio cache cannot be written (a file in the way, read-only, full disk). `render` and
    `export` stop on it; `play` goes on without caching and says so once."""
