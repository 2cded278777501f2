"""espeak-ng through pyttsx3, one cue per short-lived child process forked from a clean forkserver.

Why a child per cue (measured with espeak-ng 1.51): the library carries state from one utterance to the
next (pitch-flutter phase, roughness cycle, clause-pause lengths), so one long-lived engine renders the
same text differently depending on what it said before. A child forked from the forkserver starts from
the same clean state every time: a render is a pure function of (text, voice, rate), sample for sample
equal to the `espeak-ng` command. It also keeps espeak's thread, pyttsx3's "Audio saved to ..." print
and any crash out of the caller. The forkserver starts once per process with pyttsx3 imported; a cue
costs 40-60 ms. Importing this module imports neither pyttsx3 nor the espeak library.

As with any multiprocessing code, a main script that renders must guard itself with
`if __name__ == "__main__":` (the CLI entry point and pytest do).
"""

from __future__ import annotations

import difflib
import multiprocessing
import os
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

import numpy as np

from coach.errors import EngineError, UnknownVoiceError
from coach.speech.base import (
    DEFAULT_RATE_WPM, TRIM_IDENTITY, EngineInfo, Voice, VoiceInfo, VoiceSpec, check_rate, check_text,
    package_version,
)
from coach.speech.pcm import pcm_from_frames, trim_silence
from coach.wav import read_frames

ENGINE = "espeak"
DEFAULT_VOICE = "gmw/en-us"
INSTALL_HINT = "install it with `apt-get install libespeak-ng1 espeak-ng` (or run scripts/setup)"
VOLUME = 1.0   # pyttsx3's start value; set again for every cue so the identity below stays true
PITCH = 50     # espeak-ng's default; coach never changes it

LIBRARY = "libespeak-ng.so.1"
# The files whose change means another espeak-ng: the library and its voice data (Debian's layout,
# and a local build's).
_LIBRARY_FILES = ("/usr/lib/*/libespeak-ng.so.1*", "/usr/lib/libespeak-ng.so.1*", "/usr/local/lib/libespeak-ng.so.1*",
                  "/usr/lib/*/espeak-ng-data/voices", "/usr/share/espeak-ng-data/voices",
                  "/usr/local/share/espeak-ng-data/voices")
_CHILD_START_S = 30.0   # a cold forkserver imports numpy first; generous for a slow machine
_PER_CHAR_S = 0.05      # espeak renders ~400x real time; this only catches a hung engine
_IDLE_POLL_S = 0.0005


@dataclass(frozen=True)
class _Catalog:
    espeak_version: str
    voices: tuple[VoiceInfo, ...]


_lock = threading.RLock()  # reentrant: _catalog() holds it while _in_child() asks for the forkserver
_catalog_cache: _Catalog | None = None
_context_cache: multiprocessing.context.BaseContext | None = None


class EspeakVoice(Voice):
    def __init__(self, voice: str | None = None, rate: int | None = None) -> None:
        check_rate(rate)
        catalog = _catalog()
        self.spec = VoiceSpec(ENGINE, resolve_voice_id(voice or DEFAULT_VOICE, catalog.voices), rate)
        self._rate_wpm = rate if rate is not None else DEFAULT_RATE_WPM
        self._identity = "|".join([
            f"engine={ENGINE}",
            f"espeak-ng={catalog.espeak_version}",
            f"pyttsx3={package_version('pyttsx3')}",
            f"voice={self.spec.voice}",
            f"rate={self._rate_wpm}",
            f"volume={VOLUME}",
            f"pitch={PITCH}",
            "state=fresh-per-cue",
            TRIM_IDENTITY,
        ])

    def render(self, text: str) -> np.ndarray:
        text = check_text(text)
        timeout_s = _CHILD_START_S + _PER_CHAR_S * len(text)
        frames, channels, width, frame_rate = _in_child(
            _render_in_child, (text, self.spec.voice, self._rate_wpm, timeout_s), timeout_s)
        samples = trim_silence(pcm_from_frames(frames, channels, width, frame_rate))
        if samples.size == 0:
            raise EngineError(f"espeak-ng produced no sound for {text!r}")
        return samples

    def list_voices(self) -> list[VoiceInfo]:
        return list(_catalog().voices)

    def cache_identity(self) -> str:
        return self._identity


def create(voice: str | None, rate: int | None) -> Voice:
    return EspeakVoice(voice, rate)


def engine_info() -> EngineInfo:
    try:
        return EngineInfo(ENGINE, True, DEFAULT_VOICE, tuple(list_voices()))
    except EngineError as exc:
        return EngineInfo(ENGINE, False, DEFAULT_VOICE, (), str(exc))


