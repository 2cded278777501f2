"""Sessions: from a resolved routine to sound. The CLI makes one call per command into here.

Modules: voice (which voice and cache a session uses), prepare (spoken lengths, rendering, the timeline
that plays), live (synthesis during a session, never overrunning its slot), run (play/live from start to
guided exit: device, screening, history, player), export (a whole routine to a file).

Importing this package is light: engines, numpy and audio devices load only when a session runs.
"""

from coach.session.voice import VoiceChoice, default_cache_dir

__all__ = ["VoiceChoice", "default_cache_dir"]
