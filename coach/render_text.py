"""A timeline as text a person can read: time, kind, what is said."""

from __future__ import annotations

from coach.timeline.model import Timeline

_SOURCES = {
    "estimate": "spoken lengths estimated from the text (no audio rendered yet)",
    "audio": "spoken lengths measured from rendered audio",
}


def clock(ms: int) -> str:
    """m:ss.t, rounded to the tenth first so that 2:59.96 reads 3:00.0, never 2:60.0."""
    tenths = (int(ms) + 50) // 100   # half up, as the old formatting did
    minutes, rest = divmod(tenths, 600)
    return f"{minutes}:{rest // 10:02d}.{rest % 10}"


def format_timeline(timeline: Timeline) -> str:
    lines = [f"{timeline.title} ({timeline.name}), verbosity {timeline.verbosity}; "
             f"{_SOURCES.get(timeline.lengths_from, timeline.lengths_from)}"]
    chapter = None
    for cue in timeline.cues:
        if cue.chapter != chapter:
            chapter = cue.chapter
            lines.append(f"== {chapter}")
        if cue.kind == "tone":
            what = f"({cue.tone} tone)"
        elif cue.text:
            what = cue.text
        else:
            what = f"({(cue.end_ms - cue.start_ms) / 1000:g} s)"
        lines.append(f"  {clock(cue.start_ms):>7}  {cue.kind:<12}  {what}")
    lines.append(f"Total {clock(timeline.duration_ms)} ({timeline.duration_ms / 1000:.1f} s), "
                 f"{len(timeline.chapters)} chapters, {len(timeline.speech)} spoken cues")
    if timeline.dropped:
        lines.append(f"{len(timeline.dropped)} cue(s) dropped for lack of room:")
        lines += [f"  {clock(d.at_ms):>7}  {d.text} ({d.reason})" for d in timeline.dropped]
    return "\n".join(lines)