def list_voices() -> list[VoiceInfo]:
    """The installed espeak-ng voices. Raises EngineError (with the install hint) if espeak is missing."""
    return list(_catalog().voices)


def resolve_voice_id(requested: str, voices: Sequence[VoiceInfo]) -> str:
    """An exact voice id (any case), or the part after the last '/' when it is unambiguous ("en-us").

    pyttsx3 silently keeps the old voice for an unknown id, so unknown ids must be caught here.
    """
    wanted = requested.strip().lower()
    ids = [v.id for v in voices]
    if wanted in ids:
        return wanted
    by_tail = [i for i in ids if i.rsplit("/", 1)[-1] == wanted]
    if len(by_tail) == 1:
        return by_tail[0]
    # Compare against ids, their tails and the display names; report ids.
    aliases: dict[str, str] = {}
    for v in voices:
        for alias in (v.id, v.id.rsplit("/", 1)[-1], v.name.lower()):
            aliases.setdefault(alias, v.id)
    containing = [v.id for v in voices if wanted and (wanted in v.id or wanted in v.name.lower())]
    close = difflib.get_close_matches(wanted, list(aliases), n=8, cutoff=0.6)
    matches = list(dict.fromkeys(containing + [aliases[c] for c in close]))[:5]
    hint = f"did you mean {', '.join(matches)}?" if matches else "`coach voices` lists them all"
    raise UnknownVoiceError(f"unknown espeak voice {requested!r}: {hint}")


def _catalog() -> _Catalog:
    """Voices and library version: saved from an earlier run while the installed library is the same
    (asking a child costs about 0.15 s, on the way to a session's first sound), else asked of a child
    once per process and saved (failures are not cached)."""
    global _catalog_cache
    with _lock:
        if _catalog_cache is None:
            stamp = _library_stamp()
            _catalog_cache = _saved_catalog(stamp) if stamp else None
            if _catalog_cache is None:
                version, voices = _in_child(_catalog_in_child, (), _CHILD_START_S)
                _catalog_cache = _Catalog(version, tuple(VoiceInfo(i, n, tuple(langs)) for i, n, langs in voices))
                if stamp:
                    _save_catalog(stamp, _catalog_cache)
        return _catalog_cache


def _library_stamp() -> str | None:
    """What identifies the installed espeak-ng (its library and voice data files, pyttsx3's version), or
    None when the library cannot be loaded here: then nothing saved is trusted."""
    import ctypes
    import glob

    try:
        ctypes.cdll.LoadLibrary(LIBRARY)   # what pyttsx3 loads; it starts nothing
    except OSError:
        return None
    parts = [f"pyttsx3={package_version('pyttsx3')}"]
    for pattern in _LIBRARY_FILES:
        for path in sorted(glob.glob(pattern)):
            st = os.stat(path)
            parts.append(f"{path}:{st.st_size}:{st.st_mtime_ns}")
    return "|".join(parts) if len(parts) > 1 else None


def _catalog_file():
    from pathlib import Path

    from platformdirs import user_cache_dir

    return Path(user_cache_dir("coach")) / "espeak-catalog.json"


