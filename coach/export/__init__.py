"""Export a compiled timeline to one audio file (MP3 with ID3 chapters, or WAV) plus a WebVTT transcript.

Modules: writer (export_timeline: atomic files, format dispatch), mp3 (lameenc, LAME Info tag), chapters
(ID3 CHAP/CTOC), vtt (the transcript). Importing this package is light (the CLI reads FORMATS from it);
export_timeline and ExportResult load the encoder on first use.

To add a format: a name and description in FORMATS, and its branch in writer.export_timeline.
"""

from __future__ import annotations

from typing import Any

# Format name (also the file suffix) -> what it is. The CLI's --format choices come from here.
FORMATS: dict[str, str] = {
    "mp3": "MP3 with an ID3 chapter per exercise",
    "wav": "16-bit mono PCM WAV",
}

__all__ = ["FORMATS", "ExportResult", "export_timeline"]


def __getattr__(name: str) -> Any:
    if name in ("ExportResult", "export_timeline"):
        from coach.export import writer

        return getattr(writer, name)
    raise AttributeError(f"module 'coach.export' has no attribute {name!r}")
