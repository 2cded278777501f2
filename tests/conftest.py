"""Every test gets its own audio cache, screening answers and history: the suite never reads or
writes a developer's real ones, and a developer's rendered cache never changes what a test sees."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def private_state(tmp_path_factory, monkeypatch):
    home = tmp_path_factory.mktemp("coach-state")
    monkeypatch.setenv("COACH_CACHE_DIR", str(home / "cache"))
    monkeypatch.setenv("COACH_CONFIG", str(home / "config.json"))
    monkeypatch.setenv("COACH_HISTORY_DB", str(home / "history.sqlite"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / "xdg-cache"))   # what coach keeps in the user cache
    return home
