"""The session player: plays a compiled timeline in real time, hands-free.

    player = Player(timeline, clip_for, SimpleaudioOutput(volume=0.8), on_event=view)
    with KeyReader(player.command):
        result = player.run()          # result.ended: completed / quit / safety-stop / interrupted

Modules: segments (pure: what sounds together, where `n`/`p` jump), scheduler (the deadline loop),
clock (monotonic, injectable), events (what the view hears), render_ahead (mixing ahead of deadlines),
output (simpleaudio), keys (single keys on a terminal), view (captions and a status line).
"""

from coach.player.keys import KEY_HELP, KeyReader, command_for_key
from coach.player.output import Output, PlayHandle, SimpleaudioOutput, scale_pcm
from coach.player.clock import Clock, MonotonicClock
from coach.player.events import (
    ENDINGS,
    Caption,
    Ended,
    Event,
    Paused,
    Progress,
    Resumed,
    Waiting,
    SessionResult,
    Started,
    StepChanged,
)
from coach.player.scheduler import COMMANDS, Player
from coach.player.segments import Segment, PlayerStep, sound_segments, steps
from coach.player.view import PlainView, TerminalView, make_view

__all__ = [
    "COMMANDS", "ENDINGS", "KEY_HELP", "Caption", "Clock", "Ended", "Event", "KeyReader", "MonotonicClock",
    "Output", "Paused", "PlainView", "PlayHandle", "Player", "Progress", "Resumed", "Segment", "SessionResult", "Waiting",
    "SimpleaudioOutput", "Started", "PlayerStep", "StepChanged", "TerminalView", "command_for_key", "make_view",
    "scale_pcm", "sound_segments", "steps",
]
