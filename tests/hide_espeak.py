"""Hide libespeak-ng from a child process, to test what a user without it sees."""

from __future__ import annotations

import textwrap
from pathlib import Path

_SITECUSTOMIZE = textwrap.dedent("""
    import ctypes
    _load = ctypes.cdll.LoadLibrary
    def _refuse(name, *args, **kwargs):
        if "espeak" in str(name):
            raise OSError(f"{name}: cannot open shared object file")
        return _load(name, *args, **kwargs)
    ctypes.cdll.LoadLibrary = _refuse
""")


def without_espeak(folder: Path) -> dict[str, str]:
    """Environment additions for a child process in which loading libespeak-ng fails, the
    processes it starts included (sitecustomize runs in every interpreter on PYTHONPATH)."""
    (folder / "sitecustomize.py").write_text(_SITECUSTOMIZE)
    return {"PYTHONPATH": str(folder)}