def _saved_catalog(stamp: str) -> _Catalog | None:
    import json

    try:
        data = json.loads(_catalog_file().read_text(encoding="utf-8"))
        if data.get("stamp") != stamp:
            return None
        return _Catalog(str(data["version"]), tuple(VoiceInfo(str(i), str(n), tuple(langs))
                                                    for i, n, langs in data["voices"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _save_catalog(stamp: str, catalog: _Catalog) -> None:
    import json

    from coach.atomic import atomic_write

    data = {"stamp": stamp, "version": catalog.espeak_version,
            "voices": [[v.id, v.name, list(v.languages)] for v in catalog.voices]}
    try:
        path = _catalog_file()
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_write(path, "w") as f:
            json.dump(data, f)
    except OSError:
        pass   # only costs the next run the 0.15 s



# --- the parent side of a child ---------------------------------------------------------------------

def _forkserver() -> multiprocessing.context.BaseContext:
    global _context_cache
    with _lock:
        if _context_cache is None:
            methods = multiprocessing.get_all_start_methods()
            context = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
            if context.get_start_method() == "forkserver":
                # "__main__" as multiprocessing does by default, so children do not re-run the main script.
                # Nothing that can fail at import with anything but ImportError: that kills the server,
                # so pyttsx3's driver (which loads the C library) is left to the child.
                context.set_forkserver_preload(["__main__", __name__, "pyttsx3"])
            _context_cache = context
        return _context_cache


def _in_child(target: Callable[..., Any], args: tuple[Any, ...], timeout_s: float) -> Any:
    """Run target(*args) in a fresh child; return its result or raise EngineError with its message."""
    context: Any = _forkserver()   # a forkserver or spawn context; the stubs' BaseContext lacks Process
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=_child_main, args=(target, args, sender), daemon=True, name="coach-espeak")
    try:
        child.start()
    except OSError as exc:
        receiver.close()
        raise EngineError(f"cannot start an espeak-ng process: {exc}") from exc
    finally:
        sender.close()  # ours only: now the receiver sees EOF if the child dies
    timed_out = False
    answer: tuple[str, Any] | None = None
    try:
        # A little longer than the child's own deadline, so its explanation arrives first.
        if receiver.poll(timeout_s + 5.0):
            answer = receiver.recv()
        else:
            timed_out = True
    except EOFError:
        answer = None
    finally:
        receiver.close()
        if child.is_alive():
            child.kill()
        child.join()
    if answer is None:
        if timed_out:
            raise EngineError(f"espeak-ng did not answer within {timeout_s + 5.0:.0f} s")
        raise EngineError(f"espeak-ng stopped unexpectedly (exit code {child.exitcode})")
    status, payload = answer
    if status != "ok":
        raise EngineError(payload)
    return payload


# --- the child side ---------------------------------------------------------------------------------

def _child_main(target: Callable[..., Any], args: tuple[Any, ...], sender: Connection) -> None:
    # pyttsx3 prints "Audio saved to ..." (a Python print on espeak's thread); the library never prints,
    # and in a throwaway process the simplest complete silencer is the file descriptors themselves.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    try:
        answer: tuple[str, Any] = ("ok", target(*args))
    except EngineError as exc:
        answer = ("error", str(exc))
    except Exception as exc:  # the process boundary: every failure must travel back as a message
        answer = ("error", f"espeak-ng failed: {type(exc).__name__}: {exc}")
    sender.send(answer)
    sender.close()


def _start_engine() -> tuple[Any, Any]:
    try:
        import pyttsx3
    except ImportError as exc:
        raise EngineError("pyttsx3 is missing: run scripts/setup (or `pip install pyttsx3`)") from exc
    try:
        engine = pyttsx3.init("espeak")
    except (RuntimeError, OSError) as exc:  # pyttsx3's way of saying libespeak-ng.so.1 did not load
        raise EngineError(f"espeak-ng is not available ({exc}); {INSTALL_HINT}") from exc
    from pyttsx3.drivers import _espeak
    return engine, _espeak


def _wait_idle(lib: Any, deadline: float) -> None:
    """Until espeak's command queue is empty.

    pyttsx3's runAndWait() calls espeak's Cancel() if espeak is still busy, which silently drops
    queued commands (a new rate) or cuts the utterance short; so never call it while busy.
    """
    while lib.IsPlaying():
        if time.monotonic() > deadline:
            raise EngineError("espeak-ng stayed busy and did not accept the next command")
        time.sleep(_IDLE_POLL_S)


def _catalog_in_child() -> tuple[str, list[tuple[str, str, tuple[str, ...]]]]:
    engine, lib = _start_engine()
    version = lib.Info(None).decode("utf-8", "replace")
    voices = [(str(v.id), str(v.name), tuple(v.languages)) for v in engine.getProperty("voices")]
    return version, voices


def _render_in_child(text: str, voice_id: str, rate_wpm: int, timeout_s: float) -> tuple[bytes, int, int, int]:
    deadline = time.monotonic() + timeout_s
    engine, lib = _start_engine()
    finished = threading.Event()
    outcomes: list[bool] = []

    def on_finished(name: str | None, completed: bool) -> None:  # espeak's thread; errors here are swallowed
        outcomes.append(bool(completed))
        finished.set()

    engine.connect("finished-utterance", on_finished)
    _wait_idle(lib, deadline)
    # An empty first run: a fresh pyttsx3 engine is "busy" and would queue the settings below into the
    # same pump as runAndWait's stop(), which cancels them while espeak is still applying them.
    engine.runAndWait()
    engine.setProperty("voice", voice_id)
    if engine.getProperty("voice") != voice_id:
        raise EngineError(f"espeak-ng did not accept voice {voice_id!r}")
    engine.setProperty("rate", rate_wpm)
    engine.setProperty("volume", VOLUME)
    _wait_idle(lib, deadline)
    with tempfile.TemporaryDirectory(prefix="coach-espeak-") as folder:
        wav_path = os.path.join(folder, "cue.wav")
        engine.save_to_file(text, wav_path)
        engine.runAndWait()  # may return before synthesis ends: the callback is the real signal
        if not finished.wait(max(0.0, deadline - time.monotonic())):
            raise EngineError(f"espeak-ng did not finish {text!r} in time")
        _wait_idle(lib, deadline)
        if outcomes != [True]:
            raise EngineError(f"espeak-ng stopped before the end of {text!r}")
        return read_frames(wav_path)
