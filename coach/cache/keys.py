"""The cache's key recipe: which clip a (voice, text) pair names."""

from __future__ import annotations

import hashlib
import json
import re

FORMAT_VERSION = 1          # bump when the file layout or key recipe changes: every key changes with it
KEY_PATTERN = re.compile(r"[0-9a-f]{64}")
SHARD_PATTERN = re.compile(r"[0-9a-f]{2}")


def normalize_text(text: str) -> str:
    """Runs of whitespace become one space: they sound the same, so they share a clip."""
    normalized = " ".join(text.split())
    if not normalized:
        raise ValueError("cannot cache blank text")
    return normalized


def clip_key(identity: str, text: str) -> str:
    """sha256 over the format version, the voice's identity and the normalized text."""
    payload = json.dumps([FORMAT_VERSION, identity, normalize_text(text)], ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()
