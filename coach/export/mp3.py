"""Stream int16 mono PCM into an MP3 file with lameenc, with a LAME "Info" tag for exact timing.

Why the Info tag: LAME delays the audio by ENCODER_DELAY_SAMPLES (576) and an MP3 decoder adds its
own 529 samples, so a plain LAME stream decodes 1105 samples (50.1 ms at 22050 Hz) late, plus up to a
frame of padding at the end. lameenc turns LAME's own Info frame off (lame_set_bWriteVbrTag(0):
it has no file to seek back into), so we write one ourselves: a silent first frame carrying the frame
count and the encoder delay/padding. Decoders that read it (ffmpeg and everything built on it,
browsers, most players) then trim both ends and the decoded audio lines up with the timeline to the
sample. A decoder that ignores it plays the Info frame as 576 samples of silence, so its audio is
UNAWARE_DECODER_OFFSET_SAMPLES (1681, 76.2 ms) late: inaudible for a coach, and the same as any file
from the lame command line.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Iterator
from typing import IO

import lameenc
import numpy as np

from coach.audio_format import CHANNELS, SAMPLE_RATE

DEFAULT_BITRATE_KBPS = 64
DEFAULT_QUALITY = 5                # LAME's 0 (best, slowest) .. 9; 5 is its usual speed/quality balance
ENCODER_DELAY_SAMPLES = 576        # LAME's encoder delay (measured: decoded onset at 576 + 529 samples)
DECODER_DELAY_SAMPLES = 529        # what every MP3 decoder adds (ffmpeg: start_pad + 528 + 1)
SAMPLES_PER_FRAME = 576            # MPEG-2 layer III (22050 Hz)
UNAWARE_DECODER_OFFSET_SAMPLES = SAMPLES_PER_FRAME + ENCODER_DELAY_SAMPLES + DECODER_DELAY_SAMPLES

# MPEG-2 layer III bitrates by header index; the ones an MP3 at 22050 Hz can use.
_MPEG2_L3_KBPS = (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160)
_MPEG1_L3_KBPS = (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320)
_SAMPLE_RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}
SUPPORTED_BITRATES_KBPS = tuple(b for b in _MPEG2_L3_KBPS if b)

_SIDE_INFO_BYTES = 9               # MPEG-2 mono: the Xing/Info tag starts right after it
_INFO_FLAGS = 0x0F                 # frames, bytes, TOC and quality fields present, as LAME writes them
_LAME_VERSION = b"LAME3.100"
_INFO_TAG_BYTES = 4 + _SIDE_INFO_BYTES + 4 + 4 + 4 + 4 + 100 + 4 + 36


def write_mp3(
    chunks: Iterable[np.ndarray],
    out: IO[bytes],
    *,
    bitrate_kbps: int = DEFAULT_BITRATE_KBPS,
    quality: int = DEFAULT_QUALITY,
) -> int:
    """Encode the chunks to `out` (seekable, positioned where the MP3 frames go). Returns samples encoded.

    Memory stays bounded by one chunk: each chunk is encoded and written before the next is pulled.
    """
    if bitrate_kbps not in SUPPORTED_BITRATES_KBPS:
        raise ValueError(
            f"bitrate must be one of {SUPPORTED_BITRATES_KBPS} kbps at {SAMPLE_RATE} Hz, got {bitrate_kbps}"
        )
    encoder = _new_encoder(bitrate_kbps, quality)
    info_header = _frame_header(bitrate_kbps_for_tag(bitrate_kbps))
    info_pos = out.tell()
    out.write(bytes(_frame_length(info_header)))  # placeholder: the counts are known only at the end
    frames = _FrameCounter()
    samples = 0
    encoder.encode(b"")  # initialises LAME even for an empty session, so flush() is valid
    for chunk in chunks:
        pcm = np.ascontiguousarray(chunk, dtype="<i2")
        samples += len(pcm)
        data = bytes(encoder.encode(pcm.tobytes()))
        frames.feed(data)
        out.write(data)
    data = bytes(encoder.flush())
    frames.feed(data)
    out.write(data)
    frames.check_complete()

    end_pos = out.tell()
    out.seek(info_pos)
    out.write(_info_frame(info_header, frames.count, end_pos - info_pos, samples, bitrate_kbps, quality))
    out.seek(end_pos)
    return samples


def iter_mp3(
    chunks: Iterable[np.ndarray], *, bitrate_kbps: int = DEFAULT_BITRATE_KBPS, quality: int = DEFAULT_QUALITY,
) -> Iterator[bytes]:
    """The MP3 frames of the chunks as each is encoded, for a stream that cannot seek back to write an
    Info tag (coach serve): its decoded audio starts ENCODER_DELAY_SAMPLES + DECODER_DELAY_SAMPLES late."""
    encoder = _new_encoder(bitrate_kbps, quality)
    encoder.encode(b"")
    for chunk in chunks:
        data = bytes(encoder.encode(np.ascontiguousarray(chunk, dtype="<i2").tobytes()))
        if data:
            yield data
    yield bytes(encoder.flush())


def bitrate_kbps_for_tag(bitrate_kbps: int) -> int:
    """The bitrate of the Info frame: the stream's own, or the lowest whose frame can hold the tag."""
    for kbps in SUPPORTED_BITRATES_KBPS:
        if kbps >= bitrate_kbps and _frame_length(_frame_header(kbps)) >= _INFO_TAG_BYTES:
            return kbps
    raise ValueError(f"no bitrate can hold the Info tag at {SAMPLE_RATE} Hz")


