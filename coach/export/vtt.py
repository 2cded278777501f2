"""A WebVTT transcript of a timeline: one cue per spoken cue, a NOTE at the start of each chapter."""

from __future__ import annotations

from coach.timeline.model import Cue, Timeline


def vtt_text(timeline: Timeline) -> str:
    """The transcript as WebVTT text (header "WEBVTT", blocks separated by blank lines, "\\n" endings)."""
    spoken = sorted(
        (c for c in timeline.cues if c.is_speech and c.text), key=lambda c: (c.start_ms, c.end_ms)
    )
    chapters = sorted(timeline.chapters, key=lambda ch: (ch.start_ms, ch.end_ms))
    blocks = ["WEBVTT"]
    next_chapter = 0
    for number, cue in enumerate(spoken, start=1):
        while next_chapter < len(chapters) and chapters[next_chapter].start_ms <= cue.start_ms:
            blocks.append(_chapter_note(chapters[next_chapter].title, chapters[next_chapter].start_ms))
            next_chapter += 1
        blocks.append(_cue_block(number, cue))
    for chapter in chapters[next_chapter:]:
        blocks.append(_chapter_note(chapter.title, chapter.start_ms))
    return "\n\n".join(blocks) + "\n"


def format_timestamp(ms: int) -> str:
    """HH:MM:SS.mmm, as WebVTT wants (hours always present, so any length fits)."""
    if ms < 0:
        raise ValueError(f"negative time: {ms} ms")
    hours, rest = divmod(ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}.{millis:03d}"


def _cue_block(number: int, cue: Cue) -> str:
    timing = f"{format_timestamp(cue.start_ms)} --> {format_timestamp(cue.end_ms)}"
    return f"{number}\n{timing}\n{_escape(cue.text)}"


def _chapter_note(title: str, start_ms: int) -> str:
    # A NOTE may not contain "-->" nor a blank line; one line keeps it simple.
    clean = " ".join(title.replace("-->", "->").split())
    return f"NOTE Chapter at {format_timestamp(start_ms)}: {clean}"


def _escape(text: str) -> str:
    # Cue text is markup: & and < must be escaped, and a blank line would end the cue early.
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return "\n".join(line for line in escaped.splitlines() if line.strip()) or " "
