"""Content-addressed cache of rendered cues: one WAV per (voice identity, text), safe against kills and races.

Modules: keys (the key recipe), store (ClipCache: lookups, rendering, atomic writes), pool (rendering in
worker processes), usage (the hit-rate log), housekeeping (listing, stats, pruning).
"""

from coach.cache.housekeeping import CacheStats, ClipInfo
from coach.cache.keys import FORMAT_VERSION, normalize_text
from coach.cache.store import POOL_MIN_TEXTS, ClipCache
from coach.wav import read_clip

__all__ = ["FORMAT_VERSION", "POOL_MIN_TEXTS", "CacheStats", "ClipCache", "ClipInfo", "normalize_text", "read_clip"]
