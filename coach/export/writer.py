"""Export a compiled timeline to one audio file (MP3 with ID3 chapters, or WAV) plus a WebVTT transcript.

Both files are written to temp files in the target folder and replaced onto their names only when
everything succeeded, the transcript first and the audio last: a failure, a full disk or Ctrl-C leaves
the old files (if any) as they were and no partial file behind. An export killed outright (SIGKILL)
leaves its temp files; the next export into that folder removes them (coach.atomic: only those whose
process is gone, so two exports into one folder never touch each other's).

Only regular files are ever written or replaced, with --force or without: a device (/dev/null), a
fifo, a folder or a symbolic link, even one to a regular file, is refused (exit 2) with the path to
use instead. Replacing a link would break it, and writing through it would put the audio beside the
link's target and the transcript beside the link; naming the real file says which one is meant.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from coach.atomic import atomic_files, remove_orphaned_temps
from coach.background.bed import Background
from coach.audio_format import SAMPLE_RATE, ms_to_samples, samples_to_ms
from coach.errors import OutputFileError, UsageError
from coach.export import FORMATS
from coach.export.chapters import id3_tag_bytes
from coach.export.mp3 import DEFAULT_BITRATE_KBPS, DEFAULT_QUALITY, SUPPORTED_BITRATES_KBPS, write_mp3
from coach.export.vtt import vtt_text
from coach.loudness import DEFAULT_LUFS, MAX_LUFS, MIN_LUFS
from coach.progress import ProgressFn  # (done_ms, total_ms), called after each chunk
from coach.mix import ClipProvider, iter_pcm_chunks
from coach.timeline.model import Timeline
from coach.wav import write_stream

DEFAULT_ARTIST = "coach"
DEFAULT_ALBUM = "coach"

_DISK_FULL = {errno.ENOSPC, errno.EDQUOT}
_NOT_ALLOWED = {errno.EACCES, errno.EPERM, errno.EROFS}


@dataclass(frozen=True)
class ExportResult:
    path: Path
    vtt_path: Path
    duration_ms: int
    size_bytes: int       # size of the audio file
    # Where timeline time 0 falls in the decoded audio. 0 for WAV, and for MP3 as decoded by anything
    # that reads the LAME Info tag (ffmpeg, browsers, most players); see coach.export.mp3 for others.
    offset_ms: float = 0.0


def export_timeline(
    timeline: Timeline,
    clip_for: ClipProvider,
    out_path: Path,
    fmt: str | None = None,
    force: bool = False,
    tags: Mapping[str, str] | None = None,
    progress: ProgressFn | None = None,
    bitrate_kbps: int = DEFAULT_BITRATE_KBPS,
    background: Background | None = None,
    loudness_lufs: float | None = None,
) -> ExportResult:
    """Render `timeline` to `out_path` (format from `fmt` or the suffix) and its transcript to FILE.vtt.

    tags: "title" (default: the routine's title), "artist" and "album" (default "coach"); MP3 only.
    background: a sound looped under the whole session, ducked under speech (coach.background).
    loudness_lufs: the speech's integrated loudness (coach.loudness; default DEFAULT_LUFS, what play
    and live use), true peak under -1 dBTP; UsageError outside MIN_LUFS..MAX_LUFS.
    progress(done_ms, total_ms) is called after each ~30 s chunk; an exception it raises (even
    KeyboardInterrupt) aborts the export cleanly.
    Raises OutputFileError when the files exist (unless force), the folder is missing or unwritable,
    or the disk fills up; UsageError for an unknown format or an impossible bitrate.
    """
    out_path = Path(out_path)
    fmt = check_output(out_path, fmt, force, bitrate_kbps)
    vtt_path = out_path.with_suffix(".vtt")
    speech_lufs = DEFAULT_LUFS if loudness_lufs is None else loudness_lufs
    if not MIN_LUFS <= speech_lufs <= MAX_LUFS:
        raise UsageError(f"loudness {speech_lufs:g} LUFS is out of range: use {MIN_LUFS:g} to {MAX_LUFS:g}")
    tags = dict(tags or {})
    unknown = set(tags) - {"title", "artist", "album"}
    if unknown:
        raise ValueError(f"unknown tags: {', '.join(sorted(unknown))}")
    remove_orphaned_temps(out_path.parent, legacy_suffixes=(".mp3", ".wav", ".vtt"))

    total_samples = ms_to_samples(timeline.duration_ms)
    chunks = _reporting(iter_pcm_chunks(timeline, clip_for, background=background, speech_lufs=speech_lufs), progress, total_samples,
                        timeline.duration_ms)
    try:
        with atomic_files() as files:
            files.open(vtt_path, "w").write(vtt_text(timeline))
            audio_file = files.open(out_path, "wb")  # opened last, so it is replaced last
            if fmt == "mp3":
                audio_file.write(
                    id3_tag_bytes(
                        title=tags.get("title") or timeline.title or timeline.name,
                        artist=tags.get("artist") or DEFAULT_ARTIST,
                        album=tags.get("album") or DEFAULT_ALBUM,
                        duration_ms=timeline.duration_ms,
                        chapters=timeline.chapters,
                    )
                )
                write_mp3(chunks, audio_file, bitrate_kbps=bitrate_kbps, quality=DEFAULT_QUALITY)
            elif fmt == "wav":
                write_stream(chunks, audio_file, total_samples)
            else:  # a name in FORMATS that has no writer here yet
                raise ValueError(f"no writer for the format {fmt!r}")
    except OSError as exc:
        raise _output_error(exc, out_path) from exc
    return ExportResult(
        path=out_path,
        vtt_path=vtt_path,
        duration_ms=timeline.duration_ms,
        size_bytes=out_path.stat().st_size,
    )


def check_output(out_path: Path, fmt: str | None = None, force: bool = False,
                 bitrate_kbps: int = DEFAULT_BITRATE_KBPS) -> str:
    """Everything about the output that can be refused before any work: the format (returned), the
    bitrate, the folder, and the audio and transcript paths (regular files only; existing ones only
    with `force`). Raises UsageError (exit 2) or OutputFileError."""
    out_path = Path(out_path)
    fmt = _format_for(out_path, fmt)
    vtt_path = out_path.with_suffix(".vtt")
    if vtt_path == out_path:
        raise UsageError(
            f"{out_path}: the transcript is written to FILE.vtt; give the audio file another suffix"
        )
    if fmt == "mp3" and bitrate_kbps not in SUPPORTED_BITRATES_KBPS:
        choices = ", ".join(str(b) for b in SUPPORTED_BITRATES_KBPS)
        raise UsageError(
            f"MP3 bitrate {bitrate_kbps} kbps is not possible at {SAMPLE_RATE} Hz: use one of {choices}"
        )
    _check_folder(out_path)
    _check_targets((out_path, vtt_path), force)
    return fmt


def _format_for(out_path: Path, fmt: str | None) -> str:
    if fmt is not None:
        if fmt not in FORMATS:
            raise UsageError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
        return fmt
    suffix = out_path.suffix.lower().lstrip(".")
    if suffix not in FORMATS:
        raise UsageError(f"cannot tell the format of {out_path}: name it .mp3 or .wav, or give the format")
    return suffix


def _check_folder(out_path: Path) -> None:
    folder = out_path.parent
    if folder.is_dir():
        if not os.access(folder, os.W_OK | os.X_OK):
            raise OutputFileError(
                f"cannot write to the folder {folder}: permission denied; choose a folder you can write to"
            )
        return
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if existing.exists() and not existing.is_dir():
        raise OutputFileError(
            f"cannot write {out_path}: {existing} is a file, not a folder; choose another output path"
        )
    raise OutputFileError(
        f"the folder {folder} does not exist: create it (mkdir -p {folder}) or choose another output path"
    )


def _check_targets(paths: Iterable[Path], force: bool) -> None:
    for path in paths:
        try:
            mode = os.lstat(path).st_mode
        except FileNotFoundError:
            continue
        except OSError as exc:
            raise _output_error(exc, path) from exc
        if not stat.S_ISREG(mode):
            raise UsageError(_not_regular(path, mode))
        if not force:
            raise OutputFileError(f"{path} exists; pass --force to overwrite")


def _not_regular(path: Path, mode: int) -> str:
    if stat.S_ISLNK(mode):
        target = Path(os.readlink(path))
        real = path.parent / target if not target.is_absolute() else target
        if real.is_file():
            return (f"{path} is a symbolic link to {target}; coach writes only regular files, never through a"
                    f" link: give the file itself (-o {real.resolve()}) or another name")
        return f"{path} is a symbolic link to {target}, not a regular file; choose a file name such as routine.mp3"
    what = ("a folder" if stat.S_ISDIR(mode) else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
            else "a fifo" if stat.S_ISFIFO(mode) else "a socket" if stat.S_ISSOCK(mode) else "not a regular file")
    return f"{path} is {what}; coach writes only regular files: choose a file name such as routine.mp3"


def _output_error(exc: OSError, out_path: Path) -> OutputFileError:
    folder = out_path.parent
    if exc.errno in _DISK_FULL:
        return OutputFileError(
            f"not enough disk space to write {out_path}; free some space or choose another folder"
            " (nothing was written)"
        )
    if exc.errno in _NOT_ALLOWED:
        return OutputFileError(
            f"cannot write to the folder {folder}: {exc.strerror or 'not allowed'};"
            " choose a folder you can write to"
        )
    if exc.errno in (errno.ENOENT, errno.ENOTDIR):
        return OutputFileError(
            f"the folder {folder} does not exist: create it (mkdir -p {folder}) or choose another output path"
        )
    return OutputFileError(f"cannot write {out_path}: {exc.strerror or exc}")


def _reporting(
    chunks: Iterator[np.ndarray], progress: ProgressFn | None, total_samples: int, total_ms: int
) -> Iterator[np.ndarray]:
    done_samples = 0
    for chunk in chunks:
        yield chunk
        done_samples += len(chunk)
        if progress is not None:
            done_ms = total_ms if done_samples >= total_samples else samples_to_ms(done_samples)
            progress(done_ms, total_ms)
