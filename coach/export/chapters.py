"""The ID3v2 tag of an exported MP3: title, artist, album, length, and chapters (CTOC + CHAP).

The tag is rendered to bytes up front (chapters come from the timeline, not the audio), so the MP3 is
written in one pass with the tag at its start, with no rewrite of the file afterwards.

Chapter order: players such as ffprobe list chapters in file order, and mutagen sorts frames on save
by (priority, byte size, HashKey), where a CHAP frame's HashKey is "CHAP:<element id>". So each CHAP
frame is padded (through its element id, which listeners never see) to at least the size of the one
before it, and the ids start with a zero-padded index: sizes never decrease in time order, and equal
sizes fall back to the ids, which are in time order too.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from mutagen.id3 import CHAP, CTOC, ID3, TALB, TIT2, TLEN, TPE1, CTOCFlags, Encoding

from coach.timeline.model import Chapter

ID3_VERSION = 3        # ID3v2.3: read by everything (ffmpeg, Apple, Windows); v2.4 is not
PADDING_BYTES = 1024   # room for tag editors to add a little without rewriting the whole file
TOC_ELEMENT_ID = "toc"
_ID_FILLER = "_"


def id3_tag_bytes(
    *, title: str, artist: str, album: str, duration_ms: int, chapters: Sequence[Chapter]
) -> bytes:
    """The complete ID3v2 tag (header, frames, padding), ready to be the first bytes of the MP3."""
    tags = ID3()
    tags.add(TIT2(encoding=Encoding.UTF8, text=[title]))
    tags.add(TPE1(encoding=Encoding.UTF8, text=[artist]))
    tags.add(TALB(encoding=Encoding.UTF8, text=[album]))
    tags.add(TLEN(encoding=Encoding.UTF8, text=[str(duration_ms)]))
    chap_frames = chapter_frames(chapters)
    for frame in chap_frames:
        tags.add(frame)
    if chap_frames:
        tags.add(
            CTOC(
                element_id=TOC_ELEMENT_ID,
                flags=CTOCFlags.TOP_LEVEL | CTOCFlags.ORDERED,
                child_element_ids=[_element_id(frame) for frame in chap_frames],
                sub_frames=[TIT2(encoding=Encoding.UTF8, text=[title])],
            )
        )
    tag = _render(tags, padding_bytes=PADDING_BYTES)
    _check_chapter_order(tag, [_element_id(frame) for frame in chap_frames])
    return tag


def _element_id(frame: CHAP) -> str:
    # mutagen builds frame attributes from its frame specs at run time; its stubs do not know them.
    return str(getattr(frame, "element_id"))


def chapter_frames(chapters: Sequence[Chapter]) -> list[CHAP]:
    """One CHAP frame per chapter, in time order, each no smaller than the one before (see module doc)."""
    ordered = sorted(chapters, key=lambda ch: (ch.start_ms, ch.end_ms))
    width = max(3, len(str(len(ordered) - 1)))
    ids = [f"chp{i:0{width}d}" for i in range(len(ordered))]
    frames = []
    running_max = 0
    for chapter, element_id in zip(ordered, ids):
        size = _encoded_size(_chap(chapter, element_id))
        running_max = max(running_max, size)
        # Element ids are Latin-1 and null-terminated: each filler character adds exactly one byte.
        frames.append(_chap(chapter, element_id + _ID_FILLER * (running_max - size)))
    return frames


def _chap(chapter: Chapter, element_id: str) -> CHAP:
    return CHAP(
        element_id=element_id,
        start_time=chapter.start_ms,
        end_time=chapter.end_ms,
        sub_frames=[TIT2(encoding=Encoding.UTF8, text=[chapter.title])],
    )


def _encoded_size(frame: CHAP) -> int:
    tags = ID3()
    tags.add(frame)
    return len(_render(tags, padding_bytes=0))


def _render(tags: ID3, padding_bytes: int) -> bytes:
    buffer = io.BytesIO()
    tags.save(buffer, v2_version=ID3_VERSION, padding=lambda _info: padding_bytes)
    return buffer.getvalue()


def _check_chapter_order(tag: bytes, expected_ids: list[str]) -> None:
    # Guards the size trick against a future mutagen that sorts differently: fail loudly, not silently.
    written_ids = [frame.element_id for frame in ID3(io.BytesIO(tag)).getall("CHAP")]
    if written_ids != expected_ids:
        raise RuntimeError("mutagen wrote the CHAP frames out of time order")