def _new_encoder(bitrate_kbps: int, quality: int) -> lameenc.Encoder:
    encoder = lameenc.Encoder()
    encoder.set_bit_rate(bitrate_kbps)
    encoder.set_in_sample_rate(SAMPLE_RATE)
    encoder.set_out_sample_rate(SAMPLE_RATE)  # else LAME may resample at low bitrates, changing its delay
    encoder.set_channels(CHANNELS)
    encoder.set_quality(quality)
    return encoder


def _frame_header(bitrate_kbps: int) -> bytes:
    """A frame header for MPEG-2 layer III, 22050 Hz, mono, no CRC, no padding."""
    bitrate_index = _MPEG2_L3_KBPS.index(bitrate_kbps)
    rate_index = _SAMPLE_RATES[2].index(SAMPLE_RATE)
    return bytes((0xFF, 0xF3, (bitrate_index << 4) | (rate_index << 2), 0xC4))


def _frame_length(header: bytes) -> int:
    """Length in bytes of the layer III frame starting with `header`; ValueError if not a frame header."""
    if len(header) < 4 or header[0] != 0xFF or header[1] & 0xE0 != 0xE0:
        raise ValueError(f"not an MP3 frame header: {header[:4].hex()}")
    version = (header[1] >> 3) & 3
    layer = (header[1] >> 1) & 3
    bitrate_index = header[2] >> 4
    rate_index = (header[2] >> 2) & 3
    if version == 1 or layer != 1 or bitrate_index in (0, 15) or rate_index == 3:
        raise ValueError(f"unsupported MP3 frame header: {header[:4].hex()}")
    padding = (header[2] >> 1) & 1
    sample_rate = _SAMPLE_RATES[version][rate_index]
    if version == 3:
        return 144_000 * _MPEG1_L3_KBPS[bitrate_index] // sample_rate + padding
    return 72_000 * _MPEG2_L3_KBPS[bitrate_index] // sample_rate + padding


class _FrameCounter:
    """Counts MP3 frames in a byte stream fed in arbitrary pieces (frames may span pieces)."""

    def __init__(self) -> None:
        self.count = 0
        self._skip = 0          # bytes still to skip to reach the next frame header
        self._partial = b""     # the start of a header split across pieces

    def feed(self, data: bytes) -> None:
        if self._skip >= len(data):
            self._skip -= len(data)
            return
        buf = self._partial + data[self._skip:]
        pos = 0
        while len(buf) - pos >= 4:
            pos += _frame_length(buf[pos:pos + 4])
            self.count += 1
        if pos >= len(buf):
            self._skip, self._partial = pos - len(buf), b""
        else:
            self._skip, self._partial = 0, buf[pos:]

    def check_complete(self) -> None:
        if self._skip or self._partial:
            raise RuntimeError("the MP3 encoder's output ended in the middle of a frame")


def _info_frame(
    header: bytes, frame_count: int, stream_bytes: int, samples: int, bitrate_kbps: int, quality: int
) -> bytes:
    """A silent frame holding a Xing "Info" tag (CBR) with LAME's extension: delay, padding, CRC."""
    padding_samples = frame_count * SAMPLES_PER_FRAME - ENCODER_DELAY_SAMPLES - samples
    if not 0 <= padding_samples < 4096:
        raise RuntimeError(f"unexpected MP3 end padding of {padding_samples} samples ({frame_count} frames)")
    toc = bytes(i * 256 // 100 for i in range(100))  # CBR: byte position grows linearly with time
    lame_quality = 100 - 10 * 4 - quality   # what LAME writes for CBR (its VBR_q defaults to 4)
    tag = bytearray(header + bytes(_SIDE_INFO_BYTES))
    tag += b"Info" + struct.pack(">III", _INFO_FLAGS, frame_count, stream_bytes) + toc
    tag += struct.pack(">I", lame_quality)
    tag += _LAME_VERSION
    tag += bytes((0x01, 0))                      # tag revision 0 / CBR; lowpass unknown
    tag += struct.pack(">IHH", 0, 0, 0)          # ReplayGain peak, radio and audiophile gain: none
    tag += bytes((0, min(bitrate_kbps, 255)))    # encoding flags / ATH type; bitrate
    tag += (ENCODER_DELAY_SAMPLES << 12 | padding_samples).to_bytes(3, "big")
    tag += bytes((0, 0)) + struct.pack(">H", 0)  # misc; MP3 gain; preset and surround
    tag += struct.pack(">IH", stream_bytes, 0)   # music length; music CRC (optional, left 0)
    tag += struct.pack(">H", _crc16_arc(bytes(tag)))
    return bytes(tag) + bytes(_frame_length(header) - len(tag))


def _crc16_arc(data: bytes) -> int:
    """CRC-16/ARC (poly 0xA001 reflected, init 0): LAME's Info tag checksum, also checked by ffmpeg."""
    crc = 0
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return crc
